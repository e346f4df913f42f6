//! `stop` and `kill`.

use std::time::Duration;

use super::handle::HeldLock;
use super::{Container, ContainerStatus};
use crate::error::{Error, Result};
use crate::events::EventStatus;

/// The longest single wait for the exit file before the state is synced
/// again (which also notices a conmon that died without writing one).
const EXIT_SLICE: Duration = Duration::from_millis(50);

impl Container {
    /// `stop`: sends the stop signal, waits `timeout` (the container's stop
    /// timeout when `None`), then SIGKILL; then cleans up. The lock is
    /// released while waiting so that conmon's cleanup can run. A stopped
    /// container is [`Error::CtrStopped`] (the CLI treats it as success).
    pub fn stop(&mut self, timeout: Option<u32>) -> Result<()> {
        let timeout = timeout.unwrap_or(self.rec.config.stop_timeout);
        {
            let _held = self.lock_and_sync()?;
            match self.rec.state.state {
                ContainerStatus::Stopped
                | ContainerStatus::Exited
                | ContainerStatus::Configured => {
                    return Err(Error::CtrStopped
                        .context(format!("container {} is already stopped", self.id())));
                }
                ContainerStatus::Created => {
                    // Never started: nothing to signal; clean up the runtime side.
                    self.cleanup_runtime()?;
                    return Ok(());
                }
                ContainerStatus::Running | ContainerStatus::Stopping => {}
                ContainerStatus::Paused => {
                    self.oci()?.resume(&self.rec)?;
                }
                _ => {
                    return Err(self.improper("can only stop created or running containers"));
                }
            }
            self.rec.state.state = ContainerStatus::Stopping;
            self.rec.state.stopped_by_user = true;
            self.save()?;
        }
        // Unlocked: the container's exit runs conmon's cleanup, which needs the lock.
        let stopped = self
            .oci()?
            .stop(&self.rec, Duration::from_secs(timeout.into()), false);
        let _held = HeldLock::take(&self.lock)?;
        let mut dirty = self.sync_unsaved()?;
        if let Err(e) = stopped {
            if dirty {
                self.save()?;
            }
            return Err(e);
        }
        if self.rec.state.state == ContainerStatus::Stopping {
            // The exit file was not there yet at sync: wait briefly for conmon.
            dirty |= self.wait_for_exit_file_unsaved(Duration::from_secs(5))?;
        }
        self.rt.emit(self.event(EventStatus::Stop));
        // The exit and the cleanup are written together.
        self.cleanup_locked_saving(dirty)
    }

    /// Polls for conmon's exit file and applies it.
    pub(crate) fn wait_for_exit_file(&mut self, limit: Duration) -> Result<()> {
        if self.wait_for_exit_file_unsaved(limit)? {
            self.save()?;
        }
        Ok(())
    }

    /// [`Container::wait_for_exit_file`] leaving the write to the caller:
    /// true when the state changed and must be saved.
    fn wait_for_exit_file_unsaved(&mut self, limit: Duration) -> Result<bool> {
        let mut dirty = false;
        let deadline = std::time::Instant::now() + limit;
        while matches!(
            self.rec.state.state,
            ContainerStatus::Running | ContainerStatus::Stopping | ContainerStatus::Paused
        ) {
            if std::time::Instant::now() > deadline {
                return Err(Error::msg(format!(
                    "timed out waiting for container {} to exit",
                    self.id()
                )));
            }
            self.await_exit_file(EXIT_SLICE)?;
            // Reloads first: nothing unsaved is lost, since the loop only
            // goes on while the exit has not been seen.
            dirty |= self.sync_unsaved()?;
        }
        Ok(dirty)
    }

    /// Waits up to `limit` for conmon's exit file (a `stat` every
    /// 0.25–2 ms); true once it exists. Does not apply it: a sync under the
    /// lock does.
    pub fn await_exit_file(&self, limit: Duration) -> Result<bool> {
        Ok(super::exit_watch::await_file(
            &self.rt.paths()?.exits_dir(),
            self.id(),
            limit,
        ))
    }

    /// `kill`: sends `signal` to the container's init process.
    pub fn kill(&mut self, signal: i32) -> Result<()> {
        let _held = self.lock_and_sync()?;
        if !matches!(
            self.rec.state.state,
            ContainerStatus::Running | ContainerStatus::Stopping | ContainerStatus::Paused
        ) {
            return Err(self.improper("can only kill running containers"));
        }
        self.oci()?.kill(&self.rec, signal, false)?;
        self.rec.state.stopped_by_user = true;
        self.save()?;
        self.rt.emit(self.event(EventStatus::Kill));
        if signal == libc::SIGKILL {
            let _ = self.wait_for_exit_file(Duration::from_secs(5));
        }
        Ok(())
    }
}
