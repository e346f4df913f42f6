//! Tests of whole generated specs, and the fixtures the other modules' tests share.

mod json;
mod runc;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use caps::Capability;
use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::*;

/// A config that reads no file from the machine; it names no seccomp
/// profile, so containers get the default one.
pub(crate) fn test_config() -> Config {
    let mut c = Config::load(&crate::config::ConfigEnv::isolated(None, None)).unwrap();
    c.conf.containers.seccomp_profile = String::new();
    c
}

/// A cgroup v1 x86_64 host that can grant all 41 capabilities and has no
/// seccomp profile installed (containers get the built-in default).
pub(crate) fn test_host() -> Host {
    Host {
        grantable: capabilities::sorted(caps::all()),
        cgroup2: false,
        arch: "amd64",
        kernel: (6, 1),
        seccomp_default: PathBuf::from("/nonexistent/containers/seccomp.json"),
        apparmor: Default::default(),
    }
}

/// A busybox-like rootfs with `/etc/passwd` and `/etc/group`.
pub(crate) fn busybox_rootfs(dir: &Path) -> PathBuf {
    let rootfs = dir.join("rootfs");
    for d in ["bin", "etc", "tmp", "root", "home/alice"] {
        std::fs::create_dir_all(rootfs.join(d)).unwrap();
    }
    std::fs::write(
        rootfs.join("etc/passwd"),
        "root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000:Alice:/home/alice:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n",
    )
    .unwrap();
    std::fs::write(
        rootfs.join("etc/group"),
        "root:x:0:\nalice:x:1000:\nwheel:x:10:alice\naudio:x:29:bob,alice\nnogroup:x:65534:\n",
    )
    .unwrap();
    rootfs
}

pub(crate) fn test_opts(dir: &Path) -> SpecOptions {
    SpecOptions {
        id: "be36ab008b07f2c3a1d4e5f60718293a4b5c6d7e8f901a2b3c4d5e6f708192a3".into(),
        name: "sleepy".into(),
        rootfs: busybox_rootfs(dir),
        bundle: dir.join("bundle"),
        run_dir: dir.join("run"),
        entrypoint: vec![],
        settings: ContainerSettings {
            command: vec!["sleep".into(), "120".into()],
            network: NetworkMode::None,
            ..Default::default()
        },
        cgroup_parent: String::new(),
        cgroup_manager: "cgroupfs".into(),
        annotations: BTreeMap::new(),
        stop_signal: 15,
        created: DateTime::parse_from_rfc3339("2026-11-28T12:40:17.026069540Z")
            .unwrap()
            .with_timezone(&Utc),
    }
}

/// The generated spec for a host, as the JSON Podman would write.
pub(crate) fn generated(opts: &SpecOptions, config: &Config, host: &Host) -> Value {
    spec_to_json(&generate_for_host(opts, config, host).unwrap()).unwrap()
}

