//! Renders rustdoc JSON types and signatures as Rust source would spell
//! them (close enough that a change shows as a changed line).

use serde_json::Value;

/// `<generics>(args) -> output` of a function item.
pub(super) fn signature(inner: &Value) -> String {
    let sig = inner.get("sig");
    let args = sig
        .and_then(|s| s.get("inputs"))
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|pair| {
                    let name = pair.get(0).and_then(Value::as_str).unwrap_or("_");
                    let t = pair.get(1).map(ty).unwrap_or_default();
                    match (name, t.as_str()) {
                        ("self", "Self") => "self".to_string(),
                        ("self", "&Self") => "&self".to_string(),
                        ("self", "&mut Self") => "&mut self".to_string(),
                        _ => format!("{name}: {t}"),
                    }
                })
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    format!(
        "{}({args}){}",
        generics(inner.get("generics")),
        arrow(sig.and_then(|s| s.get("output")))
    )
}

/// `<T: Bound, 'a>` from a generics object, leaving out `impl Trait`
/// parameters (they show in the argument list).
pub(super) fn generics(g: Option<&Value>) -> String {
    let params: Vec<String> = g
        .and_then(|g| g.get("params"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|p| {
            let name = p.get("name").and_then(Value::as_str)?;
            let kind = p.get("kind")?;
            if let Some(t) = kind.get("type") {
                if t.get("is_synthetic").and_then(Value::as_bool) == Some(true) {
                    return None;
                }
                let b = bounds(t.get("bounds"));
                return Some(if b.is_empty() {
                    name.to_string()
                } else {
                    format!("{name}: {b}")
                });
            }
            if let Some(c) = kind.get("const") {
                let t = c.get("type").map(ty).unwrap_or_default();
                return Some(format!("const {name}: {t}"));
            }
            Some(name.to_string())
        })
        .collect();
    if params.is_empty() {
        String::new()
    } else {
        format!("<{}>", params.join(", "))
    }
}

fn bounds(b: Option<&Value>) -> String {
    b.and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|b| {
            if let Some(t) = b.get("trait_bound") {
                let m = match t.get("modifier").and_then(Value::as_str) {
                    Some("maybe") => "?",
                    _ => "",
                };
                format!("{m}{}", t.get("trait").map(path_ty).unwrap_or_default())
            } else if let Some(l) = b.get("outlives").and_then(Value::as_str) {
                l.to_string()
            } else {
                b.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join(" + ")
}

/// A path with its generic arguments (`Result<Vec<String>, Error>`).
pub(super) fn path_ty(p: &Value) -> String {
    let name = p.get("path").and_then(Value::as_str).unwrap_or("?");
    let args = p.get("args").filter(|a| !a.is_null());
    let Some(args) = args else {
        return name.to_string();
    };
    if let Some(ab) = args.get("angle_bracketed") {
        let mut parts: Vec<String> = ab
            .get("args")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|a| {
                if let Some(t) = a.get("type") {
                    ty(t)
                } else if let Some(l) = a.get("lifetime").and_then(Value::as_str) {
                    l.to_string()
                } else if let Some(c) = a.get("const") {
                    c.get("expr")
                        .and_then(Value::as_str)
                        .unwrap_or("_")
                        .to_string()
                } else {
                    "_".to_string()
                }
            })
            .collect();
        for c in ab
            .get("constraints")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let n = c.get("name").and_then(Value::as_str).unwrap_or("_");
            let bound = c
                .pointer("/binding/equality/type")
                .map(ty)
                .unwrap_or_else(|| bounds(c.pointer("/binding/constraint")));
            parts.push(format!("{n} = {bound}"));
        }
        if parts.is_empty() {
            name.to_string()
        } else {
            format!("{name}<{}>", parts.join(", "))
        }
    } else if let Some(pz) = args.get("parenthesized") {
        let inputs = pz
            .get("inputs")
            .and_then(Value::as_array)
            .map(|a| a.iter().map(ty).collect::<Vec<_>>().join(", "))
            .unwrap_or_default();
        format!("{name}({inputs}){}", arrow(pz.get("output")))
    } else {
        name.to_string()
    }
}

/// A type as Rust source would spell it (close enough to spot a change).
pub(super) fn ty(t: &Value) -> String {
    let Some((kind, v)) = t.as_object().and_then(|o| o.iter().next()) else {
        return t.to_string();
    };
    match kind.as_str() {
        "resolved_path" => path_ty(v),
        "primitive" | "generic" => v.as_str().unwrap_or("?").to_string(),
        "borrowed_ref" => {
            let lt = v
                .get("lifetime")
                .and_then(Value::as_str)
                .map(|l| format!("{l} "))
                .unwrap_or_default();
            let m = if v.get("is_mutable").and_then(Value::as_bool) == Some(true) {
                "mut "
            } else {
                ""
            };
            format!("&{lt}{m}{}", v.get("type").map(ty).unwrap_or_default())
        }
        "raw_pointer" => {
            let m = if v.get("is_mutable").and_then(Value::as_bool) == Some(true) {
                "mut"
            } else {
                "const"
            };
            format!("*{m} {}", v.get("type").map(ty).unwrap_or_default())
        }
        "tuple" => format!(
            "({})",
            v.as_array()
                .map(|a| a.iter().map(ty).collect::<Vec<_>>().join(", "))
                .unwrap_or_default()
        ),
        "slice" => format!("[{}]", ty(v)),
        "array" => format!(
            "[{}; {}]",
            v.get("type").map(ty).unwrap_or_default(),
            v.get("len").and_then(Value::as_str).unwrap_or("_")
        ),
        "impl_trait" => format!("impl {}", bounds(Some(v))),
        "dyn_trait" => {
            let traits = v
                .get("traits")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|p| p.get("trait"))
                        .map(path_ty)
                        .collect::<Vec<_>>()
                        .join(" + ")
                })
                .unwrap_or_default();
            match v.get("lifetime").and_then(Value::as_str) {
                Some(l) => format!("dyn {traits} + {l}"),
                None => format!("dyn {traits}"),
            }
        }
        "qualified_path" => {
            let self_ty = v.get("self_type").map(ty).unwrap_or_default();
            let name = v.get("name").and_then(Value::as_str).unwrap_or("_");
            match v.get("trait").filter(|t| !t.is_null()).map(path_ty) {
                Some(tr) if !tr.is_empty() => format!("<{self_ty} as {tr}>::{name}"),
                _ => format!("{self_ty}::{name}"),
            }
        }
        "function_pointer" => {
            let sig = v.get("sig");
            let inputs = sig
                .and_then(|s| s.get("inputs"))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|p| p.get(1))
                        .map(ty)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            format!("fn({inputs}){}", arrow(sig.and_then(|s| s.get("output"))))
        }
        "infer" => "_".to_string(),
        _ => t.to_string(),
    }
}

/// ` -> T` for a return type, nothing for none.
fn arrow(output: Option<&Value>) -> String {
    output
        .filter(|o| !o.is_null())
        .map(|o| format!(" -> {}", ty(o)))
        .unwrap_or_default()
}
