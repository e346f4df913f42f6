//! The one error type of the engine.
//!
//! Its variants are libpod's sentinel errors; their `Display` text is Podman's,
//! because the CLI prints it verbatim after `Error: `. Context is added with
//! [`Error::context`], which produces Podman's `context: cause` chains.
//! Backends map their own failures into these kinds so callers can match on
//! them (`NoSuchCtr`, `CtrExists`, ...) whatever the backend.

use std::io;
use std::path::{Path, PathBuf};

/// Convenience alias used throughout the engine.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Every failure the engine reports.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An object lookup found no container.
    #[error("no such container")]
    NoSuchCtr,
    /// An object lookup found no pod.
    #[error("no such pod")]
    NoSuchPod,
    /// An object lookup found no volume.
    #[error("no such volume")]
    NoSuchVolume,
    /// No exit code is recorded for the container.
    #[error("no such exit code")]
    NoSuchExitCode,
    /// No exec session with that ID.
    #[error("no such exec session")]
    NoSuchExecSession,
    /// Nothing (container, pod, image, volume) matched.
    #[error("no such object")]
    NoSuchObject,
    /// A container with that ID or name exists (also used for ambiguous prefixes, as libpod does).
    #[error("container already exists")]
    CtrExists,
    /// A pod with that ID or name exists.
    #[error("pod already exists")]
    PodExists,
    /// A volume with that name exists.
    #[error("volume already exists")]
    VolumeExists,
    /// An exec session with that ID exists.
    #[error("exec session already exists")]
    ExecSessionExists,
    /// Other objects still depend on this one.
    #[error("dependency exists")]
    DepExists,
    /// The container is in a state that does not allow the operation.
    #[error("container state improper")]
    CtrStateInvalid,
    /// The container is already stopped.
    #[error("container is stopped")]
    CtrStopped,
    /// The container was removed while the caller held a handle.
    #[error("container has already been removed")]
    CtrRemoved,
    /// The pod was removed while the caller held a handle.
    #[error("pod has already been removed")]
    PodRemoved,
    /// The volume was removed while the caller held a handle.
    #[error("volume has already been removed")]
    VolumeRemoved,
    /// The volume is used by containers.
    #[error("volume is being used")]
    VolumeBeingUsed,
    /// An empty ID or name was given.
    #[error("name or ID cannot be empty")]
    EmptyId,
    /// The state database was closed.
    #[error("database connection already closed")]
    DbClosed,
    /// The database was created with other paths than this runtime uses.
    #[error("database configuration mismatch")]
    DbMismatch,
    /// The runtime was shut down.
    #[error("runtime has already been stopped")]
    RuntimeStopped,
    /// No network has that name or ID.
    #[error("network not found")]
    NoSuchNetwork,
    /// A network with that name exists.
    #[error("network already exists")]
    NetworkExists,
    /// Containers use the network.
    #[error("network is being used")]
    NetworkInUse,
    /// A caller passed an invalid argument.
    #[error("invalid argument")]
    InvalidArg,
    /// A capability name that names no Linux capability (`--cap-add`,
    /// `--cap-drop`, containers.conf's `default_capabilities`); the payload
    /// is the name in canonical form (`CAP_FOO`).
    #[error("{0:?}: unknown capability")]
    UnknownCapability(String),
    /// Every lock is allocated.
    #[error("allocation failed; exceeded num_locks ({0})")]
    LocksExhausted(u32),
    /// The lock ID is already allocated (allocate-given).
    #[error("lock {0} is already allocated")]
    LockAllocated(u32),
    /// The lock ID is not allocated (free of a free lock).
    #[error("lock {0} is not allocated")]
    LockNotAllocated(u32),
    /// The shm segment holds another number of locks than configured.
    #[error(
        "the lock segment holds {found} locks but {configured} are configured; run `rpod system renumber` to resize it"
    )]
    LockCountMismatch {
        /// Locks in the existing segment.
        found: u32,
        /// Locks the configuration asks for (rounded up to a multiple of 32).
        configured: u32,
    },
    /// The OCI runtime could not find the command to run.
    #[error("OCI runtime attempted to invoke a command that was not found")]
    OciRuntimeNotFound,
    /// The OCI runtime was denied running the command.
    #[error("OCI runtime permission denied error")]
    OciRuntimePermissionDenied,
    /// Any other OCI runtime failure.
    #[error("OCI runtime error")]
    OciRuntime,
    /// The backend exists but was not compiled into this binary.
    #[error(
        "{kind} backend {name:?} is not compiled into this binary: rebuild with cargo feature `{feature}`"
    )]
    BackendNotCompiled {
        /// Which trait: "database", "lock", "events", ...
        kind: &'static str,
        /// The name asked for.
        name: String,
        /// The cargo feature of the `rpod` crate that provides it.
        feature: &'static str,
    },
    /// No backend of that kind has this name.
    #[error("unknown {kind} backend {name:?} (known: {known})")]
    UnknownBackend {
        /// Which trait: "database", "lock", "events", ...
        kind: &'static str,
        /// The name asked for.
        name: String,
        /// Comma-separated list of known names.
        known: String,
    },
    /// A configuration file could not be parsed.
    #[error("{path}:{line}: {message}")]
    ConfigParse {
        /// The file.
        path: PathBuf,
        /// 1-based line of the problem (0 when unknown).
        line: usize,
        /// What is wrong.
        message: String,
    },
    /// The operation is not supported by this backend.
    #[error("operation not supported")]
    NotSupported,
    /// An internal invariant was broken; the message says which.
    #[error("internal libpod error")]
    Internal,
    /// A file-system error with the path it concerns.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A JSON encode/decode error.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// A plain message (no sentinel).
    #[error("{0}")]
    Message(String),
    /// A context string wrapped around a cause; displays `context: cause`.
    #[error("{context}: {source}")]
    Context {
        /// What was being done.
        context: String,
        /// Why it failed.
        #[source]
        source: Box<Error>,
    },
}

