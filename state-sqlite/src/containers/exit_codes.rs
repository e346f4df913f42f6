//! Exit codes kept after a container is gone, and their pruning.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use crate::codec::{from_nanos, to_nanos};
use crate::error::DbResult;

/// Records (or overwrites) a container's exit code, stamped `now`.
pub(crate) fn add_exit_code(
    c: &Connection,
    id: &str,
    code: i32,
    now: DateTime<Utc>,
) -> DbResult<()> {
    c.prepare_cached(
        "INSERT OR REPLACE INTO ContainerExitCode (ID, Timestamp, ExitCode) VALUES (?1, ?2, ?3)",
    )?
    .execute(params![id, to_nanos(now), code])?;
    Ok(())
}

/// A recorded exit code and when it was recorded.
pub(crate) fn exit_code(c: &Connection, id: &str) -> DbResult<Option<(i32, DateTime<Utc>)>> {
    Ok(
        c.prepare_cached("SELECT ExitCode, Timestamp FROM ContainerExitCode WHERE ID = ?1")?
            .query_row([id], |r| Ok((r.get(0)?, from_nanos(r.get(1)?))))
            .optional()?,
    )
}

/// Deletes exit codes recorded before `cutoff`.
pub(crate) fn prune_exit_codes(c: &Connection, cutoff: DateTime<Utc>) -> DbResult<()> {
    c.prepare_cached("DELETE FROM ContainerExitCode WHERE Timestamp < ?1")?
        .execute([to_nanos(cutoff)])?;
    Ok(())
}
