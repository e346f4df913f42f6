//! Real containers through the built `rpod`, conmon and runc: run, exit
//! codes, logs, stop, exec, pause, restart, rename, rm, ps and inspect, and
//! crashes in the middle.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::time::Duration;

use rpod_tests::TestEnv;

fn rootfs_arg(env: &TestEnv) -> String {
    env.busybox_rootfs().to_string_lossy().into_owned()
}

#[test]
fn run_passes_exit_codes_through() {
    let env = TestEnv::new();
    let rootfs = rootfs_arg(&env);
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
    let rootfs = rootfs_arg(&env);
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
    let rootfs = rootfs_arg(&env);
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
fn exec_output_and_exit_codes() {
    let env = TestEnv::new();
    let rootfs = rootfs_arg(&env);
    env.rpod(&[
        "run", "-d", "--name", "box", "--rootfs", &rootfs, "sleep", "60",
    ])
    .ok();
    let r = env.rpod(&["exec", "box", "sh", "-c", "echo hi; echo oops >&2; exit 7"]);
    assert_eq!(r.code, 7, "{}", r.stderr);
    assert_eq!(r.stdout, "hi\n");
    assert_eq!(r.stderr, "oops\n");
    let env_r = env.rpod(&[
        "exec",
        "-e",
        "X=42",
        "-w",
        "/tmp",
        "box",
        "sh",
        "-c",
        "echo $X $(pwd)",
    ]);
    assert_eq!(env_r.stdout, "42 /tmp\n", "{}", env_r.stderr);
    let user = env.rpod(&["exec", "-u", "65534", "box", "id", "-u"]);
    assert_eq!(user.stdout, "65534\n", "{}", user.stderr);
    let missing = env.rpod(&["exec", "box", "nosuchcmd"]);
    assert_eq!(missing.code, 127, "{}", missing.stderr);
    let detached = env.rpod(&["exec", "-d", "box", "sleep", "1"]);
    assert_eq!(detached.code, 0, "{}", detached.stderr);

    env.rpod(&["stop", "-t", "0", "box"]).ok();
    let stopped = env.rpod(&["exec", "box", "true"]);
    assert_eq!(stopped.code, 255);
    assert_eq!(
        stopped.stderr,
        "Error: can only create exec sessions on running containers: container state improper\n"
    );
}

#[test]
fn pause_unpause_restart_rename_and_forced_removal() {
    let env = TestEnv::new();
    let rootfs = rootfs_arg(&env);
    env.rpod(&[
        "run", "-d", "--name", "p1", "--rootfs", &rootfs, "sleep", "60",
    ])
    .ok();
    env.rpod(&["pause", "p1"]).ok();
    let st = env.rpod(&["ps", "-a", "--format", "{{.Status}}"]).ok();
    assert_eq!(st.stdout, "Paused\n");
    env.rpod(&["unpause", "p1"]).ok();
    let st = env
        .rpod(&["inspect", "--format", "{{.State.Status}}", "p1"])
        .ok();
    assert_eq!(st.stdout, "running\n");

    let pid_before = env
        .rpod(&["inspect", "--format", "{{.State.Pid}}", "p1"])
        .ok()
        .stdout;
    env.rpod(&["restart", "-t", "0", "p1"]).ok();
    let pid_after = env
        .rpod(&[
            "inspect",
            "--format",
            "{{.State.Pid}} {{.State.Status}}",
            "p1",
        ])
        .ok()
        .stdout;
    assert!(pid_after.ends_with(" running\n"), "{pid_after}");
    assert_ne!(pid_before.trim(), pid_after.split(' ').next().unwrap());

    env.rpod(&["rename", "p1", "p2"]).ok();
    assert_eq!(env.rpod(&["container", "exists", "p1"]).code, 1);
    assert_eq!(env.rpod(&["container", "exists", "p2"]).code, 0);

    let refused = env.rpod(&["rm", "p2"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert!(
        refused.stderr.contains("cannot remove container"),
        "{}",
        refused.stderr
    );
    let forced = env.rpod(&["rm", "-f", "-t", "0", "p2"]);
    assert_eq!(forced.code, 0, "{}", forced.stderr);
    assert_eq!(env.rpod(&["ps", "-a", "-q"]).ok().stdout, "");
    let missing = env.rpod(&["rm", "p2"]);
    assert_eq!(missing.code, 1);
    assert_eq!(env.rpod(&["rm", "-f", "p2"]).code, 0);
}

#[test]
fn ps_and_inspect_formats() {
    let env = TestEnv::new();
    let rootfs = rootfs_arg(&env);
    env.rpod(&[
        "create", "--name", "c1", "--label", "app=web", "--rootfs", &rootfs, "echo", "hello",
        "world", "and", "more",
    ])
    .ok();
    let table = env.rpod(&["ps", "-a"]).ok().stdout;
    let mut lines = table.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("CONTAINER ID  IMAGE       COMMAND"),
        "{header:?}"
    );
    assert!(header.ends_with("NAMES"), "{header:?}");
    let row = lines.next().unwrap();
    assert!(row.contains("echo hello world ..."), "{row:?}");
    assert!(row.contains("Created"), "{row:?}");
    assert!(row.ends_with("c1"), "{row:?}");

    let json = env.rpod(&["ps", "-a", "--format", "json"]).ok().stdout;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let rec = &v[0];
    for key in [
        "AutoRemove",
        "Command",
        "Created",
        "CreatedAt",
        "Exited",
        "ExitedAt",
        "ExitCode",
        "Id",
        "Image",
        "Labels",
        "Names",
        "Pid",
        "State",
        "Status",
    ] {
        assert!(rec.get(key).is_some(), "ps json lacks {key}: {rec}");
    }
    assert_eq!(rec["State"], "created");
    assert_eq!(rec["Names"][0], "c1");
    assert_eq!(rec["Labels"]["app"], "web");

    let filtered = env
        .rpod(&[
            "ps",
            "-a",
            "--filter",
            "label=app=web",
            "--filter",
            "status=created",
            "--format",
            "{{.Names}}",
        ])
        .ok();
    assert_eq!(filtered.stdout, "c1\n");
    let none = env
        .rpod(&["ps", "-a", "--filter", "status=running", "-q"])
        .ok();
    assert_eq!(none.stdout, "");

    let inspect = env.rpod(&["inspect", "c1"]).ok().stdout;
    assert!(
        inspect.starts_with("[\n    {\n        \"Id\": "),
        "{inspect}"
    );
    let v: serde_json::Value = serde_json::from_str(&inspect).unwrap();
    let c = &v[0];
    assert_eq!(c["Name"], "c1");
    assert_eq!(c["Path"], "echo");
    assert_eq!(
        c["Args"],
        serde_json::json!(["hello", "world", "and", "more"])
    );
    assert_eq!(c["State"]["Status"], "created");
    assert_eq!(c["Config"]["Labels"]["app"], "web");
    assert_eq!(c["EffectiveCaps"].as_array().unwrap().len(), 11);

    let missing = env.rpod(&["inspect", "nope"]);
    assert_eq!(missing.code, 125);
    assert_eq!(missing.stdout, "[]\n");
    assert_eq!(
        missing.stderr,
        "Error: inspecting object: no such object: \"nope\"\n"
    );
}

#[test]
fn killing_rpod_run_midway_leaves_a_usable_state() {
    let env = TestEnv::new();
    let rootfs = rootfs_arg(&env);
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
    let rootfs = rootfs_arg(&env);
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
    let rootfs = rootfs_arg(&env);
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
fn logs_top_wait_kill_attach_and_prune() {
    let env = TestEnv::new();
    let rootfs = rootfs_arg(&env);
    env.rpod(&[
        "run",
        "--name",
        "chatty",
        "--rootfs",
        &rootfs,
        "sh",
        "-c",
        "for i in 1 2 3 4; do echo line$i; done; echo oops >&2",
    ]);
    let all = env.rpod(&["logs", "chatty"]).ok();
    assert_eq!(all.stdout, "line1\nline2\nline3\nline4\n");
    assert_eq!(all.stderr, "oops\n");
    let tail = env.rpod(&["logs", "--tail", "2", "chatty"]).ok();
    assert_eq!(
        tail.stdout, "line4\n",
        "the last two lines are line4 and the stderr line"
    );
    let ts = env.rpod(&["logs", "-t", "--tail", "1", "chatty"]).ok();
    assert!(
        ts.stderr.ends_with(" oops\n") && ts.stderr.contains("T"),
        "{}",
        ts.stderr
    );
    let none = env
        .rpod(&["logs", "--since", "2099-01-01T00:00:00Z", "chatty"])
        .ok();
    assert_eq!(none.stdout, "");

    env.rpod(&[
        "run",
        "-d",
        "--name",
        "sleeper",
        "--rootfs",
        &rootfs,
        "sh",
        "-c",
        "sleep 60 & sleep 61",
    ])
    .ok();
    let top = env.rpod(&["top", "sleeper", "pid", "args"]).ok();
    let lines: Vec<&str> = top.stdout.lines().collect();
    assert!(
        lines[0].starts_with("PID") && lines[0].contains("COMMAND"),
        "{}",
        top.stdout
    );
    // busybox sh execs its last command, so PID 1 is `sleep 61`.
    assert!(
        lines[1].starts_with("1 ") && lines[1].ends_with("sleep 61"),
        "{}",
        top.stdout
    );
    assert!(lines[2].ends_with("sleep 60"), "{}", top.stdout);
    assert_eq!(lines.len(), 3, "{}", top.stdout);
    let running = env
        .rpod(&["wait", "--condition", "running", "sleeper"])
        .ok();
    assert_eq!(running.stdout, "0\n");
    env.rpod(&["kill", "-s", "KILL", "sleeper"]).ok();
    let code = env.rpod(&["wait", "sleeper"]).ok();
    assert_eq!(code.stdout, "137\n");

    // attach streams what the container prints after it attached, then its exit code.
    env.rpod(&[
        "run",
        "-d",
        "--name",
        "late",
        "--rootfs",
        &rootfs,
        "sh",
        "-c",
        "while [ ! -e /tmp/go ]; do sleep 0.05; done; echo late; exit 9",
    ])
    .ok();
    // The container speaks only once the test lets it, after attach started.
    let go = std::path::Path::new(&rootfs).join("tmp/go");
    let attach = env
        .cmd(&["attach", "--no-stdin", "late"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(1));
    std::fs::write(&go, "").unwrap();
    let att: rpod_tests::Run = attach.wait_with_output().unwrap().into();
    assert_eq!(att.code, 9, "{}", att.stderr);
    assert_eq!(att.stdout, "late\n");

    let pruned = env.rpod(&["container", "prune", "-f"]).ok();
    assert_eq!(pruned.stdout.lines().count(), 3, "{}", pruned.stdout);
    assert_eq!(env.rpod(&["ps", "-a", "-q"]).ok().stdout, "");
}

#[test]
fn logs_follow_ends_when_the_container_stops_and_tty_output_arrives() {
    let env = TestEnv::new();
    let rootfs = rootfs_arg(&env);
    env.rpod(&[
        "run",
        "-d",
        "--name",
        "f",
        "--rootfs",
        &rootfs,
        "sh",
        "-c",
        "trap '' TERM; echo one; while true; do sleep 0.1; done",
    ])
    .ok();
    let follower = env
        .cmd(&["logs", "-f", "f"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(300));
    let stop = env.rpod(&["stop", "-t", "1", "f"]);
    assert_eq!(stop.code, 0, "{}", stop.stderr);
    assert!(
        stop.stderr.contains("resorting to SIGKILL"),
        "{}",
        stop.stderr
    );
    let out = follower.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "one\n");
    assert_eq!(
        env.rpod(&["inspect", "--format", "{{.State.ExitCode}}", "f"])
            .ok()
            .stdout,
        "137\n"
    );

    // With -t the container gets a terminal; its output comes back through it.
    let tty = env.rpod(&[
        "run",
        "--rm",
        "-t",
        "--rootfs",
        &rootfs,
        "sh",
        "-c",
        "test -t 1 && echo on-a-tty",
    ]);
    assert_eq!(tty.code, 0, "{}", tty.stderr);
    assert_eq!(tty.stdout, "on-a-tty\r\n");
}

#[test]
fn signals_sent_to_rpod_run_reach_the_container() {
    let env = TestEnv::new();
    let rootfs = rootfs_arg(&env);
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

#[test]
fn a_container_whose_conmon_was_killed_is_reported_stopped_and_removable() {
    let env = TestEnv::new();
    let rootfs = rootfs_arg(&env);
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
