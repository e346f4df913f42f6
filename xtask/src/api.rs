//! `cargo xtask api [--bless]`: a snapshot of each library crate's public
//! API, so that API changes show up in review.
//!
//! rustdoc writes the crate's items as JSON (`--output-format json`, still
//! unstable, so it runs with `RUSTC_BOOTSTRAP=1` on the pinned stable
//! toolchain). This module walks that index from the crate root along
//! public paths only, and writes one line per reachable item — modules,
//! functions with their signatures, struct fields, enum variants, trait
//! items, inherent methods and the traits each type implements — sorted,
//! to `api/<crate>.txt`. `api` compares against the committed file and
//! fails with the difference; `api --bless` rewrites the file.
//!
//! rustdoc runs with `-D warnings`, so this is also the check that each
//! library crate's documentation builds without warnings.
//!
//! It stands in for `cargo semver-checks`, which would have to be compiled
//! on every fresh CI machine (about ten minutes on two cores).

use std::collections::{BTreeSet, HashSet};
use std::path::Path;

use serde_json::Value;

use crate::{Result, cargo, root, run};

/// The library crates whose public API is snapshotted: (package, crate name).
const CRATES: &[(&str, &str)] = &[
    ("rpod-runtime-core", "rpod_runtime_core"),
    ("rpod-events", "rpod_events"),
    ("rpod-state-sqlite", "rpod_state_sqlite"),
    ("rpod-state-bolt", "rpod_state_bolt"),
    ("rpod-lock-shm", "rpod_lock_shm"),
    ("rpod-lock-file", "rpod_lock_file"),
    ("rpod-oci-conmon", "rpod_oci_conmon"),
    ("rpod-storage", "rpod_storage"),
];

/// Where rustdoc's JSON goes, apart from the main build.
const DOC_TARGET_DIR: &str = "target/api";

