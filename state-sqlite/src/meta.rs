//! The singleton `DBConfig` row and the reboot refresh.

use rpod_runtime_core::container::ContainerState;
use rpod_runtime_core::pod::PodState;
use rpod_runtime_core::state::DbConfig;
use rpod_runtime_core::volume::VolumeState;
use rusqlite::{Connection, OptionalExtension, params};

use crate::codec::{json_col, to_json};
use crate::error::DbResult;

/// The stored DB config; `None` while the config columns are still NULL.
pub(crate) fn db_config(c: &Connection) -> DbResult<Option<DbConfig>> {
    let row = c
        .prepare_cached(
            "SELECT OS, StaticDir, TmpDir, GraphRoot, RunRoot, GraphDriver, VolumeDir
             FROM DBConfig WHERE ID = 1 AND OS IS NOT NULL",
        )?
        .query_row([], |r| {
            let s = |i: usize| -> rusqlite::Result<String> {
                Ok(r.get::<_, Option<String>>(i)?.unwrap_or_default())
            };
            Ok(DbConfig {
                os: s(0)?,
                static_dir: s(1)?,
                tmp_dir: s(2)?,
                graph_root: s(3)?,
                run_root: s(4)?,
                graph_driver: s(5)?,
                volume_path: s(6)?,
            })
        })
        .optional()?;
    Ok(row)
}

/// Stores `cfg` unless a config is stored already; returns what is stored.
pub(crate) fn init_db_config(c: &Connection, cfg: &DbConfig) -> DbResult<DbConfig> {
    c.prepare_cached(
        "UPDATE DBConfig SET OS = ?1, StaticDir = ?2, TmpDir = ?3, GraphRoot = ?4,
                RunRoot = ?5, GraphDriver = ?6, VolumeDir = ?7
         WHERE ID = 1 AND OS IS NULL",
    )?
    .execute(params![
        cfg.os,
        cfg.static_dir,
        cfg.tmp_dir,
        cfg.graph_root,
        cfg.run_root,
        cfg.graph_driver,
        cfg.volume_path
    ])?;
    Ok(db_config(c)?.unwrap_or_else(|| cfg.clone()))
}

/// Reads every `(key, JSON)` pair of a state table.
fn load_states<T: serde::de::DeserializeOwned>(
    c: &Connection,
    sql: &str,
) -> DbResult<Vec<(String, T)>> {
    let mut stmt = c.prepare(sql)?;
    let mut q = stmt.query([])?;
    let mut rows = Vec::new();
    while let Some(row) = q.next()? {
        rows.push((row.get(0)?, json_col(row, 1)?));
    }
    Ok(rows)
}

/// The reboot reset: every state back to its refreshed form, exec index and
/// exit codes gone. The caller runs it in one exclusive transaction.
pub(crate) fn refresh(c: &Connection) -> DbResult<()> {
    let ctrs: Vec<(String, ContainerState)> =
        load_states(c, "SELECT ID, JSON FROM ContainerState")?;
    let mut update = c.prepare("UPDATE ContainerState SET State = ?2, JSON = ?3 WHERE ID = ?1")?;
    for (id, mut st) in ctrs {
        st.reset_for_refresh();
        update.execute(params![id, st.state.code(), to_json(&st)?])?;
    }
    let pods: Vec<(String, PodState)> = load_states(c, "SELECT ID, JSON FROM PodState")?;
    let mut update = c.prepare("UPDATE PodState SET JSON = ?2 WHERE ID = ?1")?;
    for (id, mut st) in pods {
        st.reset_for_refresh();
        update.execute(params![id, to_json(&st)?])?;
    }
    let vols: Vec<(String, VolumeState)> = load_states(c, "SELECT Name, JSON FROM VolumeState")?;
    let mut update = c.prepare("UPDATE VolumeState SET JSON = ?2 WHERE Name = ?1")?;
    for (name, mut st) in vols {
        st.reset_for_refresh();
        update.execute(params![name, to_json(&st)?])?;
    }
    c.execute_batch("DELETE FROM ContainerExecSession; DELETE FROM ContainerExitCode;")?;
    Ok(())
}

/// SQLite's `PRAGMA integrity_check`, without its single `ok` row.
pub(crate) fn integrity_problems(c: &Connection) -> DbResult<Vec<String>> {
    let mut stmt = c.prepare("PRAGMA integrity_check")?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = Vec::new();
    for r in rows {
        let line = r?;
        if line != "ok" {
            out.push(line);
        }
    }
    Ok(out)
}
