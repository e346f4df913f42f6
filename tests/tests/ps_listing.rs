//! Which containers `ps` shows and in what order: filters narrow the
//! running ones unless `-a` (only a `status=` filter widens the listing),
//! Podman's status names, oldest first, and `--noheading`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rpod_tests::TestEnv;

#[test]
fn filters_narrow_the_running_containers_unless_all_or_status() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    env.rpod(&[
        "run", "-d", "--name", "up", "--rootfs", &rootfs, "sleep", "100",
    ])
    .ok();
    env.rpod(&["run", "--name", "done", "--rootfs", &rootfs, "true"])
        .ok();
    env.rpod(&["create", "--name", "fresh", "--rootfs", &rootfs, "true"])
        .ok();
    let names = |args: &[&str]| {
        let mut all = vec!["ps", "--format", "{{.Names}}", "--sort", "names"];
        all.extend_from_slice(args);
        env.rpod(&all).ok().stdout
    };
    assert_eq!(names(&["--filter", "name=done"]), "");
    assert_eq!(names(&["-a", "--filter", "name=done"]), "done\n");
    assert_eq!(names(&["--filter", "name=up"]), "up\n");
    assert_eq!(names(&["--filter", "status=stopped"]), "done\n");
    assert_eq!(names(&["--filter", "status=exited"]), "done\n");
    assert_eq!(names(&["--filter", "status=created"]), "fresh\n");
    assert_eq!(names(&["--filter", "status=configured"]), "");

    // Oldest first, as Podman lists; --last and --latest keep the newest.
    let order = |args: &[&str]| {
        let mut all = vec!["ps", "--format", "{{.Names}}"];
        all.extend_from_slice(args);
        env.rpod(&all).ok().stdout
    };
    assert_eq!(order(&["-a"]), "up\ndone\nfresh\n");
    assert_eq!(order(&["-a", "--sort", "created"]), "up\ndone\nfresh\n");
    assert_eq!(order(&["-n", "2"]), "done\nfresh\n");
    assert_eq!(order(&["--latest"]), "fresh\n");

    let bare = env.rpod(&["ps", "--noheading"]).ok().stdout;
    assert_eq!(bare.lines().count(), 1, "{bare}");
    assert!(bare.contains(" up"), "{bare}");
    let headed = env.rpod(&["ps"]).ok().stdout;
    assert!(headed.starts_with("CONTAINER ID"), "{headed}");
    env.rpod(&["rm", "-f", "-t", "0", "up"]).ok();
}
