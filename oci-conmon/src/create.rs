//! `create`: conmon runs `runc create` and reports the container's PID.

use std::path::Path;
use std::time::Duration;

use rpod_runtime_core::container::{ContainerRecord, log_config};
use rpod_runtime_core::error::IoResultExt;
use rpod_runtime_core::oci::CreateResult;
use rpod_runtime_core::{Error, Result};

use crate::ConmonRuntime;
use crate::command::{self, SharedArgs};
use crate::conmon::{Conmon, ConmonStdio};
use crate::sync;

/// How long conmon may take to create the container (Podman's
/// `ContainerCreateTimeout`).
const CREATE_TIMEOUT: Duration = Duration::from_secs(240);

/// Files a previous run may have left in the run dir that would confuse
/// this one (runc appends to its log; conmon reads the pid file).
const STALE: [&str; 3] = ["oci-log", "pidfile", "conmon.pid"];

pub(crate) fn create(rt: &ConmonRuntime, ctr: &ContainerRecord) -> Result<CreateResult> {
    let bundle = Path::new(&ctr.config.static_dir);
    if ctr.config.static_dir.is_empty() || ctr.state.run_dir.is_empty() {
        return Err(Error::InvalidArg.context(format!(
            "container {} has no bundle or run directory",
            ctr.id()
        )));
    }
    let run_dir = Path::new(&ctr.state.run_dir);
    std::fs::create_dir_all(run_dir).at(run_dir)?;
    let exit_dir = rt.exit_dir();
    std::fs::create_dir_all(&exit_dir).at(&exit_dir)?;
    for name in STALE {
        let path = run_dir.join(name);
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(Error::io(path, e)),
            _ => {}
        }
    }

    let oci_log = run_dir.join("oci-log");
    let log_path = if ctr.config.log_path.is_empty() {
        bundle.join("ctr.log")
    } else {
        ctr.config.log_path.clone().into()
    };
    let log_tag = log_config::render_tag(&ctr.config.log_tag, &ctr.config);
    let shared = SharedArgs {
        ctr_id: ctr.id(),
        uuid: ctr.id(),
        runtime: &rt.path,
        bundle,
        pid_file: &run_dir.join("pidfile"),
        name: ctr.name(),
        exit_dir: &exit_dir,
        systemd_cgroup: rt.systemd_cgroup,
        log: command::log_arg(&ctr.config.log_driver, &log_path),
        log_level: command::conmon_log_level(&rt.exit_command),
        log_size_max: rt.log_size_max(ctr.config.log_size),
        log_tag: &log_tag,
        oci_log: &oci_log,
    };
    let conmon_pidfile = run_dir.join("conmon.pid");
    let terminal = spec_terminal(ctr);
    let args = command::create_args(
        &shared,
        terminal,
        ctr.config.stdin,
        &conmon_pidfile,
        &rt.exit_command,
        ctr.config.auto_remove,
    );

    // With the passthrough driver the container gets rpod's own stdio
    // through conmon; otherwise conmon's own errors reach rpod's stderr
    // (not with a terminal, as Podman).
    let stdio = if ctr.config.log_driver == log_config::PASSTHROUGH {
        ConmonStdio::All
    } else if terminal {
        ConmonStdio::Null
    } else {
        ConmonStdio::Stderr
    };
    let mut conmon = Conmon::spawn(&rt.conmon, &args, false, stdio)?;
    conmon.signal_start()?;
    conmon.wait_middle(&rt.name, &oci_log)?;
    let msg = sync::read(&conmon.sync, CREATE_TIMEOUT, "container create")?;
    if msg.data < 0 {
        return Err(sync::failure(&rt.name, &msg, &oci_log, "container create"));
    }
    let pid = i32::try_from(msg.data)
        .map_err(|_| Error::Internal.context(format!("conmon reported PID {}", msg.data)))?;
    let conmon_pid = read_pid(&conmon_pidfile).unwrap_or_else(|e| {
        tracing::warn!("reading conmon's PID for container {}: {e}", ctr.id());
        0
    });
    tracing::debug!(id = ctr.id(), pid, conmon_pid, "container created");
    Ok(CreateResult { pid, conmon_pid })
}

/// `process.terminal` of the container's OCI spec.
pub(crate) fn spec_terminal(ctr: &ContainerRecord) -> bool {
    let spec = ctr.config.oci_spec().unwrap_or_else(|e| {
        tracing::warn!("container {}: {e}", ctr.id());
        None
    });
    spec.and_then(|s| s.process().as_ref().and_then(|p| p.terminal()))
        .unwrap_or(false)
}

/// A PID from a file holding it in decimal.
pub(crate) fn read_pid(path: &Path) -> Result<i32> {
    let text = std::fs::read_to_string(path).at(path)?;
    text.trim()
        .parse()
        .map_err(|_| Error::msg(format!("{}: not a PID: {:?}", path.display(), text.trim())))
}
