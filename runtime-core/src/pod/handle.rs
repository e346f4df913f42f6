//! `Pod`: a handle on one pod, and the lookups that make one.

use std::sync::Arc;

use super::{PodConfig, PodRecord, PodState, PodStatus, aggregate_status};
use crate::container::{Container, ContainerStatus, HeldLock};
use crate::error::{Error, Result};
use crate::events::{Event, EventStatus, EventType};
use crate::lock::Locker;
use crate::runtime::Runtime;
use crate::state::dependency_order;

/// A handle on one pod. Verbs live in one file each (`lifecycle.rs`, ...).
#[derive(Debug)]
pub struct Pod {
    pub(crate) rt: Runtime,
    pub(crate) lock: Arc<dyn Locker>,
    pub(crate) rec: PodRecord,
}

impl Pod {
    /// Wraps a record loaded from the State.
    pub(crate) fn from_record(rt: &Runtime, rec: PodRecord) -> Result<Pod> {
        let lock = rt.lock_manager()?.retrieve(rec.config.lock_id)?;
        Ok(Pod {
            rt: rt.clone(),
            lock,
            rec,
        })
    }

    /// The full ID.
    pub fn id(&self) -> &str {
        &self.rec.config.id
    }

    /// The name.
    pub fn name(&self) -> &str {
        &self.rec.config.name
    }

    /// The configuration.
    pub fn config(&self) -> &PodConfig {
        &self.rec.config
    }

    /// The state as of the last sync.
    pub fn state(&self) -> &PodState {
        &self.rec.state
    }

    /// The infra container's ID, if the pod has one.
    pub fn infra_id(&self) -> Option<&str> {
        let id = self.rec.state.infra_container_id.as_str();
        (!id.is_empty()).then_some(id)
    }

    /// Takes the pod lock and reloads the state (`PodRemoved` if gone).
    pub(crate) fn lock_and_sync(&mut self) -> Result<HeldLock> {
        let held = HeldLock::take(&self.lock)?;
        self.sync()?;
        Ok(held)
    }

    /// Reloads the state from the State.
    pub(crate) fn sync(&mut self) -> Result<()> {
        self.rec.state = match self.rt.state()?.update_pod(self.id()) {
            Ok(s) => s,
            Err(e) if e.is(&Error::NoSuchPod) => {
                return Err(Error::PodRemoved.context(format!("pod {}", self.id())));
            }
            Err(e) => return Err(e),
        };
        Ok(())
    }

    /// Writes the state.
    pub(crate) fn save(&self) -> Result<()> {
        self.rt.state()?.save_pod(self.id(), &self.rec.state)
    }

    /// The pod's containers (states as stored), dependencies first: the
    /// infra container before the members that join its namespaces.
    pub fn containers(&self) -> Result<Vec<Container>> {
        let recs = self.rt.state()?.pod_containers(self.id())?;
        dependency_order(recs)
            .into_iter()
            .map(|r| Container::from_record(&self.rt, r))
            .collect()
    }

    /// The containers' states, each synced under its lock (which reads
    /// conmon's exit file), in dependency order.
    pub fn container_states(&self) -> Result<Vec<(Container, ContainerStatus)>> {
        let mut out = Vec::new();
        for mut c in self.containers()? {
            match c.refresh_state() {
                Ok(()) => {}
                Err(e) if e.is(&Error::CtrRemoved) => continue,
                Err(e) => return Err(e),
            }
            let s = c.state().state;
            out.push((c, s));
        }
        Ok(out)
    }

    /// The aggregate state of the pod's containers.
    pub fn status(&self) -> Result<PodStatus> {
        let states: Vec<ContainerStatus> = self
            .container_states()?
            .into_iter()
            .map(|(_, s)| s)
            .collect();
        Ok(aggregate_status(&states))
    }

    /// An event about this pod.
    pub(crate) fn event(&self, status: EventStatus) -> Event {
        let mut ev = Event::new(EventType::Pod, status);
        ev.id.clone_from(&self.rec.config.id);
        ev.name.clone_from(&self.rec.config.name);
        ev
    }
}

impl Runtime {
    /// The pod with this name, ID or unique ID prefix.
    pub fn lookup_pod(&self, name_or_id: &str) -> Result<Pod> {
        let rec = self.state()?.lookup_pod(name_or_id)?;
        Pod::from_record(self, rec)
    }

    /// Every pod.
    pub fn pods(&self) -> Result<Vec<Pod>> {
        self.state()?
            .all_pods()?
            .into_iter()
            .map(|r| Pod::from_record(self, r))
            .collect()
    }
}
