//! rpod's BoltDB [`State`] backend.
//!
//! libpod's original state database is a BoltDB file, `bolt_state.db`, in
//! the static directory; Podman 4 machines still have one. This crate
//! speaks that file format itself ([`engine`]: a small BoltDB-format
//! key/value engine) and keeps libpod's bucket layout on top of it
//! ([`BoltState`]), so rpod can use such a file as its database
//! (`database_backend = "boltdb"`) and [`BoltState::export`] everything in
//! it for `system migrate --migrate-db`.

#![deny(missing_docs)]

pub mod engine;
mod export;
mod layout;
mod state;

use std::sync::Arc;

use rpod_runtime_core::backend::{BackendContext, BackendRegistry};
use rpod_runtime_core::state::State;

pub use export::{ContainerExport, ExitCodeRecord, Export};
pub use state::{BoltState, DB_FILE_NAME};

/// Registers the `boltdb` State constructor, which opens (or creates)
/// `bolt_state.db` in the context's static dir.
pub fn register(registry: &mut BackendRegistry) {
    registry.register_state(
        "boltdb",
        Arc::new(|ctx: &BackendContext| {
            Ok(Box::new(BoltState::open(&ctx.static_dir)?) as Box<dyn State>)
        }),
    );
}
