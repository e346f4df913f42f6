//! Container rows: config and state, lookups, dependency and volume edges,
//! networks, the exec-session index and exit codes.
//!
//! Every function takes the connection (or the open transaction, which
//! derefs to it) and assumes the caller chose the transaction: mutations run
//! inside the exclusive transaction of [`crate::SqliteState`], reads that
//! need several statements inside a deferred one.

mod exec;
mod exit_codes;
mod listing;
mod networks;

use rpod_runtime_core::Error;
use rpod_runtime_core::container::{ContainerConfig, ContainerRecord, ContainerState};
use rpod_runtime_core::names::{LookupCandidates, ObjectKind};
use rpod_runtime_core::state::errors;
use rusqlite::{Connection, OptionalExtension, Row, params};

use crate::codec::{json_col, to_json};
use crate::error::{DbResult, no_ctr, no_pod, no_vol};
use crate::{pods, volumes};

pub(crate) use exec::{
    add_exec_session, exec_session, exec_sessions, remove_exec_session, remove_exec_sessions,
};
pub(crate) use exit_codes::{add_exit_code, exit_code, prune_exit_codes};
pub(crate) use listing::{all_raw, all_raw_for_listing, decode_all};
pub(crate) use networks::{network_connect, network_disconnect, networks};

/// Candidates for a container lookup, in one statement: exact ID (0),
/// exact name (1), a pod with that ID or name (2), up to two ID-prefix
/// matches (3). The prefix range `ID >= x AND ID < x || x'ff'` walks the
/// primary-key index; 0xFF never occurs in UTF-8, so the range holds exactly
/// the IDs that start with `x`.
const CTR_CANDIDATES: &str = "
    SELECT 0, ID FROM ContainerConfig WHERE ID = ?1
    UNION ALL SELECT 1, ID FROM ContainerConfig WHERE Name = ?1
    UNION ALL SELECT 2, ID FROM PodConfig WHERE ID = ?1 OR Name = ?1
    UNION ALL SELECT * FROM (
        SELECT 3, ID FROM ContainerConfig WHERE ID >= ?1 AND ID < ?1 || x'ff' ORDER BY ID LIMIT 2
    )";

/// The same for a pod lookup, with containers as the other kind.
const POD_CANDIDATES: &str = "
    SELECT 0, ID FROM PodConfig WHERE ID = ?1
    UNION ALL SELECT 1, ID FROM PodConfig WHERE Name = ?1
    UNION ALL SELECT 2, ID FROM ContainerConfig WHERE ID = ?1 OR Name = ?1
    UNION ALL SELECT * FROM (
        SELECT 3, ID FROM PodConfig WHERE ID >= ?1 AND ID < ?1 || x'ff' ORDER BY ID LIMIT 2
    )";

/// What a backend found for a container or pod lookup string.
pub(crate) fn candidates(
    c: &Connection,
    kind: ObjectKind,
    input: &str,
) -> DbResult<LookupCandidates> {
    let mut found = LookupCandidates::default();
    let sql = match kind {
        ObjectKind::Container => CTR_CANDIDATES,
        ObjectKind::Pod => POD_CANDIDATES,
    };
    let mut stmt = c.prepare_cached(sql)?;
    let mut rows = stmt.query([input])?;
    while let Some(row) = rows.next()? {
        let which: i64 = row.get(0)?;
        let id: String = row.get(1)?;
        match which {
            0 => found.exact_id = Some(id),
            1 => found.exact_name = Some(id),
            2 => found.other_kind_match = true,
            _ => found.prefix_ids.push(id),
        }
    }
    Ok(found)
}

/// True when a container with this full ID exists.
pub(crate) fn exists(c: &Connection, id: &str) -> DbResult<bool> {
    Ok(
        c.prepare_cached("SELECT 1 FROM ContainerConfig WHERE ID = ?1")?
            .exists([id])?,
    )
}

/// `NoSuchCtr` unless the container exists.
pub(crate) fn require(c: &Connection, id: &str) -> DbResult<()> {
    if exists(c, id)? {
        Ok(())
    } else {
        Err(no_ctr(id))
    }
}

