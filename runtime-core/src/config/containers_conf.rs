//! containers.conf: the `[containers]`, `[engine]` and `[network]` keys rpod
//! reads, with Podman's defaults.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::units::ByteSize;

/// The 11 capabilities Podman grants by default.
pub const DEFAULT_CAPABILITIES: [&str; 11] = [
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

/// The `[containers]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContainersSection {
    /// Capabilities every container gets.
    pub default_capabilities: Vec<String>,
    /// Ulimits every container gets, as `name=soft[:hard]`.
    pub default_ulimits: Vec<String>,
    /// The seccomp profile: a JSON file in containers-common's format, which
    /// must exist and be valid, or `unconfined` for none. Empty means the
    /// default, `/usr/share/containers/seccomp.json`; when that file is not
    /// installed, rpod's built-in copy of it is used.
    pub seccomp_profile: String,
    /// The AppArmor profile of new containers on hosts with AppArmor
    /// (Podman's default is containers-common's `containers-default-0.50.1`).
    pub apparmor_profile: String,
    /// Log driver of new containers (`k8s-file`, `journald`, `none`,
    /// `passthrough`, `json-file`).
    pub log_driver: String,
    /// Size at which conmon rotates a container's log file when the
    /// container sets none of its own (`-1` or `0`: never).
    pub log_size_max: i64,
    /// Log tag of new containers (empty: none); it overrides `--log-opt tag`.
    pub log_tag: String,
    /// Default PID limit (0 for none).
    pub pids_limit: i64,
    /// Size of `/dev/shm`.
    pub shm_size: String,
    /// Environment every container gets.
    pub env: Vec<String>,
    /// Add an init process (`--init`) by default.
    pub init: bool,
    /// Path of the init binary.
    pub init_path: String,
    /// Network namespace mode when none is given.
    pub netns: String,
    /// Timezone.
    pub tz: String,
    /// Umask.
    pub umask: String,
}

impl Default for ContainersSection {
    fn default() -> Self {
        ContainersSection {
            default_capabilities: DEFAULT_CAPABILITIES.iter().map(|s| s.to_string()).collect(),
            default_ulimits: Vec::new(),
            seccomp_profile: "/usr/share/containers/seccomp.json".into(),
            apparmor_profile: "containers-default-0.50.1".into(),
            log_driver: "k8s-file".into(),
            log_size_max: -1,
            log_tag: String::new(),
            pids_limit: 2048,
            shm_size: "65536k".into(),
            env: vec!["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin".into()],
            init: false,
            init_path: String::new(),
            netns: "private".into(),
            tz: String::new(),
            umask: "0022".into(),
        }
    }
}

/// The `[engine]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct EngineSection {
    /// Default OCI runtime name or path (empty: crun on cgroup v2, runc otherwise).
    pub runtime: String,
    /// Known runtimes: name → candidate paths.
    pub runtimes: BTreeMap<String, Vec<String>>,
    /// Candidate paths of conmon.
    pub conmon_path: Vec<String>,
    /// Lock manager (`shm`, `file`).
    pub lock_type: String,
    /// Number of locks (shm), rounded up to a multiple of 32.
    pub num_locks: u32,
    /// Name of the shm lock segment (rpod's own key; Podman's is fixed).
    pub shm_lock_path: String,
    /// State backend (`sqlite`, `boltdb`; empty means sqlite).
    pub database_backend: String,
    /// Events backend (`file`, `journald`, `none`).
    pub events_logger: String,
    /// Event log path for the file backend (empty: `<tmp_dir>/events/events.log`).
    pub events_logfile_path: String,
    /// Rotate the event log at this size (0: never).
    pub events_logfile_max_size: ByteSize,
    /// Static directory (empty: `<graphroot>/libpod`).
    pub static_dir: String,
    /// Temporary directory (empty: rpod's default).
    pub tmp_dir: String,
    /// Volume directory (empty: `<graphroot>/volumes`).
    pub volume_path: String,
    /// Seconds `stop` waits before SIGKILL.
    pub stop_timeout: u32,
    /// `systemd` or `cgroupfs` (empty: systemd when it runs, else cgroupfs).
    pub cgroup_manager: String,
    /// libpod namespace (unused).
    pub namespace: String,
    /// Hook directories.
    pub hooks_dir: Vec<String>,
    /// Infra container image.
    pub infra_image: String,
    /// Exit-command delay in seconds.
    pub exit_command_delay: u32,
    /// Image to pull policy (`missing`, `always`, `never`, `newer`).
    pub pull_policy: String,
}

