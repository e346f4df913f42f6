//! [`BoltState`]: the `State` trait on libpod's BoltDB bucket layout.
//!
//! Every method is one engine transaction (a read under a shared `flock`,
//! a change under the exclusive one), so every mutation is atomic and
//! several `rpod` (or Podman 4) processes share the file safely. Lookup
//! rules and error texts are those of the in-memory reference backend.
//!
//! This file holds the type and the `State` methods; the bodies of the
//! larger write transactions live in `container_writes`, `exec_writes`,
//! `pod_writes`, `volume_writes` and `refresh`, reads in `access`.

pub(crate) mod access;
mod container_writes;
mod exec_writes;
mod pod_writes;
mod refresh;
mod volume_writes;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use rpod_runtime_core::container::{ContainerConfig, ContainerRecord, ContainerState};
use rpod_runtime_core::names::{ObjectKind, resolve};
use rpod_runtime_core::network::PerNetworkOptions;
use rpod_runtime_core::pod::{PodConfig, PodRecord, PodState};
use rpod_runtime_core::state::errors;
use rpod_runtime_core::state::{DbConfig, EXIT_CODE_RETENTION, State};
use rpod_runtime_core::volume::{VolumeConfig, VolumeRecord, VolumeState};
use rpod_runtime_core::{Error, Result};

use crate::engine::{Db, WriteTx};
use crate::layout as l;
use access::{Reader, bucket_at, decode, delete_at, encode, existing_at, no_pod, no_vol, put_at};
use container_writes::{
    connect_network, disconnect_network, insert_container, remove_ctr_checked,
    remove_exec_sessions_of, rename_container, rewrite_container_config_in, save_state_in,
};
use exec_writes::{add_exec_session_in, remove_exec_session_in};
use pod_writes::{insert_pod, remove_pod_containers_in, remove_pod_in};
use refresh::refresh_in;
use volume_writes::{insert_volume, remove_volume_in};

/// The database file's name inside the static dir.
pub const DB_FILE_NAME: &str = "bolt_state.db";

/// The BoltDB State.
#[derive(Debug)]
pub struct BoltState {
    db: Db,
    closed: AtomicBool,
}

impl BoltState {
    /// Opens (creating the directory and the file when missing)
    /// `<static_dir>/bolt_state.db` and creates any missing top-level
    /// bucket, as Podman does.
    pub fn open(static_dir: &Path) -> Result<BoltState> {
        std::fs::create_dir_all(static_dir).map_err(|e| Error::io(static_dir, e))?;
        BoltState::open_file(&static_dir.join(DB_FILE_NAME))
    }

    /// Opens the database file `path` (created when missing).
    pub fn open_file(path: &Path) -> Result<BoltState> {
        let db = Db::open(path)?;
        let missing = {
            let tx = db.begin_read()?;
            let root = tx.root();
            let mut missing = false;
            for name in l::TOP_LEVEL {
                if root.bucket(name)?.is_none() {
                    missing = true;
                }
            }
            missing
        };
        if missing {
            db.update(|tx| {
                for name in l::TOP_LEVEL {
                    tx.create_bucket_if_not_exists(name)?;
                }
                Ok::<_, Error>(())
            })?;
        }
        Ok(BoltState {
            db,
            closed: AtomicBool::new(false),
        })
    }