/// True when a container or pod has this ID.
pub(crate) fn id_taken(c: &Connection, id: &str) -> DbResult<bool> {
    Ok(c.prepare_cached("SELECT 1 FROM IDNamespace WHERE ID = ?1")?
        .exists([id])?)
}

/// True when a container or pod has this name.
pub(crate) fn name_taken(c: &Connection, name: &str) -> DbResult<bool> {
    Ok(
        c.prepare_cached("SELECT 1 FROM NameNamespace WHERE Name = ?1")?
            .exists([name])?,
    )
}

/// Claims an ID and a name in the shared name spaces.
pub(crate) fn claim_id_and_name(c: &Connection, id: &str, name: &str) -> DbResult<()> {
    c.prepare_cached("INSERT INTO IDNamespace (ID) VALUES (?1)")?
        .execute([id])?;
    c.prepare_cached("INSERT INTO NameNamespace (Name) VALUES (?1)")?
        .execute([name])?;
    Ok(())
}

/// Releases an ID and a name.
pub(crate) fn release_id_and_name(c: &Connection, id: &str, name: &str) -> DbResult<()> {
    c.prepare_cached("DELETE FROM IDNamespace WHERE ID = ?1")?
        .execute([id])?;
    c.prepare_cached("DELETE FROM NameNamespace WHERE Name = ?1")?
        .execute([name])?;
    Ok(())
}

/// The container's name.
pub(crate) fn name(c: &Connection, id: &str) -> DbResult<String> {
    c.prepare_cached("SELECT Name FROM ContainerConfig WHERE ID = ?1")?
        .query_row([id], |r| r.get(0))
        .optional()?
        .ok_or_else(|| no_ctr(id))
}

fn record(row: &Row<'_>) -> DbResult<ContainerRecord> {
    Ok(ContainerRecord {
        config: json_col(row, 0)?,
        state: json_col(row, 1)?,
    })
}

/// One container by full ID.
pub(crate) fn get(c: &Connection, id: &str) -> DbResult<ContainerRecord> {
    let mut stmt = c.prepare_cached(
        "SELECT c.JSON, s.JSON FROM ContainerConfig c JOIN ContainerState s ON s.ID = c.ID
         WHERE c.ID = ?1",
    )?;
    let mut rows = stmt.query([id])?;
    match rows.next()? {
        Some(row) => record(row),
        None => Err(no_ctr(id)),
    }
}

/// The members of a pod, ordered by ID.
pub(crate) fn in_pod(c: &Connection, pod_id: &str) -> DbResult<Vec<ContainerRecord>> {
    let mut stmt = c.prepare_cached(
        "SELECT c.JSON, s.JSON FROM ContainerConfig c JOIN ContainerState s ON s.ID = c.ID
         WHERE c.PodID = ?1 ORDER BY c.ID",
    )?;
    let mut rows = stmt.query([pod_id])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        out.push(record(row)?);
    }
    Ok(out)
}

/// Runs a one-column text query and collects the values.
pub(crate) fn strings(c: &Connection, sql: &str, arg: &str) -> DbResult<Vec<String>> {
    let mut stmt = c.prepare_cached(sql)?;
    let rows = stmt.query_map([arg], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<Vec<String>>>()?)
}

/// IDs of the containers that depend on `id`, sorted.
pub(crate) fn dependents(c: &Connection, id: &str) -> DbResult<Vec<String>> {
    strings(
        c,
        "SELECT ID FROM ContainerDependency WHERE DependencyID = ?1 ORDER BY ID",
        id,
    )
}

