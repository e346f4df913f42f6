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
}
