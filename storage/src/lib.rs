//! rpod's image and container store, in containers/storage's on-disk
//! layout so skopeo, Podman and buildah can read and fill it.
//!
//! [`Store`] implements [`rpod_runtime_core::storage::Storage`] with the
//! `overlay` driver (default; falls back to `vfs` when overlay cannot be
//! mounted) or `vfs`. Layers carry tar-split metadata so `save` reproduces
//! the exact layer tars that were loaded. Mutations take containers/storage's
//! fcntl lock files (layers → images → containers → mount points, in that
//! order); JSON files are replaced atomically, so reads need no lock.
//! A layer is recorded `incomplete` while it is written and such leftovers
//! are removed the next time the store is opened.

#![deny(missing_docs)]

pub mod archive;
pub mod containers;
pub mod digest;
pub mod images;
pub mod import;
pub mod jsonfile;
pub mod layers;
pub mod layout;
pub mod lock;
pub mod overlay;
mod parallel;
mod store;
mod sys;
pub mod tar_apply;
pub mod treetar;
pub mod vfs;
pub mod whiteout;

use std::sync::Arc;

pub use store::{Driver, Store};

use rpod_runtime_core::backend::{BackendContext, BackendRegistry};
use rpod_runtime_core::storage::Storage;

/// Registers the `overlay` and `vfs` storage backends.
pub fn register(registry: &mut BackendRegistry) {
    // "overlay" with no driver configured keeps the vfs fallback.
    registry.register_storage(
        "overlay",
        Arc::new(|ctx: &BackendContext| {
            let driver = if ctx.storage_driver == "overlay" {
                "overlay"
            } else {
                ""
            };
            Ok(Box::new(Store::open(&ctx.graph_root, &ctx.run_root, driver)?) as Box<dyn Storage>)
        }),
    );
    registry.register_storage(
        "vfs",
        Arc::new(|ctx: &BackendContext| {
            Ok(Box::new(Store::open(&ctx.graph_root, &ctx.run_root, "vfs")?) as Box<dyn Storage>)
        }),
    );
    registry.set_default_storage("overlay");
}
