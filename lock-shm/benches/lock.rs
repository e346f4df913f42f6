//! Uncontended lock + unlock: one shm lock against bare pthread mutexes.
//!
//! Run with `cargo bench -p rpod-lock-shm`.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::atomic::{AtomicU32, Ordering};

use rpod_lock_shm::__bench::BareMutex;
use rpod_lock_shm::ShmLockManager;
use rpod_runtime_core::lock::LockManager;

fn main() {
    divan::main();
}

/// A unique segment name, removed on drop.
struct Seg(String);

impl Seg {
    fn new() -> Seg {
        static N: AtomicU32 = AtomicU32::new(0);
        Seg(format!(
            "/rpod_bench_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ))
    }
}

impl Drop for Seg {
    fn drop(&mut self) {
        let _ = ShmLockManager::unlink(&self.0);
    }
}

/// `Locker::lock` + `Locker::unlock` through `Arc<dyn Locker>` on a segment lock.
#[divan::bench]
fn shm_lock_unlock(bencher: divan::Bencher) {
    let seg = Seg::new();
    let mgr = ShmLockManager::create(&seg.0, 2048).unwrap();
    let lock = mgr.allocate().unwrap();
    bencher.bench_local(|| {
        lock.lock().unwrap();
        lock.unlock().unwrap();
    });
}

/// A bare pthread mutex with the segment's attributes (normal, robust, process-shared).
#[divan::bench]
fn bare_robust_shared_pthread_mutex(bencher: divan::Bencher) {
    let m = BareMutex::new(true).unwrap();
    bencher.bench_local(|| {
        m.lock().unwrap();
        m.unlock().unwrap();
    });
}

/// A bare default pthread mutex.
#[divan::bench]
fn bare_default_pthread_mutex(bencher: divan::Bencher) {
    let m = BareMutex::new(false).unwrap();
    bencher.bench_local(|| {
        m.lock().unwrap();
        m.unlock().unwrap();
    });
}
