//! `system prune`, `system df`, `system reset` and `system migrate` through the binary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use rpod_tests::TestEnv;

#[test]
fn prune_df_and_reset() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs().to_string_lossy().into_owned();
    env.rpod(&["create", "--name", "idle", "--rootfs", &rootfs, "true"])
        .ok();
    env.rpod(&[
        "run", "-d", "--name", "busy", "--rootfs", &rootfs, "sleep", "60",
    ])
    .ok();
    let df = env
        .rpod(&[
            "system",
            "df",
            "--format",
            "{{.Type}} {{.Total}} {{.Active}}",
        ])
        .ok();
    assert_eq!(df.stdout, "Images 0 0\nContainers 2 1\nLocal Volumes 0 0\n");
    let table = env.rpod(&["system", "df"]).ok();
    assert!(table.stdout.starts_with("TYPE"), "{}", table.stdout);

    let prune = env.rpod(&["system", "prune", "-f"]).ok();
    let idle_id = prune.stdout.lines().nth(1).unwrap_or_default().to_string();
    assert!(
        prune.stdout.starts_with("Deleted Containers\n"),
        "{}",
        prune.stdout
    );
    assert!(
        prune.stdout.contains("Total reclaimed space: "),
        "{}",
        prune.stdout
    );
    assert_eq!(idle_id.len(), 64);
    let names = env.rpod(&["ps", "-a", "--format", "{{.Names}}"]).ok();
    assert_eq!(
        names.stdout, "busy\n",
        "the running container survives prune"
    );

    // Without -f and with a "no" answer, reset does nothing.
    let mut no = env.cmd(&["system", "reset"]);
    no.stdin(std::process::Stdio::piped());
    let mut child = no
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child.stdin.take().unwrap().write_all(b"n\n").unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Are you sure you want to continue? [y/N]")
    );
    assert!(env.path("root").exists());

    let reset = env.rpod(&["system", "reset", "-f"]);
    assert_eq!(reset.code, 0, "{}", reset.stderr);
    for d in ["root", "runroot", "tmp"] {
        assert!(!env.path(d).exists(), "{d} left after reset");
    }
    let base = env.path("").to_string_lossy().into_owned();
    // The containers' conmons exit once their containers are gone; give
    // a loaded machine a moment (a conmon left for good still fails).
    let mut left = TestEnv::conmons_with(&base);
    for _ in 0..100 {
        if left.is_empty() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
        left = TestEnv::conmons_with(&base);
    }
    assert!(left.is_empty(), "conmons left after reset: {left:?}");
    assert!(env.mounts().is_empty(), "{:?}", env.mounts());
    // A fresh start works afterwards.
    assert_eq!(env.rpod(&["ps", "-a", "-q"]).ok().stdout, "");
}

#[test]
fn migrate_to_an_unknown_runtime_is_podmans_error() {
    let env = TestEnv::new();
    let r = env.rpod(&["system", "migrate", "--new-runtime", "nosuch"]);
    assert_eq!(r.code, 125);
    assert_eq!(
        r.stderr,
        "Error: change to runtime \"nosuch\" requested but no such runtime is defined: invalid argument\n"
    );
    let rootfs = env.busybox_rootfs().to_string_lossy().into_owned();
    env.rpod(&[
        "run",
        "-d",
        "--name",
        "m",
        "--stop-timeout",
        "1",
        "--rootfs",
        &rootfs,
        "sleep",
        "60",
    ])
    .ok();
    env.rpod(&["system", "migrate", "--new-runtime", "runc"])
        .ok();
    let st = env
        .rpod(&[
            "inspect",
            "--format",
            "{{.State.Status}} {{.OCIRuntime}}",
            "m",
        ])
        .ok();
    assert_eq!(
        st.stdout, "exited runc\n",
        "migrate stops running containers"
    );
}
