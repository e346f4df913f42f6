//! Crash consistency, driven through the named failpoints of
//! `runtime-core::failpoint` (armed by `RPOD_FAILPOINTS` in the debug build
//! the tests use). For every failpoint and every action (the process killed
//! there, or the step failing with an error), the operation is run once,
//! then the next command and `system check --repair`; the test asserts that
//! the object is fully present or fully gone, that `system check` then finds
//! nothing, and that no mount, conmon, runtime container or lock leaked.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rpod_runtime_core::failpoint::NAMES;
use rpod_tests::{Run, TestEnv};

/// The operation each failpoint belongs to.
#[derive(Debug, Clone, Copy)]
enum Op {
    Create,
    Start,
    Remove,
    Commit,
    Import,
}

fn op_of(point: &str) -> Op {
    match point.split('.').next().unwrap() {
        "create" => Op::Create,
        "init" | "start" => Op::Start,
        "rm" => Op::Remove,
        "commit" => Op::Commit,
        "import" => Op::Import,
        other => panic!("no operation for failpoint group {other}"),
    }
}

/// An environment with a busybox image named `base` and the tarball it
/// came from.
fn env_with_image() -> (TestEnv, String) {
    let env = TestEnv::new();
    let tar = env.busybox_rootfs_tar().to_string_lossy().into_owned();
    env.rpod(&["import", &tar, "base"]).ok();
    (env, tar)
}

fn armed(env: &TestEnv, spec: &str, args: &[&str]) -> Run {
    env.cmd(args)
        .env("RPOD_FAILPOINTS", spec)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
        .into()
}

/// Runs `op` with `point=action` armed, then what a user would run next.
fn crash(env: &TestEnv, tar: &str, point: &str, action: &str) {
    let spec = format!("{point}={action}");
    let failed = match op_of(point) {
        Op::Create => armed(
            env,
            &spec,
            &["create", "--name", "victim", "base", "sleep", "60"],
        ),
        Op::Start => {
            env.rpod(&["create", "--name", "victim", "base", "sleep", "60"])
                .ok();
            armed(env, &spec, &["start", "victim"])
        }
        Op::Remove => {
            env.rpod(&["run", "-d", "--name", "victim", "base", "sleep", "60"])
                .ok();
            armed(env, &spec, &["rm", "-f", "-t", "0", "victim"])
        }
        Op::Commit => {
            env.rpod(&["run", "--name", "victim", "base", "touch", "/made"])
                .ok();
            armed(env, &spec, &["commit", "-q", "victim", "snap"])
        }
        Op::Import => armed(env, &spec, &["import", tar, "second"]),
    };
    // A kill always ends the command; an error past an operation's commit
    // point (the State record written or removed) is only a warning.
    if action == "kill" {
        assert_eq!(failed.code, -1, "{spec}: not killed: {failed:?}");
    } else if !point.ends_with(".record") {
        assert_ne!(
            failed.code, 0,
            "{spec}: the armed command succeeded: {failed:?}"
        );
    }
    // The next command: a removal is simply repeated; the others are
    // followed by the repair.
    if let Op::Remove = op_of(point) {
        let again = env.rpod(&["rm", "-f", "-t", "0", "--ignore", "victim"]);
        assert_eq!(again.code, 0, "{spec}: rm after the crash: {again:?}");
    }
    let repair = env.rpod(&["system", "check", "--repair", "--max", "0s"]);
    assert_eq!(repair.code, 0, "{spec}: repair: {repair:?}");
    let check = env.rpod(&["system", "check", "--max", "0s"]);
    assert_eq!(
        (check.code, check.stdout.as_str()),
        (0, ""),
        "{spec}: after repair: {check:?}"
    );
}

