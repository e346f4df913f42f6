//! OCI image layouts (`oci-layout`, `index.json`, `blobs/sha256/…`), as an
//! archive or a directory. Blob names are checked against their content.

use serde_json::{Value, json};

use rpod_runtime_core::{Error, Result};

use super::{Sink, Unpacked, put_layer_blob};
use crate::digest::sha256_digest;
use crate::images::{Image, normalize_name};
use crate::layers::chain;
use crate::store::Store;

const REF_NAME: &str = "org.opencontainers.image.ref.name";

fn blob_name(digest: &str) -> Result<String> {
    let hex = digest
        .strip_prefix("sha256:")
        .filter(|h| rpod_runtime_core::names::is_full_id(h))
        .ok_or_else(|| Error::msg(format!("unsupported digest {digest:?}")))?;
    Ok(format!("blobs/sha256/{hex}"))
}

fn verified_blob(u: &Unpacked, digest: &str) -> Result<Vec<u8>> {
    let data = u.read(&blob_name(digest)?)?;
    if sha256_digest(&data) != digest {
        return Err(Error::msg(format!(
            "blob {digest}: content does not match its digest"
        )));
    }
    Ok(data)
}

/// Loads every manifest listed in `index.json`.
pub fn load(store: &Store, u: &Unpacked) -> Result<Vec<Image>> {
    let index: Value = serde_json::from_slice(&u.read("index.json")?)?;
    let mut out = Vec::new();
    for desc in index["manifests"].as_array().cloned().unwrap_or_default() {
        let mdigest = desc["digest"].as_str().unwrap_or("");
        let manifest = verified_blob(u, mdigest)?;
        let m: Value = serde_json::from_slice(&manifest)?;
        if m["manifests"].is_array() {
            return Err(Error::msg(format!(
                "{mdigest}: nested image indexes are not supported"
            )));
        }
        let config = verified_blob(u, m["config"]["digest"].as_str().unwrap_or(""))?;
        let cfg: Value = serde_json::from_slice(&config)?;
        let diff_ids: Vec<String> = cfg["rootfs"]["diff_ids"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|d| d.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let layers = m["layers"].as_array().cloned().unwrap_or_default();
        if layers.len() != diff_ids.len() {
            return Err(Error::msg(format!(
                "{mdigest}: {} layers but {} diff IDs",
                layers.len(),
                diff_ids.len()
            )));
        }
        let mut parent = String::new();
        for (l, want) in layers.iter().zip(&diff_ids) {
            let d = l["digest"].as_str().unwrap_or("");
            let mut f = u.open(&blob_name(d)?)?;
            let layer = store.put_layer(&parent, &mut f)?;
            if layer.compressed_diff_digest != d {
                return Err(Error::msg(format!(
                    "blob {d}: content does not match its digest"
                )));
            }
            if layer.diff_digest != *want {
                return Err(Error::msg(format!(
                    "layer {d}: diff ID {} does not match {want}",
                    layer.diff_digest
                )));
            }
            parent = layer.id;
        }
        let names = match desc["annotations"][REF_NAME].as_str() {
            Some(r) if !r.is_empty() => vec![normalize_name(r)?],
            _ => Vec::new(),
        };
        out.push(store.register_image(&config, &manifest, &parent, &names)?);
    }
    Ok(out)
}

/// Writes `images` as an OCI layout (uncompressed layer blobs).
pub fn save(store: &Store, images: &[(Image, Vec<String>)], sink: &mut dyn Sink) -> Result<()> {
    let ls = store.layer_records()?;
    let mut manifests = Vec::new();
    for (img, names) in images {
        let config = store.big_data(&img.id, &img.config_key())?;
        let cdig = sha256_digest(&config);
        if !sink.has(&blob_name(&cdig)?) {
            sink.file(&blob_name(&cdig)?, &config)?;
        }
        let mut layers = chain(&ls, &img.layer);
        layers.reverse();
        let mut descs = Vec::new();
        for l in &layers {
            put_layer_blob(store, sink, &blob_name(&l.diff_digest)?, l)?;
            descs.push((l.diff_digest.clone(), l.diff_size));
        }
        let manifest = crate::import::oci_manifest(&config, &descs);
        let mdig = sha256_digest(&manifest);
        if !sink.has(&blob_name(&mdig)?) {
            sink.file(&blob_name(&mdig)?, &manifest)?;
        }
        let base = json!({
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": mdig,
            "size": manifest.len(),
        });
        if names.is_empty() {
            manifests.push(base.clone());
        }
        for n in names {
            let mut d = base.clone();
            d["annotations"] = json!({ REF_NAME: n });
            manifests.push(d);
        }
    }
    sink.file("oci-layout", br#"{"imageLayoutVersion": "1.0.0"}"#)?;
    sink.file(
        "index.json",
        &serde_json::to_vec(&json!({"schemaVersion": 2, "manifests": manifests}))?,
    )
}
