//! A container's init process held by a pidfd: signalled and waited for
//! without spawning `runc kill` and without sleeping in a loop.
//!
//! A pidfd names one process for as long as it is open, so a signal sent
//! through it can never reach another process that later gets the same PID.
//! Before using one, [`InitProcess::open`] checks that the process is the
//! child of the container's conmon, which is what the container's init is
//! (conmon forks runc, and runc's init is re-parented to conmon, its
//! subreaper); any other process with that PID is refused.

use std::os::fd::OwnedFd;
use std::time::{Duration, Instant};

use rustix::event::{PollFd, PollFlags, Timespec, poll};
use rustix::io::Errno;
use rustix::process::{Pid, PidfdFlags, Signal, pidfd_open, pidfd_send_signal};

/// The container's init process, pinned by a pidfd.
#[derive(Debug)]
pub(crate) struct InitProcess {
    fd: OwnedFd,
}

/// Why a pidfd could not be used.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Unusable {
    /// The process no longer exists.
    Gone,
    /// The kernel has no pidfds, or the PID belongs to someone else, or its
    /// parent could not be read: fall back to the runtime.
    Unsupported,
}

impl InitProcess {
    /// Opens a pidfd on `pid` if it is a child of `conmon_pid`.
    pub(crate) fn open(pid: i32, conmon_pid: i32) -> Result<InitProcess, Unusable> {
        let Some(p) = Pid::from_raw(pid) else {
            return Err(Unusable::Unsupported);
        };
        let fd = match pidfd_open(p, PidfdFlags::empty()) {
            Ok(fd) => fd,
            Err(Errno::SRCH) => return Err(Unusable::Gone),
            Err(_) => return Err(Unusable::Unsupported),
        };
        // Read after opening: if the parent checks out and the pidfd still
        // refers to a live process afterwards, both name the same process.
        let parent = parent_of(pid);
        let init = InitProcess { fd };
        if init.wait_exit(Duration::ZERO) {
            return Err(Unusable::Gone);
        }
        match parent {
            Some(ppid) if conmon_pid > 0 && ppid == conmon_pid => Ok(init),
            _ => Err(Unusable::Unsupported),
        }
    }

    /// Sends `signal`; `Ok(false)` when the process has already exited.
    pub(crate) fn signal(&self, signal: i32) -> std::io::Result<bool> {
        let sig = Signal::from_named_raw(signal)
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::InvalidInput))?;
        match pidfd_send_signal(&self.fd, sig) {
            Ok(()) => Ok(true),
            Err(Errno::SRCH) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Waits up to `timeout` for the process to exit; true once it has.
    pub(crate) fn wait_exit(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let ts = Timespec {
                tv_sec: i64::try_from(left.as_secs()).unwrap_or(i64::MAX),
                tv_nsec: i64::from(left.subsec_nanos()),
            };
            let mut fds = [PollFd::new(&self.fd, PollFlags::IN)];
            match poll(&mut fds, Some(&ts)) {
                Ok(n) if n > 0 => return true,
                Ok(_) => return false,
                Err(Errno::INTR) if !left.is_zero() => {}
                Err(_) => return false,
            }
        }
    }
}

/// The parent PID from `/proc/<pid>/stat`.
fn parent_of(pid: i32) -> Option<i32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // "pid (comm) state ppid …": comm may contain spaces and parentheses,
    // so fields are counted after the last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    fn own_pid() -> i32 {
        i32::try_from(std::process::id()).unwrap()
    }

    #[test]
    fn a_child_is_signalled_and_its_exit_seen() {
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        let pid = i32::try_from(child.id()).unwrap();
        let p = InitProcess::open(pid, own_pid()).unwrap();
        assert!(p.signal(0).is_err(), "0 is not a signal to send");
        assert!(!p.wait_exit(Duration::from_millis(30)), "still running");
        assert!(p.signal(libc::SIGKILL).unwrap());
        assert!(p.wait_exit(Duration::from_secs(5)));
        child.wait().unwrap();
        // Reaped: the pidfd still names it, and signalling reports it gone.
        assert!(!p.signal(libc::SIGTERM).unwrap());
        assert!(p.wait_exit(Duration::ZERO));
    }

    #[test]
    fn a_process_with_another_parent_is_refused() {
        let mut child = Command::new("sleep").arg("30").spawn().unwrap();
        let pid = i32::try_from(child.id()).unwrap();
        // Our child, but not the named conmon's.
        assert_eq!(
            InitProcess::open(pid, own_pid() + 100_000).unwrap_err(),
            Unusable::Unsupported
        );
        assert_eq!(
            InitProcess::open(pid, 0).unwrap_err(),
            Unusable::Unsupported
        );
        child.kill().unwrap();
        child.wait().unwrap();
        assert_eq!(
            InitProcess::open(pid, own_pid()).unwrap_err(),
            Unusable::Gone
        );
    }

    #[test]
    fn parents_are_read_from_proc() {
        assert_eq!(
            parent_of(own_pid()),
            Some(i32::try_from(std::os::unix::process::parent_id()).unwrap())
        );
        let comm_with_parens = parent_of(1);
        assert_eq!(comm_with_parens, Some(0));
    }
}
