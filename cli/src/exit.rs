//! The one place where failures become exit codes and `Error: ...` lines.
//!
//! Podman's codes: 125 for the engine's own errors, 126 when the container's
//! command cannot be invoked, 127 when it is not found, and the container's
//! own exit code where a command passes it through.

use rpod_runtime_core::Error;

/// Exit code for the engine's own errors.
pub const ENGINE_ERROR: i32 = 125;
/// Exit code when a command cannot be invoked.
pub const CANNOT_INVOKE: i32 = 126;
/// Exit code when a command is not found.
pub const NOT_FOUND: i32 = 127;

/// A command's failure, with the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// An engine error; the code comes from its kind.
    #[error(transparent)]
    Engine(#[from] Error),
    /// A usage or input error (exit 125).
    #[error("{0}")]
    Usage(String),
    /// Exit with this code and print nothing more (the message, if any, was printed).
    #[error("exit status {0}")]
    Exit(i32),
}

impl CliError {
    /// The exit code Podman uses for this failure.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Engine(e) => engine_exit_code(e),
            CliError::Usage(_) => ENGINE_ERROR,
            CliError::Exit(code) => *code,
        }
    }

    /// True when an `Error: ...` line should be printed.
    pub fn prints(&self) -> bool {
        !matches!(self, CliError::Exit(_))
    }
}

/// Maps an engine error to Podman's exit code.
pub fn engine_exit_code(e: &Error) -> i32 {
    match e.root() {
        Error::OciRuntimeNotFound => NOT_FOUND,
        Error::OciRuntimePermissionDenied => CANNOT_INVOKE,
        _ => ENGINE_ERROR,
    }
}

impl From<String> for CliError {
    fn from(s: String) -> Self {
        CliError::Usage(s)
    }
}

/// The exit code of `run` when its container fails to start: Podman reads
/// the message, 127 when it says something was not found, 126 otherwise.
/// A backend this binary lacks is the engine's own error (125), not the
/// container's.
pub fn start_failure_exit_code(e: &Error) -> i32 {
    if matches!(
        e.root(),
        Error::BackendNotCompiled { .. } | Error::UnknownBackend { .. }
    ) {
        return ENGINE_ERROR;
    }
    let msg = e.to_string().to_lowercase();
    if msg.contains("not found") || msg.contains("no such file") {
        NOT_FOUND
    } else {
        CANNOT_INVOKE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_podman() {
        assert_eq!(CliError::from(Error::NoSuchCtr).exit_code(), 125);
        let nf = Error::OciRuntimeNotFound.context("runc: exec: \"x\"");
        assert_eq!(CliError::from(nf).exit_code(), 127);
        assert_eq!(
            CliError::from(Error::OciRuntimePermissionDenied).exit_code(),
            126
        );
        assert_eq!(CliError::Exit(3).exit_code(), 3);
        let lacking = Error::BackendNotCompiled {
            kind: "OCI runtime",
            name: "conmon".into(),
            feature: "oci-conmon",
        }
        .context("starting container");
        assert_eq!(start_failure_exit_code(&lacking), 125);
        let gone = Error::InvalidArg.context("workdir \"/x\" does not exist on container 1");
        assert_eq!(start_failure_exit_code(&gone), 126);
        let missing = Error::OciRuntime.context("exec: \"x\": no such file or directory");
        assert_eq!(start_failure_exit_code(&missing), 127);
        assert!(!CliError::Exit(3).prints());
    }
}
