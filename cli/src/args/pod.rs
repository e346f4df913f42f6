//! Arguments of the pod commands.

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// `rpod pod create`.
#[derive(Debug, Args)]
pub struct PodCreateArgs {
    /// Assign a name to the pod.
    #[arg(short = 'n', long)]
    pub name: Option<String>,
    /// Namespaces to share: cgroup, ipc, net, pid, uts or none (a leading + adds to the default).
    #[arg(long, default_value = "ipc,net,uts")]
    pub share: String,
    /// Create an infra container associated with the pod to share namespaces with.
    #[arg(long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub infra: bool,
    /// The image of the infra container to associate with the pod.
    #[arg(long = "infra-image")]
    pub infra_image: Option<String>,
    /// The command to run on the infra container when the pod is started.
    #[arg(long = "infra-command")]
    pub infra_command: Option<String>,
    /// The name used as infra container name.
    #[arg(long = "infra-name")]
    pub infra_name: Option<String>,
    /// Set the pod's hostname.
    #[arg(long)]
    pub hostname: Option<String>,
    /// Set metadata on the pod (key=value).
    #[arg(short = 'l', long = "label")]
    pub labels: Vec<String>,
    /// Write the pod ID to the file.
    #[arg(long = "pod-id-file")]
    pub pod_id_file: Option<PathBuf>,
    /// Behaviour when the last container exits (continue, stop).
    #[arg(long = "exit-policy", default_value = "continue")]
    pub exit_policy: String,
    /// If a pod with the same name exists, replace it.
    #[arg(long)]
    pub replace: bool,
    /// The pod's network (none, host, private).
    #[arg(long = "network", alias = "net")]
    pub network: Option<String>,
    /// Publish a port (needs the infra container's network).
    #[arg(short = 'p', long = "publish")]
    pub publish: Vec<String>,
    /// Name of the pod (as an argument).
    pub pod_name: Option<String>,
}

/// Pods named on the command line, or all of them.
#[derive(Debug, Args)]
pub struct PodTargets {
    /// Act on all pods.
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Act on the latest pod.
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Pods, by name or ID.
    pub pods: Vec<String>,
}

/// `rpod pod start`, `pause`, `unpause`.
#[derive(Debug, Args)]
pub struct PodSimpleArgs {
    /// Which pods.
    #[command(flatten)]
    pub targets: PodTargets,
}

/// `rpod pod stop` and `restart`.
#[derive(Debug, Args)]
pub struct PodStopArgs {
    /// Which pods.
    #[command(flatten)]
    pub targets: PodTargets,
    /// Ignore errors when a specified pod is missing.
    #[arg(short = 'i', long)]
    pub ignore: bool,
    /// Seconds to wait for the pod to stop before killing the containers.
    #[arg(short = 't', long = "time")]
    pub time: Option<u32>,
}

/// `rpod pod kill`.
#[derive(Debug, Args)]
pub struct PodKillArgs {
    /// Which pods.
    #[command(flatten)]
    pub targets: PodTargets,
    /// Signal to send to the containers in the pod.
    #[arg(short = 's', long, default_value = "KILL")]
    pub signal: String,
}

/// `rpod pod rm`.
#[derive(Debug, Args)]
pub struct PodRmArgs {
    /// Which pods.
    #[command(flatten)]
    pub targets: PodTargets,
    /// Stop running containers and delete all stopped containers before removal of pod.
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Ignore errors when a specified pod is missing.
    #[arg(short = 'i', long)]
    pub ignore: bool,
    /// Seconds to wait for the pod to stop before killing the containers.
    #[arg(short = 't', long = "time")]
    pub time: Option<u32>,
    /// Read the pod ID from the file.
    #[arg(long = "pod-id-file")]
    pub pod_id_file: Vec<PathBuf>,
}

/// `rpod pod prune`.
#[derive(Debug, Args)]
pub struct PodPruneArgs {
    /// Do not prompt for confirmation.
    #[arg(short = 'f', long)]
    pub force: bool,
}

