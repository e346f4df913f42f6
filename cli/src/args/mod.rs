//! clap argument structs: data only, one file per command group.

mod container;
mod image;
mod network;
mod pod;
mod system;
mod volume;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use container::*;
pub use image::*;
pub use network::*;
pub use pod::*;
pub use system::{
    CheckArgs, DfArgs, EventsArgs, InfoArgs, MigrateArgs, ResetArgs, SystemCommand,
    SystemPruneArgs, VersionArgs,
};
pub use volume::*;

/// rpod: manage pods, containers and images, the Podman way.
#[derive(Debug, Parser)]
#[command(
    name = "rpod",
    version,
    disable_help_subcommand = true,
    args_override_self = true
)]
pub struct Cli {
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalOptions,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Podman's global options. Every one given is passed on unchanged to the
/// exit command conmon runs (`rpod <globals> container cleanup <id>`).
#[derive(Debug, Clone, Default, clap::Args)]
pub struct GlobalOptions {
    /// Path to the graph root directory where images and containers are stored.
    #[arg(long, global = true, value_name = "PATH")]
    pub root: Option<PathBuf>,
    /// Path to the 'run directory' where all state information is stored.
    #[arg(long, global = true, value_name = "PATH")]
    pub runroot: Option<PathBuf>,
    /// Path to the tmp directory for libpod state content.
    #[arg(long, global = true, value_name = "PATH")]
    pub tmpdir: Option<PathBuf>,
    /// Database backend to use (sqlite, boltdb, memory).
    #[arg(long = "db-backend", global = true, value_name = "NAME")]
    pub db_backend: Option<String>,
    /// Events backend to use (file, journald, none).
    #[arg(long = "events-backend", global = true, value_name = "NAME")]
    pub events_backend: Option<String>,
    /// Path to the OCI-compatible binary used to run containers.
    #[arg(long, global = true, value_name = "NAME|PATH")]
    pub runtime: Option<String>,
    /// Path of the conmon binary.
    #[arg(long, global = true, value_name = "PATH")]
    pub conmon: Option<PathBuf>,
    /// Cgroup manager to use (cgroupfs or systemd).
    #[arg(long = "cgroup-manager", global = true, value_name = "MANAGER")]
    pub cgroup_manager: Option<String>,
    /// Path to the volume directory in which volume data is stored.
    #[arg(long, global = true, value_name = "PATH")]
    pub volumepath: Option<PathBuf>,
    /// Select which storage driver is used to manage storage of images and containers.
    #[arg(long = "storage-driver", global = true, value_name = "NAME")]
    pub storage_driver: Option<String>,
    /// Path of the directory where network configuration files are stored.
    #[arg(long = "network-config-dir", global = true, value_name = "PATH")]
    pub network_config_dir: Option<PathBuf>,
    /// Log messages above specified level (trace, debug, info, warn, warning, error, fatal, panic).
    #[arg(
        long = "log-level",
        global = true,
        default_value = "warn",
        value_name = "LEVEL"
    )]
    pub log_level: String,
}

impl GlobalOptions {
    /// The options that were given, as command-line arguments, in a fixed
    /// order; used to build conmon's exit command.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = Vec::new();
        let mut push = |flag: &str, v: Option<String>| {
            if let Some(v) = v {
                args.push(format!("--{flag}"));
                args.push(v);
            }
        };
        let path = |p: &Option<PathBuf>| p.as_ref().map(|p| p.to_string_lossy().into_owned());
        push("root", path(&self.root));
        push("runroot", path(&self.runroot));
        push("log-level", Some(self.log_level.clone()));
        push("cgroup-manager", self.cgroup_manager.clone());
        push("tmpdir", path(&self.tmpdir));
        push("volumepath", path(&self.volumepath));
        push("runtime", self.runtime.clone());
        push("conmon", path(&self.conmon));
        push("storage-driver", self.storage_driver.clone());
        push("db-backend", self.db_backend.clone());
        push("events-backend", self.events_backend.clone());
        push("network-config-dir", path(&self.network_config_dir));
        args
    }
}

/// Every command.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Display podman-style system information.
    Info(InfoArgs),
    /// Display the rpod version information.
    Version(VersionArgs),
    /// Show rpod events.
    Events(EventsArgs),
    /// Manage rpod.
    #[command(subcommand)]
    System(SystemCommand),
    /// Manage containers.
    #[command(subcommand)]
    Container(ContainerCommand),
    /// The container commands, also at the top level (`rpod run`, `rpod ps` ...).
    #[command(flatten)]
    Top(ContainerCommand),
    /// Manage pods.
    #[command(subcommand)]
    Pod(PodCommand),
    /// Manage images.
    #[command(subcommand)]
    Image(ImageCommand),
    /// Manage volumes.
    #[command(subcommand)]
    Volume(VolumeCommand),
    /// The image commands, also at the top level (`rpod images`, `rpod rmi` ...).
    #[command(flatten)]
    TopImage(TopImageCommand),
    /// Manage networks.
    #[command(subcommand)]
    Network(NetworkCommand),
}
