//! `--runtime /path/to/program`: containers keep the path they were made
//! with, later commands without `--runtime` use it, and once the program is
//! gone they can still be stopped and removed.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use rpod_tests::TestEnv;

/// A private copy of the host's runc inside `env`.
fn runc_copy(env: &TestEnv) -> PathBuf {
    let host = ["/usr/bin/runc", "/usr/sbin/runc", "/usr/local/bin/runc"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("runc on the host");
    let copy = env.path("my-runc");
    std::fs::copy(&host, &copy).unwrap();
    copy
}

#[test]
fn containers_keep_a_runtime_path_and_survive_its_removal() {
    let env = TestEnv::new();
    let runc = runc_copy(&env);
    let runc_arg = runc.to_str().unwrap();
    let rootfs = env.busybox_rootfs_arg();
    for (name, verb) in [("running", "run"), ("other", "run"), ("made", "create")] {
        let mut args = vec!["--runtime", runc_arg, verb];
        if verb == "run" {
            args.push("-d");
        }
        args.extend(["--name", name, "--rootfs", &rootfs, "sleep", "100"]);
        env.rpod(&args).ok();
    }
    let recorded = env
        .rpod(&["inspect", "--format", "{{.OCIRuntime}}", "running"])
        .ok();
    assert_eq!(recorded.stdout.trim(), runc_arg);

    // Without --runtime, the recorded program stops and restarts it.
    env.rpod(&["stop", "-t", "0", "running"]).ok();
    env.rpod(&["start", "running"]).ok();

    // Gone while containers run: stop and rm -f still work.
    std::fs::remove_file(&runc).unwrap();
    let stopped = env.rpod(&["stop", "-t", "0", "other"]).ok();
    assert_eq!(stopped.stdout, "other\n");
    let removed = env
        .rpod(&["rm", "-f", "-t", "0", "running", "other", "made"])
        .ok();
    assert_eq!(removed.stdout.lines().count(), 3, "{}", removed.stdout);
    let left = env.rpod(&["ps", "-a", "-q"]).ok();
    assert_eq!(left.stdout, "");
}
