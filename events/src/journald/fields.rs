//! Journal entries both ways: Podman's fields for an event, the native
//! protocol's encoding, and an event back from `journalctl -o json`.

use std::collections::BTreeMap;

use chrono::{TimeZone, Utc};
use rpod_runtime_core::Result;
use rpod_runtime_core::events::{Event, EventType};
use rpod_runtime_core::time::{parse_rfc3339, rfc3339_nano};
use serde_json::{Map, Value};

use super::SYSLOG_IDENTIFIER;

/// The journal fields Podman records for `e`.
pub(super) fn entry_fields(e: &Event) -> Result<Vec<(&'static str, String)>> {
    let priority = if e.health_status.is_empty() { "6" } else { "5" };
    let mut f = vec![
        ("MESSAGE", e.to_human()),
        ("PRIORITY", priority.to_string()),
        ("SYSLOG_IDENTIFIER", SYSLOG_IDENTIFIER.to_string()),
        ("PODMAN_EVENT", e.status.to_string()),
        ("PODMAN_TYPE", e.event_type.to_string()),
        ("PODMAN_TIME", rfc3339_nano(&e.time)),
    ];
    let labels = |f: &mut Vec<(&'static str, String)>| -> Result<()> {
        if let Some(attrs) = e.attributes.as_ref().filter(|a| !a.is_empty()) {
            f.push(("PODMAN_LABELS", serde_json::to_string(attrs)?));
        }
        Ok(())
    };
    match e.event_type {
        EventType::Image => {
            f.push(("PODMAN_NAME", e.name.clone()));
            f.push(("PODMAN_ID", e.id.clone()));
        }
        EventType::Container | EventType::Pod => {
            f.push(("PODMAN_IMAGE", e.image.clone()));
            f.push(("PODMAN_NAME", e.name.clone()));
            f.push(("PODMAN_ID", e.id.clone()));
            if let Some(code) = e.container_exit_code {
                f.push(("PODMAN_EXIT_CODE", code.to_string()));
            }
            if !e.pod_id.is_empty() {
                f.push(("PODMAN_POD_ID", e.pod_id.clone()));
            }
            labels(&mut f)?;
            if !e.health_status.is_empty() {
                f.push(("PODMAN_HEALTH_STATUS", e.health_status.clone()));
            }
        }
        EventType::Network => {
            f.push(("PODMAN_ID", e.id.clone()));
            f.push(("PODMAN_NETWORK_NAME", e.network.clone()));
            labels(&mut f)?;
        }
        EventType::Volume => f.push(("PODMAN_NAME", e.name.clone())),
        _ if !e.name.is_empty() => f.push(("PODMAN_NAME", e.name.clone())),
        _ => {}
    }
    Ok(f)
}

/// Encodes fields as one native-protocol entry: `NAME=value\n`, or, for a
/// value holding a newline, `NAME\n` + its length as 64-bit little endian +
/// the value + `\n`.
pub(super) fn encode_entry(fields: &[(&str, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in fields {
        debug_assert!(valid_field_name(name), "bad journal field name {name}");
        out.extend_from_slice(name.as_bytes());
        if value.contains('\n') {
            out.push(b'\n');
            out.extend_from_slice(&(value.len() as u64).to_le_bytes());
        } else {
            out.push(b'=');
        }
        out.extend_from_slice(value.as_bytes());
        out.push(b'\n');
    }
    out
}

/// journald accepts names of upper-case letters, digits and `_`, not
/// starting with `_` (reserved for trusted fields) or a digit, at most 64 long.
pub(super) fn valid_field_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// A field of a `journalctl -o json` entry as text: a string, a byte array
/// (non-UTF-8 or binary values), or the first of several values.
pub(super) fn field(entry: &Map<String, Value>, name: &str) -> Option<String> {
    fn text(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Array(items) if items.iter().all(Value::is_u64) => {
                let bytes: Vec<u8> = items
                    .iter()
                    .filter_map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
                    .collect();
                Some(String::from_utf8_lossy(&bytes).into_owned())
            }
            Value::Array(items) => items.first().and_then(text),
            _ => None,
        }
    }
    entry.get(name).and_then(text)
}

/// Turns a journal entry back into an event; `None` for entries that are not
/// events (no `PODMAN_TYPE`) or cannot be decoded.
pub(super) fn event_from_entry(entry: &Map<String, Value>) -> Option<Event> {
    let event_type: EventType = field(entry, "PODMAN_TYPE")?.parse().ok()?;
    let Some(status) = field(entry, "PODMAN_EVENT") else {
        tracing::warn!("journal entry without PODMAN_EVENT skipped");
        return None;
    };
    let time = field(entry, "PODMAN_TIME")
        .and_then(|t| parse_rfc3339(&t))
        .or_else(|| {
            let micros: i64 = field(entry, "__REALTIME_TIMESTAMP")?.parse().ok()?;
            Utc.timestamp_micros(micros).single()
        });
    let Some(time) = time else {
        tracing::warn!("journal entry without a valid PODMAN_TIME skipped");
        return None;
    };
    let mut e = Event::new(event_type, status.parse().ok()?);
    e.time = time;
    e.name = field(entry, "PODMAN_NAME").unwrap_or_default();
    let labels = |e: &mut Event| {
        let Some(raw) = field(entry, "PODMAN_LABELS").filter(|s| !s.is_empty()) else {
            return;
        };
        match serde_json::from_str::<BTreeMap<String, String>>(&raw) {
            Ok(map) if !map.is_empty() => e.attributes = Some(map),
            Ok(_) => {}
            Err(err) => tracing::warn!("bad PODMAN_LABELS in journal entry: {err}"),
        }
    };
    match e.event_type {
        EventType::Container | EventType::Pod => {
            e.id = field(entry, "PODMAN_ID").unwrap_or_default();
            e.image = field(entry, "PODMAN_IMAGE").unwrap_or_default();
            e.pod_id = field(entry, "PODMAN_POD_ID").unwrap_or_default();
            if let Some(code) = field(entry, "PODMAN_EXIT_CODE") {
                match code.parse() {
                    Ok(code) => e.container_exit_code = Some(code),
                    Err(_) => tracing::warn!("bad PODMAN_EXIT_CODE {code:?} in journal entry"),
                }
            }
            labels(&mut e);
            e.health_status = field(entry, "PODMAN_HEALTH_STATUS").unwrap_or_default();
        }
        EventType::Network => {
            e.id = field(entry, "PODMAN_ID").unwrap_or_default();
            e.network = field(entry, "PODMAN_NETWORK_NAME").unwrap_or_default();
            labels(&mut e);
        }
        EventType::Image => e.id = field(entry, "PODMAN_ID").unwrap_or_default(),
        _ => {}
    }
    Some(e)
}
