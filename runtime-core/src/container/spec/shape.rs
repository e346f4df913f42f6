//! The JSON shape Podman writes for a spec, and reading it back.
//!
//! oci-spec keeps capability sets in hash sets and annotations and sysctls
//! in hash maps, and orders the top-level keys its own way. Podman (Go)
//! writes the top-level keys in the runtime-spec's struct order, capability
//! lists sorted and map keys sorted; [`spec_to_json`] does the same, so the
//! `config.json` and the stored record read as Podman's do.

use oci_spec::runtime::{Process, Spec};
use serde::Deserialize;
use serde_json::{Map, Value};

use std::path::Path;

use crate::error::{IoResultExt, Result, ResultExt};

/// The top-level keys of a spec in the order Go's runtime-spec writes them.
const SPEC_KEY_ORDER: [&str; 13] = [
    "ociVersion",
    "process",
    "root",
    "hostname",
    "domainname",
    "mounts",
    "hooks",
    "annotations",
    "linux",
    "solaris",
    "windows",
    "vm",
    "zos",
];

/// The capability sets of `process.capabilities`.
const CAPABILITY_SETS: [&str; 5] = [
    "bounding",
    "effective",
    "inheritable",
    "permitted",
    "ambient",
];

/// Sorts the strings of an array in place.
fn sort_strings(v: &mut Value) {
    if let Value::Array(items) = v {
        items.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
    }
}

/// Sorts the keys of an object in place (Go writes map keys sorted).
fn sort_keys(v: &mut Value) {
    if let Value::Object(m) = v {
        let mut entries: Vec<(String, Value)> = std::mem::take(m).into_iter().collect();
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        m.extend(entries);
    }
}

/// The object at `path` under `v`, if there is one.
fn at<'a>(v: &'a mut Value, path: &[&str]) -> Option<&'a mut Value> {
    path.iter().try_fold(v, |v, k| v.get_mut(*k))
}

/// Sorts every capability set of a `process` object.
fn sort_capabilities(process: &mut Value) {
    if let Some(caps) = process.get_mut("capabilities") {
        for set in CAPABILITY_SETS {
            if let Some(list) = caps.get_mut(set) {
                sort_strings(list);
            }
        }
    }
}

/// The OCI `process` as JSON, capability lists sorted by name.
pub fn process_to_json(process: &Process) -> Result<Value> {
    let mut v = serde_json::to_value(process)?;
    sort_capabilities(&mut v);
    Ok(v)
}

/// The spec as the JSON Podman writes: top-level keys in Go's order (keys
/// this list does not know follow in oci-spec's order), capability lists
/// sorted by name, and annotation, sysctl and unified-cgroup keys sorted.
pub fn spec_to_json(spec: &Spec) -> Result<Value> {
    let mut v = serde_json::to_value(spec)?;
    if let Some(p) = v.get_mut("process") {
        sort_capabilities(p);
    }
    for path in [
        &["annotations"][..],
        &["linux", "sysctl"],
        &["linux", "resources", "unified"],
    ] {
        if let Some(m) = at(&mut v, path) {
            sort_keys(m);
        }
    }
    let Value::Object(mut m) = v else {
        return Ok(v);
    };
    let mut ordered = Map::new();
    for k in SPEC_KEY_ORDER {
        if let Some(x) = m.shift_remove(k) {
            ordered.insert(k.to_string(), x);
        }
    }
    ordered.extend(m);
    Ok(Value::Object(ordered))
}

/// Writes the spec to `path` (a bundle's `config.json`) as [`spec_to_json`] shapes it.
pub fn write_config_json(spec: &Spec, path: &Path) -> Result<()> {
    let text = serde_json::to_vec(&spec_to_json(spec)?)?;
    std::fs::write(path, text).at(path)
}

/// Reads a spec from its JSON (as Podman or rpod stored it).
pub fn spec_from_json(v: &Value) -> Result<Spec> {
    Spec::deserialize(v).context("decoding the container's OCI spec")
}
