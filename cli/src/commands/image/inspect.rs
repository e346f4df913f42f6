//! `rpod image inspect` (Podman's image inspect JSON) and `rpod history`.

use serde_json::{Value, json};

use rpod_runtime_core::image::{MISSING_ID, is_image_unknown};
use rpod_runtime_core::runtime::Runtime;
use rpod_runtime_core::time::{go_time_string, rfc3339_secs, rfc3339_si};

use crate::args::{HistoryArgs, ImageInspectArgs};
use crate::commands::Ctx;
use crate::commands::image::{inspect_json, short_id, size_text, storage};
use crate::commands::util::ago;
use crate::exit::CliError;
use crate::format;
use crate::output;

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
    let json = output::check_list_format(args.format.as_deref(), "inspect")?;
    let rt = ctx.runtime()?;
    let (records, missing) = inspect_image_records(&rt, &args.images)?;
    let text = match args.format.as_deref() {
        Some(src) if !json && !src.is_empty() => {
            output::write_inspect(ctx, src, &records, &format::IMAGE_INSPECT)?;
            String::new()
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

/// Shows an image's history, newest first.
pub fn history(args: &HistoryArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    storage(&rt)?;
    let rows = rt.image_history(&args.image)?;
    let show_id = |id: &str| {
        if args.no_trunc || id == MISSING_ID {
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
                    "created": r.created.as_ref().map(rfc3339_si),
                    "CreatedBy": r.created_by,
                    "size": r.size,
                    "comment": r.comment,
                });
                if rows.first().is_some_and(|top| top.id == r.id)
                    && let Value::Object(m) = &mut v
                {
                    m.insert("tags".into(), json!(r.tags));
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
                Some(t) => (rfc3339_secs(t), go_time_string(t)),
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
                "Tags": r.tags,
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
    crate::output::write_list(ctx, "history", &src, &data, Some(headers), &format::HISTORY)
}
