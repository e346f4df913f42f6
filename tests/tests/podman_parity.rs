//! Small behaviours matched against Podman 4.3.1 by hand: what the
//! multi-container verbs print, that they look every name up before
//! acting, forced removal of a paused container, tmpfs options, a missing
//! working directory, `TERM`, and per-container seccomp profiles.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::time::{Duration, Instant};

use rpod_tests::TestEnv;

/// Starts a detached `sleep` container called `name`; returns its full ID.
fn sleeper(env: &TestEnv, name: &str) -> String {
    let rootfs = env.busybox_rootfs_arg();
    let r = env
        .rpod(&[
            "run", "-d", "--name", name, "--rootfs", &rootfs, "sleep", "600",
        ])
        .ok();
    r.stdout.trim().to_string()
}

fn status(env: &TestEnv, name: &str) -> String {
    env.rpod(&["inspect", "--format", "{{.State.Status}}", name])
        .ok()
        .stdout
        .trim()
        .to_string()
}

#[test]
fn verbs_print_the_name_or_id_as_typed_and_full_ids_for_all() {
    let env = TestEnv::new();
    let id = sleeper(&env, "echoed");
    let short = &id[..7];
    let cases: [(&[&str], &str); 8] = [
        (&["pause", "echoed"], "echoed\n"),
        (&["unpause", short], ""),
        (&["pause", "--all"], ""),
        (&["unpause", "--all"], ""),
        (&["kill", "-s", "USR1", short], ""),
        (&["kill", "-s", "USR1", "--all"], ""),
        (&["restart", "-t", "0", short], ""),
        (&["stop", "-t", "0", "--all"], ""),
    ];
    for (args, want) in cases {
        let r = env.rpod(args);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        let expected = match (want, args.contains(&"--all")) {
            ("", true) => format!("{id}\n"),
            ("", false) => format!("{short}\n"),
            (w, _) => w.to_string(),
        };
        assert_eq!(r.stdout, expected, "{args:?}");
    }
    env.rpod(&["start", "echoed"]).ok();
    let r = env.rpod(&["stop", "-t", "0", "echoed"]);
    assert_eq!(r.stdout, "echoed\n", "{}", r.stderr);
}

#[test]
fn a_missing_name_fails_before_any_container_is_touched() {
    let env = TestEnv::new();
    sleeper(&env, "kept");
    for verb in [
        &["stop", "-t", "0"][..],
        &["kill"][..],
        &["pause"][..],
        &["restart", "-t", "0"][..],
    ] {
        let mut args = verb.to_vec();
        args.extend(["kept", "nosuch"]);
        let r = env.rpod(&args);
        assert_eq!(r.code, 125, "{args:?}");
        assert_eq!(r.stdout, "", "{args:?}");
        assert_eq!(
            r.stderr, "Error: no container with name or ID \"nosuch\" found: no such container\n",
            "{args:?}"
        );
        assert_eq!(status(&env, "kept"), "running", "{args:?}");
    }
    // `--ignore` skips the missing name and stops the other.
    let r = env.rpod(&["stop", "--ignore", "-t", "0", "nosuch", "kept"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "kept\n");
    assert_eq!(status(&env, "kept"), "exited");
}

#[test]
fn forced_removal_of_a_paused_container_kills_it_at_once() {
    let env = TestEnv::new();
    sleeper(&env, "frozen");
    env.rpod(&["pause", "frozen"]).ok();
    let began = Instant::now();
    let r = env.rpod(&["rm", "-f", "frozen"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "frozen\n");
    assert!(
        began.elapsed() < Duration::from_secs(5),
        "took {:?}",
        began.elapsed()
    );
    let gone = env.rpod(&["container", "exists", "frozen"]);
    assert_eq!(gone.code, 1);
}

#[test]
fn tmpfs_mounts_stay_executable() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    for flag in [&["--tmpfs", "/x"][..], &["--tmpfs", "/x:ro"][..]] {
        let mut args = vec!["run", "--rm"];
        args.extend(flag);
        args.extend(["--rootfs", &rootfs, "grep", " /x ", "/proc/mounts"]);
        let r = env.rpod(&args);
        assert_eq!(r.code, 0, "{flag:?}: {}", r.stderr);
        let opts = r
            .stdout
            .split_whitespace()
            .nth(3)
            .unwrap_or_default()
            .to_string();
        let opts: Vec<&str> = opts.split(',').collect();
        assert!(
            opts.contains(&"nosuid") && opts.contains(&"nodev"),
            "{flag:?}: {opts:?}"
        );
        assert!(!opts.contains(&"noexec"), "{flag:?}: {opts:?}");
    }
}

#[test]
fn a_missing_working_directory_given_by_the_user_fails_the_start() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    let r = env.rpod(&[
        "run", "--name", "lost", "-w", "/missing", "--rootfs", &rootfs, "pwd",
    ]);
    assert_eq!(r.code, 126, "{}", r.stderr);
    let id = env
        .rpod(&["inspect", "--format", "{{.Id}}", "lost"])
        .ok()
        .stdout;
    assert_eq!(
        r.stderr,
        format!(
            "Error: workdir \"/missing\" does not exist on container {}\n",
            id.trim()
        )
    );
    assert_eq!(status(&env, "lost"), "created", "the container stays");
    // Existing directories, and ones under a mount, are fine.
    for args in [
        &["-w", "/bin"][..],
        &["-w", "/scratch/sub", "--tmpfs", "/scratch"][..],
    ] {
        let mut all = vec!["run", "--rm"];
        all.extend(args);
        all.extend(["--rootfs", &rootfs, "sh", "-c", "echo $PWD"]);
        let r = env.rpod(&all);
        assert_eq!(r.code, 0, "{args:?}: {}", r.stderr);
        assert_eq!(r.stdout, format!("{}\n", args[1]));
    }
    // The image's own WORKDIR is made when missing; named with -w it must exist.
    let tar = env.busybox_rootfs_tar();
    let tar = tar.to_string_lossy();
    env.rpod(&["import", "--change", "WORKDIR=/wd", &tar, "localhost/wd"])
        .ok();
    let r = env.rpod(&["run", "--rm", "localhost/wd", "sh", "-c", "echo $PWD"]);
    assert_eq!((r.code, r.stdout.as_str()), (0, "/wd\n"), "{}", r.stderr);
    let r = env.rpod(&["run", "--rm", "-w", "/wd", "localhost/wd", "true"]);
    assert_eq!(r.code, 126, "{}", r.stderr);
}

