//! Walks rustdoc's JSON index from the crate root along public paths and
//! writes one line per reachable item.

use std::collections::{BTreeSet, HashSet};

use serde_json::Value;

use super::render::{generics, path_ty, signature, ty};
use crate::Result;

/// Every public item reachable from the crate root, one line each.
pub(super) fn public_api(doc: &Value) -> Result<BTreeSet<String>> {
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
