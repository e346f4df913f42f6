//! `layers.json` records (containers/storage's `Layer`, kebab-case keys,
//! unknown keys kept) and layer ID rules.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

fn is_zero(n: &u64) -> bool {
    *n == 0
}
fn is_zero_i(n: &i32) -> bool {
    *n == 0
}

/// One layer record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Layer {
    /// 64-hex ID.
    pub id: String,
    /// Names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// Parent layer ID.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub parent: String,
    /// Creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<DateTime<Utc>>,
    /// Digest of the blob as given.
    #[serde(
        rename = "compressed-diff-digest",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub compressed_diff_digest: String,
    /// Size of the blob as given.
    #[serde(rename = "compressed-size", default, skip_serializing_if = "is_zero")]
    pub compressed_size: u64,
    /// Digest of the uncompressed tar.
    #[serde(
        rename = "diff-digest",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub diff_digest: String,
    /// Size of the uncompressed tar.
    #[serde(rename = "diff-size", default, skip_serializing_if = "is_zero")]
    pub diff_size: u64,
    /// Compression of the blob as given.
    #[serde(default, skip_serializing_if = "is_zero_i")]
    pub compression: i32,
    /// Flags (`incomplete`).
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub flags: Map<String, Value>,
    /// Keys this crate does not interpret, kept as they were.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Layer {
    /// True while the layer is being written (or was abandoned mid-write).
    pub fn incomplete(&self) -> bool {
        self.flags
            .get("incomplete")
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }
}

/// The ID containers/image gives a layer: the diff ID's hex for a base
/// layer, else sha256(parent ID + "+" + diff ID hex).
pub fn layer_id(parent: &str, diff_digest: &str) -> String {
    let hex = crate::digest::digest_hex(diff_digest);
    if parent.is_empty() {
        hex.to_string()
    } else {
        crate::digest::sha256_hex(format!("{parent}+{hex}").as_bytes())
    }
}

/// The chain of layers from `top` down to the base (top first).
pub fn chain<'a>(layers: &'a [Layer], top: &str) -> Vec<&'a Layer> {
    let mut out = Vec::new();
    let mut cur = top.to_string();
    while !cur.is_empty() {
        let Some(l) = layers.iter().find(|l| l.id == cur) else {
            break;
        };
        if out.iter().any(|x: &&Layer| x.id == l.id) {
            break;
        }
        out.push(l);
        cur = l.parent.clone();
    }
    out
}

/// One `mountpoints.json` record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MountPoint {
    /// Layer ID.
    pub id: String,
    /// Where it is mounted.
    #[serde(default)]
    pub path: String,
    /// Reference count.
    #[serde(default)]
    pub count: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layer_ids_follow_containers_image() {
        let base = "sha256:a7240226f86ffcd3ef2fbb4b69ccf96ef9930ede1cb6d9e7bc56ab7ac2d2a6d0";
        assert_eq!(layer_id("", base), crate::digest::digest_hex(base));
        let p = crate::digest::digest_hex(base);
        let want = crate::digest::sha256_hex(format!("{p}+34c5a013").as_bytes());
        assert_eq!(layer_id(p, "sha256:34c5a013"), want);
    }
}
