//! Pods with real containers: members share the infra container's network,
//! IPC and UTS namespaces; the pod verbs move the aggregate state; the exit
//! policy `stop` stops the infra container after the last member; `pod rm
//! -f` leaves no container, lock or mount behind; bad input gets Podman's
//! messages.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::path::Path;

use rpod_tests::TestEnv;

/// Imports `localhost/bb`: busybox with `nc` and `readlink`, plus the
/// host's `ipcmk` and the libc it needs (busybox has no SysV IPC tools).
fn import_image(env: &TestEnv) {
    let root = env.busybox_rootfs();
    for applet in ["nc", "readlink"] {
        std::os::unix::fs::symlink("busybox", root.join("bin").join(applet)).unwrap();
    }
    for file in [
        "/usr/bin/ipcmk",
        "/lib/x86_64-linux-gnu/libc.so.6",
        "/lib64/ld-linux-x86-64.so.2",
    ] {
        let dest = root.join(file.trim_start_matches('/'));
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(Path::new(file), &dest).unwrap();
    }
    let tar = root.with_extension("tar");
    let ok = std::process::Command::new("tar")
        .arg("-C")
        .arg(&root)
        .arg("-cf")
        .arg(&tar)
        .arg(".")
        .status()
        .is_ok_and(|s| s.success());
    assert!(ok, "tar failed");
    env.rpod(&["import", &tar.to_string_lossy(), "localhost/bb"])
        .ok();
}

fn pod_status(env: &TestEnv, pod: &str) -> String {
    let r = env
        .rpod(&["pod", "inspect", "--format", "{{.State}}", pod])
        .ok();
    r.stdout.trim().to_string()
}

#[test]
fn members_share_network_ipc_and_hostname() {
    let env = TestEnv::new();
    import_image(&env);
    let id = env
        .rpod(&["pod", "create", "--name", "web", "--hostname", "podhost"])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(id.len(), 64, "pod create prints the ID");
    assert_eq!(pod_status(&env, "web"), "Created");

    // A listener (exit code 0 only when it got the message); a talker
    // waits until the listener is up.
    let listener = env
        .rpod(&[
            "run",
            "-d",
            // stdin stays open: busybox nc would otherwise half-close
            // the connection at once, racing the talker's message.
            "-i",
            "--pod",
            "web",
            "--name",
            "listener",
            "localhost/bb",
            "sh",
            "-c",
            "nc -l -p 8080 > /tmp/got; cat /tmp/got; test \"$(cat /tmp/got)\" = over-localhost",
        ])
        .ok();
    assert!(!listener.stdout.trim().is_empty());
    assert_eq!(pod_status(&env, "web"), "Running");
    env.rpod(&[
        "run",
        "--rm",
        "--pod",
        "web",
        "localhost/bb",
        "sh",
        "-c",
        // The listening socket shows in the shared namespace's table.
        "i=0; until cat /proc/net/tcp /proc/net/tcp6 | grep -q ':1F90 [0-9A-F]*:0000 0A'; do i=$((i+1)); [ $i -gt 400 ] && exit 1; sleep 0.05; done; echo over-localhost | nc 127.0.0.1 8080",
    ])
    .ok();
    let waited = env.rpod(&["wait", "listener"]).ok();
    assert_eq!(
        waited.stdout,
        "0\n",
        "the listener got {:?}",
        env.rpod(&["logs", "listener"]).stdout
    );
    assert_eq!(
        env.rpod(&["pod", "logs", "-c", "listener", "web"])
            .ok()
            .stdout,
        "over-localhost\n"
    );

    // UTS: the pod's hostname; a member may not set its own.
    let host = env
        .rpod(&["run", "--rm", "--pod", "web", "localhost/bb", "hostname"])
        .ok();
    assert_eq!(host.stdout, "podhost\n");
    let bad = env.rpod(&[
        "run",
        "--rm",
        "--pod",
        "web",
        "--hostname",
        "mine",
        "localhost/bb",
        "hostname",
    ]);
    assert_eq!(bad.code, 125, "{}", bad.stderr);
    assert_eq!(
        bad.stderr,
        "Error: invalid config provided: cannot set hostname when joining the pod UTS namespace: invalid configuration\n"
    );

    // IPC: a SysV message queue made in one member is seen by another,
    // and so is a file in /dev/shm.
    env.rpod(&["run", "--rm", "--pod", "web", "localhost/bb", "ipcmk", "-Q"])
        .ok();
    let queues = env
        .rpod(&[
            "run",
            "--rm",
            "--pod",
            "web",
            "localhost/bb",
            "cat",
            "/proc/sysvipc/msg",
        ])
        .ok();
    assert_eq!(queues.stdout.lines().count(), 2, "{}", queues.stdout);
    env.rpod(&[
        "run",
        "--rm",
        "--pod",
        "web",
        "localhost/bb",
        "touch",
        "/dev/shm/shared",
    ])
    .ok();
    let shm = env
        .rpod(&[
            "run",
            "--rm",
            "--pod",
            "web",
            "localhost/bb",
            "ls",
            "/dev/shm",
        ])
        .ok();
    assert_eq!(shm.stdout, "shared\n");

    // A container outside the pod sees neither.
    let outside = env
        .rpod(&["run", "--rm", "localhost/bb", "cat", "/proc/sysvipc/msg"])
        .ok();
    assert_eq!(outside.stdout.lines().count(), 1, "{}", outside.stdout);

    // ps knows the pod.
    let ps = env
        .rpod(&[
            "ps",
            "-a",
            "--filter",
            "pod=web",
            "--format",
            "{{.Names}} {{.Pod}} {{.PodName}}",
        ])
        .ok();
    let short = &id[..12];
    let mut lines: Vec<&str> = ps.stdout.lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        vec![
            format!("{short}-infra {short} web"),
            format!("listener {short} web"),
        ]
    );
    env.rpod(&["pod", "rm", "-f", "-t", "0", "web"]).ok();
}

