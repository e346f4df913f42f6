//! The backend registry: constructors by name for each trait.
//!
//! A binary registers the backends it compiled in; asking for one it did not
//! is [`Error::BackendNotCompiled`] naming the cargo feature that provides it,
//! and an unknown name is [`Error::UnknownBackend`]. The registry is open:
//! library users may register backends of their own under new names.

use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use crate::config::Config;
use crate::error::{Error, Result};
use crate::events::Eventer;
use crate::lock::LockManager;
use crate::lock::memory::MemoryLockManager;
use crate::network::NetworkBackend;
use crate::oci::OciRuntime;
use crate::state::State;
use crate::state::memory::MemoryState;
use crate::storage::Storage;

/// Everything a backend constructor may need, resolved by the runtime builder.
#[derive(Debug, Clone, Default)]
pub struct BackendContext {
    /// The merged configuration.
    pub config: Config,
    /// Storage graph root.
    pub graph_root: PathBuf,
    /// Storage run root.
    pub run_root: PathBuf,
    /// libpod static dir (the state database lives here).
    pub static_dir: PathBuf,
    /// libpod tmp dir.
    pub tmp_dir: PathBuf,
    /// Volume directory.
    pub volume_path: PathBuf,
    /// Storage driver name (may be empty: the backend picks).
    pub storage_driver: String,
    /// Number of locks (shm manager).
    pub num_locks: u32,
    /// Name of the shm lock segment (`/rpod_lock` by default).
    pub shm_lock_path: String,
    /// The runtime was asked to renumber locks: a lock-count mismatch is not an error.
    pub renumber: bool,
    /// Path of the event log (file eventer).
    pub events_log_path: PathBuf,
    /// Rotate the event log at this many bytes (0: never).
    pub events_log_max_size: u64,
    /// conmon's path, if found.
    pub conmon_path: Option<PathBuf>,
    /// The command conmon runs when a container exits, before
    /// `container cleanup <id>`: the absolute path of the engine binary and
    /// the global options it was started with.
    pub exit_command: Vec<String>,
}

/// Which OCI runtime an [`OciCtor`] should drive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OciRuntimeTarget {
    /// The runtime's name (`runc`, or a containers.conf runtimes entry).
    pub name: String,
    /// Its absolute path.
    pub path: PathBuf,
}

/// Builds a State.
pub type StateCtor = Arc<dyn Fn(&BackendContext) -> Result<Box<dyn State>> + Send + Sync>;
/// Builds a lock manager.
pub type LockCtor = Arc<dyn Fn(&BackendContext) -> Result<Box<dyn LockManager>> + Send + Sync>;
/// Builds an eventer.
pub type EventerCtor = Arc<dyn Fn(&BackendContext) -> Result<Box<dyn Eventer>> + Send + Sync>;
/// Builds an OCI runtime driver for one runtime binary.
pub type OciCtor =
    Arc<dyn Fn(&BackendContext, &OciRuntimeTarget) -> Result<Box<dyn OciRuntime>> + Send + Sync>;
/// Builds a storage driver.
pub type StorageCtor = Arc<dyn Fn(&BackendContext) -> Result<Box<dyn Storage>> + Send + Sync>;
/// Builds a network backend.
pub type NetworkCtor =
    Arc<dyn Fn(&BackendContext) -> Result<Box<dyn NetworkBackend>> + Send + Sync>;

/// Name → constructor for every trait.
#[derive(Clone, Default)]
pub struct BackendRegistry {
    states: BTreeMap<String, StateCtor>,
    locks: BTreeMap<String, LockCtor>,
    eventers: BTreeMap<String, EventerCtor>,
    oci: BTreeMap<String, OciCtor>,
    storage: BTreeMap<String, StorageCtor>,
    network: BTreeMap<String, NetworkCtor>,
    /// (kind, name, cargo feature) of backends the binary knows of but
    /// may have left out.
    features: Vec<(&'static str, String, &'static str)>,
    /// The storage backend used when storage.conf names no driver.
    default_storage: Option<String>,
}

