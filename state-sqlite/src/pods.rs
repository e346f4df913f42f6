//! Pod rows: config and state, membership, removal of a pod and of its
//! containers.

use rpod_runtime_core::Error;
use rpod_runtime_core::pod::{PodConfig, PodRecord, PodState};
use rpod_runtime_core::state::errors;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::codec::{json_col, to_json};
use crate::containers;
use crate::error::{DbResult, no_pod};

/// True when a pod with this full ID exists.
pub(crate) fn exists(c: &Connection, id: &str) -> DbResult<bool> {
    Ok(c.prepare_cached("SELECT 1 FROM PodConfig WHERE ID = ?1")?
        .exists([id])?)
}

/// `NoSuchPod` unless the pod exists.
pub(crate) fn require(c: &Connection, id: &str) -> DbResult<()> {
    if exists(c, id)? {
        Ok(())
    } else {
        Err(no_pod(id))
    }
}

/// The pod's name.
pub(crate) fn name(c: &Connection, id: &str) -> DbResult<String> {
    c.prepare_cached("SELECT Name FROM PodConfig WHERE ID = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| no_pod(id))
}

fn record(row: &Row<'_>) -> DbResult<PodRecord> {
    Ok(PodRecord {
        config: json_col(row, 0)?,
        state: json_col(row, 1)?,
    })
}

/// One pod by full ID.
pub(crate) fn get(c: &Connection, id: &str) -> DbResult<PodRecord> {
    let mut stmt = c.prepare_cached(
        "SELECT c.JSON, s.JSON FROM PodConfig c JOIN PodState s ON s.ID = c.ID WHERE c.ID = ?1",
    )?;
    let mut rows = stmt.query([id])?;
    match rows.next()? {
        Some(row) => record(row),
        None => Err(no_pod(id)),
    }
}

/// Every pod, ordered by ID.
pub(crate) fn all(c: &Connection) -> DbResult<Vec<PodRecord>> {
    let mut stmt = c.prepare_cached(
        "SELECT c.JSON, s.JSON FROM PodConfig c JOIN PodState s ON s.ID = c.ID ORDER BY c.ID",
    )?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(record(row)?);
    }
    Ok(out)
}

/// True when the container belongs to the pod (`NoSuchPod` if the pod is gone).
pub(crate) fn has_container(c: &Connection, pod_id: &str, ctr_id: &str) -> DbResult<bool> {
    require(c, pod_id)?;
    Ok(
        c.prepare_cached("SELECT 1 FROM ContainerConfig WHERE ID = ?1 AND PodID = ?2")?
            .exists([ctr_id, pod_id])?,
    )
}

/// IDs of a pod's containers, sorted.
pub(crate) fn container_ids(c: &Connection, pod_id: &str) -> DbResult<Vec<String>> {
    require(c, pod_id)?;
    containers::strings(
        c,
        "SELECT ID FROM ContainerConfig WHERE PodID = ?1 ORDER BY ID",
        pod_id,
    )
}

/// Adds a pod (`PodExists` when its ID or name is taken by a pod or container).
pub(crate) fn add(c: &Connection, pod: &PodRecord) -> DbResult<()> {
    let cfg = &pod.config;
    if cfg.id.is_empty() || cfg.name.is_empty() {
        return Err(Error::EmptyId.into());
    }
    if containers::id_taken(c, &cfg.id)? {
        return Err(errors::id_in_use(Error::PodExists, &cfg.id).into());
    }
    if containers::name_taken(c, &cfg.name)? {
        return Err(errors::name_in_use(Error::PodExists, &cfg.name).into());
    }
    containers::claim_id_and_name(c, &cfg.id, &cfg.name)?;
    c.prepare_cached("INSERT INTO PodConfig (ID, Name, JSON) VALUES (?1, ?2, ?3)")?
        .execute(params![cfg.id, cfg.name, to_json(cfg)?])?;
    c.prepare_cached("INSERT INTO PodState (ID, InfraContainerID, JSON) VALUES (?1, ?2, ?3)")?
        .execute(params![cfg.id, infra(&pod.state), to_json(&pod.state)?])?;
    Ok(())
}