    /// Opens an existing database file for reading (export, inspection):
    /// nothing is ever written, missing buckets read as empty.
    pub fn open_read_only(path: &Path) -> Result<BoltState> {
        Ok(BoltState {
            db: Db::open_existing(path)?,
            closed: AtomicBool::new(false),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        self.db.path()
    }

    /// The path of the database file in `static_dir`.
    pub fn file_in(static_dir: &Path) -> PathBuf {
        static_dir.join(DB_FILE_NAME)
    }

    fn check_open(&self) -> Result<()> {
        if self.closed.load(Ordering::Acquire) {
            Err(Error::DbClosed)
        } else {
            Ok(())
        }
    }

    pub(crate) fn view<T>(&self, f: impl FnOnce(&Reader<'_>) -> Result<T>) -> Result<T> {
        self.check_open()?;
        let tx = self.db.begin_read()?;
        f(&Reader { root: tx.root() })
    }

    fn update<T>(&self, f: impl FnOnce(&mut WriteTx) -> Result<T>) -> Result<T> {
        self.check_open()?;
        self.db.update(f)
    }
}

/// A read view inside a write transaction.
fn reader(tx: &WriteTx) -> Reader<'_> {
    Reader { root: tx.view() }
}

impl State for BoltState {
    fn name(&self) -> &'static str {
        "boltdb"
    }

    fn close(&self) -> Result<()> {
        self.closed.store(true, Ordering::Release);
        Ok(())
    }

    fn refresh(&self) -> Result<()> {
        self.update(refresh_in)
    }

    fn db_config(&self) -> Result<Option<DbConfig>> {
        self.view(|r| r.db_config())
    }

    fn init_db_config(&self, cfg: &DbConfig) -> Result<DbConfig> {
        self.update(|tx| {
            if let Some(existing) = reader(tx).db_config()? {
                return Ok(existing);
            }
            let mut b = bucket_at(tx, &[l::RUNTIME_CONFIG])?;
            for (k, v) in [
                (l::OS, &cfg.os),
                (l::STATIC_DIR, &cfg.static_dir),
                (l::TMP_DIR, &cfg.tmp_dir),
                (l::RUN_ROOT, &cfg.run_root),
                (l::GRAPH_ROOT, &cfg.graph_root),
                (l::GRAPH_DRIVER, &cfg.graph_driver),
                (l::VOLUME_PATH, &cfg.volume_path),
            ] {
                b.put(k, v.as_bytes())?;
            }
            Ok(cfg.clone())
        })
    }

    fn container_name(&self, id: &str) -> Result<String> {
        self.view(|r| Ok(r.container(id, false)?.config.name))
    }

    fn pod_name(&self, id: &str) -> Result<String> {
        self.view(|r| Ok(r.pod(id)?.config.name))
    }

    fn container(&self, id: &str) -> Result<ContainerRecord> {
        if id.is_empty() {
            return Err(Error::EmptyId);
        }
        self.view(|r| r.container(id, true))
    }

    fn lookup_container_id(&self, id_or_name: &str) -> Result<String> {
        self.view(|r| {
            let c = r.candidates(ObjectKind::Container, id_or_name)?;
            resolve(ObjectKind::Container, id_or_name, c)
        })
    }

    fn has_container(&self, id: &str) -> Result<bool> {
        self.view(|r| r.has_ctr(id))
    }

    fn add_container(&self, ctr: &ContainerRecord) -> Result<()> {
        let cfg = &ctr.config;
        self.check_open()?;
        if cfg.id.is_empty() || cfg.name.is_empty() {
            return Err(Error::EmptyId);
        }
        let config_json = encode(cfg)?;
        let state_json = encode(&ctr.state)?;
        self.update(|tx| insert_container(tx, cfg, &config_json, &state_json))
    }

    fn remove_container(&self, id: &str) -> Result<()> {
        self.update(|tx| remove_ctr_checked(tx, id))
    }

    fn remove_containers(&self, ids: &[String]) -> Result<()> {
        // One write transaction; an error discards every removal.
        self.update(|tx| {
            for id in ids {
                remove_exec_sessions_of(tx, id)?;
                remove_ctr_checked(tx, id)?;
            }
            Ok(())
        })
    }

    fn update_container(&self, id: &str) -> Result<ContainerState> {
        self.view(|r| r.ctr_state(id, &r.ctr(id)?))
    }

    fn save_container(&self, id: &str, state: &ContainerState) -> Result<()> {
        let raw = encode(state)?;
        self.update(|tx| save_state_in(tx, id, &raw))
    }

    fn container_in_use(&self, id: &str) -> Result<Vec<String>> {
        self.view(|r| r.ctr_sub_keys(id, l::DEPENDENCIES))
    }

    fn all_containers(&self, load_state: bool) -> Result<Vec<ContainerRecord>> {
        self.view(|r| {
            let Some(ctrs) = r.top(l::CTR)? else {
                return Ok(Vec::new());
            };
            let mut out = Vec::new();
            let mut c = ctrs.iter()?;
            while let Some((k, b)) = c.next_bucket()? {
                let id = String::from_utf8_lossy(&k).into_owned();
                out.push(ContainerRecord {
                    config: r.ctr_config(&id, &b)?,
                    state: if load_state {
                        r.ctr_state(&id, &b)?
                    } else {
                        ContainerState::default()
                    },
                });
            }
            Ok(out)
        })
    }

    fn rewrite_container_config(&self, cfg: &ContainerConfig) -> Result<()> {
        let raw = encode(cfg)?;
        self.update(|tx| rewrite_container_config_in(tx, cfg, &raw))
    }

    fn safe_rewrite_container_config(
        &self,
        old_name: &str,
        new_name: &str,
        cfg: &ContainerConfig,
    ) -> Result<()> {
        let raw = encode(cfg)?;
        self.update(|tx| rename_container(tx, old_name, new_name, cfg, &raw))
    }

    fn networks(&self, id: &str) -> Result<BTreeMap<String, PerNetworkOptions>> {
        self.view(|r| {
            let b = r.ctr(id)?;
            let mut out = BTreeMap::new();
            if let Some(nets) = b.bucket(l::NETWORKS)? {
                for item in nets.iter()? {
                    let (k, e) = item?;
                    let name = String::from_utf8_lossy(&k).into_owned();
                    let raw = e.value().unwrap_or_default();
                    // Podman before 4.0 stored the container ID as the value.
                    let opts = if raw == id.as_bytes() {
                        PerNetworkOptions::default()
                    } else {
                        decode(raw, || format!("network {name} options of container {id}"))?
                    };
                    out.insert(name, opts);
                }
            }
            Ok(out)
        })
    }

    fn network_connect(&self, id: &str, network: &str, opts: &PerNetworkOptions) -> Result<()> {
        let raw = encode(opts)?;
        self.update(|tx| connect_network(tx, id, network, &raw))
    }

    fn network_disconnect(&self, id: &str, network: &str) -> Result<()> {
        self.update(|tx| disconnect_network(tx, id, network))
    }

    fn add_container_exit_code(&self, id: &str, code: i32) -> Result<()> {
        if id.is_empty() {
            return Err(Error::EmptyId);
        }
        let stamp = rpod_runtime_core::time::rfc3339_nano(&Utc::now());
        self.update(|tx| {
            put_at(tx, &[l::EXIT_CODE], id, code.to_string().as_bytes())?;
            put_at(tx, &[l::EXIT_CODE_TIME_STAMP], id, stamp.as_bytes())?;
            Ok(())
        })
    }

    fn container_exit_code(&self, id: &str) -> Result<i32> {
        self.view(|r| r.exit_code(id)?.ok_or_else(|| errors::no_exit_code(id)))
    }

    fn container_exit_code_timestamp(&self, id: &str) -> Result<DateTime<Utc>> {
        self.view(|r| {
            r.exit_code_time(id)?
                .ok_or_else(|| errors::no_exit_code_time(id))
        })
    }

    fn prune_container_exit_codes(&self, now: DateTime<Utc>) -> Result<()> {
        let cutoff = now - EXIT_CODE_RETENTION;
        let stale: Vec<String> = self.view(|r| {
            let mut out = Vec::new();
            for id in r.keys(l::EXIT_CODE_TIME_STAMP)? {
                if r.exit_code_time(&id)?.is_some_and(|t| t < cutoff) {
                    out.push(id);
                }
            }
            Ok(out)
        })?;
        if stale.is_empty() {
            return Ok(());
        }
        self.update(|tx| {
            for id in &stale {
                delete_at(tx, &[l::EXIT_CODE], id)?;
                delete_at(tx, &[l::EXIT_CODE_TIME_STAMP], id)?;
            }
            Ok(())
        })
    }

    fn add_exec_session(&self, ctr_id: &str, session_id: &str) -> Result<()> {
        self.update(|tx| add_exec_session_in(tx, ctr_id, session_id))
    }

    fn add_exec_session_and_save(
        &self,
        ctr_id: &str,
        session_id: &str,
        state: &ContainerState,
    ) -> Result<()> {
        let raw = encode(state)?;
        self.update(|tx| {
            add_exec_session_in(tx, ctr_id, session_id)?;
            save_state_in(tx, ctr_id, &raw)
        })
    }

    fn remove_exec_session_and_save(
        &self,
        ctr_id: &str,
        session_id: &str,
        state: &ContainerState,
    ) -> Result<()> {
        let raw = encode(state)?;
        self.update(|tx| {
            remove_exec_session_in(tx, session_id, Some(ctr_id))?;
            save_state_in(tx, ctr_id, &raw)
        })
    }

    fn exec_session(&self, session_id: &str) -> Result<String> {
        self.view(|r| {
            r.get(l::EXEC, session_id)?
                .map(|v| String::from_utf8_lossy(&v).into_owned())
                .ok_or_else(|| errors::no_exec_session(session_id))
        })
    }

    fn remove_exec_session(&self, session_id: &str) -> Result<()> {
        self.update(|tx| remove_exec_session_in(tx, session_id, None).map(|_| ()))
    }

    fn container_exec_sessions(&self, ctr_id: &str) -> Result<Vec<String>> {
        self.view(|r| r.ctr_sub_keys(ctr_id, l::EXEC))
    }

    fn remove_container_exec_sessions(&self, ctr_id: &str) -> Result<()> {
        self.update(|tx| remove_exec_sessions_of(tx, ctr_id))
    }

    fn pod(&self, id: &str) -> Result<PodRecord> {
        if id.is_empty() {
            return Err(Error::EmptyId);
        }
        self.view(|r| r.pod(id))
    }

    fn lookup_pod(&self, id_or_name: &str) -> Result<PodRecord> {
        self.view(|r| {
            let c = r.candidates(ObjectKind::Pod, id_or_name)?;
            let id = resolve(ObjectKind::Pod, id_or_name, c)?;
            r.pod(&id)
        })
    }

    fn has_pod(&self, id: &str) -> Result<bool> {
        self.view(|r| r.has_pod(id))
    }

    fn pod_has_container(&self, pod_id: &str, ctr_id: &str) -> Result<bool> {
        self.view(|r| Ok(r.pod_members(pod_id)?.iter().any(|m| m == ctr_id)))
    }

    fn pod_containers_by_id(&self, pod_id: &str) -> Result<Vec<String>> {
        self.view(|r| r.pod_members(pod_id))
    }

    fn pod_containers(&self, pod_id: &str) -> Result<Vec<ContainerRecord>> {
        self.view(|r| {
            r.pod_members(pod_id)?
                .iter()
                .map(|id| r.container(id, true))
                .collect()
        })
    }

    fn add_pod(&self, pod: &PodRecord) -> Result<()> {
        let cfg = &pod.config;
        self.check_open()?;
        if cfg.id.is_empty() || cfg.name.is_empty() {
            return Err(Error::EmptyId);
        }
        let config_json = encode(cfg)?;
        let state_json = encode(&pod.state)?;
        self.update(|tx| insert_pod(tx, cfg, &config_json, &state_json))
    }

    fn remove_pod(&self, id: &str) -> Result<()> {
        self.update(|tx| remove_pod_in(tx, id))
    }

    fn remove_pod_containers(&self, pod_id: &str) -> Result<()> {
        self.update(|tx| remove_pod_containers_in(tx, pod_id))
    }

    fn update_pod(&self, id: &str) -> Result<PodState> {
        Ok(self.pod(id)?.state)
    }

    fn save_pod(&self, id: &str, state: &PodState) -> Result<()> {
        let raw = encode(state)?;
        self.update(|tx| {
            let mut b = existing_at(tx, &[l::POD, id.as_bytes()])?.ok_or_else(|| no_pod(id))?;
            b.put(l::STATE, &raw)?;
            Ok(())
        })
    }

    fn all_pods(&self) -> Result<Vec<PodRecord>> {
        self.view(|r| r.keys(l::POD)?.iter().map(|id| r.pod(id)).collect())
    }

    fn rewrite_pod_config(&self, cfg: &PodConfig) -> Result<()> {
        let raw = encode(cfg)?;
        self.update(|tx| {
            let old = reader(tx).pod(&cfg.id)?;
            if old.config.name != cfg.name {
                return Err(errors::pod_rewrite_changes_name());
            }
            bucket_at(tx, &[l::POD, cfg.id.as_bytes()])?.put(l::CONFIG, &raw)?;
            Ok(())
        })
    }

    fn volume(&self, name: &str) -> Result<VolumeRecord> {
        if name.is_empty() {
            return Err(Error::EmptyId);
        }
        self.view(|r| r.volume(name))
    }

    fn lookup_volume(&self, name: &str) -> Result<VolumeRecord> {
        if name.is_empty() {
            return Err(Error::EmptyId);
        }
        self.view(|r| {
            if r.sub(l::VOL, name)?.is_some() {
                return r.volume(name);
            }
            let matches = r.prefixed(l::VOL, name)?;
            match matches.as_slice() {
                [one] => r.volume(one),
                [] => {
                    Err(Error::NoSuchVolume.context(format!("no volume with name {name:?} found")))
                }
                _ => Err(Error::VolumeExists
                    .context(format!("more than one result for volume name {name:?}"))),
            }
        })
    }

    fn has_volume(&self, name: &str) -> Result<bool> {
        self.view(|r| Ok(!name.is_empty() && r.sub(l::VOL, name)?.is_some()))
    }

    fn volume_in_use(&self, name: &str) -> Result<Vec<String>> {
        self.view(|r| r.volume_users(name))
    }

    fn add_volume(&self, vol: &VolumeRecord) -> Result<()> {
        let name = vol.config.name.as_str();
        self.check_open()?;
        if name.is_empty() {
            return Err(Error::EmptyId);
        }
        let config_json = encode(&vol.config)?;
        let state_json = encode(&vol.state)?;
        self.update(|tx| insert_volume(tx, name, vol, &config_json, &state_json))
    }

    fn remove_volume(&self, name: &str) -> Result<()> {
        self.update(|tx| remove_volume_in(tx, name))
    }

    fn update_volume(&self, name: &str) -> Result<VolumeState> {
        Ok(self.volume(name)?.state)
    }

    fn save_volume(&self, name: &str, state: &VolumeState) -> Result<()> {
        let raw = encode(state)?;
        self.update(|tx| {
            let mut b = existing_at(tx, &[l::VOL, name.as_bytes()])?.ok_or_else(|| no_vol(name))?;
            b.put(l::STATE, &raw)?;
            Ok(())
        })
    }

    fn all_volumes(&self) -> Result<Vec<VolumeRecord>> {
        self.view(|r| r.keys(l::VOL)?.iter().map(|n| r.volume(n)).collect())
    }

    fn rewrite_volume_config(&self, cfg: &VolumeConfig) -> Result<()> {
        let raw = encode(cfg)?;
        self.update(|tx| {
            reader(tx).volume(&cfg.name)?;
            bucket_at(tx, &[l::VOL, cfg.name.as_bytes()])?.put(l::CONFIG, &raw)?;
            Ok(())
        })
    }

    fn container_id_is_volume(&self, id: &str) -> Result<bool> {
        self.view(|r| Ok(!id.is_empty() && r.get(l::VOLUME_CTRS, id)?.is_some()))
    }
}
