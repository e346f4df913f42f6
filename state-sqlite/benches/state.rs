//! `cargo bench -p rpod-state-sqlite`: the State operations every `rpod`
//! command pays for, on a `db.sql` holding 10,000 containers whose configs
//! are Podman-sized (an OCI spec with mounts, capabilities and masked paths,
//! about 5 KB of JSON each).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::path::PathBuf;
use std::sync::OnceLock;

use divan::{Bencher, black_box};
use rpod_runtime_core::container::{ContainerConfig, ContainerRecord};
use rpod_runtime_core::names::generate_id;
use rpod_runtime_core::state::State;
use rpod_state_sqlite::SqliteState;

const CONTAINERS: usize = 10_000;

struct Fixture {
    dir: PathBuf,
    state: SqliteState,
    names: Vec<String>,
    /// 5-character ID prefixes that match exactly one container.
    prefixes: Vec<String>,
}

static FIXTURE: OnceLock<Fixture> = OnceLock::new();

fn fixture() -> &'static Fixture {
    FIXTURE.get().expect("main() sets up the fixture")
}

fn spec(name: &str) -> serde_json::Value {
    let caps: Vec<String> = rpod_runtime_core::config::DEFAULT_CAPABILITIES
        .iter()
        .map(|c| format!("CAP_{c}"))
        .collect();
    let mounts: Vec<serde_json::Value> = [
        ("/proc", "proc"),
        ("/dev", "tmpfs"),
        ("/sys", "sysfs"),
        ("/dev/pts", "devpts"),
        ("/dev/mqueue", "mqueue"),
        ("/etc/hosts", "bind"),
        ("/etc/resolv.conf", "bind"),
        ("/etc/hostname", "bind"),
        ("/run/.containerenv", "bind"),
        ("/dev/shm", "bind"),
    ]
    .iter()
    .map(|(dest, ty)| {
        serde_json::json!({
            "destination": dest, "type": ty,
            "source": format!("/var/lib/rpod/storage/overlay-containers/{name}/userdata{dest}"),
            "options": ["rw", "rprivate", "nosuid", "noexec", "nodev"],
        })
    })
    .collect();
    serde_json::json!({
        "ociVersion": "1.0.2-dev",
        "process": {
            "terminal": false, "user": {"uid": 0, "gid": 0, "additionalGids": [0]},
            "args": ["/bin/sh", "-c", "while true; do sleep 3600; done"],
            "env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
                    "TERM=xterm", "container=podman", format!("HOSTNAME={name}"), "HOME=/root"],
            "cwd": "/",
            "capabilities": {"bounding": caps, "effective": caps, "permitted": caps},
            "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 1_048_576, "soft": 1_048_576},
                        {"type": "RLIMIT_NPROC", "hard": 4_194_304, "soft": 4_194_304}],
            "oomScoreAdj": 0,
        },
        "root": {"path": format!("/var/lib/rpod/storage/overlay/{name}/merged")},
        "hostname": name,
        "mounts": mounts,
        "annotations": {"io.container.manager": "libpod", "org.opencontainers.image.stopSignal": "15"},
        "linux": {
            "sysctl": {"net.ipv4.ping_group_range": "0 0"},
            "resources": {"devices": [{"allow": false, "access": "rwm"}], "pids": {"limit": 2048}},
            "cgroupsPath": format!("machine.slice:libpod:{name}"),
            "namespaces": [{"type": "pid"}, {"type": "network", "path": format!("/run/netns/netns-{name}")},
                           {"type": "ipc"}, {"type": "uts"}, {"type": "mount"}, {"type": "cgroup"}],
            "maskedPaths": ["/proc/acpi", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
                            "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
                            "/proc/scsi", "/sys/firmware", "/sys/fs/selinux", "/sys/dev/block"],
            "readonlyPaths": ["/proc/asound", "/proc/bus", "/proc/fs", "/proc/irq",
                              "/proc/sys", "/proc/sysrq-trigger"],
        },
    })
}

fn record(i: usize) -> ContainerRecord {
    let id = generate_id().unwrap();
    let name = format!("bench_{i}");
    let mut cfg = ContainerConfig::new(&id, &name, i as u32);
    cfg.spec = Some(spec(&id));
    cfg.rootfs_image_id = generate_id().unwrap();
    cfg.rootfs_image_name = "quay.io/libpod/alpine:latest".into();
    cfg.static_dir = format!("/var/lib/rpod/storage/overlay-containers/{id}/userdata");
    cfg.log_path = format!("{}/ctr.log", cfg.static_dir);
    cfg.log_driver = "k8s-file".into();
    cfg.oci_runtime = "crun".into();
    cfg.create_command = vec!["rpod".into(), "run".into(), "-d".into(), "alpine".into()];
    cfg.labels.insert("app".into(), format!("bench-{}", i % 10));
    ContainerRecord::new(cfg)
}

