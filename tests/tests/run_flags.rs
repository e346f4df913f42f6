//! `run` flags that shape the OCI spec, checked from inside real containers.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use rpod_tests::TestEnv;

/// Runs `sh -c script` in a fresh container with `flags`; returns stdout.
fn run_sh(env: &TestEnv, flags: &[&str], script: &str) -> String {
    let rootfs = env.busybox_rootfs().to_string_lossy().into_owned();
    let mut args = vec!["run", "--rm"];
    args.extend_from_slice(flags);
    args.extend_from_slice(&["--rootfs", &rootfs, "sh", "-c", script]);
    let r = env.rpod(&args);
    assert_eq!(r.code, 0, "{flags:?} {script}: {}", r.stderr);
    r.stdout
}

#[test]
fn identity_environment_and_workdir() {
    let env = TestEnv::new();
    std::fs::write(env.path("vars.env"), "# comment\nFROM_FILE=yes\n").unwrap();
    let envfile = env.path("vars.env").to_string_lossy().into_owned();
    let out = run_sh(
        &env,
        &[
            "-e",
            "A=1",
            "--env-file",
            &envfile,
            "-w",
            "/tmp",
            "--hostname",
            "box",
            "-u",
            "65534:65534",
        ],
        "echo $A $FROM_FILE $(pwd) $(hostname) $(id -u):$(id -g) $container",
    );
    assert_eq!(out, "1 yes /tmp box 65534:65534 podman\n");
    let def = run_sh(&env, &[], "echo $HOSTNAME $PATH");
    assert!(
        def.ends_with(" /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\n"),
        "{def}"
    );
    assert_eq!(def.split(' ').next().unwrap().len(), 12, "{def}");
}

#[test]
fn capabilities_follow_podman_defaults() {
    let env = TestEnv::new();
    // CapEff of the 11 default capabilities is 0x800405fb.
    let caps = run_sh(&env, &[], "grep CapEff /proc/self/status");
    assert_eq!(
        caps.split_whitespace().nth(1),
        Some("00000000800405fb"),
        "{caps}"
    );
    let dropped = run_sh(
        &env,
        &["--cap-drop", "CHOWN"],
        "grep CapEff /proc/self/status",
    );
    assert_eq!(
        dropped.split_whitespace().nth(1),
        Some("00000000800405fa"),
        "{dropped}"
    );
    let nnp = run_sh(
        &env,
        &["--security-opt", "no-new-privileges"],
        "grep NoNewPrivs /proc/self/status",
    );
    assert!(nnp.contains("1"), "{nnp}");
    let masked = run_sh(
        &env,
        &[],
        "ls /sys/firmware | wc -l; grep ' /proc/sys ' /proc/mounts | grep -c '[ ,]ro[ ,]'",
    );
    assert_eq!(
        masked, "0\n1\n",
        "/sys/firmware masked, /proc/sys read-only"
    );
}

#[test]
fn capability_names_parse_like_podman() {
    let env = TestEnv::new();
    // NET_ADMIN is bit 12, SYS_TIME bit 25; lowercase and commas accepted.
    let added = run_sh(
        &env,
        &["--cap-add", "net_admin,CAP_SYS_TIME", "--cap-add", ""],
        "grep CapEff /proc/self/status",
    );
    assert_eq!(
        added.split_whitespace().nth(1),
        Some("00000000820415fb"),
        "{added}"
    );
    let rootfs = env.busybox_rootfs().to_string_lossy().into_owned();
    let r = env.rpod(&["create", "--cap-add", "foo", "--rootfs", &rootfs, "true"]);
    assert_eq!(r.code, 125);
    assert_eq!(r.stderr, "Error: \"CAP_FOO\": unknown capability\n");
    let r = env.rpod(&[
        "create",
        "--cap-add",
        "kill",
        "--cap-drop",
        "KILL",
        "--rootfs",
        &rootfs,
        "true",
    ]);
    assert_eq!(r.code, 125);
    assert_eq!(
        r.stderr,
        "Error: capability \"CAP_KILL\" cannot be dropped and added\n"
    );
}

#[test]
fn filesystems_binds_tmpfs_and_read_only() {
    let env = TestEnv::new();
    std::fs::create_dir_all(env.path("share")).unwrap();
    std::fs::write(env.path("share/f"), "from host").unwrap();
    let share = env.path("share").to_string_lossy().into_owned();
    let bind = format!("{share}:/data:ro");
    let out = run_sh(
        &env,
        &["-v", &bind, "--tmpfs", "/scratch"],
        "cat /data/f; echo; touch /data/x 2>/dev/null || echo ro-ok; touch /scratch/y && echo tmpfs-ok",
    );
    assert_eq!(out, "from host\nro-ok\ntmpfs-ok\n");
    let ro = run_sh(
        &env,
        &["--read-only"],
        "touch /x 2>/dev/null || echo readonly; touch /tmp/ok && echo tmp-writable",
    );
    assert_eq!(ro, "readonly\ntmp-writable\n");
    let shm = run_sh(&env, &[], "grep ' /dev/shm ' /proc/mounts");
    assert!(
        shm.contains("tmpfs") && shm.contains("size=64000k"),
        "{shm}"
    );
}

#[test]
fn limits_and_namespaces() {
    let env = TestEnv::new();
    let limits = run_sh(
        &env,
        &[
            "--ulimit",
            "nofile=1000:1000",
            "--memory",
            "64m",
            "--pids-limit",
            "100",
        ],
        "ulimit -n; cat /sys/fs/cgroup/memory/memory.limit_in_bytes; cat /sys/fs/cgroup/pids/pids.max",
    );
    assert_eq!(limits, "1000\n67108864\n100\n");
    // The default nofile limit never exceeds the host's hard limit.
    let host_hard = std::process::Command::new("sh")
        .args(["-c", "ulimit -Hn"])
        .output()
        .unwrap();
    let host_hard: u64 = String::from_utf8_lossy(&host_hard.stdout)
        .trim()
        .parse()
        .unwrap_or(u64::MAX);
    let default_n: u64 = run_sh(&env, &[], "ulimit -n").trim().parse().unwrap();
    assert!(default_n <= host_hard, "{default_n} > {host_hard}");

    let lo_only = run_sh(&env, &["--network", "none"], "ls /sys/class/net");
    assert_eq!(lo_only, "lo\n");
    let host_net = run_sh(&env, &["--network", "host"], "ls /sys/class/net | wc -l");
    assert_ne!(host_net, "1\n", "host network shows the host's interfaces");
    let pid1 = run_sh(&env, &["--init"], "cat /proc/1/comm");
    // Podman mounts catatonit as /run/podman-init.
    assert_eq!(pid1, "podman-init\n");
    let nocg = run_sh(&env, &["--cgroups", "disabled"], "echo ran");
    assert_eq!(nocg, "ran\n");
}

#[test]
fn ports_without_a_network_of_its_own_are_discarded_with_a_warning() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs().to_string_lossy().into_owned();
    let r = env.rpod(&[
        "run",
        "--rm",
        "--network",
        "none",
        "-p",
        "8080:80",
        "--rootfs",
        &rootfs,
        "true",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stderr.contains("Port mappings have been discarded"),
        "{}",
        r.stderr
    );
}
