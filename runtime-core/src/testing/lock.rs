//! The `LockManager` conformance suite. Each function checks one rule of the
//! contract written on [`LockManager`](crate::lock::LockManager).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use super::LockUnderTest;
use crate::error::Error;

/// How many locks to allocate when the manager is unlimited.
const UNLIMITED_PROBE: u32 = 200;

pub fn allocate_until_exhausted(f: &dyn Fn() -> LockUnderTest) {
    let t = f();
    let n = t.capacity.unwrap_or(UNLIMITED_PROBE);
    let mut ids = BTreeSet::new();
    for _ in 0..n {
        let l = t.manager.allocate().unwrap();
        assert!(ids.insert(l.id()), "lock {} handed out twice", l.id());
    }
    match t.capacity {
        Some(cap) => {
            assert_eq!(ids, (0..cap).collect(), "IDs are dense from 0");
            let e = t.manager.allocate().unwrap_err();
            assert!(e.is(&Error::LocksExhausted(0)), "{e:?}");
            assert_eq!(
                e.to_string(),
                format!("allocation failed; exceeded num_locks ({cap})")
            );
            assert_eq!(t.manager.available().unwrap(), Some(0));
        }
        None => assert_eq!(t.manager.available().unwrap(), None),
    }
}

pub fn free_and_reuse(f: &dyn Fn() -> LockUnderTest) {
    let t = f();
    let a = t.manager.allocate().unwrap();
    let b = t.manager.allocate().unwrap();
    let c = t.manager.allocate().unwrap();
    assert_eq!((a.id(), b.id(), c.id()), (0, 1, 2), "first fit from 0");
    b.free().unwrap();
    assert_eq!(
        t.manager.allocate().unwrap().id(),
        1,
        "the lowest free ID is reused"
    );
    assert_eq!(t.manager.allocate().unwrap().id(), 3);
}

pub fn allocate_given_conflicts(f: &dyn Fn() -> LockUnderTest) {
    let t = f();
    let five = t.manager.allocate_given(5).unwrap();
    assert_eq!(five.id(), 5);
    let e = t.manager.allocate_given(5).unwrap_err();
    assert!(e.is(&Error::LockAllocated(0)), "{e:?}");
    let got: Vec<u32> = (0..6).map(|_| t.manager.allocate().unwrap().id()).collect();
    assert_eq!(got, vec![0, 1, 2, 3, 4, 6], "allocate skips a given lock");
    if let Some(cap) = t.capacity {
        assert!(t.manager.allocate_given(cap).is_err(), "out of range");
    }
    five.free().unwrap();
    t.manager.allocate_given(5).unwrap();
}

pub fn free_all(f: &dyn Fn() -> LockUnderTest) {
    let t = f();
    let before = t.manager.available().unwrap();
    for _ in 0..10 {
        t.manager.allocate().unwrap();
    }
    t.manager.free_all().unwrap();
    assert_eq!(t.manager.available().unwrap(), before);
    for id in 0..10 {
        t.manager.allocate_given(id).unwrap();
    }
}

pub fn available_count(f: &dyn Fn() -> LockUnderTest) {
    let t = f();
    match t.capacity {
        Some(cap) => {
            assert_eq!(t.manager.available().unwrap(), Some(cap));
            let l = t.manager.allocate().unwrap();
            t.manager.allocate_given(cap - 1).unwrap();
            assert_eq!(t.manager.available().unwrap(), Some(cap - 2));
            l.free().unwrap();
            assert_eq!(t.manager.available().unwrap(), Some(cap - 1));
        }
        None => {
            t.manager.allocate().unwrap();
            assert_eq!(t.manager.available().unwrap(), None);
        }
    }
}

pub fn freeing_a_free_lock_is_reported(f: &dyn Fn() -> LockUnderTest) {
    let t = f();
    let l = t.manager.allocate().unwrap();
    l.free().unwrap();
    let e = l.free().unwrap_err();
    assert!(e.is(&Error::LockNotAllocated(0)), "{e:?}");
    let never = t.manager.retrieve(7).unwrap();
    assert!(never.free().unwrap_err().is(&Error::LockNotAllocated(0)));
}