/// Fully present or fully gone, then nothing leaks once it is removed.
fn assert_consistent(env: &TestEnv, point: &str, action: &str) {
    let spec = format!("{point}={action}");
    let ps = env
        .rpod(&[
            "ps",
            "-a",
            "--external",
            "--format",
            "{{.Names}} {{.State}}",
        ])
        .ok();
    let rows: Vec<&str> = ps.stdout.lines().collect();
    assert!(rows.len() <= 1, "{spec}: {rows:?}");
    if let Some(row) = rows.first() {
        assert!(row.starts_with("victim "), "{spec}: {row}");
        assert!(
            !row.ends_with(" storage"),
            "{spec}: half-made container left: {row}"
        );
        // Present: it is a whole container that works.
        env.rpod(&["inspect", "victim"]).ok();
        env.rpod(&["start", "victim"]).ok();
        env.rpod(&["rm", "-f", "-t", "0", "victim"]).ok();
    }
    // The name is free again.
    env.rpod(&["create", "--name", "victim", "base", "true"])
        .ok();
    env.rpod(&["rm", "victim"]).ok();
    for image in ["snap", "second"] {
        let _ = env.rpod(&["rmi", image]);
    }
    let check = env.rpod(&["system", "check", "--max", "0s"]);
    assert_eq!(
        (check.code, check.stdout.as_str()),
        (0, ""),
        "{spec}: leak: {check:?}"
    );
    assert_eq!(env.mounts(), Vec::<String>::new(), "{spec}: mounts left");
    let root = env.path("root").to_string_lossy().into_owned();
    assert_eq!(
        TestEnv::conmons_with(&root),
        Vec::<u32>::new(),
        "{spec}: conmon left"
    );
    let runc = std::process::Command::new("runc")
        .args(["list", "--format", "json"])
        .output()
        .unwrap();
    let listed = String::from_utf8_lossy(&runc.stdout);
    assert!(
        !listed.contains(&root),
        "{spec}: runtime container left: {listed}"
    );
}

fn sweep(group: &str) {
    let points: Vec<&str> = NAMES
        .iter()
        .copied()
        .filter(|n| n.starts_with(group))
        .collect();
    assert!(!points.is_empty(), "no failpoint in group {group}");
    for point in points {
        for action in ["kill", "error"] {
            let (env, tar) = env_with_image();
            crash(&env, &tar, point, action);
            assert_consistent(&env, point, action);
        }
    }
}

#[test]
fn create_failpoints() {
    sweep("create.");
}

#[test]
fn init_and_start_failpoints() {
    sweep("init.");
    sweep("start.");
}

#[test]
fn rm_failpoints() {
    sweep("rm.");
}

#[test]
fn commit_and_import_failpoints() {
    sweep("commit.");
    sweep("import.");
}

#[test]
fn every_failpoint_belongs_to_a_swept_group() {
    for n in NAMES {
        let group = n.split('.').next().unwrap();
        assert!(
            ["create", "init", "start", "rm", "commit", "import"].contains(&group),
            "{n} is not swept by any test here"
        );
        let _ = op_of(n);
    }
}

#[test]
fn system_check_reports_damage_and_exits_125_until_repaired() {
    let (env, _tar) = env_with_image();
    // A create killed after it took a lock and made the storage container.
    let killed = armed(
        &env,
        "create.dirs=kill",
        &["create", "--name", "victim", "base", "true"],
    );
    assert_eq!(killed.code, -1, "{killed:?}");
    let check = env.rpod(&["system", "check", "--max", "0s"]);
    assert_eq!(check.code, 125, "{check:?}");
    assert!(
        check.stdout.contains("Interrupted create of container"),
        "{}",
        check.stdout
    );
    assert!(check.stdout.contains("(victim)"), "{}", check.stdout);
    assert_eq!(
        check.stderr.trim(),
        "Error: damage detected in local storage"
    );
    let repair = env.rpod(&["system", "check", "-r", "-m", "0s"]).ok();
    assert!(repair.stdout.contains("  repaired"), "{}", repair.stdout);
    env.rpod(&["system", "check", "--max", "0s"]).ok();
    // The name is free again.
    env.rpod(&["create", "--name", "victim", "base", "true"])
        .ok();
}
