//! Container logs through the built `rpod`, conmon and runc: the log
//! drivers (`k8s-file`, `none`, `passthrough`, `journald` without a
//! journal), `--log-opt` and containers.conf's log settings, `logs` with its
//! time window, tail, timestamps, several containers and followed output,
//! stdout and stderr kept apart, and conmon's log rotation.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use rpod_tests::TestEnv;

fn log_config(env: &TestEnv, ctr: &str) -> serde_json::Value {
    let out = env
        .rpod(&["inspect", "--format", "{{json .HostConfig.LogConfig}}", ctr])
        .ok();
    serde_json::from_str(&out.stdout).unwrap()
}

#[test]
fn none_keeps_no_log_and_logs_refuses() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    let run = env
        .rpod(&[
            "run",
            "--name",
            "quiet",
            "--log-driver",
            "none",
            "--rootfs",
            &rootfs,
            "echo",
            "hi",
        ])
        .ok();
    // The attached run still shows the output; only the log is missing.
    assert_eq!(run.stdout, "hi\n");
    let logs = env.rpod(&["logs", "quiet"]);
    assert_eq!(logs.code, 125);
    assert_eq!(
        logs.stderr,
        "Error: this container is using the 'none' log driver, cannot read logs: this container is not logging output\n"
    );
    let cfg = log_config(&env, "quiet");
    assert_eq!(cfg["Type"], "none");
    assert_eq!(cfg["Path"], "");
    assert_eq!(cfg["Size"], "0B");
}

#[test]
fn journald_without_a_journal_fails_at_create_and_leaves_nothing() {
    // Only meaningful where no journald listens (as on the test machines).
    if Path::new("/run/systemd/journal/socket").exists() {
        return;
    }
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    let run = env.rpod(&[
        "run",
        "--name",
        "j",
        "--log-driver",
        "journald",
        "--rootfs",
        &rootfs,
        "true",
    ]);
    assert_eq!(run.code, 125);
    assert_eq!(
        run.stderr,
        "Error: failed to initialize journal: write unixgram ->/run/systemd/journal/socket: sendmsg: no such file or directory\n"
    );
    let ps = env.rpod(&["ps", "-a", "--format", "{{.Names}}"]).ok();
    assert_eq!(ps.stdout, "");
}

#[test]
fn passthrough_gives_the_container_rpods_stdio() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    let run = env
        .rpod(&[
            "run",
            "--name",
            "pt",
            "--log-driver",
            "passthrough",
            "--rootfs",
            &rootfs,
            "sh",
            "-c",
            "echo out; echo err >&2",
        ])
        .ok();
    assert_eq!(run.stdout, "out\n");
    assert_eq!(run.stderr, "err\n");
    let logs = env.rpod(&["logs", "pt"]);
    assert_eq!(logs.code, 125);
    assert!(
        logs.stderr
            .contains("this container is using the 'passthrough' log driver, cannot read logs"),
        "{}",
        logs.stderr
    );
    // Detached, rpod prints no ID: its stdout belongs to the container.
    let detached = env
        .cmd(&[
            "run",
            "-d",
            "--log-driver",
            "passthrough",
            "--rootfs",
            &rootfs,
            "echo",
            "hi",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(detached.status.success());
    assert_eq!(String::from_utf8_lossy(&detached.stdout), "hi\n");
    let created = env
        .rpod(&[
            "create",
            "--name",
            "pt2",
            "--log-driver",
            "passthrough",
            "--rootfs",
            &rootfs,
            "true",
        ])
        .ok();
    assert_eq!(created.stdout, "");
    assert_eq!(log_config(&env, "pt2")["Type"], "passthrough");
}

#[test]
fn log_opts_are_checked_and_stored() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    let log = env.path("my.log");
    let log_s = log.to_string_lossy().into_owned();
    let path_opt = format!("path={log_s}");
    env.rpod(&[
        "run",
        "--name",
        "opt",
        "--log-opt",
        &path_opt,
        "--log-opt",
        "max-size=10k",
        "--rootfs",
        &rootfs,
        "sh",
        "-c",
        "echo to-file",
    ])
    .ok();
    let cfg = log_config(&env, "opt");
    assert_eq!(cfg["Type"], "k8s-file");
    assert_eq!(cfg["Path"], log_s.as_str());
    assert_eq!(cfg["Size"], "10kB");
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.ends_with(" stdout F to-file\n"), "{text}");
    assert_eq!(env.rpod(&["logs", "opt"]).ok().stdout, "to-file\n");
    // A tag is stored as typed (conmon's k8s-file writer refuses tags, so
    // the container is only created).
    env.rpod(&[
        "create",
        "--name",
        "tagged",
        "--log-opt",
        "tag={{.Name}}",
        "--rootfs",
        &rootfs,
        "true",
    ])
    .ok();
    assert_eq!(log_config(&env, "tagged")["Tag"], "{{.Name}}");
    // conmon's own error reaches rpod's stderr, as with Podman.
    let start = env.rpod(&["start", "tagged"]);
    assert_ne!(start.code, 0);
    assert!(
        start.stderr.contains("k8s-file doesn't support --log-tag"),
        "{}",
        start.stderr
    );

    let bad = |args: &[&str], msg: &str| {
        let mut all = vec!["create"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--rootfs", &rootfs, "true"]);
        let r = env.rpod(&all);
        assert_eq!(r.code, 125, "{args:?}: {}", r.stderr);
        assert_eq!(r.stderr, format!("Error: {msg}\n"), "{args:?}");
    };
    bad(&["--log-opt", "foo"], "invalid log option \"foo\"");
    bad(&["--log-opt", "max-size=abc"], "invalid size: 'abc'");
    bad(
        &["--log-driver", "bogus"],
        "running container create option: invalid log driver: invalid argument",
    );
    bad(
        &["--log-opt", "driver=bogus"],
        "running container create option: invalid log driver: invalid argument",
    );
}

