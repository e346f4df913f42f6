//! Reading every container at once: raw rows (full, or the narrow listing
//! copy) and decoding them, on several threads when there are many.

use rpod_runtime_core::container::{ContainerRecord, ContainerState};
use rusqlite::Connection;

use crate::error::DbResult;

/// One container's columns as stored, not yet decoded.
#[derive(Debug)]
pub(crate) struct RawContainer {
    id: String,
    config: String,
    state: Option<String>,
}

/// Every container's JSON, ordered by ID; without states unless `load_state`.
///
/// The rows are read in table order and sorted here, which is cheaper than
/// walking the ID index and looking each row up.
pub(crate) fn all_raw(c: &Connection, load_state: bool) -> DbResult<Vec<RawContainer>> {
    let sql = if load_state {
        "SELECT c.ID, c.JSON, s.JSON FROM ContainerConfig c JOIN ContainerState s ON s.ID = c.ID"
    } else {
        "SELECT ID, JSON, NULL FROM ContainerConfig"
    };
    raw_rows(c, sql)
}

/// Every container with its state, the config without its OCI spec: read
/// from `ContainerListing`, whose rows are a tenth the size of the config
/// rows and need no JSON work in SQLite (see [`crate::schema`]).
pub(crate) fn all_raw_for_listing(c: &Connection) -> DbResult<Vec<RawContainer>> {
    raw_rows(c, LISTING)
}

/// The listing query: the narrow config copy joined with the state.
pub(super) const LISTING: &str = "SELECT l.ID, l.JSON, s.JSON FROM ContainerListing l
     JOIN ContainerState s ON s.ID = l.ID";

fn raw_rows(c: &Connection, sql: &str) -> DbResult<Vec<RawContainer>> {
    let mut stmt = c.prepare_cached(sql)?;
    let rows = stmt.query_map([], |r| {
        Ok(RawContainer {
            id: r.get(0)?,
            config: r.get(1)?,
            state: r.get(2)?,
        })
    })?;
    let mut out = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    out.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

fn decode(raw: &RawContainer) -> DbResult<ContainerRecord> {
    Ok(ContainerRecord {
        config: serde_json::from_str(&raw.config)?,
        state: match &raw.state {
            Some(s) => serde_json::from_str(s)?,
            None => ContainerState::default(),
        },
    })
}

/// Below this many containers, decoding on one thread is as fast.
const PARALLEL_DECODE_MIN: usize = 1024;

/// Decodes rows, on several threads when there are many: with a full OCI
/// spec in every config, JSON decoding costs several times the reading.
pub(crate) fn decode_all(raw: &[RawContainer]) -> DbResult<Vec<ContainerRecord>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(8));
    if threads == 1 || raw.len() < PARALLEL_DECODE_MIN {
        return raw.iter().map(decode).collect();
    }
    let chunk = raw.len().div_ceil(threads);
    std::thread::scope(|s| {
        let parts: Vec<_> = raw
            .chunks(chunk)
            .map(|part| s.spawn(move || part.iter().map(decode).collect::<DbResult<Vec<_>>>()))
            .collect();
        let mut out = Vec::with_capacity(raw.len());
        for part in parts {
            match part.join() {
                Ok(decoded) => out.extend(decoded?),
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        Ok(out)
    })
}
