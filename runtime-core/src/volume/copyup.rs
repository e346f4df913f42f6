//! Preparing a volume on its first use by a container, as libpod does:
//! the data directory takes the owner and mode of the directory it covers
//! in the container's root filesystem, then that directory's content is
//! copied in (owners, modes, times, symlinks and hard links kept) if the
//! volume is still empty.
//!
//! Steps, under the volume's lock: (1) owner and mode are set and
//! `NeedsChown` cleared; (2) a `copyup-incomplete` marker is made beside
//! `_data`; (3) the content is copied; (4) `NeedsCopyUp` is cleared in the
//! record; (5) the marker is removed. A kill during (3) or (4) leaves the
//! marker: the next start of any container using the volume empties
//! `_data` and copies again.

use std::path::Path;

use crate::confined::{ConfinedRoot, copy_tree, is_not_found};
use crate::container::copy_up_marker;
use crate::error::{Error, IoResultExt, Result};
use crate::lock::LockGuard;
use crate::runtime::Runtime;

impl Runtime {
    /// Prepares volume `name` for a container whose root filesystem is at
    /// `rootfs` and which mounts the volume at `dest`.
    pub(crate) fn prepare_volume(
        &self,
        name: &str,
        rootfs: &Path,
        dest: &str,
        nocopy: bool,
    ) -> Result<()> {
        let state = self.state()?;
        let rec = state.volume(name)?;
        let lock = self.lock_manager()?.retrieve(rec.config.lock_id)?;
        let _held = LockGuard::acquire(lock.as_ref())?;
        let mut vs = state.update_volume(name)?;
        let data = Path::new(&rec.config.mount_point);
        let marker = match data.parent() {
            Some(dir) => copy_up_marker(dir),
            None => return Ok(()),
        };
        let crashed = marker.exists();
        if !vs.not_yet_chowned && !vs.not_yet_mounted && !crashed {
            return Ok(());
        }
        let root = ConfinedRoot::open(rootfs)?;
        // The covered directory, resolved inside the root filesystem.
        let covered = root.host_path_of(dest)?;
        if vs.not_yet_chowned {
            if let Some(src) = &covered {
                let m = std::fs::symlink_metadata(src).at(src)?;
                use std::os::unix::fs::{MetadataExt, PermissionsExt};
                std::os::unix::fs::lchown(data, Some(m.uid()), Some(m.gid())).at(data)?;
                std::fs::set_permissions(data, std::fs::Permissions::from_mode(m.mode() & 0o7777))
                    .at(data)?;
            }
            vs.not_yet_chowned = false;
            state.save_volume(name, &vs)?;
        }
        let copy_opt_off = rec.config.options.contains_key("nocopy")
            || rec.config.options.get("copy").is_some_and(|v| v == "false");
        if (vs.not_yet_mounted || crashed) && !nocopy && !copy_opt_off {
            let vol = ConfinedRoot::open(data)?;
            if crashed {
                tracing::info!("volume {name}: finishing an interrupted copy-up");
                for entry in vol.read_dir("/")? {
                    vol.remove_all(Path::new("/").join(entry))?;
                }
            }
            let empty = vol.read_dir("/")?.is_empty();
            let src_is_dir = covered.as_ref().is_some_and(|p| p.is_dir());
            if empty
                && src_is_dir
                && let Some(src) = &covered
            {
                std::fs::write(&marker, b"").at(&marker)?;
                let src_root = ConfinedRoot::open(src)?;
                match copy_tree(&src_root, Path::new("/"), &vol, Path::new("/")) {
                    Ok(()) => {}
                    Err(e) if is_not_found(&e) => {}
                    Err(e) => {
                        return Err(e.context(format!("copying up into volume {name}")));
                    }
                }
            }
        }
        if vs.not_yet_mounted {
            vs.not_yet_mounted = false;
            state.save_volume(name, &vs)?;
        }
        match std::fs::remove_file(&marker) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(&marker, e)),
        }
    }
}
