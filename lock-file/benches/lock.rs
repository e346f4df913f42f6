//! Uncontended lock + unlock of one file lock.
//!
//! Run with `cargo bench -p rpod-lock-file`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rpod_lock_file::FileLockManager;
use rpod_runtime_core::lock::LockManager;

fn main() {
    divan::main();
}

/// `Locker::lock` + `Locker::unlock` on an allocated lock file.
#[divan::bench]
fn file_lock_unlock(bencher: divan::Bencher) {
    let dir = tempfile::tempdir().unwrap();
    let mgr = FileLockManager::open_or_create(dir.path().join("locks")).unwrap();
    let lock = mgr.allocate().unwrap();
    bencher.bench_local(|| {
        lock.lock().unwrap();
        lock.unlock().unwrap();
    });
}

/// Allocating and freeing a lock with 100 others allocated.
#[divan::bench]
fn file_allocate_free_among_100(bencher: divan::Bencher) {
    let dir = tempfile::tempdir().unwrap();
    let mgr = FileLockManager::open_or_create(dir.path().join("locks")).unwrap();
    for _ in 0..100 {
        mgr.allocate().unwrap();
    }
    bencher.bench_local(|| {
        mgr.allocate().unwrap().free().unwrap();
    });
}
