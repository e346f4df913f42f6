//! rpod's default lock manager (`lock_type = "shm"`): robust, process-shared
//! pthread mutexes in a POSIX shared-memory segment laid out exactly like
//! libpod's (`libpod/lock/shm/shm_lock.c`).
//!
//! * The segment (`/rpod_lock` by default; Podman's is `/libpod_lock`) holds
//!   a header (magic `0x87D1`, a segment mutex, the group and lock counts)
//!   and groups of 32 mutexes, each group with a 32-bit allocation bitmap.
//!   The layout is in [`layout`], asserted at compile time on x86_64 glibc.
//! * Mutexes are `PTHREAD_MUTEX_NORMAL`, `PTHREAD_PROCESS_SHARED` and
//!   `PTHREAD_MUTEX_ROBUST`: when a holder dies, the next `lock()` gets
//!   `EOWNERDEAD`, marks the mutex consistent and holds it.
//! * A lock is released on the OS thread that took it (the `Locker`
//!   contract). Unlocking from another thread is an `InvalidArg` error, never
//!   undefined behaviour (glibc checks the owner of robust mutexes). Locking
//!   twice from one thread deadlocks, as in libpod.
//! * A segment made with another lock count is
//!   [`Error::LockCountMismatch`](rpod_runtime_core::Error::LockCountMismatch)
//!   (libpod's `ERANGE`); `rpod system renumber` recreates it
//!   ([`ShmLockManager::from_context`] with `renumber`, or
//!   [`ShmLockManager::recreate`]).
//!
//! # Why not the `shared_memory` crate
//!
//! The design card named `shared_memory` for mapping the segment. It is not
//! used: it has been unmaintained since 2021 and pulls in nix 0.23 next to
//! our nix 0.32; its creator owns the segment and unlinks it on drop, while
//! a lock segment must outlive every process; and all it would do for us is
//! `shm_open` + `ftruncate` + `mmap`, which nix 0.32 provides directly
//! (`nix::sys::mman`). Robust mutexes are not wrapped by any maintained
//! crate (`raw_sync` never sets `PTHREAD_MUTEX_ROBUST`), so they are libc
//! calls. All `unsafe` code is in the private `segment` module.

#![deny(missing_docs)]

pub mod layout;
mod manager;
mod segment;

use std::sync::Arc;

use rpod_runtime_core::backend::{BackendContext, BackendRegistry};
use rpod_runtime_core::lock::LockManager;

pub use layout::DEFAULT_SEGMENT;
pub use manager::{SegmentInfo, ShmLockManager};

/// Registers the `shm` lock manager: [`ShmLockManager::from_context`]
/// (`ctx.shm_lock_path`, `ctx.num_locks`, recreating under `ctx.renumber`).
pub fn register(registry: &mut BackendRegistry) {
    registry.register_lock_manager(
        "shm",
        Arc::new(|ctx: &BackendContext| {
            Ok(Box::new(ShmLockManager::from_context(ctx)?) as Box<dyn LockManager>)
        }),
    );
}

/// Benchmark support; not part of the API.
#[doc(hidden)]
pub mod __bench {
    pub use crate::segment::BareMutex;
}

#[cfg(test)]
mod tests;
