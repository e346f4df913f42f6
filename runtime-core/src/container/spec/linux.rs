//! The spec's `linux` object: namespaces, masked and read-only paths,
//! resources and `cgroupsPath`, sysctls, host devices for `--privileged`,
//! and the seccomp filter built by the `seccomp` module.

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use oci_spec::runtime::{
    Linux, LinuxBuilder, LinuxCpuBuilder, LinuxDevice, LinuxDeviceBuilder, LinuxDeviceCgroup,
    LinuxDeviceCgroupBuilder, LinuxDeviceType, LinuxMemoryBuilder, LinuxNamespace,
    LinuxNamespaceBuilder, LinuxNamespaceType, LinuxPidsBuilder, LinuxResources,
    LinuxResourcesBuilder, LinuxSeccomp,
};

use super::{Host, NetworkMode, SpecOptions, oci_error};
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
pub(crate) fn namespaces(opts: &SpecOptions, host: &Host) -> Result<Vec<LinuxNamespace>> {
    let mut ns = vec![LinuxNamespaceType::Pid];
    if opts.settings.network != NetworkMode::Host {
        ns.push(LinuxNamespaceType::Network);
    }
    ns.extend([
        LinuxNamespaceType::Ipc,
        LinuxNamespaceType::Uts,
        LinuxNamespaceType::Mount,
    ]);
    if host.cgroup2 {
        ns.push(LinuxNamespaceType::Cgroup);
    }
    ns.into_iter()
        .map(|t| {
            LinuxNamespaceBuilder::default()
                .typ(t)
                .build()
                .map_err(oci_error)
        })
        .collect()
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

/// The one device cgroup rule: allow (privileged) or deny everything, `rwm`.
fn device_rule(allow: bool) -> Result<LinuxDeviceCgroup> {
    let mut rule = LinuxDeviceCgroupBuilder::default()
        .allow(allow)
        .access("rwm")
        .build()
        .map_err(oci_error)?;
    // The builder's default rule names a device type; Podman's names none.
    rule.set_typ(None);
    Ok(rule)
}

/// `linux.resources`: the device rule, then pids, memory and CPU limits.
pub(crate) fn resources(opts: &SpecOptions, config: &Config) -> Result<LinuxResources> {
    let set = &opts.settings;
    let mut r = LinuxResourcesBuilder::default().devices(vec![device_rule(set.privileged)?]);
    if let Some(m) = set.memory.filter(|m| *m > 0) {
        r = r.memory(
            LinuxMemoryBuilder::default()
                .limit(m)
                .build()
                .map_err(oci_error)?,
        );
    }
    if let Some(c) = set.cpus.filter(|c| *c > 0.0) {
        let quota = (c * CPU_PERIOD as f64).round() as i64;
        r = r.cpu(
            LinuxCpuBuilder::default()
                .quota(quota)
                .period(CPU_PERIOD)
                .build()
                .map_err(oci_error)?,
        );
    }
    let pids = set.pids_limit.unwrap_or(config.conf.containers.pids_limit);
    if pids != 0 {
        r = r.pids(
            LinuxPidsBuilder::default()
                .limit(pids)
                .build()
                .map_err(oci_error)?,
        );
    }
    r.build().map_err(oci_error)
}

/// The host's device nodes, for a privileged container's `linux.devices`.
pub(crate) fn host_devices(dev: &Path) -> Result<Vec<LinuxDevice>> {
    let mut out = Vec::new();
    walk_devices(dev, &mut out)?;
    Ok(out)
}

fn walk_devices(dir: &Path, out: &mut Vec<LinuxDevice>) -> Result<()> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Ok(());
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
                walk_devices(&path, out)?;
            }
            continue;
        }
        if name == "console" {
            continue;
        }
        let kind = if ft.is_char_device() {
            LinuxDeviceType::C
        } else if ft.is_block_device() {
            LinuxDeviceType::B
        } else {
            continue;
        };
        let rdev = md.rdev();
        out.push(
            LinuxDeviceBuilder::default()
                .path(path)
                .typ(kind)
                .major(nix::sys::stat::major(rdev) as i64)
                .minor(nix::sys::stat::minor(rdev) as i64)
                .file_mode(md.mode() & 0o7777)
                .uid(md.uid())
                .gid(md.gid())
                .build()
                .map_err(oci_error)?,
        );
    }
    Ok(())
}

