//! Lock managers chosen by `lock_type`, and `system renumber`, through the binary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use rpod_tests::TestEnv;

#[test]
fn file_locks_run_containers() {
    let env = TestEnv::with_conf("[engine]\nlock_type = \"file\"\n");
    let rootfs = env.busybox_rootfs().to_string_lossy().into_owned();
    let run = env.rpod(&[
        "run",
        "--rm",
        "--rootfs",
        &rootfs,
        "sh",
        "-c",
        "echo locked",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout, "locked\n");
    env.rpod(&["create", "--name", "a", "--rootfs", &rootfs, "true"])
        .ok();
    // One lock file per allocated lock.
    let files: Vec<_> = std::fs::read_dir(env.path("tmp/locks"))
        .unwrap()
        .flatten()
        .collect();
    assert_eq!(files.len(), 1, "{files:?}");
    let info = env.rpod(&["info", "--format", "{{.Host.FreeLocks}}"]).ok();
    assert_eq!(info.stdout, "<no value>\n", "file locks are unlimited");
    assert!(!std::path::Path::new(&format!("/dev/shm{}", env.shm_name)).exists());
}

#[test]
fn a_changed_lock_count_needs_renumber_which_then_works() {
    let env = TestEnv::with_conf("[engine]\nnum_locks = 64\n");
    let rootfs = env.busybox_rootfs().to_string_lossy().into_owned();
    for n in ["a", "b", "c"] {
        env.rpod(&["create", "--name", n, "--rootfs", &rootfs, "true"])
            .ok();
    }
    env.rpod(&["rm", "b"]).ok();
    let free = env.rpod(&["info", "--format", "{{.Host.FreeLocks}}"]).ok();
    assert_eq!(free.stdout, "62\n");

    env.write_conf("[engine]\nnum_locks = 128\n");
    let refused = env.rpod(&["ps", "-a"]);
    assert_eq!(refused.code, 125);
    assert!(
        refused.stderr.contains("rpod system renumber"),
        "{}",
        refused.stderr
    );

    let renumber = env.rpod(&["system", "renumber"]);
    assert_eq!(renumber.code, 0, "{}", renumber.stderr);
    let free = env.rpod(&["info", "--format", "{{.Host.FreeLocks}}"]).ok();
    assert_eq!(free.stdout, "126\n");
    let names = env
        .rpod(&["ps", "-a", "--sort", "names", "--format", "{{.Names}}"])
        .ok();
    assert_eq!(names.stdout, "a\nc\n");
    // Both containers still work after renumbering.
    let run = env.rpod(&["start", "a"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let ev = env
        .rpod(&[
            "events",
            "--stream=false",
            "--filter",
            "type=system",
            "--format",
            "{{.Status}}",
        ])
        .ok();
    assert!(ev.stdout.contains("renumber\n"), "{}", ev.stdout);
}
