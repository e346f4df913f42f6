//! A container's immutable configuration, as libpod stores it (JSON field names are Podman's).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::container::spec::{spec_from_json, spec_to_json};
use crate::error::Result;
use crate::time::go_zero_time;

/// A named volume mounted into a container.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NamedVolume {
    /// Volume name.
    #[serde(rename = "volumeName")]
    pub name: String,
    /// Destination inside the container.
    #[serde(rename = "dest")]
    pub dest: String,
    /// Mount options (`ro`, `z`, ...).
    #[serde(
        rename = "options",
        default,
        deserialize_with = "crate::serde_util::null_default"
    )]
    pub options: Vec<String>,
    /// Sub-path of the volume to mount.
    #[serde(
        rename = "subPath",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub sub_path: String,
}

/// A container's configuration. Immutable after creation except through the
/// state's `rewrite_*` methods (renumber, migrate, rename).
///
/// Unknown fields (from a newer rpod or from Podman) are kept in `extra` and
/// written back unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerConfig {
    /// Full 64-hex ID.
    pub id: String,
    /// Unique name (unique across containers and pods).
    pub name: String,
    /// The pod this container belongs to, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    /// libpod namespace (unused by rpod; kept for compatibility).
    #[serde(
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub namespace: String,
    /// The lock this container owns.
    #[serde(rename = "lockID")]
    pub lock_id: u32,
    /// When the container was created.
    #[serde(rename = "createdTime", default = "go_zero_time")]
    pub created_time: DateTime<Utc>,
    /// The OCI runtime spec, once generated, as stored: the JSON Podman
    /// writes, kept verbatim so a record Podman wrote loses nothing (keys
    /// oci-spec does not model included). Read and write it typed with
    /// [`ContainerConfig::oci_spec`] and [`ContainerConfig::set_oci_spec`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spec: Option<serde_json::Value>,
    /// The image ID the root filesystem comes from.
    #[serde(
        rename = "rootfsImageID",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub rootfs_image_id: String,
    /// The image name the root filesystem comes from.
    #[serde(
        rename = "rootfsImageName",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub rootfs_image_name: String,
    /// The image name as the user typed it.
    #[serde(
        rename = "RawImageName",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub raw_image_name: String,
    /// A root filesystem directory used instead of an image (`--rootfs`).
    #[serde(
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub rootfs: String,
    /// Per-container static directory (the bundle).
    #[serde(
        rename = "staticDir",
        default,
        deserialize_with = "crate::serde_util::null_default"
    )]
    pub static_dir: String,
    /// The OCI runtime's name or path.
    #[serde(
        rename = "runtime",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub oci_runtime: String,
    /// Labels.
    #[serde(default, deserialize_with = "crate::serde_util::null_default")]
    pub labels: BTreeMap<String, String>,
    /// Signal sent by `stop`.
    #[serde(rename = "stopSignal", default = "default_stop_signal")]
    pub stop_signal: u32,
    /// Seconds `stop` waits before SIGKILL.
    #[serde(rename = "stopTimeout", default = "default_stop_timeout")]
    pub stop_timeout: u32,
    /// Log file path.
    #[serde(
        rename = "logPath",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub log_path: String,
    /// Log tag given to conmon (`--log-opt tag=` or containers.conf's
    /// `log_tag`), as typed; empty for none.
    #[serde(
        rename = "logTag",
        default,
        deserialize_with = "crate::serde_util::null_default"
    )]
    pub log_tag: String,
    /// Size in bytes at which conmon rotates the log (`--log-opt max-size`);
    /// 0 when not given (containers.conf's `log_size_max` applies then).
    #[serde(rename = "logSize", default)]
    pub log_size: i64,
    /// Log driver (`k8s-file`, `journald`, `none`, `passthrough`, `json-file`).
    #[serde(
        rename = "logDriver",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub log_driver: String,
    /// The command line that created the container.
    #[serde(
        rename = "CreateCommand",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub create_command: Vec<String>,
    /// Explicit dependencies (container IDs).
    #[serde(
        rename = "Dependencies",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub dependencies: Vec<String>,
    /// Named volumes.
    #[serde(
        rename = "namedVolumes",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub named_volumes: Vec<NamedVolume>,
    /// Remove the container when it exits (`--rm`).
    #[serde(rename = "rm", default, skip_serializing_if = "std::ops::Not::not")]
    pub auto_remove: bool,
    /// The command as given (entrypoint + cmd), for `ps` and `inspect`.
    #[serde(
        rename = "command",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub command: Vec<String>,
    /// `--privileged`.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub privileged: bool,
    /// The working directory is the image's, and is created when missing;
    /// one the user gave must exist.
    #[serde(
        rename = "createWorkingDir",
        default,
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub create_working_dir: bool,
    /// Network mode without a network backend: `private`, `none` or `host`.
    #[serde(
        rename = "rpodNetMode",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub net_mode: String,
    /// The engine makes the container's network namespace and attaches it
    /// to its networks (stored in the State) through the network backend.
    #[serde(
        rename = "createNetNS",
        default,
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub create_net_ns: bool,
    /// Published ports (host ports already chosen).
    #[serde(
        rename = "newPortMappings",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub port_mappings: Vec<crate::network::PortMapping>,
    /// `--dns`: name servers replacing the host's.
    #[serde(
        rename = "dnsServer",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub dns_server: Vec<String>,
    /// `--dns-search`: search domains replacing the host's.
    #[serde(
        rename = "dnsSearch",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub dns_search: Vec<String>,
    /// `--dns-option`: resolver options replacing the host's.
    #[serde(
        rename = "dnsOption",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub dns_option: Vec<String>,
    /// `--add-host` entries (`name:ip`).
    #[serde(
        rename = "hostsAdd",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub hosts_add: Vec<String>,
    /// `--no-hosts`: the image's `/etc/hosts` is left alone.
    #[serde(
        rename = "UseImageHosts",
        default,
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub use_image_hosts: bool,
    /// Keep stdin open (`-i`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub stdin: bool,
    /// Container whose IPC namespace is joined.
    #[serde(
        rename = "ipcNsCtr",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub ipc_ns_ctr: String,
    /// Container whose mount namespace is joined.
    #[serde(
        rename = "mountNsCtr",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub mount_ns_ctr: String,
    /// Container whose network namespace is joined.
    #[serde(
        rename = "netNsCtr",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub net_ns_ctr: String,
    /// Container whose PID namespace is joined.
    #[serde(
        rename = "pidNsCtr",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub pid_ns_ctr: String,
    /// Container whose user namespace is joined.
    #[serde(
        rename = "userNsCtr",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub user_ns_ctr: String,
    /// Container whose UTS namespace is joined.
    #[serde(
        rename = "utsNsCtr",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub uts_ns_ctr: String,
    /// Container whose cgroup namespace is joined.
    #[serde(
        rename = "cgroupNsCtr",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub cgroup_ns_ctr: String,
    /// The infra container of its pod (Podman's `pause` key): it holds
    /// the pod's namespaces and goes only with the pod.
    #[serde(rename = "pause", default, skip_serializing_if = "std::ops::Not::not")]
    pub is_infra: bool,
    /// Fields this version does not model, kept verbatim.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

