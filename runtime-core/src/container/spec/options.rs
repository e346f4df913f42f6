//! What the spec of one container depends on, besides containers.conf.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::capabilities::CapName;

/// The container's network namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NetworkMode {
    /// A new network namespace (loopback only until a network is attached).
    #[default]
    Private,
    /// A new network namespace that stays unconfigured (`--network none`):
    /// no `/etc/resolv.conf` is mounted.
    None,
    /// The host's network namespace (`--network host`).
    Host,
}

/// A `-v HOST:CTR[:opts]` bind mount.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BindMount {
    /// Host path.
    pub source: PathBuf,
    /// Absolute path in the container.
    pub destination: String,
    /// Options as given (`ro`, `rw`, `z`, `private`, `noexec`, ...).
    pub options: Vec<String>,
}

/// Everything the spec of one container depends on, besides containers.conf.
#[derive(Debug, Clone)]
pub struct SpecOptions {
    /// Full container ID.
    pub id: String,
    /// Container name.
    pub name: String,
    /// The mounted root filesystem (`root.path`).
    pub rootfs: PathBuf,
    /// The bundle directory; `/dev/shm` comes from `<bundle>/shm`.
    pub bundle: PathBuf,
    /// The run directory holding `hostname`, `hosts`, `resolv.conf`, `.containerenv`.
    pub run_dir: PathBuf,
    /// Entrypoint (already merged with the image's by the caller).
    pub entrypoint: Vec<String>,
    /// Command (already merged with the image's by the caller).
    pub command: Vec<String>,
    /// `K=V` entries from `-e`, `--env-file` and the image, applied over the defaults.
    pub env: Vec<String>,
    /// Allocate a terminal.
    pub terminal: bool,
    /// `""`, `uid`, `uid:gid` or `name[:group]`, resolved in the rootfs.
    pub user: String,
    /// Working directory (`""` means `/`).
    pub workdir: String,
    /// Hostname (`""` means the first 12 characters of the ID).
    pub hostname: String,
    /// Capabilities to add (see [`CapName`] for the spellings accepted).
    pub cap_add: Vec<CapName>,
    /// Capabilities to drop.
    pub cap_drop: Vec<CapName>,
    /// `--privileged`.
    pub privileged: bool,
    /// `--read-only`.
    pub read_only: bool,
    /// `--security-opt no-new-privileges`.
    pub no_new_privileges: bool,
    /// Bind mounts.
    pub binds: Vec<BindMount>,
    /// `--tmpfs` mounts: (destination, comma-separated options).
    pub tmpfs: Vec<(String, String)>,
    /// `--ulimit name=soft[:hard]`, overriding containers.conf's by name.
    pub ulimits: Vec<String>,
    /// Memory limit in bytes.
    pub memory: Option<i64>,
    /// CPU count (`--cpus`).
    pub cpus: Option<f64>,
    /// PID limit (`None`: containers.conf's; `0`: none).
    pub pids_limit: Option<i64>,
    /// `--cgroups disabled`: no `cgroupsPath` and no resources.
    pub cgroups_disabled: bool,
    /// Cgroup parent (`""`: `/libpod_parent` for cgroupfs, `machine.slice` for systemd).
    pub cgroup_parent: String,
    /// `cgroupfs` or `systemd` (`""` means cgroupfs).
    pub cgroup_manager: String,
    /// Network namespace mode.
    pub network: NetworkMode,
    /// `--init`: run the init binary as PID 1.
    pub init: bool,
    /// Extra annotations, over Podman's defaults.
    pub annotations: BTreeMap<String, String>,
    /// Stop signal number (recorded as an annotation).
    pub stop_signal: u32,
    /// Creation time (recorded as an annotation).
    pub created: DateTime<Utc>,
}
