//! Whole-file fcntl write locks, the kind containers/storage's lockfiles use
//! (`alive.lck`, `events.log.lock`, storage's lock files), so rpod and
//! Podman tools exclude each other on shared files.
//!
//! fcntl locks belong to the process: two threads of one process do not
//! exclude each other through them, so every [`LockFile`] also holds an
//! in-process mutex while the fcntl lock is held.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use nix::fcntl::{FcntlArg, fcntl};

use crate::error::{Error, IoResultExt, Result};

/// An open lock file.
#[derive(Debug)]
pub struct LockFile {
    path: PathBuf,
    file: File,
    in_process: Mutex<()>,
}

/// Holds the lock until dropped.
#[derive(Debug)]
pub struct LockFileGuard<'a> {
    lock: &'a LockFile,
    _thread: MutexGuard<'a, ()>,
}

/// A `struct flock` covering the whole file for a lock of `kind`
/// (`F_WRLCK`, `F_RDLCK` or `F_UNLCK`), usable with classic (`F_SETLK*`) and
/// open-file-description (`F_OFD_SETLK*`) requests alike: `l_pid` is 0, as
/// OFD requests require.
pub fn whole_file(kind: libc::c_int) -> libc::flock {
    libc::flock {
        l_type: kind as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: 0,
        l_len: 0,
        l_pid: 0,
    }
}

impl LockFile {
    /// Opens (creating with mode 0644 if needed) the lock file at `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o644)
            .custom_flags(libc::O_CLOEXEC)
            .open(path)
            .at(path)?;
        Ok(LockFile {
            path: path.to_path_buf(),
            file,
            in_process: Mutex::new(()),
        })
    }

    /// The lock file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Blocks until this thread holds the exclusive lock.
    pub fn lock(&self) -> Result<LockFileGuard<'_>> {
        let thread = self.in_process.lock().unwrap_or_else(|p| p.into_inner());
        let fl = whole_file(libc::F_WRLCK);
        loop {
            match fcntl(&self.file, FcntlArg::F_SETLKW(&fl)) {
                Ok(_) => break,
                Err(nix::errno::Errno::EINTR) => continue,
                Err(e) => {
                    return Err(
                        Error::io(&self.path, std::io::Error::from(e)).context("taking lock")
                    );
                }
            }
        }
        Ok(LockFileGuard {
            lock: self,
            _thread: thread,
        })
    }

    /// Takes the lock if it is free; `None` when another holder has it.
    pub fn try_lock(&self) -> Result<Option<LockFileGuard<'_>>> {
        let Ok(thread) = self.in_process.try_lock() else {
            return Ok(None);
        };
        let fl = whole_file(libc::F_WRLCK);
        match fcntl(&self.file, FcntlArg::F_SETLK(&fl)) {
            Ok(_) => Ok(Some(LockFileGuard {
                lock: self,
                _thread: thread,
            })),
            Err(nix::errno::Errno::EAGAIN | nix::errno::Errno::EACCES) => Ok(None),
            Err(e) => Err(Error::io(&self.path, std::io::Error::from(e)).context("taking lock")),
        }
    }
}

impl Drop for LockFileGuard<'_> {
    fn drop(&mut self) {
        let fl = whole_file(libc::F_UNLCK);
        if let Err(e) = fcntl(&self.lock.file, FcntlArg::F_SETLK(&fl)) {
            tracing::error!("unlocking {}: {e}", self.lock.path.display());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    #[test]
    fn threads_exclude_each_other() {
        let d = tempfile::tempdir().unwrap();
        let lock = Arc::new(LockFile::open(d.path().join("x.lock")).unwrap());
        let inside = Arc::new(AtomicU32::new(0));
        let handles: Vec<_> = (0..4)
            .map(|_| {
                let (lock, inside) = (Arc::clone(&lock), Arc::clone(&inside));
                std::thread::spawn(move || {
                    for _ in 0..200 {
                        let _g = lock.lock().unwrap();
                        assert_eq!(inside.fetch_add(1, Ordering::SeqCst), 0);
                        inside.fetch_sub(1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
    }

    #[test]
    fn try_lock_sees_a_holder() {
        let d = tempfile::tempdir().unwrap();
        let lock = LockFile::open(d.path().join("x.lock")).unwrap();
        let g = lock.try_lock().unwrap();
        assert!(g.is_some());
        assert!(lock.try_lock().unwrap().is_none());
        drop(g);
        assert!(lock.try_lock().unwrap().is_some());
    }
}
