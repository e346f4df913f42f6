//! The OCI runtime: `OciRuntime` drives a real runtime (runc, crun) through
//! a monitor (conmon). Implemented by the `rpod-oci-conmon` crate.

use std::fmt::Debug;
use std::path::PathBuf;
use std::time::Duration;

use crate::container::{ContainerRecord, ExecConfig};
use crate::error::Result;

/// What the runtime reports about a container (`runc state`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OciState {
    /// `creating`, `created`, `running`, `paused`, `stopped`.
    pub status: String,
    /// The container's init PID (0 when none).
    pub pid: i32,
}

/// Pids and times the runtime reports after `create` and `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CreateResult {
    /// PID of the container's init process.
    pub pid: i32,
    /// PID of conmon.
    pub conmon_pid: i32,
}

/// Options for one exec session.
#[derive(Debug, Clone, PartialEq)]
pub struct ExecOptions {
    /// The session ID.
    pub session_id: String,
    /// What to run.
    pub config: ExecConfig,
    /// Run detached (`exec -d`).
    pub detach: bool,
}

/// What the runtime can do, so the engine can skip unsupported work.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct OciFeatures {
    /// The runtime writes JSON error logs.
    pub json_errors: bool,
    /// The runtime can run containers without cgroups.
    pub no_cgroups: bool,
}

/// An OCI runtime driven through a monitor. Object-safe.
pub trait OciRuntime: Send + Sync + Debug {
    /// The runtime's name (`runc`, `crun`, or the configured name).
    fn name(&self) -> &str;
    /// The runtime binary's absolute path.
    fn path(&self) -> PathBuf;
    /// What the runtime supports.
    fn features(&self) -> OciFeatures;
    /// Creates the container in the runtime (`runc create` under conmon);
    /// the bundle's `config.json` must exist.
    fn create(&self, ctr: &ContainerRecord) -> Result<CreateResult>;
    /// Starts a created container.
    fn start(&self, ctr: &ContainerRecord) -> Result<()>;
    /// Sends `signal` to the container (to all processes with `all`).
    fn kill(&self, ctr: &ContainerRecord, signal: i32, all: bool) -> Result<()>;
    /// Sends the stop signal, waits `timeout`, then SIGKILL (Podman's warning is logged).
    fn stop(&self, ctr: &ContainerRecord, timeout: Duration, all: bool) -> Result<()>;
    /// Deletes the container from the runtime.
    fn delete(&self, ctr: &ContainerRecord) -> Result<()>;
    /// Freezes the container.
    fn pause(&self, ctr: &ContainerRecord) -> Result<()>;
    /// Thaws the container.
    fn resume(&self, ctr: &ContainerRecord) -> Result<()>;
    /// The runtime's view of the container.
    fn state(&self, ctr: &ContainerRecord) -> Result<OciState>;
    /// Starts an exec session; returns the exec process's PID.
    fn exec(&self, ctr: &ContainerRecord, opts: &ExecOptions) -> Result<i32>;
    /// Resizes the container's terminal.
    fn resize(&self, ctr: &ContainerRecord, width: u16, height: u16) -> Result<()>;
    /// Where conmon writes the container's exit code.
    fn exit_file_path(&self, ctr_id: &str) -> PathBuf;
    /// The attach socket of the container.
    fn attach_socket_path(&self, ctr: &ContainerRecord) -> PathBuf;
}
