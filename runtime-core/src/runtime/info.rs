//! `info()`: the data behind `rpod info`, with Podman 4's JSON keys
//! (`host`, `store`, `registries`, `plugins`, `version`).

use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use super::Runtime;
use super::builder::is_cgroup_v2;
use crate::container::ContainerStatus;
use crate::container::spec::parse_cap_names;
use crate::error::Result;

/// rpod's version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

impl Runtime {
    /// Everything `rpod info` shows, as Podman's JSON object.
    pub fn info(&self) -> Result<Value> {
        self.check_valid()?;
        Ok(json!({
            "host": self.host_info()?,
            "store": self.store_info()?,
            "registries": registries(Path::new("/etc/containers/registries.conf")),
            "plugins": {
                "volume": ["local"],
                "network": ["bridge", "macvlan", "ipvlan"],
                "log": ["k8s-file", "none", "passthrough", "journald"],
                "authorization": null,
            },
            "version": version_report(),
        }))
    }

    fn host_info(&self) -> Result<Value> {
        let cfg = &self.inner.config.conf;
        let uname = nix::sys::utsname::uname().ok();
        let kernel = uname
            .as_ref()
            .map(|u| u.release().to_string_lossy().into_owned())
            .unwrap_or_default();
        let meminfo = read_meminfo();
        let mem = |k: &str| meminfo.iter().find(|(n, _)| n == k).map_or(0, |(_, v)| *v);
        let conmon = self.inner.conmon.as_ref();
        let oci = &self.inner.oci_runtimes;
        let v2 = is_cgroup_v2();
        let caps: Vec<String> = parse_cap_names(&cfg.containers.default_capabilities)?
            .iter()
            .map(ToString::to_string)
            .collect();
        let seccomp_path = &cfg.containers.seccomp_profile;
        Ok(json!({
            "arch": go_arch(),
            "buildahVersion": "",
            "cgroupManager": cfg.engine.cgroup_manager,
            "cgroupVersion": if v2 { "v2" } else { "v1" },
            "cgroupControllers": cgroup_controllers(v2),
            "conmon": {
                "package": conmon.map(|p| package_of(p)).unwrap_or_default(),
                "path": conmon.map(|p| p.to_string_lossy().into_owned()).unwrap_or_default(),
                "version": conmon.map(|p| first_line_of(p, "--version")).unwrap_or_default(),
            },
            "cpus": std::thread::available_parallelism().map_or(1, |n| n.get()),
            "cpuUtilization": cpu_utilization(),
            "databaseBackend": self.inner.state.name(),
            "distribution": distribution(),
            "eventLogger": self.inner.eventer.name(),
            "freeLocks": self.inner.locks.available().ok().flatten(),
            "hostname": nix::unistd::gethostname().map(|h| h.to_string_lossy().into_owned()).unwrap_or_default(),
            "idMappings": { "gidmap": null, "uidmap": null },
            "kernel": kernel,
            "linkmode": "dynamic",
            "logDriver": cfg.containers.log_driver,
            "memFree": mem("MemAvailable"),
            "memTotal": mem("MemTotal"),
            "networkBackend": if cfg.network.network_backend.is_empty() { "netavark" } else { cfg.network.network_backend.as_str() },
            "ociRuntime": {
                "name": oci.default_name,
                "package": package_of(&oci.default_path),
                "path": oci.default_path.to_string_lossy(),
                "version": first_lines_of(&oci.default_path, "--version"),
            },
            "os": std::env::consts::OS,
            "remoteSocket": { "path": "/run/rpod/rpod.sock" },
            "serviceIsRemote": false,
            "security": {
                "apparmorEnabled": Path::new("/sys/kernel/security/apparmor").exists(),
                "capabilities": caps.join(","),
                "rootless": !nix::unistd::geteuid().is_root(),
                "seccompEnabled": Path::new("/proc/sys/kernel/seccomp").exists() || Path::new("/proc/self/seccomp").exists() || seccomp_available(),
                "seccompProfilePath": seccomp_path,
                "selinuxEnabled": Path::new("/sys/fs/selinux/enforce").exists(),
            },
            "slirp4netns": slirp4netns(),
            "swapFree": mem("SwapFree"),
            "swapTotal": mem("SwapTotal"),
            "uptime": uptime(),
        }))
    }