#[allow(clippy::print_stderr)]
fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("libpod");
    let state = SqliteState::open(&dir).unwrap();
    let recs: Vec<ContainerRecord> = (0..CONTAINERS).map(record).collect();
    state.add_containers(&recs).unwrap();
    let names = recs.iter().map(|r| r.config.name.clone()).collect();
    let prefixes = recs
        .iter()
        .map(|r| r.config.id[..5].to_string())
        .filter(|p| recs.iter().filter(|r| r.config.id.starts_with(p)).count() == 1)
        .collect();
    let size = std::fs::metadata(state.path()).unwrap().len();
    let json = serde_json::to_string(&recs[0].config).unwrap().len();
    eprintln!(
        "fixture: {CONTAINERS} containers, config JSON {json} bytes each, db.sql {size} bytes"
    );
    drop(recs);
    let _ = FIXTURE.set(Fixture {
        dir,
        state,
        names,
        prefixes,
    });
    divan::main();
    drop(tmp);
}

fn pick<T>(v: &[T], n: &mut usize) -> usize {
    *n = n.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
    (*n >> 33) % v.len()
}

/// One `add_container` (an exclusive transaction with its fsyncs) on a
/// database that already holds 10,000 containers.
#[divan::bench(sample_count = 30, sample_size = 1)]
fn add_container(b: Bencher) {
    let f = fixture();
    let mut i = CONTAINERS;
    b.with_inputs(|| {
        i += 1;
        record(i)
    })
    .bench_local_refs(|r| f.state.add_container(r).unwrap());
}

/// `save_container`: the write every container verb ends with.
#[divan::bench(sample_count = 30, sample_size = 1)]
fn save_container(b: Bencher) {
    let f = fixture();
    let id = f.state.lookup_container_id(&f.names[0]).unwrap();
    let mut st = f.state.update_container(&id).unwrap();
    b.bench_local(|| {
        st.pid += 1;
        f.state.save_container(&id, &st).unwrap();
    });
}

/// Name → full ID among 10,000 containers.
#[divan::bench]
fn lookup_id_by_name(b: Bencher) {
    let f = fixture();
    let mut n = 1;
    b.bench_local(|| {
        let name = &f.names[pick(&f.names, &mut n)];
        black_box(f.state.lookup_container_id(name).unwrap())
    });
}

/// Name → the whole record (config and state decoded) among 10,000.
#[divan::bench]
fn lookup_container_by_name(b: Bencher) {
    let f = fixture();
    let mut n = 1;
    b.bench_local(|| {
        let name = &f.names[pick(&f.names, &mut n)];
        black_box(f.state.lookup_container(name).unwrap())
    });
}

/// A unique 5-character ID prefix → the whole record, among 10,000.
#[divan::bench]
fn lookup_container_by_id_prefix(b: Bencher) {
    let f = fixture();
    let mut n = 1;
    b.bench_local(|| {
        let p = &f.prefixes[pick(&f.prefixes, &mut n)];
        black_box(f.state.lookup_container(p).unwrap())
    });
}

/// `all_containers(true)` with 10,000 containers.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn all_containers_10k(b: Bencher) {
    let f = fixture();
    b.bench_local(|| {
        let all = f.state.all_containers(true).unwrap();
        assert!(all.len() >= CONTAINERS);
        all
    });
}

/// `all_containers(false)` (configs only) with 10,000 containers.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn all_containers_10k_configs_only(b: Bencher) {
    let f = fixture();
    b.bench_local(|| f.state.all_containers(false).unwrap());
}

/// `all_containers_for_listing()` (what `ps` reads: configs without their
/// spec, from `ContainerListing`, and states) with 10,000 containers.
#[divan::bench(sample_count = 10, sample_size = 1)]
fn all_containers_for_listing_10k(b: Bencher) {
    let f = fixture();
    b.bench_local(|| {
        let all = f.state.all_containers_for_listing().unwrap();
        assert!(all.len() >= CONTAINERS);
        all
    });
}

/// Opening the 10,000-container database, as every `rpod` command does.
#[divan::bench]
fn open_existing(b: Bencher) {
    let f = fixture();
    b.bench_local(|| SqliteState::open(&f.dir).unwrap());
}
