//! [`Storage`](rpod_runtime_core::storage::Storage) for [`Store`]: the engine's view of images,
//! layers and container file systems.

use std::collections::HashSet;
use std::fs;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use crate::parallel;
use rpod_runtime_core::error::IoResultExt;
use rpod_runtime_core::failpoint;
use rpod_runtime_core::storage::{
    ArchiveFormat, Change, ImageRecord, ImportOptions, LayerRecord, StorageContainer,
};
use rpod_runtime_core::time::rfc3339_nano_fixed;
use rpod_runtime_core::{Error, Result};
use serde_json::{Value, json};

use super::{Driver, Store, now};
use crate::containers::Container;
use crate::images::normalize_name;
use crate::layers::chain;
use crate::treetar;

fn normalize_all(names: &[String]) -> Result<Vec<String>> {
    names.iter().map(|n| normalize_name(n)).collect()
}

impl rpod_runtime_core::storage::Storage for Store {
    fn driver_name(&self) -> &str {
        match self.driver {
            Driver::Overlay => "overlay",
            Driver::Vfs => "vfs",
        }
    }

    fn graph_root(&self) -> PathBuf {
        self.layout.graph.clone()
    }

    fn run_root(&self) -> PathBuf {
        self.layout.run.clone()
    }

    fn driver_status(&self) -> Vec<(String, String)> {
        self.status.clone()
    }

    fn images(&self) -> Result<Vec<ImageRecord>> {
        let ls = self.layer_records()?;
        Ok(self
            .image_records()?
            .iter()
            .map(|i| self.record_of(i, &ls))
            .collect())
    }

    fn lookup_image(&self, name_or_id: &str) -> Result<ImageRecord> {
        let img = self.find_image(name_or_id)?;
        Ok(self.record_of(&img, &self.layer_records()?))
    }

    fn image_digest(&self, name_or_id: &str) -> Result<String> {
        Ok(self.find_image(name_or_id)?.digest)
    }

    fn image_config(&self, id: &str) -> Result<Value> {
        let img = self.find_image(id)?;
        Ok(serde_json::from_slice(
            &self.big_data(&img.id, &img.config_key())?,
        )?)
    }

    fn image_history(&self, id: &str) -> Result<Vec<Value>> {
        Ok(self.image_config(id)?["history"]
            .as_array()
            .cloned()
            .unwrap_or_default())
    }

    fn import_image(&self, tar: &mut dyn Read, opts: &ImportOptions) -> Result<ImageRecord> {
        let names = normalize_all(&opts.names)?;
        let mut layer = self.put_layer("", tar)?;
        failpoint::hit("import.layer")?;
        // An imported tarball is stored as one uncompressed layer.
        if layer.compressed_diff_digest != layer.diff_digest {
            let g = self.layers_lock.lock()?;
            let mut ls = self.layers.load(&self.layout.layers_json())?;
            if let Some(l) = ls.iter_mut().find(|l| l.id == layer.id) {
                l.compressed_diff_digest = l.diff_digest.clone();
                l.compressed_size = l.diff_size;
                l.compression = 0;
                layer = l.clone();
            }
            self.layers.save(&self.layout.layers_json(), &ls)?;
            g.touch();
        }
        let config =
            crate::import::import_config(&layer.diff_digest, &opts.changes, &opts.message)?;
        let config = serde_json::to_vec(&config)?;
        let manifest =
            crate::import::oci_manifest(&config, &[(layer.diff_digest.clone(), layer.diff_size)]);
        let img = self.register_image(&config, &manifest, &layer.id, &names)?;
        Ok(self.record_of(&img, &self.layer_records()?))
    }

    fn load_images(&self, archive: &mut dyn Read) -> Result<Vec<ImageRecord>> {
        let imgs = crate::archive::load(self, archive)?;
        let ls = self.layer_records()?;
        Ok(imgs.iter().map(|i| self.record_of(i, &ls)).collect())
    }

    fn save_images(
        &self,
        ids: &[(String, Vec<String>)],
        format: ArchiveFormat,
        out: &mut dyn Write,
        dir: Option<&Path>,
    ) -> Result<()> {
        let mut sel = Vec::new();
        for (id, names) in ids {
            let img = self.find_image(id)?;
            sel.push((img, normalize_all(names)?));
        }
        crate::archive::save(self, &sel, format, out, dir)
    }

