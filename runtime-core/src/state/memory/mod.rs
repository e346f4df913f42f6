//! An in-memory `State`: the reference implementation of the contract, for
//! tests and for `--db-backend memory` (nothing survives the process).

mod db;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};

use super::{DbConfig, EXIT_CODE_RETENTION, State};
use crate::container::{ContainerConfig, ContainerRecord, ContainerState};
use crate::error::{Error, Result};
use crate::names::{ObjectKind, resolve};
use crate::network::PerNetworkOptions;
use crate::pod::{PodConfig, PodRecord, PodState};
use crate::state::errors;
use crate::state::errors::{no_ctr, no_pod, no_vol};
use crate::volume::{VolumeConfig, VolumeRecord, VolumeState};
use db::Db;

/// The in-memory State. Thread-safe; one mutex around everything.
/// [`MemoryState::handle`] opens another connection to the same data (as
/// separate processes share one database file); each handle closes alone.
#[derive(Debug, Default)]
pub struct MemoryState {
    db: Arc<Mutex<Db>>,
    closed: AtomicBool,
}

impl MemoryState {
    /// An empty state.
    pub fn new() -> Self {
        MemoryState::default()
    }

    /// Another open handle on the same data.
    pub fn handle(&self) -> MemoryState {
        MemoryState {
            db: Arc::clone(&self.db),
            closed: AtomicBool::new(false),
        }
    }