/// Runs the snapshot check (or rewrites the snapshots with `--bless`).
pub fn run_api(args: &[String]) -> Result {
    let bless = args.iter().any(|a| a == "--bless");
    let mut changed = Vec::new();
    for (package, krate) in CRATES {
        let mut c = cargo();
        c.args([
            "rustdoc",
            "--quiet",
            "--lib",
            "-p",
            package,
            "--target-dir",
            DOC_TARGET_DIR,
            "--",
            "-Z",
            "unstable-options",
            "--output-format",
            "json",
            // The same run is the crate's documentation check: broken or
            // private intra-doc links fail it, as they fail `cargo doc`.
            "-D",
            "warnings",
        ])
        .env("RUSTC_BOOTSTRAP", "1");
        run(&mut c)?;
        let json_path = root()
            .join(DOC_TARGET_DIR)
            .join(format!("doc/{krate}.json"));
        let text = std::fs::read_to_string(&json_path)
            .map_err(|e| format!("{}: {e}", json_path.display()))?;
        let doc: Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", json_path.display()))?;
        let lines = public_api(&doc)?;
        let mut rendered = lines.into_iter().collect::<Vec<_>>().join("\n");
        rendered.push('\n');
        let snapshot = root().join("api").join(format!("{package}.txt"));
        let old = std::fs::read_to_string(&snapshot).unwrap_or_default();
        if old == rendered {
            continue;
        }
        if bless {
            write_snapshot(&snapshot, &rendered)?;
            eprintln!("xtask api: updated {}", snapshot.display());
        } else {
            report_difference(package, &old, &rendered);
            changed.push(*package);
        }
    }
    if changed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the public API of {} differs from api/*.txt: review the lines above, then run `cargo xtask api --bless` and commit the snapshot",
            changed.join(", ")
        ))
    }
}

fn write_snapshot(path: &Path, text: &str) -> Result {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Prints the lines only in the snapshot (`-`) and only in the new API (`+`).
fn report_difference(package: &str, old: &str, new: &str) {
    let old: BTreeSet<&str> = old.lines().collect();
    let new: BTreeSet<&str> = new.lines().collect();
    eprintln!("xtask api: {package}:");
    for gone in old.difference(&new) {
        eprintln!("  - {gone}");
    }
    for added in new.difference(&old) {
        eprintln!("  + {added}");
    }
}

/// Every public item reachable from the crate root, one line each.
fn public_api(doc: &Value) -> Result<BTreeSet<String>> {
    let root_id = doc
        .get("root")
        .map(id_key)
        .ok_or("rustdoc JSON has no root")?;
    let mut walker = Walker {
        index: doc.get("index").ok_or("rustdoc JSON has no index")?,
        lines: BTreeSet::new(),
        seen: HashSet::new(),
    };
    let name = walker
        .item(&root_id)
        .and_then(|i| i.get("name"))
        .and_then(Value::as_str)
        .unwrap_or("crate")
        .to_string();
    walker.module_items(&root_id, &name);
    Ok(walker.lines)
}

/// An index key from an ID (a number in newer formats, a string in older).
fn id_key(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

struct Walker<'a> {
    index: &'a Value,
    lines: BTreeSet<String>,
    seen: HashSet<(String, String)>,
}

impl<'a> Walker<'a> {
    fn item(&self, id: &str) -> Option<&'a Value> {
        self.index.get(id)
    }

    fn module_items(&mut self, id: &str, path: &str) {
        let Some(children) = self
            .item(id)
            .and_then(|i| i.pointer("/inner/module/items"))
            .and_then(Value::as_array)
        else {
            return;
        };
        for child in children {
            self.visit(&id_key(child), path, None);
        }
    }

    /// Visits an item named under `parent` (`rename` for a `use … as`).
    fn visit(&mut self, id: &str, parent: &str, rename: Option<&str>) {
        let Some(item) = self.item(id) else { return };
        if item.get("visibility").and_then(Value::as_str) != Some("public") {
            return;
        }
        let Some((kind, inner)) = item
            .get("inner")
            .and_then(Value::as_object)
            .and_then(|o| o.iter().next())
        else {
            return;
        };
        if kind == "use" {
            self.visit_use(inner, parent);
            return;
        }
        let name = rename
            .or_else(|| item.get("name").and_then(Value::as_str))
            .unwrap_or("_");
        let path = format!("{parent}::{name}");
        if !self.seen.insert((id.to_string(), path.clone())) {
            return;
        }
        match kind.as_str() {
            "module" => {
                self.lines.insert(format!("mod {path}"));
                self.module_items(id, &path);
            }
            "function" => {
                let line = format!("fn {path}{}", signature(inner));
                self.lines.insert(line);
            }
            "struct" => {
                self.lines
                    .insert(format!("struct {path}{}", generics(inner.get("generics"))));
                self.struct_fields(inner, &path);
                self.impls(inner, &path);
            }
            "union" => {
                self.lines.insert(format!("union {path}"));
                self.impls(inner, &path);
            }
            "enum" => {
                self.lines
                    .insert(format!("enum {path}{}", generics(inner.get("generics"))));
                for v in inner
                    .get("variants")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    self.variant(&id_key(v), &path);
                }
                self.impls(inner, &path);
            }
            "trait" => {
                self.lines.insert(format!("trait {path}"));
                for child in inner
                    .get("items")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    self.assoc_item(&id_key(child), &path, "trait item");
                }
            }
            "type_alias" => {
                let target = inner.get("type").map(ty).unwrap_or_default();
                self.lines.insert(format!("type {path} = {target}"));
            }
            "constant" => {
                let t = inner.get("type").map(ty).unwrap_or_default();
                self.lines.insert(format!("const {path}: {t}"));
            }
            "static" => {
                let t = inner.get("type").map(ty).unwrap_or_default();
                self.lines.insert(format!("static {path}: {t}"));
            }
            "macro" | "proc_macro" => {
                self.lines.insert(format!("macro {path}"));
            }
            other => {
                self.lines.insert(format!("{other} {path}"));
            }
        }
    }

    fn visit_use(&mut self, inner: &Value, parent: &str) {
        let source = inner.get("source").and_then(Value::as_str).unwrap_or("");
        let name = inner.get("name").and_then(Value::as_str).unwrap_or("");
        let glob = inner.get("is_glob").and_then(Value::as_bool) == Some(true);
        let target = inner.get("id").filter(|v| !v.is_null()).map(id_key);
        match target {
            Some(t) if self.item(&t).is_some() => {
                if glob {
                    self.module_items(&t, parent);
                } else {
                    self.visit(&t, parent, Some(name));
                }
            }
            _ => {
                let star = if glob { "::*" } else { "" };
                self.lines
                    .insert(format!("use {parent}::{name} = {source}{star}"));
            }
        }
    }

    fn struct_fields(&mut self, inner: &Value, path: &str) {
        let kind = inner.get("kind");
        let fields = kind
            .and_then(|k| k.pointer("/plain/fields"))
            .or_else(|| kind.and_then(|k| k.get("tuple")))
            .and_then(Value::as_array);
        for (n, f) in fields.into_iter().flatten().enumerate() {
            if f.is_null() {
                continue;
            }
            let Some(field) = self.item(&id_key(f)) else {
                continue;
            };
            if field.get("visibility").and_then(Value::as_str) != Some("public") {
                continue;
            }
            let fname = field
                .get("name")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| n.to_string());
            let t = field
                .pointer("/inner/struct_field")
                .map(ty)
                .unwrap_or_default();
            self.lines.insert(format!("field {path}.{fname}: {t}"));
        }
    }

    fn variant(&mut self, id: &str, path: &str) {
        let Some(v) = self.item(id) else { return };
        let name = v.get("name").and_then(Value::as_str).unwrap_or("_");
        let kind = v.pointer("/inner/variant/kind");
        let fields = |k: &str| {
            kind.and_then(|x| x.get(k))
                .and_then(|x| x.get("fields").or(Some(x)))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter(|f| !f.is_null())
                        .filter_map(|f| self.item(&id_key(f)))
                        .map(|f| {
                            let t = f.pointer("/inner/struct_field").map(ty).unwrap_or_default();
                            match f.get("name").and_then(Value::as_str) {
                                Some(n) if k == "struct" => format!("{n}: {t}"),
                                _ => t,
                            }
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                })
        };
        let shape = if let Some(t) = fields("tuple") {
            format!("({t})")
        } else if let Some(s) = fields("struct") {
            format!(" {{ {s} }}")
        } else {
            String::new()
        };
        self.lines.insert(format!("variant {path}::{name}{shape}"));
    }

    fn assoc_item(&mut self, id: &str, path: &str, what: &str) {
        let Some(item) = self.item(id) else { return };
        let name = item.get("name").and_then(Value::as_str).unwrap_or("_");
        let Some((kind, inner)) = item
            .get("inner")
            .and_then(Value::as_object)
            .and_then(|o| o.iter().next())
        else {
            return;
        };
        let line = match kind.as_str() {
            "function" => format!("{what} fn {path}::{name}{}", signature(inner)),
            "assoc_type" => format!("{what} type {path}::{name}"),
            "assoc_const" => {
                let t = inner.get("type").map(ty).unwrap_or_default();
                format!("{what} const {path}::{name}: {t}")
            }
            other => format!("{what} {other} {path}::{name}"),
        };
        self.lines.insert(line);
    }

    /// Inherent public methods, and the names of the traits implemented
    /// (derives included; blanket and auto-trait impls left out).
    fn impls(&mut self, inner: &Value, path: &str) {
        for imp in inner
            .get("impls")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(block) = self
                .item(&id_key(imp))
                .and_then(|i| i.pointer("/inner/impl"))
            else {
                continue;
            };
            if block.get("is_synthetic").and_then(Value::as_bool) == Some(true)
                || block.get("blanket_impl").is_some_and(|b| !b.is_null())
            {
                continue;
            }
            match block.get("trait").filter(|t| !t.is_null()) {
                Some(t) => {
                    let negative = block.get("is_negative").and_then(Value::as_bool) == Some(true);
                    let bang = if negative { "!" } else { "" };
                    self.lines
                        .insert(format!("impl {bang}{} for {path}", path_ty(t)));
                }
                None => {
                    for child in block
                        .get("items")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                    {
                        let cid = id_key(child);
                        let public = self
                            .item(&cid)
                            .and_then(|i| i.get("visibility"))
                            .and_then(Value::as_str)
                            == Some("public");
                        if public {
                            self.assoc_item(&cid, path, "method");
                        }
                    }
                }
            }
        }
    }
}

/// `<generics>(args) -> output` of a function item.
fn signature(inner: &Value) -> String {
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
    let output = sig
        .and_then(|s| s.get("output"))
        .filter(|o| !o.is_null())
        .map(|o| format!(" -> {}", ty(o)))
        .unwrap_or_default();
    format!("{}({args}){output}", generics(inner.get("generics")))
}

/// `<T: Bound, 'a>` from a generics object, leaving out `impl Trait`
/// parameters (they show in the argument list).
fn generics(g: Option<&Value>) -> String {
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
fn path_ty(p: &Value) -> String {
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
        let out = pz
            .get("output")
            .filter(|o| !o.is_null())
            .map(|o| format!(" -> {}", ty(o)))
            .unwrap_or_default();
        format!("{name}({inputs}){out}")
    } else {
        name.to_string()
    }
}

/// A type as Rust source would spell it (close enough to spot a change).
fn ty(t: &Value) -> String {
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
            let out = sig
                .and_then(|s| s.get("output"))
                .filter(|o| !o.is_null())
                .map(|o| format!(" -> {}", ty(o)))
                .unwrap_or_default();
            format!("fn({inputs}){out}")
        }
        "infer" => "_".to_string(),
        _ => t.to_string(),
    }
}
