//! `rpod image inspect` (Podman's image inspect JSON) and `rpod history`.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use rpod_runtime_core::image::{is_image_unknown, layer_chain};
use rpod_runtime_core::runtime::Runtime;
use rpod_runtime_core::time::go_time_string;

use crate::args::{HistoryArgs, ImageInspectArgs};
use crate::commands::Ctx;
use crate::commands::image::{inspect_json, short_id, size_text, storage};
use crate::commands::util::ago;
use crate::exit::CliError;
use crate::format;
use crate::output::{self, OutputFormat};

/// Podman's image inspect records for `names`: the records of the names
/// that are images, and the first name that is not (for the generic
/// `rpod inspect`, which tries containers first and images second).
pub fn inspect_image_records(
    rt: &Runtime,
    names: &[String],
) -> Result<(Vec<Value>, Option<String>), CliError> {
    storage(rt)?;
    let mut out = Vec::new();
    let mut missing = None;
    for n in names {
        match rt.inspect_image(n) {
            Ok(report) => out.push(output::to_value(&report)?),
            Err(e) if is_image_unknown(&e) => {
                missing.get_or_insert_with(|| n.clone());
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok((out, missing))
}

/// Prints Podman's image inspect JSON (or a template per image).
pub fn inspect(args: &ImageInspectArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let fmt = OutputFormat::parse(args.format.as_deref())?;
    let rt = ctx.runtime()?;
    let (records, missing) = inspect_image_records(&rt, &args.images)?;
    let text = match fmt {
        OutputFormat::Template(t) => {
            let mut s = String::new();
            for r in &records {
                s.push_str(&output::execute(&t, r)?);
            }
            s
        }
        _ => inspect_json(&Value::Array(records))?,
    };
    ctx.write(&text)?;
    match missing {
        Some(n) => {
            let e = storage(&rt)?.lookup_image(&n).err();
            Err(CliError::Usage(format!(
                "inspecting object: {}",
                e.map(|e| e.to_string())
                    .unwrap_or_else(|| format!("{n}: image not known"))
            )))
        }
        None => Ok(()),
    }
}

/// One history row.
struct Row {
    id: String,
    created: Option<DateTime<Utc>>,
    created_by: String,
    size: u64,
    comment: String,
}

fn parse_time(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
}

/// Shows an image's history, newest first.
pub fn history(args: &HistoryArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    let store = storage(&rt)?;
    let rec = store.lookup_image(&args.image)?;
    let hist = store.image_history(&rec.id)?;
    let layers = layer_chain(store, &rec.top_layer)?;
    let images = store.images()?;
    let mut layer_idx = 0usize;
    let mut rows = Vec::new();
    for (i, h) in hist.iter().rev().enumerate() {
        let empty = h["empty_layer"].as_bool().unwrap_or(false);
        let (mut id, size) = if empty {
            ("<missing>".to_string(), 0)
        } else {
            let l = layers.get(layer_idx);
            layer_idx += 1;
            match l {
                Some((lid, size)) => (
                    images
                        .iter()
                        .filter(|im| &im.top_layer == lid)
                        .map(|im| im.id.clone())
                        .find(|id| *id == rec.id)
                        .or_else(|| {
                            images
                                .iter()
                                .find(|im| &im.top_layer == lid)
                                .map(|im| im.id.clone())
                        })
                        .unwrap_or_else(|| "<missing>".into()),
                    *size,
                ),
                None => ("<missing>".into(), 0),
            }
        };
        if i == 0 {
            id = rec.id.clone();
        }
        rows.push(Row {
            id,
            created: parse_time(&h["created"]),
            created_by: h["created_by"].as_str().unwrap_or("").to_string(),
            size,
            comment: h["comment"].as_str().unwrap_or("").to_string(),
        });
    }
    let show_id = |id: &str| {
        if args.no_trunc || id == "<missing>" {
            id.to_string()
        } else {
            short_id(id).to_string()
        }
    };
    if args.quiet {
        let s: String = rows.iter().map(|r| show_id(&r.id) + "\n").collect();
        return ctx.write(&s);
    }
    if args.format.as_deref().is_some_and(format::is_json_keyword) {
        let recs: Vec<Value> = rows
            .iter()
            .map(|r| {
                let mut v = json!({
                    "id": r.id,
                    "created": r.created.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
                    "CreatedBy": r.created_by,
                    "size": r.size,
                    "comment": r.comment,
                });
                if r.id == rec.id
                    && let Value::Object(m) = &mut v
                {
                    m.insert("tags".into(), json!(rec.names));
                }
                v
            })
            .collect();
        let s = serde_json::to_string(&recs).map_err(|e| CliError::Usage(e.to_string()))?;
        return ctx.write(&(s + "\n"));
    }
    let data: Vec<Value> = rows
        .iter()
        .map(|r| {
            let mut by = r.created_by.clone();
            if !args.no_trunc && by.chars().count() > 45 {
                by = by.chars().take(42).collect::<String>() + "...";
            }
            let (created, created_at) = match &r.created {
                Some(t) if args.human => (ago(t), go_time_string(t)),
                Some(t) => (
                    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                    go_time_string(t),
                ),
                None => (String::new(), String::new()),
            };
            json!({
                "ID": show_id(&r.id),
                "Created": created,
                "CreatedSince": created,
                "CreatedAt": created_at,
                "CreatedBy": by,
                "Size": if args.human { size_text(r.size) } else { r.size.to_string() },
                "Comment": r.comment,
                "Tags": if r.id == rec.id { json!(rec.names) } else { json!([]) },
            })
        })
        .collect();
    let src = args.format.clone().unwrap_or_else(|| {
        "table {{.ID}}\t{{.Created}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}".to_string()
    });
    let headers: &[(&str, &str)] = &[
        ("ID", "ID"),
        ("Created", "CREATED"),
        ("CreatedBy", "CREATED BY"),
        ("Size", "SIZE"),
        ("Comment", "COMMENT"),
    ];
    let text = if format::is_table(&src) {
        format::render_table(&src, &data, Some(headers))
    } else {
        format::render_each(&src, &data)
    }
    .map_err(|e| CliError::Usage(e.to_string()))?;
    ctx.write(&text)
}
