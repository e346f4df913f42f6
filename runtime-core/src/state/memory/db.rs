//! The in-memory state's data and the checked changes on it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};

use crate::container::ContainerRecord;
use crate::error::{Error, Result};
use crate::names::{LookupCandidates, ObjectKind};
use crate::network::PerNetworkOptions;
use crate::pod::PodRecord;
use crate::state::DbConfig;
use crate::state::errors;
use crate::volume::VolumeRecord;

/// Everything the state holds, behind [`MemoryState`](super::MemoryState)'s mutex.
#[derive(Debug, Default)]
pub(super) struct Db {
    pub(super) db_config: Option<DbConfig>,
    pub(super) ctrs: BTreeMap<String, ContainerRecord>,
    pub(super) pods: BTreeMap<String, PodRecord>,
    pub(super) vols: BTreeMap<String, VolumeRecord>,
    /// name → ID, containers and pods together.
    pub(super) names: BTreeMap<String, String>,
    /// dependency ID → IDs of the containers that depend on it.
    pub(super) dependents: BTreeMap<String, BTreeSet<String>>,
    /// volume name → IDs of containers using it.
    pub(super) vol_users: BTreeMap<String, BTreeSet<String>>,
    /// container ID → network name → options.
    pub(super) networks: BTreeMap<String, BTreeMap<String, PerNetworkOptions>>,
    /// exec session ID → container ID.
    pub(super) exec: BTreeMap<String, String>,
    /// container ID → (exit code, when).
    pub(super) exit_codes: BTreeMap<String, (i32, DateTime<Utc>)>,
}

use crate::state::errors::{no_ctr, no_pod, no_vol};

impl Db {
    pub(super) fn ctr(&self, id: &str) -> Result<&ContainerRecord> {
        self.ctrs.get(id).ok_or_else(|| no_ctr(id))
    }

    pub(super) fn id_taken(&self, id: &str) -> bool {
        self.ctrs.contains_key(id) || self.pods.contains_key(id)
    }

    pub(super) fn candidates(&self, kind: ObjectKind, input: &str) -> LookupCandidates {
        let mut c = LookupCandidates::default();
        let (mine, theirs): (Vec<&String>, bool) = match kind {
            ObjectKind::Container => (
                self.ctrs.keys().collect(),
                self.pods.contains_key(input)
                    || self
                        .names
                        .get(input)
                        .is_some_and(|id| self.pods.contains_key(id)),
            ),
            ObjectKind::Pod => (
                self.pods.keys().collect(),
                self.ctrs.contains_key(input)
                    || self
                        .names
                        .get(input)
                        .is_some_and(|id| self.ctrs.contains_key(id)),
            ),
        };
        if mine.iter().any(|id| *id == input) {
            c.exact_id = Some(input.to_string());
        }
        if let Some(id) = self.names.get(input)
            && mine.contains(&id)
        {
            c.exact_name = Some(id.clone());
        }
        c.other_kind_match = theirs;
        c.prefix_ids = mine
            .into_iter()
            .filter(|id| id.starts_with(input))
            .take(2)
            .cloned()
            .collect();
        c
    }

    /// Registers exec session `session_id` for container `ctr_id`.
    pub(super) fn add_exec(&mut self, ctr_id: &str, session_id: &str) -> Result<()> {
        self.ctr(ctr_id)?;
        if self.exec.contains_key(session_id) {
            return Err(Error::ExecSessionExists.context(format!("exec session {session_id}")));
        }
        self.exec.insert(session_id.to_string(), ctr_id.to_string());
        Ok(())
    }

    pub(super) fn remove_ctr_unchecked(&mut self, id: &str) {
        if let Some(rec) = self.ctrs.remove(id) {
            self.names.remove(&rec.config.name);
            for dep in rec.config.all_dependencies() {
                if let Some(set) = self.dependents.get_mut(&dep) {
                    set.remove(id);
                }
            }
            for v in &rec.config.named_volumes {
                if let Some(set) = self.vol_users.get_mut(&v.name) {
                    set.remove(id);
                }
            }
        }
        self.dependents.remove(id);
        self.networks.remove(id);
        self.exec.retain(|_, c| c != id);
    }

