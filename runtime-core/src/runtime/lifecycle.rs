//! Runtime-wide maintenance: refresh after a reboot, lock renumbering,
//! migration, and stopping everything at shutdown.

use super::Runtime;
use crate::container::ContainerStatus;
use crate::error::{Error, IoResultExt, Result, ResultExt};
use crate::events::{Event, EventStatus};
use crate::lock::LockGuard;

/// Files conmon leaves per container in the tmp dir, removed on refresh.
fn stale_runtime_files(rt: &Runtime, id: &str) -> Vec<std::path::PathBuf> {
    vec![rt.inner.paths.exits_dir().join(id)]
}

fn remove_if_present(path: &std::path::Path) -> Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(path, e)),
        _ => Ok(()),
    }
}

impl Runtime {
    /// Resets the state after a reboot (the caller holds the alive lock):
    /// the State resets every object, each object re-takes the lock ID
    /// stored in its config, stale exit files go, then the alive file is
    /// created and a `system refresh` event written. Errors on single
    /// objects are logged, not fatal.
    pub(crate) fn refresh(&self) -> Result<()> {
        let inner = &self.inner;
        inner.state.refresh().context("refreshing state")?;
        let retake = |what: &str, name: &str, id: u32| {
            match inner.locks.allocate_given(id) {
                Ok(_) => {}
                // Already allocated: the segment outlived the "reboot"
                // (tmp dir wiped by hand); the lock is still ours.
                Err(e) if e.is(&Error::LockAllocated(0)) => {}
                Err(e) => tracing::error!("retrieving lock {id} for {what} {name}: {e}"),
            }
        };
        for ctr in inner.state.all_containers(false)? {
            retake("container", &ctr.config.id, ctr.config.lock_id);
            for f in stale_runtime_files(self, &ctr.config.id) {
                if let Err(e) = remove_if_present(&f) {
                    tracing::error!("removing {}: {e}", f.display());
                }
            }
        }
        for pod in inner.state.all_pods()? {
            retake("pod", &pod.config.id, pod.config.lock_id);
        }
        for vol in inner.state.all_volumes()? {
            retake("volume", &vol.config.name, vol.config.lock_id);
        }
        let alive = inner.paths.alive_file();
        std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&alive)
            .at(&alive)
            .context("creating alive file")?;
        self.emit(Event::system(EventStatus::Refresh, ""));
        Ok(())
    }

    /// Frees every lock and gives each container, then pod, then volume a
    /// fresh lock ID in order, rewriting its config; emits `system renumber`.
    /// The caller holds the alive lock (done by the builder with `renumber`).
    pub(crate) fn renumber_locks(&self) -> Result<()> {
        let inner = &self.inner;
        inner.locks.free_all().context("freeing all locks")?;
        for mut ctr in inner.state.all_containers(false)? {
            let lock = inner
                .locks
                .allocate()
                .context("allocating lock for container")?;
            ctr.config.lock_id = lock.id();
            inner.state.rewrite_container_config(&ctr.config)?;
        }
        for mut pod in inner.state.all_pods()? {
            let lock = inner.locks.allocate().context("allocating lock for pod")?;
            pod.config.lock_id = lock.id();
            inner.state.rewrite_pod_config(&pod.config)?;
        }
        for mut vol in inner.state.all_volumes()? {
            let lock = inner
                .locks
                .allocate()
                .context("allocating lock for volume")?;
            vol.config.lock_id = lock.id();
            inner.state.rewrite_volume_config(&vol.config)?;
        }
        self.emit(Event::system(EventStatus::Renumber, ""));
        Ok(())
    }

    /// `system migrate`: stops running containers and, with `new_runtime`,
    /// rewrites every container's OCI runtime. An unknown runtime is
    /// Podman's invalid-argument error.
    pub(crate) fn migrate(&self, new_runtime: Option<&str>) -> Result<()> {
        if let Some(rt) = new_runtime
            && !self.inner.oci_runtimes.paths.contains_key(rt)
        {
            return Err(Error::InvalidArg.context(format!(
                "change to runtime {rt:?} requested but no such runtime is defined"
            )));
        }
        self.stop_all_running()?;
        if let Some(rt) = new_runtime {
            for mut ctr in self.inner.state.all_containers(false)? {
                let lock = self.inner.locks.retrieve(ctr.config.lock_id)?;
                let _g = LockGuard::acquire(lock.as_ref())?;
                ctr.config.oci_runtime = rt.to_string();
                self.inner.state.rewrite_container_config(&ctr.config)?;
            }
        }
        Ok(())
    }

    /// Stops every running or paused container with its stop timeout,
    /// through the container state machine (so each ends up cleaned up).
    pub(crate) fn stop_all_running(&self) -> Result<()> {
        let mut first_err = None;
        for rec in self.inner.state.all_containers(true)? {
            if !matches!(
                rec.state.state,
                ContainerStatus::Running | ContainerStatus::Paused | ContainerStatus::Stopping
            ) {
                continue;
            }
            let mut ctr = crate::container::Container::from_record(self, rec)?;
            match ctr.stop(None) {
                Ok(()) => {}
                Err(e) if e.is(&Error::CtrStopped) || e.is(&Error::CtrRemoved) => {}
                Err(e) => {
                    tracing::error!("stopping container {}: {e}", ctr.id());
                    first_err.get_or_insert(e);
                }
            }
        }
        first_err.map_or(Ok(()), Err)
    }
}
