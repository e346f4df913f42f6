//! Arguments of the container commands.

use std::path::PathBuf;

use clap::{ArgAction, Args, Subcommand};

/// Flags shared by `create` and `run`.
#[derive(Debug, Args, Clone, Default)]
pub struct CreateFlags {
    /// Assign a name to the container.
    #[arg(long)]
    pub name: Option<String>,
    /// The first argument is a root filesystem directory, not an image.
    #[arg(long)]
    pub rootfs: bool,
    /// Set environment variables in the container.
    #[arg(short = 'e', long = "env", value_name = "ENV")]
    pub env: Vec<String>,
    /// Read environment variables from a file.
    #[arg(long = "env-file", value_name = "FILE")]
    pub env_file: Vec<PathBuf>,
    /// Keep STDIN open even if not attached.
    #[arg(short = 'i', long)]
    pub interactive: bool,
    /// Allocate a pseudo-TTY for the container.
    #[arg(short = 't', long)]
    pub tty: bool,
    /// Username or UID (format: <name|uid>[:<group|gid>]).
    #[arg(short = 'u', long)]
    pub user: Option<String>,
    /// Working directory inside the container.
    #[arg(short = 'w', long)]
    pub workdir: Option<String>,
    /// Set container hostname.
    #[arg(long)]
    pub hostname: Option<String>,
    /// Overwrite the default ENTRYPOINT of the image.
    #[arg(long)]
    pub entrypoint: Option<String>,
    /// Run an init inside the container that forwards signals and reaps processes.
    #[arg(long)]
    pub init: bool,
    /// Bind mount a volume into the container ([HOST-DIR|VOLUME:]CONTAINER-DIR[:OPTIONS]).
    #[arg(short = 'v', long = "volume", value_name = "VOLUME")]
    pub volumes: Vec<String>,
    /// Mount a temporary filesystem (CONTAINER-DIR[:OPTIONS]).
    #[arg(long, value_name = "TMPFS")]
    pub tmpfs: Vec<String>,
    /// Attach a filesystem mount to the container (type=bind|volume|tmpfs,...).
    #[arg(long = "mount", value_name = "MOUNT")]
    pub mounts: Vec<String>,
    /// Mount volumes from the specified container(s) (CONTAINER[:ro|rw]).
    #[arg(long = "volumes-from", value_name = "CONTAINER")]
    pub volumes_from: Vec<String>,
    /// Tells podman how to handle the builtin image volumes (bind, tmpfs, ignore).
    #[arg(long = "image-volume", value_name = "MODE", default_value = "bind")]
    pub image_volume: String,
    /// Ulimit options (name=soft[:hard]).
    #[arg(long, value_name = "ULIMIT")]
    pub ulimit: Vec<String>,
    /// Memory limit (format: <number>[<unit>], where unit = b, k, m or g).
    #[arg(short = 'm', long)]
    pub memory: Option<String>,
    /// Number of CPUs.
    #[arg(long)]
    pub cpus: Option<f64>,
    /// Tune container pids limit (set -1 for unlimited).
    #[arg(long = "pids-limit")]
    pub pids_limit: Option<i64>,
    /// Control container cgroup configuration ("enabled"|"disabled"|"no-conmon"|"split").
    #[arg(long)]
    pub cgroups: Option<String>,
    /// Connect a container to a network (bridge, none, host, private, container:ID, ns:PATH, or network names).
    #[arg(long = "network", alias = "net")]
    pub network: Vec<String>,
    /// Publish a container's port, or a range of ports, to the host.
    #[arg(short = 'p', long = "publish")]
    pub publish: Vec<String>,
    /// Publish all exposed ports to random ports on the host interfaces.
    #[arg(short = 'P', long = "publish-all")]
    pub publish_all: bool,
    /// Expose a port or a range of ports.
    #[arg(long = "expose")]
    pub expose: Vec<String>,
    /// Specify a static IPv4 address for the container.
    #[arg(long = "ip")]
    pub ip: Option<String>,
    /// Specify a static IPv6 address for the container.
    #[arg(long = "ip6")]
    pub ip6: Option<String>,
    /// Container MAC address (e.g. 92:d0:c6:0a:29:33).
    #[arg(long = "mac-address")]
    pub mac_address: Option<String>,
    /// Add network-scoped alias for the container.
    #[arg(long = "network-alias")]
    pub network_alias: Vec<String>,
    /// Set custom DNS servers.
    #[arg(long = "dns")]
    pub dns: Vec<String>,
    /// Set custom DNS search domains.
    #[arg(long = "dns-search")]
    pub dns_search: Vec<String>,
    /// Set custom DNS options.
    #[arg(long = "dns-option", alias = "dns-opt")]
    pub dns_option: Vec<String>,
    /// Add a custom host-to-IP mapping (host:ip).
    #[arg(long = "add-host")]
    pub add_host: Vec<String>,
    /// Do not create /etc/hosts within the container, instead use the version from the image.
    #[arg(long = "no-hosts")]
    pub no_hosts: bool,
    /// Add capabilities to the container.
    #[arg(long = "cap-add")]
    pub cap_add: Vec<String>,
    /// Drop capabilities from the container.
    #[arg(long = "cap-drop")]
    pub cap_drop: Vec<String>,
    /// Give extended privileges to the container.
    #[arg(long)]
    pub privileged: bool,
    /// Make the container's root filesystem read-only.
    #[arg(long = "read-only")]
    pub read_only: bool,
    /// Security options (no-new-privileges).
    #[arg(long = "security-opt")]
    pub security_opt: Vec<String>,
    /// Set metadata on the container (key=value).
    #[arg(short = 'l', long = "label")]
    pub labels: Vec<String>,
    /// Signal to stop a container.
    #[arg(long = "stop-signal", allow_hyphen_values = true)]
    pub stop_signal: Option<String>,
    /// Timeout (in seconds) that containers stopped by user command have to exit.
    #[arg(long = "stop-timeout")]
    pub stop_timeout: Option<u32>,
    /// Remove container (and pod if created) after exit.
    #[arg(long)]
    pub rm: bool,
    /// Run container in an existing pod, or a new one (`new:NAME`).
    #[arg(long)]
    pub pod: Option<String>,
    /// Read the pod ID from the file.
    #[arg(long = "pod-id-file")]
    pub pod_id_file: Option<PathBuf>,
    /// Logging driver for the container (k8s-file, journald, none, passthrough).
    #[arg(long = "log-driver", value_name = "DRIVER")]
    pub log_driver: Option<String>,
    /// Logging driver options (path=, max-size=, tag=).
    #[arg(long = "log-opt", value_name = "OPTION")]
    pub log_opt: Vec<String>,
    /// The image (or with --rootfs, the root filesystem directory).
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// Command and arguments.
    #[arg(
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    pub command: Vec<String>,
}

