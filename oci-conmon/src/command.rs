//! conmon's command line, built exactly as Podman builds it (argument order
//! included), for a container (`runc create`) and for an exec session.

use std::ffi::OsString;
use std::path::Path;

/// The arguments shared by containers and exec sessions.
#[derive(Debug, Clone)]
pub(crate) struct SharedArgs<'a> {
    /// The container ID (`-c`; the runtime's ID and the exit file's name).
    pub ctr_id: &'a str,
    /// `-u`: the container ID, or the exec session ID.
    pub uuid: &'a str,
    /// The runtime binary (`-r`).
    pub runtime: &'a Path,
    /// The bundle (`-b`): the container's, or the exec session directory.
    pub bundle: &'a Path,
    /// The runtime's pid file (`-p`).
    pub pid_file: &'a Path,
    /// The container's name (`-n`).
    pub name: &'a str,
    /// Where conmon writes the exit file.
    pub exit_dir: &'a Path,
    /// Pass `-s` (systemd cgroup manager).
    pub systemd_cgroup: bool,
    /// The `-l` value (see [`log_arg`]).
    pub log: OsString,
    /// conmon's own log level.
    pub log_level: &'a str,
    /// `--log-size-max` (0 or less: not passed).
    pub log_size_max: i64,
    /// `--log-tag` (empty: not passed).
    pub log_tag: &'a str,
    /// runc's JSON error log.
    pub oci_log: &'a Path,
}

impl SharedArgs<'_> {
    fn push_to(&self, args: &mut Vec<OsString>) {
        push(
            args,
            ["--api-version", "1", "-c", self.ctr_id, "-u", self.uuid],
        );
        args.push("-r".into());
        args.push(self.runtime.into());
        args.push("-b".into());
        args.push(self.bundle.into());
        args.push("-p".into());
        args.push(self.pid_file.into());
        push(args, ["-n", self.name, "--exit-dir"]);
        args.push(self.exit_dir.into());
        args.push("--full-attach".into());
        if self.systemd_cgroup {
            args.push("-s".into());
        }
        args.push("-l".into());
        args.push(self.log.clone());
        push(args, ["--log-level", self.log_level]);
        if self.log_size_max > 0 {
            args.push("--log-size-max".into());
            args.push(self.log_size_max.to_string().into());
        }
        push(
            args,
            [
                "--runtime-arg",
                "--log-format=json",
                "--runtime-arg",
                "--log",
            ],
        );
        let mut oci_log = OsString::from("--runtime-arg=");
        oci_log.push(self.oci_log);
        args.push(oci_log);
        if !self.log_tag.is_empty() {
            push(args, ["--log-tag", self.log_tag]);
        }
    }
}

fn push<const N: usize>(args: &mut Vec<OsString>, items: [&str; N]) {
    args.extend(items.iter().map(OsString::from));
}

/// `--exit-command P --exit-command-arg A …` for `exit_command` followed by `tail`.
fn push_exit_command(args: &mut Vec<OsString>, exit_command: &[String], tail: &[&str]) {
    let Some((program, rest)) = exit_command.split_first() else {
        return;
    };
    args.push("--exit-command".into());
    args.push(program.into());
    for arg in rest.iter().map(String::as_str).chain(tail.iter().copied()) {
        args.push("--exit-command-arg".into());
        args.push(arg.into());
    }
}

/// The `-l` value for a log driver: `k8s-file:<path>` for k8s-file,
/// json-file, the empty string and anything unknown; the bare name for
/// `journald`, `none` and `passthrough`.
pub(crate) fn log_arg(driver: &str, path: &Path) -> OsString {
    match driver {
        "journald" | "none" | "passthrough" => driver.into(),
        _ => {
            let mut s = OsString::from("k8s-file:");
            s.push(path);
            s
        }
    }
}

/// conmon's `--log-level` from the engine's, found in the exit command's
/// global options (`--log-level X` or `--log-level=X`); `warning` if absent.
pub(crate) fn conmon_log_level(exit_command: &[String]) -> &'static str {
    let mut level = None;
    let mut it = exit_command.iter();
    while let Some(arg) = it.next() {
        if arg == "--log-level" {
            level = it.next().map(String::as_str);
        } else if let Some(v) = arg.strip_prefix("--log-level=") {
            level = Some(v);
        }
    }
    match level.map(str::to_ascii_lowercase).as_deref() {
        Some("trace" | "debug") => "debug",
        Some("info") => "info",
        Some("error" | "fatal" | "panic") => "error",
        _ => "warning",
    }
}

/// conmon's arguments for `runc create`.
pub(crate) fn create_args(
    shared: &SharedArgs<'_>,
    terminal: bool,
    stdin: bool,
    conmon_pidfile: &Path,
    exit_command: &[String],
    auto_remove: bool,
) -> Vec<OsString> {
    let mut args = Vec::new();
    shared.push_to(&mut args);
    if terminal {
        args.push("-t".into());
    } else if stdin {
        args.push("-i".into());
    }
    args.push("--conmon-pidfile".into());
    args.push(conmon_pidfile.into());
    // Podman places `--rm` after `cleanup` for auto-removed containers.
    let cleanup: &[&str] = if auto_remove {
        &["container", "cleanup", "--rm", shared.ctr_id]
    } else {
        &["container", "cleanup", shared.ctr_id]
    };
    push_exit_command(&mut args, exit_command, cleanup);
    args
}

