//! `rpod ps`.

use std::borrow::Cow;
use std::path::Path;

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use rpod_runtime_core::container::{
    Container, ContainerConfig, ContainerFilter, ContainerListOptions, ContainerState,
    ContainerStatus, ExternalContainer, ListedContainer,
};
use rpod_runtime_core::time::{go_time_string, is_go_zero};

use crate::args::PsArgs;
use crate::commands::Ctx;
use crate::commands::util::{ago, dir_size, human_size};
use crate::exit::CliError;
use crate::format;

const DEFAULT_TABLE: &str = "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.CreatedHuman}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}";

/// Podman's header overrides for ps; other fields are headed by their
/// names ([`format::PS`] lists them).
const HEADERS: &[(&str, &str)] = &[
    ("Cgroup", "CGROUPNS"),
    ("CreatedHuman", "CREATED"),
    ("ID", "CONTAINER ID"),
    ("IPC", "IPC"),
    ("MNT", "MNT"),
    ("NET", "NET"),
    ("Networks", "NETWORKS"),
    ("PIDNS", "PIDNS"),
    ("Pod", "POD ID"),
    ("PodName", "PODNAME"),
    ("RunningFor", "RUNNING FOR"),
    ("UTS", "UTS"),
    ("User", "USERNS"),
];

/// Podman's human status: `Up 3 seconds ago`, `Exited (3) 2 minutes ago`, `Created` ...
fn status_text(c: &Container) -> String {
    state_status_text(c.state())
}

fn state_status_text(st: &ContainerState) -> String {
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
        "Networks": c.networks().map(|n| n.into_keys().collect::<Vec<_>>()).unwrap_or_default(),
        "Pid": st.pid,
        "Pod": cfg.pod.clone().unwrap_or_default(),
        "PodName": "",
        "Ports": if cfg.port_mappings.is_empty() { Value::Null } else { json!(cfg.port_mappings) },
        "Size": size_v,
        "StartedAt": unix(&st.started_time),
        "State": st.state.as_str(),
        "Status": status_text(c),
    })
}

/// The JSON record Podman prints for an external container: what the store
/// knows, state `storage`.
fn json_external(e: &ExternalContainer) -> Value {
    json!({
        "AutoRemove": false,
        "Command": [e.origin.as_str()],
        "Created": e.created.timestamp(),
        "CreatedAt": ago(&e.created),
        "Exited": false,
        "ExitedAt": 0,
        "ExitCode": 0,
        "Id": e.id,
        "Image": e.image_name,
        "ImageID": e.image_id,
        "IsInfra": false,
        "Labels": null,
        "Mounts": [],
        "Names": [e.name],
        "Namespaces": {},
        "Networks": [],
        "Pid": 0,
        "Pod": "",
        "PodName": "",
        "Ports": null,
        "Size": null,
        "StartedAt": 0,
        "State": ExternalContainer::STATE,
        "Status": "",
    })
}

/// A listing row as the template and sort code read it: an engine
/// container's own config and state, or a stand-in made from what the
/// store knows of an external one (whose status reads `Storage`).
struct RowView<'a> {
    row: &'a ListedContainer,
    cfg: Cow<'a, ContainerConfig>,
    st: Cow<'a, ContainerState>,
}

impl<'a> RowView<'a> {
    fn of(row: &'a ListedContainer) -> RowView<'a> {
        match row {
            ListedContainer::Engine(c) => RowView {
                row,
                cfg: Cow::Borrowed(c.config()),
                st: Cow::Borrowed(c.state()),
            },
            ListedContainer::External(e) => {
                let mut cfg = ContainerConfig::new(e.id.clone(), e.name.clone(), 0);
                cfg.created_time = e.created;
                cfg.rootfs_image_id = e.image_id.clone();
                cfg.rootfs_image_name = e.image_name.clone();
                cfg.command = vec![e.origin.as_str().to_string()];
                RowView {
                    row,
                    cfg: Cow::Owned(cfg),
                    st: Cow::Owned(ContainerState::default()),
                }
            }
        }
    }

    fn status(&self) -> String {
        match self.row {
            ListedContainer::External(_) => "Storage".to_string(),
            ListedContainer::Engine(_) => state_status_text(&self.st),
        }
    }

    fn json(&self, size: bool) -> Value {
        match self.row {
            ListedContainer::Engine(c) => json_record(c, size),
            ListedContainer::External(e) => json_external(e),
        }
    }
}

/// The fields of a template record that a format can read
/// ([`format::fields_read`]): building only those gives the same output and
/// skips the costly ones (time formatting, label maps) that the default
/// table never shows.
#[derive(Debug)]
struct Wanted {
    /// `None` when the format can see the whole record.
    names: Option<std::collections::BTreeSet<String>>,
}

impl Wanted {
    fn new(src: &str) -> Self {
        Wanted {
            names: format::fields_read(src),
        }
    }