/// `rpod create`.
#[derive(Debug, Args)]
pub struct CreateArgs {
    /// The container.
    #[command(flatten)]
    pub flags: CreateFlags,
}

/// `rpod run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Run container in background and print container ID.
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Proxy received signals to the process.
    #[arg(long = "sig-proxy", default_value_t = true, action = ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub sig_proxy: bool,
    /// Override the key sequence for detaching a container.
    #[arg(long = "detach-keys")]
    pub detach_keys: Option<String>,
    /// The container.
    #[command(flatten)]
    pub flags: CreateFlags,
}

/// `rpod start`.
#[derive(Debug, Args)]
pub struct StartArgs {
    /// Attach container's STDOUT and STDERR.
    #[arg(short = 'a', long)]
    pub attach: bool,
    /// Keep STDIN open even if not attached.
    #[arg(short = 'i', long)]
    pub interactive: bool,
    /// Override the key sequence for detaching a container.
    #[arg(long = "detach-keys")]
    pub detach_keys: Option<String>,
    /// Containers.
    #[arg(required = true)]
    pub containers: Vec<String>,
}

/// `rpod stop` and `rpod restart`.
#[derive(Debug, Args)]
pub struct StopArgs {
    /// Stop all running containers.
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Ignore errors when a specified container is missing.
    #[arg(short = 'i', long)]
    pub ignore: bool,
    /// Seconds to wait for stop before killing the container.
    #[arg(short = 't', long = "time", alias = "timeout")]
    pub time: Option<u32>,
    /// Containers.
    pub containers: Vec<String>,
}

