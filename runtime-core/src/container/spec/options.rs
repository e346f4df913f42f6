//! What the spec of one container depends on, besides containers.conf.

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};

use super::settings::ContainerSettings;

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
    /// Entrypoint, already merged with the image's by the caller. Not in
    /// [`ContainerSettings`]: before the merge it is an `Option` (`None`
    /// means "the image's"), here it is the final list.
    pub entrypoint: Vec<String>,
    /// The user's settings, the image's config already merged in.
    pub settings: ContainerSettings,
    /// Cgroup parent (`""`: `/libpod_parent` for cgroupfs, `machine.slice` for systemd).
    pub cgroup_parent: String,
    /// `cgroupfs` or `systemd` (`""` means cgroupfs).
    pub cgroup_manager: String,
    /// Extra annotations, over Podman's defaults.
    pub annotations: BTreeMap<String, String>,
    /// Stop signal number (recorded as an annotation); `create` has already
    /// chosen it (flag, image, else 15), so unlike `create`'s it is no `Option`.
    pub stop_signal: u32,
    /// Creation time (recorded as an annotation).
    pub created: DateTime<Utc>,
}
