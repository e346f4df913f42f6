//! `pause`, `unpause`, `restart` and `rename`.

use super::{Container, ContainerStatus};
use crate::error::{Error, Result};
use crate::events::EventStatus;
use crate::names::validate_name;

impl Container {
    /// Freezes a running container (cgroup freezer through the runtime).
    pub fn pause(&mut self) -> Result<()> {
        let _held = self.lock_and_sync()?;
        if self.rec.state.state == ContainerStatus::Paused {
            return Err(
                Error::CtrStateInvalid.context(format!("{:?} is already paused", self.id()))
            );
        }
        if self.rec.state.state != ContainerStatus::Running {
            return Err(Error::CtrStateInvalid
                .context(format!("{:?} is not running, can't pause", self.id())));
        }
        self.oci()?.pause(&self.rec)?;
        self.rec.state.state = ContainerStatus::Paused;
        self.save()?;
        self.rt.emit(self.event(EventStatus::Pause));
        Ok(())
    }

    /// Thaws a paused container.
    pub fn unpause(&mut self) -> Result<()> {
        let _held = self.lock_and_sync()?;
        if self.rec.state.state != ContainerStatus::Paused {
            return Err(Error::CtrStateInvalid
                .context(format!("{:?} is not paused, can't unpause", self.id())));
        }
        self.oci()?.resume(&self.rec)?;
        self.rec.state.state = ContainerStatus::Running;
        self.save()?;
        self.rt.emit(self.event(EventStatus::Unpause));
        Ok(())
    }

    /// Stops (if running) and starts the container again.
    pub fn restart(&mut self, timeout: Option<u32>) -> Result<()> {
        match self.stop(timeout) {
            Ok(()) => {}
            Err(e) if e.is(&Error::CtrStopped) => {}
            Err(e) => return Err(e),
        }
        let _held = self.lock_and_sync()?;
        self.start_locked()?;
        self.rt.emit(self.event(EventStatus::Restart));
        Ok(())
    }

    /// Renames the container (atomically in the State).
    pub fn rename(&mut self, new_name: &str) -> Result<()> {
        validate_name(new_name)?;
        let _held = self.lock_and_sync()?;
        let old = self.rec.config.name.clone();
        let mut cfg = self.rec.config.clone();
        cfg.name = new_name.to_string();
        self.rt
            .state()?
            .safe_rewrite_container_config(&old, new_name, &cfg)?;
        self.rec.config = cfg;
        self.rt.emit(self.event(EventStatus::Rename));
        Ok(())
    }
}
