//! rpod's engine core.
//!
//! This crate owns the [`Runtime`](runtime::Runtime) and the objects it
//! manages (containers, pods, volumes), and defines the trait every backend
//! implements: [`State`](state::State), [`LockManager`](lock::LockManager) /
//! [`Locker`](lock::Locker), [`OciRuntime`](oci::OciRuntime),
//! [`Eventer`](events::Eventer), [`Storage`](storage::Storage) and
//! [`NetworkBackend`](network::NetworkBackend). It depends on no backend;
//! backends depend on it, and a binary composes them through the
//! [`BackendRegistry`](backend::BackendRegistry).
//!
//! Contracts every backend honours are written on the traits and checked by
//! the conformance suites in `testing` (cargo feature `testing`).

#![deny(missing_docs)]

pub mod backend;
pub mod config;
pub mod confined;
pub mod container;
pub mod error;
pub mod events;
pub mod failpoint;
pub mod image;
pub mod intent;
pub mod lock;
pub mod lockfile;
pub mod names;
pub mod network;
pub mod oci;
pub mod pod;
pub mod process;
pub mod runtime;
pub mod serde_util;
pub mod signal;
pub mod state;
pub mod storage;
pub mod system;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod time;
pub mod volume;

pub use error::{Error, Result, ResultExt};
