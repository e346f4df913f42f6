//! The seccomp filter of a container: which profile it gets, and that profile
//! compiled for this host and the container's capabilities.
//!
//! Seccomp fails closed. A container runs without a filter only when it
//! asked to: `--privileged`, or the profile name `unconfined`. Every other
//! choice gives a filter or an error; a profile file that is missing,
//! unreadable or not a valid profile is an error naming the file, never a
//! container that silently runs unconfined.
//!
//! containers.conf's `seccomp_profile` names the profile. An empty name, or
//! containers-common's default path when that file is not installed, means
//! the default profile: containers-common's file when it is there, else the
//! copy built into rpod (`default.json`; README.md says where it comes from).

mod compile;

use std::path::{Path, PathBuf};

use caps::Capability;
use oci_spec::runtime::LinuxSeccomp;

pub(crate) use compile::{native_arch, parse_kernel_version};

use super::Host;
use crate::error::{Error, Result};

/// Where containers-common installs the default profile.
pub(crate) const DEFAULT_PROFILE_PATH: &str = "/usr/share/containers/seccomp.json";

/// The profile name that turns seccomp off (`seccomp=unconfined`).
pub(crate) const UNCONFINED: &str = "unconfined";

/// Podman's default profile, built in for hosts without containers-common.
const BUILTIN_PROFILE: &str = include_str!("default.json");

/// Where a container's profile comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    /// No filter at all.
    Unconfined,
    /// The built-in copy of the default profile.
    Builtin,
    /// A profile file, which must exist and be valid.
    File(PathBuf),
}

/// The source for the profile name `configured` (containers.conf's
/// `seccomp_profile`), with the default profile at `default_path`.
fn source(configured: &str, default_path: &Path) -> Source {
    if configured == UNCONFINED {
        return Source::Unconfined;
    }
    let is_default = configured.is_empty() || Path::new(configured) == default_path;
    // Only a default file known to be absent falls back; any other failure
    // to look (a permission error, say) is reported by reading it.
    if is_default && matches!(default_path.try_exists(), Ok(false)) {
        return Source::Builtin;
    }
    if configured.is_empty() {
        Source::File(default_path.to_path_buf())
    } else {
        Source::File(PathBuf::from(configured))
    }
}

/// The container's `linux.seccomp`: `None` when it runs unconfined
/// (`privileged`, or the profile `unconfined`), else the profile named by
/// `configured` compiled for `bounding` and `host`, or an error that names
/// the profile file.
pub(crate) fn for_container(
    privileged: bool,
    configured: &str,
    bounding: &[Capability],
    host: &Host,
) -> Result<Option<LinuxSeccomp>> {
    if privileged {
        tracing::debug!("privileged container: no seccomp filter");
        return Ok(None);
    }
    match source(configured, &host.seccomp_default) {
        Source::Unconfined => {
            tracing::debug!("seccomp profile {UNCONFINED:?}: no seccomp filter");
            Ok(None)
        }
        Source::Builtin => {
            tracing::debug!(
                "{} is absent: using the built-in default seccomp profile",
                host.seccomp_default.display()
            );
            compile::compile_text(BUILTIN_PROFILE, bounding, host)
                .map_err(|e| e.context("loading the built-in default seccomp profile failed"))
        }
        Source::File(path) => load_file(&path, bounding, host),
    }
}

/// Reads and compiles the profile file at `path`; every failure names it.
fn load_file(path: &Path, bounding: &[Capability], host: &Host) -> Result<Option<LinuxSeccomp>> {
    tracing::debug!("loading seccomp profile from {}", path.display());
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::msg(format!(
            "opening seccomp profile failed: open {}: {}",
            path.display(),
            io_text(&e)
        ))
    })?;
    compile::compile_text(&text, bounding, host).map_err(|e| {
        e.context(format!(
            "loading seccomp profile ({}) failed",
            path.display()
        ))
    })
}

use crate::error::io_text;

#[cfg(test)]
pub(crate) mod tests;
