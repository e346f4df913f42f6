//! Volumes: their configuration and state records (JSON field names are
//! Podman's), and the engine's volume operations: create, remove, list,
//! inspect, prune, and mounting them for containers.

mod copyup;
mod create;
mod list;
mod mount;
mod remove;
mod transfer;

pub use create::{LOCAL_DRIVER, NewVolume, validate_volume_name};
pub use list::{VolumeFilter, VolumeFilters, VolumeInspect};
pub use remove::VolumeRemoveOptions;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::time::go_zero_time;

/// A volume's immutable configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VolumeConfig {
    /// Unique name (volumes have their own name space).
    pub name: String,
    /// The lock this volume owns.
    #[serde(rename = "lockID")]
    pub lock_id: u32,
    /// Labels.
    #[serde(default, deserialize_with = "crate::serde_util::null_default")]
    pub labels: BTreeMap<String, String>,
    /// Driver (`local` by default).
    #[serde(rename = "volumeDriver", default = "default_driver")]
    pub driver: String,
    /// Host directory with the volume's data (`<volume_path>/<name>/_data`).
    #[serde(
        rename = "mountPoint",
        default,
        deserialize_with = "crate::serde_util::null_default"
    )]
    pub mount_point: String,
    /// Creation time.
    #[serde(rename = "createdAt", default = "go_zero_time")]
    pub created_at: DateTime<Utc>,
    /// Driver options (`type`, `device`, `o`, ...).
    #[serde(
        rename = "options",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub options: BTreeMap<String, String>,
    /// Anonymous volume (removed with its container by `rm -v`).
    #[serde(rename = "isAnon", default)]
    pub is_anon: bool,
    /// Owner UID of the data directory.
    #[serde(default)]
    pub uid: u32,
    /// Owner GID of the data directory.
    #[serde(default)]
    pub gid: u32,
    /// Storage container backing an image-driver volume.
    #[serde(
        rename = "storageID",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub storage_id: String,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

fn default_driver() -> String {
    "local".to_string()
}

impl VolumeConfig {
    /// A local volume configuration with defaults.
    pub fn new(name: impl Into<String>, lock_id: u32, mount_point: impl Into<String>) -> Self {
        VolumeConfig {
            name: name.into(),
            lock_id,
            labels: BTreeMap::new(),
            driver: default_driver(),
            mount_point: mount_point.into(),
            created_at: Utc::now(),
            options: BTreeMap::new(),
            is_anon: false,
            uid: 0,
            gid: 0,
            storage_id: String::new(),
            extra: serde_json::Map::new(),
        }
    }
}

/// A volume's mutable state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VolumeState {
    /// Where a mount-style volume is mounted now.
    #[serde(
        rename = "mountPoint",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub mount_point: String,
    /// Number of containers using the mount.
    #[serde(rename = "mountCount", default)]
    pub mount_count: u32,
    /// Image contents not yet copied up.
    #[serde(rename = "notYetMounted", default)]
    pub not_yet_mounted: bool,
    /// Ownership not yet fixed.
    #[serde(rename = "notYetChowned", default)]
    pub not_yet_chowned: bool,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Default for VolumeState {
    fn default() -> Self {
        VolumeState {
            mount_point: String::new(),
            mount_count: 0,
            not_yet_mounted: true,
            not_yet_chowned: true,
            extra: serde_json::Map::new(),
        }
    }
}

impl VolumeState {
    /// Resets the state after a reboot: nothing is mounted any more.
    pub fn reset_for_refresh(&mut self) {
        self.mount_count = 0;
        self.mount_point.clear();
    }
}

/// A volume as the State stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct VolumeRecord {
    /// Immutable configuration.
    pub config: VolumeConfig,
    /// Mutable state.
    pub state: VolumeState,
}
