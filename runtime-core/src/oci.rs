//! The OCI runtime: `OciRuntime` drives a real runtime (runc, crun) through
//! a monitor (conmon). Implemented by the `rpod-oci-conmon` crate.
//!
//! Where things live for a container (all set by the engine before `create`):
//! * the bundle, `config.static_dir` (the store's directory for the container,
//!   [`Storage::container_dirs`](crate::storage::Storage::container_dirs)):
//!   `config.json`, the `attach` socket, the `ctl`/`winsz` fifos, `ctr.log`, `oom`;
//! * the run dir, `state.run_dir` (the store's run directory for the container):
//!   `pidfile`, `conmon.pid`, `oci-log`;
//! * the exit file, [`OciRuntime::exit_file_path`] (`<tmpdir>/exits/<id>`), which conmon
//!   writes when the container exits, holding the decimal exit status.
//!
//! Errors from the runtime map to [`Error::OciRuntimeNotFound`](crate::Error::OciRuntimeNotFound)
//! (exit 127), [`Error::OciRuntimePermissionDenied`](crate::Error::OciRuntimePermissionDenied)
//! (exit 126) or [`Error::OciRuntime`](crate::Error::OciRuntime) (exit 125), with the
//! runtime's message as context: `runc: <message>`.

use std::fmt::Debug;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
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

/// Pids the runtime reports after `create`.
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
    /// The session ID (64 hex).
    pub session_id: String,
    /// What to run.
    pub config: ExecConfig,
    /// The full process to run (the OCI `process`), built by the engine
    /// from the container's spec and `config`.
    pub process: oci_spec::runtime::Process,
    /// Run detached (`exec -d`).
    pub detach: bool,
}

/// How an exec session went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecResult {
    /// PID of the exec process.
    pub pid: i32,
    /// Exit code, when attached (None for detached sessions).
    pub exit_code: Option<i32>,
}

/// The streams of an attach session.
pub struct AttachIo {
    /// Input for the container, when attaching stdin.
    pub stdin: Option<Box<dyn Read + Send>>,
    /// Where the container's stdout goes.
    pub stdout: Box<dyn Write + Send>,
    /// Where the container's stderr goes.
    pub stderr: Box<dyn Write + Send>,
    /// The key sequence that detaches (`ctrl-p,ctrl-q` → `[0x10, 0x11]`); empty for none.
    pub detach_keys: Vec<u8>,
}

impl Debug for AttachIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AttachIo")
            .field("stdin", &self.stdin.is_some())
            .field("detach_keys", &self.detach_keys)
            .finish_non_exhaustive()
    }
}

/// Why an attach session ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttachEnd {
    /// The container closed its output (it exited).
    Ended,
    /// The user typed the detach keys.
    Detached,
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
    /// the bundle's `config.json` must exist. Returns once the container's
    /// init process exists (it waits for `start`).
    fn create(&self, ctr: &ContainerRecord) -> Result<CreateResult>;
    /// Starts a created container.
    fn start(&self, ctr: &ContainerRecord) -> Result<()>;
    /// Sends `signal` to the container (to all its processes with `all`).
    fn kill(&self, ctr: &ContainerRecord, signal: i32, all: bool) -> Result<()>;
    /// Sends the container's stop signal, waits up to `timeout` for the
    /// process to go, then SIGKILLs it (logging Podman's warning) and waits
    /// up to 5 s more. A zero timeout kills at once.
    fn stop(&self, ctr: &ContainerRecord, timeout: Duration, all: bool) -> Result<()>;
    /// Deletes the container from the runtime (`runc delete --force`).
    fn delete(&self, ctr: &ContainerRecord) -> Result<()>;
    /// Freezes the container.
    fn pause(&self, ctr: &ContainerRecord) -> Result<()>;
    /// Thaws the container.
    fn resume(&self, ctr: &ContainerRecord) -> Result<()>;
    /// The runtime's view of the container.
    fn state(&self, ctr: &ContainerRecord) -> Result<OciState>;
    /// Connects to the container's attach socket, calls `on_attached` once
    /// connected (the engine starts the container there, so no output is
    /// lost), then copies output and input until the container's output
    /// ends or the detach keys are typed.
    fn attach(
        &self,
        ctr: &ContainerRecord,
        io: AttachIo,
        on_attached: &mut dyn FnMut() -> Result<()>,
    ) -> Result<AttachEnd>;
    /// Runs an exec session through conmon. With `io`, output is streamed
    /// and the call returns with the exit code; without, it returns once
    /// the process runs.
    fn exec(
        &self,
        ctr: &ContainerRecord,
        opts: &ExecOptions,
        io: Option<AttachIo>,
    ) -> Result<ExecResult>;
    /// Resizes the container's terminal (through the `ctl` fifo).
    fn resize(&self, ctr: &ContainerRecord, width: u16, height: u16) -> Result<()>;
    /// Where conmon writes the container's exit code.
    fn exit_file_path(&self, ctr_id: &str) -> PathBuf;
    /// The attach socket of the container.
    fn attach_socket_path(&self, ctr: &ContainerRecord) -> PathBuf;
    /// Every runtime container and monitor process whose bundle lies
    /// under `under` (the engine's own storage), so `system check` can find
    /// those no record accounts for. The default finds none.
    fn list_leftovers(&self, under: &Path) -> Result<Vec<RuntimeLeftover>> {
        let _ = under;
        Ok(Vec::new())
    }
    /// Deletes a runtime container found by [`OciRuntime::list_leftovers`]
    /// (killing its processes) and kills its monitor. Gone already is fine.
    fn remove_leftover(&self, leftover: &RuntimeLeftover) -> Result<()> {
        let _ = leftover;
        Ok(())
    }
}

/// A container the OCI runtime (or its monitor) still has, as
/// [`OciRuntime::list_leftovers`] reports it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RuntimeLeftover {
    /// The container ID.
    pub id: String,
    /// Its bundle directory.
    pub bundle: PathBuf,
    /// The runtime has the container (`runc list` shows it).
    pub in_runtime: bool,
    /// The container's init process, when the runtime knows it.
    pub pid: Option<i32>,
    /// The monitor (conmon) process still running for it, if any.
    pub monitor_pid: Option<i32>,
}
