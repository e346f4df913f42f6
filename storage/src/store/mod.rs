//! The `Store`: its type, opening (driver choice) and record access. Layer
//! writes and mounts live in `layer_ops`, image registration in `image_ops`,
//! layer tars and change lists in `diffs`, and the `Storage` trait
//! implementation in `storage_impl`.

mod diffs;
mod image_ops;
mod layer_ops;
mod rw_size;
mod storage_impl;

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use rpod_runtime_core::error::IoResultExt;
use rpod_runtime_core::names::generate_id;
use rpod_runtime_core::{Error, Result};

use crate::containers::Container;
use crate::images::Image;
use crate::jsonfile::Cached;
use crate::layers::{Layer, MountPoint};
use crate::layout::Layout;
use crate::lock::StoreLock;
use crate::tar_apply::Target;
use crate::{overlay, vfs};

/// The flag an unfinished layer carries in `layers.json`.
const INCOMPLETE: &[u8] = b"incomplete";
/// The storage driver in use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Driver {
    /// overlayfs: per-layer diff dirs mounted together.
    Overlay,
    /// Full copies, no mounts.
    Vfs,
}

/// rpod's image and container store.
#[derive(Debug)]
pub struct Store {
    layout: Layout,
    driver: Driver,
    status: Vec<(String, String)>,
    layers_lock: Arc<StoreLock>,
    images_lock: Arc<StoreLock>,
    containers_lock: Arc<StoreLock>,
    mounts_lock: Arc<StoreLock>,
    layers: Cached<Layer>,
    images: Cached<Image>,
    containers: Cached<Container>,
    mounts: Cached<MountPoint>,
}

fn backing_fs(path: &Path) -> String {
    use nix::sys::statfs as s;
    match s::statfs(path).map(|st| st.filesystem_type()) {
        Ok(t) if t == s::EXT4_SUPER_MAGIC => "extfs".into(),
        Ok(t) if t == s::XFS_SUPER_MAGIC => "xfs".into(),
        Ok(t) if t == s::TMPFS_MAGIC => "tmpfs".into(),
        Ok(t) if t == s::BTRFS_SUPER_MAGIC => "btrfs".into(),
        Ok(t) if t == s::OVERLAYFS_SUPER_MAGIC => "overlayfs".into(),
        Ok(t) => format!("{t:?}"),
        Err(_) => "unknown".into(),
    }
}

fn now() -> DateTime<Utc> {
    Utc::now()
}