/// `rpod kill`.
#[derive(Debug, Args)]
pub struct KillArgs {
    /// Signal all running containers.
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Signal to send to the container (a value such as `-9` is the
    /// signal, not a flag).
    #[arg(short = 's', long, default_value = "KILL", allow_hyphen_values = true)]
    pub signal: String,
    /// Containers.
    pub containers: Vec<String>,
}

/// `rpod wait`.
#[derive(Debug, Args)]
pub struct WaitArgs {
    /// Condition to wait on.
    #[arg(long, default_value = "stopped")]
    pub condition: Vec<String>,
    /// Time interval to wait before polling for completion.
    #[arg(short = 'i', long, default_value = "250ms")]
    pub interval: String,
    /// Containers.
    #[arg(required = true)]
    pub containers: Vec<String>,
}

/// `rpod rm`.
#[derive(Debug, Args)]
pub struct RmArgs {
    /// Remove all containers.
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Force removal of a running or unusable container.
    #[arg(short = 'f', long)]
    pub force: bool,
    /// Ignore errors when a specified container is missing.
    #[arg(short = 'i', long)]
    pub ignore: bool,
    /// Remove anonymous volumes associated with the container.
    #[arg(short = 'v', long)]
    pub volumes: bool,
    /// Seconds to wait for stop before killing the container.
    #[arg(short = 't', long = "time")]
    pub time: Option<u32>,
    /// Remove container from storage library (kept for compatibility: a
    /// name the engine does not know is always looked up in storage).
    #[arg(long, hide = true)]
    pub storage: bool,
    /// Containers.
    pub containers: Vec<String>,
}

/// `rpod logs`.
#[derive(Debug, Args)]
pub struct LogsArgs {
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
    /// Act on the latest container.
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Containers.
    pub containers: Vec<String>,
}

/// `rpod exec`.
#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Run the exec session in detached mode (backgrounded).
    #[arg(short = 'd', long)]
    pub detach: bool,
    /// Keep STDIN open even if not attached.
    #[arg(short = 'i', long)]
    pub interactive: bool,
    /// Allocate a pseudo-TTY.
    #[arg(short = 't', long)]
    pub tty: bool,
    /// Set environment variables.
    #[arg(short = 'e', long = "env")]
    pub env: Vec<String>,
    /// Sets the username or UID used and optionally the groupname or GID.
    #[arg(short = 'u', long)]
    pub user: Option<String>,
    /// Working directory inside the container.
    #[arg(short = 'w', long)]
    pub workdir: Option<String>,
    /// The container.
    pub container: String,
    /// Command and arguments.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
    pub command: Vec<String>,
}

/// `rpod attach`.
#[derive(Debug, Args)]
pub struct AttachArgs {
    /// Do not attach STDIN.
    #[arg(long = "no-stdin")]
    pub no_stdin: bool,
    /// Override the key sequence for detaching a container.
    #[arg(long = "detach-keys")]
    pub detach_keys: Option<String>,
    /// The container.
    pub container: String,
}

/// `rpod ps`.
#[derive(Debug, Args)]
pub struct PsArgs {
    /// Show all the containers, default is only running containers.
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Print the numeric IDs of the containers only.
    #[arg(short = 'q', long)]
    pub quiet: bool,
    /// Print the n last created containers (all states).
    #[arg(short = 'n', long, default_value_t = -1, allow_negative_numbers = true)]
    pub last: i64,
    /// Act on the latest container.
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Display the extended information.
    #[arg(long = "no-trunc")]
    pub no_trunc: bool,
    /// Filter output based on conditions given.
    #[arg(short = 'f', long = "filter")]
    pub filters: Vec<String>,
    /// Pretty-print containers to JSON or using a Go template.
    #[arg(long)]
    pub format: Option<String>,
    /// Sort output by: command, created, id, image, names, runningfor, size, status.
    #[arg(long, default_value = "created")]
    pub sort: String,
    /// Display the total file sizes.
    #[arg(short = 's', long)]
    pub size: bool,
    /// Show containers in storage not controlled by rpod.
    #[arg(long)]
    pub external: bool,
    /// Display the pods the containers are in.
    #[arg(short = 'p', long)]
    pub pod: bool,
    /// Do not print headers.
    #[arg(long)]
    pub noheading: bool,
}

