//! Writing, deleting, mounting and unmounting layers under the layers and
//! mount-point locks.

use std::io::Read;
use std::path::{Path, PathBuf};

use rpod_runtime_core::names::generate_id;
use rpod_runtime_core::{Error, Result};
use serde_json::Value;

use super::{Driver, Store, now};
use crate::jsonfile::write_atomic;
use crate::layers::{Layer, MountPoint, layer_id};
use crate::tar_apply::apply_layer;
use crate::{overlay, vfs};

impl Store {
    /// Creates a layer from the tar in `input` on top of `parent` (reusing an
    /// existing layer with the same ID). Holds the layers lock throughout,
    /// as containers/storage does, so an `incomplete` layer seen under the
    /// lock is always a dead one.
    pub fn put_layer(&self, parent: &str, input: &mut dyn Read) -> Result<Layer> {
        let g = self.layers_lock.lock()?;
        let json = self.layout.layers_json();
        let mut ls = self.layers.load(&json)?;
        self.clean_incomplete(&mut ls)?;
        if !parent.is_empty() && !ls.iter().any(|l| l.id == parent) {
            return Err(Error::msg(format!("layer {parent}: layer not known")));
        }
        let tmp = generate_id()?;
        let mut rec = Layer {
            id: tmp.clone(),
            parent: parent.to_string(),
            created: Some(now()),
            ..Default::default()
        };
        rec.flags.insert("incomplete".into(), Value::Bool(true));
        ls.push(rec.clone());
        self.layers.save(&json, &ls)?;
        g.touch();
        let home = self.layout.driver_home();
        let result = (|| -> Result<Layer> {
            let root = match self.driver {
                Driver::Overlay => overlay::create_staging(&home, &tmp)?,
                Driver::Vfs => vfs::create_staging(&home, &tmp, parent)?,
            };
            let applied = apply_layer(input, &root, self.target())?;
            let id = layer_id(parent, &applied.diff_digest);
            if let Some(existing) = ls.iter().find(|l| l.id == id && !l.incomplete()) {
                let existing = existing.clone();
                self.remove_layer_files(&tmp)?;
                return Ok(existing);
            }
            write_atomic(&self.layout.tar_split(&id), &applied.tar_split)?;
            match self.driver {
                Driver::Overlay => overlay::finalize(&home, &tmp, &id, parent)?,
                Driver::Vfs => vfs::finalize(&home, &tmp, &id)?,
            }
            Ok(Layer {
                id,
                parent: parent.to_string(),
                created: rec.created,
                compressed_diff_digest: applied.compressed_digest,
                compressed_size: applied.compressed_size,
                diff_digest: applied.diff_digest,
                diff_size: applied.diff_size,
                compression: applied.compression,
                ..Default::default()
            })
        })();
        ls.retain(|l| l.id != tmp);
        match result {
            Ok(layer) => {
                if !ls.iter().any(|l| l.id == layer.id) {
                    ls.push(layer.clone());
                }
                self.layers.save(&json, &ls)?;
                g.touch();
                Ok(layer)
            }
            Err(e) => {
                let _ = self.remove_layer_files(&tmp);
                self.layers.save(&json, &ls)?;
                g.touch();
                Err(e)
            }
        }
    }

    /// Creates an empty read-write layer over `parent` (a container layer).
    pub(super) fn create_rw_layer(&self, parent: &str, name: &str) -> Result<Layer> {
        let g = self.layers_lock.lock()?;
        let json = self.layout.layers_json();
        let mut ls = self.layers.load(&json)?;
        self.clean_incomplete(&mut ls)?;
        if !ls.iter().any(|l| l.id == parent) {
            return Err(Error::msg(format!("layer {parent}: layer not known")));
        }
        let id = generate_id()?;
        let mut rec = Layer {
            id: id.clone(),
            parent: parent.to_string(),
            created: Some(now()),
            ..Default::default()
        };
        if !name.is_empty() {
            rec.names.push(format!("{name}-layer"));
        }
        let home = self.layout.driver_home();
        if self.driver == Driver::Vfs {
            // The copy can take long: record it as incomplete first.
            rec.flags.insert("incomplete".into(), Value::Bool(true));
            ls.push(rec.clone());
            self.layers.save(&json, &ls)?;
            let res = vfs::create_staging(&home, &id, parent);
            ls.retain(|l| l.id != id);
            if let Err(e) = res {
                let _ = vfs::remove(&home, &id);
                self.layers.save(&json, &ls)?;
                return Err(e);
            }
            rec.flags.clear();
        } else {
            let res = overlay::create_staging(&home, &id)
                .and_then(|_| overlay::finalize(&home, &id, &id, parent));
            if let Err(e) = res {
                let _ = overlay::remove(&home, &id);
                return Err(e);
            }
        }
        ls.push(rec.clone());
        self.layers.save(&json, &ls)?;
        g.touch();
        Ok(rec)
    }

