//! `image inspect`: the [`ImageInspect`] report (libpod's `ImageData`), with
//! Podman's JSON keys in Podman's order.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Value, json};

use super::layer_chain;
use super::names::split_name;
use crate::error::Result;
use crate::runtime::Runtime;
use crate::storage::{ImageRecord, Storage, image_labels};
use crate::time::rfc3339_si;

/// The manifest type rpod writes.
const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// Everything `image inspect` shows about one image.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageInspect {
    /// Full ID.
    pub id: String,
    /// Manifest digest.
    pub digest: String,
    /// Names.
    pub repo_tags: Vec<String>,
    /// `repository@digest` for each name.
    pub repo_digests: Vec<String>,
    /// The image whose top layer is this one's parent layer.
    pub parent: String,
    /// The config's comment, else the last history entry's.
    pub comment: String,
    /// Creation time (the config's, else the store's).
    pub created: String,
    /// The OCI image config's `config` section as stored (`{}` when absent).
    pub config: Value,
    /// `docker_version` of the config.
    pub version: String,
    /// Author.
    pub author: String,
    /// CPU architecture.
    pub architecture: String,
    /// Operating system.
    pub os: String,
    /// Size of the layers, uncompressed.
    pub size: u64,
    /// Same as `size`.
    pub virtual_size: u64,
    /// The store's driver.
    pub graph_driver: ImageGraphDriver,
    /// The layers' diff IDs.
    #[serde(rename = "RootFS")]
    pub root_fs: ImageRootFs,
    /// Labels (`null` when none).
    pub labels: Option<BTreeMap<String, String>>,
    /// Manifest annotations.
    pub annotations: BTreeMap<String, String>,
    /// Manifest media type.
    pub manifest_type: String,
    /// Default user.
    pub user: String,
    /// The config's history entries as stored.
    pub history: Vec<Value>,
    /// Names the image has had.
    pub names_history: Vec<String>,
}

/// The store's driver for an image.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageGraphDriver {
    /// Driver name.
    pub name: String,
    /// Driver data (`null`).
    pub data: Option<BTreeMap<String, String>>,
}

/// The `RootFS` section.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageRootFs {
    /// `layers`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// Diff IDs, base first.
    pub layers: Vec<Value>,
}

/// Builds the report of `rec` from its OCI config, the ID of its parent
/// image and the store's driver name.
pub fn build_image_inspect(
    rec: &ImageRecord,
    cfg: &Value,
    parent: String,
    driver: &str,
) -> ImageInspect {
    let history = cfg["history"].as_array().cloned().unwrap_or_default();
    let comment = cfg["comment"]
        .as_str()
        .or_else(|| history.last().and_then(|h| h["comment"].as_str()))
        .unwrap_or_default()
        .to_string();
    let labels = image_labels(cfg);
    let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
    ImageInspect {
        id: rec.id.clone(),
        digest: rec.digest.clone(),
        repo_tags: rec.names.clone(),
        repo_digests: rec
            .names
            .iter()
            .map(|n| format!("{}@{}", split_name(n).0, rec.digest))
            .collect(),
        parent,
        comment,
        created: cfg["created"]
            .as_str()
            .map(str::to_string)
            .unwrap_or_else(|| rfc3339_si(&rec.created)),
        config: if cfg["config"].is_object() {
            cfg["config"].clone()
        } else {
            json!({})
        },
        version: text(&cfg["docker_version"]),
        author: text(&cfg["author"]),
        architecture: text(&cfg["architecture"]),
        os: text(&cfg["os"]),
        size: rec.size,
        virtual_size: rec.size,
        graph_driver: ImageGraphDriver {
            name: driver.to_string(),
            data: None,
        },
        root_fs: ImageRootFs {
            kind: cfg["rootfs"]["type"]
                .as_str()
                .unwrap_or("layers")
                .to_string(),
            layers: cfg["rootfs"]["diff_ids"]
                .as_array()
                .cloned()
                .unwrap_or_default(),
        },
        labels: (!labels.is_empty()).then_some(labels),
        annotations: BTreeMap::new(),
        manifest_type: OCI_MANIFEST.into(),
        user: text(&cfg["config"]["User"]),
        history,
        names_history: rec.names.clone(),
    }
}

/// The ID of the image whose top layer is `rec`'s parent layer (empty: none).
fn parent_image(store: &dyn Storage, rec: &ImageRecord) -> Result<String> {
    let chain = layer_chain(store, &rec.top_layer)?;
    let Some((parent_layer, _)) = chain.get(1) else {
        return Ok(String::new());
    };
    Ok(store
        .images()?
        .into_iter()
        .find(|i| &i.top_layer == parent_layer)
        .map(|i| i.id)
        .unwrap_or_default())
}

impl Runtime {
    /// The inspect report of the image `name_or_id` (the store's lookup
    /// error, `...: image not known`, when there is none).
    pub fn inspect_image(&self, name_or_id: &str) -> Result<ImageInspect> {
        let store = self.storage_or_err()?;
        let rec = store.lookup_image(name_or_id)?;
        let cfg = store.image_config(&rec.id)?;
        let parent = parent_image(store, &rec)?;
        Ok(build_image_inspect(&rec, &cfg, parent, store.driver_name()))
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn report_reads_the_config() {
        let rec = ImageRecord {
            id: "b".repeat(64),
            names: vec!["localhost/x:1".into()],
            digest: "sha256:d".into(),
            top_layer: "l".into(),
            created: chrono::Utc
                .with_ymd_and_hms(2026, 1, 2, 3, 4, 5)
                .single()
                .unwrap_or_default(),
            size: 42,
            read_only: false,
        };
        let cfg = json!({
            "architecture": "amd64", "os": "linux",
            "config": {"User": "u", "Labels": {"k": "v"}},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:1"]},
            "history": [{"comment": "first"}, {"comment": "last"}],
        });
        let r = build_image_inspect(&rec, &cfg, "p".into(), "vfs");
        assert_eq!(r.repo_digests, ["localhost/x@sha256:d"]);
        assert_eq!(r.comment, "last");
        assert_eq!(r.created, "2026-01-02T03:04:05Z");
        assert_eq!(r.user, "u");
        assert_eq!(r.graph_driver.name, "vfs");
        assert_eq!(r.labels.as_ref().map(|l| l["k"].as_str()), Some("v"));
        let v = serde_json::to_value(&r).unwrap_or_default();
        assert_eq!(v["RootFS"]["Type"], "layers");
        assert_eq!(v["GraphDriver"]["Data"], Value::Null);
        assert_eq!(v["Parent"], "p");

        let bare = build_image_inspect(&rec, &json!({}), String::new(), "overlay");
        assert_eq!(bare.labels, None);
        assert_eq!(bare.config, json!({}));
        assert_eq!(bare.root_fs.kind, "layers");
    }
}