pub fn retrieve_does_not_allocate(f: &dyn Fn() -> LockUnderTest) {
    let t = f();
    let before = t.manager.available().unwrap();
    let r = t.manager.retrieve(3).unwrap();
    assert_eq!(r.id(), 3);
    assert_eq!(t.manager.available().unwrap(), before);
    t.manager.allocate_given(3).unwrap();
    if let Some(cap) = t.capacity {
        assert!(t.manager.retrieve(cap).is_err(), "out of range");
    }
}

pub fn handle_usable_after_free(f: &dyn Fn() -> LockUnderTest) {
    let t = f();
    let l = t.manager.allocate().unwrap();
    l.lock().unwrap();
    l.unlock().unwrap();
    l.free().unwrap();
    l.lock().unwrap();
    l.unlock().unwrap();
}

pub fn mutual_exclusion_between_threads(f: &dyn Fn() -> LockUnderTest) {
    let t = f();
    let id = t.manager.allocate().unwrap().id();
    let inside = Arc::new(AtomicU32::new(0));
    let counter = Arc::new(AtomicU32::new(0));
    let threads = 4;
    let rounds = 100;
    std::thread::scope(|scope| {
        for _ in 0..threads {
            let handle = t.manager.retrieve(id).unwrap();
            let (inside, counter) = (Arc::clone(&inside), Arc::clone(&counter));
            scope.spawn(move || {
                for i in 0..rounds {
                    handle.lock().unwrap();
                    assert_eq!(
                        inside.fetch_add(1, Ordering::SeqCst),
                        0,
                        "two holders at once"
                    );
                    // A non-atomic read-modify-write that only a lock keeps exact.
                    let v = counter.load(Ordering::SeqCst);
                    if i % 10 == 0 {
                        std::thread::sleep(Duration::from_micros(200));
                    }
                    counter.store(v + 1, Ordering::SeqCst);
                    inside.fetch_sub(1, Ordering::SeqCst);
                    handle.unlock().unwrap();
                }
            });
        }
    });
    assert_eq!(counter.load(Ordering::SeqCst), threads * rounds);
}

pub fn locks_held_reports_holders(f: &dyn Fn() -> LockUnderTest) {
    let t = f();
    let l = t.manager.allocate().unwrap();
    let other = t.manager.allocate().unwrap();
    l.lock().unwrap();
    match t.manager.locks_held() {
        Ok(held) => {
            assert!(held.contains(&l.id()), "{held:?}");
            assert!(!held.contains(&other.id()), "{held:?}");
        }
        Err(e) => assert!(
            e.is(&Error::NotSupported),
            "only NotSupported may fail: {e:?}"
        ),
    }
    l.unlock().unwrap();
    if let Ok(held) = t.manager.locks_held() {
        assert!(!held.contains(&l.id()));
    }
}

pub fn allocated_ids_lists_exactly_the_allocated(f: &dyn Fn() -> LockUnderTest) {
    let t = f();
    let Some(empty) = t.manager.allocated_ids().unwrap() else {
        return; // the backend cannot tell: nothing to check
    };
    assert!(empty.is_empty(), "fresh manager has {empty:?}");
    let a = t.manager.allocate().unwrap();
    t.manager.allocate_given(9).unwrap();
    let b = t.manager.allocate().unwrap();
    assert_eq!(t.manager.allocated_ids().unwrap(), Some(vec![0, 1, 9]));
    a.free().unwrap();
    assert_eq!(t.manager.allocated_ids().unwrap(), Some(vec![1, 9]));
    b.lock().unwrap();
    b.unlock().unwrap();
    assert_eq!(
        t.manager.allocated_ids().unwrap(),
        Some(vec![1, 9]),
        "locking allocates nothing"
    );
    t.manager.free_all().unwrap();
    assert_eq!(t.manager.allocated_ids().unwrap(), Some(vec![]));
}