/// Adds a container after checking every rule of `State::add_container`.
pub(crate) fn add(c: &Connection, rec: &ContainerRecord) -> DbResult<()> {
    let cfg = &rec.config;
    if cfg.id.is_empty() || cfg.name.is_empty() {
        return Err(Error::EmptyId.into());
    }
    if id_taken(c, &cfg.id)? {
        return Err(errors::id_in_use(Error::CtrExists, &cfg.id).into());
    }
    if name_taken(c, &cfg.name)? {
        return Err(errors::name_in_use(Error::CtrExists, &cfg.name).into());
    }
    if let Some(pod) = &cfg.pod
        && !pods::exists(c, pod)?
    {
        return Err(no_pod(pod));
    }
    let deps = cfg.all_dependencies();
    {
        let mut pod_of = c.prepare_cached("SELECT PodID FROM ContainerConfig WHERE ID = ?1")?;
        for dep in &deps {
            if dep == &cfg.id {
                return Err(errors::self_dependency().into());
            }
            let dep_pod: Option<Option<String>> =
                pod_of.query_row([dep], |r| r.get(0)).optional()?;
            match dep_pod {
                None => {
                    return Err(errors::missing_dependency(&cfg.id, dep).into());
                }
                Some(p) if p != cfg.pod => {
                    return Err(errors::dependency_outside_pod(&cfg.id, dep).into());
                }
                Some(_) => {}
            }
        }
    }
    for v in &cfg.named_volumes {
        if !volumes::exists(c, &v.name)? {
            return Err(no_vol(&v.name));
        }
    }

    claim_id_and_name(c, &cfg.id, &cfg.name)?;
    c.prepare_cached(
        "INSERT INTO ContainerConfig (ID, Name, PodID, JSON) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![cfg.id, cfg.name, cfg.pod, to_json(cfg)?])?;
    insert_state(c, &cfg.id, &rec.state)?;
    let mut edge =
        c.prepare_cached("INSERT INTO ContainerDependency (ID, DependencyID) VALUES (?1, ?2)")?;
    for dep in &deps {
        edge.execute([&cfg.id, dep])?;
    }
    let mut uses = c.prepare_cached(
        "INSERT OR IGNORE INTO ContainerVolume (ContainerID, VolumeName) VALUES (?1, ?2)",
    )?;
    for v in &cfg.named_volumes {
        uses.execute([&cfg.id, &v.name])?;
    }
    Ok(())
}

fn insert_state(c: &Connection, id: &str, st: &ContainerState) -> DbResult<()> {
    c.prepare_cached(
        "INSERT INTO ContainerState (ID, State, ExitCode, JSON) VALUES (?1, ?2, ?3, ?4)",
    )?
    .execute(params![id, st.state.code(), st.exit_code, to_json(st)?])?;
    Ok(())
}

/// Removes a container after checking dependents and exec sessions.
pub(crate) fn remove(c: &Connection, id: &str) -> DbResult<()> {
    require(c, id)?;
    let users = dependents(c, id)?;
    if !users.is_empty() {
        return Err(errors::has_dependents(id, &users).into());
    }
    if c.prepare_cached("SELECT 1 FROM ContainerExecSession WHERE ContainerID = ?1 LIMIT 1")?
        .exists([id])?
    {
        return Err(errors::has_exec_sessions(id).into());
    }
    delete_unchecked(c, id)
}

/// Deletes a container's rows without checking anything: its state,
/// dependency edges both ways, volume edges, networks and exec index go
/// with it (the edges from others by hand, the rest by `ON DELETE CASCADE`).
/// Exit codes stay.
pub(crate) fn delete_unchecked(c: &Connection, id: &str) -> DbResult<()> {
    c.prepare_cached("DELETE FROM ContainerDependency WHERE DependencyID = ?1")?
        .execute([id])?;
    let name: Option<String> = c
        .prepare_cached("DELETE FROM ContainerConfig WHERE ID = ?1 RETURNING Name")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    if let Some(name) = name {
        release_id_and_name(c, id, &name)?;
    }
    Ok(())
}

/// A container's state.
pub(crate) fn state(c: &Connection, id: &str) -> DbResult<ContainerState> {
    let mut stmt = c.prepare_cached("SELECT JSON FROM ContainerState WHERE ID = ?1")?;
    let mut rows = stmt.query([id])?;
    match rows.next()? {
        Some(row) => json_col(row, 0),
        None => Err(no_ctr(id)),
    }
}

/// Writes a container's state.
pub(crate) fn save_state(c: &Connection, id: &str, st: &ContainerState) -> DbResult<()> {
    let n = c
        .prepare_cached(
            "UPDATE ContainerState SET State = ?2, ExitCode = ?3, JSON = ?4 WHERE ID = ?1",
        )?
        .execute(params![id, st.state.code(), st.exit_code, to_json(st)?])?;
    if n == 0 { Err(no_ctr(id)) } else { Ok(()) }
}

fn config(c: &Connection, id: &str) -> DbResult<ContainerConfig> {
    let mut stmt = c.prepare_cached("SELECT JSON FROM ContainerConfig WHERE ID = ?1")?;
    let mut rows = stmt.query([id])?;
    match rows.next()? {
        Some(row) => json_col(row, 0),
        None => Err(no_ctr(id)),
    }
}

/// Replaces a config whose name, pod and dependencies stay the same.
pub(crate) fn rewrite_config(c: &Connection, cfg: &ContainerConfig) -> DbResult<()> {
    let old = config(c, &cfg.id)?;
    if old.name != cfg.name
        || old.pod != cfg.pod
        || old.all_dependencies() != cfg.all_dependencies()
    {
        return Err(errors::ctr_rewrite_changes_identity().into());
    }
    c.prepare_cached("UPDATE ContainerConfig SET JSON = ?2 WHERE ID = ?1")?
        .execute(params![cfg.id, to_json(cfg)?])?;
    Ok(())
}

/// Replaces a config and renames the container from `old_name` to `new_name`.
pub(crate) fn rename(
    c: &Connection,
    old_name: &str,
    new_name: &str,
    cfg: &ContainerConfig,
) -> DbResult<()> {
    let current = name(c, &cfg.id)?;
    if current != old_name || cfg.name != new_name {
        return Err(errors::rename_mismatch().into());
    }
    if old_name != new_name {
        if name_taken(c, new_name)? {
            return Err(errors::name_in_use(Error::CtrExists, new_name).into());
        }
        c.prepare_cached("UPDATE NameNamespace SET Name = ?2 WHERE Name = ?1")?
            .execute([old_name, new_name])?;
    }
    c.prepare_cached("UPDATE ContainerConfig SET Name = ?2, JSON = ?3 WHERE ID = ?1")?
        .execute(params![cfg.id, new_name, to_json(cfg)?])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::{CTR_CANDIDATES, POD_CANDIDATES};
    use crate::schema;

    fn plan(c: &Connection, sql: &str) -> Vec<String> {
        let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        stmt.query_map(["abcde"], |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// Every lookup is an index search; none scans a table.
    #[test]
    fn lookups_search_indexes() {
        let mut c = Connection::open_in_memory().unwrap();
        schema::ensure(&mut c).unwrap();
        for sql in [
            CTR_CANDIDATES,
            POD_CANDIDATES,
            "SELECT c.JSON, s.JSON FROM ContainerConfig c JOIN ContainerState s ON s.ID = c.ID WHERE c.ID = ?1",
            "SELECT c.Name, c.JSON, s.JSON FROM VolumeConfig c JOIN VolumeState s ON s.Name = c.Name
             WHERE c.Name >= ?1 AND c.Name < ?1 || x'ff' ORDER BY c.Name LIMIT 2",
            "SELECT ID FROM ContainerDependency WHERE DependencyID = ?1 ORDER BY ID",
        ] {
            let steps = plan(&c, sql);
            assert!(
                steps.iter().any(|s| s.starts_with("SEARCH")),
                "{sql}: {steps:?}"
            );
            assert!(
                // Scanning the two-row prefix co-routine is fine; a table is not.
                !steps
                    .iter()
                    .any(|s| s.starts_with("SCAN") && !s.starts_with("SCAN (subquery")),
                "{sql}: {steps:?}"
            );
        }
        // The listing reads the narrow copy and looks each state up; it never
        // touches the config rows.
        let steps: Vec<String> = c
            .prepare(&format!("EXPLAIN QUERY PLAN {}", super::listing::LISTING))
            .unwrap()
            .query_map([], |r| r.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(steps.iter().any(|s| s.starts_with("SCAN l")), "{steps:?}");
        assert!(
            steps.iter().any(|s| s.starts_with("SEARCH s USING INDEX")),
            "{steps:?}"
        );
        assert!(
            !steps.iter().any(|s| s.contains("ContainerConfig")),
            "{steps:?}"
        );
        // The ID-prefix arm is a range on the primary key, not a LIKE scan.
        let steps = plan(&c, CTR_CANDIDATES);
        assert!(
            steps.iter().any(|s| s.contains("(ID>? AND ID<?)")),
            "{steps:?}"
        );
    }
}