/// conmon's arguments for an exec session.
pub(crate) fn exec_args(
    shared: &SharedArgs<'_>,
    terminal: bool,
    stdin: bool,
    process_spec: &Path,
    exit_command: &[String],
    exit_delay: Option<u32>,
) -> Vec<OsString> {
    let mut args = Vec::new();
    shared.push_to(&mut args);
    if terminal {
        args.push("-t".into());
    }
    if stdin {
        args.push("-i".into());
    }
    push(&mut args, ["-e", "--exec-attach", "--exec-process-spec"]);
    args.push(process_spec.into());
    push_exit_command(
        &mut args,
        exit_command,
        &["container", "cleanup", "--exec", shared.uuid, shared.ctr_id],
    );
    if let Some(delay) = exit_delay {
        args.push("--exit-delay".into());
        args.push(delay.to_string().into());
    }
    args
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::*;

    fn strings(args: &[OsString]) -> Vec<String> {
        args.iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    fn exit_command() -> Vec<String> {
        [
            "/usr/bin/rpod",
            "--root",
            "/r",
            "--log-level",
            "warn",
            "--network-config-dir",
            "",
        ]
        .map(String::from)
        .to_vec()
    }

    #[test]
    fn create_matches_podman() {
        let bundle = PathBuf::from("/s/overlay-containers/abc/userdata");
        let run = PathBuf::from("/run/x/overlay-containers/abc/userdata");
        let shared = SharedArgs {
            ctr_id: "abc",
            uuid: "abc",
            runtime: Path::new("/usr/sbin/runc"),
            bundle: &bundle,
            pid_file: &run.join("pidfile"),
            name: "web",
            exit_dir: Path::new("/run/rpod/libpod/exits"),
            systemd_cgroup: false,
            log: log_arg("k8s-file", &bundle.join("ctr.log")),
            log_level: conmon_log_level(&exit_command()),
            log_size_max: 0,
            log_tag: "",
            oci_log: &run.join("oci-log"),
        };
        let args = create_args(
            &shared,
            false,
            false,
            &run.join("conmon.pid"),
            &exit_command(),
            false,
        );
        let expected = "--api-version 1 -c abc -u abc -r /usr/sbin/runc \
            -b /s/overlay-containers/abc/userdata \
            -p /run/x/overlay-containers/abc/userdata/pidfile -n web \
            --exit-dir /run/rpod/libpod/exits --full-attach \
            -l k8s-file:/s/overlay-containers/abc/userdata/ctr.log --log-level warning \
            --runtime-arg --log-format=json --runtime-arg --log \
            --runtime-arg=/run/x/overlay-containers/abc/userdata/oci-log \
            --conmon-pidfile /run/x/overlay-containers/abc/userdata/conmon.pid \
            --exit-command /usr/bin/rpod --exit-command-arg --root --exit-command-arg /r \
            --exit-command-arg --log-level --exit-command-arg warn \
            --exit-command-arg --network-config-dir --exit-command-arg \
            --exit-command-arg container --exit-command-arg cleanup --exit-command-arg abc";
        let mut want: Vec<String> = expected.split_whitespace().map(String::from).collect();
        // The empty network-config-dir value is its own (empty) argument.
        let pos = want
            .iter()
            .position(|a| a == "--network-config-dir")
            .unwrap();
        want.insert(pos + 2, String::new());
        assert_eq!(strings(&args), want);
    }

    #[test]
    fn terminal_wins_over_stdin_and_systemd_adds_s() {
        let shared = SharedArgs {
            ctr_id: "c",
            uuid: "c",
            runtime: Path::new("/r"),
            bundle: Path::new("/b"),
            pid_file: Path::new("/p"),
            name: "n",
            exit_dir: Path::new("/e"),
            systemd_cgroup: true,
            log: log_arg("journald", Path::new("/ignored")),
            log_level: "debug",
            log_size_max: 0,
            log_tag: "",
            oci_log: Path::new("/o"),
        };
        let tty = strings(&create_args(
            &shared,
            true,
            true,
            Path::new("/cp"),
            &[],
            false,
        ));
        assert!(tty.contains(&"-t".to_string()));
        assert!(!tty.contains(&"-i".to_string()));
        assert!(!tty.contains(&"--exit-command".to_string()));
        let s = tty.iter().position(|a| a == "-s").unwrap();
        assert_eq!(tty[s - 1], "--full-attach");
        assert_eq!(tty[s + 1..s + 3], ["-l", "journald"]);
        let stdin = strings(&create_args(
            &shared,
            false,
            true,
            Path::new("/cp"),
            &[],
            true,
        ));
        assert!(stdin.contains(&"-i".to_string()));
        assert!(!stdin.contains(&"-t".to_string()));
    }

    #[test]
    fn auto_removed_containers_clean_up_with_rm() {
        let bundle = PathBuf::from("/b");
        let shared = SharedArgs {
            ctr_id: "abc",
            uuid: "abc",
            runtime: Path::new("/usr/sbin/runc"),
            bundle: &bundle,
            pid_file: Path::new("/r/pidfile"),
            name: "n",
            exit_dir: Path::new("/x"),
            systemd_cgroup: false,
            log: log_arg("k8s-file", Path::new("/b/ctr.log")),
            log_level: "warning",
            log_size_max: 0,
            log_tag: "",
            oci_log: Path::new("/r/oci-log"),
        };
        let exit = vec!["/usr/bin/rpod".to_string()];
        let args = strings(&create_args(
            &shared,
            false,
            false,
            Path::new("/cp"),
            &exit,
            true,
        ));
        let tail: Vec<&str> = args
            .iter()
            .rev()
            .take(8)
            .rev()
            .map(String::as_str)
            .collect();
        assert_eq!(
            tail,
            [
                "--exit-command-arg",
                "container",
                "--exit-command-arg",
                "cleanup",
                "--exit-command-arg",
                "--rm",
                "--exit-command-arg",
                "abc"
            ]
        );
    }

    #[test]
    fn exec_matches_podman() {
        let sess = PathBuf::from("/b/sess");
        let shared = SharedArgs {
            ctr_id: "ctr",
            uuid: "sess",
            runtime: Path::new("/usr/sbin/runc"),
            bundle: &sess,
            pid_file: &sess.join("exec_pid"),
            name: "web",
            exit_dir: &sess.join("exit"),
            systemd_cgroup: false,
            log: log_arg("none", Path::new("")),
            log_level: "warning",
            log_size_max: 0,
            log_tag: "",
            oci_log: &sess.join("oci-log"),
        };
        let args = exec_args(
            &shared,
            true,
            true,
            &sess.join("exec-process-123"),
            &["/bin/rpod".to_string()],
            Some(300),
        );
        let want = "--api-version 1 -c ctr -u sess -r /usr/sbin/runc -b /b/sess \
            -p /b/sess/exec_pid -n web --exit-dir /b/sess/exit --full-attach -l none \
            --log-level warning --runtime-arg --log-format=json --runtime-arg --log \
            --runtime-arg=/b/sess/oci-log -t -i -e --exec-attach \
            --exec-process-spec /b/sess/exec-process-123 --exit-command /bin/rpod \
            --exit-command-arg container --exit-command-arg cleanup --exit-command-arg --exec \
            --exit-command-arg sess --exit-command-arg ctr --exit-delay 300";
        assert_eq!(
            strings(&args),
            want.split_whitespace()
                .map(String::from)
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn log_size_and_tag_follow_podman_order() {
        let shared = SharedArgs {
            ctr_id: "c",
            uuid: "c",
            runtime: Path::new("/r"),
            bundle: Path::new("/b"),
            pid_file: Path::new("/p"),
            name: "n",
            exit_dir: Path::new("/e"),
            systemd_cgroup: false,
            log: log_arg("journald", Path::new("")),
            log_level: "warning",
            log_size_max: 10000,
            log_tag: "web",
            oci_log: Path::new("/o"),
        };
        let args = strings(&create_args(
            &shared,
            false,
            false,
            Path::new("/cp"),
            &[],
            false,
        ));
        let want = "--api-version 1 -c c -u c -r /r -b /b -p /p -n n --exit-dir /e \
            --full-attach -l journald --log-level warning --log-size-max 10000 \
            --runtime-arg --log-format=json --runtime-arg --log --runtime-arg=/o \
            --log-tag web --conmon-pidfile /cp";
        assert_eq!(
            args,
            want.split_whitespace()
                .map(String::from)
                .collect::<Vec<_>>()
        );
    }

    #[test]
    fn log_drivers_and_levels() {
        let p = Path::new("/l/ctr.log");
        assert_eq!(log_arg("", p), "k8s-file:/l/ctr.log");
        assert_eq!(log_arg("json-file", p), "k8s-file:/l/ctr.log");
        assert_eq!(log_arg("k8s-file", p), "k8s-file:/l/ctr.log");
        assert_eq!(log_arg("none", p), "none");
        assert_eq!(log_arg("passthrough", p), "passthrough");
        let lvl =
            |a: &[&str]| conmon_log_level(&a.iter().map(|s| s.to_string()).collect::<Vec<_>>());
        assert_eq!(lvl(&["/x"]), "warning");
        assert_eq!(lvl(&["/x", "--log-level", "debug"]), "debug");
        assert_eq!(lvl(&["/x", "--log-level=info"]), "info");
        assert_eq!(lvl(&["/x", "--log-level", "ERROR"]), "error");
        assert_eq!(lvl(&["/x", "--log-level", "warn"]), "warning");
    }
}
