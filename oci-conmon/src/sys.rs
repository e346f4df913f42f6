//! The crate's only `unsafe`: spawning a child with chosen descriptors at
//! fds 3, 4, 5 … (conmon's `_OCI_SYNCPIPE`, `_OCI_STARTPIPE`, `_OCI_ATTACHPIPE`).
//!
//! Every descriptor rpod opens is close-on-exec; only the child's copies
//! made here, in the forked child just before `exec`, lose the flag, so no
//! other process (another thread's spawn, conmon's own children) ever holds
//! an end of these sockets.
#![allow(unsafe_code)]

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};

/// The descriptor the first passed fd gets in the child.
pub(crate) const FIRST_CHILD_FD: RawFd = 3;

/// At most this many descriptors can be passed.
const MAX_FDS: usize = 8;

/// Spawns `cmd` with `fds[i]` open at descriptor `3 + i` in the child (without
/// close-on-exec). The parent's copies are closed once the child exists.
pub(crate) fn spawn_with_fds(cmd: &mut Command, fds: Vec<OwnedFd>) -> io::Result<Child> {
    if fds.len() > MAX_FDS {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "too many descriptors to pass",
        ));
    }
    let raw: Vec<RawFd> = fds.iter().map(AsRawFd::as_raw_fd).collect();
    // SAFETY: the hook runs in the forked child between fork and exec.
    // `place_fds` only calls fcntl(2) and dup2(2), which are
    // async-signal-safe, allocates nothing, takes no lock, and only reads
    // `raw`, allocated before the fork. The descriptors it names stay open in
    // the parent (owned by `fds`) until `spawn` has returned.
    unsafe {
        cmd.pre_exec(move || place_fds(&raw));
    }
    let child = cmd.spawn();
    drop(fds);
    child
}

/// Moves `raw[i]` to descriptor `3 + i`. Runs in the forked child.
fn place_fds(raw: &[RawFd]) -> io::Result<()> {
    let mut moved = [-1 as RawFd; MAX_FDS];
    let above = FIRST_CHILD_FD + MAX_FDS as RawFd;
    // First move every source out of the target range, so that placing one
    // cannot overwrite a source still to be placed.
    for (slot, &fd) in moved.iter_mut().zip(raw) {
        // SAFETY: fcntl(F_DUPFD_CLOEXEC) on a descriptor that is open in this
        // process (inherited from the parent); it creates a new descriptor
        // and touches no memory of ours.
        let copy = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, above) };
        if copy < 0 {
            return Err(io::Error::last_os_error());
        }
        *slot = copy;
    }
    for (target, &copy) in (FIRST_CHILD_FD..).zip(&moved[..raw.len()]) {
        // SAFETY: dup2 between two descriptor numbers; `copy` is open (made
        // above) and the new descriptor `target` is created without
        // close-on-exec, which is the point. The close-on-exec copy vanishes
        // at exec.
        if unsafe { libc::dup2(copy, target) } < 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}
