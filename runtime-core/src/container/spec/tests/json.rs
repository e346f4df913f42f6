//! The JSON of generated specs: lossless round trips, Podman's shape, and
//! the `config.json` runc reads.

use std::collections::BTreeMap;
use std::path::Path;

use serde_json::{Value, json};

use super::super::*;
use super::{strs, test_config, test_host, test_opts};

/// Options that set every optional part of the spec.
fn rich_opts(dir: &Path) -> (SpecOptions, Config) {
    let mut opts = test_opts(dir);
    opts.settings.terminal = true;
    opts.settings.memory = Some(64 << 20);
    opts.settings.cpus = Some(1.5);
    opts.settings.ulimits = vec!["nofile=1024:2048".into()];
    opts.settings.no_new_privileges = true;
    opts.settings.read_only = true;
    opts.settings.user = "alice".into();
    opts.settings.cap_add = parse_cap_names(&["net_admin"]).unwrap();
    opts.settings.network = NetworkMode::Private;
    opts.settings.tmpfs = vec![("/scratch".into(), "size=1m".into())];
    opts.settings.binds = vec![BindMount {
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
        opts.settings.privileged = privileged;
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
const PODMAN_CONFIG: &str = include_str!("../testdata/podman-4.3.1-config.json");

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
