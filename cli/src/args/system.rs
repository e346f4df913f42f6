//! Arguments of `info`, `version`, `events` and `system ...`.

use clap::{ArgAction, Args, Subcommand};

/// `rpod info`.
#[derive(Debug, Args)]
pub struct InfoArgs {
    /// Change the output format to JSON or a Go template.
    #[arg(short, long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Display additional debug information (accepted for compatibility).
    #[arg(short = 'D', long)]
    pub debug: bool,
}

/// `rpod version`.
#[derive(Debug, Args)]
pub struct VersionArgs {
    /// Change the output format to JSON or a Go template.
    #[arg(short, long, value_name = "FORMAT")]
    pub format: Option<String>,
}

/// `rpod events`.
#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Filter output (`key=value`; keys: container, event, status, image, pod, volume, type, label).
    #[arg(short, long = "filter", value_name = "FILTER")]
    pub filters: Vec<String>,
    /// Show all events created since timestamp.
    #[arg(long, value_name = "TIME")]
    pub since: Option<String>,
    /// Show all events created until timestamp.
    #[arg(long, value_name = "TIME")]
    pub until: Option<String>,
    /// Format the output using the given Go template, or `json`.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Stream new events; `--stream=false` prints the stored events and exits.
    #[arg(long, default_value_t = true, action = ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub stream: bool,
    /// Do not truncate the output (the default).
    #[arg(long = "no-trunc", default_value_t = true, action = ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub no_trunc: bool,
}

/// `rpod system renumber|migrate`.
#[derive(Debug, Subcommand)]
pub enum SystemCommand {
    /// Migrate lock numbers: give every container, pod and volume a fresh lock.
    Renumber,
    /// Migrate containers (stop them; optionally switch their OCI runtime).
    Migrate(MigrateArgs),
    /// Display podman-style system information.
    Info(InfoArgs),
    /// Show rpod events.
    Events(EventsArgs),
    /// Reset rpod storage: remove every container, pod, volume and image, then its directories.
    Reset(ResetArgs),
    /// Remove unused data (stopped containers, dangling or with -a unused images; with --volumes unused volumes).
    Prune(SystemPruneArgs),
    /// Show rpod disk usage.
    Df(DfArgs),
    /// Check storage consistency: state records, storage, locks, runtime leftovers.
    Check(CheckArgs),
}

/// `rpod system check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Skip time-consuming checks. The default is to include time-consuming checks.
    #[arg(short = 'q', long)]
    pub quick: bool,
    /// Remove inconsistent images.
    #[arg(short = 'r', long)]
    pub repair: bool,
    /// Remove inconsistent images and containers.
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Maximum allowed age of unreferenced layers.
    #[arg(short = 'm', long, value_name = "DURATION", default_value = "24h0m0s")]
    pub max: String,
}

/// `rpod system reset`.
#[derive(Debug, Args)]
pub struct ResetArgs {
    /// Do not prompt for confirmation.
    #[arg(short = 'f', long)]
    pub force: bool,
}

/// `rpod system prune`.
#[derive(Debug, Args)]
pub struct SystemPruneArgs {
    /// Remove all unused images, not just dangling ones.
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Prune volumes too.
    #[arg(long)]
    pub volumes: bool,
    /// Do not prompt for confirmation.
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Provide filter values (e.g. 'label=<key>=<value>', 'until=<time>').
    #[arg(long = "filter", value_name = "FILTER")]
    pub filters: Vec<String>,
}

/// `rpod system df`.
#[derive(Debug, Args)]
pub struct DfArgs {
    /// Show detailed information on space usage.
    #[arg(short = 'v', long)]
    pub verbose: bool,
    /// Pretty-print with a Go template or json.
    #[arg(long)]
    pub format: Option<String>,
}

/// `rpod system migrate`.
#[derive(Debug, Args)]
pub struct MigrateArgs {
    /// Specify a new runtime for all containers.
    #[arg(long = "new-runtime", value_name = "RUNTIME")]
    pub new_runtime: Option<String>,
    /// Copy the BoltDB state (bolt_state.db) into the SQLite state.
    #[arg(long = "migrate-db")]
    pub migrate_db: bool,
}
