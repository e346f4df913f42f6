//! `rpod ps`.

use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use rpod_runtime_core::container::{Container, ContainerStatus};
use rpod_runtime_core::time::{go_time_string, is_go_zero};

use crate::args::PsArgs;
use crate::commands::Ctx;
use crate::commands::util::{ago, dir_size, human_size};
use crate::exit::CliError;
use crate::format;
use crate::output::OutputFormat;

const DEFAULT_TABLE: &str = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

/// Podman's header names for the ps fields.
const HEADERS: &[(&str, &str)] = &[
    ("ID", "CONTAINER ID"),
    ("CreatedHuman", "CREATED"),
    ("RunningFor", "CREATED"),
    ("Created", "CREATED"),
    ("CreatedAt", "CREATED AT"),
    ("Names", "NAMES"),
    ("Status", "STATUS"),
    ("Size", "SIZE"),
];

/// Podman's human status: `Up 3 seconds ago`, `Exited (3) 2 minutes ago`, `Created` ...
fn status_text(c: &Container) -> String {
    let st = c.state();
    match st.state {
        ContainerStatus::Running => format!("Up {}", ago(&st.started_time)),
        ContainerStatus::Exited | ContainerStatus::Stopped => {
            format!("Exited ({}) {}", st.exit_code, ago(&st.finished_time))
        }
        other => {
            let s = other.as_str();
            let mut cs = s.chars();
            cs.next()
                .map(|f| f.to_uppercase().collect::<String>() + cs.as_str())
                .unwrap_or_default()
        }
    }
}

fn unix(t: &DateTime<Utc>) -> i64 {
    if is_go_zero(t) { 0 } else { t.timestamp() }
}

/// The JSON record Podman prints with `--format json`.
fn json_record(c: &Container, size: bool) -> Value {
    let cfg = c.config();
    let st = c.state();
    let size_v = if size {
        json!({ "rwSize": 0, "rootFsSize": dir_size(Path::new(&cfg.rootfs)) })
    } else {
        Value::Null
    };
    json!({
        "AutoRemove": cfg.auto_remove,
        "Command": cfg.command,
        "Created": cfg.created_time.timestamp(),
        "CreatedAt": ago(&cfg.created_time),
        "Exited": st.exited,
        "ExitedAt": unix(&st.finished_time),
        "ExitCode": st.exit_code,
        "Id": cfg.id,
        "Image": cfg.rootfs_image_name,
        "ImageID": cfg.rootfs_image_id,
        "IsInfra": false,
        "Labels": if cfg.labels.is_empty() { Value::Null } else { json!(cfg.labels) },
        "Mounts": [],
        "Names": [cfg.name],
        "Namespaces": {},
        "Networks": [],
        "Pid": st.pid,
        "Pod": cfg.pod.clone().unwrap_or_default(),
        "PodName": "",
        "Ports": null,
        "Size": size_v,
        "StartedAt": unix(&st.started_time),
        "State": st.state.as_str(),
        "Status": status_text(c),
    })
}

/// What a template sees: Podman's reporter fields.
fn template_record(c: &Container, no_trunc: bool, size: bool) -> Value {
    let cfg = c.config();
    let st = c.state();
    let mut command = cfg.command.join(" ");
    if !no_trunc && command.chars().count() > 17 {
        command = command.chars().take(17).collect::<String>() + "...";
    }
    let id = if no_trunc {
        cfg.id.clone()
    } else {
        cfg.id[..12].to_string()
    };
    let size_text = if size {
        format!(
            "0B (virtual {})",
            human_size(dir_size(Path::new(&cfg.rootfs)))
        )
    } else {
        String::new()
    };
    json!({
        "ID": id,
        "Image": cfg.rootfs_image_name,
        "ImageID": cfg.rootfs_image_id,
        "Command": command,
        "CreatedHuman": ago(&cfg.created_time),
        "Created": go_time_string(&cfg.created_time),
        "CreatedAt": go_time_string(&cfg.created_time),
        "RunningFor": ago(&cfg.created_time),
        "Status": status_text(c),
        "State": status_text(c),
        "Ports": "",
        "Names": cfg.name,
        "Labels": cfg.labels,
        "Mounts": "",
        "Networks": "",
        "Pod": cfg.pod.clone().unwrap_or_default(),
        "PodName": "",
        "Size": size_text,
        "Pid": st.pid,
        "ExitCode": st.exit_code,
        "Exited": st.exited,
        "ExitedAt": unix(&st.finished_time),
        "StartedAt": unix(&st.started_time),
        "AutoRemove": cfg.auto_remove,
        "IsInfra": false,
        "Namespaces": {},
    })
}

