//! `cleanup`: what happens after a container's process exits (conmon's exit
//! command runs it): runtime deleted, `/dev/shm` unmounted, exit codes
//! pruned. Idempotent and fast.

use std::path::Path;

use chrono::Utc;

use super::handle::HeldLock;
use super::{Container, ContainerStatus};
use crate::error::{Error, Result};
use crate::events::EventStatus;

impl Container {
    /// Removes the runtime's side of a stopped or created container:
    /// conmon's files (the exit file last), `runc delete`; Stopped → Exited,
    /// Created → Configured. The caller holds the lock.
    pub(crate) fn cleanup_runtime(&mut self) -> Result<()> {
        if self.release_runtime()? {
            self.save()?;
        }
        Ok(())
    }

    /// [`Container::cleanup_runtime`] without the save: true when the
    /// state changed and must be written.
    fn release_runtime(&mut self) -> Result<bool> {
        let next = match self.rec.state.state {
            ContainerStatus::Stopped => ContainerStatus::Exited,
            ContainerStatus::Created => ContainerStatus::Configured,
            _ => return Ok(false),
        };
        self.oci()?.delete(&self.rec)?;
        let bundle = self.bundle_dir();
        for f in ["attach", "ctl", "winsz"] {
            remove_quietly(&bundle.join(f));
        }
        remove_quietly(&self.rt.paths()?.exits_dir().join(self.id()));
        self.rec.state.state = next;
        self.rec.state.pid = 0;
        self.rec.state.conmon_pid = 0;
        self.rec.state.pid_start_ticks = 0;
        self.rec.state.conmon_start_ticks = 0;
        Ok(true)
    }

    /// The cleanup itself; the caller holds the lock and has synced.
    pub(crate) fn cleanup_locked(&mut self) -> Result<()> {
        self.cleanup_locked_saving(false)
    }

    /// [`Container::cleanup_locked`] that also writes the state when `dirty`
    /// (changed by a sync that left the write to this one).
    pub(crate) fn cleanup_locked_saving(&mut self, dirty: bool) -> Result<()> {
        if matches!(
            self.rec.state.state,
            ContainerStatus::Running | ContainerStatus::Paused | ContainerStatus::Stopping
        ) {
            return Err(Error::CtrStateInvalid.context(format!(
                "container {} is running or paused, refusing to clean up",
                self.id()
            )));
        }
        let changed = matches!(
            self.rec.state.state,
            ContainerStatus::Stopped | ContainerStatus::Created
        );
        let mut first_err = None;
        let released = match self.release_runtime() {
            Ok(released) => released,
            Err(e) => {
                first_err = Some(e);
                false
            }
        };
        let had_network = !self.rec.state.net_ns.is_empty();
        if let Err(e) = self.teardown_network() {
            first_err.get_or_insert(e);
        }
        if let Err(e) = self.unmount_shm() {
            first_err.get_or_insert(e);
        }
        // Volumes were taken with the root filesystem's mount (or, with
        // --rootfs, at init): give them back once.
        let volumes_taken = if self.uses_storage() {
            self.rec.state.mounted
        } else {
            changed
        };
        if volumes_taken && let Err(e) = self.unmount_volumes() {
            first_err.get_or_insert(e);
        }
        let was_mounted = self.rec.state.mounted;
        let unmounted = match self.unmount_storage() {
            Ok(()) => was_mounted,
            Err(e) => {
                first_err.get_or_insert(e);
                false
            }
        };
        // One (fsynced) write for everything that changed, none otherwise.
        if (released || unmounted || dirty || had_network)
            && let Err(e) = self.save()
        {
            first_err.get_or_insert(e);
        }
        if let Err(e) = self.rt.state()?.prune_container_exit_codes(Utc::now()) {
            first_err.get_or_insert(e);
        }
        if changed {
            self.rt.emit(self.event(EventStatus::Cleanup));
        }
        first_err.map_or(Ok(()), Err)
    }

    /// `container cleanup`: safe to run any number of times.
    pub fn cleanup(&mut self) -> Result<()> {
        let _held = HeldLock::take(&self.lock)?;
        // The exit file's news and the cleanup go out in one write.
        let dirty = self.sync_unsaved()?;
        self.cleanup_locked_saving(dirty)
    }
}

fn remove_quietly(p: &Path) {
    if let Err(e) = std::fs::remove_file(p)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        tracing::warn!("removing {}: {e}", p.display());
    }
}