    /// Deletes a layer's files and record (caller holds the layers lock).
    pub(super) fn delete_layer_locked(&self, ls: &mut Vec<Layer>, id: &str) -> Result<()> {
        self.unmount_layer(id, true)?;
        self.remove_layer_files(id)?;
        ls.retain(|l| l.id != id);
        Ok(())
    }

    /// Mounts a layer (reference counted in `mountpoints.json`).
    pub(super) fn mount_layer(&self, id: &str, read_only: bool) -> Result<PathBuf> {
        let g = self.mounts_lock.lock()?;
        let json = self.layout.mountpoints_json();
        let mut ms = self.mounts.load(&json)?;
        let home = self.layout.driver_home();
        let path = match self.driver {
            Driver::Overlay => home.join(id).join("merged"),
            Driver::Vfs => vfs::layer_dir(&home, id),
        };
        if !home
            .join(if self.driver == Driver::Vfs {
                Path::new("dir").join(id)
            } else {
                PathBuf::from(id)
            })
            .exists()
        {
            return Err(Error::msg(format!("layer {id}: layer not known")));
        }
        let live = self.driver == Driver::Vfs || overlay::is_mounted(&path);
        let count = ms.iter().find(|m| m.id == id).map(|m| m.count).unwrap_or(0);
        let new_count = if count > 0 && live {
            count + 1
        } else {
            if self.driver == Driver::Overlay {
                overlay::mount_layer(&home, id, read_only)?;
            }
            1
        };
        ms.retain(|m| m.id != id);
        ms.push(MountPoint {
            id: id.to_string(),
            path: path.to_string_lossy().into_owned(),
            count: new_count,
        });
        self.mounts.save(&json, &ms)?;
        g.touch();
        Ok(path)
    }

    /// Drops one mount reference (all with `force`); unmounts at zero.
    pub(super) fn unmount_layer(&self, id: &str, force: bool) -> Result<()> {
        let g = self.mounts_lock.lock()?;
        let json = self.layout.mountpoints_json();
        let mut ms = self.mounts.load(&json)?;
        let entry = ms.iter().find(|m| m.id == id);
        let had_entry = entry.is_some();
        let count = entry.map(|m| m.count).unwrap_or(0);
        let left = if force { 0 } else { count.saturating_sub(1) };
        if left == 0 && self.driver == Driver::Overlay {
            overlay::unmount_layer(&self.layout.driver_home(), id)?;
        }
        ms.retain(|m| m.id != id);
        if left > 0 {
            let path = self
                .layout
                .driver_home()
                .join(id)
                .join("merged")
                .to_string_lossy()
                .into_owned();
            ms.push(MountPoint {
                id: id.to_string(),
                path,
                count: left,
            });
        }
        // Only a changed index is written: deleting a layer that was never
        // mounted costs no write.
        if had_entry {
            self.mounts.save(&json, &ms)?;
            g.touch();
        }
        Ok(())
    }

    /// Mount reference count of a layer.
    pub fn mount_count(&self, layer: &str) -> Result<u64> {
        Ok(self
            .mounts
            .load(&self.layout.mountpoints_json())?
            .iter()
            .find(|m| m.id == layer)
            .map(|m| m.count)
            .unwrap_or(0))
    }
}
