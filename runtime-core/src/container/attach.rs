//! `attach`, and the attached start `run` and `start -a` use.

use super::log_config;
use super::logs::NO_LOGS;
use super::{Container, ContainerStatus};
use crate::error::{Error, Result};
use crate::events::EventStatus;
use crate::oci::{AttachEnd, AttachIo};

impl Container {
    /// Resizes the container's terminal (containers created with `-t`).
    pub fn resize(&self, width: u16, height: u16) -> Result<()> {
        self.oci()?.resize(&self.rec, width, height)
    }

    /// Attaches to a running container until its output ends or the user detaches.
    pub fn attach(&mut self, io: AttachIo) -> Result<AttachEnd> {
        if self.rec.config.log_driver == log_config::PASSTHROUGH {
            return Err(Error::msg(format!(
                "this container is using the '{}' log driver, cannot attach: {NO_LOGS}",
                log_config::PASSTHROUGH
            )));
        }
        {
            let _held = self.lock_and_sync()?;
            if !matches!(
                self.rec.state.state,
                ContainerStatus::Running | ContainerStatus::Created
            ) {
                return Err(
                    Error::CtrStateInvalid.context("you can only attach to running containers")
                );
            }
        }
        self.rt.emit(self.event(EventStatus::Attach));
        self.oci()?.attach(&self.rec, io, &mut || Ok(()))
    }

    /// Initializes the container, attaches to it, and starts it once
    /// attached, so no output is lost; returns when its output ends or the
    /// user detaches. A passthrough container has no output to attach to:
    /// it is started with this process's stdio and the call returns at once.
    pub fn start_attached(&mut self, io: AttachIo) -> Result<AttachEnd> {
        if self.rec.config.log_driver == log_config::PASSTHROUGH {
            drop(io);
            self.start()?;
            return Ok(AttachEnd::Ended);
        }
        {
            let _held = self.lock_and_sync()?;
            match self.rec.state.state {
                ContainerStatus::Created => {}
                ContainerStatus::Configured
                | ContainerStatus::Stopped
                | ContainerStatus::Exited => {
                    self.init_locked()?;
                }
                ContainerStatus::Running => {
                    return Err(Error::CtrStateInvalid
                        .context(format!("container {} is already running", self.id())));
                }
                _ => {
                    return Err(Error::CtrStateInvalid.context(format!(
                        "container {} must be in Created or Stopped state to be started",
                        self.id()
                    )));
                }
            }
        }
        let oci = self.oci()?;
        let rec = self.rec.clone();
        let mut started: Result<()> = Ok(());
        let mut me = Some(&mut *self);
        let end = oci.attach(&rec, io, &mut || {
            if let Some(c) = me.take() {
                let r = (|| {
                    let _held = c.lock_and_sync()?;
                    c.start_locked()?;
                    c.rt.emit(c.event(EventStatus::Attach));
                    Ok(())
                })();
                if let Err(e) = r {
                    // Keep the real error (its kind decides the exit code);
                    // the driver only needs to know that starting failed.
                    started = Err(e);
                    return Err(Error::msg("starting the container failed"));
                }
            }
            Ok(())
        });
        match (end, started) {
            (_, Err(e)) => Err(e),
            (r, Ok(())) => r,
        }
    }
}
