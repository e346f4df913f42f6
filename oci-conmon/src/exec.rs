//! Exec sessions: conmon runs `runc exec --detach` for a process spec and
//! relays its output through the session's own attach socket.
//!
//! The session directory is `<bundle>/<session id>/`: `exec-process-<n>`
//! (the process JSON), `exec_pid`, `oci-log`, `attach`, `ctl`, and `exit/`
//! where conmon writes `exit/<ctr id>`. The engine removes it afterwards.

use std::fs::OpenOptions;
use std::io::{ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rpod_runtime_core::container::spec::process_to_json;
use rpod_runtime_core::container::{ContainerRecord, log_config};
use rpod_runtime_core::error::IoResultExt;
use rpod_runtime_core::names;
use rpod_runtime_core::oci::{AttachEnd, AttachIo, ExecOptions, ExecResult};
use rpod_runtime_core::{Error, Result};

use crate::command::{self, SharedArgs};
use crate::conmon::{Conmon, ConmonStdio};
use crate::{ConmonRuntime, attach, sync};

/// How long conmon may take to start the exec process.
const START_TIMEOUT: Duration = Duration::from_secs(240);
/// How long to wait for the exit code once the output has ended.
const EXIT_TIMEOUT: Duration = Duration::from_secs(5);

pub(crate) fn exec(
    rt: &ConmonRuntime,
    ctr: &ContainerRecord,
    opts: &ExecOptions,
    io: Option<AttachIo>,
) -> Result<ExecResult> {
    let sess_dir = Path::new(&ctr.config.static_dir).join(&opts.session_id);
    let exit_dir = sess_dir.join("exit");
    std::fs::create_dir_all(&exit_dir).at(&exit_dir)?;
    let process_file = write_process(&sess_dir, &opts.process)?;
    let oci_log = sess_dir.join("oci-log");

    let terminal = opts.config.terminal || opts.process.terminal().unwrap_or(false);
    let stdin = opts.config.attach_stdin && io.as_ref().is_some_and(|io| io.stdin.is_some());
    let exit_delay = match (&io, rt.exit_delay) {
        (None, delay) if delay > 0 => Some(delay),
        _ => None,
    };
    let log_tag = log_config::render_tag(&ctr.config.log_tag, &ctr.config);
    let shared = SharedArgs {
        ctr_id: ctr.id(),
        uuid: &opts.session_id,
        runtime: &rt.path,
        bundle: &sess_dir,
        pid_file: &sess_dir.join("exec_pid"),
        name: ctr.name(),
        exit_dir: &exit_dir,
        systemd_cgroup: rt.systemd_cgroup,
        log: command::log_arg("none", Path::new("")),
        log_level: command::conmon_log_level(&rt.exit_command),
        log_size_max: rt.log_size_max(ctr.config.log_size),
        log_tag: &log_tag,
        oci_log: &oci_log,
    };
    let args = command::exec_args(
        &shared,
        terminal,
        stdin,
        &process_file,
        &rt.exit_command,
        exit_delay,
    );

    let mut conmon = Conmon::spawn(&rt.conmon, &args, true, ConmonStdio::Null)?;
    conmon.signal_start()?;
    conmon.wait_middle(&rt.name, &oci_log)?;
    let ready_pipe = conmon
        .attach
        .as_ref()
        .ok_or_else(|| Error::Internal.context("exec without an attach pipe"))?;
    let ready = sync::read(ready_pipe, START_TIMEOUT, "exec session")?;
    if ready.data < 0 {
        return Err(sync::failure(&rt.name, &ready, &oci_log, "exec session"));
    }
    // Connect before the process starts, so no output is lost.
    let sock = match io {
        Some(_) => Some(attach::connect(&sess_dir)?),
        None => None,
    };
    conmon.signal_start()?;
    let started = sync::read(&conmon.sync, START_TIMEOUT, "exec session")?;
    if started.data < 0 {
        return Err(sync::failure(&rt.name, &started, &oci_log, "exec session"));
    }
    let pid = i32::try_from(started.data)
        .map_err(|_| Error::Internal.context(format!("conmon reported PID {}", started.data)))?;
    tracing::debug!(id = ctr.id(), session = %opts.session_id, pid, "exec session started");

    let (Some(io), Some(sock)) = (io, sock) else {
        return Ok(ExecResult {
            pid,
            exit_code: None,
        });
    };
    if attach::stream(sock, io)? == AttachEnd::Detached {
        return Ok(ExecResult {
            pid,
            exit_code: None,
        });
    }
    let exit_code = match sync::read(&conmon.sync, EXIT_TIMEOUT, "exec session") {
        Ok(msg) => i32::try_from(msg.data).ok(),
        Err(e) => {
            tracing::debug!(
                "no exit code from conmon for exec session {}: {e}",
                opts.session_id
            );
            None
        }
    };
    let exit_code = match exit_code {
        Some(code) => code,
        None => read_exit_file(&exit_dir.join(ctr.id()), EXIT_TIMEOUT)?,
    };
    Ok(ExecResult {
        pid,
        exit_code: Some(exit_code),
    })
}

/// Writes the process JSON to a new `exec-process-<random digits>` file.
fn write_process(sess_dir: &Path, process: &oci_spec::runtime::Process) -> Result<PathBuf> {
    let body = serde_json::to_vec(&process_to_json(process)?)?;
    loop {
        let mut n = [0u8; 4];
        names::random_bytes(&mut n)?;
        let path = sess_dir.join(format!("exec-process-{}", u32::from_le_bytes(n)));
        let mut file = match OpenOptions::new().write(true).create_new(true).open(&path) {
            Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
            other => other.at(&path)?,
        };
        file.write_all(&body).at(&path)?;
        return Ok(path);
    }
}

/// Waits up to `timeout` for conmon's exit file and reads the code in it.
pub(crate) fn read_exit_file(path: &Path, timeout: Duration) -> Result<i32> {
    let deadline = Instant::now() + timeout;
    loop {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                return text.trim().parse().map_err(|_| {
                    Error::msg(format!(
                        "{}: not an exit code: {:?}",
                        path.display(),
                        text.trim()
                    ))
                });
            }
            Err(e) if e.kind() == ErrorKind::NotFound && Instant::now() < deadline => {
                std::thread::sleep(Duration::from_millis(20));
            }
            Err(e) => {
                return Err(Error::io(path, e).context("waiting for the exec session's exit code"));
            }
        }
    }
}