    fn has(&self, field: &str) -> bool {
        self.names.as_ref().is_none_or(|n| n.contains(field))
    }
}

/// What a template sees: Podman's reporter fields (those `want` names).
fn template_record(
    cfg: &ContainerConfig,
    st: &ContainerState,
    status: &str,
    no_trunc: bool,
    size: bool,
    want: &Wanted,
) -> Value {
    let mut m = Map::new();
    let mut put = |key: &str, value: &dyn Fn() -> Value| {
        if want.has(key) {
            m.insert(key.to_string(), value());
        }
    };
    put("ID", &|| {
        Value::String(if no_trunc {
            cfg.id.clone()
        } else {
            cfg.id[..12].to_string()
        })
    });
    put("Image", &|| json!(cfg.rootfs_image_name));
    put("ImageID", &|| json!(cfg.rootfs_image_id));
    put("Command", &|| {
        let mut command = cfg.command.join(" ");
        if !no_trunc && command.chars().count() > 17 {
            command = command.chars().take(17).collect::<String>() + "...";
        }
        Value::String(command)
    });
    put("CreatedHuman", &|| Value::String(ago(&cfg.created_time)));
    put("Created", &|| {
        Value::String(go_time_string(&cfg.created_time))
    });
    put("CreatedAt", &|| {
        Value::String(go_time_string(&cfg.created_time))
    });
    put("RunningFor", &|| Value::String(ago(&cfg.created_time)));
    put("Status", &|| Value::String(status.to_string()));
    put("State", &|| Value::String(status.to_string()));
    put("Ports", &|| json!(ports_text(&cfg.port_mappings)));
    put("Names", &|| json!(cfg.name));
    put("Labels", &|| json!(cfg.labels));
    put("Mounts", &|| json!(""));
    put("Networks", &|| json!(""));
    put("Pod", &|| json!(cfg.pod.clone().unwrap_or_default()));
    put("PodName", &|| json!(""));
    put("Size", &|| {
        Value::String(if size {
            format!(
                "0B (virtual {})",
                human_size(dir_size(Path::new(&cfg.rootfs)))
            )
        } else {
            String::new()
        })
    });
    put("Pid", &|| json!(st.pid));
    put("ExitCode", &|| json!(st.exit_code));
    put("Exited", &|| json!(st.exited));
    put("ExitedAt", &|| json!(unix(&st.finished_time)));
    put("StartedAt", &|| json!(unix(&st.started_time)));
    put("AutoRemove", &|| json!(cfg.auto_remove));
    put("IsInfra", &|| json!(false));
    put("Namespaces", &|| json!({}));
    Value::Object(m)
}

/// Fills in what a row says of the container's pod: `Pod` (its ID,
/// short unless `no_trunc`), `PodName`, and `IsInfra`, where the row has
/// those keys.
fn with_pod(
    mut row: Value,
    cfg: &ContainerConfig,
    pod_names: &std::collections::BTreeMap<String, String>,
    no_trunc: bool,
) -> Value {
    let Some(m) = row.as_object_mut() else {
        return row;
    };
    let pod = cfg.pod.clone().unwrap_or_default();
    if m.contains_key("Pod") {
        let id = if no_trunc {
            pod.clone()
        } else {
            pod.chars().take(12).collect()
        };
        m.insert("Pod".into(), json!(id));
    }
    if m.contains_key("PodName") {
        let name = pod_names.get(&pod).cloned().unwrap_or_default();
        m.insert("PodName".into(), json!(name));
    }
    if m.contains_key("IsInfra") {
        m.insert("IsInfra".into(), json!(cfg.is_infra));
    }
    row
}

/// Applies `--filter` (id, name, status, label, exited, ancestor; OR within a key, AND across).
/// Lists containers.
pub fn ps(args: &PsArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let mut filters = args
        .filters
        .iter()
        .map(|f| ContainerFilter::parse(f))
        .collect::<Result<Vec<_>, _>>()?;
    let fmt_src = args.format.clone();
    let json = crate::output::check_list_format(fmt_src.as_deref(), "ps")?;
    let rt = ctx.runtime()?;
    // `pod=` takes a pod's name too: the engine filters by ID.
    for f in &mut filters {
        if let ContainerFilter::Pod(p) = f
            && let Ok(pod) = rt.lookup_pod(p)
        {
            *p = pod.id().to_string();
        }
    }
    let pod_names: std::collections::BTreeMap<String, String> = rt
        .pods()?
        .iter()
        .map(|p| (p.id().to_string(), p.name().to_string()))
        .collect();
    let list = rt.list_containers(&ContainerListOptions {
        all: args.all,
        last: usize::try_from(args.last).ok(),
        latest: args.latest,
        filters,
        external: args.external,
    })?;
    let mut views: Vec<RowView<'_>> = list.iter().map(RowView::of).collect();
    match args.sort.as_str() {
        "created" | "runningfor" => {}
        "id" => views.sort_by(|a, b| a.cfg.id.cmp(&b.cfg.id)),
        "names" => views.sort_by(|a, b| a.cfg.name.cmp(&b.cfg.name)),
        "image" => views.sort_by(|a, b| a.cfg.rootfs_image_name.cmp(&b.cfg.rootfs_image_name)),
        "command" => views.sort_by(|a, b| a.cfg.command.cmp(&b.cfg.command)),
        "status" => views.sort_by_cached_key(RowView::status),
        "size" => {}
        other => {
            return Err(CliError::Usage(format!(
                "invalid option for --sort, options are: command, created, id, image, names, runningfor, size, or status: {other}"
            )));
        }
    }
    if args.quiet {
        let mut s = String::new();
        for v in &views {
            let id = v.cfg.id.as_str();
            s.push_str(if args.no_trunc {
                id
            } else {
                &id[..12.min(id.len())]
            });
            s.push('\n');
        }
        return ctx.write(&s);
    }
    let text = match (json, fmt_src) {
        (true, _) => {
            let recs: Vec<Value> = views
                .iter()
                .map(|v| with_pod(v.json(args.size), &v.cfg, &pod_names, true))
                .collect();
            crate::output::pretty_json(&Value::Array(recs))?
        }
        (_, src) => {
            let src = src.unwrap_or_else(|| {
                let mut t = DEFAULT_TABLE.to_string();
                if args.size {
                    t.push_str("\t{{.Size}}");
                }
                if args.pod {
                    t.push_str("\t{{.Pod}}\t{{.PodName}}");
                }
                t
            });
            let want = Wanted::new(&src);
            let rows: Vec<Value> = views
                .iter()
                .map(|v| {
                    let row = template_record(
                        &v.cfg,
                        &v.st,
                        &v.status(),
                        args.no_trunc,
                        args.size,
                        &want,
                    );
                    with_pod(row, &v.cfg, &pod_names, args.no_trunc)
                })
                .collect();
            let headers = if args.noheading { None } else { Some(HEADERS) };
            return crate::output::write_list(ctx, "ps", &src, &rows, headers, &format::PS);
        }
    };
    ctx.write(&text)
}

/// Podman's PORTS column: `hostip:port->port/proto`, ranges as `a-b`,
/// joined by `, `.
fn ports_text(maps: &[rpod_runtime_core::network::PortMapping]) -> String {
    maps.iter()
        .map(|m| {
            let ip = if m.host_ip.is_empty() {
                "0.0.0.0"
            } else {
                m.host_ip.as_str()
            };
            let range = |p: u16| {
                if m.range > 1 {
                    format!("{p}-{}", p.saturating_add(m.range - 1))
                } else {
                    p.to_string()
                }
            };
            format!(
                "{ip}:{}->{}/{}",
                range(m.host_port),
                range(m.container_port),
                m.protocol
            )
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn ports_column_is_podmans() {
        let maps = [
            rpod_runtime_core::network::ports::parse_publish("127.0.0.1:8080:80").unwrap(),
            rpod_runtime_core::network::ports::parse_publish("9000-9001:90-91/udp").unwrap(),
        ]
        .concat();
        assert_eq!(
            ports_text(&maps),
            "127.0.0.1:8080->80/tcp, 0.0.0.0:9000-9001->90-91/udp"
        );
    }

    fn sample() -> (ContainerConfig, ContainerState) {
        let mut cfg = ContainerConfig::new(
            "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "web-1",
            3,
        );
        cfg.created_time = Utc
            .timestamp_opt(1_700_000_000, 123_450_000)
            .single()
            .unwrap();
        cfg.command = vec!["sh".into(), "-c".into(), "sleep 1000 && echo done".into()];
        cfg.rootfs_image_name = "localhost/busybox:latest".into();
        cfg.rootfs_image_id = "92e4e444a8fe".into();
        cfg.labels.insert("tier".into(), "front".into());
        cfg.pod = Some("pod-id".into());
        let st = ContainerState {
            state: ContainerStatus::Exited,
            exit_code: 3,
            exited: true,
            pid: 0,
            finished_time: Utc.timestamp_opt(1_700_000_100, 0).single().unwrap(),
            ..ContainerState::default()
        };
        (cfg, st)
    }

    /// Every field, as a format that sees the whole record gets them.
    fn full(cfg: &ContainerConfig, st: &ContainerState, no_trunc: bool) -> Value {
        template_record(
            cfg,
            st,
            &state_status_text(st),
            no_trunc,
            false,
            &Wanted { names: None },
        )
    }

    #[test]
    fn bare_dots_and_variables_want_every_field() {
        for src in [
            "{{json .}}",
            "{{.}}",
            "{{range $k, $v := .}}{{$k}} {{end}}",
            "{{index . \"ID\"}}",
            "{{ . }}",
            "{{with .Labels}}{{.}}{{end}}",
        ] {
            assert!(Wanted::new(src).names.is_none(), "{src}");
        }
        // Dots in strings and in text are not field reads: the template's
        // parse tree, not its text, decides.
        for src in ["{{printf \"%.3s\" .Names}}", "{{.Names}}."] {
            let w = Wanted::new(src);
            assert!(w.has("Names"), "{src}");
            assert!(!w.has("ID") && !w.has("Labels"), "{src}");
        }
        let w = Wanted::new(DEFAULT_TABLE);
        assert!(w.names.is_some());
        assert!(w.has("Names") && w.has("CreatedHuman") && w.has("Status"));
        // Whole names only: `.CreatedHuman` does not name `Created`.
        assert!(!w.has("Created") && !w.has("ImageID"));
        assert!(!w.has("Labels") && !w.has("CreatedAt") && !w.has("Size"));
        let w = Wanted::new("{{.Labels.tier}} {{ .Created }}");
        assert!(w.has("Labels") && w.has("tier") && w.has("Created"));
        assert!(!w.has("CreatedAt") && !w.has("Names"));
    }

    /// Building only the named fields renders exactly what the whole record
    /// renders, for tables, per-row formats and formats that see it all.
    #[test]
    fn only_the_named_fields_render_the_same() {
        let (cfg, st) = sample();
        let with_size = format!("{DEFAULT_TABLE}\t{{{{.Size}}}}");
        for src in [
            DEFAULT_TABLE,
            with_size.as_str(),
            "{{.Names}} {{.Status}}",
            "{{.ID}} {{.Command}} {{.CreatedAt}} {{.Created}} {{.Labels}}",
            "{{.Labels.tier}} {{.Pod}} {{.ExitCode}} {{.Exited}} {{.ExitedAt}}",
            "table {{.ID}}\t{{.Image}}\t{{.ImageID}}\t{{.RunningFor}}\t{{.State}}",
            "{{if .Exited}}exited{{end}} {{.Pid}}",
            "{{json .}}",
            "{{.}}",
            "{{range $k, $v := .}}{{$k}}={{$v}};{{end}}",
            "{{index . \"Names\"}}",
        ] {
            for no_trunc in [false, true] {
                let want = Wanted::new(src);
                let some = [template_record(
                    &cfg,
                    &st,
                    &state_status_text(&st),
                    no_trunc,
                    false,
                    &want,
                )];
                let all = [full(&cfg, &st, no_trunc)];
                let render = |rows: &[Value]| {
                    crate::output::render_list("ps", src, rows, Some(HEADERS), &format::PS).unwrap()
                };
                assert_eq!(render(&some), render(&all), "{src} (no_trunc {no_trunc})");
            }
        }
    }

    #[test]
    fn the_default_table_skips_the_costly_fields() {
        let (cfg, st) = sample();
        let rec = template_record(
            &cfg,
            &st,
            &state_status_text(&st),
            false,
            false,
            &Wanted::new(DEFAULT_TABLE),
        );
        let all = full(&cfg, &st, false);
        let (rec, all) = (rec.as_object().unwrap(), all.as_object().unwrap());
        for key in rec.keys() {
            assert_eq!(rec.get(key), all.get(key), "{key}");
        }
        for key in ["Labels", "Created", "CreatedAt", "Namespaces", "Size"] {
            assert!(!rec.contains_key(key), "{key}");
        }
        assert_eq!(rec["ID"], "0123456789ab");
        assert_eq!(rec["Command"], "sh -c sleep 1000 ...");
        assert!(rec["Status"].as_str().unwrap().starts_with("Exited (3) "));
    }
}
