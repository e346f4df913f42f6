//! OCI runtime spec generation: the `config.json` Podman 4.3 writes for a
//! container, the per-container run files it bind-mounts (`hostname`,
//! `hosts`, `resolv.conf`, `.containerenv`), and the process object of an
//! `exec` session.
//!
//! The spec is built as JSON (key order follows Podman's) and checked against
//! `oci_spec::runtime::Spec` by the tests. Everything the host decides
//! (capability count and bounding set, cgroup version, architecture, kernel
//! version) is read once into a [`Host`] so that tests can pin it.

mod exec;
mod files;
mod linux;
mod mounts;
mod process;
mod seccomp;

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use crate::config::{ByteSize, Config};
use crate::error::{Error, Result};

pub use exec::exec_process;
pub use files::{write_run_files, write_run_files_from_spec};
pub use process::CAPABILITY_NAMES;

/// The OCI version string Podman 4.3 writes.
pub const OCI_VERSION: &str = "1.0.2-dev";

/// Where `--init` mounts the init binary inside the container.
pub const INIT_PATH_IN_CONTAINER: &str = "/run/podman-init";

/// Size of `/dev/shm` when containers.conf's `shm_size` does not parse (64 MB, Podman's default).
const DEFAULT_SHM_SIZE: u64 = 65_536_000;

/// The container's network namespace.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NetworkMode {
    /// A new network namespace (loopback only until a network is attached).
    #[default]
    Private,
    /// A new network namespace that stays unconfigured (`--network none`):
    /// no `/etc/resolv.conf` is mounted.
    None,
    /// The host's network namespace (`--network host`).
    Host,
}

/// A `-v HOST:CTR[:opts]` bind mount.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BindMount {
    /// Host path.
    pub source: PathBuf,
    /// Absolute path in the container.
    pub destination: String,
    /// Options as given (`ro`, `rw`, `z`, `private`, `noexec`, ...).
    pub options: Vec<String>,
}

/// Everything the spec of one container depends on, besides containers.conf.
#[derive(Debug, Clone)]
pub struct SpecOptions {
    /// Full container ID.
    pub id: String,
    /// Container name.
    pub name: String,
    /// The mounted root filesystem (`root.path`).
    pub rootfs: PathBuf,
    /// The bundle directory; `/dev/shm` comes from `<bundle>/shm`.
    pub bundle: PathBuf,
    /// The run directory holding `hostname`, `hosts`, `resolv.conf`, `.containerenv`.
    pub run_dir: PathBuf,
    /// Entrypoint (already merged with the image's by the caller).
    pub entrypoint: Vec<String>,
    /// Command (already merged with the image's by the caller).
    pub command: Vec<String>,
    /// `K=V` entries from `-e`, `--env-file` and the image, applied over the defaults.
    pub env: Vec<String>,
    /// Allocate a terminal.
    pub terminal: bool,
    /// `""`, `uid`, `uid:gid` or `name[:group]`, resolved in the rootfs.
    pub user: String,
    /// Working directory (`""` means `/`).
    pub workdir: String,
    /// Hostname (`""` means the first 12 characters of the ID).
    pub hostname: String,
    /// Capabilities to add (`NET_ADMIN`, `cap_net_admin`, `ALL`).
    pub cap_add: Vec<String>,
    /// Capabilities to drop.
    pub cap_drop: Vec<String>,
    /// `--privileged`.
    pub privileged: bool,
    /// `--read-only`.
    pub read_only: bool,
    /// `--security-opt no-new-privileges`.
    pub no_new_privileges: bool,
    /// Bind mounts.
    pub binds: Vec<BindMount>,
    /// `--tmpfs` mounts: (destination, comma-separated options).
    pub tmpfs: Vec<(String, String)>,
    /// `--ulimit name=soft[:hard]`, overriding containers.conf's by name.
    pub ulimits: Vec<String>,
    /// Memory limit in bytes.
    pub memory: Option<i64>,
    /// CPU count (`--cpus`).
    pub cpus: Option<f64>,
    /// PID limit (`None`: containers.conf's; `0`: none).
    pub pids_limit: Option<i64>,
    /// `--cgroups disabled`: no `cgroupsPath` and no resources.
    pub cgroups_disabled: bool,
    /// Cgroup parent (`""`: `/libpod_parent` for cgroupfs, `machine.slice` for systemd).
    pub cgroup_parent: String,
    /// `cgroupfs` or `systemd` (`""` means cgroupfs).
    pub cgroup_manager: String,
    /// Network namespace mode.
    pub network: NetworkMode,
    /// `--init`: run the init binary as PID 1.
    pub init: bool,
    /// Extra annotations, over Podman's defaults.
    pub annotations: BTreeMap<String, String>,
    /// Stop signal number (recorded as an annotation).
    pub stop_signal: u32,
    /// Creation time (recorded as an annotation).
    pub created: DateTime<Utc>,
}

