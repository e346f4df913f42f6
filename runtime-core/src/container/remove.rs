//! `rm`.

use super::{Container, ContainerStatus};
use crate::error::{Error, Result};
use crate::events::EventStatus;

/// Options of `rm`.
#[derive(Debug, Clone, Copy, Default)]
pub struct RemoveOptions {
    /// Stop a running container first (`-f`).
    pub force: bool,
    /// Remove anonymous volumes too (`-v`).
    pub volumes: bool,
    /// Seconds to wait for a stop (`-t`); the container's timeout when `None`.
    pub timeout: Option<u32>,
}

impl Container {
    /// Removes the anonymous volumes the container used (`rm -v`); one still
    /// in use elsewhere is kept.
    fn remove_anonymous_volumes(&self) {
        let Ok(state) = self.rt.state() else { return };
        for nv in &self.rec.config.named_volumes {
            let Ok(v) = state.volume(&nv.name) else {
                continue;
            };
            if !v.config.is_anon {
                continue;
            }
            match state.remove_volume(&nv.name) {
                Ok(()) => {
                    if let Ok(paths) = self.rt.paths() {
                        let _ = std::fs::remove_dir_all(paths.volume_path.join(&nv.name));
                    }
                    if let Ok(l) = self
                        .rt
                        .lock_manager()
                        .and_then(|m| m.retrieve(v.config.lock_id))
                    {
                        let _ = l.free();
                    }
                }
                Err(e) => tracing::debug!("keeping volume {}: {e}", nv.name),
            }
        }
    }

    /// Removes the container: refuses a running one without `force` and one
    /// that others depend on; stops and cleans up, deletes its directories,
    /// its State record, then frees its lock; emits `remove` last.
    pub fn remove(&mut self, opts: RemoveOptions) -> Result<()> {
        {
            let _held = self.lock_and_sync()?;
            if !opts.force
                && matches!(
                    self.rec.state.state,
                    ContainerStatus::Running | ContainerStatus::Paused | ContainerStatus::Stopping
                )
            {
                return Err(Error::CtrStateInvalid.context(format!(
                    "cannot remove container {} as it is running - running or paused containers cannot be removed without force",
                    self.id()
                )));
            }
            let users = self.rt.state()?.container_in_use(self.id())?;
            if !users.is_empty() {
                return Err(Error::CtrExists.context(format!(
                    "container {} has dependent containers which must be removed before it: {}",
                    self.id(),
                    users.join(", ")
                )));
            }
        }
        if matches!(
            self.rec.state.state,
            ContainerStatus::Running | ContainerStatus::Paused | ContainerStatus::Stopping
        ) {
            match self.stop(opts.timeout) {
                Ok(()) => {}
                Err(e) if e.is(&Error::CtrStopped) || e.is(&Error::CtrRemoved) => {}
                Err(e) => return Err(e),
            }
        }
        let _held = match self.lock_and_sync() {
            Ok(h) => h,
            // Removed meanwhile (e.g. by `cleanup --rm`): done.
            Err(e) if e.is(&Error::CtrRemoved) => return Ok(()),
            Err(e) => return Err(e),
        };
        if matches!(
            self.rec.state.state,
            ContainerStatus::Running | ContainerStatus::Paused
        ) {
            return Err(Error::CtrStateInvalid.context(format!(
                "container {} was restarted while being removed",
                self.id()
            )));
        }
        let mut first_err = self.cleanup_locked().err();
        // libpod saves a `Removing` state here; rpod skips that write (one
        // fsynced transaction less per container): every step below is
        // idempotent, so a removal killed half-way is finished by the next
        // `rm`, which finds the container in its last real state.
        let state = self.rt.state()?;
        state.remove_container_exec_sessions(self.id())?;
        if let Err(e) = self.delete_storage() {
            first_err.get_or_insert(e);
        }
        for dir in [self.bundle_dir(), self.run_dir()] {
            if let Some(ctr_dir) = dir.parent()
                && let Err(e) = std::fs::remove_dir_all(ctr_dir)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                first_err.get_or_insert(Error::io(ctr_dir, e));
            }
        }
        state.remove_container(self.id())?;
        if opts.volumes {
            self.remove_anonymous_volumes();
        }
        if let Err(e) = self.lock.free()
            && !e.is(&Error::LockNotAllocated(0))
        {
            first_err.get_or_insert(e);
        }
        self.rt.emit(self.event(EventStatus::Remove));
        if let Some(e) = first_err {
            tracing::warn!("cleaning up container {}: {e}", self.id());
        }
        Ok(())
    }
}
