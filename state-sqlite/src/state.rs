//! [`SqliteState`]: the connection, its transactions, and the `State` trait
//! mapped onto the query modules.

use std::collections::BTreeMap;
use std::fs::{DirBuilder, OpenOptions};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rpod_runtime_core::container::{ContainerConfig, ContainerRecord, ContainerState};
use rpod_runtime_core::error::IoResultExt;
use rpod_runtime_core::names::{LookupCandidates, ObjectKind, resolve};
use rpod_runtime_core::network::PerNetworkOptions;
use rpod_runtime_core::pod::{PodConfig, PodRecord, PodState};
use rpod_runtime_core::state::errors;
use rpod_runtime_core::state::{DbConfig, EXIT_CODE_RETENTION, State};
use rpod_runtime_core::volume::{VolumeConfig, VolumeRecord, VolumeState};
use rpod_runtime_core::{Error, Result};
use rusqlite::{Connection, OpenFlags, TransactionBehavior};

use crate::error::{DbError, DbResult};
use crate::{containers, meta, pods, schema, volumes};

/// The database file's name inside the static dir.
pub const DB_FILE_NAME: &str = "db.sql";

/// How long a statement waits for another process's lock before failing.
/// Podman uses the same 100 s: under heavy contention lock waits queue up,
/// and failing with `database is locked` would be worse than waiting.
const BUSY_TIMEOUT: Duration = Duration::from_secs(100);

/// Enough for every distinct statement of this crate to stay prepared.
const STATEMENT_CACHE: usize = 128;

/// The SQLite State. One connection, guarded by a mutex; `close` drops it.
#[derive(Debug)]
pub struct SqliteState {
    path: PathBuf,
    conn: Mutex<Option<Connection>>,
}