#[test]
fn pod_verbs_move_the_aggregate_state() {
    let env = TestEnv::new();
    import_image(&env);
    env.rpod(&["pod", "create", "--name", "p"]).ok();
    env.rpod(&[
        "create",
        "--pod",
        "p",
        "--name",
        "m",
        "localhost/bb",
        "sleep",
        "600",
    ])
    .ok();
    assert_eq!(pod_status(&env, "p"), "Created");
    // pod start: infra first, then the member.
    env.rpod(&["pod", "start", "p"]).ok();
    assert_eq!(pod_status(&env, "p"), "Running");
    let names = env
        .rpod(&[
            "pod",
            "ps",
            "--ctr-names",
            "--ctr-status",
            "--format",
            "{{.ContainerNames}} {{.ContainerStatuses}}",
        ])
        .ok();
    assert!(
        names.stdout.ends_with("-infra,m running,running\n"),
        "{}",
        names.stdout
    );
    env.rpod(&["pod", "pause", "p"]).ok();
    assert_eq!(pod_status(&env, "p"), "Paused");
    env.rpod(&["pod", "unpause", "p"]).ok();
    assert_eq!(pod_status(&env, "p"), "Running");
    env.rpod(&["pod", "kill", "p"]).ok();
    assert_eq!(pod_status(&env, "p"), "Exited");
    env.rpod(&["pod", "restart", "p"]).ok();
    assert_eq!(pod_status(&env, "p"), "Running");
    // One member exits while the infra container runs: Degraded.
    env.rpod(&[
        "run",
        "--pod",
        "p",
        "--name",
        "quick",
        "localhost/bb",
        "true",
    ])
    .ok();
    env.rpod(&["stop", "-t", "0", "m"]).ok();
    assert_eq!(pod_status(&env, "p"), "Degraded");
    env.rpod(&["pod", "stop", "-t", "0", "p"]).ok();
    assert_eq!(pod_status(&env, "p"), "Exited");
    let ps = env
        .rpod(&[
            "pod",
            "ps",
            "--filter",
            "status=exited",
            "--format",
            "{{.Name}} {{.NumberOfContainers}}",
        ])
        .ok();
    assert_eq!(ps.stdout, "p 3\n");
    // Starting a member of a stopped pod starts the infra container first.
    env.rpod(&["start", "m"]).ok();
    assert_eq!(pod_status(&env, "p"), "Degraded");
    // `rm --all` takes the infra container with its pod.
    let rm = env.rpod(&["rm", "-a", "-f", "-t", "0"]).ok();
    assert_eq!(rm.stdout.lines().count(), 3, "{}", rm.stdout);
    assert_eq!(env.rpod(&["pod", "ps", "-q"]).ok().stdout, "");
    assert_eq!(env.rpod(&["ps", "-a", "-q"]).ok().stdout, "");
}

#[test]
fn exit_policy_stop_stops_the_infra_after_the_last_member() {
    let env = TestEnv::new();
    import_image(&env);
    env.rpod(&["pod", "create", "--name", "job", "--exit-policy", "stop"])
        .ok();
    let infra = env
        .rpod(&["pod", "inspect", "--format", "{{.InfraContainerID}}", "job"])
        .ok()
        .stdout
        .trim()
        .to_string();
    env.rpod(&["run", "-d", "--pod", "job", "localhost/bb", "true"])
        .ok();
    // Returns once conmon's exit command stopped the infra container.
    env.rpod(&["wait", &infra]).ok();
    assert_eq!(pod_status(&env, "job"), "Exited");

    // With `continue` (the default) the infra container keeps running.
    env.rpod(&["pod", "create", "--name", "svc"]).ok();
    env.rpod(&["run", "--pod", "svc", "localhost/bb", "true"])
        .ok();
    assert_eq!(pod_status(&env, "svc"), "Degraded");
    env.rpod(&["pod", "rm", "-f", "-t", "0", "-a"]).ok();
}