/// What the host decides about a spec, read once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Host {
    /// `/proc/sys/kernel/cap_last_cap`.
    pub cap_last_cap: u32,
    /// This process's capability bounding set (bit per capability).
    pub bounding: u64,
    /// `/sys/fs/cgroup` is cgroup v2.
    pub cgroup2: bool,
    /// The architecture in Go/libseccomp naming (`amd64`, `arm64`, ...).
    pub arch: &'static str,
    /// Kernel (major, minor).
    pub kernel: (u32, u32),
}

impl Host {
    /// Reads the running host.
    pub(crate) fn detect() -> Host {
        let cap_last_cap = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
            .ok()
            .and_then(|s| s.trim().parse().ok())
            .unwrap_or(40);
        let bounding = std::fs::read_to_string("/proc/self/status")
            .ok()
            .and_then(|s| process::parse_cap_bnd(&s))
            .unwrap_or(u64::MAX);
        let cgroup2 = nix::sys::statfs::statfs("/sys/fs/cgroup")
            .map(|s| s.filesystem_type() == nix::sys::statfs::CGROUP2_SUPER_MAGIC)
            .unwrap_or(false);
        let kernel = nix::sys::utsname::uname()
            .ok()
            .and_then(|u| u.release().to_str().and_then(seccomp::parse_kernel_version))
            .unwrap_or((0, 0));
        Host {
            cap_last_cap,
            bounding,
            cgroup2,
            arch: seccomp::native_arch(),
            kernel,
        }
    }

    /// Every capability the kernel knows and this process may grant, sorted.
    pub(crate) fn all_caps(&self) -> Vec<String> {
        let mut caps: Vec<String> = CAPABILITY_NAMES
            .iter()
            .enumerate()
            .filter(|(i, _)| {
                *i as u32 <= self.cap_last_cap && *i < 64 && self.bounding & (1u64 << i) != 0
            })
            .map(|(_, n)| n.to_string())
            .collect();
        caps.sort();
        caps
    }
}

/// The hostname the container gets: the option, the host's for `--network
/// host`, else the first 12 characters of the ID.
pub(crate) fn effective_hostname(opts: &SpecOptions) -> String {
    if !opts.hostname.is_empty() {
        return opts.hostname.clone();
    }
    if opts.network == NetworkMode::Host
        && let Some(h) = nix::unistd::gethostname()
            .ok()
            .and_then(|h| h.into_string().ok())
    {
        return h;
    }
    opts.id.chars().take(12).collect()
}

/// The mount options of the `<bundle>/shm` tmpfs: `mode=1777,size=<bytes>`
/// from containers.conf's `shm_size`.
pub fn shm_mount_options(config: &Config) -> String {
    let size = match config.conf.containers.shm_size.parse::<ByteSize>() {
        Ok(s) => s.0,
        Err(e) => {
            tracing::warn!(
                "invalid shm_size {:?} in containers.conf ({e}), using the default",
                config.conf.containers.shm_size
            );
            DEFAULT_SHM_SIZE
        }
    };
    format!("mode=1777,size={size}")
}

/// Go's RFC 3339 with nanoseconds, trailing zeros trimmed (`time.RFC3339Nano`).
pub(crate) fn rfc3339_nano(t: &DateTime<Utc>) -> String {
    let base = t.format("%Y-%m-%dT%H:%M:%S").to_string();
    let nanos = t.timestamp_subsec_nanos();
    if nanos == 0 {
        format!("{base}Z")
    } else {
        let frac = format!("{nanos:09}");
        format!("{base}.{}Z", frac.trim_end_matches('0'))
    }
}

fn bool_annotation(b: bool) -> &'static str {
    if b { "TRUE" } else { "FALSE" }
}

