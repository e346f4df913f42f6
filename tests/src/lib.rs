//! Helpers for the end-to-end tests in `tests/`: a private environment per
//! test (graph root, run root, tmp dir, containers.conf, shm segment name)
//! and a way to run the built `rpod` binary in it.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Once;
use std::sync::atomic::{AtomicU32, Ordering};

/// The built `rpod` binary (built on first use when missing).
pub fn rpod_bin() -> PathBuf {
    static BUILD: Once = Once::new();
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> → target/<profile>/rpod
    let profile_dir = exe.parent().and_then(Path::parent).expect("target dir");
    let bin = profile_dir.join("rpod");
    BUILD.call_once(|| {
        // Always bring the binary up to date (a no-op when it is), so a
        // test never runs a stale rpod. Cargo releases its build lock
        // before it runs test binaries, so this cannot deadlock.
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let ok = Command::new(cargo)
            .args(["build", "--quiet", "-p", "rpod-cli"])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok && bin.exists(), "building rpod failed");
    });
    bin
}

/// What one `rpod` invocation did.
#[derive(Debug)]
pub struct Run {
    /// Exit code (-1 when killed by a signal).
    pub code: i32,
    /// Standard output.
    pub stdout: String,
    /// Standard error.
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Panics with the whole output unless the exit code is 0.
    pub fn ok(self) -> Run {
        assert_eq!(
            self.code, 0,
            "rpod failed:\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self
    }
}

/// A private rpod environment in a temp dir.
#[derive(Debug)]
pub struct TestEnv {
    dir: tempfile::TempDir,
    /// The shm segment name this environment's containers.conf names.
    pub shm_name: String,
}

static SEQ: AtomicU32 = AtomicU32::new(0);

impl TestEnv {
    /// A new environment with an empty containers.conf of its own.
    pub fn new() -> TestEnv {
        Self::with_conf("")
    }

    /// A new environment whose containers.conf is `extra` plus the
    /// settings that keep tests apart (its own shm segment name).
    pub fn with_conf(extra: &str) -> TestEnv {
        let dir = tempfile::tempdir().unwrap();
        let shm_name = format!(
            "/rpod_e2e_{}_{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        );
        let env = TestEnv { dir, shm_name };
        env.write_conf(extra);
        env
    }

    /// Rewrites containers.conf with `extra` (TOML) and the isolation
    /// settings: its own shm segment, its own network definitions and
    /// netavark state, and containers without a network unless a test asks
    /// for one (`--network`), so that no test touches the machine's default
    /// network.
    pub fn write_conf(&self, extra: &str) {
        let p = |s: &str| self.path(s).to_string_lossy().into_owned();
        let mut conf = extra.to_string();
        let mut add = |table: &str, line: String| {
            let header = format!("[{table}]");
            let key = line.split(' ').next().unwrap_or_default().to_string();
            if conf.contains(&header) {
                // A key the test sets itself wins.
                let body = conf.split(&header).nth(1).unwrap_or_default();
                let body = body.split("\n[").next().unwrap_or_default();
                if !body.contains(&format!("{key} ")) && !body.contains(&format!("{key}=")) {
                    conf = conf.replacen(&header, &format!("{header}\n{line}"), 1);
                }
            } else {
                conf = format!("{conf}\n{header}\n{line}\n");
            }
        };
        add("engine", format!("shm_lock_path = \"{}\"", self.shm_name));
        add("containers", "netns = \"none\"".to_string());
        add(
            "network",
            format!("network_config_dir = \"{}\"", p("networks")),
        );
        add("network", format!("network_run_dir = \"{}\"", p("netrun")));
        std::fs::write(self.path("containers.conf"), conf).unwrap();
    }

    /// A path inside the environment.
    pub fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    /// The global options that point rpod at this environment.
    pub fn globals(&self) -> Vec<String> {
        let p = |s: &str| self.path(s).to_string_lossy().into_owned();
        vec![
            "--root".into(),
            p("root"),
            "--runroot".into(),
            p("runroot"),
            "--tmpdir".into(),
            p("tmp"),
        ]
    }

    /// A command for `rpod <globals> <args>` with this environment's config.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(rpod_bin());
        c.args(self.globals())
            .args(args)
            .env("CONTAINERS_CONF", self.path("containers.conf"))
            .env("CONTAINERS_STORAGE_CONF", self.path("storage.conf"))
            .env_remove("CONTAINERS_CONF_OVERRIDE");
        if !self.path("storage.conf").exists() {
            let root = self.path("root").to_string_lossy().into_owned();
            let run = self.path("runroot").to_string_lossy().into_owned();
            std::fs::write(
                self.path("storage.conf"),
                format!("[storage]\ngraphroot = \"{root}\"\nrunroot = \"{run}\"\n"),
            )
            .unwrap();
        }
        c
    }

