//! rpod's storage.conf (`/etc/rpod/storage.conf`, `CONTAINERS_STORAGE_CONF`
//! overrides): where images and container layers live. rpod reads its own
//! file so it never writes into Podman's stores by accident.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// rpod's default graph root (root user).
pub const DEFAULT_GRAPH_ROOT: &str = "/var/lib/rpod/storage";
/// rpod's default run root (root user).
pub const DEFAULT_RUN_ROOT: &str = "/run/rpod/storage";
/// rpod's default storage.conf.
pub const DEFAULT_STORAGE_CONF: &str = "/etc/rpod/storage.conf";

/// `[storage.options]`.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct StorageOptions {
    /// Read-only image stores searched after the graph root.
    pub additionalimagestores: Vec<String>,
    /// A FUSE overlay program (fuse-overlayfs).
    pub mount_program: String,
    /// Driver-specific option tables (`[storage.options.overlay]` ...).
    #[serde(flatten)]
    pub driver_options: BTreeMap<String, toml::Value>,
}

/// `[storage]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct StorageSection {
    /// Storage driver (`overlay`, `vfs`; empty means overlay, falling back to vfs).
    pub driver: String,
    /// Persistent storage root.
    pub graphroot: String,
    /// Volatile storage root.
    pub runroot: String,
    /// Driver options.
    pub options: StorageOptions,
}

impl Default for StorageSection {
    fn default() -> Self {
        StorageSection {
            driver: String::new(),
            graphroot: DEFAULT_GRAPH_ROOT.into(),
            runroot: DEFAULT_RUN_ROOT.into(),
            options: StorageOptions::default(),
        }
    }
}

/// A whole storage.conf.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct StorageConf {
    /// `[storage]`.
    pub storage: StorageSection,
}
