//! A container's root filesystem in the store, for front ends: `mount`,
//! `unmount`, `diff` and `export` (each with its event), and an image's
//! changes (`image diff`).

use std::io::Write;
use std::path::{Path, PathBuf};

use super::Container;
use crate::error::{Error, Result};
use crate::events::EventStatus;
use crate::runtime::Runtime;
use crate::storage::Change;

impl Container {
    /// Mounts the root filesystem (reference counted) and emits `mount`;
    /// returns the mount point.
    pub fn mount(&self) -> Result<PathBuf> {
        let path = self.rt.storage_or_err()?.mount_container(self.id())?;
        self.rt.emit(self.event(EventStatus::Mount));
        Ok(path)
    }

    /// Drops one mount reference (every one with `force`) and emits
    /// `unmount`.
    pub fn unmount(&self, force: bool) -> Result<()> {
        self.rt
            .storage_or_err()?
            .unmount_container(self.id(), force)?;
        self.rt.emit(self.event(EventStatus::Unmount));
        Ok(())
    }

    /// What changed in the root filesystem against the image, leaving out
    /// the mount points the engine itself creates (see
    /// [`is_engine_mount_point`]).
    pub fn changes(&self) -> Result<Vec<Change>> {
        let all = self.rt.storage_or_err()?.container_changes(self.id())?;
        Ok(all
            .into_iter()
            .filter(|c| !is_engine_mount_point(&c.path))
            .collect())
    }

    /// Bytes the container's own layer adds over its image (a `--rootfs`
    /// container: its whole root directory). This is what removing the
    /// container frees.
    pub fn rw_size(&self) -> Result<u64> {
        let rootfs = &self.config().rootfs;
        if !rootfs.is_empty() {
            return Ok(crate::system::dir_size(Path::new(rootfs)));
        }
        self.rt.storage_or_err()?.container_rw_size(self.id())
    }

    /// Writes the whole root filesystem as a tar to `out` and emits
    /// `export` once it is written.
    pub fn export(&self, out: &mut dyn Write) -> Result<()> {
        self.rt.storage_or_err()?.export_container(self.id(), out)?;
        self.rt.emit(self.event(EventStatus::Export));
        Ok(())
    }
}

/// The paths the engine creates in every container's root filesystem to
/// mount its own files or kernel filesystems on (`/etc/hosts`,
/// `/etc/resolv.conf`, `/etc/hostname`, `/run/.containerenv`, `/dev`,
/// `/proc`, `/sys`, ...). `diff` leaves them out: they are not the
/// container's own changes.
pub const ENGINE_MOUNT_POINTS: [&str; 12] = [
    "/dev",
    "/etc/hostname",
    "/etc/hosts",
    "/etc/mtab",
    "/etc/resolv.conf",
    "/proc",
    "/run",
    "/run/.containerenv",
    "/run/notify",
    super::spec::INIT_PATH_IN_CONTAINER,
    "/run/secrets",
    "/sys",
];

/// True when `path` is one of [`ENGINE_MOUNT_POINTS`] (an exact match: a
/// file the container made below one of them is its own change).
pub fn is_engine_mount_point(path: &str) -> bool {
    ENGINE_MOUNT_POINTS.contains(&path)
}

/// Every path below `root`, as `/rel`, depth first in directory order.
fn walk(root: &Path, rel: &Path, out: &mut Vec<String>) -> Result<()> {
    let dir = root.join(rel);
    let rd = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
    for ent in rd {
        let ent = ent.map_err(|e| Error::io(&dir, e))?;
        let r = rel.join(ent.file_name());
        out.push(format!("/{}", r.display()));
        if ent.file_type().is_ok_and(|t| t.is_dir()) {
            walk(root, &r, out)?;
        }
    }
    Ok(())
}

impl Runtime {
    /// An image's changes against its parent: every file of a one-layer
    /// image, added, sorted. Images of more layers are not supported yet.
    pub fn image_changes(&self, name_or_id: &str) -> Result<Vec<Change>> {
        let store = self.storage_or_err()?;
        let img = store.lookup_image(name_or_id)?;
        let parent = store
            .layers()?
            .into_iter()
            .find(|l| l.id == img.top_layer)
            .map(|l| l.parent)
            .unwrap_or_default();
        if !parent.is_empty() {
            return Err(Error::msg(format!(
                "{name_or_id}: diffing an image with more than one layer is not supported yet"
            )));
        }
        let root = store.mount_image(&img.id)?;
        let mut paths = Vec::new();
        let walked = walk(&root, Path::new(""), &mut paths);
        let unmounted = store.unmount_image(&img.id, false);
        walked?;
        unmounted?;
        paths.sort();
        Ok(paths
            .into_iter()
            .map(|path| Change { kind: 'A', path })
            .collect())
    }

    /// Mounts the image `name_or_id` read-only and emits `mount` (named as
    /// given); returns the image's ID and the mount point.
    pub fn mount_image(&self, name_or_id: &str) -> Result<(String, PathBuf)> {
        let store = self.storage_or_err()?;
        let img = store.lookup_image(name_or_id)?;
        let path = store.mount_image(&img.id)?;
        self.emit_image_event(EventStatus::Mount, &img.id, name_or_id);
        Ok((img.id, path))
    }

    /// Unmounts the image `name_or_id` (every mount with `force`) and emits
    /// `unmount`; returns the image's ID.
    pub fn unmount_image(&self, name_or_id: &str, force: bool) -> Result<String> {
        let store = self.storage_or_err()?;
        let img = store.lookup_image(name_or_id)?;
        store.unmount_image(&img.id, force)?;
        self.emit_image_event(EventStatus::Unmount, &img.id, name_or_id);
        Ok(img.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walks_every_path_below_the_root() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(d.path().join("a/b")).unwrap();
        std::fs::write(d.path().join("a/b/f"), "x").unwrap();
        let mut out = Vec::new();
        walk(d.path(), Path::new(""), &mut out).unwrap();
        out.sort();
        assert_eq!(out, ["/a", "/a/b", "/a/b/f"]);
    }

    #[test]
    fn only_the_engines_own_mount_points_are_hidden() {
        for p in [
            "/etc/hosts",
            "/etc/resolv.conf",
            "/run/.containerenv",
            "/proc",
        ] {
            assert!(is_engine_mount_point(p), "{p}");
        }
        for p in [
            "/x",
            "/etc",
            "/etc/hosts.bak",
            "/run/secrets/mine",
            "/tmp/hosts",
        ] {
            assert!(!is_engine_mount_point(p), "{p}");
        }
    }
}
