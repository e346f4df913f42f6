//! `cargo bench -p rpod-state-bolt`: what an `rpod` command pays on a
//! `bolt_state.db` holding 500 containers with ~10 KB configs (the size of a
//! Podman config with its OCI spec): open plus one lookup, loading every
//! container, a state save, and a container add plus removal.
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
use rpod_state_bolt::BoltState;

const CONTAINERS: usize = 500;

struct Fixture {
    dir: PathBuf,
    names: Vec<String>,
    ids: Vec<String>,
}

static FIXTURE: OnceLock<Fixture> = OnceLock::new();

fn fixture() -> &'static Fixture {
    FIXTURE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("rpod-bolt-bench-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let state = BoltState::open(&dir).unwrap();
        let mut names = Vec::new();
        let mut ids = Vec::new();
        for i in 0..CONTAINERS {
            let id = generate_id().unwrap();
            let name = format!("bench-{i}");
            state.add_container(&record(&id, &name, i as u32)).unwrap();
            names.push(name);
            ids.push(id);
        }
        Fixture { dir, names, ids }
    })
}

fn record(id: &str, name: &str, lock: u32) -> ContainerRecord {
    let mut cfg = ContainerConfig::new(id, name, lock);
    let env: Vec<String> = (0..40)
        .map(|i| format!("VAR_{i}=value-{i}-{name}"))
        .collect();
    let mounts: Vec<serde_json::Value> = (0..30)
        .map(|i| {
            serde_json::json!({"destination": format!("/mnt/{i}"), "type": "bind",
                "source": format!("/var/lib/containers/storage/{id}/m{i}"),
                "options": ["rbind", "rprivate", "nosuid", "nodev"]})
        })
        .collect();
    cfg.spec = Some(serde_json::json!({
        "ociVersion": "1.0.2-dev",
        "process": {"args": ["/bin/sh"], "env": env, "cwd": "/"},
        "mounts": mounts,
        "linux": {"maskedPaths": (0..40).map(|i| format!("/proc/masked/{i}")).collect::<Vec<_>>()},
    }));
    ContainerRecord::new(cfg)
}

fn main() {
    fixture();
    divan::main();
    let _ = std::fs::remove_dir_all(&fixture().dir);
}

#[divan::bench]
fn open_and_lookup_by_name(b: Bencher) {
    let f = fixture();
    let i = std::sync::atomic::AtomicUsize::new(0);
    b.bench(|| {
        let s = BoltState::open(&f.dir).unwrap();
        let n = i.fetch_add(7, std::sync::atomic::Ordering::Relaxed) % CONTAINERS;
        black_box(s.lookup_container(&f.names[n]).unwrap());
    });
}

#[divan::bench]
fn open_and_lookup_by_id_prefix(b: Bencher) {
    let f = fixture();
    let i = std::sync::atomic::AtomicUsize::new(0);
    b.bench(|| {
        let s = BoltState::open(&f.dir).unwrap();
        let n = i.fetch_add(7, std::sync::atomic::Ordering::Relaxed) % CONTAINERS;
        black_box(s.lookup_container_id(&f.ids[n][..12]).unwrap());
    });
}

#[divan::bench(sample_count = 20)]
fn all_containers(b: Bencher) {
    let s = BoltState::open(&fixture().dir).unwrap();
    b.bench(|| black_box(s.all_containers(true).unwrap().len()));
}

#[divan::bench(sample_count = 50)]
fn save_container_state(b: Bencher) {
    let f = fixture();
    let s = BoltState::open(&f.dir).unwrap();
    let st = s.update_container(&f.ids[0]).unwrap();
    b.bench(|| s.save_container(&f.ids[0], &st).unwrap());
}

#[divan::bench(sample_count = 50)]
fn add_and_remove_container(b: Bencher) {
    let s = BoltState::open(&fixture().dir).unwrap();
    b.bench(|| {
        let id = generate_id().unwrap();
        s.add_container(&record(&id, "transient", 9999)).unwrap();
        s.remove_container(&id).unwrap();
    });
}