    fn remove_image(&self, id: &str) -> Result<()> {
        let img = self.find_image(id)?;
        let lg = self.layers_lock.lock()?;
        let ig = self.images_lock.lock()?;
        let _cg = self.containers_lock.lock()?;
        if let Some(c) = self.container_records()?.iter().find(|c| c.image == img.id) {
            return Err(Error::msg(format!(
                "image used by {}: image is in use by a container: consider listing external containers and force-removing image",
                c.id
            )));
        }
        let mut imgs = self.images.load(&self.layout.images_json())?;
        imgs.retain(|i| i.id != img.id);
        self.images.save(&self.layout.images_json(), &imgs)?;
        ig.touch();
        let _ = fs::remove_dir_all(self.layout.image_dir(&img.id));
        // Remove the image's layers that nothing else uses, top down.
        let json = self.layout.layers_json();
        let mut ls = self.layers.load(&json)?;
        let ctr_layers: HashSet<String> = self
            .container_records()?
            .into_iter()
            .map(|c| c.layer)
            .collect();
        let mut cur = img.layer.clone();
        while !cur.is_empty() {
            let used = imgs.iter().any(|i| i.layer == cur)
                || ls.iter().any(|l| l.parent == cur)
                || ctr_layers.contains(&cur);
            let Some(parent) = ls.iter().find(|l| l.id == cur).map(|l| l.parent.clone()) else {
                break;
            };
            if used {
                break;
            }
            self.delete_layer_locked(&mut ls, &cur)?;
            cur = parent;
        }
        self.layers.save(&json, &ls)?;
        lg.touch();
        Ok(())
    }

    fn tag_image(&self, id: &str, name: &str) -> Result<()> {
        let img = self.find_image(id)?;
        let name = normalize_name(name)?;
        let g = self.images_lock.lock()?;
        let mut imgs = self.images.load(&self.layout.images_json())?;
        for i in imgs.iter_mut() {
            if i.id == img.id {
                if !i.names.contains(&name) {
                    i.names.push(name.clone());
                }
                i.names_history.retain(|h| *h != name);
                i.names_history.insert(0, name.clone());
            } else {
                i.names.retain(|n| *n != name);
            }
        }
        self.images.save(&self.layout.images_json(), &imgs)?;
        g.touch();
        Ok(())
    }

    fn untag_image(&self, id: &str, name: &str) -> Result<()> {
        let img = self.find_image(id)?;
        let full = normalize_name(name)?;
        let g = self.images_lock.lock()?;
        let mut imgs = self.images.load(&self.layout.images_json())?;
        let i = imgs
            .iter_mut()
            .find(|i| i.id == img.id)
            .ok_or_else(|| Error::msg("image not known").context(id.to_string()))?;
        let before = i.names.len();
        i.names.retain(|n| *n != full && n != name);
        if i.names.len() == before {
            return Err(Error::msg(format!("{name}: tag not known")));
        }
        self.images.save(&self.layout.images_json(), &imgs)?;
        g.touch();
        Ok(())
    }

    fn mount_image(&self, id: &str) -> Result<PathBuf> {
        let img = self.find_image(id)?;
        let _g = self.layers_lock.lock()?;
        self.mount_layer(&img.layer, true)
    }

    fn unmount_image(&self, id: &str, force: bool) -> Result<()> {
        let img = self.find_image(id)?;
        let _g = self.layers_lock.lock()?;
        self.unmount_layer(&img.layer, force)
    }

    fn layers(&self) -> Result<Vec<LayerRecord>> {
        Ok(self
            .layer_records()?
            .into_iter()
            .map(|l| LayerRecord {
                id: l.id,
                parent: l.parent,
                diff_digest: l.diff_digest,
                diff_size: l.diff_size,
                created: l.created,
            })
            .collect())
    }

    fn create_container(&self, id: &str, name: &str, image: &str) -> Result<StorageContainer> {
        if id.is_empty() {
            return Err(Error::EmptyId);
        }
        let img = self.find_image(image)?;
        let layer = self.create_rw_layer(&img.layer, name)?;
        let res = (|| -> Result<Container> {
            let g = self.containers_lock.lock()?;
            let json = self.layout.containers_json();
            let mut cs = self.containers.load(&json)?;
            if cs
                .iter()
                .any(|c| c.id == id || (!name.is_empty() && c.names.iter().any(|n| n == name)))
            {
                return Err(
                    Error::CtrExists.context(format!("creating container {id:?} ({name:?})"))
                );
            }
            let created = now();
            let metadata = json!({
                "image-name": img.names.first().cloned().unwrap_or_default(),
                "image-id": img.id,
                "name": name,
                "created-at": created.timestamp(),
            });
            let mut c = Container {
                id: id.to_string(),
                names: if name.is_empty() {
                    Vec::new()
                } else {
                    vec![name.to_string()]
                },
                image: img.id.clone(),
                layer: layer.id.clone(),
                metadata: metadata.to_string(),
                created: Some(created),
                ..Default::default()
            };
            c.flags.insert("MountLabel".into(), json!(""));
            c.flags.insert("ProcessLabel".into(), json!(""));
            for d in [
                self.layout.container_dir(id),
                self.layout.container_run_dir(id),
            ] {
                fs::create_dir_all(&d).at(&d)?;
            }
            cs.push(c.clone());
            self.containers.save(&json, &cs)?;
            g.touch();
            Ok(c)
        })();
        match res {
            Ok(c) => Ok(c.to_storage()),
            Err(e) => {
                let g = self.layers_lock.lock()?;
                let mut ls = self.layers.load(&self.layout.layers_json())?;
                self.delete_layer_locked(&mut ls, &layer.id)?;
                self.layers.save(&self.layout.layers_json(), &ls)?;
                g.touch();
                Err(e)
            }
        }
    }

