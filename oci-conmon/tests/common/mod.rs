//! A real container for each test: a busybox rootfs, a hand-written
//! config.json, a unique ID, and private bundle, run and tmp dirs. Run as
//! root with /usr/bin/conmon and runc; skipped (with a note) otherwise.
#![allow(dead_code, clippy::print_stderr)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rpod_oci_conmon::ConmonRuntime;
use rpod_runtime_core::backend::{BackendContext, OciRuntimeTarget};
use rpod_runtime_core::container::{ContainerConfig, ContainerRecord};
use rpod_runtime_core::names;
use rpod_runtime_core::oci::{AttachIo, OciRuntime};
use serde_json::{Value, json};

pub const CONMON: &str = "/usr/bin/conmon";
pub const BUSYBOX: &str = "/bin/busybox";
const APPLETS: &[&str] = &[
    "sh", "echo", "sleep", "true", "false", "cat", "kill", "stty", "ls", "touch",
];

/// The runc binary, if installed.
pub fn runc() -> Option<PathBuf> {
    ["/usr/sbin/runc", "/usr/bin/runc"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
}

/// True when real containers can run here; prints why not otherwise.
pub fn can_run() -> bool {
    let root = nix::unistd::Uid::effective().is_root();
    let ok = root && Path::new(CONMON).exists() && Path::new(BUSYBOX).exists() && runc().is_some();
    if !ok {
        eprintln!("skipped: needs root, {CONMON}, {BUSYBOX} and runc");
    }
    ok
}

/// One test container and everything around it.
pub struct Fixture {
    pub dir: tempfile::TempDir,
    pub rt: ConmonRuntime,
    pub ctr: ContainerRecord,
}

/// What the container runs and how.
#[derive(Default)]
pub struct Options<'a> {
    pub args: &'a [&'a str],
    pub terminal: bool,
    pub stdin: bool,
    /// Make the bundle path longer than `sun_path` (108 bytes).
    pub long_path: bool,
}

impl Fixture {
    /// A container running `args`, not yet created.
    pub fn new(args: &[&str]) -> Fixture {
        Fixture::with(Options {
            args,
            ..Default::default()
        })
    }

    pub fn with(opts: Options<'_>) -> Fixture {
        let dir = tempfile::Builder::new()
            .prefix("rpod-oci-")
            .tempdir()
            .unwrap();
        let rootfs = dir.path().join("rootfs");
        std::fs::create_dir_all(rootfs.join("bin")).unwrap();
        std::fs::create_dir_all(rootfs.join("tmp")).unwrap();
        std::fs::copy(BUSYBOX, rootfs.join("bin/busybox")).unwrap();
        for applet in APPLETS {
            std::os::unix::fs::symlink("busybox", rootfs.join("bin").join(applet)).unwrap();
        }
        let mut bundle = dir.path().to_path_buf();
        if opts.long_path {
            bundle.push("d".repeat(60));
            bundle.push("e".repeat(60));
        }
        bundle.push("userdata");
        std::fs::create_dir_all(&bundle).unwrap();
        let spec = spec(&rootfs, opts.args, opts.terminal);
        std::fs::write(
            bundle.join("config.json"),
            serde_json::to_vec_pretty(&spec).unwrap(),
        )
        .unwrap();

        let id = names::generate_id().unwrap();
        let mut config = ContainerConfig::new(id.clone(), format!("test-{}", &id[..12]), 0);
        config.static_dir = bundle.to_string_lossy().into_owned();
        config.log_path = bundle.join("ctr.log").to_string_lossy().into_owned();
        config.log_driver = "k8s-file".into();
        config.stdin = opts.stdin;
        config.spec = Some(spec);
        let mut ctr = ContainerRecord::new(config);
        ctr.state.run_dir = dir.path().join("run").to_string_lossy().into_owned();

        let mut ctx = BackendContext {
            conmon_path: Some(CONMON.into()),
            tmp_dir: dir.path().join("tmp"),
            // Records its arguments, so tests can check conmon ran it.
            exit_command: vec![
                "/bin/sh".into(),
                "-c".into(),
                format!(
                    "echo \"$0 $*\" >> '{}'",
                    dir.path().join("exit-command").display()
                ),
            ],
            ..Default::default()
        };
        // Detached exec sessions would keep conmon around for 5 minutes
        // before their exit command; the tests want it gone at once.
        ctx.config.conf.engine.exit_command_delay = 0;
        let target = OciRuntimeTarget {
            name: "runc".into(),
            path: runc().unwrap(),
        };
        let rt = ConmonRuntime::new(&ctx, &target).unwrap();
        Fixture { dir, rt, ctr }
    }

    pub fn id(&self) -> &str {
        self.ctr.id()
    }

    pub fn bundle(&self) -> PathBuf {
        PathBuf::from(&self.ctr.config.static_dir)
    }

    /// Creates the container and records its PIDs.
    pub fn create(&mut self) {
        let res = self.rt.create(&self.ctr).unwrap();
        assert!(res.pid > 0, "{res:?}");
        assert!(res.conmon_pid > 0, "{res:?}");
        self.ctr.state.pid = res.pid;
        self.ctr.state.conmon_pid = res.conmon_pid;
    }

