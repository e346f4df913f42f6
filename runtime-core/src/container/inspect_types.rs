//! The typed report of `inspect` for a container, with Podman's JSON key
//! names and key order (libpod's `InspectContainerData`), so front ends
//! serialize it as is.

use std::collections::BTreeMap;

use serde::Serialize;

/// Everything `inspect` shows about one container.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ContainerInspect {
    /// Full ID.
    pub id: String,
    /// Creation time, RFC 3339 with nanoseconds as Go prints it.
    pub created: String,
    /// The first word of the command.
    pub path: String,
    /// The rest of the command.
    pub args: Vec<String>,
    /// Run state.
    pub state: InspectState,
    /// Image ID (empty for a `--rootfs` container).
    pub image: String,
    /// The image's manifest digest (empty when not from an image).
    pub image_digest: String,
    /// Image name as shown.
    pub image_name: String,
    /// The `--rootfs` directory (empty for an image container).
    pub rootfs: String,
    /// Pod ID (empty when not in a pod).
    pub pod: String,
    /// The generated `resolv.conf`, when it exists.
    pub resolv_conf_path: String,
    /// The generated `hostname`, when it exists.
    pub hostname_path: String,
    /// The generated `hosts`, when it exists.
    pub hosts_path: String,
    /// The container's persistent directory (the bundle).
    pub static_dir: String,
    /// The OCI spec file.
    #[serde(rename = "OCIConfigPath")]
    pub oci_config_path: String,
    /// OCI runtime name.
    #[serde(rename = "OCIRuntime")]
    pub oci_runtime: String,
    /// conmon's PID file.
    pub conmon_pid_file: String,
    /// The container process's PID file.
    pub pid_file: String,
    /// Name.
    pub name: String,
    /// Restarts by the restart policy.
    pub restart_count: u32,
    /// The storage driver of the store.
    pub driver: String,
    /// SELinux mount label.
    pub mount_label: String,
    /// SELinux process label.
    pub process_label: String,
    /// AppArmor profile.
    pub app_armor_profile: String,
    /// Effective capabilities of the container process.
    pub effective_caps: Vec<String>,
    /// Bounding capabilities of the container process.
    pub bounding_caps: Vec<String>,
    /// IDs of the exec sessions.
    #[serde(rename = "ExecIDs")]
    pub exec_ids: Vec<String>,
    /// The storage driver and the root filesystem's directories.
    pub graph_driver: InspectGraphDriver,
    /// User bind mounts.
    pub mounts: Vec<InspectMount>,
    /// Containers this one depends on.
    pub dependencies: Vec<String>,
    /// Network settings.
    pub network_settings: InspectNetworkSettings,
    /// libpod namespace.
    pub namespace: String,
    /// True for a pod's infra container.
    pub is_infra: bool,
    /// True for a service container.
    pub is_service: bool,
    /// The configuration it was created with.
    pub config: InspectConfig,
    /// Host-side configuration.
    pub host_config: InspectHostConfig,
}

/// The `State` section.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InspectState {
    /// OCI spec version.
    pub oci_version: String,
    /// `created`, `running`, `exited`, ...
    pub status: String,
    /// Running now.
    pub running: bool,
    /// Paused now.
    pub paused: bool,
    /// Being restarted.
    pub restarting: bool,
    /// Killed by the OOM killer.
    #[serde(rename = "OOMKilled")]
    pub oom_killed: bool,
    /// Dead.
    pub dead: bool,
    /// Container process PID (0 when not running).
    pub pid: i32,
    /// conmon's PID (0 when not running).
    pub conmon_pid: i32,
    /// Last exit code.
    pub exit_code: i32,
    /// Last error.
    pub error: String,
    /// Last start.
    pub started_at: String,
    /// Last exit.
    pub finished_at: String,
    /// Health check results.
    pub health: InspectHealth,
    /// The cgroup path from the spec.
    pub cgroup_path: String,
    /// Last checkpoint.
    pub checkpointed_at: String,
    /// Last restore.
    pub restored_at: String,
}

/// Health check results.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InspectHealth {
    /// `healthy`, `unhealthy`, `starting`, or empty without a check.
    pub status: String,
    /// Consecutive failures.
    pub failing_streak: u32,
    /// Recent results (`null` without a check).
    pub log: Option<Vec<serde_json::Value>>,
}

/// The `GraphDriver` section.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InspectGraphDriver {
    /// Storage driver name.
    pub name: String,
    /// Its directories.
    pub data: InspectGraphDriverData,
}

/// The directories of the root filesystem.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InspectGraphDriverData {
    /// Where the root filesystem is (or was last) mounted.
    pub merged_dir: String,
}

/// One user bind mount.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InspectMount {
    /// `bind`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// Host path.
    pub source: String,
    /// Path in the container.
    pub destination: String,
    /// Volume driver.
    pub driver: String,
    /// SELinux mode.
    pub mode: String,
    /// Mount options but `ro`/`rw`.
    pub options: Vec<String>,
    /// Writable.
    #[serde(rename = "RW")]
    pub rw: bool,
    /// Propagation.
    pub propagation: String,
}