impl SqliteState {
    /// Opens (creating if needed) `<static_dir>/db.sql`.
    ///
    /// Creates `static_dir` with mode 0700 and the file with mode 0600 when
    /// they are missing, creates the schema in an empty file, migrates an
    /// older schema forward, and refuses a file that is not an rpod state
    /// database or has a newer schema; those errors name the file, which is
    /// left untouched.
    pub fn open(static_dir: &Path) -> Result<SqliteState> {
        DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(static_dir)
            .at(static_dir)?;
        let path = static_dir.join(DB_FILE_NAME);
        // SQLite would create the file 0644; create it ourselves with 0600.
        // Only when it is missing: closing a descriptor of a file this
        // process has open in SQLite elsewhere would drop that connection's
        // POSIX locks.
        match OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
        {
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(Error::io(&path, e)),
        }
        let conn = connect(&path).map_err(|e| opening(&path, e))?;
        Ok(SqliteState {
            path,
            conn: Mutex::new(Some(conn)),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Adds several containers in one transaction: all of them, or none
    /// when one fails. Each is checked as [`State::add_container`] checks
    /// it, in order, so a container may depend on one earlier in the slice.
    /// Meant for bulk imports (migrating another database) and benchmarks.
    pub fn add_containers(&self, ctrs: &[ContainerRecord]) -> Result<()> {
        self.write(|c| ctrs.iter().try_for_each(|r| containers::add(c, r)))
    }

    fn lock(&self) -> MutexGuard<'_, Option<Connection>> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the connection, outside any explicit transaction (for
    /// single statements, which SQLite runs atomically anyway).
    fn read<T>(&self, f: impl FnOnce(&Connection) -> DbResult<T>) -> Result<T> {
        let guard = self.lock();
        let conn = guard.as_ref().ok_or(Error::DbClosed)?;
        f(conn).map_err(|e| e.into_core(&self.path))
    }

    /// Runs `f` in a deferred transaction, so that several statements see
    /// one snapshot.
    fn read_tx<T>(&self, f: impl FnOnce(&Connection) -> DbResult<T>) -> Result<T> {
        let mut guard = self.lock();
        let conn = guard.as_mut().ok_or(Error::DbClosed)?;
        let run = || -> DbResult<T> {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        };
        run().map_err(|e| e.into_core(&self.path))
    }

    /// Runs `f` in an exclusive transaction and commits; any error rolls back.
    fn write<T>(&self, f: impl FnOnce(&Connection) -> DbResult<T>) -> Result<T> {
        let mut guard = self.lock();
        let conn = guard.as_mut().ok_or(Error::DbClosed)?;
        let run = || -> DbResult<T> {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
            let out = f(&tx)?;
            tx.commit()?;
            Ok(out)
        };
        run().map_err(|e| e.into_core(&self.path))
    }
}

/// Opens the connection, sets it up and brings the schema to the current version.
fn connect(path: &Path) -> DbResult<Connection> {
    let mut conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
    conn.execute_batch("PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;")?;
    schema::ensure(&mut conn)?;
    Ok(conn)
}

/// An error from opening, naming the file.
fn opening(path: &Path, e: DbError) -> Error {
    match e {
        DbError::Core(e) => e.context(format!("state database {}", path.display())),
        other => other.into_core(path),
    }
}

fn lookup_candidates(c: &Connection, kind: ObjectKind, input: &str) -> DbResult<LookupCandidates> {
    if input.is_empty() {
        // `resolve` answers EmptyId; an empty prefix would match everything.
        return Ok(LookupCandidates::default());
    }
    containers::candidates(c, kind, input)
}

impl State for SqliteState {
    fn name(&self) -> &'static str {
        "sqlite"
    }

    fn close(&self) -> Result<()> {
        let conn = self.lock().take();
        if let Some(conn) = conn {
            conn.close()
                .map_err(|(_, e)| DbError::from(e).into_core(&self.path))?;
        }
        Ok(())
    }

    fn refresh(&self) -> Result<()> {
        self.write(meta::refresh)
    }

    fn db_config(&self) -> Result<Option<DbConfig>> {
        self.read(meta::db_config)
    }

    fn check_integrity(&self) -> Result<Vec<String>> {
        self.read(meta::integrity_problems)
    }

    fn init_db_config(&self, cfg: &DbConfig) -> Result<DbConfig> {
        self.write(|c| meta::init_db_config(c, cfg))
    }

    fn container_name(&self, id: &str) -> Result<String> {
        self.read(|c| containers::name(c, id))
    }

    fn pod_name(&self, id: &str) -> Result<String> {
        self.read(|c| pods::name(c, id))
    }

    fn container(&self, id: &str) -> Result<ContainerRecord> {
        if id.is_empty() {
            return Err(Error::EmptyId);
        }
        self.read(|c| containers::get(c, id))
    }

    fn lookup_container_id(&self, id_or_name: &str) -> Result<String> {
        let found = self.read(|c| lookup_candidates(c, ObjectKind::Container, id_or_name))?;
        resolve(ObjectKind::Container, id_or_name, found)
    }

    fn lookup_container(&self, id_or_name: &str) -> Result<ContainerRecord> {
        self.read_tx(|c| {
            let found = lookup_candidates(c, ObjectKind::Container, id_or_name)?;
            let id = resolve(ObjectKind::Container, id_or_name, found)?;
            containers::get(c, &id)
        })
    }

    fn has_container(&self, id: &str) -> Result<bool> {
        self.read(|c| containers::exists(c, id))
    }

    fn add_container(&self, ctr: &ContainerRecord) -> Result<()> {
        self.write(|c| containers::add(c, ctr))
    }

    fn remove_container(&self, id: &str) -> Result<()> {
        self.write(|c| containers::remove(c, id))
    }

    fn remove_containers(&self, ids: &[String]) -> Result<()> {
        // One exclusive transaction; an error rolls every removal back.
        self.write(|c| {
            for id in ids {
                containers::remove_exec_sessions(c, id)?;
                containers::remove(c, id)?;
            }
            Ok(())
        })
    }

    fn update_container(&self, id: &str) -> Result<ContainerState> {
        self.read(|c| containers::state(c, id))
    }

    fn save_container(&self, id: &str, state: &ContainerState) -> Result<()> {
        self.write(|c| containers::save_state(c, id, state))
    }

    fn container_in_use(&self, id: &str) -> Result<Vec<String>> {
        self.read_tx(|c| {
            containers::require(c, id)?;
            containers::dependents(c, id)
        })
    }

    fn all_containers(&self, load_state: bool) -> Result<Vec<ContainerRecord>> {
        let raw = self.read(|c| containers::all_raw(c, load_state))?;
        // Decoded after the connection is released.
        containers::decode_all(&raw).map_err(|e| e.into_core(&self.path))
    }

    fn all_containers_for_listing(&self) -> Result<Vec<ContainerRecord>> {
        let raw = self.read(containers::all_raw_for_listing)?;
        containers::decode_all(&raw).map_err(|e| e.into_core(&self.path))
    }

    fn rewrite_container_config(&self, cfg: &ContainerConfig) -> Result<()> {
        self.write(|c| containers::rewrite_config(c, cfg))
    }

    fn safe_rewrite_container_config(
        &self,
        old_name: &str,
        new_name: &str,
        cfg: &ContainerConfig,
    ) -> Result<()> {
        self.write(|c| containers::rename(c, old_name, new_name, cfg))
    }

    fn networks(&self, id: &str) -> Result<BTreeMap<String, PerNetworkOptions>> {
        self.read_tx(|c| containers::networks(c, id))
    }

    fn network_connect(&self, id: &str, network: &str, opts: &PerNetworkOptions) -> Result<()> {
        self.write(|c| containers::network_connect(c, id, network, opts))
    }

    fn network_disconnect(&self, id: &str, network: &str) -> Result<()> {
        self.write(|c| containers::network_disconnect(c, id, network))
    }

    fn add_container_exit_code(&self, id: &str, code: i32) -> Result<()> {
        if id.is_empty() {
            return Err(Error::EmptyId);
        }
        self.write(|c| containers::add_exit_code(c, id, code, Utc::now()))
    }

    fn container_exit_code(&self, id: &str) -> Result<i32> {
        self.read(|c| containers::exit_code(c, id))?
            .map(|(code, _)| code)
            .ok_or_else(|| errors::no_exit_code(id))
    }

    fn container_exit_code_timestamp(&self, id: &str) -> Result<DateTime<Utc>> {
        self.read(|c| containers::exit_code(c, id))?
            .map(|(_, t)| t)
            .ok_or_else(|| errors::no_exit_code_time(id))
    }

    fn prune_container_exit_codes(&self, now: DateTime<Utc>) -> Result<()> {
        self.write(|c| containers::prune_exit_codes(c, now - EXIT_CODE_RETENTION))
    }

    fn add_exec_session(&self, ctr_id: &str, session_id: &str) -> Result<()> {
        self.write(|c| containers::add_exec_session(c, ctr_id, session_id))
    }

    fn exec_session(&self, session_id: &str) -> Result<String> {
        self.read(|c| containers::exec_session(c, session_id))
    }

    fn remove_exec_session(&self, session_id: &str) -> Result<()> {
        self.write(|c| containers::remove_exec_session(c, session_id))
    }

    fn add_exec_session_and_save(
        &self,
        ctr_id: &str,
        session_id: &str,
        state: &ContainerState,
    ) -> Result<()> {
        self.write(|c| {
            containers::add_exec_session(c, ctr_id, session_id)?;
            containers::save_state(c, ctr_id, state)
        })
    }

    fn remove_exec_session_and_save(
        &self,
        ctr_id: &str,
        session_id: &str,
        state: &ContainerState,
    ) -> Result<()> {
        self.write(|c| {
            if containers::exec_session(c, session_id)? != ctr_id {
                return Err(errors::no_exec_session_in(session_id, ctr_id).into());
            }
            containers::remove_exec_session(c, session_id)?;
            containers::save_state(c, ctr_id, state)
        })
    }

    fn container_exec_sessions(&self, ctr_id: &str) -> Result<Vec<String>> {
        self.read_tx(|c| containers::exec_sessions(c, ctr_id))
    }

    fn remove_container_exec_sessions(&self, ctr_id: &str) -> Result<()> {
        self.write(|c| containers::remove_exec_sessions(c, ctr_id))
    }

    fn pod(&self, id: &str) -> Result<PodRecord> {
        if id.is_empty() {
            return Err(Error::EmptyId);
        }
        self.read(|c| pods::get(c, id))
    }

    fn lookup_pod(&self, id_or_name: &str) -> Result<PodRecord> {
        self.read_tx(|c| {
            let found = lookup_candidates(c, ObjectKind::Pod, id_or_name)?;
            let id = resolve(ObjectKind::Pod, id_or_name, found)?;
            pods::get(c, &id)
        })
    }

    fn has_pod(&self, id: &str) -> Result<bool> {
        self.read(|c| pods::exists(c, id))
    }

    fn pod_has_container(&self, pod_id: &str, ctr_id: &str) -> Result<bool> {
        self.read_tx(|c| pods::has_container(c, pod_id, ctr_id))
    }

    fn pod_containers_by_id(&self, pod_id: &str) -> Result<Vec<String>> {
        self.read_tx(|c| pods::container_ids(c, pod_id))
    }

    fn pod_containers(&self, pod_id: &str) -> Result<Vec<ContainerRecord>> {
        self.read_tx(|c| {
            pods::require(c, pod_id)?;
            containers::in_pod(c, pod_id)
        })
    }

    fn add_pod(&self, pod: &PodRecord) -> Result<()> {
        self.write(|c| pods::add(c, pod))
    }

    fn remove_pod(&self, id: &str) -> Result<()> {
        self.write(|c| pods::remove(c, id))
    }

    fn remove_pod_containers(&self, pod_id: &str) -> Result<()> {
        self.write(|c| pods::remove_containers(c, pod_id))
    }

    fn update_pod(&self, id: &str) -> Result<PodState> {
        if id.is_empty() {
            return Err(Error::EmptyId);
        }
        self.read(|c| pods::state(c, id))
    }

    fn save_pod(&self, id: &str, state: &PodState) -> Result<()> {
        self.write(|c| pods::save_state(c, id, state))
    }

    fn all_pods(&self) -> Result<Vec<PodRecord>> {
        self.read(pods::all)
    }

    fn rewrite_pod_config(&self, cfg: &PodConfig) -> Result<()> {
        self.write(|c| pods::rewrite_config(c, cfg))
    }

    fn volume(&self, name: &str) -> Result<VolumeRecord> {
        if name.is_empty() {
            return Err(Error::EmptyId);
        }
        self.read(|c| volumes::get(c, name))
    }

    fn lookup_volume(&self, name: &str) -> Result<VolumeRecord> {
        if name.is_empty() {
            return Err(Error::EmptyId);
        }
        self.read(|c| volumes::lookup(c, name))
    }

    fn has_volume(&self, name: &str) -> Result<bool> {
        self.read(|c| volumes::exists(c, name))
    }

    fn volume_in_use(&self, name: &str) -> Result<Vec<String>> {
        self.read_tx(|c| volumes::users(c, name))
    }

    fn add_volume(&self, vol: &VolumeRecord) -> Result<()> {
        self.write(|c| volumes::add(c, vol))
    }

    fn remove_volume(&self, name: &str) -> Result<()> {
        self.write(|c| volumes::remove(c, name))
    }

    fn update_volume(&self, name: &str) -> Result<VolumeState> {
        if name.is_empty() {
            return Err(Error::EmptyId);
        }
        self.read(|c| volumes::state(c, name))
    }

    fn save_volume(&self, name: &str, state: &VolumeState) -> Result<()> {
        self.write(|c| volumes::save_state(c, name, state))
    }

    fn all_volumes(&self) -> Result<Vec<VolumeRecord>> {
        self.read(volumes::all)
    }

    fn rewrite_volume_config(&self, cfg: &VolumeConfig) -> Result<()> {
        self.write(|c| volumes::rewrite_config(c, cfg))
    }

    fn container_id_is_volume(&self, id: &str) -> Result<bool> {
        self.read(|c| volumes::is_storage_container(c, id))
    }
}
