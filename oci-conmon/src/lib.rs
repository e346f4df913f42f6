//! rpod's OCI runtime driver: the real `conmon` monitoring a real `runc`
//! (or crun), driven exactly as Podman drives them.
//!
//! conmon runs `runc create` and stays with the container (its stdio, logs,
//! attach socket, exit file, exit command); rpod runs `runc start`, `kill`,
//! `delete` … itself. Each piece has its own module: conmon's command line,
//! the pipes and their messages, attach, exec, stop, and runc's errors.

#![deny(missing_docs)]

mod attach;
mod command;
mod conmon;
mod create;
mod errors;
mod exec;
mod leftovers;
mod pidfd;
mod runc;
mod seqpacket;
mod stop;
mod sync;
mod sys;

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use rpod_runtime_core::backend::{BackendContext, BackendRegistry, OciRuntimeTarget};
use rpod_runtime_core::container::ContainerRecord;
use rpod_runtime_core::error::IoResultExt;
use rpod_runtime_core::oci::{
    AttachEnd, AttachIo, CreateResult, ExecOptions, ExecResult, OciFeatures, OciRuntime, OciState,
    RuntimeLeftover,
};
use rpod_runtime_core::{Error, Result};

/// The name this driver is registered under.
pub const DRIVER_NAME: &str = "conmon";

/// Registers the `conmon` OCI runtime driver.
pub fn register(registry: &mut BackendRegistry) {
    registry.register_oci(
        DRIVER_NAME,
        Arc::new(|ctx: &BackendContext, target: &OciRuntimeTarget| {
            Ok(Box::new(ConmonRuntime::new(ctx, target)?) as Box<dyn OciRuntime>)
        }),
    );
}

/// An OCI runtime (runc, crun) driven through conmon.
#[derive(Debug, Clone)]
pub struct ConmonRuntime {
    name: String,
    path: PathBuf,
    conmon: PathBuf,
    tmp_dir: PathBuf,
    exit_command: Vec<String>,
    systemd_cgroup: bool,
    exit_delay: u32,
    log_size_max: i64,
}

impl ConmonRuntime {
    /// A driver for `target`, using the context's conmon, tmp dir and exit command.
    /// Fails when no conmon was found.
    pub fn new(ctx: &BackendContext, target: &OciRuntimeTarget) -> Result<Self> {
        let conmon = ctx.conmon_path.clone().ok_or_else(|| {
            Error::InvalidArg.context(
                "could not find a working conmon binary (configured options: engine.conmon_path)",
            )
        })?;
        let engine = &ctx.config.conf.engine;
        Ok(ConmonRuntime {
            name: target.name.clone(),
            path: target.path.clone(),
            conmon,
            tmp_dir: ctx.tmp_dir.clone(),
            exit_command: ctx.exit_command.clone(),
            systemd_cgroup: engine.cgroup_manager == "systemd",
            exit_delay: engine.exit_command_delay,
            log_size_max: ctx.config.conf.containers.log_size_max,
        })
    }

    /// conmon's `--log-size-max` for a container: its own size when set,
    /// else containers.conf's `log_size_max` (0 or less: no rotation).
    pub(crate) fn log_size_max(&self, ctr_size: i64) -> i64 {
        if ctr_size > 0 {
            ctr_size
        } else {
            self.log_size_max
        }
    }

    /// `<tmp dir>/exits`.
    fn exit_dir(&self) -> PathBuf {
        self.tmp_dir.join("exits")
    }

    /// `<tmp dir>/exits/<id>`.
    fn exit_file(&self, id: &str) -> PathBuf {
        self.exit_dir().join(id)
    }

    /// `runc kill [--all] <id> <signal>`.
    fn kill_ctr(&self, ctr: &ContainerRecord, signal: i32, all: bool) -> Result<()> {
        let sig = signal.to_string();
        let mut args = vec!["kill"];
        if all {
            args.push("--all");
        }
        args.extend([ctr.id(), sig.as_str()]);
        self.runtime(&args).map(drop)
    }
}

impl OciRuntime for ConmonRuntime {
    fn name(&self) -> &str {
        &self.name
    }

    fn path(&self) -> PathBuf {
        self.path.clone()
    }