/// Podman's default annotations, then the caller's.
fn annotations(opts: &SpecOptions) -> Map<String, Value> {
    let mut a = BTreeMap::new();
    a.insert("io.container.manager".to_string(), "libpod".to_string());
    a.insert(
        "io.kubernetes.cri-o.Created".to_string(),
        rfc3339_nano(&opts.created),
    );
    a.insert(
        "io.kubernetes.cri-o.TTY".to_string(),
        opts.terminal.to_string(),
    );
    a.insert(
        "io.podman.annotations.autoremove".to_string(),
        "FALSE".to_string(),
    );
    a.insert(
        "io.podman.annotations.init".to_string(),
        bool_annotation(opts.init).to_string(),
    );
    a.insert(
        "io.podman.annotations.privileged".to_string(),
        bool_annotation(opts.privileged).to_string(),
    );
    a.insert(
        "io.podman.annotations.publish-all".to_string(),
        "FALSE".to_string(),
    );
    a.insert(
        "org.opencontainers.image.stopSignal".to_string(),
        opts.stop_signal.to_string(),
    );
    for (k, v) in &opts.annotations {
        a.insert(k.clone(), v.clone());
    }
    a.into_iter().map(|(k, v)| (k, Value::String(v))).collect()
}

/// Generates the container's `config.json`.
pub fn generate(opts: &SpecOptions, config: &Config) -> Result<Value> {
    generate_for_host(opts, config, &Host::detect())
}

/// [`generate`] for a given host.
pub(crate) fn generate_for_host(opts: &SpecOptions, config: &Config, host: &Host) -> Result<Value> {
    if opts.id.is_empty() {
        return Err(Error::EmptyId);
    }
    let init_binary = if opts.init {
        Some(mounts::find_init_binary(config)?)
    } else {
        None
    };
    let proc = process::build(opts, config, host)?;
    let hostname = effective_hostname(opts);
    let mounts = mounts::build(opts, init_binary.as_deref())?;

    let mut root = Map::new();
    root.insert(
        "path".into(),
        Value::String(opts.rootfs.to_string_lossy().into_owned()),
    );
    if opts.read_only {
        root.insert("readonly".into(), Value::Bool(true));
    }

    let seccomp = if opts.privileged {
        None
    } else {
        seccomp::load(
            std::path::Path::new(&config.conf.containers.seccomp_profile),
            &proc.bounding,
            host,
        )?
    };
    let linux = linux::build(opts, config, host, seccomp)?;

    let mut spec = Map::new();
    spec.insert("ociVersion".into(), json!(OCI_VERSION));
    spec.insert("process".into(), Value::Object(proc.json));
    spec.insert("root".into(), Value::Object(root));
    spec.insert("hostname".into(), Value::String(hostname));
    spec.insert(
        "mounts".into(),
        Value::Array(mounts.iter().map(mounts::Mount::to_json).collect()),
    );
    spec.insert("annotations".into(), Value::Object(annotations(opts)));
    spec.insert("linux".into(), Value::Object(linux));
    Ok(Value::Object(spec))
}

#[cfg(test)]
pub(crate) mod tests {
    use std::os::unix::fs::symlink;
    use std::path::Path;

    use super::*;

    /// A config that reads no file from the machine.
    pub(crate) fn test_config() -> Config {
        Config::load(&crate::config::ConfigEnv::isolated(None, None)).unwrap()
    }

    /// A cgroup v1 x86_64 host with 41 capabilities, all in the bounding set.
    pub(crate) fn test_host() -> Host {
        Host {
            cap_last_cap: 40,
            bounding: (1u64 << 41) - 1,
            cgroup2: false,
            arch: "amd64",
            kernel: (6, 1),
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
            command: vec!["sleep".into(), "120".into()],
            env: vec![],
            terminal: false,
            user: String::new(),
            workdir: String::new(),
            hostname: String::new(),
            cap_add: vec![],
            cap_drop: vec![],
            privileged: false,
            read_only: false,
            no_new_privileges: false,
            binds: vec![],
            tmpfs: vec![],
            ulimits: vec![],
            memory: None,
            cpus: None,
            pids_limit: None,
            cgroups_disabled: false,
            cgroup_parent: String::new(),
            cgroup_manager: "cgroupfs".into(),
            network: NetworkMode::None,
            init: false,
            annotations: BTreeMap::new(),
            stop_signal: 15,
            created: DateTime::parse_from_rfc3339("2026-11-28T12:40:17.026069540Z")
                .unwrap()
                .with_timezone(&Utc),
        }
    }