#[test]
fn pod_rm_force_leaves_nothing_behind_and_bad_input_is_refused() {
    let env = TestEnv::new();
    import_image(&env);
    let free = |env: &TestEnv| {
        env.rpod(&["info", "--format", "{{.Host.FreeLocks}}"])
            .ok()
            .stdout
    };
    let before = free(&env);
    let id_file = env.path("pod.id");
    env.rpod(&[
        "pod",
        "create",
        "--name",
        "gone",
        "--label",
        "tier=web",
        "--pod-id-file",
        &id_file.to_string_lossy(),
    ])
    .ok();
    let id = std::fs::read_to_string(&id_file).unwrap();
    env.rpod(&["run", "-d", "--pod", "gone", "localhost/bb", "sleep", "600"])
        .ok();
    assert_eq!(
        env.rpod(&[
            "pod",
            "ps",
            "--filter",
            "label=tier=web",
            "--no-trunc",
            "-q"
        ])
        .ok()
        .stdout,
        format!("{id}\n")
    );

    // Duplicate names, across pods and containers.
    let dup = env.rpod(&["pod", "create", "--name", "gone"]);
    assert_eq!(dup.code, 125);
    assert_eq!(
        dup.stderr,
        "Error: adding pod to state: name \"gone\" is in use: pod already exists\n"
    );
    let ctr = env.rpod(&["create", "--name", "gone", "localhost/bb", "true"]);
    assert_eq!(ctr.code, 125, "{}", ctr.stderr);
    let share = env.rpod(&["pod", "create", "--share", "bogus"]);
    assert_eq!(share.code, 125);
    assert_eq!(
        share.stderr,
        "Error: invalid kernel namespace to share: bogus. Options are: cgroup, ipc, net, pid, uts or none\n"
    );

    // The infra container goes only with its pod.
    let infra = format!("{}-infra", &id[..12]);
    let rm_infra = env.rpod(&["rm", "-f", &infra]);
    assert_eq!(rm_infra.code, 125);
    assert!(
        rm_infra
            .stderr
            .ends_with("and cannot be removed without removing the pod\n"),
        "{}",
        rm_infra.stderr
    );
    // A running member needs -f.
    let busy = env.rpod(&["pod", "rm", "gone"]);
    assert_eq!(busy.code, 125);
    assert!(
        busy.stderr
            .contains("running or paused containers cannot be removed without force"),
        "{}",
        busy.stderr
    );
    assert_eq!(
        env.rpod(&["pod", "rm", "-f", "-t", "0", "gone"])
            .ok()
            .stdout,
        format!("{id}\n")
    );
    assert_eq!(env.rpod(&["pod", "exists", "gone"]).code, 1);
    assert_eq!(env.rpod(&["ps", "-a", "-q"]).ok().stdout, "");
    assert_eq!(env.rpod(&["pod", "ps", "-q"]).ok().stdout, "");
    assert_eq!(free(&env), before, "every lock is freed");
    assert_eq!(env.mounts(), Vec::<String>::new(), "nothing stays mounted");
    assert!(TestEnv::conmons_with(&id[..12]).is_empty());
}

#[test]
fn a_pod_rm_killed_midway_is_finished_by_the_next_one() {
    let env = TestEnv::new();
    import_image(&env);
    let free_before = env
        .rpod(&["info", "--format", "{{.Host.FreeLocks}}"])
        .ok()
        .stdout;
    env.rpod(&["pod", "create", "--name", "half"]).ok();
    // PID 1 ignores SIGTERM: the stop waits its whole timeout.
    env.rpod(&[
        "run",
        "-d",
        "--pod",
        "half",
        "--name",
        "stubborn",
        "--stop-timeout",
        "120",
        "localhost/bb",
        "sleep",
        "600",
    ])
    .ok();
    let mut child = env
        .cmd(&["pod", "rm", "-f", "half"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it hard once the member is being stopped.
    let mut stopping = false;
    for _ in 0..600 {
        let st = env.rpod(&["inspect", "--format", "{{.State.Status}}", "stubborn"]);
        if st.stdout.trim() == "stopping" {
            stopping = true;
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(stopping, "the member never showed as stopping");
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(env.rpod(&["pod", "exists", "half"]).code, 0);

    env.rpod(&["pod", "rm", "-f", "-t", "0", "half"]).ok();
    assert_eq!(env.rpod(&["pod", "exists", "half"]).code, 1);
    assert_eq!(env.rpod(&["ps", "-a", "-q"]).ok().stdout, "");
    assert_eq!(
        env.rpod(&["info", "--format", "{{.Host.FreeLocks}}"])
            .ok()
            .stdout,
        free_before
    );
    assert_eq!(env.mounts(), Vec::<String>::new());
}
