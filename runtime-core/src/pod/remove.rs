//! `pod rm` and `pod prune`.
//!
//! Steps of a removal, each durable on its own, so that a removal killed
//! half-way is finished by the next `pod rm -f`:
//! 1. under the pod lock, the members go (stopped first with `force`),
//!    as `rm` removes containers;
//! 2. the infra container goes (any container marked infra counts,
//!    recorded in the pod state or not);
//! 3. the pod record goes, then its lock is freed and `remove` emitted.

use super::{Pod, PodStatus};
use crate::container::{Container, ContainerStatus, RemoveOptions};
use crate::error::{Error, Result};
use crate::events::EventStatus;
use crate::runtime::Runtime;

/// Options of `pod rm`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PodRmOptions {
    /// Stop running containers first (`-f`).
    pub force: bool,
    /// Seconds to wait for each stop (`-t`); each container's own when `None`.
    pub timeout: Option<u32>,
}

/// The outcome of removing one pod.
#[derive(Debug)]
pub struct PodRmReport {
    /// The pod's full ID.
    pub id: String,
    /// Why it could not be removed.
    pub err: Option<Error>,
}

impl Pod {
    /// Removes the pod with all its containers. Without `force`, a pod
    /// with a running member is refused before anything is removed (a pod
    /// whose only container is its infra container always goes).
    pub fn remove(&mut self, opts: PodRmOptions) -> Result<()> {
        let _held = match self.lock_and_sync() {
            Ok(h) => h,
            Err(e) if e.is(&Error::PodRemoved) => return Ok(()),
            Err(e) => return Err(e),
        };
        let all = self.containers()?;
        let (mut infra, mut members): (Vec<Container>, Vec<Container>) = all
            .into_iter()
            .partition(|c| c.config().is_infra || self.infra_id() == Some(c.id()));
        if !opts.force {
            for c in &mut members {
                c.refresh_state()?;
                if matches!(
                    c.state().state,
                    ContainerStatus::Running | ContainerStatus::Paused | ContainerStatus::Stopping
                ) {
                    return Err(Error::CtrStateInvalid
                        .context(format!(
                            "cannot remove container {} as it is running - running or paused containers cannot be removed without force",
                            c.id()
                        ))
                        .context(format!(
                            "removing container {} from pod {}",
                            c.id(),
                            self.id()
                        )));
                }
            }
        }
        if opts.force {
            // Everything is stopped first, the infra container last (the
            // members' processes do not depend on it); the removal then
            // finds them stopped (and reports any that still is not).
            let mut all: Vec<Container> = members.drain(..).chain(infra.drain(..)).collect();
            let _ = super::lifecycle::stop_together(&mut all, opts.timeout);
            let (i, m): (Vec<Container>, Vec<Container>) = all
                .into_iter()
                .partition(|c| c.config().is_infra || self.infra_id() == Some(c.id()));
            infra = i;
            members = m;
        }
        let rm = RemoveOptions {
            force: opts.force,
            volumes: true,
            timeout: opts.timeout,
        };
        let results = Container::remove_many(&mut members, rm);
        for (c, r) in members.iter().zip(results) {
            match r {
                Ok(()) => {}
                Err(e) if e.is(&Error::CtrRemoved) || e.is(&Error::NoSuchCtr) => {}
                Err(e) => {
                    return Err(e.context(format!(
                        "removing container {} from pod {}",
                        c.id(),
                        self.id()
                    )));
                }
            }
        }
        for c in &mut infra {
            match c.remove_infra() {
                Ok(()) => {}
                Err(e) if e.is(&Error::CtrRemoved) || e.is(&Error::NoSuchCtr) => {}
                Err(e) => {
                    return Err(e.context(format!(
                        "removing container {} from pod {}",
                        c.id(),
                        self.id()
                    )));
                }
            }
        }
        self.rt.state()?.remove_pod(self.id())?;
        if let Err(e) = self.lock.free() {
            tracing::warn!("freeing the lock of pod {}: {e}", self.id());
        }
        self.rt.emit(self.event(EventStatus::Remove));
        Ok(())
    }
}

impl Runtime {
    /// `pod prune`: removes every pod whose containers have all stopped
    /// (state Exited or Stopped). Returns one report per pod tried.
    pub fn prune_pods(&self) -> Result<Vec<PodRmReport>> {
        let mut out = Vec::new();
        for mut pod in self.pods()? {
            let status = match pod.status() {
                Ok(s) => s,
                Err(e) if e.is(&Error::PodRemoved) || e.is(&Error::NoSuchPod) => continue,
                Err(e) => return Err(e),
            };
            if !matches!(status, PodStatus::Exited | PodStatus::Stopped) {
                continue;
            }
            let err = pod.remove(PodRmOptions::default()).err();
            out.push(PodRmReport {
                id: pod.id().to_string(),
                err,
            });
        }
        Ok(out)
    }
}