#[test]
fn containers_conf_sets_the_default_driver_and_tag() {
    let env = TestEnv::with_conf("[containers]\nlog_driver = \"none\"\nlog_tag = \"from-conf\"\n");
    let rootfs = env.busybox_rootfs_arg();
    env.rpod(&["create", "--name", "c", "--rootfs", &rootfs, "true"])
        .ok();
    let cfg = log_config(&env, "c");
    assert_eq!(cfg["Type"], "none");
    assert_eq!(cfg["Tag"], "from-conf");
    // The flag wins over the file.
    env.rpod(&[
        "create",
        "--name",
        "k",
        "--log-driver",
        "k8s-file",
        "--rootfs",
        &rootfs,
        "true",
    ])
    .ok();
    assert_eq!(log_config(&env, "k")["Type"], "k8s-file");
}

#[test]
fn stdout_and_stderr_stay_apart() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    env.rpod(&[
        "run",
        "--name",
        "two",
        "--rootfs",
        &rootfs,
        "sh",
        "-c",
        "echo o1; echo e1 >&2; echo o2",
    ])
    .ok();
    let logs = env.rpod(&["logs", "two"]).ok();
    assert_eq!(logs.stdout, "o1\no2\n");
    assert_eq!(logs.stderr, "e1\n");
}

#[test]
fn tail_timestamps_and_time_window() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    env.rpod(&[
        "run",
        "-d",
        "--name",
        "w",
        "--rootfs",
        &rootfs,
        "sh",
        "-c",
        "echo before; trap 'echo after; exit' TERM; while :; do sleep 0.1; done",
    ])
    .ok();
    std::thread::sleep(Duration::from_millis(1500));
    let mid = chrono::Utc::now().to_rfc3339();
    std::thread::sleep(Duration::from_millis(100));
    env.rpod(&["stop", "w"]).ok();
    assert_eq!(env.rpod(&["logs", "w"]).ok().stdout, "before\nafter\n");
    assert_eq!(
        env.rpod(&["logs", "--since", &mid, "w"]).ok().stdout,
        "after\n"
    );
    assert_eq!(
        env.rpod(&["logs", "--until", &mid, "w"]).ok().stdout,
        "before\n"
    );
    assert_eq!(
        env.rpod(&["logs", "--since", "1000", "w"]).ok().stdout,
        "before\nafter\n"
    );
    let last = env.rpod(&["logs", "--tail", "1", "-t", "w"]).ok().stdout;
    let (stamp, text) = last.split_once(' ').unwrap();
    assert_eq!(text, "after\n");
    assert!(stamp.ends_with('Z'), "{stamp}");
    chrono::DateTime::parse_from_rfc3339(stamp).unwrap();
    assert_eq!(env.rpod(&["logs", "--tail", "0", "w"]).ok().stdout, "");
    let bad = env.rpod(&["logs", "--since", "bogus", "w"]);
    assert_eq!(bad.code, 125);
    assert_eq!(
        bad.stderr,
        "Error: parsing --since \"bogus\": unable to interpret time value\n"
    );
}