    fn open(&self) -> Result<MutexGuard<'_, Db>> {
        if self.closed.load(Ordering::Acquire) {
            return Err(Error::DbClosed);
        }
        Ok(self.db.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl State for MemoryState {
    fn name(&self) -> &'static str {
        "memory"
    }

    fn close(&self) -> Result<()> {
        self.closed.store(true, Ordering::Release);
        Ok(())
    }

    fn refresh(&self) -> Result<()> {
        let mut db = self.open()?;
        for rec in db.ctrs.values_mut() {
            rec.state.reset_for_refresh();
        }
        for rec in db.pods.values_mut() {
            rec.state.reset_for_refresh();
        }
        for rec in db.vols.values_mut() {
            rec.state.reset_for_refresh();
        }
        db.exec.clear();
        db.exit_codes.clear();
        Ok(())
    }

    fn db_config(&self) -> Result<Option<DbConfig>> {
        Ok(self.open()?.db_config.clone())
    }

    fn init_db_config(&self, cfg: &DbConfig) -> Result<DbConfig> {
        let mut db = self.open()?;
        Ok(db.db_config.get_or_insert_with(|| cfg.clone()).clone())
    }

    fn container_name(&self, id: &str) -> Result<String> {
        Ok(self.open()?.ctr(id)?.config.name.clone())
    }

    fn pod_name(&self, id: &str) -> Result<String> {
        let db = self.open()?;
        db.pods
            .get(id)
            .map(|p| p.config.name.clone())
            .ok_or_else(|| no_pod(id))
    }

    fn container(&self, id: &str) -> Result<ContainerRecord> {
        if id.is_empty() {
            return Err(Error::EmptyId);
        }
        Ok(self.open()?.ctr(id)?.clone())
    }

    fn lookup_container_id(&self, id_or_name: &str) -> Result<String> {
        let db = self.open()?;
        resolve(
            ObjectKind::Container,
            id_or_name,
            db.candidates(ObjectKind::Container, id_or_name),
        )
    }

    fn has_container(&self, id: &str) -> Result<bool> {
        Ok(self.open()?.ctrs.contains_key(id))
    }

    fn add_container(&self, ctr: &ContainerRecord) -> Result<()> {
        self.open()?.insert_container(ctr)
    }

    fn remove_container(&self, id: &str) -> Result<()> {
        self.open()?.remove_container_checked(id)
    }

    fn remove_containers(&self, ids: &[String]) -> Result<()> {
        self.open()?.remove_containers_checked(ids)
    }

    fn update_container(&self, id: &str) -> Result<ContainerState> {
        Ok(self.open()?.ctr(id)?.state.clone())
    }

    fn save_container(&self, id: &str, state: &ContainerState) -> Result<()> {
        let mut db = self.open()?;
        let rec = db.ctrs.get_mut(id).ok_or_else(|| no_ctr(id))?;
        rec.state = state.clone();
        Ok(())
    }

    fn container_in_use(&self, id: &str) -> Result<Vec<String>> {
        let db = self.open()?;
        db.ctr(id)?;
        Ok(db
            .dependents
            .get(id)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default())
    }

    fn all_containers(&self, load_state: bool) -> Result<Vec<ContainerRecord>> {
        let db = self.open()?;
        Ok(db
            .ctrs
            .values()
            .map(|r| {
                let mut r = r.clone();
                if !load_state {
                    r.state = ContainerState::default();
                }
                r
            })
            .collect())
    }

    fn rewrite_container_config(&self, cfg: &ContainerConfig) -> Result<()> {
        let mut db = self.open()?;
        let rec = db.ctrs.get_mut(&cfg.id).ok_or_else(|| no_ctr(&cfg.id))?;
        if rec.config.name != cfg.name
            || rec.config.pod != cfg.pod
            || rec.config.all_dependencies() != cfg.all_dependencies()
        {
            return Err(errors::ctr_rewrite_changes_identity());
        }
        rec.config = cfg.clone();
        Ok(())
    }

    fn safe_rewrite_container_config(
        &self,
        old_name: &str,
        new_name: &str,
        cfg: &ContainerConfig,
    ) -> Result<()> {
        let mut db = self.open()?;
        let rec = db.ctrs.get(&cfg.id).ok_or_else(|| no_ctr(&cfg.id))?;
        if rec.config.name != old_name || cfg.name != new_name {
            return Err(errors::rename_mismatch());
        }
        if old_name != new_name && db.names.contains_key(new_name) {
            return Err(errors::name_in_use(Error::CtrExists, new_name));
        }
        db.names.remove(old_name);
        db.names.insert(new_name.to_string(), cfg.id.clone());
        if let Some(rec) = db.ctrs.get_mut(&cfg.id) {
            rec.config = cfg.clone();
        }
        Ok(())
    }

    fn networks(&self, id: &str) -> Result<BTreeMap<String, PerNetworkOptions>> {
        let db = self.open()?;
        db.ctr(id)?;
        Ok(db.networks.get(id).cloned().unwrap_or_default())
    }

    fn network_connect(&self, id: &str, network: &str, opts: &PerNetworkOptions) -> Result<()> {
        let mut db = self.open()?;
        db.ctr(id)?;
        let nets = db.networks.entry(id.to_string()).or_default();
        if nets.contains_key(network) {
            return Err(errors::already_connected(id, network));
        }
        nets.insert(network.to_string(), opts.clone());
        Ok(())
    }

    fn network_disconnect(&self, id: &str, network: &str) -> Result<()> {
        let mut db = self.open()?;
        db.ctr(id)?;
        let removed = db
            .networks
            .get_mut(id)
            .and_then(|n| n.remove(network))
            .is_some();
        if !removed {
            return Err(errors::not_connected(id, network));
        }
        Ok(())
    }

    fn add_container_exit_code(&self, id: &str, code: i32) -> Result<()> {
        if id.is_empty() {
            return Err(Error::EmptyId);
        }
        let mut db = self.open()?;
        db.exit_codes.insert(id.to_string(), (code, Utc::now()));
        Ok(())
    }

    fn container_exit_code(&self, id: &str) -> Result<i32> {
        let db = self.open()?;
        db.exit_codes
            .get(id)
            .map(|(c, _)| *c)
            .ok_or_else(|| errors::no_exit_code(id))
    }

    fn container_exit_code_timestamp(&self, id: &str) -> Result<DateTime<Utc>> {
        let db = self.open()?;
        db.exit_codes
            .get(id)
            .map(|(_, t)| *t)
            .ok_or_else(|| errors::no_exit_code_time(id))
    }

    fn prune_container_exit_codes(&self, now: DateTime<Utc>) -> Result<()> {
        let mut db = self.open()?;
        let cutoff = now - EXIT_CODE_RETENTION;
        db.exit_codes.retain(|_, (_, t)| *t >= cutoff);
        Ok(())
    }

    fn add_exec_session(&self, ctr_id: &str, session_id: &str) -> Result<()> {
        self.open()?.add_exec(ctr_id, session_id)
    }

    fn exec_session(&self, session_id: &str) -> Result<String> {
        let db = self.open()?;
        db.exec
            .get(session_id)
            .cloned()
            .ok_or_else(|| errors::no_exec_session(session_id))
    }

    fn remove_exec_session(&self, session_id: &str) -> Result<()> {
        let mut db = self.open()?;
        db.exec
            .remove(session_id)
            .map(|_| ())
            .ok_or_else(|| errors::no_exec_session(session_id))
    }

    fn add_exec_session_and_save(
        &self,
        ctr_id: &str,
        session_id: &str,
        state: &ContainerState,
    ) -> Result<()> {
        let mut db = self.open()?;
        db.add_exec(ctr_id, session_id)?;
        if let Some(rec) = db.ctrs.get_mut(ctr_id) {
            rec.state = state.clone();
        }
        Ok(())
    }

    fn remove_exec_session_and_save(
        &self,
        ctr_id: &str,
        session_id: &str,
        state: &ContainerState,
    ) -> Result<()> {
        let mut db = self.open()?;
        if db.exec.get(session_id).map(String::as_str) != Some(ctr_id) {
            return Err(errors::no_exec_session_in(session_id, ctr_id));
        }
        let rec = db.ctrs.get_mut(ctr_id).ok_or_else(|| no_ctr(ctr_id))?;
        rec.state = state.clone();
        db.exec.remove(session_id);
        Ok(())
    }

    fn container_exec_sessions(&self, ctr_id: &str) -> Result<Vec<String>> {
        let db = self.open()?;
        db.ctr(ctr_id)?;
        Ok(db
            .exec
            .iter()
            .filter(|(_, c)| *c == ctr_id)
            .map(|(s, _)| s.clone())
            .collect())
    }

    fn remove_container_exec_sessions(&self, ctr_id: &str) -> Result<()> {
        let mut db = self.open()?;
        db.ctr(ctr_id)?;
        db.exec.retain(|_, c| c != ctr_id);
        Ok(())
    }

    fn pod(&self, id: &str) -> Result<PodRecord> {
        if id.is_empty() {
            return Err(Error::EmptyId);
        }
        let db = self.open()?;
        db.pods.get(id).cloned().ok_or_else(|| no_pod(id))
    }

    fn lookup_pod(&self, id_or_name: &str) -> Result<PodRecord> {
        let db = self.open()?;
        let id = resolve(
            ObjectKind::Pod,
            id_or_name,
            db.candidates(ObjectKind::Pod, id_or_name),
        )?;
        db.pods.get(&id).cloned().ok_or_else(|| no_pod(&id))
    }

    fn has_pod(&self, id: &str) -> Result<bool> {
        Ok(self.open()?.pods.contains_key(id))
    }

    fn pod_has_container(&self, pod_id: &str, ctr_id: &str) -> Result<bool> {
        let db = self.open()?;
        if !db.pods.contains_key(pod_id) {
            return Err(no_pod(pod_id));
        }
        Ok(db
            .ctrs
            .get(ctr_id)
            .is_some_and(|c| c.config.pod.as_deref() == Some(pod_id)))
    }

    fn pod_containers_by_id(&self, pod_id: &str) -> Result<Vec<String>> {
        Ok(self
            .pod_containers(pod_id)?
            .into_iter()
            .map(|c| c.config.id)
            .collect())
    }

    fn pod_containers(&self, pod_id: &str) -> Result<Vec<ContainerRecord>> {
        let db = self.open()?;
        if !db.pods.contains_key(pod_id) {
            return Err(no_pod(pod_id));
        }
        Ok(db
            .ctrs
            .values()
            .filter(|c| c.config.pod.as_deref() == Some(pod_id))
            .cloned()
            .collect())
    }

    fn add_pod(&self, pod: &PodRecord) -> Result<()> {
        let mut db = self.open()?;
        let cfg = &pod.config;
        if cfg.id.is_empty() || cfg.name.is_empty() {
            return Err(Error::EmptyId);
        }
        if db.id_taken(&cfg.id) {
            return Err(errors::id_in_use(Error::PodExists, &cfg.id));
        }
        if db.names.contains_key(&cfg.name) {
            return Err(errors::name_in_use(Error::PodExists, &cfg.name));
        }
        db.names.insert(cfg.name.clone(), cfg.id.clone());
        db.pods.insert(cfg.id.clone(), pod.clone());
        Ok(())
    }

    fn remove_pod(&self, id: &str) -> Result<()> {
        self.open()?.remove_pod_checked(id)
    }

    fn remove_pod_containers(&self, pod_id: &str) -> Result<()> {
        self.open()?.remove_pod_members(pod_id)
    }

    fn update_pod(&self, id: &str) -> Result<PodState> {
        Ok(self.pod(id)?.state)
    }

    fn save_pod(&self, id: &str, state: &PodState) -> Result<()> {
        let mut db = self.open()?;
        let rec = db.pods.get_mut(id).ok_or_else(|| no_pod(id))?;
        rec.state = state.clone();
        Ok(())
    }

    fn all_pods(&self) -> Result<Vec<PodRecord>> {
        Ok(self.open()?.pods.values().cloned().collect())
    }

    fn rewrite_pod_config(&self, cfg: &PodConfig) -> Result<()> {
        let mut db = self.open()?;
        let rec = db.pods.get_mut(&cfg.id).ok_or_else(|| no_pod(&cfg.id))?;
        if rec.config.name != cfg.name {
            return Err(errors::pod_rewrite_changes_name());
        }
        rec.config = cfg.clone();
        Ok(())
    }

    fn volume(&self, name: &str) -> Result<VolumeRecord> {
        if name.is_empty() {
            return Err(Error::EmptyId);
        }
        let db = self.open()?;
        db.vols.get(name).cloned().ok_or_else(|| no_vol(name))
    }

    fn lookup_volume(&self, name: &str) -> Result<VolumeRecord> {
        if name.is_empty() {
            return Err(Error::EmptyId);
        }
        let db = self.open()?;
        if let Some(v) = db.vols.get(name) {
            return Ok(v.clone());
        }
        let matches: Vec<&VolumeRecord> = db
            .vols
            .range(name.to_string()..)
            .take_while(|(k, _)| k.starts_with(name))
            .map(|(_, v)| v)
            .take(2)
            .collect();
        match matches.as_slice() {
            [one] => Ok((*one).clone()),
            [] => Err(Error::NoSuchVolume.context(format!("no volume with name {name:?} found"))),
            _ => Err(Error::VolumeExists
                .context(format!("more than one result for volume name {name:?}"))),
        }
    }

    fn has_volume(&self, name: &str) -> Result<bool> {
        Ok(self.open()?.vols.contains_key(name))
    }

    fn volume_in_use(&self, name: &str) -> Result<Vec<String>> {
        let db = self.open()?;
        if !db.vols.contains_key(name) {
            return Err(no_vol(name));
        }
        Ok(db
            .vol_users
            .get(name)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default())
    }

    fn add_volume(&self, vol: &VolumeRecord) -> Result<()> {
        let mut db = self.open()?;
        let name = &vol.config.name;
        if name.is_empty() {
            return Err(Error::EmptyId);
        }
        if db.vols.contains_key(name) {
            return Err(errors::name_in_use(Error::VolumeExists, name));
        }
        db.vols.insert(name.clone(), vol.clone());
        Ok(())
    }

    fn remove_volume(&self, name: &str) -> Result<()> {
        let mut db = self.open()?;
        if !db.vols.contains_key(name) {
            return Err(no_vol(name));
        }
        let users: Vec<String> = db
            .vol_users
            .get(name)
            .map(|s| s.iter().cloned().collect())
            .unwrap_or_default();
        if !users.is_empty() {
            return Err(errors::volume_in_use(name, &users));
        }
        db.vols.remove(name);
        db.vol_users.remove(name);
        Ok(())
    }

    fn update_volume(&self, name: &str) -> Result<VolumeState> {
        Ok(self.volume(name)?.state)
    }

    fn save_volume(&self, name: &str, state: &VolumeState) -> Result<()> {
        let mut db = self.open()?;
        let rec = db.vols.get_mut(name).ok_or_else(|| no_vol(name))?;
        rec.state = state.clone();
        Ok(())
    }

    fn all_volumes(&self) -> Result<Vec<VolumeRecord>> {
        Ok(self.open()?.vols.values().cloned().collect())
    }

    fn rewrite_volume_config(&self, cfg: &VolumeConfig) -> Result<()> {
        let mut db = self.open()?;
        let rec = db
            .vols
            .get_mut(&cfg.name)
            .ok_or_else(|| no_vol(&cfg.name))?;
        rec.config = cfg.clone();
        Ok(())
    }

    fn container_id_is_volume(&self, id: &str) -> Result<bool> {
        let db = self.open()?;
        Ok(!id.is_empty() && db.vols.values().any(|v| v.config.storage_id == id))
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::StateUnderTest;

    crate::state_conformance_tests!(|| StateUnderTest::new(
        Box::new(crate::state::memory::MemoryState::new()),
        ()
    ));
}
