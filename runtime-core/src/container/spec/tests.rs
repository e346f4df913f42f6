//! Tests of whole generated specs, and the fixtures the other modules' tests share.

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

use caps::Capability;
use serde_json::{Value, json};

use super::*;

/// A config that reads no file from the machine.
pub(crate) fn test_config() -> Config {
    Config::load(&crate::config::ConfigEnv::isolated(None, None)).unwrap()
}

/// A cgroup v1 x86_64 host that can grant all 41 capabilities.
pub(crate) fn test_host() -> Host {
    Host {
        grantable: capabilities::sorted(caps::all()),
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

/// The generated spec for a host, as the JSON Podman would write.
fn generated(opts: &SpecOptions, config: &Config, host: &Host) -> Value {
    spec_to_json(&generate_for_host(opts, config, host).unwrap()).unwrap()
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

/// Options that set every optional part of the spec.
fn rich_opts(dir: &Path) -> (SpecOptions, Config) {
    let mut opts = test_opts(dir);
    opts.terminal = true;
    opts.memory = Some(64 << 20);
    opts.cpus = Some(1.5);
    opts.ulimits = vec!["nofile=1024:2048".into()];
    opts.no_new_privileges = true;
    opts.read_only = true;
    opts.user = "alice".into();
    opts.cap_add = parse_cap_names(&["net_admin"]).unwrap();
    opts.network = NetworkMode::Private;
    opts.tmpfs = vec![("/scratch".into(), "size=1m".into())];
    opts.binds = vec![BindMount {
        source: dir.to_path_buf(),
        destination: "/data".into(),
        options: vec!["ro".into()],
    }];
    opts.annotations = BTreeMap::from([("zz.last".into(), "1".into())]);
    let mut config = test_config();
    let profile = dir.join("seccomp.json");
    std::fs::write(&profile, seccomp::tests::SAMPLE_PROFILE).unwrap();
    config.conf.containers.seccomp_profile = profile.to_string_lossy().into_owned();
    (opts, config)
}

#[test]
fn typed_spec_carries_every_option() {
    let d = tempfile::tempdir().unwrap();
    let (opts, config) = rich_opts(d.path());
    let spec = generate_for_host(&opts, &config, &test_host()).unwrap();
    let proc = spec.process().as_ref().unwrap();
    assert_eq!(proc.terminal(), Some(true));
    assert_eq!(proc.no_new_privileges(), Some(true));
    assert_eq!(proc.user().uid(), 1000);
    assert_eq!(spec.root().as_ref().unwrap().readonly(), Some(true));
    let linux = spec.linux().as_ref().unwrap();
    let res = linux.resources().as_ref().unwrap();
    assert_eq!(res.memory().as_ref().unwrap().limit(), Some(64 << 20));
    assert_eq!(res.cpu().as_ref().unwrap().quota(), Some(150_000));
    assert_eq!(res.cpu().as_ref().unwrap().period(), Some(100_000));
    assert!(linux.seccomp().is_some());
}

#[test]
fn spec_round_trips_through_json() {
    let d = tempfile::tempdir().unwrap();
    for privileged in [false, true] {
        let (mut opts, config) = rich_opts(d.path());
        opts.privileged = privileged;
        let spec = generate_for_host(&opts, &config, &test_host()).unwrap();
        let v = spec_to_json(&spec).unwrap();
        // Typed → JSON → typed is lossless ...
        let back = spec_from_json(&v).unwrap();
        assert_eq!(back, spec);
        // ... and so is JSON → typed → JSON, key order included.
        let again = spec_to_json(&back).unwrap();
        assert_eq!(
            serde_json::to_string(&again).unwrap(),
            serde_json::to_string(&v).unwrap()
        );
        // Plain serde (what runc and Podman's Go decoder read) agrees too.
        let plain: oci_spec::runtime::Spec =
            serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
        assert_eq!(plain, spec);
    }
}

#[test]
fn json_lists_sets_and_maps_sorted_like_podman() {
    let d = tempfile::tempdir().unwrap();
    let (opts, config) = rich_opts(d.path());
    let v = spec_to_json(&generate_for_host(&opts, &config, &test_host()).unwrap()).unwrap();
    for set in [
        "bounding",
        "effective",
        "inheritable",
        "permitted",
        "ambient",
    ] {
        let Some(list) = v["process"]["capabilities"].get(set) else {
            continue;
        };
        let names = strs(list);
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "{set}");
    }
    let keys: Vec<&String> = v["annotations"].as_object().unwrap().keys().collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(keys.last().map(|k| k.as_str()), Some("zz.last"));
}

#[test]
fn written_config_json_has_what_runc_reads() {
    let d = tempfile::tempdir().unwrap();
    let (opts, config) = rich_opts(d.path());
    let spec = generate_for_host(&opts, &config, &test_host()).unwrap();
    let path = d.path().join("config.json");
    write_config_json(&spec, &path).unwrap();
    let v: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(v["ociVersion"], OCI_VERSION);
    assert_eq!(strs(&v["process"]["args"]), ["sleep", "120"]);
    assert_eq!(v["process"]["cwd"], "/");
    assert_eq!(v["process"]["user"]["uid"], 1000);
    assert_eq!(v["process"]["terminal"], true);
    assert_eq!(v["root"]["path"], opts.rootfs.to_string_lossy().as_ref());
    assert_eq!(v["root"]["readonly"], true);
    let ns: Vec<&str> = v["linux"]["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["type"].as_str().unwrap())
        .collect();
    assert_eq!(ns, ["pid", "network", "ipc", "uts", "mount"]);
    let mounts = v["mounts"].as_array().unwrap();
    assert!(mounts.len() > 10);
    for m in mounts {
        for k in ["destination", "type", "source"] {
            assert!(m[k].is_string(), "{k} missing in {m}");
        }
        assert!(m["options"].is_array(), "{m}");
    }
    let data = mounts.iter().find(|m| m["destination"] == "/data").unwrap();
    assert_eq!(data["type"], "bind");
    assert_eq!(data["source"], d.path().to_string_lossy().as_ref());
    assert!(strs(&data["options"]).contains(&"ro".to_string()));
    let rl = &v["process"]["rlimits"][0];
    assert_eq!(
        (rl["type"].as_str(), rl["soft"].as_u64()),
        (Some("RLIMIT_NOFILE"), Some(1024))
    );
    let seccomp = &v["linux"]["seccomp"];
    assert_eq!(seccomp["defaultAction"], "SCMP_ACT_ERRNO");
    assert!(
        seccomp["syscalls"]
            .as_array()
            .is_some_and(|s| !s.is_empty())
    );
}

/// The `config.json` (which is also the spec its record stores) Podman
/// 4.3.1 wrote for `podman create --network none --rootfs DIR /busybox sleep 10`.
const PODMAN_CONFIG: &str = include_str!("testdata/podman-4.3.1-config.json");

#[test]
fn podmans_spec_reads_and_writes_back_byte_for_byte() {
    let spec = spec_from_json(&serde_json::from_str(PODMAN_CONFIG).unwrap()).unwrap();
    let proc = spec.process().as_ref().unwrap();
    assert_eq!(proc.cwd(), Path::new("/"));
    let bounding = proc
        .capabilities()
        .as_ref()
        .unwrap()
        .bounding()
        .as_ref()
        .unwrap();
    assert_eq!(bounding.len(), 11);
    let linux = spec.linux().as_ref().unwrap();
    assert_eq!(
        linux
            .seccomp()
            .as_ref()
            .unwrap()
            .syscalls()
            .as_ref()
            .unwrap()
            .len(),
        22
    );
    let written = serde_json::to_string(&spec_to_json(&spec).unwrap()).unwrap();
    assert_eq!(written, PODMAN_CONFIG.trim_end());
}

#[test]
fn keys_rpod_never_sets_survive_a_round_trip() {
    // Keys Podman writes in other setups (hooks, rootfsPropagation, a
    // namespace path, oomScoreAdj) that rpod's own specs lack.
    let podman = json!({
        "ociVersion": "1.0.2-dev",
        "process": {
            "user": {"uid": 0, "gid": 0, "umask": 18},
            "args": ["/bin/sh"],
            "env": ["PATH=/usr/bin:/bin", "container=podman", "HOSTNAME=0d7c8e5b1a2f"],
            "cwd": "/",
            "capabilities": {
                "bounding": ["CAP_CHOWN", "CAP_KILL"],
                "effective": ["CAP_CHOWN", "CAP_KILL"],
                "permitted": ["CAP_CHOWN", "CAP_KILL"]
            },
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1048576, "soft": 1048576}],
            "oomScoreAdj": 0
        },
        "root": {"path": "/var/lib/containers/storage/overlay/x/merged"},
        "hostname": "0d7c8e5b1a2f",
        "mounts": [
            {"destination": "/proc", "type": "proc", "source": "proc", "options": ["nosuid", "noexec", "nodev"]}
        ],
        "hooks": {},
        "annotations": {"io.container.manager": "libpod"},
        "linux": {
            "sysctl": {"net.ipv4.ping_group_range": "0 0"},
            "resources": {"pids": {"limit": 2048}},
            "cgroupsPath": "machine.slice:libpod:0d7c",
            "namespaces": [{"type": "pid"}, {"type": "network", "path": "/run/netns/x"}],
            "rootfsPropagation": "rprivate",
            "maskedPaths": ["/proc/acpi"],
            "readonlyPaths": ["/proc/bus"]
        }
    });
    let spec = spec_from_json(&podman).unwrap();
    let proc = spec.process().as_ref().unwrap();
    assert_eq!(proc.args().as_deref(), Some(&["/bin/sh".to_string()][..]));
    assert_eq!(proc.oom_score_adj(), Some(0));
    let linux = spec.linux().as_ref().unwrap();
    assert_eq!(linux.rootfs_propagation().as_deref(), Some("rprivate"));
    // Written back, it is the same JSON.
    assert_eq!(spec_to_json(&spec).unwrap(), podman);
    assert_eq!(
        serde_json::to_string(&spec_to_json(&spec).unwrap()).unwrap(),
        serde_json::to_string(&podman).unwrap()
    );
    assert!(spec_from_json(&json!({"process": {"args": 3}})).is_err());
}

#[test]
fn privileged_gets_every_cap_no_masks_rw_sys_and_all_devices() {
    let d = tempfile::tempdir().unwrap();
    let mut opts = test_opts(d.path());
    opts.privileged = true;
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
    opts.read_only = true;
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
    opts.init = true;
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
    let last: usize = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!(h.grantable.len() <= last + 1);
    assert!(!h.grantable.is_empty());
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
