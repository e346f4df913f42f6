//! The `compose_engine` example runs a real container through an engine
//! built from chosen backends (file locks, in-memory state) without the CLI.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use rpod_tests::TestEnv;

#[test]
fn the_compose_engine_example_runs_a_container() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs();
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
        .arg(&rootfs)
        .arg(env.path("engine"))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(stdout, "container composed exited with 7\n");
    // The container wrote into its root filesystem, and nothing is left running.
    assert_eq!(
        std::fs::read_to_string(rootfs.join("tmp/out")).unwrap(),
        "hello from a composed engine\n"
    );
    assert!(
        env.path("engine/tmp/locks").is_dir(),
        "file locks were used"
    );
    let base = env.path("").to_string_lossy().into_owned();
    assert!(TestEnv::conmons_with(&base).is_empty());
}
