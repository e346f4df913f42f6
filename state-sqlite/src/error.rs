//! Errors inside the backend and their mapping into the engine's [`Error`].
//!
//! Query code returns [`DbError`] so that `?` works on SQLite, JSON and
//! engine errors alike; [`DbError::into_core`] turns it into an
//! [`Error`] at the `State` boundary. SQLite failures always name the
//! database file, because the CLI prints them verbatim and a user who sees
//! `database disk image is malformed` must know which file is meant.

use std::path::Path;

use rpod_runtime_core::Error;

/// Result of the query layer.
pub(crate) type DbResult<T> = std::result::Result<T, DbError>;

/// A failure in the query layer.
#[derive(Debug, thiserror::Error)]
pub(crate) enum DbError {
    /// SQLite (or rusqlite) reported an error.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// A JSON column could not be encoded or decoded.
    #[error(transparent)]
    Json(#[from] serde_json::Error),
    /// An engine error (`NoSuchCtr`, `CtrExists`, ...), passed on unchanged.
    #[error(transparent)]
    Core(#[from] Error),
}

impl From<rusqlite::types::FromSqlError> for DbError {
    fn from(e: rusqlite::types::FromSqlError) -> Self {
        DbError::Sqlite(e.into())
    }
}

impl DbError {
    /// Converts into the engine's error, naming the database file `path`
    /// for SQLite and JSON failures.
    pub(crate) fn into_core(self, path: &Path) -> Error {
        match self {
            DbError::Core(e) => e,
            DbError::Sqlite(e) => Error::msg(format!("state database {}: {e}", path.display())),
            DbError::Json(e) => Error::Json(e).context(format!(
                "JSON of a record in state database {}",
                path.display()
            )),
        }
    }
}

/// `no container with ID <id> found in database` (`NoSuchCtr`).
pub(crate) fn no_ctr(id: &str) -> DbError {
    rpod_runtime_core::state::errors::no_ctr(id).into()
}

/// `no pod with ID <id> found in database` (`NoSuchPod`).
pub(crate) fn no_pod(id: &str) -> DbError {
    rpod_runtime_core::state::errors::no_pod(id).into()
}

/// `no volume with name <name> found in database` (`NoSuchVolume`).
pub(crate) fn no_vol(name: &str) -> DbError {
    rpod_runtime_core::state::errors::no_vol(name).into()
}