/// Removes a scratch directory when dropped.
struct TempDir(PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

impl Store {
    /// Opens (creating as needed) the store. `driver` "" picks overlay and
    /// falls back to vfs when overlay cannot be mounted (or an existing vfs
    /// store is found); "overlay" fails instead of falling back.
    pub fn open(graph_root: &Path, run_root: &Path, driver: &str) -> Result<Store> {
        fs::create_dir_all(graph_root).at(graph_root)?;
        fs::create_dir_all(run_root).at(run_root)?;
        let mut status = Vec::new();
        let chosen = match driver {
            "vfs" => Driver::Vfs,
            "overlay" | "overlay2" | "" => {
                let existing_vfs = graph_root.join("vfs-layers").exists()
                    && !graph_root.join("overlay-layers").exists();
                if driver.is_empty() && existing_vfs {
                    status.push((
                        "Fallback Reason".into(),
                        "an existing vfs store was found".into(),
                    ));
                    Driver::Vfs
                } else {
                    match Self::overlay_usable(graph_root, run_root) {
                        Ok(()) => Driver::Overlay,
                        Err(why) if driver.is_empty() => {
                            tracing::info!("overlay unusable ({why}); falling back to vfs");
                            status.push(("Fallback Reason".into(), why));
                            Driver::Vfs
                        }
                        Err(why) => {
                            return Err(
                                Error::NotSupported.context(format!("driver \"overlay\": {why}"))
                            );
                        }
                    }
                }
            }
            other => {
                return Err(Error::UnknownBackend {
                    kind: "storage",
                    name: other.to_string(),
                    known: "overlay, vfs".into(),
                });
            }
        };
        let name = if chosen == Driver::Overlay {
            "overlay"
        } else {
            "vfs"
        };
        let layout = Layout::new(graph_root, run_root, name);
        status.insert(0, ("Backing Filesystem".into(), backing_fs(graph_root)));
        if chosen == Driver::Overlay {
            status.push(("Native Overlay Diff".into(), "true".into()));
            status.push(("Supports d_type".into(), "true".into()));
            status.push(("Supports shifting".into(), "false".into()));
            status.push(("Supports volatile".into(), "true".into()));
            status.push(("Using metacopy".into(), "false".into()));
        }
        for d in [
            layout.driver_home(),
            layout.images_dir(),
            layout.containers_dir(),
            layout.run_layers_dir(),
        ] {
            fs::create_dir_all(&d).at(&d)?;
        }
        let _ = StoreLock::get(&layout.storage_lock())?;
        let store = Store {
            layers_lock: StoreLock::get(&layout.layers_lock())?,
            images_lock: StoreLock::get(&layout.images_lock())?,
            containers_lock: StoreLock::get(&layout.containers_lock())?,
            mounts_lock: StoreLock::get(&layout.mountpoints_lock())?,
            layout,
            driver: chosen,
            status,
            layers: Cached::default(),
            images: Cached::default(),
            containers: Cached::default(),
            mounts: Cached::default(),
        };
        // Only a layer index that mentions an incomplete layer is parsed
        // here: commands that never touch layers (ps, inspect) skip the
        // parse of an index that grows with every container.
        let index = store.layout.layers_json();
        let mentions_incomplete = match fs::read(&index) {
            Ok(bytes) => bytes.windows(INCOMPLETE.len()).any(|w| w == INCOMPLETE),
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(e) => return Err(Error::io(&index, e)),
        };
        if mentions_incomplete && store.layers.load(&index)?.iter().any(Layer::incomplete) {
            let g = store.layers_lock.lock()?;
            let mut ls = store.layers.load(&store.layout.layers_json())?;
            store.clean_incomplete(&mut ls)?;
            g.touch();
        }
        Ok(store)
    }

    fn overlay_usable(graph: &Path, run: &Path) -> std::result::Result<(), String> {
        let home = graph.join("overlay");
        fs::create_dir_all(&home).map_err(|e| e.to_string())?;
        // The probe's verdict is cached in the run root (reset at boot).
        let cache = run.join("overlay").join(".rpod-probe");
        if let Ok(s) = fs::read_to_string(&cache) {
            return if s == "ok" { Ok(()) } else { Err(s) };
        }
        let res = overlay::probe(&home);
        let _ = fs::create_dir_all(run.join("overlay"));
        let _ = fs::write(
            &cache,
            res.as_ref()
                .map(|()| "ok".to_string())
                .unwrap_or_else(|e| e.clone()),
        );
        res
    }

    /// The driver in use.
    pub fn driver(&self) -> Driver {
        self.driver
    }

    /// The store's paths.
    pub fn layout(&self) -> &Layout {
        &self.layout
    }

    fn target(&self) -> Target {
        match self.driver {
            Driver::Overlay => Target::Overlay,
            Driver::Vfs => Target::Vfs,
        }
    }

    /// The directory holding a layer's files (overlay `diff`, vfs dir).
    pub fn layer_root(&self, id: &str) -> PathBuf {
        match self.driver {
            Driver::Overlay => overlay::diff_dir(&self.layout.driver_home(), id),
            Driver::Vfs => vfs::layer_dir(&self.layout.driver_home(), id),
        }
    }

    fn remove_layer_files(&self, id: &str) -> Result<()> {
        let home = self.layout.driver_home();
        match self.driver {
            Driver::Overlay => overlay::remove(&home, id)?,
            Driver::Vfs => vfs::remove(&home, id)?,
        }
        let _ = fs::remove_file(self.layout.tar_split(id));
        Ok(())
    }

    fn clean_incomplete(&self, ls: &mut Vec<Layer>) -> Result<()> {
        let dead: Vec<String> = ls
            .iter()
            .filter(|l| l.incomplete())
            .map(|l| l.id.clone())
            .collect();
        if dead.is_empty() {
            return Ok(());
        }
        for id in &dead {
            tracing::info!("removing incomplete layer {id}");
            self.remove_layer_files(id)?;
        }
        ls.retain(|l| !l.incomplete());
        self.layers.save(&self.layout.layers_json(), ls)
    }

    /// Every complete layer (no lock: the file is replaced atomically).
    pub fn layer_records(&self) -> Result<Vec<Layer>> {
        Ok(self
            .layers
            .load(&self.layout.layers_json())?
            .into_iter()
            .filter(|l| !l.incomplete())
            .collect())
    }

    fn image_records(&self) -> Result<Vec<Image>> {
        self.images.load(&self.layout.images_json())
    }

    fn container_records(&self) -> Result<Vec<Container>> {
        self.containers.load(&self.layout.containers_json())
    }
}

/// Scratch directory under the graph root, removed when dropped.
pub(crate) fn scratch_dir(store: &Store) -> Result<(PathBuf, impl Drop)> {
    let p = store
        .layout
        .tmp_dir()
        .join(format!("rpod-{}", generate_id()?));
    fs::create_dir_all(&p).at(&p)?;
    Ok((p.clone(), TempDir(p)))
}
