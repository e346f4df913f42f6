//! [`BoltState`]: the `State` trait on libpod's BoltDB bucket layout.
//!
//! Every method is one engine transaction (a read under a shared `flock`,
//! a change under the exclusive one), so every mutation is atomic and
//! several `rpod` (or Podman 4) processes share the file safely. Lookup
//! rules and error texts are those of the in-memory reference backend.

pub(crate) mod access;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, Utc};
use rpod_runtime_core::container::{ContainerConfig, ContainerRecord, ContainerState};
use rpod_runtime_core::names::{ObjectKind, resolve};
use rpod_runtime_core::network::PerNetworkOptions;
use rpod_runtime_core::pod::{PodConfig, PodRecord, PodState};
use rpod_runtime_core::state::{DbConfig, EXIT_CODE_RETENTION, State};
use rpod_runtime_core::volume::{VolumeConfig, VolumeRecord, VolumeState};
use rpod_runtime_core::{Error, Result};

use crate::engine::{Db, WriteTx};
use crate::layout as l;
use access::{
    Reader, bucket_at, clear_top, decode, delete_at, delete_bucket_at, encode, existing_at, no_ctr,
    no_pod, no_vol, put_at,
};

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

/// Writes a container's encoded state (`NoSuchCtr` if it is gone).
fn save_state_in(tx: &mut WriteTx, id: &str, raw: &[u8]) -> Result<()> {
    let mut b = existing_at(tx, &[l::CTR, id.as_bytes()])?.ok_or_else(|| no_ctr(id))?;
    b.put(l::STATE, raw)?;
    Ok(())
}

/// Registers exec session `session_id` for container `ctr_id`.
fn add_exec_session_in(tx: &mut WriteTx, ctr_id: &str, session_id: &str) -> Result<()> {
    {
        let r = reader(tx);
        r.ctr(ctr_id)?;
        if r.get(l::EXEC, session_id)?.is_some() {
            return Err(Error::ExecSessionExists.context(format!("exec session {session_id}")));
        }
    }
    put_at(tx, &[l::EXEC], session_id, ctr_id.as_bytes())?;
    put_at(
        tx,
        &[l::CTR, ctr_id.as_bytes(), l::EXEC],
        session_id,
        ctr_id.as_bytes(),
    )
}

/// Unregisters an exec session (of container `owner`, when given); returns
/// the ID of the container it belonged to.
fn remove_exec_session_in(
    tx: &mut WriteTx,
    session_id: &str,
    owner: Option<&str>,
) -> Result<String> {
    let ctr = reader(tx)
        .get(l::EXEC, session_id)?
        .map(|v| String::from_utf8_lossy(&v).into_owned())
        .filter(|c| owner.is_none_or(|o| o == c))
        .ok_or_else(|| {
            Error::NoSuchExecSession.context(format!("no exec session with ID {session_id}"))
        })?;
    delete_at(tx, &[l::EXEC], session_id)?;
    delete_at(tx, &[l::CTR, ctr.as_bytes(), l::EXEC], session_id)?;
    Ok(ctr)
}

/// Removes a container after checking that nothing depends on it and that it
/// has no exec sessions.
fn remove_ctr_checked(tx: &mut WriteTx, id: &str) -> Result<()> {
    {
        let r = reader(tx);
        r.ctr(id)?;
        let users = r.ctr_sub_keys(id, l::DEPENDENCIES)?;
        if !users.is_empty() {
            return Err(Error::DepExists.context(format!(
                "container {id} is a dependency of the following containers: {}",
                users.join(", ")
            )));
        }
        let mut has_exec = !r.ctr_sub_keys(id, l::EXEC)?.is_empty();
        if !has_exec && let Some(exec) = r.top(l::EXEC)? {
            for item in exec.iter()? {
                if item?.1.value() == Some(id.as_bytes()) {
                    has_exec = true;
                    break;
                }
            }
        }
        if has_exec {
            return Err(Error::ExecSessionExists
                .context(format!("container {id} has active exec sessions")));
        }
    }
    remove_ctr_unchecked(tx, id)
}