#[test]
fn term_is_set_without_a_terminal_unless_the_user_sets_it() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    let r = env.rpod(&["run", "--rm", "--rootfs", &rootfs, "env"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.lines().any(|l| l == "TERM=xterm"), "{}", r.stdout);
    let r = env.rpod(&["run", "--rm", "-e", "TERM=dumb", "--rootfs", &rootfs, "env"]);
    let terms: Vec<&str> = r
        .stdout
        .lines()
        .filter(|l| l.starts_with("TERM="))
        .collect();
    assert_eq!(terms, ["TERM=dumb"], "{}", r.stderr);
}

#[test]
fn a_container_can_run_without_seccomp_or_with_its_own_profile() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    let seccomp_line = |opt: &str| {
        let r = env.rpod(&[
            "run",
            "--rm",
            "--security-opt",
            opt,
            "--rootfs",
            &rootfs,
            "grep",
            "^Seccomp:",
            "/proc/self/status",
        ]);
        assert_eq!(r.code, 0, "{opt}: {}", r.stderr);
        r.stdout
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(seccomp_line("seccomp=unconfined"), "0");
    assert_eq!(
        seccomp_line("label=disable"),
        "2",
        "the default filter stays"
    );
    // A profile of its own: allow everything but deny mkdir with EPERM.
    let profile = env.path("profile.json");
    std::fs::write(
        &profile,
        r#"{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}"#,
    )
    .unwrap();
    let opt = format!("seccomp={}", profile.display());
    assert_eq!(seccomp_line(&opt), "2");
    let r = env.rpod(&[
        "run",
        "--rm",
        "--security-opt",
        &opt,
        "--rootfs",
        &rootfs,
        "mkdir",
        "/tmp/d",
    ]);
    assert_ne!(r.code, 0, "mkdir should be denied");
}

#[test]
fn a_missing_seccomp_profile_fails_the_create_and_leaves_nothing() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    let missing = env.path("nope.json");
    let opt = format!("seccomp={}", missing.display());
    let r = env.rpod(&[
        "run",
        "--name",
        "never",
        "--security-opt",
        &opt,
        "--rootfs",
        &rootfs,
        "true",
    ]);
    assert_eq!(r.code, 125, "{}", r.stderr);
    assert!(
        r.stderr.starts_with("Error: ")
            && r.stderr.ends_with(&format!(
                "opening seccomp profile failed: open {}: no such file or directory\n",
                missing.display()
            )),
        "{}",
        r.stderr
    );
    let ps = env.rpod(&["ps", "-a", "-q"]).ok();
    assert_eq!(ps.stdout, "");
    let bad = env.rpod(&[
        "run",
        "--rm",
        "--security-opt",
        "frob",
        "--rootfs",
        &rootfs,
        "true",
    ]);
    assert_eq!(bad.code, 125);
    assert_eq!(bad.stderr, "Error: invalid --security-opt 1: \"frob\"\n");
}

#[test]
fn mask_and_unmask_change_the_hidden_paths() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    let mounts = |opts: &[&str]| -> Vec<String> {
        let mut args = vec!["run", "--rm"];
        for o in opts {
            args.extend(["--security-opt", o]);
        }
        args.extend(["--rootfs", &rootfs, "cat", "/proc/mounts"]);
        let r = env.rpod(&args);
        assert_eq!(r.code, 0, "{opts:?}: {}", r.stderr);
        r.stdout
            .lines()
            .filter_map(|l| l.split_whitespace().nth(1).map(String::from))
            .collect()
    };
    let has = |m: &[String], p: &str| m.iter().any(|x| x == p);
    let default = mounts(&[]);
    assert!(has(&default, "/proc/keys") && has(&default, "/proc/sys"));
    let all = mounts(&["unmask=ALL"]);
    assert!(
        !has(&all, "/proc/keys") && !has(&all, "/proc/sys"),
        "{all:?}"
    );
    let some = mounts(&["unmask=/proc/keys", "mask=/tmp"]);
    assert!(
        !has(&some, "/proc/keys") && has(&some, "/proc/sys"),
        "{some:?}"
    );
    assert!(has(&some, "/tmp"), "{some:?}");
}

#[test]
fn start_failures_name_the_container_and_exit_125() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    let id = env
        .rpod(&["create", "-w", "/missing", "--rootfs", &rootfs, "true"])
        .ok()
        .stdout;
    let id = id.trim();
    let r = env.rpod(&["start", id]);
    assert_eq!(r.code, 125, "{}", r.stderr);
    assert_eq!(
        r.stderr,
        format!(
            "Error: unable to start container \"{id}\": workdir \"/missing\" does not exist on container {id}\n"
        )
    );
}
