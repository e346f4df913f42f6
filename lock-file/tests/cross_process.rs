//! File locks between processes: exclusion, recovery from a killed holder,
//! and exclusion of a classic fcntl lock holder (Podman, containers/storage).
//! The rules are runtime-core's shared cross-process suite; the children
//! are this test binary's ignored `helper_*` tests.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use rpod_lock_file::FileLockManager;
use rpod_runtime_core::lock::LockManager;
use rpod_runtime_core::lockfile::LockFile;
use rpod_runtime_core::testing::cross_process;

fn open_at(dir: &str) -> Box<dyn LockManager> {
    Box::new(FileLockManager::open_or_create(dir).unwrap())
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

/// Child role: hold the lock the way containers/storage does (a classic
/// fcntl lock through `rpod_runtime_core::lockfile`).
#[test]
#[ignore = "child process of a_classic_fcntl_holder_is_excluded"]
fn helper_hold_classic_lock_forever() {
    let Ok(dir) = std::env::var(cross_process::ENV_WHERE) else {
        return;
    };
    let id = std::env::var(cross_process::ENV_LOCK).unwrap();
    let file = LockFile::open(Path::new(&dir).join(id)).unwrap();
    let _guard = file.lock().unwrap();
    cross_process::announce_locked_and_wait();
}

#[test]
fn parallel_processes_exclude_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let locks = dir.path().join("locks");
    let mgr = FileLockManager::open_or_create(&locks).unwrap();
    let lock = mgr.allocate_given(3).unwrap();
    cross_process::parallel_processes_exclude_each_other(
        "helper_increment_counter",
        &cross_process::place_of(&locks),
        lock.as_ref(),
    );
}

#[test]
fn a_killed_holder_releases_its_lock() {
    let dir = tempfile::tempdir().unwrap();
    let mgr = FileLockManager::open_or_create(dir.path().join("locks")).unwrap();
    let lock = mgr.allocate().unwrap();
    cross_process::a_killed_holder_releases_its_lock(
        "helper_hold_lock_forever",
        &cross_process::place_of(mgr.dir()),
        &mgr,
        &lock,
    );
}

#[test]
fn a_classic_fcntl_holder_is_excluded() {
    let dir = tempfile::tempdir().unwrap();
    let mgr = FileLockManager::open_or_create(dir.path().join("locks")).unwrap();
    let lock = mgr.allocate().unwrap();
    cross_process::a_killed_holder_releases_its_lock(
        "helper_hold_classic_lock_forever",
        &cross_process::place_of(mgr.dir()),
        &mgr,
        &lock,
    );
}