#[test]
fn several_containers_are_prefixed_and_followed_together() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    let start = |name: &str, script: &str| {
        env.rpod(&[
            "run", "-d", "--rm", "--name", name, "--rootfs", &rootfs, "sh", "-c", script,
        ])
        .ok()
        .stdout[..12]
            .to_string()
    };
    let a = start("first", "echo a; sleep 3; echo d; sleep 1");
    let b = start("second", "sleep 1; echo b; sleep 1; echo c; sleep 1");
    let followed = env.rpod(&["logs", "-f", "first", "second"]).ok();
    assert_eq!(
        followed.stdout,
        format!("{a} a\n{b} b\n{b} c\n{a} d\n"),
        "lines in the order they were written"
    );

    env.rpod(&["run", "--name", "x", "--rootfs", &rootfs, "echo", "x1"])
        .ok();
    env.rpod(&[
        "run",
        "--name",
        "y",
        "--rootfs",
        &rootfs,
        "sh",
        "-c",
        "echo y1 >&2",
    ])
    .ok();
    let named = env.rpod(&["logs", "--names", "x", "y"]).ok();
    assert_eq!(named.stdout, "x x1\n");
    assert_eq!(named.stderr, "y y1\n");
    // One container: no prefix, even with -n.
    assert_eq!(env.rpod(&["logs", "-n", "x"]).ok().stdout, "x1\n");
}

#[test]
fn follow_ends_with_the_container_and_survives_restarts() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    env.rpod(&[
        "run", "--name", "r", "--rootfs", &rootfs, "sh", "-c", "echo one",
    ])
    .ok();
    env.rpod(&["start", "-a", "r"]).ok();
    let logs = env.rpod(&["logs", "-f", "r"]).ok();
    assert_eq!(logs.stdout, "one\none\n");
}

#[test]
fn rotation_keeps_the_log_small_and_readable() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    let script = "i=0; while [ $i -lt 200 ]; do echo line-$i-padding-padding; i=$((i+1)); done";
    // Followed while conmon rotates underneath.
    env.rpod(&[
        "run",
        "-d",
        "--name",
        "big",
        "--log-opt",
        "max-size=1k",
        "--rootfs",
        &rootfs,
        "sh",
        "-c",
        &format!("sleep 1; {script}; sleep 1"),
    ])
    .ok();
    let followed = env.rpod(&["logs", "-f", "big"]).ok();
    assert!(
        followed.stdout.ends_with("line-199-padding-padding\n"),
        "{}",
        followed.stdout
    );
    let path = log_config(&env, "big")["Path"]
        .as_str()
        .unwrap()
        .to_string();
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size <= 1000, "log of {size} bytes");
    let logs = env.rpod(&["logs", "big"]).ok().stdout;
    assert!(logs.ends_with("line-199-padding-padding\n"), "{logs}");
    assert!(!logs.contains("line-0-"), "{logs}");

    // containers.conf's log_size_max applies when the container sets none.
    let env = TestEnv::with_conf("[containers]\nlog_size_max = 1000\n");
    let rootfs = env.busybox_rootfs_arg();
    env.rpod(&[
        "run", "--name", "c", "--rootfs", &rootfs, "sh", "-c", script,
    ])
    .ok();
    let path = log_config(&env, "c")["Path"].as_str().unwrap().to_string();
    assert!(std::fs::metadata(&path).unwrap().len() <= 1000);
    assert_eq!(log_config(&env, "c")["Size"], "0B");
}

#[test]
fn latest_and_missing_names() {
    let env = TestEnv::new();
    let none = env.rpod(&["logs", "-l"]);
    assert_eq!(
        (none.code, none.stderr.as_str()),
        (125, "Error: no such container\n")
    );
    let empty = env.rpod(&["logs"]);
    assert_eq!(
        (empty.code, empty.stderr.as_str()),
        (
            125,
            "Error: specify at least one container name or ID to log\n"
        )
    );
    let rootfs = env.busybox_rootfs_arg();
    env.rpod(&["run", "--name", "old", "--rootfs", &rootfs, "echo", "old"])
        .ok();
    env.rpod(&["run", "--name", "new", "--rootfs", &rootfs, "echo", "new"])
        .ok();
    assert_eq!(env.rpod(&["logs", "--latest"]).ok().stdout, "new\n");
    let both = env.rpod(&["logs", "-l", "old"]);
    assert_eq!(
        (both.code, both.stderr.as_str()),
        (
            125,
            "Error: --latest and containers cannot be used together\n"
        )
    );
}