impl Error {
    /// Wraps `self` with a context string, Podman style (`context: cause`).
    #[must_use]
    pub fn context(self, context: impl Into<String>) -> Self {
        Error::Context {
            context: context.into(),
            source: Box::new(self),
        }
    }

    /// An I/O error tied to a path.
    pub fn io(path: impl AsRef<Path>, source: io::Error) -> Self {
        Error::Io {
            path: path.as_ref().to_path_buf(),
            source,
        }
    }

    /// A plain message.
    pub fn msg(message: impl Into<String>) -> Self {
        Error::Message(message.into())
    }

    /// The innermost error, under every context wrapper.
    pub fn root(&self) -> &Error {
        let mut e = self;
        while let Error::Context { source, .. } = e {
            e = source;
        }
        e
    }

    /// True when the innermost error is the same kind as `other` (ignoring payloads).
    pub fn is(&self, other: &Error) -> bool {
        std::mem::discriminant(self.root()) == std::mem::discriminant(other)
    }
}

/// An I/O error as Go prints it: the OS's text, lower-case, without Rust's
/// `(os error N)`.
pub fn io_text(e: &io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => {
            let desc = nix::errno::Errno::from_raw(n).desc();
            let mut cs = desc.chars();
            cs.next()
                .map(|f| f.to_lowercase().collect::<String>() + cs.as_str())
                .unwrap_or_default()
        }
        None => e.to_string(),
    }
}

/// Adds Podman-style context to results.
pub trait ResultExt<T> {
    /// Wraps the error, if any, with `context`.
    fn context(self, context: impl Into<String>) -> Result<T>;
    /// Wraps the error, if any, with a lazily built context.
    fn with_context<S: Into<String>, F: FnOnce() -> S>(self, f: F) -> Result<T>;
}

impl<T, E: Into<Error>> ResultExt<T> for std::result::Result<T, E> {
    fn context(self, context: impl Into<String>) -> Result<T> {
        self.map_err(|e| e.into().context(context))
    }

    fn with_context<S: Into<String>, F: FnOnce() -> S>(self, f: F) -> Result<T> {
        self.map_err(|e| e.into().context(f()))
    }
}

/// Attaches a path to I/O results.
pub trait IoResultExt<T> {
    /// Turns an `io::Error` into [`Error::Io`] naming `path`.
    fn at(self, path: impl AsRef<Path>) -> Result<T>;
}

impl<T> IoResultExt<T> for std::result::Result<T, io::Error> {
    fn at(self, path: impl AsRef<Path>) -> Result<T> {
        self.map_err(|e| Error::io(path, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_chains_join_with_colon() {
        let e = Error::NoSuchCtr.context("no container with name or ID \"x\" found");
        assert_eq!(
            e.to_string(),
            "no container with name or ID \"x\" found: no such container"
        );
        assert!(e.is(&Error::NoSuchCtr));
        assert!(!e.is(&Error::NoSuchPod));
    }

    #[test]
    fn io_errors_name_the_path() {
        let e = std::fs::read("/nonexistent/x")
            .at("/nonexistent/x")
            .unwrap_err();
        assert!(e.to_string().starts_with("/nonexistent/x: "));
    }
}
