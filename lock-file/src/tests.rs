//! Unit tests: the conformance suite, the files on disk, thread rules.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rpod_runtime_core::Error;
use rpod_runtime_core::backend::{BackendContext, BackendRegistry};
use rpod_runtime_core::lock::LockManager;
use rpod_runtime_core::testing::LockUnderTest;

use crate::FileLockManager;

rpod_runtime_core::lock_conformance_tests!(|| {
    let dir = tempfile::tempdir().unwrap();
    let mgr = FileLockManager::open_or_create(dir.path().join("locks")).unwrap();
    LockUnderTest::new(Box::new(mgr), None, dir)
});

fn files(mgr: &FileLockManager) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(mgr.dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    names
}

fn manager() -> (tempfile::TempDir, FileLockManager) {
    let dir = tempfile::tempdir().unwrap();
    let mgr = FileLockManager::open_or_create(dir.path().join("locks")).unwrap();
    (dir, mgr)
}

#[test]
fn one_file_per_allocated_lock() {
    let (_d, mgr) = manager();
    let a = mgr.allocate().unwrap();
    mgr.allocate_given(7).unwrap();
    mgr.allocate().unwrap();
    assert_eq!(files(&mgr), ["0", "1", "7"]);
    a.free().unwrap();
    assert_eq!(files(&mgr), ["1", "7"]);
    mgr.free_all().unwrap();
    assert!(files(&mgr).is_empty());
}

#[test]
fn allocation_skips_files_made_by_others() {
    let (_d, mgr) = manager();
    // Another process allocated 0 and 1.
    std::fs::write(mgr.dir().join("0"), "").unwrap();
    std::fs::write(mgr.dir().join("1"), "").unwrap();
    assert_eq!(mgr.allocate().unwrap().id(), 2);
    let e = mgr.allocate_given(1).unwrap_err();
    assert!(e.is(&Error::LockAllocated(0)), "{e:?}");
    assert_eq!(e.to_string(), "lock 1 is already allocated");
}

#[test]
fn the_directory_is_created_with_mode_0711() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("a/locks");
    let mgr = FileLockManager::open_or_create(&path).unwrap();
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o711 & !current_umask());
    // Opening again keeps what is there.
    mgr.allocate().unwrap();
    let again = FileLockManager::open_or_create(&path).unwrap();
    assert_eq!(again.allocate().unwrap().id(), 1);
}

fn current_umask() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .map(|v| u32::from_str_radix(v.trim(), 8).unwrap())
        .unwrap()
}

#[test]
fn locking_a_free_lock_leaves_it_free() {
    let (_d, mgr) = manager();
    let l = mgr.retrieve(4).unwrap();
    l.lock().unwrap();
    assert_eq!(files(&mgr), ["4"], "the file exists while held");
    assert_eq!(mgr.locks_held().unwrap(), vec![4]);
    l.unlock().unwrap();
    assert!(files(&mgr).is_empty(), "and is gone after");
    mgr.allocate_given(4).unwrap();
}

#[test]
fn unlock_from_another_thread_or_twice_is_an_error() {
    let (_d, mgr) = manager();
    let l = mgr.allocate().unwrap();
    assert!(l.unlock().unwrap_err().is(&Error::InvalidArg), "not locked");
    l.lock().unwrap();
    let l2 = Arc::clone(&l);
    let e = std::thread::spawn(move || l2.unlock())
        .join()
        .unwrap()
        .unwrap_err();
    assert!(e.is(&Error::InvalidArg), "{e:?}");
    assert!(e.to_string().contains("not held by this thread"), "{e}");
    assert_eq!(mgr.locks_held().unwrap(), vec![0], "still held");
    l.unlock().unwrap();
    assert!(l.unlock().unwrap_err().is(&Error::InvalidArg));
    assert!(mgr.locks_held().unwrap().is_empty());
}

/// Two managers (as in two engine instances) exclude each other in the kernel.
#[test]
fn two_managers_on_one_directory_exclude_each_other() {
    let (_d, a) = manager();
    let b = FileLockManager::open_or_create(a.dir()).unwrap();
    let la = a.allocate().unwrap();
    let lb = b.retrieve(la.id()).unwrap();
    la.lock().unwrap();
    assert_eq!(
        b.locks_held().unwrap(),
        vec![la.id()],
        "seen by the other manager"
    );
    let (tx, rx) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        lb.lock().unwrap();
        tx.send(Instant::now()).unwrap();
        lb.unlock().unwrap();
    });
    assert!(
        rx.recv_timeout(Duration::from_millis(150)).is_err(),
        "the second manager got a held lock"
    );
    let unlocked = Instant::now();
    la.unlock().unwrap();
    let got = rx.recv_timeout(Duration::from_secs(5)).unwrap();
    assert!(got >= unlocked, "taken before it was released");
    waiter.join().unwrap();
}

#[test]
fn a_lock_freed_and_reallocated_while_waited_for_is_taken_on_the_new_file() {
    let (_d, mgr) = manager();
    let other = FileLockManager::open_or_create(mgr.dir()).unwrap();
    let held = mgr.allocate().unwrap();
    held.lock().unwrap();
    let waiter_handle = other.retrieve(held.id()).unwrap();
    let (tx, rx) = mpsc::channel();
    let waiter = std::thread::spawn(move || {
        waiter_handle.lock().unwrap();
        tx.send(()).unwrap();
        // Hold it for a while so the main thread can see it held.
        std::thread::sleep(Duration::from_millis(300));
        waiter_handle.unlock().unwrap();
    });
    std::thread::sleep(Duration::from_millis(50));
    // Free and re-allocate the ID under the waiter: a new file.
    held.free().unwrap();
    let again = mgr.allocate_given(held.id()).unwrap();
    held.unlock().unwrap();
    rx.recv_timeout(Duration::from_secs(5)).unwrap();
    // The waiter now holds the *new* file: a fresh handle must wait for it.
    let start = Instant::now();
    again.lock().unwrap();
    assert!(
        start.elapsed() >= Duration::from_millis(100),
        "the new file was not locked"
    );
    again.unlock().unwrap();
    waiter.join().unwrap();
}

#[test]
fn register_builds_under_the_tmp_dir() {
    let dir = tempfile::tempdir().unwrap();
    let mut registry = BackendRegistry::new();
    crate::register(&mut registry);
    let ctx = BackendContext {
        tmp_dir: dir.path().to_path_buf(),
        ..Default::default()
    };
    let mgr = registry.lock_manager("file", &ctx).unwrap();
    assert_eq!(mgr.name(), "file");
    assert_eq!(mgr.available().unwrap(), None);
    let l = mgr.allocate().unwrap();
    assert!(dir.path().join("locks").join(l.id().to_string()).exists());
    let e = registry
        .lock_manager("file", &BackendContext::default())
        .unwrap_err();
    assert!(e.is(&Error::InvalidArg), "{e:?}");
}