    fn store_info(&self) -> Result<Value> {
        let paths = &self.inner.paths;
        let ctrs = self.inner.state.all_containers(true)?;
        let count = |s: ContainerStatus| ctrs.iter().filter(|c| c.state.state == s).count();
        let (driver, status, images) = match &self.inner.storage {
            Some(s) => {
                let status: serde_json::Map<String, Value> = s
                    .driver_status()
                    .into_iter()
                    .map(|(k, v)| (k, Value::String(v)))
                    .collect();
                (
                    s.driver_name().to_string(),
                    Value::Object(status),
                    s.images().map_or(0, |i| i.len()),
                )
            }
            None => (paths.storage_driver.clone(), json!({}), 0),
        };
        let (allocated, used) = fs_usage(&paths.graph_root);
        Ok(json!({
            "configFile": self.inner.config.storage_source.as_ref().map(|p| p.to_string_lossy().into_owned()).unwrap_or_else(|| crate::config::DEFAULT_STORAGE_CONF.to_string()),
            "containerStore": {
                "number": ctrs.len(),
                "paused": count(ContainerStatus::Paused),
                "running": count(ContainerStatus::Running),
                "stopped": ctrs.len() - count(ContainerStatus::Paused) - count(ContainerStatus::Running),
            },
            "graphDriverName": driver,
            "graphOptions": {},
            "graphRoot": paths.graph_root.to_string_lossy(),
            "graphRootAllocated": allocated,
            "graphRootUsed": used,
            "graphStatus": status,
            "imageCopyTmpDir": "/var/tmp",
            "imageStore": { "number": images },
            "runRoot": paths.run_root.to_string_lossy(),
            "volumePath": paths.volume_path.to_string_lossy(),
        }))
    }
}

/// The engine's version block, with Podman's keys (`APIVersion`,
/// `Version`, `GoVersion`, `OsArch` ...): `info`'s `version` and
/// `version`'s `Client`.
pub fn version_report() -> Value {
    json!({
        "APIVersion": VERSION,
        "Version": VERSION,
        "GoVersion": format!("rust {}", env!("CARGO_PKG_RUST_VERSION")),
        "GitCommit": "",
        "BuiltTime": "",
        "Built": 0,
        "OsArch": format!("{}/{}", std::env::consts::OS, go_arch()),
        "Os": std::env::consts::OS,
    })
}

/// Go's name for this architecture (`amd64`, `arm64`, ...).
pub fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

fn read_meminfo() -> Vec<(String, u64)> {
    std::fs::read_to_string("/proc/meminfo")
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let (k, rest) = l.split_once(':')?;
            let kb: u64 = rest.split_whitespace().next()?.parse().ok()?;
            Some((k.to_string(), kb * 1024))
        })
        .collect()
}

fn cgroup_controllers(v2: bool) -> Vec<String> {
    if v2 {
        std::fs::read_to_string("/sys/fs/cgroup/cgroup.controllers")
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_string)
            .collect()
    } else {
        std::fs::read_to_string("/proc/cgroups")
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.starts_with('#'))
            .filter_map(|l| {
                let f: Vec<&str> = l.split_whitespace().collect();
                (f.len() >= 4 && f[3] == "1").then(|| f[0].to_string())
            })
            .collect()
    }
}

fn cpu_utilization() -> Value {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let nums: Vec<f64> = stat
        .lines()
        .next()
        .unwrap_or("")
        .split_whitespace()
        .skip(1)
        .filter_map(|n| n.parse().ok())
        .collect();
    let total: f64 = nums.iter().sum();
    let pct = |i: usize| {
        if total > 0.0 {
            (nums.get(i).copied().unwrap_or(0.0) / total * 10000.0).round() / 100.0
        } else {
            0.0
        }
    };
    json!({ "userPercent": pct(0), "systemPercent": pct(2), "idlePercent": pct(3) })
}

