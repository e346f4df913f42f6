//! Exec-session index writes inside one transaction.

use rpod_runtime_core::state::errors;
use rpod_runtime_core::{Error, Result};

use super::access::{delete_at, put_at};
use crate::engine::WriteTx;
use crate::layout as l;

use super::reader;

/// Registers exec session `session_id` for container `ctr_id`.
pub(super) fn add_exec_session_in(tx: &mut WriteTx, ctr_id: &str, session_id: &str) -> Result<()> {
    {
        let r = reader(tx);
        r.ctr(ctr_id)?;
        if r.get(l::EXEC, session_id)?.is_some() {
            return Err(Error::ExecSessionExists.context(format!("exec session {session_id}")));
        }
    }
    put_at(tx, &[l::EXEC], session_id, ctr_id.as_bytes())?;
    put_at(
        tx,
        &[l::CTR, ctr_id.as_bytes(), l::EXEC],
        session_id,
        ctr_id.as_bytes(),
    )
}

/// Unregisters an exec session (of container `owner`, when given); returns
/// the ID of the container it belonged to.
pub(super) fn remove_exec_session_in(
    tx: &mut WriteTx,
    session_id: &str,
    owner: Option<&str>,
) -> Result<String> {
    let ctr = reader(tx)
        .get(l::EXEC, session_id)?
        .map(|v| String::from_utf8_lossy(&v).into_owned())
        .filter(|c| owner.is_none_or(|o| o == c))
        .ok_or_else(|| errors::no_exec_session(session_id))?;
    delete_at(tx, &[l::EXEC], session_id)?;
    delete_at(tx, &[l::CTR, ctr.as_bytes(), l::EXEC], session_id)?;
    Ok(ctr)
}
