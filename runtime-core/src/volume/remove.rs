//! Removing volumes: `volume rm` (refused while containers use the volume
//! unless forced), and the one removal step `volume prune`, `rm -v`,
//! `run --rm` and `system reset` share.
//!
//! Steps: (0) with `force`, the users are removed (without the volume's
//! lock: container before volume is the lock order); then under the
//! volume's lock (1) the users are checked; (2) a mounted volume (`type`/`device` options) is
//! unmounted; then under the volume-path lock file (3) the record is
//! removed, (4) the lock freed, (5) `<volume_path>/<name>` deleted, and
//! (6) `remove` emitted. A kill after (3) leaves an unowned directory, which
//! the next create of that name reuses (as Podman does); a kill before (3)
//! leaves the volume whole, and `volume rm` again finishes the job.

use crate::container::RemoveOptions;
use crate::error::{Error, Result};
use crate::events::{Event, EventStatus, EventType};
use crate::lock::LockGuard;
use crate::runtime::Runtime;

use super::VolumeRecord;

/// Options of `volume rm`.
#[derive(Debug, Clone, Copy, Default)]
pub struct VolumeRemoveOptions {
    /// Remove the containers that use the volume first (`-f`).
    pub force: bool,
    /// Seconds to wait when stopping those containers (`-t`).
    pub timeout: Option<u32>,
}

impl Runtime {
    /// Removes the volume `name` (exact name or unique prefix). Refused with
    /// `VolumeBeingUsed` while containers use it, unless `force`, which
    /// removes those containers first. Returns the volume's full name.
    pub fn remove_volume(&self, name: &str, opts: VolumeRemoveOptions) -> Result<String> {
        self.check_valid()?;
        let state = self.state()?;
        let rec = state.lookup_volume(name)?;
        let vname = rec.config.name.clone();
        if opts.force {
            // Without the volume's lock: removing a user unmounts the
            // volume, which takes that lock (container, then volume: the
            // order every path uses).
            for id in state.volume_in_use(&vname)? {
                self.remove_user(&id, &vname, opts.timeout)?;
            }
        }
        let lock = self.lock_manager()?.retrieve(rec.config.lock_id)?;
        let _held = LockGuard::acquire(lock.as_ref())?;
        // Removed while we waited for the lock.
        let rec = match state.volume(&vname) {
            Ok(r) => r,
            Err(e) if e.is(&Error::NoSuchVolume) => {
                return Err(Error::VolumeRemoved.context(format!("volume {vname} was removed")));
            }
            Err(e) => return Err(e),
        };
        let users = state.volume_in_use(&vname)?;
        if !users.is_empty() {
            return Err(Error::VolumeBeingUsed.context(format!(
                "volume {vname} is being used by the following container(s): {}",
                users.join(", ")
            )));
        }
        self.remove_volume_locked(&rec, opts.force)?;
        Ok(vname)
    }

    /// `volume rm -f`: removes container `id`, a user of volume `vname`.
    fn remove_user(&self, id: &str, vname: &str, timeout: Option<u32>) -> Result<()> {
        let mut c = match self.lookup_container(id) {
            Ok(c) => c,
            Err(e) if e.is(&Error::NoSuchCtr) || e.is(&Error::CtrRemoved) => return Ok(()),
            Err(e) => return Err(e),
        };
        let ropts = RemoveOptions {
            force: true,
            volumes: false,
            timeout,
        };
        match c.remove(ropts) {
            Ok(()) => Ok(()),
            Err(e) if e.is(&Error::CtrRemoved) || e.is(&Error::NoSuchCtr) => Ok(()),
            Err(e) => Err(e.context(format!(
                "removing container {id} that depends on volume {vname}"
            ))),
        }
    }

    /// Removes a volume whose lock the caller holds and whose users it has
    /// checked: unmount, record, lock, directory, event.
    pub(crate) fn remove_volume_locked(&self, rec: &VolumeRecord, force: bool) -> Result<()> {
        let name = &rec.config.name;
        if let Err(e) = self.unmount_volume_fully(rec) {
            if force {
                tracing::error!("unmounting volume {name}: {e}");
            } else {
                return Err(e.context(format!("unmounting volume {name}")));
            }
        }
        let dirs = self.volume_dir_lock()?;
        let _dirs = dirs.lock()?;
        self.state()?
            .remove_volume(name)
            .map_err(|e| e.context(format!("removing volume {name}")))?;
        let mut problem = None;
        match self
            .lock_manager()
            .and_then(|m| m.retrieve(rec.config.lock_id))
            .and_then(|l| l.free())
        {
            Ok(()) => {}
            Err(e) => problem = Some(e.context(format!("freeing lock for volume {name}"))),
        }
        let dir = self.paths()?.volume_path.join(name);
        if let Err(e) = std::fs::remove_dir_all(&dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            let e = Error::io(&dir, e).context(format!("cleaning up volume storage for {name:?}"));
            problem.get_or_insert(e);
        }
        let mut ev = Event::new(EventType::Volume, EventStatus::Remove);
        ev.name.clone_from(name);
        self.emit(ev);
        problem.map_or(Ok(()), Err)
    }

    /// Removes the volume `name` if no container uses it (under its lock),
    /// as prune and `rm -v` do. `Ok(false)` when it is in use or gone.
    pub(crate) fn remove_volume_if_unused(&self, name: &str) -> Result<bool> {
        let state = self.state()?;
        let rec = match state.volume(name) {
            Ok(r) => r,
            Err(e) if e.is(&Error::NoSuchVolume) => return Ok(false),
            Err(e) => return Err(e),
        };
        let lock = self.lock_manager()?.retrieve(rec.config.lock_id)?;
        let _held = LockGuard::acquire(lock.as_ref())?;
        if !state.has_volume(name)? || !state.volume_in_use(name)?.is_empty() {
            return Ok(false);
        }
        self.remove_volume_locked(&rec, false)?;
        Ok(true)
    }
}