fn infra(st: &PodState) -> Option<&str> {
    Some(st.infra_container_id.as_str()).filter(|s| !s.is_empty())
}

/// Removes an empty pod; its infra container, if any, goes with it.
pub(crate) fn remove(c: &Connection, id: &str) -> DbResult<()> {
    let (name, infra_id): (String, Option<String>) = c
        .prepare_cached(
            "SELECT c.Name, s.InfraContainerID FROM PodConfig c JOIN PodState s ON s.ID = c.ID
             WHERE c.ID = ?1",
        )?
        .query_row([id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?
        .ok_or_else(|| no_pod(id))?;
    let others = c
        .prepare_cached("SELECT 1 FROM ContainerConfig WHERE PodID = ?1 AND ID IS NOT ?2 LIMIT 1")?
        .exists(params![id, infra_id])?;
    if others {
        return Err(errors::pod_not_empty(id).into());
    }
    if let Some(infra_id) = &infra_id {
        containers::delete_unchecked(c, infra_id)?;
    }
    c.prepare_cached("DELETE FROM PodConfig WHERE ID = ?1")?
        .execute([id])?;
    containers::release_id_and_name(c, id, &name)
}

/// Removes every container of a pod at once, ignoring dependencies inside
/// the pod; `DepExists` if a container outside the pod depends on a member.
pub(crate) fn remove_containers(c: &Connection, pod_id: &str) -> DbResult<()> {
    require(c, pod_id)?;
    let outside: Option<(String, String)> = c
        .prepare_cached(
            "SELECT d.ID, d.DependencyID
             FROM ContainerDependency d JOIN ContainerConfig m ON m.ID = d.DependencyID
             WHERE m.PodID = ?1
               AND d.ID NOT IN (SELECT ID FROM ContainerConfig WHERE PodID = ?1)
             ORDER BY d.DependencyID, d.ID LIMIT 1",
        )?
        .query_row([pod_id], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    if let Some((user, member)) = outside {
        return Err(errors::outside_dependent(&user, &member, pod_id).into());
    }
    c.prepare_cached(
        "DELETE FROM NameNamespace WHERE Name IN (SELECT Name FROM ContainerConfig WHERE PodID = ?1)",
    )?
    .execute([pod_id])?;
    c.prepare_cached(
        "DELETE FROM IDNamespace WHERE ID IN (SELECT ID FROM ContainerConfig WHERE PodID = ?1)",
    )?
    .execute([pod_id])?;
    c.prepare_cached(
        "DELETE FROM ContainerDependency
         WHERE DependencyID IN (SELECT ID FROM ContainerConfig WHERE PodID = ?1)",
    )?
    .execute([pod_id])?;
    c.prepare_cached("DELETE FROM ContainerConfig WHERE PodID = ?1")?
        .execute([pod_id])?;
    Ok(())
}

/// A pod's state.
pub(crate) fn state(c: &Connection, id: &str) -> DbResult<PodState> {
    let mut stmt = c.prepare_cached("SELECT JSON FROM PodState WHERE ID = ?1")?;
    let mut rows = stmt.query([id])?;
    match rows.next()? {
        Some(row) => json_col(row, 0),
        None => Err(no_pod(id)),
    }
}

/// Writes a pod's state.
pub(crate) fn save_state(c: &Connection, id: &str, st: &PodState) -> DbResult<()> {
    let n = c
        .prepare_cached("UPDATE PodState SET InfraContainerID = ?2, JSON = ?3 WHERE ID = ?1")?
        .execute(params![id, infra(st), to_json(st)?])?;
    if n == 0 { Err(no_pod(id)) } else { Ok(()) }
}

/// Replaces a pod's config (the name must not change).
pub(crate) fn rewrite_config(c: &Connection, cfg: &PodConfig) -> DbResult<()> {
    if name(c, &cfg.id)? != cfg.name {
        return Err(errors::pod_rewrite_changes_name().into());
    }
    c.prepare_cached("UPDATE PodConfig SET JSON = ?2 WHERE ID = ?1")?
        .execute(params![cfg.id, to_json(cfg)?])?;
    Ok(())
}
