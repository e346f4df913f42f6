//! `RuntimeBuilder`: libpod's functional options as builder methods, and
//! `build()` in libpod's `makeRuntime` order.

use std::collections::BTreeMap;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::paths::{PathOverrides, RuntimePaths};
use super::{OciRuntimes, Runtime, RuntimeInner};
use crate::backend::{BackendContext, BackendRegistry, OciRuntimeTarget};
use crate::config::{Config, ConfigEnv, DEFAULT_SHM_LOCK_PATH, EngineSection};
use crate::error::{Error, IoResultExt, Result, ResultExt};
use crate::lockfile::LockFile;
use crate::state::DbConfigDefaults;

/// Builds a [`Runtime`]. Every option left unset comes from containers.conf
/// and storage.conf (read from the process environment unless
/// [`RuntimeBuilder::config`] or [`RuntimeBuilder::config_env`] is given).
#[derive(Debug, Default)]
pub struct RuntimeBuilder {
    env: Option<ConfigEnv>,
    config: Option<Config>,
    registry: BackendRegistry,
    paths: PathOverrides,
    oci_runtime: Option<String>,
    conmon_path: Option<PathBuf>,
    lock_type: Option<String>,
    num_locks: Option<u32>,
    shm_lock_path: Option<String>,
    database_backend: Option<String>,
    events_logger: Option<String>,
    events_logfile_path: Option<PathBuf>,
    cgroup_manager: Option<String>,
    network_config_dir: Option<PathBuf>,
    namespace: Option<String>,
    renumber: bool,
    migrate: bool,
    migrate_runtime: Option<String>,
    no_store: bool,
    reset: bool,
    exit_command: Vec<String>,
}

