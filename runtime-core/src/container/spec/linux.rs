//! The spec's `linux` object: namespaces, masked and read-only paths,
//! resources and `cgroupsPath`, sysctls, host devices for `--privileged`,
//! and the seccomp filter built by the `seccomp` module.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use serde_json::{Map, Value, json};

use super::{Host, NetworkMode, SpecOptions};
use crate::config::Config;
use crate::error::Result;

/// Paths hidden from unprivileged containers, in Podman's order.
pub const MASKED_PATHS: [&str; 11] = [
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/sys/firmware",
    "/sys/fs/selinux",
    "/sys/dev/block",
];

/// Paths mounted read-only in unprivileged containers, in Podman's order.
pub const READONLY_PATHS: [&str; 6] = [
    "/proc/asound",
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// CFS period Podman uses with `--cpus`.
const CPU_PERIOD: u64 = 100_000;

/// Directories of `/dev` whose devices are not copied into a privileged container.
const SKIPPED_DEV_DIRS: [&str; 7] = ["pts", "shm", "fd", "mqueue", ".lxc", ".lxd-mounts", ".udev"];

/// The namespaces: pid, network (unless host), ipc, uts, mount, and cgroup on v2.
pub(crate) fn namespaces(opts: &SpecOptions, host: &Host) -> Vec<Value> {
    let mut ns = vec!["pid"];
    if opts.network != NetworkMode::Host {
        ns.push("network");
    }
    ns.extend(["ipc", "uts", "mount"]);
    if host.cgroup2 {
        ns.push("cgroup");
    }
    ns.into_iter().map(|t| json!({ "type": t })).collect()
}

/// The `cgroupsPath`: `<parent>/libpod-<id>` for cgroupfs,
/// `<slice>:libpod:<id>` for systemd.
pub(crate) fn cgroups_path(opts: &SpecOptions) -> String {
    if opts.cgroup_manager == "systemd" {
        let slice = if opts.cgroup_parent.is_empty() {
            "machine.slice"
        } else {
            opts.cgroup_parent.as_str()
        };
        format!("{slice}:libpod:{}", opts.id)
    } else {
        let parent = if opts.cgroup_parent.is_empty() {
            "/libpod_parent"
        } else {
            opts.cgroup_parent.trim_end_matches('/')
        };
        format!("{parent}/libpod-{}", opts.id)
    }
}

/// `linux.resources`: the device rule, then pids, memory and CPU limits.
pub(crate) fn resources(opts: &SpecOptions, config: &Config) -> Map<String, Value> {
    let mut r = Map::new();
    r.insert(
        "devices".into(),
        json!([{"allow": opts.privileged, "access": "rwm"}]),
    );
    if let Some(m) = opts.memory.filter(|m| *m > 0) {
        r.insert("memory".into(), json!({ "limit": m }));
    }
    if let Some(c) = opts.cpus.filter(|c| *c > 0.0) {
        let quota = (c * CPU_PERIOD as f64).round() as i64;
        r.insert("cpu".into(), json!({"quota": quota, "period": CPU_PERIOD}));
    }
    let pids = opts.pids_limit.unwrap_or(config.conf.containers.pids_limit);
    if pids != 0 {
        r.insert("pids".into(), json!({ "limit": pids }));
    }
    r
}

/// The host's device nodes, for a privileged container's `linux.devices`.
pub(crate) fn host_devices(dev: &Path) -> Vec<Value> {
    let mut out = Vec::new();
    walk_devices(dev, &mut out);
    out
}

fn walk_devices(dir: &Path, out: &mut Vec<Value>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = rd.filter_map(|e| e.ok()).collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        let path = e.path();
        let Ok(md) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let ft = md.file_type();
        let name = e.file_name();
        if ft.is_dir() {
            if !SKIPPED_DEV_DIRS.iter().any(|s| name == *s) {
                walk_devices(&path, out);
            }
            continue;
        }
        if name == "console" {
            continue;
        }
        let kind = if ft.is_char_device() {
            "c"
        } else if ft.is_block_device() {
            "b"
        } else {
            continue;
        };
        let rdev = md.rdev();
        out.push(json!({
            "path": path.to_string_lossy(),
            "type": kind,
            "major": nix::sys::stat::major(rdev),
            "minor": nix::sys::stat::minor(rdev),
            "fileMode": md.mode() & 0o7777,
            "uid": md.uid(),
            "gid": md.gid(),
        }));
    }
}

