//! Arguments of `volume ...`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// `rpod volume ...`.
#[derive(Debug, Subcommand)]
pub enum VolumeCommand {
    /// Create a new volume.
    Create(VolumeCreateArgs),
    /// List volumes.
    #[command(visible_alias = "list")]
    Ls(VolumeLsArgs),
    /// Display detailed information on one or more volumes.
    Inspect(VolumeInspectArgs),
    /// Remove one or more volumes.
    #[command(visible_alias = "remove")]
    Rm(VolumeRmArgs),
    /// Remove all unused volumes.
    Prune(VolumePruneArgs),
    /// Check if the given volume exists.
    Exists(VolumeExistsArgs),
    /// Export volumes.
    Export(VolumeExportArgs),
    /// Import a tarball contents into a volume.
    Import(VolumeImportArgs),
    /// Mount volume.
    Mount(VolumeNamesArgs),
    /// Unmount volume.
    #[command(visible_alias = "umount")]
    Unmount(VolumeNamesArgs),
    /// Reload all volumes from volume plugins.
    Reload,
}

/// `rpod volume create`.
#[derive(Debug, Args)]
pub struct VolumeCreateArgs {
    /// Specify volume driver name.
    #[arg(short, long, default_value = "local", value_name = "DRIVER")]
    pub driver: String,
    /// Set metadata for a volume (e.g., --label mykey=value).
    #[arg(short, long = "label", value_name = "LABEL")]
    pub labels: Vec<String>,
    /// Set driver specific options.
    #[arg(short, long = "opt", value_name = "OPT")]
    pub opts: Vec<String>,
    /// Don't fail if volume already exists.
    #[arg(long)]
    pub ignore: bool,
    /// Volume name (generated when absent).
    pub name: Option<String>,
}

/// `rpod volume ls`.
#[derive(Debug, Args)]
pub struct VolumeLsArgs {
    /// Filter volume output.
    #[arg(short, long = "filter", value_name = "FILTER")]
    pub filters: Vec<String>,
    /// Format volume output using Go template.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Do not print headers.
    #[arg(short, long)]
    pub noheading: bool,
    /// Print volume output in quiet mode.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `rpod volume inspect`.
#[derive(Debug, Args)]
pub struct VolumeInspectArgs {
    /// Inspect all volumes.
    #[arg(short, long)]
    pub all: bool,
    /// Format volume output using Go template.
    #[arg(short, long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Volume names.
    pub names: Vec<String>,
}

/// `rpod volume rm`.
#[derive(Debug, Args)]
pub struct VolumeRmArgs {
    /// Remove all volumes.
    #[arg(short, long)]
    pub all: bool,
    /// Remove a volume by force, even if it is being used by a container.
    #[arg(short, long)]
    pub force: bool,
    /// Seconds to wait for running containers to stop before killing the container.
    #[arg(short, long, value_name = "SECONDS")]
    pub time: Option<u32>,
    /// Volume names.
    pub names: Vec<String>,
}

/// `rpod volume prune`.
#[derive(Debug, Args)]
pub struct VolumePruneArgs {
    /// Provide filter values (e.g. 'label=<key>=<value>').
    #[arg(long = "filter", value_name = "FILTER")]
    pub filters: Vec<String>,
    /// Do not prompt for confirmation.
    #[arg(short, long)]
    pub force: bool,
}

/// `rpod volume exists`.
#[derive(Debug, Args)]
pub struct VolumeExistsArgs {
    /// Volume name.
    pub name: String,
}

/// `rpod volume export`.
#[derive(Debug, Args)]
pub struct VolumeExportArgs {
    /// Write to a specified file (default: stdout, which must be redirected).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Volume name.
    pub name: String,
}

/// `rpod volume import`.
#[derive(Debug, Args)]
pub struct VolumeImportArgs {
    /// Volume name.
    pub name: String,
    /// Tarball path, or `-` for stdin.
    pub source: String,
}

/// `rpod volume mount|unmount`.
#[derive(Debug, Args)]
pub struct VolumeNamesArgs {
    /// Unmount all volumes (unmount only).
    #[arg(short, long)]
    pub all: bool,
    /// Volume names.
    pub names: Vec<String>,
}