fn distribution() -> Value {
    let text = std::fs::read_to_string("/etc/os-release").unwrap_or_default();
    let get = |k: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{k}=")))
            .map(|v| v.trim_matches('"').to_string())
            .unwrap_or_default()
    };
    json!({ "distribution": get("ID"), "version": get("VERSION_ID"), "codename": get("VERSION_CODENAME") })
}

fn uptime() -> String {
    let secs: f64 = std::fs::read_to_string("/proc/uptime")
        .ok()
        .and_then(|s| s.split_whitespace().next().and_then(|n| n.parse().ok()))
        .unwrap_or(0.0);
    let h = (secs / 3600.0).floor();
    let m = ((secs - h * 3600.0) / 60.0).floor();
    let s = secs - h * 3600.0 - m * 60.0;
    format!(
        "{h}h {m}m {s:.2}s (Approximately {:.2} days)",
        secs / 86400.0
    )
}

fn fs_usage(path: &Path) -> (u64, u64) {
    let mut p = path;
    loop {
        if let Ok(s) = nix::sys::statvfs::statvfs(p) {
            let frag = s.fragment_size();
            let total = s.blocks() * frag;
            let free = s.blocks_free() * frag;
            return (total, total.saturating_sub(free));
        }
        match p.parent() {
            Some(parent) => p = parent,
            None => return (0, 0),
        }
    }
}

fn seccomp_available() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .any(|l| l.starts_with("Seccomp:"))
}

fn find_in_path(name: &str) -> Option<std::path::PathBuf> {
    ["/usr/bin", "/usr/sbin", "/usr/local/bin", "/bin", "/sbin"]
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.exists())
}

fn slirp4netns() -> Value {
    match find_in_path("slirp4netns") {
        Some(p) => json!({
            "executable": p.to_string_lossy(),
            "package": package_of(&p),
            "version": first_lines_of(&p, "--version"),
        }),
        None => json!({ "executable": "", "package": "", "version": "" }),
    }
}

/// `<package>_<version>_<arch>` of the Debian package owning `path`, as Podman shows.
fn package_of(path: &Path) -> String {
    let unknown = || "Unknown".to_string();
    let out = Command::new("dpkg-query").arg("-S").arg(path).output();
    let Some(pkg) = out.ok().filter(|o| o.status.success()).and_then(|o| {
        String::from_utf8_lossy(&o.stdout)
            .split(':')
            .next()
            .map(|s| s.trim().to_string())
    }) else {
        return unknown();
    };
    Command::new("dpkg-query")
        .args(["-f", "${Package}_${Version}_${Architecture}", "-W", &pkg])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_else(unknown)
}

fn first_lines_of(bin: &Path, arg: &str) -> String {
    // A binary written a moment ago can be briefly busy (ETXTBSY) while a
    // concurrent fork still holds its write descriptor: retry a few times.
    for _ in 0..20 {
        match Command::new(bin).arg(arg).output() {
            Ok(o) => return String::from_utf8_lossy(&o.stdout).trim().to_string(),
            Err(e) if e.kind() == std::io::ErrorKind::ExecutableFileBusy => {
                std::thread::sleep(std::time::Duration::from_millis(10));
            }
            Err(_) => break,
        }
    }
    String::new()
}

fn first_line_of(bin: &Path, arg: &str) -> String {
    first_lines_of(bin, arg)
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

/// `{"search": [...]}` from registries.conf's `unqualified-search-registries`, or `{}`.
fn registries(path: &Path) -> Value {
    let Ok(text) = std::fs::read_to_string(path) else {
        return json!({});
    };
    let Ok(table) = text.parse::<toml::Table>() else {
        return json!({});
    };
    match table
        .get("unqualified-search-registries")
        .and_then(|v| v.as_array())
    {
        Some(list) => {
            json!({ "search": list.iter().filter_map(|v| v.as_str()).collect::<Vec<_>>() })
        }
        None => json!({}),
    }
}
