//! Real containers through the built `rpod`, conmon and runc: `run` with its
//! exit codes and `--rm`, detached runs with logs and stop, and signals sent
//! to `rpod run`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::time::Duration;

use rpod_tests::TestEnv;

#[test]
fn run_passes_exit_codes_through() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    let ok = env.rpod(&["run", "--rm", "--rootfs", &rootfs, "true"]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);
    let three = env.rpod(&["run", "--rm", "--rootfs", &rootfs, "sh", "-c", "exit 3"]);
    assert_eq!(three.code, 3, "{}", three.stderr);
    let out = env.rpod(&[
        "run",
        "--rm",
        "--rootfs",
        &rootfs,
        "sh",
        "-c",
        "echo out; echo err >&2",
    ]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "out\n");
    assert_eq!(out.stderr, "err\n");

    let missing = env.rpod(&["run", "--rm", "--rootfs", &rootfs, "nosuchcmd"]);
    assert_eq!(missing.code, 127, "{}", missing.stderr);
    assert!(
        missing.stderr.starts_with("Error: runc: "),
        "{}",
        missing.stderr
    );
    assert!(
        missing
            .stderr
            .trim_end()
            .ends_with(": OCI runtime attempted to invoke a command that was not found"),
        "{}",
        missing.stderr
    );
    let dir = env.rpod(&["run", "--rm", "--rootfs", &rootfs, "/etc"]);
    assert_eq!(dir.code, 126, "{}", dir.stderr);
    assert!(dir.stderr.contains("permission denied"), "{}", dir.stderr);
}

#[test]
fn run_rm_leaves_nothing_behind() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    let r = env.rpod(&[
        "run", "--rm", "--name", "gone", "--rootfs", &rootfs, "sh", "-c", "echo bye",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "bye\n");
    assert_eq!(env.rpod(&["ps", "-a", "-q"]).ok().stdout, "");
    let exists = env.rpod(&["container", "exists", "gone"]);
    assert_eq!(exists.code, 1);
    let exits: Vec<_> = std::fs::read_dir(env.path("tmp/exits"))
        .map(|rd| rd.flatten().map(|e| e.file_name()).collect())
        .unwrap_or_default();
    assert!(exits.is_empty(), "exit files left: {exits:?}");
    // conmon's own cleanup may still be finishing: give it a moment.
    std::thread::sleep(Duration::from_millis(300));
    assert!(env.mounts().is_empty(), "mounts left: {:?}", env.mounts());
    let base = env.path("").to_string_lossy().into_owned();
    assert!(
        TestEnv::conmons_with(&base).is_empty(),
        "conmon left running"
    );
    // Only storage's own files (containers.json, the lock) may remain.
    let ctrs: Vec<_> = std::fs::read_dir(env.path("root/overlay-containers"))
        .map(|rd| rd.flatten().filter(|e| e.path().is_dir()).collect())
        .unwrap_or_default();
    assert!(ctrs.is_empty(), "container directories left: {ctrs:?}");
}

#[test]
fn detached_run_logs_and_stop_with_sigkill_fallback() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    let id = env
        .rpod(&[
            "run",
            "-d",
            "--name",
            "stubborn",
            "--rootfs",
            &rootfs,
            "sh",
            "-c",
            "trap '' TERM; echo started; while true; do sleep 0.1; done",
        ])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(id.len(), 64, "{id}");
    // The log appears once the shell ran.
    let mut logs = String::new();
    for _ in 0..600 {
        logs = env.rpod(&["logs", "stubborn"]).ok().stdout;
        if !logs.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(logs, "started\n");
    let ps = env.rpod(&["ps", "--format", "{{.Names}} {{.Status}}"]).ok();
    assert!(ps.stdout.starts_with("stubborn Up "), "{}", ps.stdout);

    let stop = env.rpod(&["stop", "-t", "1", "stubborn"]);
    assert_eq!(stop.code, 0, "{}", stop.stderr);
    assert_eq!(stop.stdout, "stubborn\n");
    assert!(
        stop.stderr.contains(
            "StopSignal SIGTERM failed to stop container stubborn in 1 seconds, resorting to SIGKILL"
        ),
        "{}",
        stop.stderr
    );
    let code = env
        .rpod(&[
            "inspect",
            "--format",
            "{{.State.ExitCode}} {{.State.Status}}",
            "stubborn",
        ])
        .ok();
    assert_eq!(code.stdout, "137 exited\n");
    // Stopping a stopped container succeeds.
    assert_eq!(env.rpod(&["stop", "stubborn"]).ok().stdout, "stubborn\n");
    let waited = env.rpod(&["wait", &id]).ok();
    assert_eq!(waited.stdout, "137\n");
}

#[test]
fn signals_sent_to_rpod_run_reach_the_container() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    let child = env
        .cmd(&[
            "run",
            "--name",
            "sig",
            "--rootfs",
            &rootfs,
            "sh",
            "-c",
            "trap 'echo got INT; exit 42' INT; echo ready; while true; do sleep 0.1; done",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    // Wait until the trap is installed (the container printed "ready").
    let mut ready = false;
    for _ in 0..600 {
        if env.rpod(&["logs", "sig"]).stdout.contains("ready") {
            ready = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    if !ready {
        let mut child = child;
        let _ = child.kill();
        let out = child.wait_with_output().unwrap();
        panic!(
            "the container never started: {} {}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let sent = std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    assert!(sent.success());
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(42),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "ready\ngot INT\n");
}