/// The `NetworkSettings` section.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InspectNetworkSettings {
    /// Endpoint ID.
    #[serde(rename = "EndpointID")]
    pub endpoint_id: String,
    /// IPv4 gateway.
    pub gateway: String,
    /// IPv4 address.
    #[serde(rename = "IPAddress")]
    pub ip_address: String,
    /// IPv4 prefix length.
    #[serde(rename = "IPPrefixLen")]
    pub ip_prefix_len: u32,
    /// IPv6 gateway.
    #[serde(rename = "IPv6Gateway")]
    pub ipv6_gateway: String,
    /// IPv6 address.
    #[serde(rename = "GlobalIPv6Address")]
    pub global_ipv6_address: String,
    /// IPv6 prefix length.
    #[serde(rename = "GlobalIPv6PrefixLen")]
    pub global_ipv6_prefix_len: u32,
    /// MAC address.
    pub mac_address: String,
    /// Bridge name.
    pub bridge: String,
    /// Sandbox ID.
    #[serde(rename = "SandboxID")]
    pub sandbox_id: String,
    /// Hairpin mode.
    pub hairpin_mode: bool,
    /// Link-local IPv6 address.
    #[serde(rename = "LinkLocalIPv6Address")]
    pub link_local_ipv6_address: String,
    /// Link-local IPv6 prefix length.
    #[serde(rename = "LinkLocalIPv6PrefixLen")]
    pub link_local_ipv6_prefix_len: u32,
    /// Published ports by container port.
    pub ports: BTreeMap<String, serde_json::Value>,
    /// Network namespace path.
    pub sandbox_key: String,
    /// Per network: `NetworkID`, `Aliases`, addresses, gateway, MAC
    /// (Podman's `InspectAdditionalNetwork`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub networks: BTreeMap<String, serde_json::Value>,
}

/// The `Config` section.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InspectConfig {
    /// Hostname.
    pub hostname: String,
    /// Domain name.
    pub domainname: String,
    /// User (empty for root).
    pub user: String,
    /// Standard input attached.
    pub attach_stdin: bool,
    /// Standard output attached.
    pub attach_stdout: bool,
    /// Standard error attached.
    pub attach_stderr: bool,
    /// Has a terminal.
    pub tty: bool,
    /// Standard input kept open.
    pub open_stdin: bool,
    /// Standard input closed after the first attach.
    pub stdin_once: bool,
    /// Environment `K=V`.
    pub env: Vec<String>,
    /// The whole command.
    pub cmd: Vec<String>,
    /// Image name.
    pub image: String,
    /// Image volumes.
    pub volumes: Option<BTreeMap<String, serde_json::Value>>,
    /// Working directory.
    pub working_dir: String,
    /// Entrypoint.
    pub entrypoint: String,
    /// Build triggers.
    pub on_build: Option<String>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// OCI annotations.
    pub annotations: Option<BTreeMap<String, String>>,
    /// Stop signal number.
    pub stop_signal: u32,
    /// The command line that created it.
    pub create_command: Vec<String>,
    /// File mode creation mask, octal.
    pub umask: String,
    /// Run timeout in seconds (0: none).
    pub timeout: u32,
    /// Stop timeout in seconds.
    pub stop_timeout: u32,
    /// `/etc/passwd` entry added for the user.
    pub passwd: bool,
    /// sd-notify mode.
    #[serde(rename = "sdNotifyMode")]
    pub sd_notify_mode: String,
}

/// The `HostConfig` section.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InspectHostConfig {
    /// Bind specifications.
    pub binds: Vec<String>,
    /// The cgroup manager the container runs under.
    pub cgroup_manager: String,
    /// Cgroup namespace mode: `private` (its own namespace) or `host`.
    pub cgroup_mode: String,
    /// `--cidfile`.
    #[serde(rename = "ContainerIDFile")]
    pub container_id_file: String,
    /// Log driver settings.
    pub log_config: InspectLogConfig,
    /// `private` (own network namespace) or `host`.
    pub network_mode: String,
    /// Published ports.
    pub port_bindings: BTreeMap<String, serde_json::Value>,
    /// Restart policy.
    pub restart_policy: InspectRestartPolicy,
    /// `--rm`.
    pub auto_remove: bool,
    /// Capabilities added.
    pub cap_add: Vec<String>,
    /// Capabilities dropped.
    pub cap_drop: Vec<String>,
    /// `--privileged`.
    pub privileged: bool,
    /// `--read-only`.
    pub readonly_rootfs: bool,
    /// Memory limit in bytes (0: none).
    pub memory: i64,
    /// PIDs limit (0: none).
    pub pids_limit: i64,
    /// The spec's resource limits, as the OCI spec writes them.
    pub ulimits: serde_json::Value,
    /// `--init`.
    pub init: bool,
}

/// Log driver settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InspectLogConfig {
    /// Driver (`k8s-file`).
    #[serde(rename = "Type")]
    pub kind: String,
    /// Driver options.
    pub config: Option<BTreeMap<String, String>>,
    /// Log file.
    pub path: String,
    /// Log tag.
    pub tag: String,
    /// Maximum size, as text.
    pub size: String,
}

/// Restart policy.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InspectRestartPolicy {
    /// Policy name (empty: none).
    pub name: String,
    /// Retries for `on-failure`.
    pub maximum_retry_count: u32,
}