    /// Checks that a new container's ID and name are free and that its pod,
    /// dependencies and volumes exist, then registers it and its edges.
    pub(super) fn insert_container(&mut self, ctr: &ContainerRecord) -> Result<()> {
        let cfg = &ctr.config;
        if cfg.id.is_empty() || cfg.name.is_empty() {
            return Err(Error::EmptyId);
        }
        if self.id_taken(&cfg.id) {
            return Err(errors::id_in_use(Error::CtrExists, &cfg.id));
        }
        if self.names.contains_key(&cfg.name) {
            return Err(errors::name_in_use(Error::CtrExists, &cfg.name));
        }
        if let Some(pod) = &cfg.pod
            && !self.pods.contains_key(pod)
        {
            return Err(no_pod(pod));
        }
        let deps = cfg.all_dependencies();
        for dep in &deps {
            if dep == &cfg.id {
                return Err(errors::self_dependency());
            }
            let d = self
                .ctrs
                .get(dep)
                .ok_or_else(|| errors::missing_dependency(&cfg.id, dep))?;
            if d.config.pod != cfg.pod {
                return Err(errors::dependency_outside_pod(&cfg.id, dep));
            }
        }
        for v in &cfg.named_volumes {
            if !self.vols.contains_key(&v.name) {
                return Err(no_vol(&v.name));
            }
        }
        for dep in deps {
            self.dependents
                .entry(dep)
                .or_default()
                .insert(cfg.id.clone());
        }
        for v in &cfg.named_volumes {
            self.vol_users
                .entry(v.name.clone())
                .or_default()
                .insert(cfg.id.clone());
        }
        self.names.insert(cfg.name.clone(), cfg.id.clone());
        self.ctrs.insert(cfg.id.clone(), ctr.clone());
        Ok(())
    }

    /// Removes a container nothing depends on and that has no exec sessions.
    pub(super) fn remove_container_checked(&mut self, id: &str) -> Result<()> {
        self.ctr(id)?;
        let users: Vec<String> = self
            .dependents
            .get(id)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        if !users.is_empty() {
            return Err(errors::has_dependents(id, &users));
        }
        if self.exec.values().any(|c| c == id) {
            return Err(errors::has_exec_sessions(id));
        }
        self.remove_ctr_unchecked(id);
        Ok(())
    }

    /// Removes several containers, all or none: each is checked first.
    pub(super) fn remove_containers_checked(&mut self, ids: &[String]) -> Result<()> {
        // Checked in full first, so that an error leaves everything in place.
        let mut gone: BTreeSet<&str> = BTreeSet::new();
        for id in ids {
            if gone.contains(id.as_str()) {
                return Err(no_ctr(id));
            }
            self.ctr(id)?;
            let users: Vec<&str> = self
                .dependents
                .get(id)
                .map(|s| {
                    s.iter()
                        .map(String::as_str)
                        .filter(|u| !gone.contains(u))
                        .collect()
                })
                .unwrap_or_default();
            if !users.is_empty() {
                return Err(errors::has_dependents(id, &users));
            }
            gone.insert(id);
        }
        for id in ids {
            self.remove_ctr_unchecked(id);
        }
        Ok(())
    }

    /// Removes an empty pod (its infra container goes with it).
    pub(super) fn remove_pod_checked(&mut self, id: &str) -> Result<()> {
        let pod = self.pods.get(id).ok_or_else(|| no_pod(id))?;
        let infra = pod.state.infra_container_id.clone();
        let name = pod.config.name.clone();
        if self
            .ctrs
            .values()
            .any(|c| c.config.pod.as_deref() == Some(id) && c.config.id != infra)
        {
            return Err(errors::pod_not_empty(id));
        }
        if !infra.is_empty() && self.ctrs.contains_key(&infra) {
            self.remove_ctr_unchecked(&infra);
        }
        self.pods.remove(id);
        self.names.remove(&name);
        Ok(())
    }

    /// Removes every container of a pod, refusing when a container outside
    /// the pod depends on one of them.
    pub(super) fn remove_pod_members(&mut self, pod_id: &str) -> Result<()> {
        if !self.pods.contains_key(pod_id) {
            return Err(no_pod(pod_id));
        }
        let members: BTreeSet<String> = self
            .ctrs
            .values()
            .filter(|c| c.config.pod.as_deref() == Some(pod_id))
            .map(|c| c.config.id.clone())
            .collect();
        for m in &members {
            if let Some(outside) = self
                .dependents
                .get(m)
                .and_then(|s| s.iter().find(|d| !members.contains(*d)))
            {
                return Err(errors::outside_dependent(outside, m, pod_id));
            }
        }
        for m in &members {
            self.remove_ctr_unchecked(m);
        }
        Ok(())
    }
}