    fn features(&self) -> OciFeatures {
        let crun = self.name == "crun"
            || self
                .path
                .file_name()
                .is_some_and(|f| f.to_string_lossy().contains("crun"));
        OciFeatures {
            json_errors: true,
            no_cgroups: crun,
        }
    }

    fn create(&self, ctr: &ContainerRecord) -> Result<CreateResult> {
        create::create(self, ctr)
    }

    fn start(&self, ctr: &ContainerRecord) -> Result<()> {
        self.runtime(&["start", ctr.id()]).map(drop)
    }

    fn kill(&self, ctr: &ContainerRecord, signal: i32, all: bool) -> Result<()> {
        self.kill_ctr(ctr, signal, all)
    }

    fn stop(&self, ctr: &ContainerRecord, timeout: Duration, all: bool) -> Result<()> {
        stop::stop(self, ctr, timeout, all)
    }

    fn delete(&self, ctr: &ContainerRecord) -> Result<()> {
        self.runtime_delete(ctr.id())
    }

    fn list_leftovers(&self, under: &Path) -> Result<Vec<RuntimeLeftover>> {
        self.leftovers_under(under)
    }

    fn remove_leftover(&self, leftover: &RuntimeLeftover) -> Result<()> {
        self.remove(leftover)
    }

    fn pause(&self, ctr: &ContainerRecord) -> Result<()> {
        self.runtime(&["pause", ctr.id()]).map(drop)
    }

    fn resume(&self, ctr: &ContainerRecord) -> Result<()> {
        self.runtime(&["resume", ctr.id()]).map(drop)
    }

    fn state(&self, ctr: &ContainerRecord) -> Result<OciState> {
        self.runtime_state(ctr.id())
    }

    fn attach(
        &self,
        ctr: &ContainerRecord,
        io: AttachIo,
        on_attached: &mut dyn FnMut() -> Result<()>,
    ) -> Result<AttachEnd> {
        let sock = attach::connect(Path::new(&ctr.config.static_dir))?;
        on_attached()?;
        attach::stream(sock, io)
    }

    fn exec(
        &self,
        ctr: &ContainerRecord,
        opts: &ExecOptions,
        io: Option<AttachIo>,
    ) -> Result<ExecResult> {
        exec::exec(self, ctr, opts, io)
    }

    fn resize(&self, ctr: &ContainerRecord, width: u16, height: u16) -> Result<()> {
        let ctl = Path::new(&ctr.config.static_dir).join("ctl");
        let mut fifo = OpenOptions::new()
            .write(true)
            .custom_flags(libc::O_NONBLOCK)
            .open(&ctl)
            .at(&ctl)?;
        fifo.write_all(format!("1 {height} {width}\n").as_bytes())
            .at(&ctl)
    }

    fn exit_file_path(&self, ctr_id: &str) -> PathBuf {
        self.exit_file(ctr_id)
    }

    fn attach_socket_path(&self, ctr: &ContainerRecord) -> PathBuf {
        Path::new(&ctr.config.static_dir).join("attach")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> OciRuntimeTarget {
        OciRuntimeTarget {
            name: "runc".into(),
            path: "/usr/sbin/runc".into(),
        }
    }

    #[test]
    fn missing_conmon_is_an_error_at_construction() {
        let e = ConmonRuntime::new(&BackendContext::default(), &target()).unwrap_err();
        assert!(e.is(&Error::InvalidArg));
        assert!(e.to_string().contains("conmon"), "{e}");
    }

    #[test]
    fn registered_and_built_by_name() {
        let mut reg = BackendRegistry::new();
        register(&mut reg);
        let ctx = BackendContext {
            conmon_path: Some("/usr/bin/conmon".into()),
            tmp_dir: "/run/x".into(),
            ..Default::default()
        };
        let rt = reg.oci(DRIVER_NAME, &ctx, &target()).unwrap();
        assert_eq!(rt.name(), "runc");
        assert_eq!(rt.path(), PathBuf::from("/usr/sbin/runc"));
        assert_eq!(rt.exit_file_path("abc"), PathBuf::from("/run/x/exits/abc"));
        assert!(!rt.features().no_cgroups);
    }
}
