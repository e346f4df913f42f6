//! Real containers through the built `rpod`, conmon and runc, with crashes
//! in the middle: a killed `rpod run`, a reboot, conmon's exit command for a
//! detached `--rm` container, and a killed conmon.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::time::Duration;

use rpod_tests::TestEnv;

#[test]
fn killing_rpod_run_midway_leaves_a_usable_state() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    let mut child = env
        .cmd(&[
            "run", "--name", "victim", "--rootfs", &rootfs, "sleep", "60",
        ])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the container runs (generously: CI runs many tests on two
    // cores), then kill the rpod process hard.
    let mut running = false;
    for _ in 0..600 {
        let st = env.rpod(&["ps", "--format", "{{.Names}}"]);
        if st.stdout.contains("victim") {
            running = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(running, "the container never showed as running");
    child.kill().unwrap();
    child.wait().unwrap();
    let ps = env
        .rpod(&["ps", "-a", "--format", "{{.Names}} {{.State}}"])
        .ok();
    assert!(ps.stdout.starts_with("victim Up "), "{}", ps.stdout);
    let rm = env.rpod(&["rm", "-f", "-t", "0", "victim"]);
    assert_eq!(rm.code, 0, "{}", rm.stderr);
    assert_eq!(env.rpod(&["ps", "-a", "-q"]).ok().stdout, "");
}

#[test]
fn a_reboot_puts_every_container_back_in_a_valid_state() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    env.rpod(&[
        "run", "--name", "done", "--rootfs", &rootfs, "sh", "-c", "exit 4",
    ]);
    env.rpod(&[
        "run", "-d", "--name", "alive", "--rootfs", &rootfs, "sleep", "60",
    ])
    .ok();
    // A reboot: every process dies and the tmpfs tmp dir and run root are wiped.
    let id = env
        .rpod(&["inspect", "--format", "{{.Id}}", "alive"])
        .ok()
        .stdout
        .trim()
        .to_string();
    let pid = env
        .rpod(&[
            "inspect",
            "--format",
            "{{.State.ConmonPid}} {{.State.Pid}}",
            "alive",
        ])
        .ok()
        .stdout;
    for p in pid.split_whitespace() {
        let _ = std::process::Command::new("kill").args(["-9", p]).status();
    }
    std::thread::sleep(Duration::from_millis(200));
    for m in env.mounts() {
        let _ = std::process::Command::new("umount")
            .args(["-l", &m])
            .status();
    }
    // runc keeps its own state in /run/runc, which a reboot wipes too.
    let _ = std::process::Command::new("runc")
        .args(["delete", "--force", &id])
        .status();
    std::fs::remove_dir_all(env.path("tmp")).unwrap();
    std::fs::remove_dir_all(env.path("runroot")).unwrap();

    let ps = env
        .rpod(&[
            "ps",
            "-a",
            "--sort",
            "names",
            "--format",
            "{{.Names}} {{.Status}}",
        ])
        .ok();
    let lines: Vec<&str> = ps.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{}", ps.stdout);
    assert_eq!(lines[0], "alive Created", "{}", ps.stdout);
    assert!(lines[1].starts_with("done Exited (4) "), "{}", ps.stdout);
    // The refreshed container starts again.
    let start = env.rpod(&["start", "alive"]);
    assert_eq!(start.code, 0, "{}", start.stderr);
    let st = env
        .rpod(&["inspect", "--format", "{{.State.Status}}", "alive"])
        .ok();
    assert_eq!(st.stdout, "running\n");
}

#[test]
fn a_detached_rm_container_is_removed_by_conmons_exit_command() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    env.rpod(&[
        "run",
        "-d",
        "--rm",
        "--name",
        "brief",
        "--rootfs",
        &rootfs,
        "sh",
        "-c",
        "sleep 0.2; exit 5",
    ])
    .ok();
    let mut gone = false;
    for _ in 0..300 {
        if env.rpod(&["container", "exists", "brief"]).code == 1 {
            gone = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        gone,
        "conmon's `container cleanup --rm` did not remove the container"
    );
    let ev = env
        .rpod(&[
            "events",
            "--stream=false",
            "--filter",
            "container=brief",
            "--format",
            "{{.Status}}",
        ])
        .ok();
    let statuses: Vec<&str> = ev.stdout.lines().collect();
    assert_eq!(
        statuses,
        ["create", "init", "start", "died", "cleanup", "remove"],
        "{}",
        ev.stdout
    );
}

#[test]
fn a_container_whose_conmon_was_killed_is_reported_stopped_and_removable() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    let r = env.rpod(&[
        "run", "-d", "--name", "orphan", "--rootfs", &rootfs, "sleep", "300",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let pids = env
        .rpod(&[
            "inspect",
            "--format",
            "{{.State.Pid}} {{.State.ConmonPid}}",
            "orphan",
        ])
        .ok()
        .stdout;
    let (pid, conmon) = pids.trim().split_once(' ').unwrap();
    let kill = |pid: &str| {
        let ok = std::process::Command::new("kill")
            .args(["-KILL", pid])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {pid}");
    };
    // conmon alone gone: the container still runs and is reported so.
    kill(conmon);
    std::thread::sleep(Duration::from_millis(200));
    let status = |env: &TestEnv| {
        env.rpod(&[
            "inspect",
            "--format",
            "{{.State.Status}} {{.State.ExitCode}}",
            "orphan",
        ])
        .ok()
        .stdout
    };
    assert_eq!(status(&env), "running 0\n");
    // Then its process too: nobody will write an exit file, so rpod records
    // the exit itself instead of waiting forever.
    kill(pid);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while status(&env) == "running 0\n" && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    // Stopped (the exit is recorded; no exit command came to clean up).
    assert_eq!(status(&env), "stopped -1\n");
    let r = env.rpod(&["stop", "-t", "0", "orphan"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let r = env.rpod(&["rm", "orphan"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(env.rpod(&["ps", "-a", "-q"]).ok().stdout, "");
}
