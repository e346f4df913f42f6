//! Root-confined file access: every read or write the engine makes inside a
//! container's root filesystem (or a volume's data directory) goes through
//! a [`ConfinedRoot`].
//!
//! Paths are resolved by `pathrs` (openat2 with `RESOLVE_IN_ROOT` on kernels
//! that have it, a checked user-space walk otherwise): `..` stops at the root
//! and an absolute symlink is read relative to the root, as the container
//! itself sees it. A crafted image whose `/etc/passwd` is a symlink to
//! `/../../etc/shadow` therefore reads the image's own `etc/shadow` (or
//! nothing), never the host's file.

use std::fs::{File, Metadata, Permissions};
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use pathrs::flags::OpenFlags;
use pathrs::{InodeType, Root};

use crate::error::{Error, Result};

mod archive;
mod tree;

pub use archive::{UnpackOptions, copy_tree};

/// A directory opened once as a confinement root. Every path given to its
/// methods is taken as inside that root, whether or not it starts with `/`.
#[derive(Debug)]
pub struct ConfinedRoot {
    root: Root,
    host: PathBuf,
}

impl ConfinedRoot {
    /// Opens `host` (a directory on the host) as the root that later paths
    /// are resolved in.
    pub fn open(host: impl AsRef<Path>) -> Result<Self> {
        let host = host.as_ref();
        // Opened by the kernel's own lookup (the caller's path is trusted,
        // and may be a magic link such as `/proc/PID/root`, which names a
        // container's root in its own mount namespace).
        use std::os::unix::fs::OpenOptionsExt;
        let dir = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC)
            .open(host)
            .map_err(|e| Error::io(host, e))?;
        let root = Root::from_fd(OwnedFd::from(dir));
        Ok(Self {
            root,
            host: host.to_path_buf(),
        })
    }

    /// The host directory this root was opened on.
    pub fn host(&self) -> &Path {
        &self.host
    }

    /// Opens an existing file for reading, following symlinks inside the root.
    pub fn open_read(&self, path: impl AsRef<Path>) -> Result<File> {
        let path = path.as_ref();
        self.root
            .resolve(path)
            .and_then(|h| h.reopen(OpenFlags::O_RDONLY | OpenFlags::O_CLOEXEC))
            .map_err(|e| self.err(path, e))
    }

    /// The whole content of a file, or `None` when the path (or one of its
    /// parents, or a symlink's target) does not exist in the root.
    pub fn read(&self, path: impl AsRef<Path>) -> Result<Option<Vec<u8>>> {
        let path = path.as_ref();
        let mut file = match self.open_read(path) {
            Ok(f) => f,
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut buf = Vec::new();
        file.read_to_end(&mut buf)
            .map_err(|e| Error::io(self.shown(path), e))?;
        Ok(Some(buf))
    }

    /// Like [`read`](Self::read), decoding the bytes as UTF-8 (lossily).
    pub fn read_to_string(&self, path: impl AsRef<Path>) -> Result<Option<String>> {
        Ok(self
            .read(path)?
            .map(|b| String::from_utf8_lossy(&b).into_owned()))
    }

    /// Metadata of what `path` resolves to (symlinks followed inside the
    /// root), or `None` when it does not exist.
    pub fn metadata(&self, path: impl AsRef<Path>) -> Result<Option<Metadata>> {
        let path = path.as_ref();
        match self.root.resolve(path) {
            Ok(h) => fd_metadata(h)
                .map(Some)
                .map_err(|e| Error::io(self.shown(path), e)),
            Err(e) if errno(&e) == Some(libc::ENOENT) => Ok(None),
            Err(e) => Err(self.err(path, e)),
        }
    }

    /// Metadata of `path` itself: a final symlink is not followed (its
    /// parents are, inside the root). `None` when it does not exist.
    pub fn symlink_metadata(&self, path: impl AsRef<Path>) -> Result<Option<Metadata>> {
        let path = path.as_ref();
        match self.root.resolve_nofollow(path) {
            Ok(h) => fd_metadata(h)
                .map(Some)
                .map_err(|e| Error::io(self.shown(path), e)),
            Err(e) if errno(&e) == Some(libc::ENOENT) => Ok(None),
            Err(e) => Err(self.err(path, e)),
        }
    }

    /// Creates `path` and its missing parents as directories with `mode`
    /// (existing components keep theirs).
    pub fn create_dir_all(&self, path: impl AsRef<Path>, mode: u32) -> Result<()> {
        let path = path.as_ref();
        self.root
            .mkdir_all(path, &Permissions::from_mode(mode))
            .map(drop)
            .map_err(|e| self.err(path, e))
    }

    /// Writes `bytes` to the file at `path`, creating it with `mode` or
    /// truncating it. The parent directory must exist in the root.
    pub fn write(&self, path: impl AsRef<Path>, bytes: &[u8], mode: u32) -> Result<()> {
        let path = path.as_ref();
        let mut file = self
            .root
            .create_file(
                path,
                OpenFlags::O_WRONLY | OpenFlags::O_TRUNC | OpenFlags::O_CLOEXEC,
                &Permissions::from_mode(mode),
            )
            .map_err(|e| self.err(path, e))?;
        file.write_all(bytes)
            .map_err(|e| Error::io(self.shown(path), e))
    }

    /// Creates a symlink at `path` pointing at `target` (stored as given;
    /// it is resolved inside the root when followed through this type).
    pub fn symlink(&self, path: impl AsRef<Path>, target: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        self.root
            .create(path, &InodeType::Symlink(target.as_ref().to_path_buf()))
            .map_err(|e| self.err(path, e))
    }

    /// Removes `path` and everything below it; a final symlink is removed,
    /// not followed. Absent paths are fine.
    pub fn remove_all(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        match self.root.remove_all(path) {
            Err(e) if errno(&e) != Some(libc::ENOENT) => Err(self.err(path, e)),
            _ => Ok(()),
        }
    }

    /// The host path that `path` resolves to inside the root (symlinks
    /// followed inside it), or `None` when it does not exist. For handing a
    /// checked location to code that needs a path (a bind mount's source, a
    /// tar writer). The answer is the kernel's, read back from the resolved
    /// handle, so it never names anything outside the root.
    pub fn host_path_of(&self, path: impl AsRef<Path>) -> Result<Option<PathBuf>> {
        let path = path.as_ref();
        let handle = match self.root.resolve(path) {
            Ok(h) => h,
            Err(e) if errno(&e) == Some(libc::ENOENT) => return Ok(None),
            Err(e) => return Err(self.err(path, e)),
        };
        let link = format!("/proc/self/fd/{}", handle.as_fd().as_raw_fd());
        let real = std::fs::read_link(&link).map_err(|e| Error::io(&link, e))?;
        let real_root = std::fs::canonicalize(&self.host).map_err(|e| Error::io(&self.host, e))?;
        if !real.starts_with(&real_root) {
            return Err(Error::msg(format!(
                "{} resolves outside {}",
                path.display(),
                self.host.display()
            )));
        }
        Ok(Some(real))
    }

    /// `path` shown as the host path it names, for messages.
    pub(crate) fn shown(&self, path: &Path) -> PathBuf {
        self.host.join(path.strip_prefix("/").unwrap_or(path))
    }

    pub(crate) fn err(&self, path: &Path, e: pathrs::error::Error) -> Error {
        Error::io(self.shown(path), to_io(e))
    }
}