    fn strs(v: &Value) -> Vec<String> {
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
        config.conf.containers.seccomp_profile = "/nonexistent/seccomp.json".into();
        let s = generate_for_host(&opts, &config, &test_host()).unwrap();

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
        assert!(l.get("seccomp").is_none(), "missing profile: no seccomp");
    }

    #[test]
    fn output_deserializes_into_oci_spec() {
        let d = tempfile::tempdir().unwrap();
        let mut opts = test_opts(d.path());
        opts.terminal = true;
        opts.memory = Some(64 << 20);
        opts.cpus = Some(1.5);
        opts.ulimits = vec!["nofile=1024:2048".into()];
        opts.no_new_privileges = true;
        opts.tmpfs = vec![("/scratch".into(), "size=1m".into())];
        opts.binds = vec![BindMount {
            source: d.path().to_path_buf(),
            destination: "/data".into(),
            options: vec!["ro".into()],
        }];
        let mut config = test_config();
        let profile = d.path().join("seccomp.json");
        std::fs::write(&profile, seccomp::tests::SAMPLE_PROFILE).unwrap();
        config.conf.containers.seccomp_profile = profile.to_string_lossy().into_owned();
        let v = generate_for_host(&opts, &config, &test_host()).unwrap();
        let spec: oci_spec::runtime::Spec = serde_json::from_value(v.clone()).unwrap();
        let proc = spec.process().as_ref().unwrap();
        assert_eq!(proc.terminal(), Some(true));
        assert_eq!(proc.no_new_privileges(), Some(true));
        let linux = spec.linux().as_ref().unwrap();
        let res = linux.resources().as_ref().unwrap();
        assert_eq!(res.memory().as_ref().unwrap().limit(), Some(64 << 20));
        assert_eq!(res.cpu().as_ref().unwrap().quota(), Some(150_000));
        assert_eq!(res.cpu().as_ref().unwrap().period(), Some(100_000));
        assert!(linux.seccomp().is_some());
        // And back: oci-spec reads every key we write.
        let again = serde_json::to_value(&spec).unwrap();
        assert_eq!(again["mounts"], v["mounts"]);
        assert_eq!(again["process"]["rlimits"], v["process"]["rlimits"]);
    }

    #[test]
    fn privileged_gets_every_cap_no_masks_rw_sys_and_all_devices() {
        let d = tempfile::tempdir().unwrap();
        let mut opts = test_opts(d.path());
        opts.privileged = true;
        let mut host = test_host();
        host.bounding &= !(1u64 << 24); // no CAP_SYS_RESOURCE, as on this machine
        let s = generate_for_host(&opts, &test_config(), &host).unwrap();
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
        opts.read_only = true;
        let s = generate_for_host(&opts, &test_config(), &test_host()).unwrap();
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
        opts.init = true;
        let fake_init = d.path().join("catatonit");
        std::fs::write(&fake_init, "").unwrap();
        let mut config = test_config();
        config.conf.containers.init_path = fake_init.to_string_lossy().into_owned();
        let s = generate_for_host(&opts, &config, &test_host()).unwrap();
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
        opts.command.clear();
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
    fn rfc3339_nano_trims_zeros_like_go() {
        let t = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.100Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(rfc3339_nano(&t), "2026-01-02T03:04:05.1Z");
        let t = DateTime::parse_from_rfc3339("2026-01-02T03:04:05Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(rfc3339_nano(&t), "2026-01-02T03:04:05Z");
    }

    #[test]
    fn host_detection_reads_this_machine() {
        let h = Host::detect();
        let last: u32 = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert_eq!(h.cap_last_cap, last);
        let all = h.all_caps();
        assert!(all.len() <= last as usize + 1);
        assert!(!all.is_empty());
    }

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
        std::fs::write(
            opts.bundle.join("config.json"),
            serde_json::to_vec_pretty(&spec).unwrap(),
        )
        .unwrap();
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
        opts.cgroups_disabled = true;
        opts.network = NetworkMode::Private;
        opts.command = vec!["true".into()];
        // The default config points at the real profile from containers-common.
        runc_runs(&opts, &test_config(), None);

        opts.user = "alice".into();
        opts.command = vec!["id".into()];
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
        opts.cgroups_disabled = true;
        opts.privileged = true;
        opts.read_only = true;
        opts.command = vec!["sh".into(), "-c".into(), "cat /etc/hostname".into()];
        runc_runs(&opts, &test_config(), Some(&opts.id[..12]));
    }
}
