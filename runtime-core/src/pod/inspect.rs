//! `pod inspect`: Podman's `InspectPodData`, keys and order as it prints them.

use std::collections::BTreeMap;

use serde::Serialize;

use super::Pod;
use crate::error::Result;

/// One container of an inspected pod.
#[derive(Debug, Clone, Serialize)]
pub struct PodInspectContainer {
    /// Full ID.
    #[serde(rename = "Id")]
    pub id: String,
    /// Name.
    #[serde(rename = "Name")]
    pub name: String,
    /// Its state word (`running`, `exited` ...).
    #[serde(rename = "State")]
    pub state: String,
}

/// The infra container's settings that the pod shows.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PodInspectInfraConfig {
    /// Published ports (none until networking lands).
    pub port_bindings: BTreeMap<String, Vec<serde_json::Value>>,
    /// The infra container uses the host's network.
    pub host_network: bool,
    /// Static IP.
    #[serde(rename = "StaticIP")]
    pub static_ip: String,
    /// Static MAC.
    #[serde(rename = "StaticMAC")]
    pub static_mac: String,
    /// `/etc/resolv.conf` is not managed.
    pub no_manage_resolv_conf: bool,
    /// `--dns`.
    #[serde(rename = "DNSServer")]
    pub dns_server: Option<Vec<String>>,
    /// `--dns-search`.
    #[serde(rename = "DNSSearch")]
    pub dns_search: Option<Vec<String>>,
    /// `--dns-option`.
    #[serde(rename = "DNSOption")]
    pub dns_option: Option<Vec<String>>,
    /// `/etc/hosts` is not managed.
    pub no_manage_hosts: bool,
    /// `--add-host`.
    pub host_add: Option<Vec<String>>,
    /// Networks joined.
    pub networks: Option<Vec<String>>,
    /// Per-network options.
    pub network_options: Option<BTreeMap<String, Vec<String>>>,
    /// PID namespace mode of the infra container.
    #[serde(rename = "pid_ns", skip_serializing_if = "String::is_empty")]
    pub pid_ns: String,
    /// UTS namespace mode of the infra container.
    #[serde(rename = "uts_ns", skip_serializing_if = "String::is_empty")]
    pub uts_ns: String,
}

/// What `pod inspect` prints for one pod.
#[derive(Debug, Clone, Serialize)]
pub struct PodInspect {
    /// Full ID.
    #[serde(rename = "Id")]
    pub id: String,
    /// Name.
    #[serde(rename = "Name")]
    pub name: String,
    /// Creation time.
    #[serde(rename = "Created")]
    pub created: String,
    /// The command line that created it.
    #[serde(rename = "CreateCommand", skip_serializing_if = "Vec::is_empty")]
    pub create_command: Vec<String>,
    /// `continue` or `stop`.
    #[serde(rename = "ExitPolicy", skip_serializing_if = "String::is_empty")]
    pub exit_policy: String,
    /// The aggregate state.
    #[serde(rename = "State")]
    pub state: String,
    /// The pod's hostname.
    #[serde(rename = "Hostname")]
    pub hostname: String,
    /// Labels.
    #[serde(rename = "Labels", skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// The pod has a cgroup of its own.
    #[serde(rename = "CreateCgroup")]
    pub create_cgroup: bool,
    /// The cgroup parent.
    #[serde(rename = "CgroupParent", skip_serializing_if = "String::is_empty")]
    pub cgroup_parent: String,
    /// The pod's cgroup.
    #[serde(rename = "CgroupPath", skip_serializing_if = "String::is_empty")]
    pub cgroup_path: String,
    /// The pod has an infra container.
    #[serde(rename = "CreateInfra")]
    pub create_infra: bool,
    /// Its ID.
    #[serde(rename = "InfraContainerID", skip_serializing_if = "String::is_empty")]
    pub infra_container_id: String,
    /// Its settings.
    #[serde(rename = "InfraConfig", skip_serializing_if = "Option::is_none")]
    pub infra_config: Option<PodInspectInfraConfig>,
    /// The namespaces the members share.
    #[serde(rename = "SharedNamespaces", skip_serializing_if = "Vec::is_empty")]
    pub shared_namespaces: Vec<String>,
    /// How many containers (the infra container included).
    #[serde(rename = "NumContainers")]
    pub num_containers: usize,
    /// The containers, the infra container first.
    #[serde(rename = "Containers", skip_serializing_if = "Vec::is_empty")]
    pub containers: Vec<PodInspectContainer>,
}

impl Pod {
    /// The inspect report (container states synced).
    pub fn inspect(&self) -> Result<PodInspect> {
        let cfg = &self.rec.config;
        let states = self.container_states()?;
        let containers: Vec<PodInspectContainer> = states
            .iter()
            .map(|(c, s)| PodInspectContainer {
                id: c.id().to_string(),
                name: c.name().to_string(),
                state: s.as_str().to_string(),
            })
            .collect();
        let status = super::aggregate_status(&states.iter().map(|(_, s)| *s).collect::<Vec<_>>());
        let infra = self.infra_id().map(str::to_string).unwrap_or_default();
        let infra_config = (!infra.is_empty()).then(|| {
            let infra_ctr = states.iter().find(|(c, _)| c.id() == infra);
            PodInspectInfraConfig {
                host_network: infra_ctr.is_some_and(|(c, _)| c.config().net_mode == "host"),
                ..Default::default()
            }
        });
        Ok(PodInspect {
            id: cfg.id.clone(),
            name: cfg.name.clone(),
            created: crate::time::rfc3339_nano(&cfg.created),
            create_command: cfg.create_command.clone(),
            exit_policy: cfg.exit_policy.clone(),
            state: status.to_string(),
            hostname: cfg.hostname.clone(),
            labels: cfg.labels.clone(),
            create_cgroup: cfg.shares_cgroup,
            cgroup_parent: cfg.cgroup_parent.clone(),
            cgroup_path: self.rec.state.cgroup_path.clone(),
            create_infra: cfg.has_infra,
            infra_container_id: infra,
            infra_config,
            shared_namespaces: cfg
                .shared()
                .names()
                .into_iter()
                .map(str::to_string)
                .collect(),
            num_containers: containers.len(),
            containers,
        })
    }
}
