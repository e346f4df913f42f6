//! Whole-file write locks on open file descriptions (`F_OFD_SETLKW`), the
//! only place this crate locks files, so the lock kind can change here alone.
//!
//! OFD locks are fcntl record locks owned by the open file description
//! rather than by the process. Compared with classic `F_SETLKW` locks:
//! * two descriptions exclude each other even within one process, so two
//!   threads (or two managers) of one process exclude each other in the
//!   kernel too;
//! * closing some other descriptor of the same file does not drop the lock
//!   (with classic locks, *any* `close` of the file by the process does);
//! * they conflict with classic fcntl locks, so Podman and containers/storage
//!   holders (classic locks on the same file) are still excluded;
//! * like classic locks, the kernel drops them when the holder dies.

use std::fs::File;
use std::io;

use nix::errno::Errno;
use nix::fcntl::{FcntlArg, fcntl};
use rpod_runtime_core::lockfile::whole_file;

/// Blocks until `file`'s description holds a write lock on the whole file.
pub(crate) fn lock(file: &File) -> io::Result<()> {
    let fl = whole_file(libc::F_WRLCK);
    loop {
        match fcntl(file, FcntlArg::F_OFD_SETLKW(&fl)) {
            Ok(_) => return Ok(()),
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(e.into()),
        }
    }
}

/// Releases `file`'s lock (even if a forked child shares the description).
pub(crate) fn unlock(file: &File) -> io::Result<()> {
    let fl = whole_file(libc::F_UNLCK);
    fcntl(file, FcntlArg::F_OFD_SETLK(&fl))
        .map(drop)
        .map_err(io::Error::from)
}

/// True when some other description (any process, this one included) holds
/// a lock that would block a write lock through `file`.
pub(crate) fn is_locked_elsewhere(file: &File) -> io::Result<bool> {
    let mut fl = whole_file(libc::F_WRLCK);
    fcntl(file, FcntlArg::F_OFD_GETLK(&mut fl))?;
    Ok(fl.l_type != libc::F_UNLCK as libc::c_short)
}
