//! `rpod images` / `rpod image ls`.

use serde_json::{Value, json};

use rpod_runtime_core::image::{ImageFilter, ImageListOptions, ImageSummary};
use rpod_runtime_core::time::{go_time_string, rfc3339_secs};

use crate::args::ImagesArgs;
use crate::commands::Ctx;
use crate::commands::image::{short_id, size_text, split_name, storage};
use crate::commands::util::ago;
use crate::exit::CliError;
use crate::format;

const DEFAULT_TABLE: &str = "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.Created}}\t{{.Size}}";
const DIGEST_TABLE: &str =
    "table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.Created}}\t{{.Size}}";

/// Podman's header names for the image fields.
const HEADERS: &[(&str, &str)] = &[("ID", "IMAGE ID"), ("ReadOnly", "R/O")];

/// Parses `--filter key=value` values.
pub(crate) fn parse_filters(raw: &[String]) -> Result<Vec<(String, String)>, CliError> {
    raw.iter()
        .map(|f| {
            f.split_once('=')
                .map(|(k, v)| (k.to_ascii_lowercase(), v.to_string()))
                .ok_or_else(|| CliError::Usage(format!("invalid image filter {f:?}")))
        })
        .collect()
}

/// Podman's `images --format json` record.
fn json_record(l: &ImageSummary) -> Value {
    let r = &l.rec;
    let digests: Vec<String> = r
        .names
        .iter()
        .map(|n| format!("{}@{}", split_name(n).0, r.digest))
        .collect();
    let mut v = json!({
        "Id": r.id,
        "ParentId": l.parent,
        "RepoTags": null,
        "RepoDigests": digests,
        "Size": r.size,
        "SharedSize": 0,
        "VirtualSize": r.size,
        "Labels": if l.labels.is_empty() { Value::Null } else { json!(l.labels) },
        "Containers": l.containers,
    });
    if let Value::Object(m) = &mut v {
        if r.names.is_empty() {
            m.insert("Dangling".into(), json!(true));
        } else {
            m.insert("Names".into(), json!(r.names));
        }
        m.insert("Digest".into(), json!(r.digest));
        if !r.names.is_empty() {
            m.insert("History".into(), json!(r.names));
        }
        m.insert("Created".into(), json!(r.created.timestamp()));
        m.insert("CreatedAt".into(), json!(rfc3339_secs(&r.created)));
    }
    v
}

/// What a template sees for one repository:tag row.
fn template_record(l: &ImageSummary, name: Option<&str>, no_trunc: bool) -> Value {
    let r = &l.rec;
    let (repo, tag) = name.map_or(("<none>".into(), "<none>".into()), split_name);
    let id = if no_trunc {
        format!("sha256:{}", r.id)
    } else {
        short_id(&r.id).to_string()
    };
    json!({
        "ID": id,
        "Id": r.id,
        "ParentId": l.parent,
        "Repository": repo,
        "Tag": tag,
        "Digest": r.digest,
        "Names": r.names,
        "RepoTags": r.names,
        "History": r.names.join(", "),
        "Created": ago(&r.created),
        "CreatedSince": ago(&r.created),
        "CreatedAt": go_time_string(&r.created),
        "CreatedTime": go_time_string(&r.created),
        "Size": size_text(r.size),
        "SharedSize": size_text(0),
        "VirtualSize": size_text(r.size),
        "Labels": l.labels,
        "Containers": l.containers,
        "Dangling": r.names.is_empty(),
        "ReadOnly": r.read_only,
        "RepoDigests": r.names.iter().map(|n| format!("{}@{}", split_name(n).0, r.digest)).collect::<Vec<_>>(),
    })
}

fn json4(v: &Value) -> Result<String, CliError> {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    serde::Serialize::serialize(v, &mut ser).map_err(|e| CliError::Usage(e.to_string()))?;
    Ok(String::from_utf8_lossy(&buf).into_owned() + "\n")
}

/// Lists images.
pub fn images(args: &ImagesArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let mut filters = parse_filters(&args.filters)?;
    if let Some(r) = &args.reference {
        filters.push(("reference".into(), r.clone()));
    }
    let filters = filters
        .iter()
        .map(|(k, v)| ImageFilter::parse(k, v))
        .collect::<Result<Vec<_>, _>>()?;
    let rt = ctx.runtime()?;
    storage(&rt)?;
    let mut list = rt.list_images(&ImageListOptions {
        all: args.all,
        filters,
    })?;
    match args.sort.as_str() {
        "created" => {}
        "id" => list.sort_by(|a, b| a.rec.id.cmp(&b.rec.id)),
        "size" => list.sort_by_key(|l| l.rec.size),
        "repository" | "tag" => {}
        other => {
            return Err(CliError::Usage(format!(
                "\"{other}\" is not a valid option for --sort: options are created, id, repository, size, tag"
            )));
        }
    }
    if args.quiet {
        let mut s = String::new();
        for l in &list {
            if args.no_trunc {
                s.push_str(&format!("sha256:{}\n", l.rec.id));
            } else {
                s.push_str(&format!("{}\n", short_id(&l.rec.id)));
            }
        }
        return ctx.write(&s);
    }
    if args.format.as_deref().is_some_and(format::is_json_keyword) {
        let recs: Vec<Value> = list.iter().map(json_record).collect();
        return ctx.write(&json4(&Value::Array(recs))?);
    }
    let mut rows: Vec<Value> = Vec::new();
    for l in &list {
        if l.rec.names.is_empty() {
            rows.push(template_record(l, None, args.no_trunc));
        }
        for n in &l.rec.names {
            rows.push(template_record(l, Some(n), args.no_trunc));
        }
    }
    match args.sort.as_str() {
        "repository" => {
            rows.sort_by(|a, b| a["Repository"].as_str().cmp(&b["Repository"].as_str()))
        }
        "tag" => rows.sort_by(|a, b| a["Tag"].as_str().cmp(&b["Tag"].as_str())),
        _ => {}
    }
    let src = args.format.clone().unwrap_or_else(|| {
        if args.digests {
            DIGEST_TABLE.to_string()
        } else {
            DEFAULT_TABLE.to_string()
        }
    });
    let headers = if args.noheading { None } else { Some(HEADERS) };
    crate::output::write_list(ctx, "images", &src, &rows, headers, &format::IMAGES)
}
