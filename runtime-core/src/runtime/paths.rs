//! The directories a runtime works in, resolved from flags, containers.conf,
//! storage.conf and the stored DB config.

use std::path::{Path, PathBuf};

use crate::config::{Config, DEFAULT_TMP_DIR};
use crate::state::{DbConfig, ExplicitFields};

/// Every directory the runtime uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimePaths {
    /// Storage graph root.
    pub graph_root: PathBuf,
    /// Storage run root.
    pub run_root: PathBuf,
    /// libpod static dir (state database).
    pub static_dir: PathBuf,
    /// libpod tmp dir (exit files, events, alive file).
    pub tmp_dir: PathBuf,
    /// Volume directory.
    pub volume_path: PathBuf,
    /// Storage driver (empty: the storage backend picks).
    pub storage_driver: String,
}

/// Values given explicitly by the caller (flags), which beat everything else.
#[derive(Debug, Clone, Default)]
pub(crate) struct PathOverrides {
    pub graph_root: Option<PathBuf>,
    pub run_root: Option<PathBuf>,
    pub static_dir: Option<PathBuf>,
    pub tmp_dir: Option<PathBuf>,
    pub volume_path: Option<PathBuf>,
    pub storage_driver: Option<String>,
}

fn non_empty(s: &str) -> Option<PathBuf> {
    (!s.is_empty()).then(|| PathBuf::from(s))
}

impl RuntimePaths {
    /// Resolves paths: explicit overrides, then configuration, then defaults
    /// derived from the graph root.
    pub(crate) fn resolve(cfg: &Config, o: &PathOverrides) -> Self {
        let graph_root = o
            .graph_root
            .clone()
            .or_else(|| non_empty(&cfg.storage.graphroot))
            .unwrap_or_else(|| PathBuf::from(crate::config::DEFAULT_GRAPH_ROOT));
        let run_root = o
            .run_root
            .clone()
            .or_else(|| non_empty(&cfg.storage.runroot))
            .unwrap_or_else(|| PathBuf::from(crate::config::DEFAULT_RUN_ROOT));
        let static_dir = o
            .static_dir
            .clone()
            .or_else(|| non_empty(&cfg.conf.engine.static_dir))
            .unwrap_or_else(|| graph_root.join("libpod"));
        let tmp_dir = o
            .tmp_dir
            .clone()
            .or_else(|| non_empty(&cfg.conf.engine.tmp_dir))
            .unwrap_or_else(|| PathBuf::from(DEFAULT_TMP_DIR));
        let volume_path = o
            .volume_path
            .clone()
            .or_else(|| non_empty(&cfg.conf.engine.volume_path))
            .unwrap_or_else(|| graph_root.join("volumes"));
        let storage_driver = o
            .storage_driver
            .clone()
            .unwrap_or_else(|| cfg.storage.driver.clone());
        RuntimePaths {
            graph_root,
            run_root,
            static_dir,
            tmp_dir,
            volume_path,
            storage_driver,
        }
    }

    /// Which fields count as explicitly set (not replaced by DB values):
    /// flags, and values written in a configuration file.
    pub(crate) fn explicit(cfg: &Config, o: &PathOverrides) -> ExplicitFields {
        ExplicitFields {
            graph_root: o.graph_root.is_some() || cfg.storage_source.is_some(),
            run_root: o.run_root.is_some() || cfg.storage_source.is_some(),
            graph_driver: o.storage_driver.is_some() || !cfg.storage.driver.is_empty(),
            static_dir: o.static_dir.is_some() || !cfg.conf.engine.static_dir.is_empty(),
            tmp_dir: o.tmp_dir.is_some() || !cfg.conf.engine.tmp_dir.is_empty(),
            volume_path: o.volume_path.is_some() || !cfg.conf.engine.volume_path.is_empty(),
        }
    }

    /// The DB config these paths correspond to.
    pub fn db_config(&self) -> DbConfig {
        let s = |p: &Path| p.to_string_lossy().into_owned();
        DbConfig {
            os: std::env::consts::OS.to_string(),
            static_dir: s(&self.static_dir),
            tmp_dir: s(&self.tmp_dir),
            graph_root: s(&self.graph_root),
            run_root: s(&self.run_root),
            graph_driver: self.storage_driver.clone(),
            volume_path: s(&self.volume_path),
        }
    }

    /// Paths from a (merged) DB config.
    pub(crate) fn from_db_config(db: &DbConfig) -> Self {
        RuntimePaths {
            graph_root: PathBuf::from(&db.graph_root),
            run_root: PathBuf::from(&db.run_root),
            static_dir: PathBuf::from(&db.static_dir),
            tmp_dir: PathBuf::from(&db.tmp_dir),
            volume_path: PathBuf::from(&db.volume_path),
            storage_driver: db.graph_driver.clone(),
        }
    }

    /// Directory of conmon's exit files.
    pub fn exits_dir(&self) -> PathBuf {
        self.tmp_dir.join("exits")
    }

    /// The alive file: present while no reboot happened since the last refresh.
    pub fn alive_file(&self) -> PathBuf {
        self.tmp_dir.join("alive")
    }

    /// The lock file serializing refresh, renumber and migrate.
    pub fn alive_lock(&self) -> PathBuf {
        self.tmp_dir.join("alive.lck")
    }
}
