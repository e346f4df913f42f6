//! runc runs the generated specs (as root, with runc and a static busybox).

use std::os::unix::fs::symlink;
use std::path::Path;

use super::super::*;
use super::{test_config, test_opts};
use crate::config::Config;

/// Copies the static busybox into `<rootfs>/bin` with a few applet links.
fn install_busybox(rootfs: &Path) -> bool {
    let src = Path::new("/bin/busybox");
    if !src.exists() {
        return false;
    }
    std::fs::copy(src, rootfs.join("bin/busybox")).unwrap();
    for applet in ["sh", "true", "id", "cat"] {
        symlink("busybox", rootfs.join("bin").join(applet)).unwrap();
    }
    true
}

fn runc_runs(opts: &SpecOptions, config: &Config, expect_stdout: Option<&str>) {
    let spec = generate(opts, config).unwrap();
    std::fs::create_dir_all(opts.bundle.join("shm")).unwrap();
    write_run_files(opts).unwrap();
    write_config_json(&spec, &opts.bundle.join("config.json")).unwrap();
    let id = format!("rpod-spec-test-{}", &opts.id[..16]);
    let out = std::process::Command::new("/usr/sbin/runc")
        .args(["run", "--bundle"])
        .arg(&opts.bundle)
        .arg(&id)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    let _ = std::process::Command::new("/usr/sbin/runc")
        .args(["delete", "--force", &id])
        .output();
    assert!(
        out.status.success(),
        "runc run failed: {:?}\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    if let Some(want) = expect_stdout {
        assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), want);
    }
}

fn runc_usable() -> bool {
    Path::new("/usr/sbin/runc").exists() && nix::unistd::geteuid().is_root()
}

fn unique_id() -> String {
    let mut b = [0u8; 32];
    getrandom::fill(&mut b).unwrap();
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn runc_runs_the_generated_spec() {
    if !runc_usable() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let mut opts = test_opts(d.path());
    if !install_busybox(&opts.rootfs) {
        return;
    }
    opts.id = unique_id();
    opts.settings.cgroups_disabled = true;
    opts.settings.network = NetworkMode::Private;
    opts.settings.command = vec!["true".into()];
    // The config names no profile: containers-common's if installed, else the built-in one.
    runc_runs(&opts, &test_config(), None);

    opts.settings.user = "alice".into();
    opts.settings.command = vec!["id".into()];
    runc_runs(
        &opts,
        &test_config(),
        Some("uid=1000(alice) gid=1000(alice) groups=10(wheel),29(audio),1000(alice)"),
    );
}

#[test]
fn runc_runs_a_privileged_read_only_spec() {
    if !runc_usable() {
        return;
    }
    let d = tempfile::tempdir().unwrap();
    let mut opts = test_opts(d.path());
    if !install_busybox(&opts.rootfs) {
        return;
    }
    opts.id = unique_id();
    opts.settings.cgroups_disabled = true;
    opts.settings.privileged = true;
    opts.settings.read_only = true;
    opts.settings.command = vec!["sh".into(), "-c".into(), "cat /etc/hostname".into()];
    runc_runs(&opts, &test_config(), Some(&opts.id[..12]));
}
