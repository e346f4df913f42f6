//! Locks: every container, pod and volume owns one, by ID.
//!
//! Contract for every [`LockManager`] and [`Locker`] (checked by the
//! conformance suite in `crate::testing`, cargo feature `testing`):
//!
//! * A lock excludes every other holder, in this process (other threads) and
//!   in every other process using the same manager configuration.
//! * A holder that dies releases its locks: the next `lock()` succeeds
//!   (robust mutexes recover `EOWNERDEAD`; fcntl locks are dropped by the kernel).
//! * A lock is released on the **same OS thread** that took it. Hold locks
//!   across synchronous sections only; never move a held lock to another thread.
//! * Locks are not recursive: locking twice from one thread deadlocks.
//! * Lock order is pod before container.

use std::fmt::Debug;
use std::sync::Arc;

use crate::error::Result;

/// One lock, by ID.
pub trait Locker: Send + Sync + Debug {
    /// The lock's ID (stored as `lockID` in the owner's config).
    fn id(&self) -> u32;
    /// Blocks until the lock is held by the calling thread.
    fn lock(&self) -> Result<()>;
    /// Releases the lock; must be called on the thread that took it.
    fn unlock(&self) -> Result<()>;
    /// Deallocates the lock so its ID can be reused. The handle stays
    /// usable (lock/unlock still work) but the ID may be handed out again.
    fn free(&self) -> Result<()>;
}

/// Allocates and hands out locks.
pub trait LockManager: Send + Sync + Debug {
    /// The manager's name (`shm`, `file`, `memory`).
    fn name(&self) -> &'static str;
    /// Allocates the first free lock (`LocksExhausted` when none is free).
    fn allocate(&self) -> Result<Arc<dyn Locker>>;
    /// A handle to lock `id` without allocating it (`InvalidArg` if out of range).
    fn retrieve(&self, id: u32) -> Result<Arc<dyn Locker>>;
    /// Allocates exactly lock `id` (`LockAllocated` if it is taken). Used by
    /// refresh to re-take the IDs stored in configs.
    fn allocate_given(&self, id: u32) -> Result<Arc<dyn Locker>>;
    /// Frees every lock (renumber and tests only).
    fn free_all(&self) -> Result<()>;
    /// How many locks are free, or `None` when the count is unlimited.
    fn available(&self) -> Result<Option<u32>>;
    /// IDs of the locks currently held (locked), where the backend can tell.
    fn locks_held(&self) -> Result<Vec<u32>>;
    /// IDs of every allocated lock, ascending (`system check` compares them
    /// with the IDs that objects own), or `None` when the backend cannot
    /// tell.
    fn allocated_ids(&self) -> Result<Option<Vec<u32>>> {
        Ok(None)
    }
}

/// Holds a lock until dropped. Create it with [`LockGuard::acquire`] and drop
/// it on the same thread.
#[derive(Debug)]
pub struct LockGuard<'a> {
    locker: &'a dyn Locker,
}

impl<'a> LockGuard<'a> {
    /// Takes `locker` and returns a guard that releases it on drop.
    pub fn acquire(locker: &'a dyn Locker) -> Result<Self> {
        locker.lock()?;
        Ok(LockGuard { locker })
    }
}

impl Drop for LockGuard<'_> {
    fn drop(&mut self) {
        if let Err(e) = self.locker.unlock() {
            tracing::error!(lock = self.locker.id(), "unlocking: {e}");
        }
    }
}

pub mod memory;