/// Candidate paths Podman searches for each well-known runtime.
fn default_runtimes() -> BTreeMap<String, Vec<String>> {
    let paths = |name: &str| -> Vec<String> {
        [
            "/usr/bin",
            "/usr/sbin",
            "/usr/local/bin",
            "/usr/local/sbin",
            "/sbin",
            "/bin",
            "/run/current-system/sw/bin",
        ]
        .iter()
        .map(|d| format!("{d}/{name}"))
        .collect()
    };
    [
        "runc",
        "crun",
        "crun-wasm",
        "kata",
        "runsc",
        "youki",
        "krun",
        "ocijail",
    ]
    .into_iter()
    .map(|n| (n.to_string(), paths(n)))
    .collect()
}

impl Default for EngineSection {
    fn default() -> Self {
        EngineSection {
            runtime: String::new(),
            runtimes: default_runtimes(),
            conmon_path: [
                "/usr/libexec/podman/conmon",
                "/usr/local/libexec/podman/conmon",
                "/usr/local/lib/podman/conmon",
                "/usr/bin/conmon",
                "/usr/sbin/conmon",
                "/usr/local/bin/conmon",
                "/usr/local/sbin/conmon",
                "/run/current-system/sw/bin/conmon",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect(),
            lock_type: "shm".into(),
            num_locks: 2048,
            shm_lock_path: crate::config::DEFAULT_SHM_LOCK_PATH.into(),
            database_backend: String::new(),
            events_logger: "file".into(),
            events_logfile_path: String::new(),
            events_logfile_max_size: ByteSize(1_000_000),
            static_dir: String::new(),
            tmp_dir: String::new(),
            volume_path: String::new(),
            stop_timeout: 10,
            cgroup_manager: String::new(),
            namespace: String::new(),
            hooks_dir: vec!["/usr/share/containers/oci/hooks.d".into()],
            infra_image: String::new(),
            exit_command_delay: 300,
            pull_policy: "missing".into(),
        }
    }
}

/// The `[network]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NetworkSection {
    /// Network backend (`netavark`; empty means netavark).
    pub network_backend: String,
    /// Where network definitions live.
    pub network_config_dir: String,
    /// netavark's state directory (`--config`: aardvark-dns configs,
    /// firewall bookkeeping, rpod's address leases). rpod's own key; empty
    /// means Podman's `/run/containers/networks`.
    pub network_run_dir: String,
    /// The default network's name.
    pub default_network: String,
    /// The default network's subnet.
    pub default_subnet: String,
    /// Where netavark plugins live.
    pub netavark_plugin_dirs: Vec<String>,
}

impl Default for NetworkSection {
    fn default() -> Self {
        NetworkSection {
            network_backend: String::new(),
            network_config_dir: "/etc/containers/networks".into(),
            network_run_dir: String::new(),
            default_network: "podman".into(),
            default_subnet: "10.88.0.0/16".into(),
            netavark_plugin_dirs: vec![
                "/usr/local/libexec/netavark".into(),
                "/usr/libexec/netavark".into(),
            ],
        }
    }
}

/// One containers.conf file, or the merge of several.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ContainersConf {
    /// `[containers]`.
    pub containers: ContainersSection,
    /// `[engine]`.
    pub engine: EngineSection,
    /// `[network]`.
    pub network: NetworkSection,
}

/// Every key rpod reads, by table, for unknown-key diagnostics.
pub(super) fn known_keys(table: &str) -> Option<Vec<String>> {
    let value = match table {
        "containers" => serde_json::to_value(ContainersSection::default()),
        "engine" => serde_json::to_value(EngineSection::default()),
        "network" => serde_json::to_value(NetworkSection::default()),
        _ => return None,
    };
    value
        .ok()
        .and_then(|v| v.as_object().map(|o| o.keys().cloned().collect()))
}
