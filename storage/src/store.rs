//! The `Store`: opening (driver choice), layers, images, containers and
//! mounts, and the `Storage` trait implementation.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Read, Seek, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::parallel;
use chrono::{DateTime, Utc};
use rpod_runtime_core::error::IoResultExt;
use rpod_runtime_core::storage::{
    ArchiveFormat, Change, ImageRecord, ImportOptions, LayerRecord, StorageContainer,
};
use rpod_runtime_core::{Error, Result};
use serde_json::{Value, json};

use crate::containers::Container;
use crate::digest::{random_id, sha256_digest, sha256_hex};
use crate::images::{Image, find, normalize_name};
use crate::jsonfile::{Cached, write_atomic};
use crate::layers::{Layer, MountPoint, chain, layer_id};
use crate::layout::{Layout, big_data_file_name};
use crate::lock::StoreLock;
use crate::tar_apply::{Target, apply_layer, assemble_layer};
use crate::{overlay, treetar, vfs};

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
        let tmp = random_id();
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
    fn create_rw_layer(&self, parent: &str, name: &str) -> Result<Layer> {
        let g = self.layers_lock.lock()?;
        let json = self.layout.layers_json();
        let mut ls = self.layers.load(&json)?;
        self.clean_incomplete(&mut ls)?;
        if !ls.iter().any(|l| l.id == parent) {
            return Err(Error::msg(format!("layer {parent}: layer not known")));
        }
        let id = random_id();
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
    fn delete_layer_locked(&self, ls: &mut Vec<Layer>, id: &str) -> Result<()> {
        self.unmount_layer(id, true)?;
        self.remove_layer_files(id)?;
        ls.retain(|l| l.id != id);
        Ok(())
    }

    /// Mounts a layer (reference counted in `mountpoints.json`).
    fn mount_layer(&self, id: &str, read_only: bool) -> Result<PathBuf> {
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
    fn unmount_layer(&self, id: &str, force: bool) -> Result<()> {
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
                    .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
            })
            .map(|d| d.with_timezone(&Utc))
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

    fn record_of(&self, img: &Image, layers: &[Layer]) -> ImageRecord {
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

    fn find_image(&self, name_or_id: &str) -> Result<Image> {
        let imgs = self.image_records()?;
        find(&imgs, name_or_id).cloned()
    }

    fn find_container(&self, id: &str) -> Result<Container> {
        self.container_records()?
            .into_iter()
            .find(|c| c.id == id || c.names.iter().any(|n| n == id))
            .ok_or_else(|| Error::NoSuchCtr.context(format!("container {id:?}")))
    }

    /// Writes layer `l`'s exact tar to `out` (from tar-split, or re-tarred
    /// from its files when there is none); returns the bytes written.
    pub fn write_layer_tar(&self, l: &Layer, out: &mut dyn Write) -> Result<u64> {
        let ts = self.layout.tar_split(&l.id);
        if ts.exists() {
            return assemble_layer(&ts, &self.layer_root(&l.id), out);
        }
        let mut w = CountingWriter { inner: out, n: 0 };
        match self.driver {
            Driver::Overlay => treetar::write_overlay_diff(&self.layer_root(&l.id), &mut w)?,
            Driver::Vfs => self.write_vfs_changes(&l.parent, &l.id, &mut w)?,
        }
        Ok(w.n)
    }

    /// An anonymous read-write scratch file in the store's tmp dir (already
    /// unlinked, so nothing is left behind); the path is for error messages.
    fn scratch_file(&self, prefix: &str) -> Result<(File, PathBuf)> {
        let tmpd = self.layout.tmp_dir();
        fs::create_dir_all(&tmpd).at(&tmpd)?;
        let p = tmpd.join(format!("{prefix}-{}", random_id()));
        let f = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&p)
            .at(&p)?;
        let _ = fs::remove_file(&p);
        Ok((f, p))
    }

    /// The layer tar as a seekable file of known size (a temp file when
    /// the tar cannot be rebuilt to its recorded size).
    pub fn layer_tar_file(&self, l: &Layer) -> Result<(File, u64)> {
        let (mut f, p) = self.scratch_file("layer")?;
        let n = self.write_layer_tar(l, &mut f)?;
        f.rewind().at(&p)?;
        Ok((f, n))
    }

    fn vfs_changes(&self, parent: &str, id: &str) -> Result<Vec<Change>> {
        let home = self.layout.driver_home();
        let new = vfs::layer_dir(&home, id);
        let old = if parent.is_empty() {
            None
        } else {
            Some(vfs::layer_dir(&home, parent))
        };
        let new_paths = treetar::walk(&new)?;
        let old_paths: Vec<PathBuf> = match &old {
            Some(o) => treetar::walk(o)?,
            None => Vec::new(),
        };
        let old_set: HashSet<&PathBuf> = old_paths.iter().collect();
        let new_set: HashSet<&PathBuf> = new_paths.iter().collect();
        let mut out = Vec::new();
        for p in &new_paths {
            let nm = fs::symlink_metadata(new.join(p)).at(new.join(p))?;
            let kind = if !old_set.contains(p) {
                'A'
            } else {
                let om = fs::symlink_metadata(old.as_ref().map(|o| o.join(p)).unwrap_or_default())
                    .at(p)?;
                let same = om.mode() == nm.mode()
                    && om.uid() == nm.uid()
                    && om.gid() == nm.gid()
                    && om.rdev() == nm.rdev()
                    && (nm.is_dir() || om.size() == nm.size())
                    && om.mtime() == nm.mtime()
                    && om.mtime_nsec() == nm.mtime_nsec();
                if same {
                    continue;
                }
                'C'
            };
            out.push(Change {
                kind,
                path: format!("/{}", p.display()),
            });
        }
        for p in &old_paths {
            if !new_set.contains(p)
                && p.parent().is_none_or(|pp| {
                    pp.as_os_str().is_empty() || new_set.contains(&pp.to_path_buf())
                })
            {
                out.push(Change {
                    kind: 'D',
                    path: format!("/{}", p.display()),
                });
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    fn write_vfs_changes(&self, parent: &str, id: &str, out: &mut dyn Write) -> Result<()> {
        let root = vfs::layer_dir(&self.layout.driver_home(), id);
        let mut tw = treetar::TarWriter::new(out);
        for c in self.vfs_changes(parent, id)? {
            let rel = PathBuf::from(c.path.trim_start_matches('/'));
            if c.kind == 'D' {
                tw.whiteout(&rel)?;
            } else {
                tw.add(&root, &rel)?;
            }
        }
        tw.finish()?;
        Ok(())
    }

    fn overlay_changes(&self, id: &str) -> Result<Vec<Change>> {
        let home = self.layout.driver_home();
        let upper = overlay::diff_dir(&home, id);
        let lowers = overlay::lowers(&home, id)?;
        let mut out = Vec::new();
        for rel in treetar::walk(&upper)? {
            let meta = fs::symlink_metadata(upper.join(&rel)).at(upper.join(&rel))?;
            let kind = if crate::whiteout::is_overlay_whiteout(&meta) {
                'D'
            } else {
                let mut found = false;
                for l in &lowers {
                    if let Ok(m) = fs::symlink_metadata(l.join(&rel)) {
                        found = !crate::whiteout::is_overlay_whiteout(&m);
                        break;
                    }
                }
                if found { 'C' } else { 'A' }
            };
            out.push(Change {
                kind,
                path: format!("/{}", rel.display()),
            });
        }
        Ok(out)
    }
}

struct CountingWriter<'a> {
    inner: &'a mut dyn Write,
    n: u64,
}

impl Write for CountingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

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
        let created = now().to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
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

/// Scratch directory under the graph root, removed when dropped.
pub(crate) fn scratch_dir(store: &Store) -> Result<(PathBuf, impl Drop)> {
    let p = store.layout.tmp_dir().join(format!("rpod-{}", random_id()));
    fs::create_dir_all(&p).at(&p)?;
    Ok((p.clone(), TempDir(p)))
}
