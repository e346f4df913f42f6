//! `attach`, and the attached start `run` and `start -a` use.

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
    /// user detaches.
    pub fn start_attached(&mut self, io: AttachIo) -> Result<AttachEnd> {
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