macro_rules! setter {
    ($(#[$m:meta])* $name:ident: $ty:ty => $($field:ident).+) => {
        $(#[$m])*
        #[must_use]
        pub fn $name(mut self, value: impl Into<$ty>) -> Self {
            self.$($field).+ = Some(value.into());
            self
        }
    };
}

impl RuntimeBuilder {
    /// A builder with the in-crate backends only; add more with [`RuntimeBuilder::registry`].
    pub fn new() -> Self {
        RuntimeBuilder {
            registry: BackendRegistry::new(),
            ..Default::default()
        }
    }

    /// The backends to choose from.
    #[must_use]
    pub fn registry(mut self, registry: BackendRegistry) -> Self {
        self.registry = registry;
        self
    }

    /// Use this configuration instead of loading one.
    #[must_use]
    pub fn config(mut self, config: Config) -> Self {
        self.config = Some(config);
        self
    }

    /// Load configuration as this environment says (instead of the process's).
    #[must_use]
    pub fn config_env(mut self, env: ConfigEnv) -> Self {
        self.env = Some(env);
        self
    }

    setter!(
        /// Storage graph root (`--root`).
        graph_root: PathBuf => paths.graph_root);
    setter!(
        /// Storage run root (`--runroot`).
        run_root: PathBuf => paths.run_root);
    setter!(
        /// Storage driver (`--storage-driver`).
        storage_driver: String => paths.storage_driver);
    setter!(
        /// libpod static dir.
        static_dir: PathBuf => paths.static_dir);
    setter!(
        /// libpod tmp dir (`--tmpdir`).
        tmp_dir: PathBuf => paths.tmp_dir);
    setter!(
        /// Volume directory (`--volumepath`).
        volume_path: PathBuf => paths.volume_path);
    setter!(
        /// Default OCI runtime by name or absolute path (`--runtime`).
        oci_runtime: String => oci_runtime);
    setter!(
        /// conmon's path (`--conmon`).
        conmon_path: PathBuf => conmon_path);
    setter!(
        /// Lock manager (`shm`, `file`, `memory`).
        lock_type: String => lock_type);
    setter!(
        /// Number of locks for the shm manager.
        num_locks: u32 => num_locks);
    setter!(
        /// Name of the shm lock segment (default `/rpod_lock`).
        shm_lock_path: String => shm_lock_path);
    setter!(
        /// State backend (`--db-backend`: `sqlite`, `boltdb`, `memory`).
        database_backend: String => database_backend);
    setter!(
        /// Events backend (`--events-backend`: `file`, `journald`, `none`).
        events_logger: String => events_logger);
    setter!(
        /// Event log path for the file backend.
        events_logfile_path: PathBuf => events_logfile_path);
    setter!(
        /// cgroup manager (`--cgroup-manager`).
        cgroup_manager: String => cgroup_manager);
    setter!(
        /// Network definitions directory (`--network-config-dir`).
        network_config_dir: PathBuf => network_config_dir);
    setter!(
        /// libpod namespace.
        namespace: String => namespace);

    /// The command conmon runs when a container exits, before
    /// `container cleanup <id>`: the engine binary's absolute path followed by
    /// the global options this process was started with.
    #[must_use]
    pub fn exit_command(mut self, argv: Vec<String>) -> Self {
        self.exit_command = argv;
        self
    }

    /// Reallocate every lock ID at start-up (`system renumber`).
    #[must_use]
    pub fn renumber(mut self, yes: bool) -> Self {
        self.renumber = yes;
        self
    }

    /// Migrate containers at start-up (`system migrate`), optionally to a new OCI runtime.
    #[must_use]
    pub fn migrate(mut self, yes: bool, new_runtime: Option<String>) -> Self {
        self.migrate = yes;
        self.migrate_runtime = new_runtime;
        self
    }

    /// Do not open image storage.
    #[must_use]
    pub fn no_store(mut self, yes: bool) -> Self {
        self.no_store = yes;
        self
    }

    /// Start for `system reset`: a DB-config mismatch is only logged.
    #[must_use]
    pub fn reset(mut self, yes: bool) -> Self {
        self.reset = yes;
        self
    }

    /// Builds the runtime in libpod's order: configuration, backend names
    /// checked (nothing touched on disk yet), conmon, directories, state and
    /// DB config, storage, events, OCI runtimes, network, then under the
    /// alive lock: lock manager, renumber, refresh after reboot, migrate.
    pub fn build(self) -> Result<Runtime> {
        let mut created = Created::default();
        let result = self.build_inner(&mut created);
        if result.is_err() {
            created.undo();
        }
        result
    }

    fn build_inner(&self, created: &mut Created) -> Result<Runtime> {
        if self.renumber && self.reset {
            return Err(
                Error::InvalidArg.context("cannot perform system reset while renumbering locks")
            );
        }
        let mut config = match self.config.clone() {
            Some(c) => c,
            None => Config::load(&self.env.clone().unwrap_or_else(ConfigEnv::from_process))?,
        };
        self.apply_overrides(&mut config);
        let engine = &config.conf.engine;
        let db_backend = non_empty_or(&engine.database_backend, "sqlite");
        let lock_type = engine.lock_type.clone();
        let events_logger = engine.events_logger.clone();

        // Check every backend name before anything is created on disk.
        self.registry.check("database", &db_backend)?;
        self.registry.check("lock", &lock_type)?;
        self.registry.check("events", &events_logger)?;

        let conmon = find_conmon(self.conmon_path.as_deref(), engine);
        let mut paths = RuntimePaths::resolve(&config, &self.paths);
        let oci = resolve_oci_runtimes(&config, self.oci_runtime.as_deref())?;

        // Directories: the tmp dir first, so an unusable one fails before the
        // database is created.
        created.dir(&paths.tmp_dir);
        make_dir(&paths.tmp_dir, 0o700).context("creating runtime temporary files directory")?;
        created.file(&paths.alive_lock());
        let alive_lock = LockFile::open(paths.alive_lock())?;
        created.dir(&paths.static_dir);
        make_dir(&paths.static_dir, 0o700).context("creating runtime static files directory")?;

        let mut ctx = self.context(&config, &paths, conmon.clone());
        let state = self.registry.state(&db_backend, &ctx)?;

        // DB config: store ours on first open, merge stored values into what
        // the user did not set, then insist that the rest matches.
        let ours = paths.db_config();
        let stored = state.init_db_config(&ours)?;
        if stored != ours {
            let mut merged = ours.clone();
            merged.merge_from_db(&stored, RuntimePaths::explicit(&config, &self.paths));
            let defaults = DbConfigDefaults {
                graph_root: crate::config::DEFAULT_GRAPH_ROOT.into(),
                run_root: crate::config::DEFAULT_RUN_ROOT.into(),
                graph_driver: String::new(),
            };
            if let Err(e) = merged.validate(&stored, &defaults) {
                if self.reset {
                    tracing::warn!("{e}");
                } else {
                    let _ = state.close();
                    return Err(e);
                }
            }
            paths = RuntimePaths::from_db_config(&merged);
            created.dir(&paths.tmp_dir);
            make_dir(&paths.tmp_dir, 0o700)
                .context("creating runtime temporary files directory")?;
            ctx = self.context(&config, &paths, conmon.clone());
        }

        let storage = if !self.no_store {
            let driver = if paths.storage_driver.is_empty() {
                self.registry.default_storage().map(str::to_string)
            } else {
                Some(paths.storage_driver.clone())
            };
            match driver {
                Some(d) if self.registry.has_storage(&d) => Some(self.registry.storage(&d, &ctx)?),
                _ => None,
            }
        } else {
            None
        };
        let eventer = self.registry.eventer(&events_logger, &ctx)?;
        let oci_driver = if self.registry.has_oci("conmon") {
            let target = OciRuntimeTarget {
                name: oci.default_name.clone(),
                path: oci.default_path.clone(),
            };
            Some(Arc::from(self.registry.oci("conmon", &ctx, &target)?))
        } else {
            None
        };
        let network = if self.registry.has_network("netavark") {
            Some(self.registry.network("netavark", &ctx)?)
        } else {
            None
        };

        let alive = alive_lock.lock()?;
        let locks = self.registry.lock_manager(&lock_type, &ctx)?;
        let runtime = Runtime {
            inner: Arc::new(RuntimeInner {
                registry: self.registry.clone(),
                ctx,
                oci_cache: Default::default(),
                config,
                paths,
                state,
                locks,
                eventer,
                oci: oci_driver,
                oci_runtimes: oci,
                storage,
                network,
                conmon,
                namespace: self.namespace.clone().unwrap_or_default(),
                valid: AtomicBool::new(true),
            }),
        };
        if self.renumber {
            runtime.renumber_locks()?;
        }
        if !runtime.inner.paths.alive_file().exists() {
            runtime.refresh()?;
        }
        if self.migrate {
            runtime.migrate(self.migrate_runtime.as_deref())?;
        }
        drop(alive);
        Ok(runtime)
    }

    fn apply_overrides(&self, config: &mut Config) {
        let e = &mut config.conf.engine;
        if let Some(v) = &self.lock_type {
            e.lock_type.clone_from(v);
        }
        if let Some(v) = self.num_locks {
            e.num_locks = v;
        }
        if let Some(v) = &self.database_backend {
            e.database_backend.clone_from(v);
        }
        if let Some(v) = &self.events_logger {
            e.events_logger.clone_from(v);
        }
        if let Some(v) = &self.events_logfile_path {
            e.events_logfile_path = v.to_string_lossy().into_owned();
        }
        if let Some(v) = &self.cgroup_manager {
            e.cgroup_manager.clone_from(v);
        }
        if let Some(v) = &self.oci_runtime {
            e.runtime.clone_from(v);
        }
        if e.cgroup_manager.is_empty() {
            e.cgroup_manager = if Path::new("/run/systemd/system").exists() {
                "systemd".into()
            } else {
                "cgroupfs".into()
            };
        }
        if let Some(v) = &self.namespace {
            e.namespace.clone_from(v);
        }
        if let Some(v) = &self.network_config_dir
            && !v.as_os_str().is_empty()
        {
            config.conf.network.network_config_dir = v.to_string_lossy().into_owned();
        }
    }

    fn context(
        &self,
        config: &Config,
        paths: &RuntimePaths,
        conmon: Option<PathBuf>,
    ) -> BackendContext {
        let e = &config.conf.engine;
        let events_log_path = if e.events_logfile_path.is_empty() {
            paths.tmp_dir.join("events").join("events.log")
        } else {
            PathBuf::from(&e.events_logfile_path)
        };
        BackendContext {
            config: config.clone(),
            graph_root: paths.graph_root.clone(),
            run_root: paths.run_root.clone(),
            static_dir: paths.static_dir.clone(),
            tmp_dir: paths.tmp_dir.clone(),
            volume_path: paths.volume_path.clone(),
            storage_driver: paths.storage_driver.clone(),
            num_locks: e.num_locks,
            shm_lock_path: self.shm_lock_path.clone().unwrap_or_else(|| {
                if e.shm_lock_path.is_empty() {
                    DEFAULT_SHM_LOCK_PATH.to_string()
                } else {
                    e.shm_lock_path.clone()
                }
            }),
            renumber: self.renumber,
            events_log_path,
            events_log_max_size: e.events_logfile_max_size.0,
            conmon_path: conmon,
            exit_command: self.exit_command.clone(),
        }
    }
}

/// What a failed build created, so that it can leave the disk as it found it.
#[derive(Debug, Default)]
struct Created {
    /// Files and directories that did not exist before, in creation order.
    new_paths: Vec<(PathBuf, bool)>,
}

impl Created {
    /// Notes `path` (and its missing parents) before a directory is created there.
    fn dir(&mut self, path: &Path) {
        let mut missing: Vec<PathBuf> = path
            .ancestors()
            .take_while(|p| !p.as_os_str().is_empty() && !p.exists())
            .map(Path::to_path_buf)
            .collect();
        missing.reverse();
        self.new_paths
            .extend(missing.into_iter().map(|p| (p, true)));
    }

    /// Notes `path` before a file is created there.
    fn file(&mut self, path: &Path) {
        if !path.exists() {
            self.new_paths.push((path.to_path_buf(), false));
        }
    }

    /// Removes what was created, newest first; directories only when empty.
    fn undo(self) {
        for (p, is_dir) in self.new_paths.into_iter().rev() {
            let _ = if is_dir {
                std::fs::remove_dir(&p)
            } else {
                std::fs::remove_file(&p)
            };
        }
    }
}

fn non_empty_or(s: &str, default: &str) -> String {
    if s.is_empty() {
        default.to_string()
    } else {
        s.to_string()
    }
}

fn make_dir(path: &Path, mode: u32) -> Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(mode)
        .create(path)
        .at(path)
}

pub(crate) fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// conmon: the explicit path, else the first configured candidate that exists.
fn find_conmon(explicit: Option<&Path>, engine: &EngineSection) -> Option<PathBuf> {
    if let Some(p) = explicit {
        return Some(p.to_path_buf());
    }
    let found = engine
        .conmon_path
        .iter()
        .map(PathBuf::from)
        .find(|p| is_executable(p));
    if found.is_none() {
        tracing::debug!("conmon not found in {:?}", engine.conmon_path);
    }
    found
}

/// True on a host with only the unified cgroup v2 hierarchy.
pub(crate) fn is_cgroup_v2() -> bool {
    nix::sys::statfs::statfs("/sys/fs/cgroup")
        .is_ok_and(|s| s.filesystem_type() == nix::sys::statfs::CGROUP2_SUPER_MAGIC)
}

/// Resolves the default OCI runtime (it must exist) and every configured one
/// (a missing one is a warning when the user configured it).
fn resolve_oci_runtimes(config: &Config, explicit: Option<&str>) -> Result<OciRuntimes> {
    let engine = &config.conf.engine;
    let builtin = EngineSection::default().runtimes;
    let mut paths = BTreeMap::new();
    for (name, candidates) in &engine.runtimes {
        match candidates
            .iter()
            .map(PathBuf::from)
            .find(|p| is_executable(p))
        {
            Some(p) => {
                paths.insert(name.clone(), p);
            }
            None if builtin.get(name) != Some(candidates) => {
                tracing::warn!("OCI runtime {name:?} not found in {candidates:?}");
            }
            None => {}
        }
    }
    let wanted = explicit
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .unwrap_or_else(|| {
            if engine.runtime.is_empty() {
                if is_cgroup_v2() { "crun" } else { "runc" }.to_string()
            } else {
                engine.runtime.clone()
            }
        });
    let (default_name, default_path) = if wanted.starts_with('/') {
        let p = PathBuf::from(&wanted);
        if !is_executable(&p) {
            return Err(
                Error::InvalidArg.context(format!("default OCI runtime {wanted:?} not found"))
            );
        }
        // Named by its path, as Podman does: containers record that name,
        // so later commands without `--runtime` find the same binary.
        paths.insert(wanted.clone(), p.clone());
        (wanted.clone(), p)
    } else {
        match paths.get(&wanted) {
            Some(p) => (wanted.clone(), p.clone()),
            None => {
                return Err(
                    Error::InvalidArg.context(format!("default OCI runtime {wanted:?} not found"))
                );
            }
        }
    };
    Ok(OciRuntimes {
        default_name,
        default_path,
        paths,
    })
}