/// `rpod inspect` / `rpod container inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Format the output to a Go template or json.
    #[arg(short = 'f', long)]
    pub format: Option<String>,
    /// Display total file size.
    #[arg(short = 's', long)]
    pub size: bool,
    /// Act on the latest container.
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// Objects.
    pub names: Vec<String>,
}

/// Commands that take only container names.
#[derive(Debug, Args)]
pub struct NamesArgs {
    /// Act on all containers.
    #[arg(short = 'a', long)]
    pub all: bool,
    /// Containers.
    pub containers: Vec<String>,
}

/// `rpod rename`.
#[derive(Debug, Args)]
pub struct RenameArgs {
    /// The container.
    pub container: String,
    /// Its new name.
    pub name: String,
}

/// `rpod cp`.
#[derive(Debug, Args)]
pub struct CpArgs {
    /// Chown copied files to the primary uid/gid of the destination container.
    #[arg(short, long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub archive: bool,
    /// Allow to overwrite directories with non-directories and vice versa.
    #[arg(long)]
    pub overwrite: bool,
    /// Source: [CONTAINER:]PATH, or - for a tar stream on stdin.
    pub source: String,
    /// Destination: [CONTAINER:]PATH, or - for a tar stream on stdout.
    pub destination: String,
}

/// `rpod top`.
#[derive(Debug, Args)]
pub struct TopArgs {
    /// The container.
    pub container: String,
    /// Format descriptors (user, pid, ppid, pcpu, etime, tty, time, args, comm ...).
    pub descriptors: Vec<String>,
}

/// `rpod container cleanup`.
#[derive(Debug, Args)]
pub struct CleanupArgs {
    /// Clean up an exec session instead.
    #[arg(long)]
    pub exec: Option<String>,
    /// Remove the container after cleanup.
    #[arg(long)]
    pub rm: bool,
    /// Containers.
    #[arg(required = true)]
    pub containers: Vec<String>,
}

/// `rpod container exists`.
#[derive(Debug, Args)]
pub struct ExistsArgs {
    /// Check external storage containers as well as rpod containers.
    #[arg(long)]
    pub external: bool,
    /// The container.
    pub container: String,
}

/// `rpod container prune`.
#[derive(Debug, Args)]
pub struct PruneArgs {
    /// Do not prompt for confirmation.
    #[arg(short = 'f', long)]
    pub force: bool,
}

/// `rpod port`.
#[derive(Debug, Args)]
pub struct PortArgs {
    /// Display port information for all containers.
    #[arg(short = 'a', long)]
    pub all: bool,
    /// The container.
    pub container: Option<String>,
}

/// `rpod container ...`.
#[derive(Debug, Subcommand)]
pub enum ContainerCommand {
    /// Clean up network and mountpoints of one or more containers.
    Cleanup(CleanupArgs),
    /// Copy files/folders between a container and the local filesystem.
    Cp(CpArgs),
    /// Check if a container exists in local storage.
    Exists(ExistsArgs),
    /// Remove all non running containers.
    Prune(PruneArgs),
    /// Display detailed information on one or more containers.
    Inspect(InspectArgs),
    /// List containers.
    #[command(alias = "ls", alias = "list")]
    Ps(PsArgs),
    /// Create but do not start a container.
    Create(CreateArgs),
    /// Run a command in a new container.
    Run(RunArgs),
    /// Start one or more containers.
    Start(StartArgs),
    /// Stop one or more containers.
    Stop(StopArgs),
    /// Kill one or more running containers with a specific signal.
    Kill(KillArgs),
    /// Remove one or more containers.
    Rm(RmArgs),
    /// Block on one or more containers.
    Wait(WaitArgs),
    /// Fetch the logs of one or more containers.
    Logs(LogsArgs),
    /// Run a process in a running container.
    Exec(ExecArgs),
    /// Pause all the processes in one or more containers.
    Pause(NamesArgs),
    /// Unpause the processes in one or more containers.
    Unpause(NamesArgs),
    /// Restart one or more containers.
    Restart(StopArgs),
    /// Rename an existing container.
    Rename(RenameArgs),
    /// Display the running processes of a container.
    Top(TopArgs),
    /// Attach to a running container.
    Attach(AttachArgs),
    /// List port mappings or a specific mapping for the container.
    Port(PortArgs),
    /// mount, unmount, diff, export, commit.
    #[command(flatten)]
    Storage(crate::args::ContainerStorageCommand),
}
