//! Networking: the `NetworkBackend` trait (implemented by the netavark
//! crate), the network and per-container types it exchanges (Podman's JSON
//! field names, so definitions and state read the same in both engines),
//! and the engine's network operations built on it.
//!
//! A backend owns three things: network definitions (create, list,
//! remove), network namespaces (create and remove the file a container's
//! namespace is pinned to), and attaching a namespace to networks (setup,
//! teardown, with address allocation). The engine decides everything that
//! concerns containers: which networks a container is on, when its
//! namespace is set up and torn down, what `rm -f` of a network removes.
//! A rootless backend (slirp4netns, pasta) fits the same trait: it makes
//! its namespaces and attaches them its own way.

mod ops;
pub mod ports;

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

pub use ops::{NetworkCreateRequest, NetworkListFilter, NetworkRemoveReport};

/// Options for one container on one network (Podman's `PerNetworkOptions`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PerNetworkOptions {
    /// Static IPs requested.
    #[serde(
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub static_ips: Vec<String>,
    /// DNS aliases.
    #[serde(
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub aliases: Vec<String>,
    /// Static MAC address.
    #[serde(
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub static_mac: String,
    /// Interface name inside the container.
    #[serde(default, deserialize_with = "crate::serde_util::null_default")]
    pub interface_name: String,
}

/// An address range inside a subnet that leases come from (`--ip-range`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct LeaseRange {
    /// First address handed out.
    #[serde(
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub start_ip: String,
    /// Last address handed out.
    #[serde(
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub end_ip: String,
}

/// One subnet of a network.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Subnet {
    /// The subnet in CIDR form (`10.89.0.0/24`).
    pub subnet: String,
    /// The gateway (empty: none, as for an internal network without DNS).
    #[serde(
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub gateway: String,
    /// The range leases come from, when narrower than the subnet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_range: Option<LeaseRange>,
}

/// A network definition, as Podman stores it (one JSON file per network).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Network {
    /// Name.
    pub name: String,
    /// 64-hex ID.
    pub id: String,
    /// Driver (`bridge`, `macvlan`, `ipvlan`).
    pub driver: String,
    /// The host interface (the bridge, or the macvlan parent).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub network_interface: String,
    /// When the network was created.
    #[serde(default = "crate::time::go_zero_time")]
    pub created: DateTime<Utc>,
    /// Subnets.
    #[serde(
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub subnets: Vec<Subnet>,
    /// IPv6 enabled.
    #[serde(default)]
    pub ipv6_enabled: bool,
    /// No route out of the network.
    #[serde(default)]
    pub internal: bool,
    /// Name resolution between its containers (aardvark-dns).
    #[serde(default)]
    pub dns_enabled: bool,
    /// Labels.
    #[serde(
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub labels: BTreeMap<String, String>,
    /// Driver options (`mtu`, `vlan`, `isolate`, `mode`, ...).
    #[serde(
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub options: BTreeMap<String, String>,
    /// IPAM options (`driver`: `host-local`, `dhcp`, `none`).
    #[serde(
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub ipam_options: BTreeMap<String, String>,
}

impl Default for Network {
    fn default() -> Self {
        Network {
            name: String::new(),
            id: String::new(),
            driver: String::new(),
            network_interface: String::new(),
            created: crate::time::go_zero_time(),
            subnets: Vec::new(),
            ipv6_enabled: false,
            internal: false,
            dns_enabled: false,
            labels: BTreeMap::new(),
            options: BTreeMap::new(),
            ipam_options: BTreeMap::new(),
        }
    }
}

/// A published port (Podman's `PortMapping`): `range` consecutive ports
/// from `host_port` forward to as many from `container_port`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default, Serialize, Deserialize)]
pub struct PortMapping {
    /// Host address to bind (empty: all).
    #[serde(default)]
    pub host_ip: String,
    /// First container port.
    pub container_port: u16,
    /// First host port.
    pub host_port: u16,
    /// Number of consecutive ports (at least 1).
    pub range: u16,
    /// `tcp`, `udp` or `sctp` (one protocol per mapping).
    pub protocol: String,
}

/// One address of an interface, as netavark reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NetAddress {
    /// The address with its prefix (`10.89.0.2/24`).
    pub ipnet: String,
    /// The gateway of its subnet.
    #[serde(
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub gateway: String,
}

/// One interface in the container's namespace.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct NetInterface {
    /// Its addresses.
    #[serde(
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub subnets: Vec<NetAddress>,
    /// Its MAC address.
    #[serde(default, deserialize_with = "crate::serde_util::null_default")]
    pub mac_address: String,
}

