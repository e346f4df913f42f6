//! Arguments of the network commands.

use clap::{Args, Subcommand};

/// `rpod network create`.
#[derive(Debug, Args)]
pub struct NetworkCreateArgs {
    /// Driver to manage the network.
    #[arg(short = 'd', long, default_value = "bridge")]
    pub driver: String,
    /// IPv4 or IPv6 gateway for the subnet.
    #[arg(long)]
    pub gateway: Vec<String>,
    /// Restrict external access from this network.
    #[arg(long)]
    pub internal: bool,
    /// Allocate container IP from range.
    #[arg(long = "ip-range")]
    pub ip_range: Vec<String>,
    /// Set the ipam driver.
    #[arg(long = "ipam-driver")]
    pub ipam_driver: Option<String>,
    /// Enable IPv6 networking.
    #[arg(long)]
    pub ipv6: bool,
    /// Set metadata on a network.
    #[arg(long)]
    pub label: Vec<String>,
    /// Set driver specific options.
    #[arg(short = 'o', long = "opt")]
    pub opt: Vec<String>,
    /// Subnets in CIDR format.
    #[arg(long)]
    pub subnet: Vec<String>,
    /// Disable DNS plugin.
    #[arg(long = "disable-dns")]
    pub disable_dns: bool,
    /// Interface name which is used by the driver.
    #[arg(long = "interface-name")]
    pub interface_name: Option<String>,
    /// Don't fail if network already exists.
    #[arg(long)]
    pub ignore: bool,
    /// The network's name.
    pub name: Option<String>,
}

/// `rpod network ls`.
#[derive(Debug, Args)]
pub struct NetworkLsArgs {
    /// Provide filter values (e.g. 'name=podman').
    #[arg(short = 'f', long = "filter")]
    pub filters: Vec<String>,
    /// Pretty-print networks to JSON or using a Go template.
    #[arg(long)]
    pub format: Option<String>,
    /// Do not print headers.
    #[arg(long)]
    pub noheading: bool,
    /// Do not truncate the network ID.
    #[arg(long = "no-trunc")]
    pub no_trunc: bool,
    /// Display only network names.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// `rpod network inspect`.
#[derive(Debug, Args)]
pub struct NetworkInspectArgs {
    /// Pretty-print network to JSON or using a Go template.
    #[arg(short = 'f', long)]
    pub format: Option<String>,
    /// Networks.
    #[arg(required = true)]
    pub networks: Vec<String>,
}

/// `rpod network rm`.
#[derive(Debug, Args)]
pub struct NetworkRmArgs {
    /// Remove any containers using the network.
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Seconds to wait for running containers to stop before killing the container.
    #[arg(short = 't', long = "time")]
    pub time: Option<u32>,
    /// Networks.
    #[arg(required = true)]
    pub networks: Vec<String>,
}

/// `rpod network prune`.
#[derive(Debug, Args)]
pub struct NetworkPruneArgs {
    /// Do not prompt for confirmation.
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Provide filter values.
    #[arg(long = "filter")]
    pub filters: Vec<String>,
}

/// `rpod network exists`.
#[derive(Debug, Args)]
pub struct NetworkExistsArgs {
    /// The network.
    pub network: String,
}

/// `rpod network connect`.
#[derive(Debug, Args)]
pub struct NetworkConnectArgs {
    /// Network scoped alias for the container.
    #[arg(long)]
    pub alias: Vec<String>,
    /// Set a static IPv4 address for the container on this network.
    #[arg(long)]
    pub ip: Option<String>,
    /// Set a static IPv6 address for the container on this network.
    #[arg(long)]
    pub ip6: Option<String>,
    /// Set a static MAC address for the container on this network.
    #[arg(long = "mac-address")]
    pub mac_address: Option<String>,
    /// The network.
    pub network: String,
    /// The container.
    pub container: String,
}

/// `rpod network disconnect`.
#[derive(Debug, Args)]
pub struct NetworkDisconnectArgs {
    /// Force the disconnect of a container.
    #[arg(short = 'f', long)]
    pub force: bool,
    /// The network.
    pub network: String,
    /// The container.
    pub container: String,
}

/// `rpod network reload`.
#[derive(Debug, Args)]
pub struct NetworkReloadArgs {
    /// Reload network configuration of all containers.
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Containers.
    pub containers: Vec<String>,
}

/// `rpod network ...`.
#[derive(Debug, Subcommand)]
pub enum NetworkCommand {
    /// Create networks for containers and pods.
    Create(NetworkCreateArgs),
    /// List networks.
    #[command(alias = "list")]
    Ls(NetworkLsArgs),
    /// Display detailed information on one or more networks.
    Inspect(NetworkInspectArgs),
    /// Remove networks.
    #[command(alias = "remove")]
    Rm(NetworkRmArgs),
    /// Remove unused networks.
    Prune(NetworkPruneArgs),
    /// Check if a network exists.
    Exists(NetworkExistsArgs),
    /// Add container to a network.
    Connect(NetworkConnectArgs),
    /// Remove container from a network.
    Disconnect(NetworkDisconnectArgs),
    /// Reload firewall rules for one or more containers.
    Reload(NetworkReloadArgs),
}