fn default_stop_signal() -> u32 {
    15
}

fn default_stop_timeout() -> u32 {
    10
}

impl ContainerConfig {
    /// A minimal configuration with defaults for everything but ID, name and lock.
    pub fn new(id: impl Into<String>, name: impl Into<String>, lock_id: u32) -> Self {
        ContainerConfig {
            id: id.into(),
            name: name.into(),
            pod: None,
            namespace: String::new(),
            lock_id,
            created_time: Utc::now(),
            spec: None,
            rootfs_image_id: String::new(),
            rootfs_image_name: String::new(),
            raw_image_name: String::new(),
            rootfs: String::new(),
            static_dir: String::new(),
            oci_runtime: String::new(),
            labels: BTreeMap::new(),
            stop_signal: default_stop_signal(),
            stop_timeout: default_stop_timeout(),
            log_path: String::new(),
            log_driver: String::new(),
            log_tag: String::new(),
            log_size: 0,
            create_command: Vec::new(),
            dependencies: Vec::new(),
            stdin: false,
            create_net_ns: false,
            port_mappings: Vec::new(),
            dns_server: Vec::new(),
            dns_search: Vec::new(),
            dns_option: Vec::new(),
            hosts_add: Vec::new(),
            use_image_hosts: false,
            privileged: false,
            create_working_dir: false,
            net_mode: String::new(),
            auto_remove: false,
            command: Vec::new(),
            named_volumes: Vec::new(),
            ipc_ns_ctr: String::new(),
            mount_ns_ctr: String::new(),
            net_ns_ctr: String::new(),
            pid_ns_ctr: String::new(),
            user_ns_ctr: String::new(),
            uts_ns_ctr: String::new(),
            cgroup_ns_ctr: String::new(),
            is_infra: false,
            extra: serde_json::Map::new(),
        }
    }

