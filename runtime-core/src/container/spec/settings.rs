//! The settings a user gives a container that reach its spec unchanged:
//! one struct carried by both `create`'s options and the spec's, so each
//! setting is declared (and documented) once.

use super::capabilities::CapName;
use super::options::{BindMount, NetworkMode};

/// What `create`/`run` flags say about the container's process, mounts,
/// security and resources, as the spec generator reads them.
///
/// `create` fills it from the command line, merges the image's config into
/// it (`Cmd`, `Env`, `WorkingDir`, `User`, `Volumes`), and hands it to the
/// spec as is. Empty strings and `None` mean "the default" as each field
/// says; the default value is a container with no flags given.
#[derive(Debug, Clone, Default)]
pub struct ContainerSettings {
    /// Command (after the image merge, the image's `Cmd` when none was given).
    pub command: Vec<String>,
    /// `K=V` entries from `-e`, `--env-file` and (after the merge) the image,
    /// applied over the defaults.
    pub env: Vec<String>,
    /// Allocate a terminal (`-t`).
    pub terminal: bool,
    /// `""`, `uid`, `uid:gid` or `name[:group]`, resolved in the rootfs.
    pub user: String,
    /// Working directory (`""` means `/`).
    pub workdir: String,
    /// `workdir` came from the image, not the user: it is created when
    /// missing instead of being an error at start.
    pub workdir_from_image: bool,
    /// Hostname (`""` means the first 12 characters of the ID, or the
    /// host's with `--network host`).
    pub hostname: String,
    /// Capabilities to add (see [`CapName`] for the spellings accepted).
    pub cap_add: Vec<CapName>,
    /// Capabilities to drop.
    pub cap_drop: Vec<CapName>,
    /// `--privileged`.
    pub privileged: bool,
    /// `--read-only`.
    pub read_only: bool,
    /// `--security-opt no-new-privileges`.
    pub no_new_privileges: bool,
    /// `--security-opt seccomp=PROFILE`: a profile file, or `unconfined`
    /// for no filter; replaces containers.conf's `seccomp_profile`
    /// (`None` keeps it). A file that is missing or invalid fails the
    /// create: seccomp never silently falls back.
    pub seccomp_profile: Option<String>,
    /// `--security-opt apparmor=PROFILE` (or `unconfined`); `None` takes
    /// containers.conf's `apparmor_profile` where the host has AppArmor.
    pub apparmor_profile: Option<String>,
    /// `--security-opt mask=`: paths hidden on top of the default ones.
    pub mask: Vec<String>,
    /// `--security-opt unmask=`: patterns of default masked and read-only
    /// paths to leave visible and writable, or `ALL`.
    pub unmask: Vec<String>,
    /// `-v HOST:CTR[:opts]` bind mounts (after the merge, also the
    /// anonymous volumes made for the image's `VOLUME`s).
    pub binds: Vec<BindMount>,
    /// `--tmpfs DEST[:opts]` mounts: (destination, comma-separated options).
    pub tmpfs: Vec<(String, String)>,
    /// `--ulimit name=soft[:hard]`, overriding containers.conf's by name.
    pub ulimits: Vec<String>,
    /// `--memory` limit in bytes.
    pub memory: Option<i64>,
    /// CPU count (`--cpus`).
    pub cpus: Option<f64>,
    /// `--pids-limit` (`None`: containers.conf's; `0`: none).
    pub pids_limit: Option<i64>,
    /// `--cgroups disabled`: no `cgroupsPath` and no resources.
    pub cgroups_disabled: bool,
    /// Network namespace mode (`--network`).
    pub network: NetworkMode,
    /// `--init`: run the init binary as PID 1.
    pub init: bool,
}
