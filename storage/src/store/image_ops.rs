//! Registering images and reading their big-data items and records.

use std::fs;

use rpod_runtime_core::error::IoResultExt;
use rpod_runtime_core::storage::ImageRecord;
use rpod_runtime_core::{Error, Result};
use serde_json::Value;

use super::{Store, now};
use crate::containers::Container;
use crate::digest::{sha256_digest, sha256_hex};
use crate::images::{Image, find};
use crate::jsonfile::write_atomic;
use crate::layers::{Layer, chain};
use crate::layout::big_data_file_name;

impl Store {
    /// Reads an image's big-data item.
    pub fn big_data(&self, id: &str, key: &str) -> Result<Vec<u8>> {
        let p = self.layout.image_dir(id).join(big_data_file_name(key));
        fs::read(&p).at(&p)
    }

    /// Records an image (or adds `names` to an existing one with the same
    /// config), storing config and manifest as big data.
    pub fn register_image(
        &self,
        config: &[u8],
        manifest: &[u8],
        top: &str,
        names: &[String],
    ) -> Result<Image> {
        let id = sha256_hex(config);
        let mdigest = sha256_digest(manifest);
        let created = serde_json::from_slice::<Value>(config)
            .ok()
            .and_then(|c| {
                c["created"]
                    .as_str()
                    .and_then(rpod_runtime_core::time::parse_rfc3339)
            })
            .unwrap_or_else(now);
        let g = self.images_lock.lock()?;
        let json = self.layout.images_json();
        let mut imgs = self.images.load(&json)?;
        let dir = self.layout.image_dir(&id);
        fs::create_dir_all(&dir).at(&dir)?;
        let items: [(String, &[u8]); 3] = [
            (format!("sha256:{id}"), config),
            ("manifest".into(), manifest),
            (format!("manifest-{mdigest}"), manifest),
        ];
        for i in imgs.iter_mut() {
            if i.id != id {
                i.names.retain(|n| !names.contains(n));
            }
        }
        let pos = match imgs.iter().position(|i| i.id == id) {
            Some(p) => p,
            None => {
                imgs.push(Image {
                    id: id.clone(),
                    digest: mdigest.clone(),
                    layer: top.to_string(),
                    created: Some(created),
                    metadata: "{}".into(),
                    ..Default::default()
                });
                imgs.len() - 1
            }
        };
        let img = &mut imgs[pos];
        for (key, data) in items {
            write_atomic(&dir.join(big_data_file_name(&key)), data)?;
            if !img.big_data_names.contains(&key) {
                img.big_data_names.push(key.clone());
            }
            img.big_data_sizes.insert(key.clone(), data.len() as u64);
            img.big_data_digests.insert(key, sha256_digest(data));
        }
        if !img.digests.contains(&mdigest) {
            img.digests.push(mdigest.clone());
        }
        if img.digest.is_empty() {
            img.digest = mdigest;
        }
        for n in names {
            if !img.names.contains(n) {
                img.names.push(n.clone());
            }
            img.names_history.retain(|h| h != n);
            img.names_history.insert(0, n.clone());
        }
        let out = img.clone();
        self.images.save(&json, &imgs)?;
        g.touch();
        Ok(out)
    }

    pub(super) fn record_of(&self, img: &Image, layers: &[Layer]) -> ImageRecord {
        ImageRecord {
            id: img.id.clone(),
            names: img.names.clone(),
            digest: img.digest.clone(),
            top_layer: img.layer.clone(),
            created: img.created.unwrap_or_default(),
            size: chain(layers, &img.layer).iter().map(|l| l.diff_size).sum(),
            read_only: false,
        }
    }

    pub(super) fn find_image(&self, name_or_id: &str) -> Result<Image> {
        let imgs = self.image_records()?;
        find(&imgs, name_or_id).cloned()
    }

    pub(super) fn find_container(&self, id: &str) -> Result<Container> {
        self.container_records()?
            .into_iter()
            .find(|c| c.id == id || c.names.iter().any(|n| n == id))
            .ok_or_else(|| Error::NoSuchCtr.context(format!("container {id:?}")))
    }
}
