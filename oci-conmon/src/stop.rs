//! Stopping a container as Podman does: the stop signal, a wait of up to
//! the timeout, then SIGKILL and up to 5 s more.

use std::path::Path;
use std::time::{Duration, Instant};

use nix::sys::signal::Signal;
use rpod_runtime_core::container::ContainerRecord;
use rpod_runtime_core::{Error, Result};

use crate::ConmonRuntime;
use crate::pidfd::{InitProcess, Unusable};

/// How long a SIGKILLed container may take to go (Podman's `killContainerTimeout`).
const KILL_TIMEOUT: Duration = Duration::from_secs(5);
/// Poll interval while waiting for the process to go.
const POLL: Duration = Duration::from_millis(2);

pub(crate) fn stop(
    rt: &ConmonRuntime,
    ctr: &ContainerRecord,
    timeout: Duration,
    all: bool,
) -> Result<()> {
    let (mut pid, mut ticks) = (ctr.state.pid, ctr.state.pid_start_ticks);
    if pid <= 0 {
        pid = rt.runtime_state(ctr.id())?.pid;
        ticks = 0;
    }
    let exit_file = rt.exit_file(ctr.id());
    if pid <= 0 || gone(pid, ticks, &exit_file) {
        return Ok(());
    }
    let stop_signal = match ctr.config.stop_signal {
        0 => libc::SIGTERM,
        n => i32::try_from(n).unwrap_or(libc::SIGTERM),
    };
    // The init process through a pidfd: signalled directly (no `runc kill`
    // process) and its exit noticed at once. `--all` needs runc, which
    // knows every process of the container.
    let init = if all {
        None
    } else {
        match InitProcess::open(pid, ctr.state.conmon_pid) {
            Ok(p) => Some(p),
            Err(Unusable::Gone) => return Ok(()),
            Err(Unusable::Unsupported) => None,
        }
    };
    let send = |sig: i32| -> Result<()> {
        match &init {
            Some(p) => p
                .signal(sig)
                .map(drop)
                .map_err(|e| Error::msg(format!("sending signal {sig} to PID {pid}: {e}"))),
            None => rt.kill_ctr(ctr, sig, all),
        }
    };
    let wait = |limit: Duration| -> bool {
        match &init {
            Some(p) => p.wait_exit(limit) || gone(pid, ticks, &exit_file),
            None => wait_gone(pid, ticks, &exit_file, limit),
        }
    };
    if !timeout.is_zero() {
        if let Err(e) = send(stop_signal) {
            if gone(pid, ticks, &exit_file) {
                return Ok(());
            }
            tracing::error!(
                "sending signal {stop_signal} to container {}: {e}",
                ctr.id()
            );
        }
        if wait(timeout) {
            return Ok(());
        }
        tracing::warn!(
            "StopSignal {} failed to stop container {} in {} seconds, resorting to SIGKILL",
            signal_name(stop_signal),
            ctr.name(),
            timeout.as_secs()
        );
    }
    if let Err(e) = send(libc::SIGKILL) {
        // The container may have exited on its own an instant ago: the
        // runtime says it is not running while conmon has yet to reap it.
        let stopped = rt
            .runtime_state(ctr.id())
            .is_ok_and(|st| st.status == "stopped");
        if gone(pid, ticks, &exit_file) || (stopped && wait(KILL_TIMEOUT)) {
            return Ok(());
        }
        return Err(e.context(format!("sending SIGKILL to container {}", ctr.id())));
    }
    if wait(KILL_TIMEOUT) {
        Ok(())
    } else {
        Err(Error::msg("given PIDs did not die within timeout"))
    }
}

/// The signal's name (`SIGTERM`), or its number when it has none.
pub(crate) fn signal_name(sig: i32) -> String {
    Signal::try_from(sig).map_or_else(|_| sig.to_string(), |s| s.as_str().to_string())
}

/// True when the process (PID `pid` started at `ticks`, 0 if unknown) no
/// longer exists, or conmon wrote the exit file. A reused PID is gone.
pub(crate) fn gone(pid: i32, ticks: u64, exit_file: &Path) -> bool {
    !rpod_runtime_core::process::is_alive(pid, ticks) || exit_file.exists()
}

/// Polls [`gone`] until it holds or `timeout` passes.
pub(crate) fn wait_gone(pid: i32, ticks: u64, exit_file: &Path, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if gone(pid, ticks, exit_file) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_names() {
        assert_eq!(signal_name(15), "SIGTERM");
        assert_eq!(signal_name(9), "SIGKILL");
        assert_eq!(signal_name(2), "SIGINT");
        assert_eq!(signal_name(99), "99");
    }

    #[test]
    fn a_dead_child_is_gone_and_a_live_one_is_not() {
        let dir = tempfile::tempdir().unwrap();
        let exit_file = dir.path().join("exit");
        let mut child = std::process::Command::new("sleep")
            .arg("30")
            .spawn()
            .unwrap();
        let pid = i32::try_from(child.id()).unwrap();
        let ticks = rpod_runtime_core::process::start_ticks(pid).unwrap();
        assert!(!gone(pid, ticks, &exit_file));
        assert!(
            gone(pid, ticks + 1, &exit_file),
            "another process's start time"
        );
        assert!(!wait_gone(pid, 0, &exit_file, Duration::from_millis(30)));
        std::fs::write(&exit_file, "0").unwrap();
        assert!(gone(pid, ticks, &exit_file));
        std::fs::remove_file(&exit_file).unwrap();
        child.kill().unwrap();
        child.wait().unwrap();
        assert!(wait_gone(pid, 0, &exit_file, Duration::from_secs(1)));
    }
}