/// What setting up one network gave the container (Podman's `StatusBlock`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct StatusBlock {
    /// Interfaces by name.
    #[serde(
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub interfaces: BTreeMap<String, NetInterface>,
    /// Name servers the network provides (aardvark-dns on the gateway).
    #[serde(
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub dns_server_ips: Vec<String>,
    /// Search domains the network provides (`dns.podman`).
    #[serde(
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub dns_search_domains: Vec<String>,
}

/// What attaching one container's namespace to its networks needs (the
/// same for setup and teardown, as netavark takes it).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SetupOptions {
    /// Container ID.
    pub container_id: String,
    /// Container name (DNS answers it).
    pub container_name: String,
    /// Path of the network namespace.
    pub netns_path: PathBuf,
    /// Networks by name, with the container's options on each.
    pub networks: BTreeMap<String, PerNetworkOptions>,
    /// Published ports.
    pub port_mappings: Vec<PortMapping>,
}

/// A network backend (netavark). Object-safe; every method may be called
/// from any short-lived process, so a backend keeps its state on disk.
pub trait NetworkBackend: Send + Sync + Debug {
    /// The backend's name (`netavark`).
    fn name(&self) -> &'static str;
    /// The default network's name (containers.conf `default_network`).
    fn default_network(&self) -> String;
    /// Validates `net`, fills in what was left empty (ID, interface name,
    /// a free subnet, gateway, creation time), writes the definition and
    /// returns it. A network of that name existing is `NetworkExists`.
    fn create(&self, net: &Network) -> Result<Network>;
    /// All networks, the default one included, sorted by name.
    fn list(&self) -> Result<Vec<Network>>;
    /// One network by name, full ID or unique ID prefix (`NoSuchNetwork`).
    fn inspect(&self, name_or_id: &str) -> Result<Network>;
    /// Removes a network's definition. The caller has checked that no
    /// container uses it; the default network cannot be removed.
    fn remove(&self, name_or_id: &str) -> Result<()>;
    /// Where container `container_id`'s namespace is pinned when this
    /// backend makes it (known before it exists, so a crash between making
    /// it and recording it leaves nothing unfindable).
    fn netns_path(&self, container_id: &str) -> PathBuf;
    /// Makes a new, empty network namespace pinned at
    /// [`NetworkBackend::netns_path`] (replacing a leftover) and returns
    /// that path.
    fn create_netns(&self, container_id: &str) -> Result<PathBuf>;
    /// Unpins and removes a namespace file (gone already is fine).
    fn remove_netns(&self, path: &std::path::Path) -> Result<()>;
    /// Attaches the namespace to its networks: allocates addresses, creates
    /// the interfaces, publishes ports, registers DNS names. On failure
    /// nothing of it is left behind. Returns what each network gave.
    fn setup(&self, opts: &SetupOptions) -> Result<BTreeMap<String, StatusBlock>>;
    /// Detaches the namespace from its networks and frees its addresses.
    /// Keeps going past failures and reports them all.
    fn teardown(&self, opts: &SetupOptions) -> Result<()>;
}

/// `NetworkExists` with Podman's text for network `name`.
pub fn network_exists(name: &str) -> Error {
    Error::NetworkExists.context(format!("network name {name} already used"))
}

/// `NoSuchNetwork` with Podman's text for `name_or_id`.
pub fn no_such_network(name_or_id: &str) -> Error {
    Error::NoSuchNetwork.context(format!(
        "unable to find network with name or ID {name_or_id}"
    ))
}

/// True when `name` is a valid network name (Podman's `NameRegex`:
/// `[a-zA-Z0-9][a-zA-Z0-9_.-]*`).
pub fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_podmans_network_file() {
        let json = r#"{
     "name": "n1",
     "id": "49e4fb9f4f1c7a2a0c1d1fc0e3fcbfa1ef5d2b1d1d8d7b8dc3c1b4b8d3f1e2a1",
     "driver": "bridge",
     "network_interface": "podman1",
     "created": "2026-11-28T12:40:16.123456789Z",
     "subnets": [{"subnet": "10.89.0.0/24", "gateway": "10.89.0.1"}],
     "ipv6_enabled": false,
     "internal": false,
     "dns_enabled": true,
     "ipam_options": {"driver": "host-local"}
}"#;
        let n: Network = serde_json::from_str(json).unwrap();
        assert_eq!(n.subnets[0].gateway, "10.89.0.1");
        assert!(n.dns_enabled);
        let back = serde_json::to_value(&n).unwrap();
        assert_eq!(back["ipam_options"]["driver"], "host-local");
        assert!(back.get("labels").is_none());
    }

    #[test]
    fn names_follow_podmans_rule() {
        assert!(valid_name("a"));
        assert!(valid_name("net_1.x-y"));
        assert!(!valid_name(""));
        assert!(!valid_name("-a"));
        assert!(!valid_name("a/b"));
        assert!(!valid_name("../x"));
    }
}
