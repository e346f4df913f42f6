//! The exec-session index: session ID to container.

use rpod_runtime_core::Error;
use rpod_runtime_core::state::errors;
use rusqlite::{Connection, OptionalExtension};

use super::{require, strings};
use crate::error::DbResult;

fn no_exec(session_id: &str) -> crate::error::DbError {
    errors::no_exec_session(session_id).into()
}

/// Registers an exec session.
pub(crate) fn add_exec_session(c: &Connection, ctr_id: &str, session_id: &str) -> DbResult<()> {
    require(c, ctr_id)?;
    let n = c
        .prepare_cached(
            "INSERT OR IGNORE INTO ContainerExecSession (ID, ContainerID) VALUES (?1, ?2)",
        )?
        .execute([session_id, ctr_id])?;
    if n == 0 {
        return Err(Error::ExecSessionExists
            .context(format!("exec session {session_id}"))
            .into());
    }
    Ok(())
}

/// The container of an exec session.
pub(crate) fn exec_session(c: &Connection, session_id: &str) -> DbResult<String> {
    c.prepare_cached("SELECT ContainerID FROM ContainerExecSession WHERE ID = ?1")?
        .query_row([session_id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| no_exec(session_id))
}

/// Unregisters an exec session.
pub(crate) fn remove_exec_session(c: &Connection, session_id: &str) -> DbResult<()> {
    let n = c
        .prepare_cached("DELETE FROM ContainerExecSession WHERE ID = ?1")?
        .execute([session_id])?;
    if n == 0 {
        Err(no_exec(session_id))
    } else {
        Ok(())
    }
}

/// A container's exec sessions, sorted.
pub(crate) fn exec_sessions(c: &Connection, ctr_id: &str) -> DbResult<Vec<String>> {
    require(c, ctr_id)?;
    strings(
        c,
        "SELECT ID FROM ContainerExecSession WHERE ContainerID = ?1 ORDER BY ID",
        ctr_id,
    )
}

/// Unregisters every exec session of a container.
pub(crate) fn remove_exec_sessions(c: &Connection, ctr_id: &str) -> DbResult<()> {
    require(c, ctr_id)?;
    c.prepare_cached("DELETE FROM ContainerExecSession WHERE ContainerID = ?1")?
        .execute([ctr_id])?;
    Ok(())
}
