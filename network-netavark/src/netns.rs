//! Network namespaces pinned to files, as Podman pins them under
//! `/run/netns`: an empty file, and the namespace of a short-lived thread
//! that unshared it bind-mounted onto that file.

use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use nix::mount::{MntFlags, MsFlags};
use nix::sched::CloneFlags;
use rpod_runtime_core::error::IoResultExt;
use rpod_runtime_core::{Error, Result};

fn errno(what: &str, path: &Path, e: nix::Error) -> Error {
    Error::io(path, std::io::Error::from(e)).context(what.to_string())
}

/// Makes a new network namespace pinned at `dir/name` and returns the path.
/// A leftover of that name (a crash between create and record) is replaced.
pub(crate) fn create(dir: &Path, name: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).at(dir)?;
    let path = dir.join(name);
    if path.exists() {
        remove(&path)?;
    }
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o444)
        .open(&path)
        .at(&path)?;
    let target = path.clone();
    // unshare() changes only the calling thread's namespace: a thread of its
    // own keeps this process where it was.
    let pinned = std::thread::spawn(move || -> Result<()> {
        nix::sched::unshare(CloneFlags::CLONE_NEWNET)
            .map_err(|e| errno("creating network namespace", &target, e))?;
        nix::mount::mount(
            Some("/proc/thread-self/ns/net"),
            &target,
            None::<&str>,
            MsFlags::MS_BIND,
            None::<&str>,
        )
        .map_err(|e| errno("pinning network namespace", &target, e))
    })
    .join()
    .unwrap_or_else(|_| Err(Error::Internal.context("network namespace thread panicked")));
    if let Err(e) = pinned {
        let _ = std::fs::remove_file(&path);
        return Err(e);
    }
    Ok(path)
}

/// Unpins and removes a namespace file; one that is gone already is fine.
pub(crate) fn remove(path: &Path) -> Result<()> {
    match nix::mount::umount2(path, MntFlags::MNT_DETACH) {
        Ok(()) | Err(nix::Error::EINVAL) | Err(nix::Error::ENOENT) => {}
        Err(e) => return Err(errno("unmounting network namespace", path, e)),
    }
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(path, e).context("removing network namespace")),
    }
}

/// True when `path` holds a pinned namespace (an nsfs mount).
pub(crate) fn is_pinned(path: &Path) -> bool {
    nix::sys::statfs::statfs(path)
        .is_ok_and(|s| s.filesystem_type() == nix::sys::statfs::NSFS_MAGIC)
}