/// Builds the `linux` object.
pub(crate) fn build(
    opts: &SpecOptions,
    config: &Config,
    host: &Host,
    seccomp: Option<Value>,
) -> Result<Map<String, Value>> {
    let mut l = Map::new();
    if opts.network != NetworkMode::Host {
        l.insert("sysctl".into(), json!({"net.ipv4.ping_group_range": "0 0"}));
    }
    if !opts.cgroups_disabled {
        l.insert("resources".into(), Value::Object(resources(opts, config)));
        l.insert("cgroupsPath".into(), Value::String(cgroups_path(opts)));
    } else if opts.privileged {
        // runc still puts the container in a cgroup and, for devices listed
        // in `linux.devices`, drops its default allow rules: without this
        // rule a privileged container could not even open /dev/null.
        l.insert(
            "resources".into(),
            json!({"devices": [{"allow": true, "access": "rwm"}]}),
        );
    }
    l.insert("namespaces".into(), Value::Array(namespaces(opts, host)));
    if opts.privileged {
        let devices = host_devices(Path::new("/dev"));
        if !devices.is_empty() {
            l.insert("devices".into(), Value::Array(devices));
        }
    }
    if let Some(s) = seccomp {
        l.insert("seccomp".into(), s);
    }
    if !opts.privileged {
        l.insert("maskedPaths".into(), json!(MASKED_PATHS));
        l.insert("readonlyPaths".into(), json!(READONLY_PATHS));
    }
    Ok(l)
}

#[cfg(test)]
mod tests {
    use super::super::tests::{test_config, test_host, test_opts};
    use super::*;

    fn types(v: &[Value]) -> Vec<&str> {
        v.iter().map(|n| n["type"].as_str().unwrap()).collect()
    }

    #[test]
    fn namespaces_follow_network_and_cgroup_version() {
        let d = tempfile::tempdir().unwrap();
        let mut opts = test_opts(d.path());
        let mut host = test_host();
        assert_eq!(
            types(&namespaces(&opts, &host)),
            ["pid", "network", "ipc", "uts", "mount"]
        );
        host.cgroup2 = true;
        opts.network = NetworkMode::Host;
        assert_eq!(
            types(&namespaces(&opts, &host)),
            ["pid", "ipc", "uts", "mount", "cgroup"]
        );
    }

    #[test]
    fn cgroups_paths() {
        let d = tempfile::tempdir().unwrap();
        let mut opts = test_opts(d.path());
        opts.id = "abc".into();
        assert_eq!(cgroups_path(&opts), "/libpod_parent/libpod-abc");
        opts.cgroup_parent = "/mine/".into();
        assert_eq!(cgroups_path(&opts), "/mine/libpod-abc");
        opts.cgroup_manager = "systemd".into();
        opts.cgroup_parent.clear();
        assert_eq!(cgroups_path(&opts), "machine.slice:libpod:abc");
    }

    #[test]
    fn resources_limits() {
        let d = tempfile::tempdir().unwrap();
        let mut opts = test_opts(d.path());
        let config = test_config();
        let r = resources(&opts, &config);
        assert_eq!(r["pids"]["limit"], 2048);
        assert!(r.get("memory").is_none() && r.get("cpu").is_none());
        opts.pids_limit = Some(0);
        opts.memory = Some(1 << 30);
        opts.cpus = Some(0.5);
        let r = resources(&opts, &config);
        assert!(r.get("pids").is_none(), "0 means no limit");
        assert_eq!(r["memory"]["limit"], 1i64 << 30);
        assert_eq!(r["cpu"], json!({"quota": 50_000, "period": 100_000}));
        opts.pids_limit = Some(77);
        assert_eq!(resources(&opts, &config)["pids"]["limit"], 77);
    }

    #[test]
    fn disabled_cgroups_and_host_network() {
        let d = tempfile::tempdir().unwrap();
        let mut opts = test_opts(d.path());
        opts.cgroups_disabled = true;
        opts.network = NetworkMode::Host;
        let l = build(&opts, &test_config(), &test_host(), None).unwrap();
        assert!(l.get("resources").is_none() && l.get("cgroupsPath").is_none());
        assert!(l.get("sysctl").is_none());
        assert_eq!(l["maskedPaths"], json!(MASKED_PATHS));
        assert_eq!(l["readonlyPaths"][4], "/proc/sys");
        opts.privileged = true;
        let l = build(&opts, &test_config(), &test_host(), None).unwrap();
        assert!(l.get("cgroupsPath").is_none());
        assert_eq!(
            l["resources"],
            json!({"devices": [{"allow": true, "access": "rwm"}]}),
            "privileged keeps the allow-all device rule"
        );
    }

    #[test]
    fn host_devices_lists_device_nodes_only() {
        let devs = host_devices(Path::new("/dev"));
        let null = devs
            .iter()
            .find(|d| d["path"] == "/dev/null")
            .expect("/dev/null is a device");
        assert_eq!(null["type"], "c");
        assert_eq!(
            (null["major"].as_u64(), null["minor"].as_u64()),
            (Some(1), Some(3))
        );
        assert!(
            devs.iter()
                .all(|d| !d["path"].as_str().unwrap().starts_with("/dev/pts/"))
        );
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("plain"), "").unwrap();
        assert!(host_devices(d.path()).is_empty());
    }
}
