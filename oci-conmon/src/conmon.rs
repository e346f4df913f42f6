//! Spawning conmon: its sync, start (and, for exec, attach) pipes at fds
//! 3, 4 (, 5), its own process group, stdio on `/dev/null`, and the first
//! steps of the handshake (the start byte, reaping the middle process).

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::Duration;

use rpod_runtime_core::Error;
use rpod_runtime_core::error::IoResultExt;

use crate::seqpacket::SeqPacket;
use crate::sync::{self, SyncMessage};
use crate::sys;

/// A conmon that was just spawned, with our ends of its pipes.
#[derive(Debug)]
pub(crate) struct Conmon {
    child: Child,
    /// `_OCI_SYNCPIPE`: conmon reports PIDs, exit codes and failures here.
    pub sync: SeqPacket,
    /// `_OCI_STARTPIPE`: conmon waits for a byte here before going on.
    pub start: SeqPacket,
    /// `_OCI_ATTACHPIPE` (exec only): conmon says when its attach socket is ready.
    pub attach: Option<SeqPacket>,
}

/// Which of this process's standard streams conmon inherits (the others
/// are `/dev/null`). conmon itself lets go of them once it has forked off,
/// except with the passthrough log driver, where the container uses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConmonStdio {
    /// None.
    Null,
    /// stderr only, so conmon's own errors reach the user, as with Podman.
    Stderr,
    /// stdin, stdout and stderr (the passthrough log driver).
    All,
}

impl Conmon {
    /// Spawns `conmon` with `args`; with `attach_pipe`, also passes the exec
    /// attach pipe; `stdio` says which of this process's streams conmon gets.
    pub(crate) fn spawn(
        conmon: &Path,
        args: &[OsString],
        attach_pipe: bool,
        stdio: ConmonStdio,
    ) -> Result<Conmon, Error> {
        let (sync, sync_child) = SeqPacket::pair().at("sync pipe")?;
        let (start, start_child) = SeqPacket::pair().at("start pipe")?;
        let mut fds = vec![sync_child, start_child];
        let attach = if attach_pipe {
            let (ours, theirs) = SeqPacket::pair().at("attach pipe")?;
            fds.push(theirs);
            Some(ours)
        } else {
            None
        };
        let mut cmd = Command::new(conmon);
        let all = stdio == ConmonStdio::All;
        let pick = |inherit: bool| {
            if inherit {
                Stdio::inherit()
            } else {
                Stdio::null()
            }
        };
        cmd.args(args)
            .stdin(pick(all))
            .stdout(pick(all))
            .stderr(pick(all || stdio == ConmonStdio::Stderr))
            .process_group(0)
            .env("_OCI_SYNCPIPE", sys::FIRST_CHILD_FD.to_string())
            .env("_OCI_STARTPIPE", (sys::FIRST_CHILD_FD + 1).to_string())
            .env_remove("NOTIFY_SOCKET");
        if attach_pipe {
            cmd.env("_OCI_ATTACHPIPE", (sys::FIRST_CHILD_FD + 2).to_string());
        }
        if nix::unistd::Uid::effective().is_root() {
            cmd.env_remove("DBUS_SESSION_BUS_ADDRESS");
        }
        tracing::debug!(conmon = %conmon.display(), ?args, "running conmon");
        let child = sys::spawn_with_fds(&mut cmd, fds).at(conmon)?;
        Ok(Conmon {
            child,
            sync,
            start,
            attach,
        })
    }

    /// Writes the byte conmon waits for on the start pipe.
    pub(crate) fn signal_start(&self) -> Result<(), Error> {
        self.start
            .send(&[0])
            .map(drop)
            .map_err(|e| Error::msg(format!("writing to conmon's start pipe: {e}")))
    }

    /// Waits for the process we spawned: conmon forks the real monitor and
    /// that middle process exits at once. A failure is reported with the
    /// message conmon left on the sync pipe, if any.
    pub(crate) fn wait_middle(&mut self, runtime: &str, oci_log: &Path) -> Result<(), Error> {
        let status = self.child.wait().at("conmon")?;
        if status.success() {
            return Ok(());
        }
        match sync::read(&self.sync, Duration::from_secs(1), "conmon") {
            Ok(msg @ SyncMessage { data, .. }) if data < 0 => {
                Err(sync::failure(runtime, &msg, oci_log, "conmon"))
            }
            _ => Err(conmon_failed(status)),
        }
    }
}

fn conmon_failed(status: ExitStatus) -> Error {
    Error::OciRuntime.context(format!("conmon failed: {status}"))
}