    /// The stored OCI spec as `oci_spec::runtime::Spec`; `None` when none
    /// was generated. Fails when the stored JSON is not a valid spec.
    pub fn oci_spec(&self) -> Result<Option<oci_spec::runtime::Spec>> {
        self.spec.as_ref().map(spec_from_json).transpose()
    }

    /// Stores `spec` in the JSON shape Podman writes.
    pub fn set_oci_spec(&mut self, spec: &oci_spec::runtime::Spec) -> Result<()> {
        self.spec = Some(spec_to_json(spec)?);
        Ok(())
    }

    /// Every container this one depends on: explicit dependencies plus the
    /// containers whose namespaces it joins, deduplicated, in a stable order.
    pub fn all_dependencies(&self) -> Vec<String> {
        let ns = [
            &self.ipc_ns_ctr,
            &self.mount_ns_ctr,
            &self.net_ns_ctr,
            &self.pid_ns_ctr,
            &self.user_ns_ctr,
            &self.uts_ns_ctr,
            &self.cgroup_ns_ctr,
        ];
        let mut out: Vec<String> = Vec::new();
        for d in self
            .dependencies
            .iter()
            .chain(ns.into_iter().filter(|s| !s.is_empty()))
        {
            if !out.contains(d) {
                out.push(d.clone());
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_survive_a_round_trip() {
        let json = r#"{"id":"a","name":"n","lockID":3,"createdTime":"2026-11-28T12:40:17.01709717Z","ShmDir":"/x","shmSize":65536000}"#;
        let cfg: ContainerConfig = serde_json::from_str(json).unwrap();
        assert_eq!(cfg.lock_id, 3);
        assert_eq!(cfg.stop_timeout, 10);
        let back = serde_json::to_value(&cfg).unwrap();
        assert_eq!(back["ShmDir"], "/x");
        assert_eq!(back["shmSize"], 65536000);
        assert_eq!(back["lockID"], 3);
    }

    #[test]
    fn the_spec_round_trips_through_the_record() {
        let podman: serde_json::Value =
            serde_json::from_str(include_str!("spec/testdata/podman-4.3.1-config.json")).unwrap();
        let mut cfg = ContainerConfig::new("a", "n", 0);
        assert!(cfg.oci_spec().unwrap().is_none());
        let spec = spec_from_json(&podman).unwrap();
        cfg.set_oci_spec(&spec).unwrap();
        assert_eq!(
            cfg.spec.as_ref(),
            Some(&podman),
            "stored as Podman writes it"
        );

        let text = serde_json::to_string(&cfg).unwrap();
        let back: ContainerConfig = serde_json::from_str(&text).unwrap();
        assert_eq!(back.oci_spec().unwrap(), Some(spec));
        let record: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            serde_json::to_string(&record["spec"]).unwrap(),
            serde_json::to_string(&podman).unwrap()
        );

        let mut bad = cfg;
        bad.spec = Some(serde_json::json!({"process": "nope"}));
        assert!(bad.oci_spec().is_err());
    }

    #[test]
    fn dependencies_include_namespace_containers_once() {
        let mut cfg = ContainerConfig::new("a", "n", 0);
        cfg.dependencies = vec!["b".into()];
        cfg.net_ns_ctr = "b".into();
        cfg.ipc_ns_ctr = "c".into();
        assert_eq!(
            cfg.all_dependencies(),
            vec!["b".to_string(), "c".to_string()]
        );
    }
}