impl fmt::Debug for BackendRegistry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BackendRegistry")
            .field("states", &self.states.keys().collect::<Vec<_>>())
            .field("locks", &self.locks.keys().collect::<Vec<_>>())
            .field("eventers", &self.eventers.keys().collect::<Vec<_>>())
            .field("oci", &self.oci.keys().collect::<Vec<_>>())
            .field("storage", &self.storage.keys().collect::<Vec<_>>())
            .field("network", &self.network.keys().collect::<Vec<_>>())
            .field("default_storage", &self.default_storage)
            .finish_non_exhaustive()
    }
}

/// The error for a backend that is not registered: the feature that
/// provides it when the binary declared one, else the names it knows.
fn missing(
    features: &[(&'static str, String, &'static str)],
    kind: &'static str,
    name: &str,
    registered: Vec<&String>,
) -> Error {
    if let Some((_, _, feature)) = features.iter().find(|(k, n, _)| *k == kind && n == name) {
        return Error::BackendNotCompiled {
            kind,
            name: name.to_string(),
            feature,
        };
    }
    let mut known: Vec<String> = registered.into_iter().cloned().collect();
    known.extend(
        features
            .iter()
            .filter(|(k, _, _)| *k == kind)
            .map(|(_, n, _)| n.clone()),
    );
    known.sort();
    known.dedup();
    Error::UnknownBackend {
        kind,
        name: name.to_string(),
        known: known.join(", "),
    }
}

macro_rules! registry_kind {
    ($field:ident, $register:ident, $make:ident, $has:ident, $ctor:ty, $out:ty, $kind:literal) => {
        /// Registers a constructor under `name` (replacing any earlier one).
        pub fn $register(&mut self, name: &str, ctor: $ctor) -> &mut Self {
            self.$field.insert(name.to_string(), ctor);
            self
        }

        /// True when a backend named `name` is registered.
        pub fn $has(&self, name: &str) -> bool {
            self.$field.contains_key(name)
        }

        /// Builds the backend named `name`.
        pub fn $make(&self, name: &str, ctx: &BackendContext) -> Result<$out> {
            match self.$field.get(name) {
                Some(ctor) => ctor(ctx),
                None => Err(missing(
                    &self.features,
                    $kind,
                    name,
                    self.$field.keys().collect(),
                )),
            }
        }
    };
}

impl BackendRegistry {
    /// A registry holding only the in-process backends of this crate:
    /// the `memory` State and the `memory` lock manager.
    pub fn new() -> Self {
        let mut r = BackendRegistry::default();
        r.register_state(
            "memory",
            Arc::new(|_ctx: &BackendContext| Ok(Box::new(MemoryState::new()) as Box<dyn State>)),
        );
        r.register_lock_manager(
            "memory",
            Arc::new(|ctx: &BackendContext| {
                Ok(Box::new(MemoryLockManager::new(ctx.num_locks)) as Box<dyn LockManager>)
            }),
        );
        r
    }

    /// Records that the backend `name` of `kind` (`database`, `lock`,
    /// `events`, `storage`, `network`, `OCI runtime`) comes with the
    /// binary's cargo feature `feature`, so that asking for it when it was
    /// left out is [`Error::BackendNotCompiled`] naming that feature.
    pub fn declare_feature(
        &mut self,
        kind: &'static str,
        name: &str,
        feature: &'static str,
    ) -> &mut Self {
        self.features.push((kind, name.to_string(), feature));
        self
    }

    /// Makes `name` the storage backend used when storage.conf names no
    /// driver (a storage crate's `register` sets its own default).
    pub fn set_default_storage(&mut self, name: &str) -> &mut Self {
        self.default_storage = Some(name.to_string());
        self
    }

    /// The storage backend used when storage.conf names no driver, if any
    /// was set.
    pub fn default_storage(&self) -> Option<&str> {
        self.default_storage.as_deref()
    }

