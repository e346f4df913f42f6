//! Unit tests: the conformance suite, segment lifecycle, errors.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use nix::fcntl::OFlag;
use nix::sys::mman::shm_open;
use nix::sys::stat::Mode;
use rpod_runtime_core::Error;
use rpod_runtime_core::backend::{BackendContext, BackendRegistry};
use rpod_runtime_core::lock::LockManager;
use rpod_runtime_core::testing::LockUnderTest;

use crate::ShmLockManager;
use crate::layout::{self, LOCKS_PER_GROUP};

/// A unique segment name, unlinked when dropped (also when a test fails).
#[derive(Debug)]
struct TestSegment(String);

impl TestSegment {
    fn new() -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        TestSegment(format!(
            "/rpod_test_{}_{}",
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

rpod_runtime_core::lock_conformance_tests!(|| {
    let seg = TestSegment::new();
    let mgr = ShmLockManager::create(&seg.0, 64).unwrap();
    LockUnderTest::new(Box::new(mgr), Some(64), seg)
});

#[test]
fn lock_count_is_rounded_up_to_groups() {
    let seg = TestSegment::new();
    let mgr = ShmLockManager::create(&seg.0, 33).unwrap();
    assert_eq!(mgr.num_locks(), 64);
    assert_eq!(mgr.available().unwrap(), Some(64));
    mgr.allocate_given(63).unwrap();
    assert!(mgr.retrieve(64).unwrap_err().is(&Error::InvalidArg));
    // Reopening with any count that rounds to the same size is fine.
    assert_eq!(ShmLockManager::open(&seg.0, 60).unwrap().num_locks(), 64);
}

#[test]
fn segment_has_libpods_size_and_header() {
    let seg = TestSegment::new();
    let mgr = ShmLockManager::create(&seg.0, 2048).unwrap();
    let info = ShmLockManager::inspect(&seg.0).unwrap().unwrap();
    assert_eq!(info.magic, 0x87D1);
    assert_eq!(info.unused, 0);
    assert_eq!(info.num_bitmaps, 64);
    assert_eq!(info.num_locks, 2048);
    assert_eq!(info.size as usize, layout::segment_size(64).unwrap());
    #[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
    assert_eq!(info.size, 82488);
    assert!(info.is_valid());
    // The bitmap bit of lock g*32+i is bit i of group g's first word.
    mgr.allocate_given(33).unwrap();
    let bytes = std::fs::read(format!("/dev/shm{}", seg.0)).unwrap();
    let group1 = layout::HEADER_SIZE + layout::GROUP_SIZE;
    let word = u32::from_ne_bytes(bytes[group1..group1 + 4].try_into().unwrap());
    assert_eq!(word, 1 << 1);
}

#[test]
fn dropping_the_manager_keeps_the_segment_and_its_allocations() {
    let seg = TestSegment::new();
    {
        let mgr = ShmLockManager::open_or_create(&seg.0, 64).unwrap();
        mgr.allocate_given(7).unwrap();
    }
    assert!(ShmLockManager::inspect(&seg.0).unwrap().is_some());
    let mgr = ShmLockManager::open_or_create(&seg.0, 64).unwrap();
    assert!(
        mgr.allocate_given(7)
            .unwrap_err()
            .is(&Error::LockAllocated(0))
    );
    assert_eq!(mgr.available().unwrap(), Some(63));
}

#[test]
fn open_requires_an_existing_segment_and_create_a_missing_one() {
    let seg = TestSegment::new();
    let e = ShmLockManager::open(&seg.0, 64).unwrap_err();
    assert!(
        matches!(e.root(), Error::Io { source, .. } if source.kind() == std::io::ErrorKind::NotFound),
        "{e:?}"
    );
    ShmLockManager::create(&seg.0, 64).unwrap();
    let e = ShmLockManager::create(&seg.0, 64).unwrap_err();
    assert!(
        matches!(e.root(), Error::Io { source, .. } if source.kind() == std::io::ErrorKind::AlreadyExists),
        "{e:?}"
    );
    ShmLockManager::open(&seg.0, 64).unwrap();
}

#[test]
fn racing_creators_share_one_segment() {
    for _ in 0..20 {
        let seg = TestSegment::new();
        let threads = 6;
        let barrier = Barrier::new(threads);
        let managers: Vec<ShmLockManager> = std::thread::scope(|s| {
            let hs: Vec<_> = (0..threads)
                .map(|_| {
                    s.spawn(|| {
                        barrier.wait();
                        ShmLockManager::open_or_create(&seg.0, 64).unwrap()
                    })
                })
                .collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        // Every manager sees the allocations of every other.
        for (i, m) in managers.iter().enumerate() {
            assert_eq!(m.allocate().unwrap().id(), i as u32);
        }
        for m in &managers {
            assert_eq!(m.available().unwrap(), Some(64 - threads as u32));
        }
    }
}

#[test]
fn a_changed_lock_count_needs_renumber() {
    let seg = TestSegment::new();
    let old = ShmLockManager::create(&seg.0, 2048).unwrap();
    old.allocate().unwrap();
    drop(old);

    let e = ShmLockManager::open_or_create(&seg.0, 4096).unwrap_err();
    assert!(
        matches!(
            e.root(),
            Error::LockCountMismatch {
                found: 2048,
                configured: 4096
            }
        ),
        "{e:?}"
    );
    let text = e.to_string();
    assert!(text.contains("rpod system renumber"), "{text}");
    assert!(text.contains(&seg.0), "{text}");

    let mut ctx = BackendContext {
        num_locks: 4096,
        shm_lock_path: seg.0.clone(),
        ..Default::default()
    };
    let mut registry = BackendRegistry::new();
    crate::register(&mut registry);
    let e = registry.lock_manager("shm", &ctx).unwrap_err();
    assert!(e.is(&Error::LockCountMismatch {
        found: 0,
        configured: 0
    }));

    ctx.renumber = true;
    let mgr = registry.lock_manager("shm", &ctx).unwrap();
    assert_eq!(mgr.name(), "shm");
    assert_eq!(
        mgr.available().unwrap(),
        Some(4096),
        "allocations start fresh"
    );
    assert_eq!(mgr.allocate().unwrap().id(), 0);
    // Normal start-up with the new count now works.
    ctx.renumber = false;
    let again = registry.lock_manager("shm", &ctx).unwrap();
    assert_eq!(again.available().unwrap(), Some(4095));
}

#[test]
fn recreate_empties_the_segment() {
    let seg = TestSegment::new();
    let mgr = ShmLockManager::create(&seg.0, 64).unwrap();
    for _ in 0..5 {
        mgr.allocate().unwrap();
    }
    let fresh = ShmLockManager::recreate(&seg.0, 96).unwrap();
    assert_eq!(fresh.available().unwrap(), Some(96));
    // The old mapping still works (it is the unlinked segment).
    assert_eq!(mgr.available().unwrap(), Some(59));
}

#[test]
fn register_rejects_zero_locks_before_touching_a_segment() {
    let mut registry = BackendRegistry::new();
    crate::register(&mut registry);
    assert!(registry.has_lock_manager("shm"));
    // An unset name means the machine-wide default `/rpod_lock`; a lock
    // count of 0 must fail before it is opened or created.
    let e = registry
        .lock_manager("shm", &BackendContext::default())
        .unwrap_err();
    assert!(e.is(&Error::InvalidArg), "{e:?}");
    assert!(e.to_string().contains("number of locks"), "{e}");
}

fn write_shm(name: &str, bytes: &[u8]) {
    let fd = shm_open(
        name,
        OFlag::O_RDWR | OFlag::O_CREAT | OFlag::O_EXCL,
        Mode::from_bits_truncate(0o600),
    )
    .unwrap();
    std::fs::File::from(fd).write_all(bytes).unwrap();
}

#[test]
fn a_foreign_segment_is_refused() {
    let seg = TestSegment::new();
    let mut bytes = vec![0u8; layout::segment_size(2).unwrap()];
    bytes[0] = 0x34;
    bytes[1] = 0x12;
    write_shm(&seg.0, &bytes);
    for e in [
        ShmLockManager::open_or_create(&seg.0, 64).unwrap_err(),
        ShmLockManager::open(&seg.0, 64).unwrap_err(),
    ] {
        assert!(e.is(&Error::InvalidArg), "{e:?}");
        assert!(e.to_string().contains("is not a lock segment"), "{e}");
    }
    let info = ShmLockManager::inspect(&seg.0).unwrap().unwrap();
    assert!(!info.is_valid());
    // Not ours: even renumber leaves it alone.
    let ctx = BackendContext {
        num_locks: 64,
        shm_lock_path: seg.0.clone(),
        renumber: true,
        ..Default::default()
    };
    assert!(
        ShmLockManager::from_context(&ctx)
            .unwrap_err()
            .is(&Error::InvalidArg)
    );
    assert_eq!(ShmLockManager::inspect(&seg.0).unwrap(), Some(info));
}

#[test]
fn a_truncated_header_is_refused() {
    let seg = TestSegment::new();
    write_shm(&seg.0, &[0xD1, 0x87, 0, 0]);
    let e = ShmLockManager::open(&seg.0, 64).unwrap_err();
    assert!(e.to_string().contains("is not a lock segment"), "{e}");
}

#[test]
fn a_corrupt_header_is_refused() {
    let seg = TestSegment::new();
    let mut bytes = vec![0u8; layout::segment_size(2).unwrap()];
    bytes[..2].copy_from_slice(&layout::MAGIC.to_ne_bytes());
    // Claims 100 groups in a two-group object.
    bytes[layout::NUM_BITMAPS_OFFSET..][..4].copy_from_slice(&100u32.to_ne_bytes());
    bytes[layout::NUM_LOCKS_OFFSET..][..4].copy_from_slice(&3200u32.to_ne_bytes());
    write_shm(&seg.0, &bytes);
    let e = ShmLockManager::open(&seg.0, 3200).unwrap_err();
    assert!(e.to_string().contains("is corrupt"), "{e}");
}

#[test]
fn a_segment_whose_creator_died_is_reported_after_a_wait() {
    let seg = TestSegment::new();
    // Created but never sized nor initialised.
    write_shm(&seg.0, &[]);
    let start = Instant::now();
    let e = ShmLockManager::open_or_create(&seg.0, 64).unwrap_err();
    assert!(
        start.elapsed() >= Duration::from_secs(1),
        "it waits for a creator"
    );
    assert!(start.elapsed() < Duration::from_secs(10));
    assert!(e.to_string().contains("never initialised"), "{e}");
    assert!(e.to_string().contains("rpod system renumber"), "{e}");
    // Zero-filled to the full size (magic still 0): the same.
    let seg = TestSegment::new();
    write_shm(&seg.0, &vec![0u8; layout::segment_size(2).unwrap()]);
    let e = ShmLockManager::open(&seg.0, 64).unwrap_err();
    assert!(e.to_string().contains("never initialised"), "{e}");
    // As the message says, renumber recreates it.
    let ctx = BackendContext {
        num_locks: 64,
        shm_lock_path: seg.0.clone(),
        renumber: true,
        ..Default::default()
    };
    let mgr = ShmLockManager::from_context(&ctx).unwrap();
    assert_eq!(mgr.available().unwrap(), Some(64));
}

#[test]
fn segment_names_are_checked() {
    for bad in ["", "/", "rpod_lock", "/a/b", "/a\0b"] {
        let e = ShmLockManager::open_or_create(bad, 32).unwrap_err();
        assert!(e.is(&Error::InvalidArg), "{bad:?}: {e:?}");
    }
}

#[test]
fn zero_locks_is_invalid() {
    let seg = TestSegment::new();
    let e = ShmLockManager::open_or_create(&seg.0, 0).unwrap_err();
    assert!(e.is(&Error::InvalidArg), "{e:?}");
    assert!(ShmLockManager::inspect(&seg.0).unwrap().is_none());
}

#[test]
fn out_of_range_ids_are_invalid() {
    let seg = TestSegment::new();
    let mgr = ShmLockManager::create(&seg.0, 32).unwrap();
    assert!(mgr.retrieve(32).unwrap_err().is(&Error::InvalidArg));
    assert!(mgr.allocate_given(32).unwrap_err().is(&Error::InvalidArg));
    assert!(
        mgr.allocate_given(u32::MAX)
            .unwrap_err()
            .is(&Error::InvalidArg)
    );
}

#[test]
fn unlock_from_another_thread_or_twice_is_an_error() {
    let seg = TestSegment::new();
    let mgr = ShmLockManager::create(&seg.0, 32).unwrap();
    let l = mgr.allocate().unwrap();
    let e = l.unlock().unwrap_err();
    assert!(e.is(&Error::InvalidArg), "not locked: {e:?}");
    l.lock().unwrap();
    let l2 = Arc::clone(&l);
    let e = std::thread::spawn(move || l2.unlock())
        .join()
        .unwrap()
        .unwrap_err();
    assert!(e.is(&Error::InvalidArg), "other thread: {e:?}");
    assert!(e.to_string().contains("not held by this thread"), "{e}");
    assert_eq!(mgr.locks_held().unwrap(), vec![l.id()], "still held");
    l.unlock().unwrap();
    assert!(l.unlock().unwrap_err().is(&Error::InvalidArg));
    assert_eq!(mgr.locks_held().unwrap(), Vec::<u32>::new());
}

#[test]
fn a_lock_whose_holder_thread_exited_is_recovered() {
    let seg = TestSegment::new();
    let mgr = ShmLockManager::create(&seg.0, 32).unwrap();
    let l = mgr.allocate().unwrap();
    let l2 = Arc::clone(&l);
    // The thread exits holding the lock: glibc marks it owner-dead.
    std::thread::spawn(move || l2.lock().unwrap())
        .join()
        .unwrap();
    assert_eq!(
        mgr.locks_held().unwrap(),
        Vec::<u32>::new(),
        "a dead holder holds nothing"
    );
    l.lock().unwrap();
    assert_eq!(mgr.locks_held().unwrap(), vec![l.id()]);
    l.unlock().unwrap();
    // The mutex is consistent again: it keeps working.
    l.lock().unwrap();
    l.unlock().unwrap();
}

#[test]
fn locks_held_sees_other_threads_and_managers() {
    let seg = TestSegment::new();
    let mgr = ShmLockManager::create(&seg.0, 64).unwrap();
    let other = ShmLockManager::open(&seg.0, 64).unwrap();
    let a = mgr.allocate_given(40).unwrap();
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        a.lock().unwrap();
        locked_tx.send(()).unwrap();
        done_rx.recv().unwrap();
        a.unlock().unwrap();
    });
    locked_rx.recv().unwrap();
    assert_eq!(other.locks_held().unwrap(), vec![40]);
    let b = other.retrieve(40).unwrap();
    let waited = std::thread::spawn(move || {
        let start = Instant::now();
        b.lock().unwrap();
        b.unlock().unwrap();
        start.elapsed()
    });
    std::thread::sleep(Duration::from_millis(100));
    done_tx.send(()).unwrap();
    holder.join().unwrap();
    assert!(
        waited.join().unwrap() >= Duration::from_millis(90),
        "the second manager waited"
    );
    assert_eq!(mgr.locks_held().unwrap(), Vec::<u32>::new());
}

#[test]
fn exhaustion_reports_the_rounded_count() {
    let seg = TestSegment::new();
    let mgr = ShmLockManager::create(&seg.0, 40).unwrap();
    for _ in 0..2 * LOCKS_PER_GROUP {
        mgr.allocate().unwrap();
    }
    let e = mgr.allocate().unwrap_err();
    assert_eq!(e.to_string(), "allocation failed; exceeded num_locks (64)");
    mgr.retrieve(35).unwrap().free().unwrap();
    assert_eq!(mgr.allocate().unwrap().id(), 35);
}
