//! The `Runtime`: owns the state, the lock manager, the eventer, the OCI
//! runtimes, storage and networking, and hands out the objects they manage.
//!
//! Build one with [`RuntimeBuilder`]. After [`Runtime::shutdown`] every call
//! fails with [`Error::RuntimeStopped`].

mod builder;
mod info;
mod lifecycle;
mod objects;
mod paths;

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

pub use crate::volume::NewVolume;
pub use builder::RuntimeBuilder;
pub use info::{VERSION, go_arch, version_report};
pub use objects::{NewContainer, NewPod};
pub use paths::RuntimePaths;

use crate::backend::{BackendContext, BackendRegistry, OciRuntimeTarget};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::events::{Event, Eventer, ReadControl, ReadOptions};
use crate::lock::LockManager;
use crate::network::NetworkBackend;
use crate::oci::OciRuntime;
use crate::state::State;
use crate::storage::Storage;

/// The OCI runtimes this runtime knows, by name, and the default one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OciRuntimes {
    /// Name of the default runtime.
    pub default_name: String,
    /// Path of the default runtime.
    pub default_path: PathBuf,
    /// Every runtime found, name → path.
    pub paths: BTreeMap<String, PathBuf>,
}

struct RuntimeInner {
    registry: BackendRegistry,
    ctx: BackendContext,
    oci_cache: Mutex<BTreeMap<String, Arc<dyn OciRuntime>>>,
    config: Config,
    paths: RuntimePaths,
    state: Box<dyn State>,
    locks: Box<dyn LockManager>,
    eventer: Box<dyn Eventer>,
    oci: Option<Arc<dyn OciRuntime>>,
    oci_runtimes: OciRuntimes,
    storage: Option<Box<dyn Storage>>,
    network: Option<Box<dyn NetworkBackend>>,
    conmon: Option<PathBuf>,
    namespace: String,
    valid: AtomicBool,
}

/// The engine. Cheap to clone; clones share everything.
#[derive(Clone)]
pub struct Runtime {
    inner: Arc<RuntimeInner>,
}

impl fmt::Debug for Runtime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Runtime")
            .field("paths", &self.inner.paths)
            .field("state", &self.inner.state.name())
            .field("locks", &self.inner.locks.name())
            .field("eventer", &self.inner.eventer.name())
            .field("oci_runtimes", &self.inner.oci_runtimes)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// A builder; same as [`RuntimeBuilder::new`].
    pub fn builder() -> RuntimeBuilder {
        RuntimeBuilder::new()
    }

    pub(crate) fn check_valid(&self) -> Result<()> {
        if self.inner.valid.load(Ordering::Acquire) {
            Ok(())
        } else {
            Err(Error::RuntimeStopped)
        }
    }

    /// A copy of the configuration the runtime runs with.
    pub fn config(&self) -> Result<Config> {
        self.check_valid()?;
        Ok(self.inner.config.clone())
    }

    /// The directories in use.
    pub fn paths(&self) -> Result<&RuntimePaths> {
        self.check_valid()?;
        Ok(&self.inner.paths)
    }

    /// The shared state database.
    pub fn state(&self) -> Result<&dyn State> {
        self.check_valid()?;
        Ok(self.inner.state.as_ref())
    }

    /// The lock manager.
    pub fn lock_manager(&self) -> Result<&dyn LockManager> {
        self.check_valid()?;
        Ok(self.inner.locks.as_ref())
    }

    /// The OCI runtime driver for the default runtime, when one is compiled in.
    pub fn oci_runtime(&self) -> Result<Option<&dyn OciRuntime>> {
        self.check_valid()?;
        Ok(self.inner.oci.as_deref())
    }

    /// The driver for the OCI runtime `name` (a name from the runtimes
    /// table or an absolute path; empty means the default). A path that
    /// no longer holds a program falls back to the configured runtime of
    /// the same file name, else the default one, so its containers can
    /// still be stopped and removed.
    pub fn oci_for(&self, name: &str) -> Result<Arc<dyn OciRuntime>> {
        self.check_valid()?;
        let runtimes = &self.inner.oci_runtimes;
        if (name.is_empty() || name == runtimes.default_name)
            && let Some(oci) = &self.inner.oci
        {
            return Ok(Arc::clone(oci));
        }
        let mut cache = self
            .inner
            .oci_cache
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        if let Some(oci) = cache.get(name) {
            return Ok(Arc::clone(oci));
        }
        let target = if name.is_empty() {
            OciRuntimeTarget {
                name: runtimes.default_name.clone(),
                path: runtimes.default_path.clone(),
            }
        } else if name.starts_with('/') {
            runtime_by_path(runtimes, name)
        } else {
            let path = runtimes.paths.get(name).cloned().ok_or_else(|| {
                Error::InvalidArg.context(format!("no OCI runtime named {name:?} is configured"))
            })?;
            OciRuntimeTarget {
                name: name.to_string(),
                path,
            }
        };
        let oci: Arc<dyn OciRuntime> = Arc::from(self.inner.registry.oci(
            "conmon",
            &self.inner.ctx,
            &target,
        )?);
        cache.insert(name.to_string(), Arc::clone(&oci));
        Ok(oci)
    }

    /// The OCI runtimes found on this host.
    pub fn oci_runtimes(&self) -> Result<&OciRuntimes> {
        self.check_valid()?;
        Ok(&self.inner.oci_runtimes)
    }

    /// The backend registry the runtime was built from.
    pub(crate) fn registry(&self) -> &BackendRegistry {
        &self.inner.registry
    }

    /// The storage backend, unless built with `no_store` or none is compiled in.
    pub fn storage(&self) -> Result<Option<&dyn Storage>> {
        self.check_valid()?;
        Ok(self.inner.storage.as_deref())
    }

    /// The network backend, when one is compiled in.
    pub fn network(&self) -> Result<Option<&dyn NetworkBackend>> {
        self.check_valid()?;
        Ok(self.inner.network.as_deref())
    }

    /// conmon's path, when found.
    pub fn conmon_path(&self) -> Option<&PathBuf> {
        self.inner.conmon.as_ref()
    }

    /// The libpod namespace (unused by rpod; kept for compatibility).
    pub fn namespace(&self) -> &str {
        &self.inner.namespace
    }

    /// Writes an event; a failure is logged, never fatal to the operation.
    pub fn emit(&self, event: Event) {
        if let Err(e) = self.inner.eventer.write(&event) {
            tracing::warn!("writing {} {} event: {e}", event.event_type, event.status);
        }
    }

    /// Reads events as `opts` says (see [`Eventer::read`]).
    pub fn events(
        &self,
        opts: &ReadOptions,
        sink: &mut dyn FnMut(Event) -> Result<ReadControl>,
    ) -> Result<()> {
        self.check_valid()?;
        self.inner.eventer.read(opts, sink)
    }

    /// The eventer's name.
    pub fn eventer_name(&self) -> &'static str {
        self.inner.eventer.name()
    }

    /// Stops the runtime. With `force`, running containers are stopped
    /// first (with their stop timeout). Afterwards every call fails with
    /// [`Error::RuntimeStopped`]; a second shutdown is an error too.
    pub fn shutdown(&self, force: bool) -> Result<()> {
        self.check_valid()?;
        let mut errors = Vec::new();
        if force && let Err(e) = self.stop_all_running() {
            errors.push(e);
        }
        self.inner.valid.store(false, Ordering::Release);
        if let Some(s) = &self.inner.storage
            && let Err(e) = s.shutdown(force)
        {
            errors.push(e.context("shutting down storage"));
        }
        if let Err(e) = self.inner.state.close() {
            errors.push(e.context("closing database"));
        }
        match errors.into_iter().next() {
            Some(first) => Err(first),
            None => Ok(()),
        }
    }
}

