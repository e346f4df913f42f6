//! `pod start`, `stop`, `kill`, `pause`, `unpause`, `restart`: each takes
//! the pod lock, then acts on the containers one at a time under their own
//! locks (the infra container first when starting, last otherwise). A
//! container that fails does not stop the others: its error is collected,
//! as libpod's `ErrPodPartialFail` results do.

use super::Pod;
use crate::container::{Container, ContainerStatus};
use crate::error::{Error, Result};
use crate::events::EventStatus;

/// The containers a pod verb failed on, each error naming its container.
pub type PodErrors = Vec<Error>;

/// Stops `ctrs` one after another (each under its own container lock);
/// the results come in the order of `ctrs`.
pub(crate) fn stop_together(ctrs: &mut [Container], timeout: Option<u32>) -> Vec<Result<()>> {
    ctrs.iter_mut().map(|c| c.stop(timeout)).collect()
}

/// What a verb does to one container: `Ok(true)` when it acted.
type Verb<'a> = &'a mut dyn FnMut(&mut Container) -> Result<bool>;

impl Pod {
    /// Runs `verb` on every container in `order`, collecting the errors
    /// (with `what` and the container's ID as context).
    fn each(&mut self, infra_first: bool, what: &str, verb: Verb<'_>) -> Result<PodErrors> {
        let _held = self.lock_and_sync()?;
        let mut ctrs = self.containers()?;
        if !infra_first {
            ctrs.reverse();
        }
        let mut errors = Vec::new();
        for mut c in ctrs {
            match verb(&mut c) {
                Ok(_) => {}
                Err(e) if e.is(&Error::CtrRemoved) => {}
                Err(e) => errors.push(e.context(format!("{what} container {}", c.id()))),
            }
        }
        Ok(errors)
    }

    /// Starts every container that is not running, dependencies first.
    pub fn start(&mut self) -> Result<PodErrors> {
        if self.rt.state()?.pod_containers_by_id(self.id())?.is_empty() {
            return Err(Error::NoSuchCtr.context(format!(
                "no containers in pod {} have no dependencies, cannot start pod",
                self.id()
            )));
        }
        self.start_all("starting", EventStatus::Start)
    }

    /// Starts every container that is not running, infra first, then
    /// emits `event` when none failed (the second half of `start` and
    /// `restart`).
    fn start_all(&mut self, what: &str, event: EventStatus) -> Result<PodErrors> {
        let errors = self.each(true, what, &mut |c| {
            c.refresh_state()?;
            if c.state().state == ContainerStatus::Running {
                return Ok(false);
            }
            c.start()?;
            Ok(true)
        })?;
        if errors.is_empty() {
            self.rt.emit(self.event(event));
        }
        Ok(errors)
    }

    /// Stops every running container: the members, then the infra
    /// container, waiting
    /// `timeout` seconds (each container's own when `None`).
    pub fn stop(&mut self, timeout: Option<u32>) -> Result<PodErrors> {
        let _held = self.lock_and_sync()?;
        let (mut infra, mut members): (Vec<Container>, Vec<Container>) = self
            .containers()?
            .into_iter()
            .partition(|c| c.config().is_infra);
        let mut errors = Vec::new();
        for group in [&mut members, &mut infra] {
            let results = stop_together(group, timeout);
            for (c, r) in group.iter().zip(results) {
                match r {
                    Ok(()) => {}
                    Err(e) if e.is(&Error::CtrStopped) || e.is(&Error::CtrRemoved) => {}
                    Err(e) => errors.push(e.context(format!("stopping container {}", c.id()))),
                }
            }
        }
        if errors.is_empty() {
            self.rt.emit(self.event(EventStatus::Stop));
        }
        Ok(errors)
    }

    /// Sends `signal` to every running container.
    pub fn kill(&mut self, signal: i32) -> Result<PodErrors> {
        let mut any = false;
        let errors = self.each(false, "killing", &mut |c| {
            c.refresh_state()?;
            if !matches!(
                c.state().state,
                ContainerStatus::Running | ContainerStatus::Paused
            ) {
                return Ok(false);
            }
            c.kill(signal)?;
            any = true;
            Ok(true)
        })?;
        if errors.is_empty() && any {
            self.rt.emit(self.event(EventStatus::Kill));
        }
        Ok(errors)
    }

    /// Pauses every running container.
    pub fn pause(&mut self) -> Result<PodErrors> {
        let to = Transition {
            infra_first: false,
            what: "pausing",
            from: ContainerStatus::Running,
            event: EventStatus::Pause,
        };
        self.each_in_state(to, Container::pause)
    }

    /// Unpauses every paused container.
    pub fn unpause(&mut self) -> Result<PodErrors> {
        let to = Transition {
            infra_first: true,
            what: "unpausing",
            from: ContainerStatus::Paused,
            event: EventStatus::Unpause,
        };
        self.each_in_state(to, Container::unpause)
    }

    /// Applies `op` to every container in state `to.from`, then emits
    /// `to.event` when none failed.
    fn each_in_state(
        &mut self,
        to: Transition,
        op: fn(&mut Container) -> Result<()>,
    ) -> Result<PodErrors> {
        let errors = self.each(to.infra_first, to.what, &mut |c| {
            c.refresh_state()?;
            if c.state().state != to.from {
                return Ok(false);
            }
            op(c)?;
            Ok(true)
        })?;
        if errors.is_empty() {
            self.rt.emit(self.event(to.event.clone()));
        }
        Ok(errors)
    }

    /// Stops every container, then starts them all again.
    pub fn restart(&mut self, timeout: Option<u32>) -> Result<PodErrors> {
        let mut errors = self.stop(timeout)?;
        if !errors.is_empty() {
            return Ok(errors);
        }
        errors = self.start_all("restarting", EventStatus::Restart)?;
        Ok(errors)
    }

    /// With exit policy `stop`: once no member other than `exited` runs,
    /// stops the pod (so its infra container). conmon's exit command calls
    /// this after cleaning up a member.
    pub(crate) fn stop_if_only_infra_remains(&mut self, exited: &str) -> Result<()> {
        if self.rec.config.exit_policy != "stop" {
            return Ok(());
        }
        {
            let _held = self.lock_and_sync()?;
            let infra = self.rec.state.infra_container_id.clone();
            for mut c in self.containers()? {
                if c.id() == infra || c.id() == exited {
                    continue;
                }
                match c.refresh_state() {
                    Ok(()) => {}
                    Err(e) if e.is(&Error::CtrRemoved) => continue,
                    Err(e) => return Err(e),
                }
                if matches!(
                    c.state().state,
                    ContainerStatus::Running | ContainerStatus::Paused | ContainerStatus::Stopping
                ) {
                    return Ok(());
                }
            }
        }
        let errors = self.stop(None)?;
        match errors.into_iter().next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// A pod-wide state change: which containers it applies to, in what
/// order, and the event it ends with.
#[derive(Debug)]
struct Transition {
    infra_first: bool,
    what: &'static str,
    from: ContainerStatus,
    event: EventStatus,
}
