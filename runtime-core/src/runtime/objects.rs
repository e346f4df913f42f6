//! Creating the records of containers and pods (volumes: `crate::volume`): ID, unique name,
//! lock, State entry and `create` event. (Running them is the OCI layer's job.)

use std::collections::BTreeMap;

use super::Runtime;
use crate::container::{ContainerConfig, ContainerRecord};
use crate::error::{Error, Result};
use crate::events::{Event, EventStatus, EventType};
use crate::names::{generate_id, generate_unique_name, validate_name};
use crate::pod::{PodConfig, PodRecord, PodState};

/// What a new container is made from.
#[derive(Debug, Clone, Default)]
pub struct NewContainer {
    /// Name; generated (`adjective_surname`) when empty.
    pub name: String,
    /// Root filesystem directory (`--rootfs`).
    pub rootfs: String,
    /// Image name as typed.
    pub image: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Pod to join.
    pub pod: Option<String>,
    /// The OCI spec to store (in the JSON shape Podman writes).
    pub spec: Option<oci_spec::runtime::Spec>,
}

/// What a new pod is made from.
#[derive(Debug, Clone, Default)]
pub struct NewPod {
    /// Name; generated when empty.
    pub name: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
}

impl Runtime {
    /// True when a container or pod has exactly this name (a lookup also
    /// matches ID prefixes, which do not make a name taken).
    fn name_taken(&self, name: &str) -> Result<bool> {
        let state = &self.inner.state;
        match state.lookup_container_id(name) {
            Ok(id) => return Ok(state.container_name(&id)? == name),
            Err(e) if e.is(&Error::NoSuchCtr) => {}
            Err(e) => return Err(e),
        }
        match state.lookup_pod(name) {
            Ok(p) => Ok(p.config.name == name),
            Err(e) if e.is(&Error::NoSuchPod) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// The requested name (validated), or a generated unique one.
    pub(crate) fn pick_name(&self, requested: &str) -> Result<String> {
        if requested.is_empty() {
            generate_unique_name(|n| self.name_taken(n))
        } else {
            validate_name(requested)?;
            Ok(requested.to_string())
        }
    }

    /// Records a new container in the `Configured` state and emits `create`.
    /// On failure nothing is left behind (the lock is freed).
    pub fn new_container(&self, spec: NewContainer) -> Result<ContainerRecord> {
        self.check_valid()?;
        let name = self.pick_name(&spec.name)?;
        let pod = match &spec.pod {
            Some(p) => Some(self.inner.state.lookup_pod(p)?.config.id),
            None => None,
        };
        let spec_json = spec
            .spec
            .as_ref()
            .map(crate::container::spec::spec_to_json)
            .transpose()?;
        let lock = self.inner.locks.allocate()?;
        let mut cfg = ContainerConfig::new(generate_id()?, name, lock.id());
        cfg.rootfs = spec.rootfs;
        cfg.raw_image_name.clone_from(&spec.image);
        cfg.rootfs_image_name = spec.image;
        cfg.labels = spec.labels;
        cfg.pod = pod;
        cfg.spec = spec_json;
        cfg.oci_runtime
            .clone_from(&self.inner.oci_runtimes.default_name);
        cfg.stop_timeout = self.inner.config.conf.engine.stop_timeout;
        let rec = ContainerRecord::new(cfg);
        if let Err(e) = self.inner.state.add_container(&rec) {
            let _ = lock.free();
            return Err(e.context("adding container to state"));
        }
        let mut ev = Event::new(EventType::Container, EventStatus::Create);
        ev.id.clone_from(&rec.config.id);
        ev.name.clone_from(&rec.config.name);
        ev.image.clone_from(&rec.config.rootfs_image_name);
        ev.pod_id = rec.config.pod.clone().unwrap_or_default();
        ev.attributes = Some(rec.config.labels.clone());
        self.emit(ev);
        Ok(rec)
    }

    /// Records a new pod (no infra container yet) and emits `create`.
    pub fn new_pod(&self, spec: NewPod) -> Result<PodRecord> {
        self.check_valid()?;
        let name = self.pick_name(&spec.name)?;
        let lock = self.inner.locks.allocate()?;
        let mut cfg = PodConfig::new(generate_id()?, name, lock.id());
        cfg.labels = spec.labels;
        let rec = PodRecord {
            config: cfg,
            state: PodState::default(),
        };
        if let Err(e) = self.inner.state.add_pod(&rec) {
            let _ = lock.free();
            return Err(e.context("adding pod to state"));
        }
        let mut ev = Event::new(EventType::Pod, EventStatus::Create);
        ev.id.clone_from(&rec.config.id);
        ev.name.clone_from(&rec.config.name);
        self.emit(ev);
        Ok(rec)
    }
}