    /// Creates and starts the container.
    pub fn run(&mut self) {
        self.create();
        self.rt.start(&self.ctr).unwrap();
    }

    /// Waits for the exit file and returns its content.
    pub fn wait_exit_file(&self, timeout: Duration) -> String {
        wait_file(&self.rt.exit_file_path(self.id()), timeout)
    }

    /// Waits until conmon has run the exit command with `args` after the
    /// global options (`container cleanup <id>` …).
    pub fn wait_exit_command(&self, args: &str) {
        let path = self.dir.path().join("exit-command");
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let seen = std::fs::read_to_string(&path).unwrap_or_default();
            if seen.lines().any(|l| l == args) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "exit command {args:?} not run: {seen:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Deletes the container and checks that no conmon of it is left.
    pub fn finish(self) {
        self.rt.delete(&self.ctr).unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while !conmon_processes(self.id()).is_empty() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert_eq!(
            conmon_processes(self.id()),
            Vec::<i32>::new(),
            "conmon still running for {}",
            self.id()
        );
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        // Best effort, also when the test failed half-way.
        if let Some(runc) = runc() {
            let _ = Command::new(runc)
                .args(["delete", "--force", self.ctr.id()])
                .output();
        }
        let pidfile = Path::new(&self.ctr.state.run_dir).join("conmon.pid");
        let mut pids = conmon_processes(self.ctr.id());
        if let Some(pid) = std::fs::read_to_string(pidfile)
            .ok()
            .and_then(|t| t.trim().parse::<i32>().ok())
            && pids.contains(&pid)
        {
            pids.retain(|p| *p != pid);
            pids.push(pid);
        }
        for pid in pids {
            let _ = nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(pid),
                nix::sys::signal::Signal::SIGKILL,
            );
        }
    }
}

/// Live conmon processes whose command line names `id`.
pub fn conmon_processes(id: &str) -> Vec<i32> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return out;
    };
    for entry in entries.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
            continue;
        };
        let mut args = cmdline.split(|b| *b == 0);
        let is_conmon = args.next().is_some_and(|a0| a0.ends_with(b"conmon"));
        if is_conmon && args.any(|a| a == id.as_bytes()) {
            out.push(pid);
        }
    }
    out
}

/// Waits for `path` to exist and returns its content.
pub fn wait_file(path: &Path, timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(text) = std::fs::read_to_string(path) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{} did not appear within {timeout:?}",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A minimal OCI runtime spec for `rootfs`.
pub fn spec(rootfs: &Path, args: &[&str], terminal: bool) -> Value {
    json!({
        "ociVersion": "1.0.2-dev",
        "process": process_json(args, terminal),
        "root": {"path": rootfs, "readonly": false},
        "hostname": "rpod-test",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc"},
            {"destination": "/dev", "type": "tmpfs", "source": "tmpfs",
             "options": ["nosuid", "strictatime", "mode=755", "size=65536k"]},
            {"destination": "/dev/pts", "type": "devpts", "source": "devpts",
             "options": ["nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"]},
            {"destination": "/sys", "type": "sysfs", "source": "sysfs",
             "options": ["nosuid", "noexec", "nodev", "ro"]}
        ],
        "linux": {
            "namespaces": [
                {"type": "pid"}, {"type": "network"}, {"type": "ipc"},
                {"type": "uts"}, {"type": "mount"}
            ],
            "maskedPaths": ["/proc/kcore", "/sys/firmware"],
            "readonlyPaths": ["/proc/sys", "/proc/sysrq-trigger"]
        }
    })
}

/// An OCI `process` running `args` as root in `/`.
pub fn process(args: &[&str], terminal: bool) -> oci_spec::runtime::Process {
    serde_json::from_value(process_json(args, terminal)).unwrap()
}

/// [`process`] as JSON.
fn process_json(args: &[&str], terminal: bool) -> Value {
    let caps = json!(["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]);
    json!({
        "terminal": terminal,
        "user": {"uid": 0, "gid": 0},
        "args": args,
        "env": ["PATH=/bin", "TERM=xterm"],
        "cwd": "/",
        "capabilities": {
            "bounding": caps, "effective": caps, "permitted": caps
        },
        "noNewPrivileges": true
    })
}

/// A writer whose bytes the test reads afterwards.
#[derive(Clone, Default)]
pub struct Captured(pub Arc<Mutex<Vec<u8>>>);

impl Captured {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Streams for an attach: captured stdout and stderr, optional stdin.
pub fn capture(stdin: Option<Box<dyn std::io::Read + Send>>) -> (AttachIo, Captured, Captured) {
    let (out, err) = (Captured::default(), Captured::default());
    let io = AttachIo {
        stdin,
        stdout: Box::new(out.clone()),
        stderr: Box::new(err.clone()),
        detach_keys: vec![0x10, 0x11],
    };
    (io, out, err)
}
