//! The `compose_engine` example runs a real container from an imported image
//! through an engine built from chosen backends (SQLite state, file locks,
//! conmon, storage) and an event logger of its own, without the CLI.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use rpod_tests::TestEnv;

#[test]
fn the_compose_engine_example_runs_a_container() {
    let env = TestEnv::new();
    let tarball = env.busybox_rootfs_tar();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let built = std::process::Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "-p",
            "rpod-tests",
            "--example",
            "compose_engine",
        ])
        .status()
        .unwrap();
    assert!(built.success());
    let exe = std::env::current_exe().unwrap();
    let example = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples/compose_engine");
    assert!(example.exists(), "{}", example.display());
    let out = std::process::Command::new(&example)
        .arg(&tarball)
        .arg(env.path("engine"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 6, "{stdout}");
    assert!(lines[0].starts_with("imported image "), "{stdout}");
    assert_eq!(lines[1], "exec said: hello from a composed engine");
    assert_eq!(lines[2], "exec exited with 3");
    assert_eq!(
        lines[3],
        "inspect: name=composed image=localhost/composed:latest running=true"
    );
    // The example's own event logger saw the container's life, in order.
    assert_eq!(
        lines[4], "events: create init start exec_died stop remove",
        "{stdout}"
    );
    assert_eq!(lines[5], "removed");
    // The SQLite state and the file locks were the ones used.
    assert!(env.path("engine/root/libpod/db.sql").is_file());
    assert!(
        env.path("engine/tmp/locks").is_dir(),
        "file locks were used"
    );
    let base = env.path("").to_string_lossy().into_owned();
    assert!(TestEnv::conmons_with(&base).is_empty());
}