/// `rpod pod ps`.
#[derive(Debug, Args)]
pub struct PodPsArgs {
    /// Display the container IDs.
    #[arg(long = "ctr-ids")]
    pub ctr_ids: bool,
    /// Display the container names.
    #[arg(long = "ctr-names")]
    pub ctr_names: bool,
    /// Display the container statuses.
    #[arg(long = "ctr-status")]
    pub ctr_status: bool,
    /// Filter output based on conditions given.
    #[arg(short = 'f', long = "filter")]
    pub filters: Vec<String>,
    /// Pretty-print pods to JSON or using a Go template.
    #[arg(long)]
    pub format: Option<String>,
    /// Do not print headers.
    #[arg(long)]
    pub noheading: bool,
    /// Display namespace information of the pod.
    #[arg(long)]
    pub ns: bool,
    /// Do not truncate pod and container IDs.
    #[arg(long = "no-trunc")]
    pub no_trunc: bool,
    /// Print the numeric IDs of the pods only.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Sort output by created, id, name, number or status.
    #[arg(long, default_value = "created")]
    pub sort: String,
    /// Act on the latest pod.
    #[arg(short = 'l', long)]
    pub latest: bool,
}

/// `rpod pod inspect`.
#[derive(Debug, Args)]
pub struct PodInspectArgs {
    /// Format the output to a Go template or json.
    #[arg(short = 'f', long)]
    pub format: Option<String>,
    /// Act on the latest pod.
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// The pod.
    pub pods: Vec<String>,
}

/// `rpod pod exists`.
#[derive(Debug, Args)]
pub struct PodExistsArgs {
    /// The pod.
    pub pod: String,
}

/// `rpod pod top`.
#[derive(Debug, Args)]
pub struct PodTopArgs {
    /// Act on the latest pod.
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// The pod, then ps descriptors.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

/// `rpod pod logs`.
#[derive(Debug, Args)]
pub struct PodLogsArgs {
    /// Filter logs by container name or ID that belongs to the pod.
    #[arg(short = 'c', long)]
    pub container: Option<String>,
    /// Follow log output.
    #[arg(short = 'f', long)]
    pub follow: bool,
    /// Output the specified number of lines at the end of logs.
    #[arg(long, default_value_t = -1, allow_negative_numbers = true)]
    pub tail: i64,
    /// Show logs since TIMESTAMP.
    #[arg(long)]
    pub since: Option<String>,
    /// Show logs until TIMESTAMP.
    #[arg(long)]
    pub until: Option<String>,
    /// Output the timestamps in the log.
    #[arg(short = 't', long)]
    pub timestamps: bool,
    /// Output the container name in the log.
    #[arg(short = 'n', long)]
    pub names: bool,
    /// Act on the latest pod.
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// The pod.
    pub pod: Option<String>,
}

/// `rpod pod ...`.
#[derive(Debug, Subcommand)]
pub enum PodCommand {
    /// Create a new empty pod.
    Create(PodCreateArgs),
    /// Start one or more pods.
    Start(PodSimpleArgs),
    /// Stop one or more pods.
    Stop(PodStopArgs),
    /// Restart one or more pods.
    Restart(PodStopArgs),
    /// Send the specified signal or SIGKILL to containers in pod.
    Kill(PodKillArgs),
    /// Pause one or more pods.
    Pause(PodSimpleArgs),
    /// Unpause one or more pods.
    Unpause(PodSimpleArgs),
    /// Remove one or more pods.
    Rm(PodRmArgs),
    /// Remove all stopped pods and their containers.
    Prune(PodPruneArgs),
    /// List pods.
    #[command(alias = "ls", alias = "list")]
    Ps(PodPsArgs),
    /// Display a pod configuration.
    Inspect(PodInspectArgs),
    /// Check if a pod exists in local storage.
    Exists(PodExistsArgs),
    /// Display the running processes of containers in a pod.
    Top(PodTopArgs),
    /// Fetch logs for pod with one or more containers.
    Logs(PodLogsArgs),
}