    fn mount_container(&self, id: &str) -> Result<PathBuf> {
        let c = self.find_container(id)?;
        let _g = self.layers_lock.lock()?;
        self.mount_layer(&c.layer, false)
    }

    fn unmount_container(&self, id: &str, force: bool) -> Result<()> {
        let c = self.find_container(id)?;
        let _g = self.layers_lock.lock()?;
        self.unmount_layer(&c.layer, force)
    }

    fn delete_container(&self, id: &str) -> Result<()> {
        let c = self.find_container(id)?;
        self.delete_containers(&[c.id])
    }

    fn remove_layer(&self, id: &str) -> Result<()> {
        let _lg = self.layers_lock.lock()?;
        let json = self.layout.layers_json();
        let mut ls = self.layers.load(&json)?;
        if !ls.iter().any(|l| l.id == id) {
            return Err(Error::InvalidArg.context(format!("layer {id}: layer not known")));
        }
        let used = ls.iter().any(|l| l.parent == id)
            || self.image_records()?.iter().any(|i| i.layer == id)
            || self.container_records()?.iter().any(|c| c.layer == id);
        if used {
            return Err(Error::InvalidArg.context(format!("layer {id} is in use")));
        }
        self.delete_layer_locked(&mut ls, id)?;
        self.layers.save(&json, &ls)
    }

