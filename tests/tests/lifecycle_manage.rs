//! Real containers through the built `rpod`, conmon and runc: exec, pause,
//! unpause, restart, rename, rm, ps and inspect formats, logs, top, wait,
//! kill, attach and prune.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::time::Duration;

use rpod_tests::TestEnv;

#[test]
fn exec_output_and_exit_codes() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
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
    let rootfs = env.busybox_rootfs_arg();
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
    let rootfs = env.busybox_rootfs_arg();
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
fn logs_top_wait_kill_attach_and_prune() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
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
    // A value starting with '-' is the signal's value, not another flag
    // (and -9 is no signal number, as in Podman).
    let bad = env.rpod(&["kill", "--signal", "-9", "sleeper"]);
    assert_eq!(bad.code, 125, "{bad:?}");
    assert!(!bad.stderr.contains("flag"), "{}", bad.stderr);
    assert!(bad.stderr.contains("-9"), "{}", bad.stderr);
    env.rpod(&["kill", "--signal", "SIGKILL", "sleeper"]).ok();
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
    let rootfs = env.busybox_rootfs_arg();
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
