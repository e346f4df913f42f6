//! seccomp fails closed: containers run under a filter unless they ask not
//! to, and a profile that cannot be loaded stops `run` before a container
//! exists.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use rpod_tests::{Run, TestEnv};

/// Prints the process's seccomp mode, then tries `swapoff`, which the
/// default profile refuses with EPERM whatever the capabilities. With
/// CAP_SYS_ADMIN and no filter the kernel gets to look for the file.
const PROBE: &str = "grep '^Seccomp:' /proc/self/status; busybox swapoff /nonexistent 2>&1; true";

const CONFINED: &str = "Seccomp:\t2\nswapoff: /nonexistent: Operation not permitted\n";
const UNCONFINED: &str = "Seccomp:\t0\nswapoff: /nonexistent: No such file or directory\n";

/// `rpod run --rm <flags> --rootfs <busybox> sh -c <script>`.
fn run_sh(env: &TestEnv, flags: &[&str], script: &str) -> Run {
    let rootfs = env.busybox_rootfs().to_string_lossy().into_owned();
    let mut args = vec!["run", "--rm"];
    args.extend_from_slice(flags);
    args.extend_from_slice(&["--rootfs", &rootfs, "sh", "-c", script]);
    env.rpod(&args)
}

/// No container was left behind.
fn assert_no_containers(env: &TestEnv) {
    let ps = env.rpod(&["ps", "-a", "-q"]).ok();
    assert_eq!(ps.stdout, "", "a container was left behind");
}

#[test]
fn the_default_profile_refuses_what_it_blocks_and_privileged_escapes_it() {
    let env = TestEnv::new();
    let confined = run_sh(&env, &["--cap-add", "SYS_ADMIN"], PROBE).ok();
    assert_eq!(confined.stdout, CONFINED);
    let privileged = run_sh(&env, &["--privileged"], PROBE).ok();
    assert_eq!(privileged.stdout, UNCONFINED);
}

#[test]
fn unconfined_in_containers_conf_runs_without_a_filter() {
    let env = TestEnv::with_conf("[containers]\nseccomp_profile = \"unconfined\"\n");
    let r = run_sh(&env, &["--cap-add", "SYS_ADMIN"], PROBE).ok();
    assert_eq!(r.stdout, UNCONFINED);
}

#[test]
fn a_missing_profile_file_fails_the_run_naming_it() {
    let env = TestEnv::new();
    let missing = env.path("missing.json");
    env.write_conf(&format!(
        "[containers]\nseccomp_profile = \"{}\"\n",
        missing.display()
    ));
    let r = run_sh(&env, &[], "echo ran");
    assert_eq!(r.code, 125, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.starts_with("Error: "), "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "opening seccomp profile failed: open {}: no such file or directory",
            missing.display()
        )),
        "{}",
        r.stderr
    );
    assert_no_containers(&env);
}

#[test]
fn an_invalid_profile_file_fails_the_run_naming_it() {
    let env = TestEnv::new();
    let bad = env.path("bad.json");
    std::fs::write(&bad, "{\"defaultAction\": ").unwrap();
    env.write_conf(&format!(
        "[containers]\nseccomp_profile = \"{}\"\n",
        bad.display()
    ));
    let r = run_sh(&env, &[], "echo ran");
    assert_eq!(r.code, 125, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.starts_with("Error: "), "{}", r.stderr);
    assert!(
        r.stderr.contains(&format!(
            "loading seccomp profile ({}) failed: decoding seccomp profile failed",
            bad.display()
        )),
        "{}",
        r.stderr
    );
    assert_no_containers(&env);
}

#[test]
fn a_seccomp_security_opt_never_runs_the_container_unconfined() {
    let env = TestEnv::new();
    let missing = env.path("missing.json").to_string_lossy().into_owned();
    let opt = format!("seccomp={missing}");
    let r = run_sh(&env, &["--security-opt", &opt], "echo ran");
    assert_eq!(r.code, 125, "{}", r.stderr);
    assert_eq!(r.stdout, "");
    assert!(r.stderr.contains("seccomp"), "{}", r.stderr);
    assert_no_containers(&env);
}

#[test]
fn an_apparmor_profile_on_a_host_without_apparmor_fails_before_a_container_exists() {
    if std::path::Path::new("/sys/module/apparmor/parameters/enabled").exists() {
        return; // this host has AppArmor: the unit tests cover its rules
    }
    let env = TestEnv::new();
    let r = run_sh(&env, &["--security-opt", "apparmor=mine"], "true");
    assert_eq!(r.code, 125, "{r:?}");
    assert!(r.stderr.starts_with("Error: "), "{}", r.stderr);
    assert!(
        r.stderr.trim_end().ends_with(
            "apparmor profile \"mine\" specified, but Apparmor is not enabled on this system"
        ),
        "{}",
        r.stderr
    );
    assert_no_containers(&env);
    // unconfined, and the containers.conf default, are fine without AppArmor.
    assert_eq!(
        run_sh(&env, &["--security-opt", "apparmor=unconfined"], "echo ok")
            .ok()
            .stdout,
        "ok\n"
    );
    assert_eq!(run_sh(&env, &[], "echo ok").ok().stdout, "ok\n");
}