    fn delete_containers(&self, ids: &[String]) -> Result<()> {
        let wanted: HashSet<&str> = ids.iter().map(String::as_str).collect();
        let doomed: Vec<Container> = self
            .container_records()?
            .into_iter()
            .filter(|c| wanted.contains(c.id.as_str()))
            .collect();
        if doomed.is_empty() {
            return Ok(());
        }
        let lg = self.layers_lock.lock()?;
        let cg = self.containers_lock.lock()?;
        let mut ls = self.layers.load(&self.layout.layers_json())?;
        let mut first_err = None;
        let mut unmounted: Vec<&Container> = Vec::with_capacity(doomed.len());
        for c in &doomed {
            match self.unmount_layer(&c.layer, true) {
                Ok(()) => unmounted.push(c),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        // The trees are independent; deleting them side by side overlaps
        // the disk waits.
        let outcomes = parallel::map(&unmounted, |c| self.remove_layer_files(&c.layer));
        let mut deleted: HashSet<&str> = HashSet::new();
        for (c, outcome) in unmounted.iter().zip(outcomes) {
            match outcome {
                Ok(()) => {
                    deleted.insert(c.id.as_str());
                    ls.retain(|l| l.id != c.layer);
                }
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        // Layers first: a crash before the containers index is written
        // leaves records whose layer is gone, which the next delete
        // finishes.
        self.layers.save(&self.layout.layers_json(), &ls)?;
        lg.touch();
        let json = self.layout.containers_json();
        let mut cs = self.containers.load(&json)?;
        cs.retain(|x| !deleted.contains(x.id.as_str()));
        self.containers.save(&json, &cs)?;
        cg.touch();
        let gone: Vec<&str> = deleted.into_iter().collect();
        parallel::map(&gone, |id| {
            for d in [
                self.layout.container_dir(id),
                self.layout.container_run_dir(id),
            ] {
                if let Some(p) = d.parent() {
                    let _ = fs::remove_dir_all(p);
                }
            }
        });
        first_err.map_or(Ok(()), Err)
    }

    fn containers(&self) -> Result<Vec<StorageContainer>> {
        Ok(self
            .container_records()?
            .iter()
            .map(Container::to_storage)
            .collect())
    }

    fn container_mounted(&self, id: &str) -> Result<bool> {
        let c = self.find_container(id)?;
        Ok(self.mount_count(&c.layer)? > 0)
    }

    fn container_dir(&self, id: &str) -> Result<PathBuf> {
        let c = self.find_container(id)?;
        Ok(self.layout.container_dir(&c.id))
    }

    fn container_run_dir(&self, id: &str) -> Result<PathBuf> {
        let c = self.find_container(id)?;
        Ok(self.layout.container_run_dir(&c.id))
    }

    fn container_dirs(&self, id: &str) -> rpod_runtime_core::storage::ContainerDirs {
        self.layout.container_dirs(id)
    }

    fn container_changes(&self, id: &str) -> Result<Vec<Change>> {
        let c = self.find_container(id)?;
        match self.driver {
            Driver::Overlay => self.overlay_changes(&c.layer),
            Driver::Vfs => {
                let parent = self
                    .layer_records()?
                    .into_iter()
                    .find(|l| l.id == c.layer)
                    .map(|l| l.parent)
                    .unwrap_or_default();
                self.vfs_changes(&parent, &c.layer)
            }
        }
    }

    fn container_rw_size(&self, id: &str) -> Result<u64> {
        let c = self.find_container(id)?;
        let parent = self
            .layer_records()?
            .into_iter()
            .find(|l| l.id == c.layer)
            .map(|l| l.parent)
            .unwrap_or_default();
        self.layer_rw_size(&c.layer, &parent)
    }

    fn export_container(&self, id: &str, out: &mut dyn Write) -> Result<()> {
        let root = self.mount_container(id)?;
        let res = treetar::write_tree(&root, out);
        let un = self.unmount_container(id, false);
        res.and(un)
    }

    fn commit_container(
        &self,
        id: &str,
        opts: &ImportOptions,
        config: Value,
    ) -> Result<ImageRecord> {
        let c = self.find_container(id)?;
        let img = self.find_image(&c.image)?;
        let names = normalize_all(&opts.names)?;
        let mut cfg: Value = serde_json::from_slice(&self.big_data(&img.id, &img.config_key())?)?;
        // The container's changes as a layer tar, in a scratch file.
        let (mut f, p) = self.scratch_file("commit")?;
        match self.driver {
            Driver::Overlay => treetar::write_overlay_diff(&self.layer_root(&c.layer), &mut f)?,
            Driver::Vfs => self.write_vfs_changes(&img.layer, &c.layer, &mut f)?,
        }
        f.rewind().at(&p)?;
        let layer = self.put_layer(&img.layer, &mut f)?;
        failpoint::hit("commit.layer")?;
        let section = match &config {
            Value::Object(m) if m.contains_key("config") => Some(m["config"].clone()),
            Value::Object(m) if !m.is_empty() => Some(config.clone()),
            _ => None,
        };
        if let Some(s) = section {
            cfg["config"] = s;
        }
        let mut section = cfg["config"].as_object().cloned().unwrap_or_default();
        crate::import::apply_changes(&mut section, &opts.changes)?;
        cfg["config"] = Value::Object(section);
        let created = rfc3339_nano_fixed(&now());
        cfg["created"] = json!(created);
        if !cfg["rootfs"]["diff_ids"].is_array() {
            cfg["rootfs"] = json!({"type": "layers", "diff_ids": []});
        }
        if let Some(a) = cfg["rootfs"]["diff_ids"].as_array_mut() {
            a.push(json!(layer.diff_digest));
        }
        let mut h = json!({"created": created, "created_by": ""});
        if !opts.message.is_empty() {
            h["comment"] = json!(opts.message);
        }
        if !cfg["history"].is_array() {
            cfg["history"] = json!([]);
        }
        if let Some(a) = cfg["history"].as_array_mut() {
            a.push(h);
        }
        let config_bytes = serde_json::to_vec(&cfg)?;
        let ls = self.layer_records()?;
        let mut descs: Vec<(String, u64)> = chain(&ls, &layer.id)
            .iter()
            .map(|l| (l.diff_digest.clone(), l.diff_size))
            .collect();
        descs.reverse();
        let manifest = crate::import::oci_manifest(&config_bytes, &descs);
        let new = self.register_image(&config_bytes, &manifest, &layer.id, &names)?;
        Ok(self.record_of(&new, &self.layer_records()?))
    }

    fn shutdown(&self, force: bool) -> Result<()> {
        if !force {
            return Ok(());
        }
        let ms = self.mounts.load(&self.layout.mountpoints_json())?;
        for m in ms {
            self.unmount_layer(&m.id, true)?;
        }
        Ok(())
    }
}