/// Builds the `linux` object.
pub(crate) fn build(
    opts: &SpecOptions,
    config: &Config,
    host: &Host,
    seccomp: Option<LinuxSeccomp>,
) -> Result<Linux> {
    let mut l = LinuxBuilder::default().namespaces(namespaces(opts, host)?);
    if opts.settings.network != NetworkMode::Host {
        l = l.sysctl(std::collections::HashMap::from([(
            "net.ipv4.ping_group_range".to_string(),
            "0 0".to_string(),
        )]));
    }
    let mut resources = None;
    if !opts.settings.cgroups_disabled {
        resources = Some(self::resources(opts, config)?);
        l = l.cgroups_path(cgroups_path(opts));
    } else if opts.settings.privileged {
        // runc still puts the container in a cgroup and, for devices listed
        // in `linux.devices`, drops its default allow rules: without this
        // rule a privileged container could not even open /dev/null.
        resources = Some(
            LinuxResourcesBuilder::default()
                .devices(vec![device_rule(true)?])
                .build()
                .map_err(oci_error)?,
        );
    }
    if opts.settings.privileged {
        let devices = host_devices(Path::new("/dev"))?;
        if !devices.is_empty() {
            l = l.devices(devices);
        }
    }
    if let Some(s) = seccomp {
        l = l.seccomp(s);
    }
    let mut linux = l.build().map_err(oci_error)?;
    // The builder starts from oci-spec's defaults; keep only what was set.
    linux.set_resources(resources);
    let (masked, read_only) = if opts.settings.privileged {
        (Vec::new(), Vec::new())
    } else {
        super::masks::paths(&opts.settings.mask, &opts.settings.unmask)
    };
    // Podman leaves an empty list out.
    linux.set_masked_paths((!masked.is_empty()).then_some(masked));
    linux.set_readonly_paths((!read_only.is_empty()).then_some(read_only));
    Ok(linux)
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::tests::{test_config, test_host, test_opts};
    use super::*;

    fn types(v: &[LinuxNamespace]) -> Vec<String> {
        v.iter()
            .map(|n| to_json(n)["type"].as_str().unwrap().to_string())
            .collect()
    }

    fn to_json<T: serde::Serialize>(v: T) -> Value {
        serde_json::to_value(v).unwrap()
    }

    #[test]
    fn namespaces_follow_network_and_cgroup_version() {
        let d = tempfile::tempdir().unwrap();
        let mut opts = test_opts(d.path());
        let mut host = test_host();
        assert_eq!(
            types(&namespaces(&opts, &host).unwrap()),
            ["pid", "network", "ipc", "uts", "mount"]
        );
        host.cgroup2 = true;
        opts.settings.network = NetworkMode::Host;
        assert_eq!(
            types(&namespaces(&opts, &host).unwrap()),
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
        let r = to_json(resources(&opts, &config).unwrap());
        assert_eq!(r["pids"]["limit"], 2048);
        assert_eq!(r["devices"], json!([{"allow": false, "access": "rwm"}]));
        assert!(r.get("memory").is_none() && r.get("cpu").is_none());
        opts.settings.pids_limit = Some(0);
        opts.settings.memory = Some(1 << 30);
        opts.settings.cpus = Some(0.5);
        let r = to_json(resources(&opts, &config).unwrap());
        assert!(r.get("pids").is_none(), "0 means no limit");
        assert_eq!(r["memory"]["limit"], 1i64 << 30);
        assert_eq!(r["cpu"], json!({"quota": 50_000, "period": 100_000}));
        opts.settings.pids_limit = Some(77);
        assert_eq!(
            to_json(resources(&opts, &config).unwrap())["pids"]["limit"],
            77
        );
    }

    #[test]
    fn disabled_cgroups_and_host_network() {
        let d = tempfile::tempdir().unwrap();
        let mut opts = test_opts(d.path());
        opts.settings.cgroups_disabled = true;
        opts.settings.network = NetworkMode::Host;
        let l = to_json(build(&opts, &test_config(), &test_host(), None).unwrap());
        assert!(l.get("resources").is_none() && l.get("cgroupsPath").is_none());
        assert!(l.get("sysctl").is_none());
        assert_eq!(l["maskedPaths"], json!(MASKED_PATHS));
        assert_eq!(l["readonlyPaths"][4], "/proc/sys");
        opts.settings.privileged = true;
        let l = to_json(build(&opts, &test_config(), &test_host(), None).unwrap());
        assert!(l.get("cgroupsPath").is_none());
        assert!(l.get("maskedPaths").is_none() && l.get("readonlyPaths").is_none());
        assert_eq!(
            l["resources"],
            json!({"devices": [{"allow": true, "access": "rwm"}]}),
            "privileged keeps the allow-all device rule"
        );
    }

    #[test]
    fn host_devices_lists_device_nodes_only() {
        let devs = to_json(host_devices(Path::new("/dev")).unwrap());
        let devs = devs.as_array().unwrap();
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
        assert!(host_devices(d.path()).unwrap().is_empty());
    }
}