/// Unregisters every exec session of a container.
fn remove_exec_sessions_of(tx: &mut WriteTx, ctr_id: &str) -> Result<()> {
    let mut sessions: BTreeSet<String> = {
        let r = reader(tx);
        r.ctr_sub_keys(ctr_id, l::EXEC)?.into_iter().collect()
    };
    if let Some(exec) = reader(tx).top(l::EXEC)? {
        for item in exec.iter()? {
            let (k, e) = item?;
            if e.value() == Some(ctr_id.as_bytes()) {
                sessions.insert(String::from_utf8_lossy(&k).into_owned());
            }
        }
    }
    for s in &sessions {
        delete_at(tx, &[l::EXEC], s)?;
    }
    delete_bucket_at(tx, &[l::CTR, ctr_id.as_bytes()], "exec")?;
    Ok(())
}

/// Removes a container and its edges without checks (the caller checked).
fn remove_ctr_unchecked(tx: &mut WriteTx, id: &str) -> Result<()> {
    let (cfg, sessions, name) = {
        let r = reader(tx);
        let b = r.ctr(id)?;
        let cfg = r.ctr_config(id, &b)?;
        let sessions = r.ctr_sub_keys(id, l::EXEC)?;
        let name = cfg.name.clone();
        (cfg, sessions, name)
    };
    let pod_id = {
        let r = reader(tx);
        r.ctr(id)?
            .get(l::POD_ID)?
            .map(|p| String::from_utf8_lossy(&p).into_owned())
            .or_else(|| cfg.pod.clone())
    };
    delete_bucket_at(tx, &[l::CTR], id)?;
    delete_at(tx, &[l::ID_REGISTRY], id)?;
    delete_at(tx, &[l::NAME_REGISTRY], &name)?;
    delete_at(tx, &[l::NS_REGISTRY], id)?;
    delete_at(tx, &[l::ALL_CTRS], id)?;
    for dep in cfg.all_dependencies() {
        delete_at(tx, &[l::CTR, dep.as_bytes(), l::DEPENDENCIES], id)?;
    }
    for v in &cfg.named_volumes {
        delete_at(tx, &[l::VOL, v.name.as_bytes(), l::VOL_DEPENDENCIES], id)?;
    }
    if let Some(pod) = pod_id {
        delete_at(tx, &[l::POD, pod.as_bytes(), l::CONTAINERS], id)?;
    }
    // Exec index entries of this container, including strays.
    let mut stale: BTreeSet<String> = sessions.into_iter().collect();
    if let Some(exec) = reader(tx).top(l::EXEC)? {
        for item in exec.iter()? {
            let (k, e) = item?;
            if e.value() == Some(id.as_bytes()) {
                stale.insert(String::from_utf8_lossy(&k).into_owned());
            }
        }
    }
    for s in stale {
        delete_at(tx, &[l::EXEC], &s)?;
    }
    Ok(())
}

