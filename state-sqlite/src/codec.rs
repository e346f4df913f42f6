//! JSON columns and time stamps: how records become column values and back.

use chrono::{DateTime, Utc};
use rusqlite::Row;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::DbResult;

/// Encodes a record as the JSON text stored in a `JSON` column.
pub(crate) fn to_json<T: Serialize>(v: &T) -> DbResult<String> {
    Ok(serde_json::to_string(v)?)
}

/// Decodes column `idx` of `row` as JSON, without copying the text.
pub(crate) fn json_col<T: DeserializeOwned>(row: &Row<'_>, idx: usize) -> DbResult<T> {
    let text = row.get_ref(idx)?.as_str()?;
    Ok(serde_json::from_str(text)?)
}

/// A time as Unix nanoseconds, clamped to the `i64` range.
pub(crate) fn to_nanos(t: DateTime<Utc>) -> i64 {
    t.timestamp_nanos_opt().unwrap_or(if t.timestamp() < 0 {
        i64::MIN
    } else {
        i64::MAX
    })
}

/// Unix nanoseconds back to a time.
pub(crate) fn from_nanos(n: i64) -> DateTime<Utc> {
    DateTime::<Utc>::from_timestamp_nanos(n)
}
