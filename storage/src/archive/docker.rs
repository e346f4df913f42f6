//! docker-archive (`docker save`): `manifest.json`, `<config>.json`,
//! `<diff>.tar` layers and `repositories`.

use serde_json::{Value, json};

use rpod_runtime_core::{Error, Result};

use super::{Sink, Unpacked, put_layer_blob};
use crate::digest::{digest_hex, sha256_digest};
use crate::images::{Image, normalize_name};
use crate::layers::chain;
use crate::store::Store;

/// Loads every image listed in `manifest.json`.
pub fn load(store: &Store, u: &Unpacked) -> Result<Vec<Image>> {
    let manifest: Vec<Value> = serde_json::from_slice(&u.read("manifest.json")?)?;
    let mut out = Vec::new();
    for m in manifest {
        let cfg_name = m["Config"]
            .as_str()
            .ok_or_else(|| Error::msg("manifest.json: entry without Config"))?;
        let config = u.read(cfg_name)?;
        let cfg: Value = serde_json::from_slice(&config)?;
        let diff_ids: Vec<String> = cfg["rootfs"]["diff_ids"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|d| d.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let layer_names: Vec<&str> = m["Layers"]
            .as_array()
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        if layer_names.len() != diff_ids.len() {
            return Err(Error::msg(format!(
                "{cfg_name}: {} layers but {} diff IDs",
                layer_names.len(),
                diff_ids.len()
            )));
        }
        let mut parent = String::new();
        let mut descs = Vec::new();
        for (name, want) in layer_names.iter().zip(&diff_ids) {
            let mut f = u.open(name)?;
            let l = store.put_layer(&parent, &mut f)?;
            if l.diff_digest != *want {
                return Err(Error::msg(format!(
                    "layer {name}: diff ID {} does not match the config's {want}",
                    l.diff_digest
                )));
            }
            descs.push(json!({
                "mediaType": "application/vnd.docker.image.rootfs.diff.tar",
                "size": l.compressed_size,
                "digest": l.compressed_diff_digest,
            }));
            parent = l.id;
        }
        let man = json!({
            "schemaVersion": 2,
            "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": config.len(),
                "digest": sha256_digest(&config),
            },
            "layers": descs,
        });
        let names: Vec<String> = m["RepoTags"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(normalize_name)
                    .collect::<Result<_>>()
            })
            .transpose()?
            .unwrap_or_default();
        out.push(store.register_image(&config, &serde_json::to_vec(&man)?, &parent, &names)?);
    }
    Ok(out)
}

/// Writes `images` as a docker-archive.
pub fn save(store: &Store, images: &[(Image, Vec<String>)], sink: &mut dyn Sink) -> Result<()> {
    let ls = store.layer_records()?;
    let mut manifest = Vec::new();
    let mut repos = serde_json::Map::new();
    for (img, names) in images {
        let config = store.big_data(&img.id, &img.config_key())?;
        let cfg_name = format!("{}.json", img.id);
        if !sink.has(&cfg_name) {
            sink.file(&cfg_name, &config)?;
        }
        let mut layers = chain(&ls, &img.layer);
        layers.reverse();
        let mut lnames = Vec::new();
        for l in &layers {
            let name = format!("{}.tar", digest_hex(&l.diff_digest));
            put_layer_blob(store, sink, &name, l)?;
            lnames.push(name);
        }
        let top = layers
            .last()
            .map(|l| digest_hex(&l.diff_digest).to_string())
            .unwrap_or_default();
        for n in names {
            if let Some((repo, tag)) = n.rsplit_once(':').filter(|(r, _)| !r.contains('@')) {
                let e = repos.entry(repo.to_string()).or_insert_with(|| json!({}));
                e[tag] = json!(top);
            }
        }
        manifest.push(json!({"Config": cfg_name, "RepoTags": names, "Layers": lnames}));
    }
    sink.file("manifest.json", &serde_json::to_vec(&manifest)?)?;
    sink.file("repositories", &serde_json::to_vec(&Value::Object(repos))?)
}