    /// Runs `rpod <globals> <args>`.
    pub fn rpod(&self, args: &[&str]) -> Run {
        self.cmd(args).output().unwrap().into()
    }

    /// A fresh busybox root filesystem inside this environment (busybox-static
    /// with applet links, `/etc/passwd` and `/etc/group`).
    pub fn busybox_rootfs(&self) -> PathBuf {
        let root = self.path(&format!("rootfs{}", SEQ.fetch_add(1, Ordering::Relaxed)));
        for d in [
            "bin", "etc", "proc", "sys", "dev", "tmp", "root", "run", "var/tmp",
        ] {
            std::fs::create_dir_all(root.join(d)).unwrap();
        }
        std::fs::copy("/bin/busybox", root.join("bin/busybox")).expect("busybox-static installed");
        for applet in [
            "sh", "echo", "sleep", "true", "false", "cat", "ls", "id", "env", "pwd", "hostname",
            "kill", "ps", "touch", "mkdir", "grep", "wc", "head", "tail", "yes", "printf", "test",
        ] {
            std::os::unix::fs::symlink("busybox", root.join("bin").join(applet)).unwrap();
        }
        std::fs::write(
            root.join("etc/passwd"),
            "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n",
        )
        .unwrap();
        std::fs::write(root.join("etc/group"), "root:x:0:\nnogroup:x:65534:\n").unwrap();
        root
    }

    /// [`TestEnv::busybox_rootfs`] as a `--rootfs` argument.
    pub fn busybox_rootfs_arg(&self) -> String {
        self.busybox_rootfs().to_string_lossy().into_owned()
    }

    /// A tarball of a fresh busybox root filesystem inside this environment.
    pub fn busybox_rootfs_tar(&self) -> PathBuf {
        let root = self.busybox_rootfs();
        let tar = root.with_extension("tar");
        let ok = Command::new("tar")
            .arg("-C")
            .arg(&root)
            .arg("-cf")
            .arg(&tar)
            .arg(".")
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "tar failed");
        tar
    }

    /// Mount points below this environment's directory.
    pub fn mounts(&self) -> Vec<String> {
        let base = self.dir.path().to_string_lossy().into_owned();
        std::fs::read_to_string("/proc/self/mountinfo")
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split_whitespace().nth(4).map(str::to_string))
            .filter(|m| m.starts_with(&base))
            .collect()
    }

    /// PIDs of conmon processes whose command line mentions `needle`.
    pub fn conmons_with(needle: &str) -> Vec<u32> {
        let mut out = Vec::new();
        for e in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Some(pid) = e.file_name().to_str().and_then(|s| s.parse::<u32>().ok()) else {
                continue;
            };
            let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
            let cmd = String::from_utf8_lossy(&cmd).replace('\0', " ");
            if cmd.starts_with("/usr/bin/conmon") && cmd.contains(needle) {
                out.push(pid);
            }
        }
        out
    }

    /// The event log of this environment.
    pub fn events_log(&self) -> PathBuf {
        self.path("tmp/events/events.log")
    }
}

impl Default for TestEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TestEnv {
    fn drop(&mut self) {
        // Leave nothing running or mounted, whatever the test did.
        if self.path("root/libpod").exists() {
            let _ = self
                .cmd(&["rm", "-a", "-f", "-t", "0"])
                .stdin(std::process::Stdio::null())
                .output();
        }
        let base = self.dir.path().to_string_lossy().into_owned();
        for pid in Self::conmons_with(&base) {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
        let mut mounts = self.mounts();
        mounts.sort_by_key(|m| std::cmp::Reverse(m.len()));
        for m in mounts {
            let _ = Command::new("umount").args(["-l", &m]).status();
        }
        let _ = std::fs::remove_file(format!("/dev/shm{}", self.shm_name));
    }
}
