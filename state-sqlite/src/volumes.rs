//! Volume rows: config and state, lookup by name or unique prefix, users.

use rpod_runtime_core::Error;
use rpod_runtime_core::state::errors;
use rpod_runtime_core::volume::{VolumeConfig, VolumeRecord, VolumeState};
use rusqlite::{Connection, Row, params};

use crate::codec::{json_col, to_json};
use crate::containers;
use crate::error::{DbResult, no_vol};

/// True when the volume exists.
pub(crate) fn exists(c: &Connection, name: &str) -> DbResult<bool> {
    Ok(
        c.prepare_cached("SELECT 1 FROM VolumeConfig WHERE Name = ?1")?
            .exists([name])?,
    )
}

fn record(row: &Row<'_>, first: usize) -> DbResult<VolumeRecord> {
    Ok(VolumeRecord {
        config: json_col(row, first)?,
        state: json_col(row, first + 1)?,
    })
}

/// One volume by exact name.
pub(crate) fn get(c: &Connection, name: &str) -> DbResult<VolumeRecord> {
    let mut stmt = c.prepare_cached(
        "SELECT c.JSON, s.JSON FROM VolumeConfig c JOIN VolumeState s ON s.Name = c.Name
         WHERE c.Name = ?1",
    )?;
    let mut rows = stmt.query([name])?;
    match rows.next()? {
        Some(row) => record(row, 0),
        None => Err(no_vol(name)),
    }
}

/// An exact name, else a unique name prefix. The exact name, when it
/// exists, is the smallest name in the prefix range, so one ordered range
/// scan of at most two rows answers both questions.
pub(crate) fn lookup(c: &Connection, name: &str) -> DbResult<VolumeRecord> {
    let mut stmt = c.prepare_cached(
        "SELECT c.Name, c.JSON, s.JSON FROM VolumeConfig c JOIN VolumeState s ON s.Name = c.Name
         WHERE c.Name >= ?1 AND c.Name < ?1 || x'ff' ORDER BY c.Name LIMIT 2",
    )?;
    let mut rows = stmt.query([name])?;
    let Some(first) = rows.next()? else {
        return Err(Error::NoSuchVolume
            .context(format!("no volume with name {name:?} found"))
            .into());
    };
    let exact = first.get_ref(0)?.as_str()? == name;
    let rec = record(first, 1)?;
    if exact || rows.next()?.is_none() {
        Ok(rec)
    } else {
        Err(Error::VolumeExists
            .context(format!("more than one result for volume name {name:?}"))
            .into())
    }
}

/// Every volume, ordered by name.
pub(crate) fn all(c: &Connection) -> DbResult<Vec<VolumeRecord>> {
    let mut stmt = c.prepare_cached(
        "SELECT c.JSON, s.JSON FROM VolumeConfig c JOIN VolumeState s ON s.Name = c.Name
         ORDER BY c.Name",
    )?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(record(row, 0)?);
    }
    Ok(out)
}

/// IDs of the containers using the volume, sorted.
pub(crate) fn users(c: &Connection, name: &str) -> DbResult<Vec<String>> {
    if !exists(c, name)? {
        return Err(no_vol(name));
    }
    containers::strings(
        c,
        "SELECT ContainerID FROM ContainerVolume WHERE VolumeName = ?1 ORDER BY ContainerID",
        name,
    )
}

fn storage_id(cfg: &VolumeConfig) -> Option<&str> {
    Some(cfg.storage_id.as_str()).filter(|s| !s.is_empty())
}

/// Adds a volume (`VolumeExists` if the name is taken).
pub(crate) fn add(c: &Connection, vol: &VolumeRecord) -> DbResult<()> {
    let name = &vol.config.name;
    if name.is_empty() {
        return Err(Error::EmptyId.into());
    }
    if exists(c, name)? {
        return Err(errors::name_in_use(Error::VolumeExists, name).into());
    }
    c.prepare_cached("INSERT INTO VolumeConfig (Name, StorageID, JSON) VALUES (?1, ?2, ?3)")?
        .execute(params![
            name,
            storage_id(&vol.config),
            to_json(&vol.config)?
        ])?;
    c.prepare_cached("INSERT INTO VolumeState (Name, JSON) VALUES (?1, ?2)")?
        .execute(params![name, to_json(&vol.state)?])?;
    Ok(())
}

/// Removes a volume no container uses.
pub(crate) fn remove(c: &Connection, name: &str) -> DbResult<()> {
    let users = users(c, name)?;
    if !users.is_empty() {
        return Err(errors::volume_in_use(name, &users).into());
    }
    c.prepare_cached("DELETE FROM VolumeConfig WHERE Name = ?1")?
        .execute([name])?;
    Ok(())
}

/// A volume's state.
pub(crate) fn state(c: &Connection, name: &str) -> DbResult<VolumeState> {
    let mut stmt = c.prepare_cached("SELECT JSON FROM VolumeState WHERE Name = ?1")?;
    let mut rows = stmt.query([name])?;
    match rows.next()? {
        Some(row) => json_col(row, 0),
        None => Err(no_vol(name)),
    }
}

/// Writes a volume's state.
pub(crate) fn save_state(c: &Connection, name: &str, st: &VolumeState) -> DbResult<()> {
    let n = c
        .prepare_cached("UPDATE VolumeState SET JSON = ?2 WHERE Name = ?1")?
        .execute(params![name, to_json(st)?])?;
    if n == 0 { Err(no_vol(name)) } else { Ok(()) }
}

/// Replaces a volume's config.
pub(crate) fn rewrite_config(c: &Connection, cfg: &VolumeConfig) -> DbResult<()> {
    let n = c
        .prepare_cached("UPDATE VolumeConfig SET StorageID = ?2, JSON = ?3 WHERE Name = ?1")?
        .execute(params![cfg.name, storage_id(cfg), to_json(cfg)?])?;
    if n == 0 {
        Err(no_vol(&cfg.name))
    } else {
        Ok(())
    }
}

/// True when `id` is the storage container behind a volume.
pub(crate) fn is_storage_container(c: &Connection, id: &str) -> DbResult<bool> {
    if id.is_empty() {
        return Ok(false);
    }
    Ok(
        c.prepare_cached("SELECT 1 FROM VolumeConfig WHERE StorageID = ?1")?
            .exists([id])?,
    )
}
