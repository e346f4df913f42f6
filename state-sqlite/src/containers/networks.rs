//! A container's network attachments and their options.

use std::collections::BTreeMap;

use rpod_runtime_core::network::PerNetworkOptions;
use rpod_runtime_core::state::errors;
use rusqlite::{Connection, params};

use super::require;
use crate::codec::{json_col, to_json};
use crate::error::DbResult;

/// The networks a container is connected to.
pub(crate) fn networks(c: &Connection, id: &str) -> DbResult<BTreeMap<String, PerNetworkOptions>> {
    require(c, id)?;
    let mut stmt =
        c.prepare_cached("SELECT Network, JSON FROM ContainerNetwork WHERE ContainerID = ?1")?;
    let mut rows = stmt.query([id])?;
    let mut out = BTreeMap::new();
    while let Some(row) = rows.next()? {
        out.insert(row.get(0)?, json_col(row, 1)?);
    }
    Ok(out)
}

/// Connects a container to a network.
pub(crate) fn network_connect(
    c: &Connection,
    id: &str,
    network: &str,
    opts: &PerNetworkOptions,
) -> DbResult<()> {
    require(c, id)?;
    let n = c
        .prepare_cached(
            "INSERT OR IGNORE INTO ContainerNetwork (ContainerID, Network, JSON) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![id, network, to_json(opts)?])?;
    if n == 0 {
        return Err(errors::already_connected(id, network).into());
    }
    Ok(())
}

/// Disconnects a container from a network.
pub(crate) fn network_disconnect(c: &Connection, id: &str, network: &str) -> DbResult<()> {
    require(c, id)?;
    let n = c
        .prepare_cached("DELETE FROM ContainerNetwork WHERE ContainerID = ?1 AND Network = ?2")?
        .execute([id, network])?;
    if n == 0 {
        return Err(errors::not_connected(id, network).into());
    }
    Ok(())
}
