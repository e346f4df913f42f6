//! The [`ConfinedRoot`] operations that walk and rebuild trees: listing a
//! directory, reading a link, opening a file without following it, and
//! creating files, links and FIFOs with the owner, mode and times a copy
//! keeps. Each resolves its path inside the root; none follows a final
//! symlink.

use std::ffi::OsString;
use std::fs::{File, Permissions};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use nix::fcntl::{AT_FDCWD, AtFlags};
use nix::sys::stat::{FchmodatFlags, Mode, UtimensatFlags, fchmodat, utimensat};
use nix::sys::time::TimeSpec;
use nix::unistd::{Gid, Uid, fchownat};
use pathrs::InodeType;
use pathrs::flags::OpenFlags;

use super::ConfinedRoot;
use crate::error::{Error, Result};

impl ConfinedRoot {
    /// The names in directory `path` (not `.` and `..`), sorted. A final
    /// symlink is not followed: listing one is an error.
    pub fn read_dir(&self, path: impl AsRef<Path>) -> Result<Vec<OsString>> {
        let path = path.as_ref();
        let fd: OwnedFd = self
            .root
            .resolve_nofollow(path)
            .and_then(|h| {
                h.reopen(OpenFlags::O_RDONLY | OpenFlags::O_DIRECTORY | OpenFlags::O_CLOEXEC)
            })
            .map_err(|e| self.err(path, e))?
            .into();
        let mut dir =
            nix::dir::Dir::from_fd(fd).map_err(|e| Error::io(self.shown(path), e.into()))?;
        let mut names = Vec::new();
        for entry in dir.iter() {
            let entry = entry.map_err(|e| Error::io(self.shown(path), e.into()))?;
            let name = entry.file_name().to_bytes();
            if name != b"." && name != b".." {
                names.push(std::ffi::OsStr::from_bytes(name).to_os_string());
            }
        }
        names.sort();
        Ok(names)
    }

    /// The directory `path` resolves to (symlinks followed inside this
    /// root) as a root of its own: paths given to it cannot leave it.
    pub fn subroot(&self, path: impl AsRef<Path>) -> Result<ConfinedRoot> {
        let path = path.as_ref();
        let fd: OwnedFd = self
            .root
            .resolve(path)
            .and_then(|h| {
                h.reopen(OpenFlags::O_RDONLY | OpenFlags::O_DIRECTORY | OpenFlags::O_CLOEXEC)
            })
            .map_err(|e| self.err(path, e))?
            .into();
        Ok(ConfinedRoot {
            root: pathrs::Root::from_fd(fd),
            host: self.shown(path),
        })
    }

    /// The target of the symlink at `path`, as stored.
    pub fn readlink(&self, path: impl AsRef<Path>) -> Result<PathBuf> {
        let path = path.as_ref();
        self.root.readlink(path).map_err(|e| self.err(path, e))
    }

    /// Opens the regular file at `path` for reading; a final symlink is
    /// not followed (it is an error).
    pub fn open_nofollow(&self, path: impl AsRef<Path>) -> Result<File> {
        let path = path.as_ref();
        self.root
            .resolve_nofollow(path)
            .and_then(|h| h.reopen(OpenFlags::O_RDONLY | OpenFlags::O_CLOEXEC))
            .map_err(|e| self.err(path, e))
    }

    /// Creates (or truncates) the regular file at `path` with `mode` and
    /// opens it for writing. A symlink in its place is not followed (it is
    /// an error: remove it first).
    pub fn create_file(&self, path: impl AsRef<Path>, mode: u32) -> Result<File> {
        let path = path.as_ref();
        self.root
            .create_file(
                path,
                OpenFlags::O_WRONLY | OpenFlags::O_TRUNC | OpenFlags::O_CLOEXEC,
                &Permissions::from_mode(mode),
            )
            .map_err(|e| self.err(path, e))
    }

    /// Creates a hard link at `path` to `target` (both inside the root).
    pub fn hardlink(&self, path: impl AsRef<Path>, target: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        self.root
            .create(path, &InodeType::Hardlink(target.as_ref().to_path_buf()))
            .map_err(|e| self.err(path, e))
    }

    /// Creates a FIFO at `path` with `mode`.
    pub fn mkfifo(&self, path: impl AsRef<Path>, mode: u32) -> Result<()> {
        let path = path.as_ref();
        self.root
            .create(path, &InodeType::Fifo(Permissions::from_mode(mode)))
            .map_err(|e| self.err(path, e))
    }

    /// Sets the owner of `path` itself (a symlink's own owner).
    pub fn set_owner(&self, path: impl AsRef<Path>, uid: u32, gid: u32) -> Result<()> {
        let path = path.as_ref();
        let h = self
            .root
            .resolve_nofollow(path)
            .map_err(|e| self.err(path, e))?;
        fchownat(
            h.as_fd(),
            "",
            Some(Uid::from_raw(uid)),
            Some(Gid::from_raw(gid)),
            AtFlags::AT_EMPTY_PATH | AtFlags::AT_SYMLINK_NOFOLLOW,
        )
        .map_err(|e| Error::io(self.shown(path), e.into()))
    }

    /// Gives `path` and everything below it (symlinks themselves, not
    /// their targets) the owner `uid:gid`.
    pub fn chown_tree(&self, path: impl AsRef<Path>, uid: u32, gid: u32) -> Result<()> {
        let path = path.as_ref();
        self.set_owner(path, uid, gid)?;
        let is_dir = self
            .symlink_metadata(path)?
            .is_some_and(|m| m.file_type().is_dir());
        if is_dir {
            for child in self.read_dir(path)? {
                self.chown_tree(path.join(child), uid, gid)?;
            }
        }
        Ok(())
    }

    /// Sets the permission bits (with setuid/setgid/sticky) and, when
    /// given, the modification time of `path`; a symlink is left as it is.
    pub fn set_mode_and_mtime(
        &self,
        path: impl AsRef<Path>,
        mode: u32,
        mtime: Option<u64>,
    ) -> Result<()> {
        let path = path.as_ref();
        let h = self
            .root
            .resolve_nofollow(path)
            .map_err(|e| self.err(path, e))?;
        let fd = h.as_fd();
        let meta = File::from(
            fd.try_clone_to_owned()
                .map_err(|e| Error::io(self.shown(path), e))?,
        )
        .metadata()
        .map_err(|e| Error::io(self.shown(path), e))?;
        if meta.file_type().is_symlink() {
            return Ok(());
        }
        // The handle's own inode, named through its /proc magic link, so
        // nothing is looked up again by path.
        let proc = format!("/proc/self/fd/{}", fd.as_raw_fd());
        let io = |e: nix::errno::Errno| Error::io(self.shown(path), e.into());
        fchmodat(
            AT_FDCWD,
            proc.as_str(),
            Mode::from_bits_truncate(mode & 0o7777),
            FchmodatFlags::FollowSymlink,
        )
        .map_err(io)?;
        if let Some(secs) = mtime {
            let secs = i64::try_from(secs).unwrap_or(i64::MAX);
            let t = TimeSpec::new(secs, 0);
            utimensat(
                AT_FDCWD,
                proc.as_str(),
                &t,
                &t,
                UtimensatFlags::FollowSymlink,
            )
            .map_err(io)?;
        }
        Ok(())
    }
}
