//! OCI runtime spec generation: the `config.json` Podman 4.3 writes for a
//! container, the per-container run files it bind-mounts (`hostname`,
//! `hosts`, `resolv.conf`, `.containerenv`), and the process of an `exec`
//! session.
//!
//! Specs are built as `oci_spec::runtime::Spec` with its builders;
//! [`spec_to_json`] writes them in the JSON shape Podman writes. Everything
//! the host decides (grantable capabilities, cgroup version, architecture,
//! kernel version) is read once into a `Host` so that tests can pin it.

mod annotations;
mod apparmor;
mod capabilities;
mod exec;
mod files;
mod host;
mod linux;
mod masks;
mod mounts;
mod options;
mod process;
mod seccomp;
mod settings;
mod shape;
mod user;

use oci_spec::runtime::{RootBuilder, Spec, SpecBuilder};
use serde::de::DeserializeOwned;

use crate::config::{ByteSize, Config};
use crate::error::{Error, Result};

pub use capabilities::{CapName, check_add_drop, parse_cap_names};
pub use exec::exec_process;
pub use files::{NetworkFiles, write_run_files, write_run_files_from_spec, write_run_files_with};
pub(crate) use host::Host;
pub use options::{BindMount, NetworkMode, SpecOptions};
pub use settings::ContainerSettings;
pub use shape::{process_to_json, spec_from_json, spec_to_json, write_config_json};

/// The OCI version string Podman 4.3 writes.
pub const OCI_VERSION: &str = "1.0.2-dev";

/// Where `--init` mounts the init binary inside the container.
pub const INIT_PATH_IN_CONTAINER: &str = "/run/podman-init";

/// Size of `/dev/shm` when containers.conf's `shm_size` does not parse (64 MB, Podman's default).
const DEFAULT_SHM_SIZE: u64 = 65_536_000;

/// The hostname the container gets: the option, the host's for `--network
/// host`, else the first 12 characters of the ID.
pub(crate) fn effective_hostname(opts: &SpecOptions) -> String {
    if !opts.settings.hostname.is_empty() {
        return opts.settings.hostname.clone();
    }
    if opts.settings.network == NetworkMode::Host
        && let Some(h) = nix::unistd::gethostname()
            .ok()
            .and_then(|h| h.into_string().ok())
    {
        return h;
    }
    opts.id.chars().take(12).collect()
}

/// The mount options of the `<bundle>/shm` tmpfs: `mode=1777,size=<bytes>`
/// from containers.conf's `shm_size`.
pub fn shm_mount_options(config: &Config) -> String {
    let size = match config.conf.containers.shm_size.parse::<ByteSize>() {
        Ok(s) => s.0,
        Err(e) => {
            tracing::warn!(
                "invalid shm_size {:?} in containers.conf ({e}), using the default",
                config.conf.containers.shm_size
            );
            DEFAULT_SHM_SIZE
        }
    };
    format!("mode=1777,size={size}")
}

/// An oci-spec builder failure, as an internal error.
pub(crate) fn oci_error(e: oci_spec::OciSpecError) -> Error {
    Error::Internal.context(format!("building the OCI spec: {e}"))
}

/// The oci-spec enum value spelled `word` in JSON (`RLIMIT_NOFILE`,
/// `SCMP_ACT_ALLOW`, ...), if there is one.
pub(crate) fn oci_word<T: DeserializeOwned>(word: &str) -> Option<T> {
    serde_json::from_value(serde_json::Value::String(word.to_string())).ok()
}

/// Generates the container's `config.json`.
pub fn generate(opts: &SpecOptions, config: &Config) -> Result<Spec> {
    generate_for_host(opts, config, &Host::detect())
}

/// [`generate`] for a given host.
pub(crate) fn generate_for_host(opts: &SpecOptions, config: &Config, host: &Host) -> Result<Spec> {
    if opts.id.is_empty() {
        return Err(Error::EmptyId);
    }
    let init_binary = if opts.settings.init {
        Some(mounts::find_init_binary(config)?)
    } else {
        None
    };
    let mut proc = process::build(opts, config, host)?;
    let apparmor = apparmor::profile(
        opts.settings.apparmor_profile.as_deref(),
        &config.conf.containers.apparmor_profile,
        opts.settings.privileged,
        &host.apparmor,
    )?;
    proc.process.set_apparmor_profile(apparmor);
    let hostname = effective_hostname(opts);
    let mounts = mounts::build(opts, init_binary.as_deref())?
        .iter()
        .map(mounts::Mount::to_oci)
        .collect::<Result<Vec<_>>>()?;

    let mut root = RootBuilder::default()
        .path(&opts.rootfs)
        .build()
        .map_err(oci_error)?;
    // Podman writes `readonly` only when it is set.
    root.set_readonly(opts.settings.read_only.then_some(true));

    let profile = opts
        .settings
        .seccomp_profile
        .as_deref()
        .unwrap_or(&config.conf.containers.seccomp_profile);
    let seccomp = seccomp::for_container(opts.settings.privileged, profile, &proc.bounding, host)?;
    let linux = linux::build(opts, config, host, seccomp)?;

    SpecBuilder::default()
        .version(OCI_VERSION)
        .process(proc.process)
        .root(root)
        .hostname(hostname)
        .mounts(mounts)
        .annotations(annotations::annotations(opts))
        .linux(linux)
        .build()
        .map_err(oci_error)
}

#[cfg(test)]
pub(crate) mod tests;
