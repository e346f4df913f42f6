//! Pods: their configuration and state records (JSON field names are
//! Podman's), the [`Pod`] handle and its verbs, one file each: `create`
//! (with the infra container and the local pause image), `lifecycle`
//! (start, stop, kill, pause, unpause, restart), `remove` (rm, prune),
//! `inspect`, `list` (`pod ps`), and `status` (the aggregate state).
//!
//! Locking follows libpod: a pod verb takes the pod's lock first and then
//! each container's lock, one at a time, in dependency order (the infra
//! container first when starting, last when stopping).

mod create;
mod handle;
mod infra;
mod inspect;
mod lifecycle;
mod list;
mod remove;
mod status;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::time::go_zero_time;

pub use create::{PodCreateOptions, SharedNamespaces};
pub use handle::Pod;
pub use infra::{PAUSE_IMAGE_NAME, pause_image_name};
pub use inspect::{PodInspect, PodInspectContainer};
pub use lifecycle::PodErrors;
pub use list::{ListedPod, ListedPodContainer, PodFilter};
pub use remove::{PodRmOptions, PodRmReport};
pub use status::{PodStatus, aggregate_status};

/// A pod's immutable configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PodConfig {
    /// Full 64-hex ID (shares the ID space with containers).
    pub id: String,
    /// Unique name (shares the name space with containers).
    pub name: String,
    /// libpod namespace (unused by rpod).
    #[serde(
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub namespace: String,
    /// Labels.
    #[serde(default, deserialize_with = "crate::serde_util::null_default")]
    pub labels: BTreeMap<String, String>,
    /// Parent cgroup of the pod's cgroup.
    #[serde(
        rename = "cgroupParent",
        default,
        deserialize_with = "crate::serde_util::null_default"
    )]
    pub cgroup_parent: String,
    /// Members share the pod's cgroup.
    #[serde(rename = "sharesCgroup", default)]
    pub shares_cgroup: bool,
    /// Members share the IPC namespace.
    #[serde(rename = "sharesIpc", default)]
    pub shares_ipc: bool,
    /// Members share the network namespace.
    #[serde(rename = "sharesNet", default)]
    pub shares_net: bool,
    /// Members share the UTS namespace.
    #[serde(rename = "sharesUts", default)]
    pub shares_uts: bool,
    /// Members share the PID namespace.
    #[serde(rename = "sharesPid", default)]
    pub shares_pid: bool,
    /// Members share the cgroup namespace.
    #[serde(
        rename = "sharesCgroupNS",
        default,
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub shares_cgroupns: bool,
    /// The pod has an infra container.
    #[serde(rename = "hasInfra", default)]
    pub has_infra: bool,
    /// The hostname members sharing the UTS namespace get.
    #[serde(
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub hostname: String,
    /// What happens when the last member exits: `continue` (empty means
    /// the same) or `stop` (the infra container is stopped too).
    #[serde(
        rename = "ExitPolicy",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub exit_policy: String,
    /// Creation time.
    #[serde(default = "go_zero_time")]
    pub created: DateTime<Utc>,
    /// The command line that created the pod.
    #[serde(
        rename = "CreateCommand",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub create_command: Vec<String>,
    /// The lock this pod owns.
    #[serde(rename = "lockID")]
    pub lock_id: u32,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl PodConfig {
    /// A pod configuration with defaults for everything but ID, name and lock.
    pub fn new(id: impl Into<String>, name: impl Into<String>, lock_id: u32) -> Self {
        PodConfig {
            id: id.into(),
            name: name.into(),
            namespace: String::new(),
            labels: BTreeMap::new(),
            cgroup_parent: String::new(),
            shares_cgroup: true,
            shares_ipc: true,
            shares_net: true,
            shares_uts: true,
            shares_pid: false,
            shares_cgroupns: false,
            has_infra: false,
            hostname: String::new(),
            exit_policy: String::new(),
            created: Utc::now(),
            create_command: Vec::new(),
            lock_id,
            extra: serde_json::Map::new(),
        }
    }
}

/// A pod's mutable state.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct PodState {
    /// The pod's cgroup path (cleared on refresh).
    #[serde(
        rename = "cgroupPath",
        default,
        deserialize_with = "crate::serde_util::null_default"
    )]
    pub cgroup_path: String,
    /// ID of the infra container, if any.
    #[serde(
        rename = "InfraContainerID",
        default,
        deserialize_with = "crate::serde_util::null_default"
    )]
    pub infra_container_id: String,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl PodState {
    /// Resets the state after a reboot: the cgroup is gone.
    pub fn reset_for_refresh(&mut self) {
        self.cgroup_path.clear();
    }
}

/// A pod as the State stores it.
#[derive(Debug, Clone, PartialEq)]
pub struct PodRecord {
    /// Immutable configuration.
    pub config: PodConfig,
    /// Mutable state.
    pub state: PodState,
}