/// The runtime for containers that recorded the absolute `path`: that
/// program while it exists; else the configured runtime of the same file
/// name; else the default one (runc-like runtimes share their state
/// directory, so either can still stop and delete the container).
fn runtime_by_path(runtimes: &OciRuntimes, path: &str) -> OciRuntimeTarget {
    let wanted = PathBuf::from(path);
    if builder::is_executable(&wanted) {
        return OciRuntimeTarget {
            name: path.to_string(),
            path: wanted,
        };
    }
    let same_name = wanted
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .and_then(|n| runtimes.paths.get(&n).map(|p| (n, p.clone())));
    let (name, fallback) =
        same_name.unwrap_or_else(|| (runtimes.default_name.clone(), runtimes.default_path.clone()));
    tracing::debug!(
        "OCI runtime {path} is gone; using {name} ({})",
        fallback.display()
    );
    OciRuntimeTarget {
        name,
        path: fallback,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn table(default: &str) -> OciRuntimes {
        let mut paths = BTreeMap::new();
        paths.insert("runc".to_string(), PathBuf::from("/usr/bin/runc"));
        paths.insert("crun".to_string(), PathBuf::from("/usr/bin/crun"));
        OciRuntimes {
            default_name: default.into(),
            default_path: paths[default].clone(),
            paths,
        }
    }

    #[test]
    fn a_runtime_path_is_used_while_it_exists() {
        let dir = tempfile::tempdir().unwrap();
        let prog = dir.path().join("my-runc");
        std::fs::write(&prog, "#!/bin/sh\n").unwrap();
        std::fs::set_permissions(&prog, std::fs::Permissions::from_mode(0o755)).unwrap();
        let p = prog.to_str().unwrap();
        let t = runtime_by_path(&table("crun"), p);
        assert_eq!((t.name.as_str(), t.path.as_path()), (p, prog.as_path()));
    }

    #[test]
    fn a_vanished_runtime_path_falls_back_by_file_name_then_to_the_default() {
        let t = runtime_by_path(&table("crun"), "/nonexistent/dir/runc");
        assert_eq!(t.name, "runc");
        assert_eq!(t.path, PathBuf::from("/usr/bin/runc"));
        let t = runtime_by_path(&table("crun"), "/nonexistent/dir/other");
        assert_eq!(t.name, "crun");
        assert_eq!(t.path, PathBuf::from("/usr/bin/crun"));
    }
}
