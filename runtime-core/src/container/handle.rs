//! `Container`: a handle on one container, and the locking discipline every
//! verb follows: take the container's lock, reload its state from the State
//! (`sync`, which also reads conmon's exit file), act, save, emit the event,
//! release the lock.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::{ContainerConfig, ContainerRecord, ContainerState, ContainerStatus};
use crate::error::{Error, Result};
use crate::events::{Event, EventStatus, EventType};
use crate::lock::Locker;
use crate::oci::OciRuntime;
use crate::runtime::Runtime;

/// A handle on one container. Verbs live in one file each (`start.rs`, ...).
#[derive(Debug)]
pub struct Container {
    pub(crate) rt: Runtime,
    pub(crate) lock: Arc<dyn Locker>,
    pub(crate) rec: ContainerRecord,
    /// Set while its pod is being removed: only then may an infra
    /// container go.
    pub(crate) pod_removal: bool,
}

impl Container {
    /// Wraps a record loaded from the State.
    pub(crate) fn from_record(rt: &Runtime, rec: ContainerRecord) -> Result<Container> {
        let lock = rt.lock_manager()?.retrieve(rec.config.lock_id)?;
        Ok(Container {
            rt: rt.clone(),
            lock,
            rec,
            pod_removal: false,
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
    pub fn config(&self) -> &ContainerConfig {
        &self.rec.config
    }

    /// The state as of the last sync.
    pub fn state(&self) -> &ContainerState {
        &self.rec.state
    }

    /// The runtime this container belongs to.
    pub fn runtime(&self) -> Runtime {
        self.rt.clone()
    }

    /// Reloads the state under the lock (reading conmon's exit file).
    pub fn refresh_state(&mut self) -> Result<()> {
        let _held = self.lock_and_sync()?;
        Ok(())
    }

    /// Config and state together.
    pub fn record(&self) -> &ContainerRecord {
        &self.rec
    }

    /// Takes the lock and syncs; the guard releases the lock.
    pub(crate) fn lock_and_sync(&mut self) -> Result<HeldLock> {
        let held = HeldLock::take(&self.lock)?;
        self.sync()?;
        Ok(held)
    }

    /// Reloads the state and, while the container should be running, reads
    /// conmon's exit file: if it exists the container has stopped (exit
    /// code, finish time = the file's ctime, OOM flag), a `died` event is
    /// written and the exit code recorded.
    pub(crate) fn sync(&mut self) -> Result<()> {
        if self.sync_unsaved()? {
            self.save()?;
        }
        Ok(())
    }

    /// [`Container::sync`] that leaves the write of a state changed by the
    /// exit file to the caller (who is about to write it anyway): true when
    /// a save is due.
    pub(crate) fn sync_unsaved(&mut self) -> Result<bool> {
        let state = self.rt.state()?;
        self.rec.state = match state.update_container(self.id()) {
            Ok(s) => s,
            Err(e) if e.is(&Error::NoSuchCtr) => {
                return Err(Error::CtrRemoved.context(format!("container {}", self.id())));
            }
            Err(e) => return Err(e),
        };
        Ok(matches!(
            self.rec.state.state,
            ContainerStatus::Running | ContainerStatus::Paused | ContainerStatus::Stopping
        ) && self.check_exit_file()?)
    }

    /// Applies the exit file if present; true when the state changed.
    fn check_exit_file(&mut self) -> Result<bool> {
        let path = self.rt.paths()?.exits_dir().join(self.id());
        let meta = match std::fs::metadata(&path) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return self.check_conmon_alive(&path);
            }
            Err(e) => return Err(Error::io(&path, e)),
        };
        let text = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?;
        let code: i32 = text.trim().parse().unwrap_or(-1);
        use std::os::unix::fs::MetadataExt;
        let finished = DateTime::<Utc>::from_timestamp(meta.ctime(), meta.ctime_nsec() as u32)
            .unwrap_or_else(Utc::now);
        self.mark_exited(code, finished)?;
        Ok(true)
    }

    /// Without an exit file: if the container's conmon and its process are
    /// both gone, nobody will ever write one (conmon was killed, say), so
    /// the container is recorded as exited with code -1, as Podman does
    /// when the runtime reports it stopped without an exit file. True when
    /// the state changed.
    fn check_conmon_alive(&mut self, exit_file: &std::path::Path) -> Result<bool> {
        let st = &self.rec.state;
        let (conmon, pid) = (st.conmon_pid, st.pid);
        // A PID counts only while it is the same process (same start time).
        let conmon_gone = !crate::process::is_alive(conmon, st.conmon_start_ticks);
        let pid_gone = !crate::process::is_alive(pid, st.pid_start_ticks);
        // Only when both are gone: a container whose conmon was killed may
        // well still run.
        if conmon <= 0 || !conmon_gone || (pid > 0 && !pid_gone) {
            return Ok(false);
        }
        // conmon writes the file and then exits: look once more.
        if exit_file.exists() {
            return self.check_exit_file();
        }
        tracing::error!(
            "no exit file for container {} and its conmon (PID {conmon}) is gone: recording exit code -1",
            self.id()
        );
        self.mark_exited(-1, Utc::now())?;
        Ok(true)
    }

    /// Records that the container's process exited with `code`.
    pub(crate) fn mark_exited(&mut self, code: i32, finished: DateTime<Utc>) -> Result<()> {
        let oom = self.bundle_dir().join("oom").exists();
        let st = &mut self.rec.state;
        st.state = ContainerStatus::Stopped;
        st.pid = 0;
        st.conmon_pid = 0;
        st.pid_start_ticks = 0;
        st.conmon_start_ticks = 0;
        st.finished_time = finished;
        st.exit_code = code;
        st.exited = true;
        st.oom_killed = oom;
        self.rt.state()?.add_container_exit_code(self.id(), code)?;
        let mut ev = self.event(EventStatus::Died);
        ev.container_exit_code = Some(code);
        self.rt.emit(ev);
        Ok(())
    }

    /// Writes the state.
    pub(crate) fn save(&self) -> Result<()> {
        self.rt.state()?.save_container(self.id(), &self.rec.state)
    }

    /// An event about this container (labels as attributes).
    pub(crate) fn event(&self, status: EventStatus) -> Event {
        let mut ev = Event::new(EventType::Container, status);
        ev.id.clone_from(&self.rec.config.id);
        ev.name.clone_from(&self.rec.config.name);
        ev.image.clone_from(&self.rec.config.rootfs_image_name);
        ev.pod_id = self.rec.config.pod.clone().unwrap_or_default();
        ev.attributes = Some(self.rec.config.labels.clone());
        ev
    }

    /// The OCI runtime driver of this container.
    pub(crate) fn oci(&self) -> Result<Arc<dyn OciRuntime>> {
        self.rt.oci_for(&self.rec.config.oci_runtime)
    }

    /// The bundle directory (`config.json`, `attach`, `ctl`, `ctr.log`).
    pub fn bundle_dir(&self) -> PathBuf {
        PathBuf::from(&self.rec.config.static_dir)
    }

    /// The run directory (`pidfile`, `conmon.pid`, run files).
    pub fn run_dir(&self) -> PathBuf {
        PathBuf::from(&self.rec.state.run_dir)
    }

    /// The state-invalid error Podman gives for `verb`.
    pub(crate) fn improper(&self, what: &str) -> Error {
        Error::CtrStateInvalid.context(format!(
            "{what}. {} is in state {}",
            self.id(),
            self.rec.state.state
        ))
    }
}

/// The container lock, released on drop.
pub(crate) struct HeldLock {
    lock: Arc<dyn Locker>,
}

impl HeldLock {
    /// Blocks until `lock` is held; the guard releases it.
    pub(crate) fn take(lock: &Arc<dyn Locker>) -> Result<HeldLock> {
        lock.lock()?;
        Ok(HeldLock {
            lock: Arc::clone(lock),
        })
    }
}

impl Drop for HeldLock {
    fn drop(&mut self) {
        if let Err(e) = self.lock.unlock() {
            tracing::error!("unlocking container lock {}: {e}", self.lock.id());
        }
    }
}

impl Runtime {
    /// The container with this name, ID or unique ID prefix.
    pub fn lookup_container(&self, name_or_id: &str) -> Result<Container> {
        let rec = self.state()?.lookup_container(name_or_id)?;
        Container::from_record(self, rec)
    }

    /// Every container for listings: states as stored (not synced), and the
    /// OCI spec possibly left out (`config().spec` may be `None`), so use
    /// these handles to show containers, not to run them.
    pub fn containers_for_listing(&self) -> Result<Vec<Container>> {
        self.state()?
            .all_containers_for_listing()?
            .into_iter()
            .map(|r| Container::from_record(self, r))
            .collect()
    }

    /// Every container, states as stored (not synced).
    pub fn containers(&self) -> Result<Vec<Container>> {
        self.state()?
            .all_containers(true)?
            .into_iter()
            .map(|r| Container::from_record(self, r))
            .collect()
    }
}
