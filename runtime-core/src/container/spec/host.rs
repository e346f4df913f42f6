//! What the host decides about a spec (grantable capabilities, cgroup
//! version, architecture, kernel version, where the default seccomp profile
//! lives), read once so tests can pin it.

use std::path::PathBuf;

use caps::Capability;

use super::apparmor::AppArmorHost;
use super::{capabilities, seccomp};

/// What the host decides about a spec, read once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Host {
    /// The capabilities the kernel knows and this process may grant, sorted by name.
    pub grantable: Vec<Capability>,
    /// `/sys/fs/cgroup` is cgroup v2.
    pub cgroup2: bool,
    /// The architecture in Go/libseccomp naming (`amd64`, `arm64`, ...).
    pub arch: &'static str,
    /// Kernel (major, minor).
    pub kernel: (u32, u32),
    /// containers-common's default seccomp profile (which may be absent).
    pub seccomp_default: PathBuf,
    /// AppArmor: enabled, and the loaded profiles.
    pub apparmor: AppArmorHost,
}

impl Host {
    /// Reads the running host.
    pub(crate) fn detect() -> Host {
        let cgroup2 = nix::sys::statfs::statfs("/sys/fs/cgroup")
            .map(|s| s.filesystem_type() == nix::sys::statfs::CGROUP2_SUPER_MAGIC)
            .unwrap_or(false);
        let kernel = nix::sys::utsname::uname()
            .ok()
            .and_then(|u| u.release().to_str().and_then(seccomp::parse_kernel_version))
            .unwrap_or((0, 0));
        Host {
            grantable: capabilities::grantable(),
            cgroup2,
            arch: seccomp::native_arch(),
            kernel,
            seccomp_default: PathBuf::from(seccomp::DEFAULT_PROFILE_PATH),
            apparmor: AppArmorHost::detect(),
        }
    }
}