/// Metadata of the object a resolved (`O_PATH`) handle refers to, itself
/// (fstat does not follow a symlink the handle names).
fn fd_metadata(handle: pathrs::Handle) -> io::Result<Metadata> {
    File::from(OwnedFd::from(handle)).metadata()
}

/// The errno behind a pathrs error, when it came from a system call.
fn errno(e: &pathrs::error::Error) -> Option<i32> {
    match e.kind() {
        pathrs::error::ErrorKind::OsError(n) => n,
        _ => None,
    }
}

/// A pathrs error as an `io::Error`, keeping the errno where there is one so
/// callers can match on `ErrorKind::NotFound` and friends.
fn to_io(e: pathrs::error::Error) -> io::Error {
    match errno(&e) {
        Some(n) => io::Error::from_raw_os_error(n),
        None => io::Error::other(e.to_string()),
    }
}

/// True when `e` is an I/O error meaning "no such file or directory".
pub fn is_not_found(e: &Error) -> bool {
    matches!(e.root(), Error::Io { source, .. } if source.kind() == io::ErrorKind::NotFound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    /// A host directory with a secret, and a root beside it full of traps
    /// pointing at the secret.
    fn trapped() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let d = tempfile::tempdir().unwrap();
        let secret = d.path().join("secret");
        std::fs::write(&secret, "host secret\n").unwrap();
        let root = d.path().join("root");
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(root.join("etc/own"), "inside\n").unwrap();
        // Absolute link to the host file, relative link climbing out, and a
        // directory link to the host's parent directory.
        symlink(&secret, root.join("etc/abs")).unwrap();
        symlink("../../secret", root.join("etc/rel")).unwrap();
        symlink(d.path(), root.join("escape")).unwrap();
        (d, root, secret)
    }

    #[test]
    fn symlinks_never_leave_the_root() {
        let (_d, root, _secret) = trapped();
        let r = ConfinedRoot::open(&root).unwrap();
        assert_eq!(
            r.read_to_string("/etc/own").unwrap().as_deref(),
            Some("inside\n")
        );
        // Each trap resolves inside the root, where there is no "secret".
        assert_eq!(r.read("/etc/abs").unwrap(), None);
        assert_eq!(r.read("etc/rel").unwrap(), None);
        assert_eq!(r.read("/escape/secret").unwrap(), None);
        assert_eq!(r.read("/../../secret").unwrap(), None);
        // Plant a file where the traps land inside the root: now they read it.
        std::fs::write(root.join("secret"), "root's own\n").unwrap();
        assert_eq!(
            r.read_to_string("etc/rel").unwrap().as_deref(),
            Some("root's own\n")
        );
    }

    #[test]
    fn writes_through_traps_stay_inside() {
        let (d, root, secret) = trapped();
        let r = ConfinedRoot::open(&root).unwrap();
        // The link's target does not exist inside the root: refused.
        assert!(r.create_dir_all("/escape/made", 0o755).is_err());
        assert!(!d.path().join("made").exists(), "mkdir escaped the root");
        // Once the target exists inside the root, the directory lands there.
        let inside = root.join(d.path().strip_prefix("/").unwrap());
        std::fs::create_dir_all(&inside).unwrap();
        r.create_dir_all("/escape/made", 0o755).unwrap();
        assert!(!d.path().join("made").exists(), "mkdir escaped the root");
        assert!(inside.join("made").is_dir());
        // Writing through the absolute link either fails or lands inside.
        let _ = r.write("/etc/abs", b"owned", 0o644);
        assert_eq!(std::fs::read_to_string(&secret).unwrap(), "host secret\n");
        r.write("/etc/new", b"x", 0o600).unwrap();
        let m = r.metadata("/etc/new").unwrap().unwrap();
        assert_eq!(m.permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn host_path_of_names_the_resolved_target_inside() {
        let (_d, root, _secret) = trapped();
        std::fs::create_dir_all(root.join("data/real")).unwrap();
        symlink("/data/real", root.join("link")).unwrap();
        let r = ConfinedRoot::open(&root).unwrap();
        let p = r.host_path_of("/link").unwrap().unwrap();
        assert_eq!(p, std::fs::canonicalize(root.join("data/real")).unwrap());
        assert_eq!(r.host_path_of("/nope").unwrap(), None);
        assert!(r.metadata("/link").unwrap().unwrap().is_dir());
        assert!(
            r.symlink_metadata("/link")
                .unwrap()
                .unwrap()
                .file_type()
                .is_symlink()
        );
    }

    #[test]
    fn missing_root_is_an_io_error_naming_it() {
        let e = ConfinedRoot::open("/nonexistent/rpod-root").unwrap_err();
        assert!(is_not_found(&e), "{e}");
        assert!(e.to_string().contains("/nonexistent/rpod-root"), "{e}");
    }
}
