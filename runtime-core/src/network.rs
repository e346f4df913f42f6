//! Networking: the `NetworkBackend` trait (implemented by the netavark crate)
//! and the per-container network options stored in the State.

use std::collections::BTreeMap;
use std::fmt::Debug;

use serde::{Deserialize, Serialize};

use crate::error::Result;

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

/// A network definition (Podman's JSON field names).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Network {
    /// Name.
    pub name: String,
    /// 64-hex ID.
    pub id: String,
    /// Driver (`bridge`, `macvlan`, ...).
    pub driver: String,
    /// Host interface.
    #[serde(default, deserialize_with = "crate::serde_util::null_default")]
    pub network_interface: String,
    /// Subnets in CIDR form.
    #[serde(default, deserialize_with = "crate::serde_util::null_default")]
    pub subnets: Vec<BTreeMap<String, String>>,
    /// IPv6 enabled.
    #[serde(default)]
    pub ipv6_enabled: bool,
    /// No external routing.
    #[serde(default)]
    pub internal: bool,
    /// DNS through aardvark-dns.
    #[serde(default)]
    pub dns_enabled: bool,
    /// Labels.
    #[serde(default, deserialize_with = "crate::serde_util::null_default")]
    pub labels: BTreeMap<String, String>,
    /// Driver options.
    #[serde(default, deserialize_with = "crate::serde_util::null_default")]
    pub options: BTreeMap<String, String>,
}

/// What a container's network setup needs.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NetworkSetup {
    /// Container ID.
    pub container_id: String,
    /// Container name.
    pub container_name: String,
    /// Path of the network namespace to configure.
    pub netns_path: String,
    /// Networks to connect, with their options.
    pub networks: BTreeMap<String, PerNetworkOptions>,
    /// Port mappings as `host_ip:host_port:container_port/proto` strings.
    pub port_mappings: Vec<String>,
}

/// The result of setting up one network: interface name → addresses.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct NetworkStatus {
    /// Interfaces by name, each with its CIDR addresses.
    pub interfaces: BTreeMap<String, Vec<String>>,
}

/// A network backend (netavark). Object-safe.
pub trait NetworkBackend: Send + Sync + Debug {
    /// The backend's name (`netavark`).
    fn name(&self) -> &'static str;
    /// Creates a network; fills in ID and defaults and returns the result.
    fn create(&self, net: &Network) -> Result<Network>;
    /// All networks.
    fn list(&self) -> Result<Vec<Network>>;
    /// One network by name or ID.
    fn inspect(&self, name_or_id: &str) -> Result<Network>;
    /// Removes a network.
    fn remove(&self, name_or_id: &str) -> Result<()>;
    /// Connects a container's netns to its networks.
    fn setup(&self, setup: &NetworkSetup) -> Result<BTreeMap<String, NetworkStatus>>;
    /// Disconnects a container's netns from its networks.
    fn teardown(&self, setup: &NetworkSetup) -> Result<()>;
}