fn put_state<T: serde::Serialize>(tx: &mut WriteTx, path: &[&[u8]], state: &T) -> Result<()> {
    let raw = encode(state)?;
    bucket_at(tx, path)?.put(l::STATE, &raw)?;
    Ok(())
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
        self.update(|tx| {
            let (ctrs, pods, vols) = {
                let r = reader(tx);
                (r.ctr_ids()?, r.keys(l::POD)?, r.keys(l::VOL)?)
            };
            for id in &ctrs {
                let mut st = {
                    let r = reader(tx);
                    r.ctr_state(id, &r.ctr(id)?)?
                };
                st.reset_for_refresh();
                let raw = encode(&st)?;
                let mut b = bucket_at(tx, &[l::CTR, id.as_bytes()])?;
                b.delete(l::NETNS)?;
                b.put(l::STATE, &raw)?;
                if b.view().bucket(l::EXEC)?.is_some() {
                    b.delete_bucket(l::EXEC)?;
                }
            }
            for id in &pods {
                let mut st = reader(tx).pod(id)?.state;
                st.reset_for_refresh();
                put_state(tx, &[l::POD, id.as_bytes()], &st)?;
            }
            for name in &vols {
                let mut st = reader(tx).volume(name)?.state;
                st.reset_for_refresh();
                put_state(tx, &[l::VOL, name.as_bytes()], &st)?;
            }
            clear_top(tx, l::EXEC)?;
            clear_top(tx, l::EXIT_CODE)?;
            clear_top(tx, l::EXIT_CODE_TIME_STAMP)?;
            Ok(())
        })
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
        self.update(|tx| {
            let deps = cfg.all_dependencies();
            {
                let r = reader(tx);
                if r.get(l::ID_REGISTRY, &cfg.id)?.is_some()
                    || r.has_ctr(&cfg.id)?
                    || r.has_pod(&cfg.id)?
                {
                    return Err(Error::CtrExists.context(format!("ID \"{}\" is in use", cfg.id)));
                }
                if r.get(l::NAME_REGISTRY, &cfg.name)?.is_some() {
                    return Err(
                        Error::CtrExists.context(format!("name \"{}\" is in use", cfg.name))
                    );
                }
                if let Some(pod) = &cfg.pod
                    && !r.has_pod(pod)?
                {
                    return Err(no_pod(pod));
                }
                for dep in &deps {
                    if dep == &cfg.id {
                        return Err(
                            Error::InvalidArg.context("a container cannot depend on itself")
                        );
                    }
                    let Some(d) = r.sub(l::CTR, dep)? else {
                        return Err(Error::NoSuchCtr
                            .context(format!("container {} depends on container {dep}", cfg.id)));
                    };
                    let dep_pod = match d.get(l::POD_ID)? {
                        Some(p) => Some(String::from_utf8_lossy(&p).into_owned()),
                        None => r.ctr_config(dep, &d)?.pod,
                    };
                    if dep_pod != cfg.pod {
                        return Err(Error::InvalidArg.context(format!(
                            "container {} depends on container {dep} which is not in the same pod",
                            cfg.id
                        )));
                    }
                }
                for v in &cfg.named_volumes {
                    if r.sub(l::VOL, &v.name)?.is_none() {
                        return Err(no_vol(&v.name));
                    }
                }
            }
            let (id, name) = (cfg.id.as_str(), cfg.name.as_str());
            put_at(tx, &[l::ID_REGISTRY], id, name.as_bytes())?;
            put_at(tx, &[l::NAME_REGISTRY], name, id.as_bytes())?;
            if !cfg.namespace.is_empty() {
                put_at(tx, &[l::NS_REGISTRY], id, cfg.namespace.as_bytes())?;
            }
            put_at(tx, &[l::ALL_CTRS], id, name.as_bytes())?;
            {
                let mut ctrs = bucket_at(tx, &[l::CTR])?;
                let mut b = ctrs.create_bucket(id.as_bytes())?;
                b.put(l::CONFIG, &config_json)?;
                b.put(l::STATE, &state_json)?;
                if !cfg.namespace.is_empty() {
                    b.put(l::NAMESPACE, cfg.namespace.as_bytes())?;
                }
                if let Some(pod) = &cfg.pod {
                    b.put(l::POD_ID, pod.as_bytes())?;
                }
                b.create_bucket(l::NETWORKS)?;
                b.create_bucket(l::DEPENDENCIES)?;
            }
            for dep in &deps {
                put_at(
                    tx,
                    &[l::CTR, dep.as_bytes(), l::DEPENDENCIES],
                    id,
                    name.as_bytes(),
                )?;
            }
            if let Some(pod) = &cfg.pod {
                put_at(
                    tx,
                    &[l::POD, pod.as_bytes(), l::CONTAINERS],
                    id,
                    name.as_bytes(),
                )?;
            }
            for v in &cfg.named_volumes {
                put_at(
                    tx,
                    &[l::VOL, v.name.as_bytes(), l::VOL_DEPENDENCIES],
                    id,
                    id.as_bytes(),
                )?;
            }
            Ok(())
        })
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
        self.update(|tx| {
            let old = reader(tx).container(&cfg.id, false)?.config;
            if old.name != cfg.name
                || old.pod != cfg.pod
                || old.all_dependencies() != cfg.all_dependencies()
            {
                return Err(Error::InvalidArg
                    .context("a config rewrite may not change name, pod or dependencies"));
            }
            bucket_at(tx, &[l::CTR, cfg.id.as_bytes()])?.put(l::CONFIG, &raw)?;
            Ok(())
        })
    }

    fn safe_rewrite_container_config(
        &self,
        old_name: &str,
        new_name: &str,
        cfg: &ContainerConfig,
    ) -> Result<()> {
        let raw = encode(cfg)?;
        self.update(|tx| {
            let old = reader(tx).container(&cfg.id, false)?.config;
            if old.name != old_name || cfg.name != new_name {
                return Err(Error::InvalidArg.context("rename: names do not match the container"));
            }
            let id = cfg.id.as_str();
            if old_name != new_name {
                if reader(tx).get(l::NAME_REGISTRY, new_name)?.is_some() {
                    return Err(Error::CtrExists.context(format!("name \"{new_name}\" is in use")));
                }
                delete_at(tx, &[l::NAME_REGISTRY], old_name)?;
                put_at(tx, &[l::NAME_REGISTRY], new_name, id.as_bytes())?;
                put_at(tx, &[l::ID_REGISTRY], id, new_name.as_bytes())?;
                put_at(tx, &[l::ALL_CTRS], id, new_name.as_bytes())?;
                if let Some(pod) = &old.pod {
                    put_at(
                        tx,
                        &[l::POD, pod.as_bytes(), l::CONTAINERS],
                        id,
                        new_name.as_bytes(),
                    )?;
                }
                for dep in old.all_dependencies() {
                    put_at(
                        tx,
                        &[l::CTR, dep.as_bytes(), l::DEPENDENCIES],
                        id,
                        new_name.as_bytes(),
                    )?;
                }
            }
            bucket_at(tx, &[l::CTR, id.as_bytes()])?.put(l::CONFIG, &raw)?;
            Ok(())
        })
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
        self.update(|tx| {
            let mut ctr = existing_at(tx, &[l::CTR, id.as_bytes()])?.ok_or_else(|| no_ctr(id))?;
            let mut nets = ctr.create_bucket_if_not_exists(l::NETWORKS)?;
            if nets.view().contains(network.as_bytes())? {
                return Err(Error::InvalidArg.context(format!(
                    "container {id} is already connected to network {network:?}"
                )));
            }
            nets.put(network.as_bytes(), &raw)?;
            Ok(())
        })
    }

    fn network_disconnect(&self, id: &str, network: &str) -> Result<()> {
        self.update(|tx| {
            let mut ctr = existing_at(tx, &[l::CTR, id.as_bytes()])?.ok_or_else(|| no_ctr(id))?;
            let not_connected = || {
                Error::InvalidArg.context(format!(
                    "container {id} is not connected to network {network:?}"
                ))
            };
            let mut nets = ctr.bucket_mut(l::NETWORKS)?.ok_or_else(not_connected)?;
            if !nets.view().contains(network.as_bytes())? {
                return Err(not_connected());
            }
            nets.delete(network.as_bytes())?;
            Ok(())
        })
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
        self.view(|r| {
            r.exit_code(id)?.ok_or_else(|| {
                Error::NoSuchExitCode
                    .context(format!("getting exit code of container {id} from DB"))
            })
        })
    }

    fn container_exit_code_timestamp(&self, id: &str) -> Result<DateTime<Utc>> {
        self.view(|r| {
            r.exit_code_time(id)?.ok_or_else(|| {
                Error::NoSuchExitCode.context(format!(
                    "getting exit code time stamp of container {id} from DB"
                ))
            })
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
                .ok_or_else(|| {
                    Error::NoSuchExecSession
                        .context(format!("no exec session with ID {session_id}"))
                })
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
        self.update(|tx| {
            {
                let r = reader(tx);
                if r.get(l::ID_REGISTRY, &cfg.id)?.is_some()
                    || r.has_ctr(&cfg.id)?
                    || r.has_pod(&cfg.id)?
                {
                    return Err(Error::PodExists.context(format!("ID \"{}\" is in use", cfg.id)));
                }
                if r.get(l::NAME_REGISTRY, &cfg.name)?.is_some() {
                    return Err(
                        Error::PodExists.context(format!("name \"{}\" is in use", cfg.name))
                    );
                }
            }
            let (id, name) = (cfg.id.as_str(), cfg.name.as_str());
            {
                let mut pods = bucket_at(tx, &[l::POD])?;
                let mut b = pods.create_bucket(id.as_bytes())?;
                b.create_bucket(l::CONTAINERS)?;
                b.put(l::CONFIG, &config_json)?;
                b.put(l::STATE, &state_json)?;
                if !cfg.namespace.is_empty() {
                    b.put(l::NAMESPACE, cfg.namespace.as_bytes())?;
                }
            }
            if !cfg.namespace.is_empty() {
                put_at(tx, &[l::NS_REGISTRY], id, cfg.namespace.as_bytes())?;
            }
            put_at(tx, &[l::ID_REGISTRY], id, name.as_bytes())?;
            put_at(tx, &[l::NAME_REGISTRY], name, id.as_bytes())?;
            put_at(tx, &[l::ALL_PODS], id, name.as_bytes())?;
            Ok(())
        })
    }

    fn remove_pod(&self, id: &str) -> Result<()> {
        self.update(|tx| {
            let (pod, members) = {
                let r = reader(tx);
                (r.pod(id)?, r.pod_members(id)?)
            };
            let infra = pod.state.infra_container_id.clone();
            if members.iter().any(|m| *m != infra) {
                return Err(Error::InvalidArg.context(format!("pod {id} is not empty")));
            }
            if !infra.is_empty() && reader(tx).has_ctr(&infra)? {
                remove_ctr_unchecked(tx, &infra)?;
            }
            delete_bucket_at(tx, &[l::POD], id)?;
            delete_at(tx, &[l::ID_REGISTRY], id)?;
            delete_at(tx, &[l::NAME_REGISTRY], &pod.config.name)?;
            delete_at(tx, &[l::NS_REGISTRY], id)?;
            delete_at(tx, &[l::ALL_PODS], id)?;
            Ok(())
        })
    }

    fn remove_pod_containers(&self, pod_id: &str) -> Result<()> {
        self.update(|tx| {
            let members: BTreeSet<String> = reader(tx).pod_members(pod_id)?.into_iter().collect();
            {
                let r = reader(tx);
                for m in &members {
                    if !r.has_ctr(m)? {
                        continue;
                    }
                    if let Some(outside) = r
                        .ctr_sub_keys(m, l::DEPENDENCIES)?
                        .into_iter()
                        .find(|d| !members.contains(d))
                    {
                        return Err(Error::DepExists.context(format!(
                            "container {outside} depends on container {m} in pod {pod_id}"
                        )));
                    }
                }
            }
            for m in &members {
                if reader(tx).has_ctr(m)? {
                    remove_ctr_unchecked(tx, m)?;
                }
            }
            delete_bucket_at(tx, &[l::POD, pod_id.as_bytes()], "containers")?;
            bucket_at(tx, &[l::POD, pod_id.as_bytes(), l::CONTAINERS])?;
            Ok(())
        })
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
                return Err(Error::InvalidArg.context("a config rewrite may not change the name"));
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
        self.update(|tx| {
            {
                let r = reader(tx);
                if r.get(l::ALL_VOLS, name)?.is_some() || r.sub(l::VOL, name)?.is_some() {
                    return Err(Error::VolumeExists.context(format!("name \"{name}\" is in use")));
                }
            }
            {
                let mut vols = bucket_at(tx, &[l::VOL])?;
                let mut b = vols.create_bucket(name.as_bytes())?;
                b.create_bucket(l::VOL_DEPENDENCIES)?;
                b.put(l::CONFIG, &config_json)?;
                b.put(l::STATE, &state_json)?;
            }
            if !vol.config.storage_id.is_empty() {
                put_at(
                    tx,
                    &[l::VOLUME_CTRS],
                    &vol.config.storage_id,
                    name.as_bytes(),
                )?;
            }
            put_at(tx, &[l::ALL_VOLS], name, name.as_bytes())?;
            Ok(())
        })
    }

    fn remove_volume(&self, name: &str) -> Result<()> {
        self.update(|tx| {
            let (vol, users) = {
                let r = reader(tx);
                (r.volume(name)?, r.volume_users(name)?)
            };
            if !users.is_empty() {
                return Err(Error::VolumeBeingUsed.context(format!(
                    "volume {name} is being used by the following container(s): {}",
                    users.join(", ")
                )));
            }
            delete_at(tx, &[l::ALL_VOLS], name)?;
            delete_bucket_at(tx, &[l::VOL], name)?;
            if !vol.config.storage_id.is_empty() {
                delete_at(tx, &[l::VOLUME_CTRS], &vol.config.storage_id)?;
            }
            Ok(())
        })
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
