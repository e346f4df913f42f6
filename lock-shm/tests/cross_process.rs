//! Locks between processes: exclusion, recovery from a killed holder, and
//! the layout of a segment made by a real Podman. The first two are
//! runtime-core's shared cross-process suite; the children are this test
//! binary's ignored `helper_*` tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU32, Ordering};

use rpod_lock_shm::{ShmLockManager, layout};
use rpod_runtime_core::lock::LockManager;
use rpod_runtime_core::testing::cross_process;

const NUM_LOCKS: u32 = 64;

/// A unique segment name, unlinked when dropped (also when a test fails).
struct TestSegment(String);

impl TestSegment {
    fn new() -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        TestSegment(format!(
            "/rpod_xtest_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ))
    }
}

impl Drop for TestSegment {
    fn drop(&mut self) {
        let _ = ShmLockManager::unlink(&self.0);
    }
}

fn open_at(segment: &str) -> Box<dyn LockManager> {
    Box::new(ShmLockManager::open(segment, NUM_LOCKS).unwrap())
}

#[test]
#[ignore = "child process of parallel_processes_exclude_each_other"]
fn helper_increment_counter() {
    cross_process::child_increment_counter(&open_at);
}

#[test]
#[ignore = "child process of a_killed_holder_releases_its_lock"]
fn helper_hold_lock_forever() {
    cross_process::child_hold_lock(&open_at);
}

#[test]
fn parallel_processes_exclude_each_other() {
    let seg = TestSegment::new();
    let mgr = ShmLockManager::create(&seg.0, NUM_LOCKS).unwrap();
    let lock = mgr.allocate_given(37).unwrap();
    cross_process::parallel_processes_exclude_each_other(
        "helper_increment_counter",
        &seg.0,
        lock.as_ref(),
    );
}

#[test]
fn a_killed_holder_releases_its_lock() {
    let seg = TestSegment::new();
    let mgr = ShmLockManager::create(&seg.0, NUM_LOCKS).unwrap();
    let lock = mgr.allocate().unwrap();
    cross_process::a_killed_holder_releases_its_lock(
        "helper_hold_lock_forever",
        &seg.0,
        &mgr,
        &lock,
    );
}

/// A segment made by Podman must match our layout byte for byte.
#[test]
#[allow(clippy::print_stderr)]
fn podmans_segment_matches_our_layout() {
    // Rootless Podman names its segment after the uid.
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|l| l.split_whitespace().next().map(str::to_string))
        })
        .unwrap_or_default();
    let candidates = [
        "/libpod_lock".to_string(),
        format!("/libpod_rootless_lock_{uid}"),
    ];
    let mut checked = 0;
    for name in &candidates {
        let Some(info) = ShmLockManager::inspect(name).unwrap() else {
            continue;
        };
        assert_eq!(info.magic, layout::MAGIC, "{name}");
        assert_eq!(
            info.num_locks,
            info.num_bitmaps * layout::LOCKS_PER_GROUP,
            "{name}"
        );
        assert_eq!(
            Some(info.size as usize),
            layout::segment_size(info.num_bitmaps),
            "{name}: size"
        );
        assert!(info.is_valid());
        checked += 1;
    }
    if checked == 0 {
        eprintln!(
            "skipped: no Podman lock segment ({}) on this machine; Podman is absent or has never run",
            candidates.join(", ")
        );
    }
}
