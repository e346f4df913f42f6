//! The container's `/dev/shm`: a tmpfs mounted at `<bundle>/shm` before the
//! OCI runtime creates the container, unmounted at cleanup.

use nix::mount::{MntFlags, MsFlags, mount, umount2};

use super::Container;
use super::spec::shm_mount_options;
use crate::error::{Error, IoResultExt, Result};

impl Container {
    /// Mounts the shm tmpfs unless it is mounted already.
    pub(crate) fn mount_shm(&self) -> Result<()> {
        let dir = self.bundle_dir().join("shm");
        std::fs::create_dir_all(&dir).at(&dir)?;
        if is_mount_point(&dir) {
            return Ok(());
        }
        let opts = shm_mount_options(&self.rt.config()?);
        mount(
            Some("shm"),
            &dir,
            Some("tmpfs"),
            MsFlags::MS_NOSUID | MsFlags::MS_NODEV | MsFlags::MS_NOEXEC,
            Some(opts.as_str()),
        )
        .map_err(|e| Error::io(&dir, e.into()).context("mounting /dev/shm tmpfs"))
    }

    /// Unmounts the shm tmpfs if mounted.
    pub(crate) fn unmount_shm(&self) -> Result<()> {
        let dir = self.bundle_dir().join("shm");
        if !is_mount_point(&dir) {
            return Ok(());
        }
        umount2(&dir, MntFlags::MNT_DETACH)
            .map_err(|e| Error::io(&dir, e.into()).context("unmounting /dev/shm tmpfs"))
    }
}

/// True when `path` is a mount point (its device differs from its parent's).
pub(crate) fn is_mount_point(path: &std::path::Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let (Ok(me), Some(Ok(parent))) = (
        std::fs::metadata(path),
        path.parent().map(std::fs::metadata),
    ) else {
        return false;
    };
    me.dev() != parent.dev()
}