    registry_kind!(
        states,
        register_state,
        state,
        has_state,
        StateCtor,
        Box<dyn State>,
        "database"
    );
    registry_kind!(
        locks,
        register_lock_manager,
        lock_manager,
        has_lock_manager,
        LockCtor,
        Box<dyn LockManager>,
        "lock"
    );
    registry_kind!(
        eventers,
        register_eventer,
        eventer,
        has_eventer,
        EventerCtor,
        Box<dyn Eventer>,
        "events"
    );
    registry_kind!(
        storage,
        register_storage,
        storage,
        has_storage,
        StorageCtor,
        Box<dyn Storage>,
        "storage"
    );
    registry_kind!(
        network,
        register_network,
        network,
        has_network,
        NetworkCtor,
        Box<dyn NetworkBackend>,
        "network"
    );

    /// Fails with the same error building would give when no backend of
    /// `kind` (`database`, `lock`, `events`, `storage`, `network`,
    /// `OCI runtime`) is registered under `name`; builds nothing.
    pub fn check(&self, kind: &'static str, name: &str) -> Result<()> {
        let (has, names): (bool, Vec<&String>) = match kind {
            "database" => (self.has_state(name), self.states.keys().collect()),
            "lock" => (self.has_lock_manager(name), self.locks.keys().collect()),
            "events" => (self.has_eventer(name), self.eventers.keys().collect()),
            "storage" => (self.has_storage(name), self.storage.keys().collect()),
            "network" => (self.has_network(name), self.network.keys().collect()),
            _ => (self.has_oci(name), self.oci.keys().collect()),
        };
        if has {
            Ok(())
        } else {
            Err(missing(&self.features, kind, name, names))
        }
    }

    /// Registers the OCI runtime driver `name` (`conmon`).
    pub fn register_oci(&mut self, name: &str, ctor: OciCtor) -> &mut Self {
        self.oci.insert(name.to_string(), ctor);
        self
    }

    /// True when an OCI runtime driver named `name` is registered.
    pub fn has_oci(&self, name: &str) -> bool {
        self.oci.contains_key(name)
    }

    /// Builds the OCI runtime driver `name` for `target`.
    pub fn oci(
        &self,
        name: &str,
        ctx: &BackendContext,
        target: &OciRuntimeTarget,
    ) -> Result<Box<dyn OciRuntime>> {
        match self.oci.get(name) {
            Some(ctor) => ctor(ctx, target),
            None => Err(missing(
                &self.features,
                "OCI runtime",
                name,
                self.oci.keys().collect(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_known_backend_names_the_feature() {
        let mut r = BackendRegistry::new();
        r.declare_feature("database", "sqlite", "state-sqlite")
            .declare_feature("lock", "file", "lock-file");
        let e = r.state("sqlite", &BackendContext::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "database backend \"sqlite\" is not compiled into this binary: rebuild with cargo feature `state-sqlite`"
        );
        let e = r
            .lock_manager("file", &BackendContext::default())
            .unwrap_err();
        assert!(e.to_string().contains("`lock-file`"));
    }

    #[test]
    fn unknown_backend_lists_the_known_ones() {
        let mut r = BackendRegistry::new();
        r.declare_feature("database", "sqlite", "state-sqlite")
            .declare_feature("database", "boltdb", "state-bolt");
        let e = r.state("postgres", &BackendContext::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown database backend \"postgres\" (known: boltdb, memory, sqlite)"
        );
    }

    #[test]
    fn without_declared_features_a_missing_backend_is_unknown() {
        let r = BackendRegistry::new();
        let e = r.state("sqlite", &BackendContext::default()).unwrap_err();
        assert_eq!(
            e.to_string(),
            "unknown database backend \"sqlite\" (known: memory)"
        );
        assert_eq!(r.default_storage(), None);
    }

    #[test]
    fn registered_backends_are_built() {
        let r = BackendRegistry::new();
        let ctx = BackendContext {
            num_locks: 4,
            ..Default::default()
        };
        assert_eq!(r.state("memory", &ctx).unwrap().name(), "memory");
        assert_eq!(
            r.lock_manager("memory", &ctx).unwrap().available().unwrap(),
            Some(4)
        );
    }
}
