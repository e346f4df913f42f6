//! rpod's default [`State`] backend: one
//! SQLite file, `db.sql`, in the libpod static directory, shared by every
//! `rpod` process.
//!
//! The layout follows Podman 5's SQLite state (see [`schema`]): config and
//! state as JSON columns with Podman's field names, one ID name space for
//! containers and pods, dependency, volume, network, exec-session and
//! exit-code tables, and a singleton DB-config row with the schema version.
//!
//! Durability and concurrency: every mutation runs in one `BEGIN EXCLUSIVE`
//! transaction with foreign keys on and `synchronous=FULL`, in SQLite's
//! rollback-journal mode (as Podman since 4.6), with a 100 s busy timeout so
//! that many processes queue for the lock instead of failing with
//! `database is locked`. A process killed mid-transaction leaves a hot
//! journal that the next opener rolls back. Reads that need several
//! statements run in one deferred (shared-lock) transaction.
//!
//! Failures of the file itself (not a database, malformed, schema too new)
//! are errors whose text names the file; the file is never overwritten.

#![deny(missing_docs)]

mod codec;
mod containers;
mod error;
mod meta;
mod pods;
pub mod schema;
mod state;
mod volumes;

use std::sync::Arc;

use rpod_runtime_core::backend::{BackendContext, BackendRegistry};
use rpod_runtime_core::state::State;

pub use state::{DB_FILE_NAME, SqliteState};

/// Registers the `sqlite` State constructor, which opens `db.sql` in the
/// context's static dir.
pub fn register(registry: &mut BackendRegistry) {
    registry.register_state(
        "sqlite",
        Arc::new(|ctx: &BackendContext| {
            Ok(Box::new(SqliteState::open(&ctx.static_dir)?) as Box<dyn State>)
        }),
    );
}