pub(crate) fn strs(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| x.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn spec_matches_podmans_shape_for_network_none() {
    let d = tempfile::tempdir().unwrap();
    let opts = test_opts(d.path());
    let mut config = test_config();
    config.conf.containers.seccomp_profile = "unconfined".into();
    let s = generated(&opts, &config, &test_host());

    let keys: Vec<&String> = s.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "ociVersion",
            "process",
            "root",
            "hostname",
            "mounts",
            "annotations",
            "linux"
        ]
    );
    assert_eq!(s["ociVersion"], "1.0.2-dev");
    assert_eq!(s["hostname"], "be36ab008b07");
    assert_eq!(
        s["root"],
        json!({"path": opts.rootfs.to_string_lossy()}),
        "no readonly key by default"
    );

    let p = &s["process"];
    assert!(p.get("terminal").is_none());
    assert_eq!(strs(&p["args"]), ["sleep", "120"]);
    assert_eq!(p["cwd"], "/");
    assert_eq!(p["user"]["uid"], 0);
    assert_eq!(p["user"]["gid"], 0);
    assert_eq!(p["user"]["umask"], 18);
    let env: std::collections::BTreeSet<String> = strs(&p["env"]).into_iter().collect();
    let want: std::collections::BTreeSet<String> = [
        "TERM=xterm",
        "container=podman",
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOSTNAME=be36ab008b07",
        "HOME=/root",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(env, want);
    let caps = &p["capabilities"];
    let eleven: Vec<String> = [
        "CAP_CHOWN",
        "CAP_DAC_OVERRIDE",
        "CAP_FOWNER",
        "CAP_FSETID",
        "CAP_KILL",
        "CAP_NET_BIND_SERVICE",
        "CAP_SETFCAP",
        "CAP_SETGID",
        "CAP_SETPCAP",
        "CAP_SETUID",
        "CAP_SYS_CHROOT",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(strs(&caps["bounding"]), eleven);
    assert_eq!(strs(&caps["effective"]), eleven);
    assert_eq!(strs(&caps["permitted"]), eleven);
    assert!(caps.get("inheritable").is_none() && caps.get("ambient").is_none());
    assert!(p.get("noNewPrivileges").is_none());

    let dests: Vec<&str> = s["mounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["destination"].as_str().unwrap())
        .collect();
    assert_eq!(
        dests,
        [
            "/proc",
            "/dev",
            "/sys",
            "/dev/pts",
            "/dev/mqueue",
            "/etc/hostname",
            "/etc/hosts",
            "/dev/shm",
            "/run/.containerenv",
            "/sys/fs/cgroup"
        ],
        "no /etc/resolv.conf with --network none"
    );
    let shm = &s["mounts"][7];
    assert_eq!(
        shm["source"],
        d.path().join("bundle/shm").to_string_lossy().as_ref()
    );
    assert_eq!(
        strs(&shm["options"]),
        ["bind", "rprivate", "nosuid", "noexec", "nodev"]
    );

    let a = &s["annotations"];
    assert_eq!(a["io.container.manager"], "libpod");
    assert_eq!(
        a["io.kubernetes.cri-o.Created"],
        "2026-11-28T12:40:17.02606954Z"
    );
    assert_eq!(a["io.kubernetes.cri-o.TTY"], "false");
    assert_eq!(a["io.podman.annotations.privileged"], "FALSE");
    assert_eq!(a["org.opencontainers.image.stopSignal"], "15");

    let l = &s["linux"];
    let ns: Vec<&str> = l["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap())
        .collect();
    assert_eq!(ns, ["pid", "network", "ipc", "uts", "mount"]);
    assert_eq!(strs(&l["maskedPaths"]).len(), 11);
    assert_eq!(strs(&l["readonlyPaths"]).len(), 6);
    assert_eq!(
        l["cgroupsPath"],
        format!("/libpod_parent/libpod-{}", opts.id)
    );
    assert_eq!(l["resources"]["pids"]["limit"], 2048);
    assert_eq!(
        l["resources"]["devices"],
        json!([{"allow": false, "access": "rwm"}])
    );
    assert_eq!(l["sysctl"]["net.ipv4.ping_group_range"], "0 0");
    assert!(l.get("seccomp").is_none(), "unconfined: no seccomp");
}

#[test]
fn privileged_gets_every_cap_no_masks_rw_sys_and_all_devices() {
    let d = tempfile::tempdir().unwrap();
    let mut opts = test_opts(d.path());
    opts.settings.privileged = true;
    let mut host = test_host();
    // No CAP_SYS_RESOURCE, as on this machine.
    host.grantable
        .retain(|c| *c != Capability::CAP_SYS_RESOURCE);
    let s = generated(&opts, &test_config(), &host);
    let caps = strs(&s["process"]["capabilities"]["bounding"]);
    assert_eq!(caps.len(), 40);
    assert!(caps.contains(&"CAP_SYS_ADMIN".to_string()));
    assert!(!caps.contains(&"CAP_SYS_RESOURCE".to_string()));
    assert_eq!(strs(&s["process"]["capabilities"]["effective"]), caps);
    let l = &s["linux"];
    assert!(l.get("maskedPaths").is_none() && l.get("readonlyPaths").is_none());
    assert!(l.get("seccomp").is_none());
    assert_eq!(
        l["resources"]["devices"],
        json!([{"allow": true, "access": "rwm"}])
    );
    let sys = s["mounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["destination"] == "/sys")
        .unwrap();
    assert!(!strs(&sys["options"]).contains(&"ro".to_string()));
    assert_eq!(s["annotations"]["io.podman.annotations.privileged"], "TRUE");
}

#[test]
fn read_only_sets_root_readonly_and_tmpfs_mounts() {
    let d = tempfile::tempdir().unwrap();
    let mut opts = test_opts(d.path());
    opts.settings.read_only = true;
    let s = generated(&opts, &test_config(), &test_host());
    assert_eq!(s["root"]["readonly"], true);
    for dest in ["/tmp", "/var/tmp", "/run"] {
        let m = s["mounts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["destination"] == dest)
            .unwrap_or_else(|| panic!("{dest} missing"));
        assert_eq!(m["type"], "tmpfs");
    }
}

#[test]
fn init_runs_the_init_binary_first() {
    let d = tempfile::tempdir().unwrap();
    let mut opts = test_opts(d.path());
    opts.settings.init = true;
    let fake_init = d.path().join("catatonit");
    std::fs::write(&fake_init, "").unwrap();
    let mut config = test_config();
    config.conf.containers.init_path = fake_init.to_string_lossy().into_owned();
    let s = generated(&opts, &config, &test_host());
    assert_eq!(
        strs(&s["process"]["args"]),
        ["/run/podman-init", "--", "sleep", "120"]
    );
    let m = s["mounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["destination"] == "/run/podman-init")
        .unwrap();
    assert_eq!(m["source"], fake_init.to_string_lossy().as_ref());
    assert_eq!(s["annotations"]["io.podman.annotations.init"], "TRUE");

    config.conf.containers.init_path = d.path().join("missing").to_string_lossy().into();
    let e = generate_for_host(&opts, &config, &test_host()).unwrap_err();
    assert!(e.to_string().contains("missing"), "{e}");
}

#[test]
fn empty_command_is_an_error() {
    let d = tempfile::tempdir().unwrap();
    let mut opts = test_opts(d.path());
    opts.settings.command.clear();
    let e = generate_for_host(&opts, &test_config(), &test_host()).unwrap_err();
    assert!(e.is(&Error::InvalidArg), "{e}");
}

#[test]
fn shm_options_follow_shm_size() {
    let mut c = test_config();
    assert_eq!(shm_mount_options(&c), "mode=1777,size=65536000");
    c.conf.containers.shm_size = "1g".into();
    assert_eq!(shm_mount_options(&c), "mode=1777,size=1000000000");
    c.conf.containers.shm_size = "lots".into();
    assert_eq!(shm_mount_options(&c), "mode=1777,size=65536000");
}

#[test]
fn host_detection_reads_this_machine() {
    let h = Host::detect();
    let last: usize = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(h.grantable.len() <= last + 1);
    assert!(!h.grantable.is_empty());
}