/// Applies `--filter` (id, name, status, label, exited, ancestor; OR within a key, AND across).
fn matches(c: &Container, filters: &[(String, String)]) -> Result<bool, CliError> {
    let mut keys: Vec<&str> = filters.iter().map(|(k, _)| k.as_str()).collect();
    keys.dedup();
    for key in keys {
        let any = filters.iter().filter(|(k, _)| k == key).any(|(_, v)| {
            let cfg = c.config();
            let st = c.state();
            match key {
                "id" => cfg.id.starts_with(v.as_str()),
                "name" => cfg.name.contains(v.as_str()),
                "status" => {
                    st.state.as_str() == v
                        || (v == "configured" && st.state == ContainerStatus::Configured)
                }
                "label" => match v.split_once('=') {
                    Some((lk, lv)) => cfg.labels.get(lk).is_some_and(|x| x == lv),
                    None => cfg.labels.contains_key(v.as_str()),
                },
                "exited" => st.exited && v.parse::<i32>().is_ok_and(|code| code == st.exit_code),
                "ancestor" => {
                    !cfg.rootfs_image_name.is_empty() && cfg.rootfs_image_name.contains(v.as_str())
                }
                _ => false,
            }
        });
        if !any {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Lists containers.
pub fn ps(args: &PsArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let mut filters = Vec::new();
    for f in &args.filters {
        let (k, v) = f
            .split_once('=')
            .ok_or_else(|| CliError::Usage(format!("invalid filter {f:?}")))?;
        let k = k.to_ascii_lowercase();
        if !["id", "name", "status", "label", "exited", "ancestor"].contains(&k.as_str()) {
            return Err(CliError::Usage(format!("{k} is an invalid filter")));
        }
        if k == "status"
            && ![
                "created",
                "configured",
                "initialized",
                "exited",
                "paused",
                "running",
                "stopped",
                "stopping",
                "removing",
                "unknown",
            ]
            .contains(&v)
        {
            return Err(CliError::Usage(format!("{v} is not a valid status")));
        }
        filters.push((k, v.to_string()));
    }
    let fmt_src = args.format.clone();
    let out_fmt = OutputFormat::parse(fmt_src.as_deref().filter(|f| !format::is_table(f)))?;
    let rt = ctx.runtime()?;
    let mut ctrs = rt.containers_for_listing()?;
    for c in ctrs.iter_mut() {
        // Pick up exits that no cleanup has recorded yet.
        if matches!(
            c.state().state,
            ContainerStatus::Running | ContainerStatus::Paused | ContainerStatus::Stopping
        ) {
            let _ = c.refresh_state();
        }
    }
    let all = args.all || args.last >= 0 || args.latest || !filters.is_empty();
    let mut list: Vec<Container> = Vec::new();
    for c in ctrs {
        if !all && c.state().state != ContainerStatus::Running {
            continue;
        }
        if matches(&c, &filters)? {
            list.push(c);
        }
    }
    let by_created =
        |a: &Container, b: &Container| b.config().created_time.cmp(&a.config().created_time);
    list.sort_by(by_created);
    if args.latest {
        list.truncate(1);
    } else if args.last >= 0 {
        list.truncate(args.last as usize);
    }
    match args.sort.as_str() {
        "created" | "runningfor" => {}
        "id" => list.sort_by(|a, b| a.id().cmp(b.id())),
        "names" => list.sort_by(|a, b| a.name().cmp(b.name())),
        "image" => list.sort_by(|a, b| {
            a.config()
                .rootfs_image_name
                .cmp(&b.config().rootfs_image_name)
        }),
        "command" => list.sort_by(|a, b| a.config().command.cmp(&b.config().command)),
        "status" => list.sort_by_key(status_text),
        "size" => {}
        other => {
            return Err(CliError::Usage(format!(
                "invalid option for --sort, options are: command, created, id, image, names, runningfor, size, or status: {other}"
            )));
        }
    }
    if args.quiet {
        let mut s = String::new();
        for c in &list {
            s.push_str(if args.no_trunc { c.id() } else { &c.id()[..12] });
            s.push('\n');
        }
        return ctx.write(&s);
    }
    let text = match (&out_fmt, fmt_src) {
        (OutputFormat::Json, _) => {
            let recs: Vec<Value> = list.iter().map(|c| json_record(c, args.size)).collect();
            crate::output::pretty_json(&Value::Array(recs))?
        }
        (_, src) => {
            let rows: Vec<Value> = list
                .iter()
                .map(|c| template_record(c, args.no_trunc, args.size))
                .collect();
            let src = src.unwrap_or_else(|| {
                if args.size {
                    format!("{DEFAULT_TABLE}\t{{{{.Size}}}}")
                } else {
                    DEFAULT_TABLE.to_string()
                }
            });
            if format::is_table(&src) {
                format::render_table(&src, &rows, Some(HEADERS))
                    .map_err(|e| CliError::Usage(e.to_string()))?
            } else {
                format::render_each(&src, &rows).map_err(|e| CliError::Usage(e.to_string()))?
            }
        }
    };
    ctx.write(&text)
}
