//! `rpod pod ...`: create, start, stop, restart, kill, pause, unpause, rm,
//! prune, ps, inspect, exists, top.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use rpod_runtime_core::Error;
use rpod_runtime_core::container::spec::NetworkMode;
use rpod_runtime_core::pod::{
    ListedPod, Pod, PodCreateOptions, PodErrors, PodFilter, PodRmOptions, SharedNamespaces,
};
use rpod_runtime_core::runtime::Runtime;

use crate::args::{
    LogsArgs, PodCommand, PodCreateArgs, PodExistsArgs, PodInspectArgs, PodKillArgs, PodLogsArgs,
    PodPruneArgs, PodPsArgs, PodRmArgs, PodSimpleArgs, PodStopArgs, PodTargets, PodTopArgs,
};
use crate::commands::Ctx;
use crate::commands::util::{ago, parse_signal};
use crate::exit::CliError;
use crate::format::{self, Schema};
use crate::output;

/// `pod ps` rows (Podman's `ListPodReporter`).
const POD_PS: Schema = Schema {
    root: "pods.ListPodReporter",
    fields: &[("Labels", "map[string]string")],
    struct_fields: &[],
};

/// `pod inspect` (Podman's `InspectPodData`).
const POD_INSPECT: Schema = Schema {
    root: "*define.InspectPodData",
    fields: &[
        ("Labels", "map[string]string"),
        ("InfraConfig", "*define.InspectPodInfraConfig"),
    ],
    struct_fields: &[],
};

/// Podman's `pod ps` headers.
const PS_HEADERS: &[(&str, &str)] = &[
    ("Id", "POD ID"),
    ("ID", "POD ID"),
    ("Name", "NAME"),
    ("Status", "STATUS"),
    ("Labels", "LABELS"),
    ("NumberOfContainers", "# OF CONTAINERS"),
    ("Created", "CREATED"),
    ("InfraID", "INFRA ID"),
    ("InfraId", "INFRA ID"),
    ("ContainerIds", "IDS"),
    ("ContainerNames", "NAMES"),
    ("ContainerStatuses", "STATUS"),
    ("Cgroup", "CGROUP"),
    ("Namespace", "NAMESPACES"),
];

/// Runs one `pod` subcommand.
pub fn dispatch(command: &PodCommand, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    match command {
        PodCommand::Create(a) => create(a, ctx),
        PodCommand::Start(a) => simple(a, ctx, |p| p.start()),
        PodCommand::Pause(a) => simple(a, ctx, |p| p.pause()),
        PodCommand::Unpause(a) => simple(a, ctx, |p| p.unpause()),
        PodCommand::Stop(a) => stop(a, ctx, false),
        PodCommand::Restart(a) => stop(a, ctx, true),
        PodCommand::Kill(a) => kill(a, ctx),
        PodCommand::Rm(a) => rm(a, ctx),
        PodCommand::Prune(a) => prune(a, ctx),
        PodCommand::Ps(a) => ps(a, ctx),
        PodCommand::Inspect(a) => inspect(a, ctx),
        PodCommand::Exists(a) => exists(a, ctx),
        PodCommand::Top(a) => top(a, ctx),
        PodCommand::Logs(a) => logs(a, ctx),
    }
}

fn labels(list: &[String]) -> BTreeMap<String, String> {
    list.iter()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap_or((l.as_str(), ""));
            (k.to_string(), v.to_string())
        })
        .collect()
}

/// The engine options of `pod create` (also used by `run --pod new:NAME`).
pub(crate) fn create_options(
    a: &PodCreateArgs,
    share_given: bool,
) -> Result<PodCreateOptions, CliError> {
    if a.name.is_some() && a.pod_name.is_some() {
        return Err(CliError::Usage(
            "cannot specify a pod name both as an argument and with --name".into(),
        ));
    }
    let share = if !a.infra {
        if share_given && !a.share.is_empty() && a.share != "none" {
            return Err(CliError::Usage(format!(
                "cannot set share({}) namespaces without an infra container",
                a.share
            )));
        }
        SharedNamespaces::default()
    } else {
        SharedNamespaces::parse(&a.share)?
    };
    if !a.publish.is_empty() {
        if !a.infra {
            return Err(CliError::Usage(
                "you must have an infra container to publish port bindings to the host".into(),
            ));
        }
        return Err(CliError::Usage(
            "publishing ports (-p) is not yet supported: bridge networking is not implemented"
                .into(),
        ));
    }
    let network = match a.network.as_deref() {
        None | Some("") | Some("private") => NetworkMode::Private,
        Some(_) if !a.infra => {
            return Err(CliError::Usage(
                "NoInfra and network modes cannot be used together".into(),
            ));
        }
        Some("none") => NetworkMode::None,
        Some("host") => NetworkMode::Host,
        Some(other) => {
            return Err(CliError::Usage(format!(
                "network {other:?} is not supported yet: use none, host or private"
            )));
        }
    };
    let infra_command = match &a.infra_command {
        Some(c) if c.trim_start().starts_with('[') => Some(
            serde_json::from_str::<Vec<String>>(c)
                .map_err(|e| CliError::Usage(format!("invalid --infra-command {c:?}: {e}")))?,
        ),
        Some(c) => Some(vec![c.clone()]),
        None => None,
    };
    Ok(PodCreateOptions {
        name: a
            .name
            .clone()
            .or_else(|| a.pod_name.clone())
            .unwrap_or_default(),
        labels: labels(&a.labels),
        hostname: a.hostname.clone().unwrap_or_default(),
        share,
        infra: a.infra,
        infra_image: a.infra_image.clone().unwrap_or_default(),
        infra_command,
        infra_name: a.infra_name.clone().unwrap_or_default(),
        exit_policy: a.exit_policy.clone(),
        network,
        create_command: std::env::args().collect(),
    })
}

/// `rpod pod create`: prints the new pod's ID.
fn create(a: &PodCreateArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let share_given = std::env::args().any(|x| x == "--share" || x.starts_with("--share="));
    let opts = create_options(a, share_given)?;
    if let Some(f) = &a.pod_id_file
        && f.exists()
    {
        return Err(CliError::Usage(format!(
            "pod id file exists. Ensure another pod is not using it or delete {}",
            f.display()
        )));
    }
    let rt = ctx.runtime()?;
    if a.replace {
        if opts.name.is_empty() {
            return Err(CliError::Usage(
                "cannot replace pod without --name being set".into(),
            ));
        }
        match rt.lookup_pod(&opts.name) {
            Ok(mut p) => p.remove(PodRmOptions {
                force: true,
                timeout: None,
            })?,
            Err(e) if e.is(&Error::NoSuchPod) => {}
            Err(e) => return Err(e.into()),
        }
    }
    let pod = rt.create_pod(opts)?;
    if let Some(f) = &a.pod_id_file {
        std::fs::write(f, pod.id())
            .map_err(|e| CliError::Usage(format!("failed to write pod ID to file: {e}")))?;
    }
    ctx.write(&format!("{}\n", pod.id()))
}

/// The pods a verb acts on: the named ones, all, or the latest.
fn targets(rt: &Runtime, t: &PodTargets, ignore: bool) -> Result<Vec<Pod>, CliError> {
    if (t.all || t.latest) && !t.pods.is_empty() {
        return Err(CliError::Usage(
            "when using the --all or --latest flag, no pods may be specified".into(),
        ));
    }
    if t.all {
        return Ok(rt.pods()?);
    }
    if t.latest {
        let mut pods = rt.pods()?;
        pods.sort_by_key(|p| p.config().created);
        return Ok(pods.pop().into_iter().collect());
    }
    if t.pods.is_empty() {
        return Err(CliError::Usage(
            "you must provide at least one name or id".into(),
        ));
    }
    let mut out = Vec::new();
    for name in &t.pods {
        match rt.lookup_pod(name) {
            Ok(p) => out.push(p),
            Err(e) if ignore && e.is(&Error::NoSuchPod) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(out)
}

/// Prints every error but the last (returned), as Podman's `PrintErrors`.
fn report_errors(errors: Vec<Error>) -> Result<(), CliError> {
    let mut errors = errors.into_iter().peekable();
    while let Some(e) = errors.next() {
        if errors.peek().is_none() {
            return Err(e.into());
        }
        let _ = crate::report(&CliError::Engine(e), &mut std::io::stderr());
    }
    Ok(())
}

/// Runs `verb` on each target pod; prints the IDs of those it worked on.
fn each_pod(
    ctx: &mut Ctx<'_>,
    pods: Vec<Pod>,
    mut verb: impl FnMut(&mut Pod) -> rpod_runtime_core::Result<PodErrors>,
) -> Result<(), CliError> {
    let mut errors = Vec::new();
    for mut p in pods {
        match verb(&mut p) {
            Ok(errs) if errs.is_empty() => ctx.write(&format!("{}\n", p.id()))?,
            Ok(errs) => errors.extend(errs),
            Err(e) => errors.push(e),
        }
    }
    report_errors(errors)
}

fn simple(
    a: &PodSimpleArgs,
    ctx: &mut Ctx<'_>,
    verb: impl FnMut(&mut Pod) -> rpod_runtime_core::Result<PodErrors>,
) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    let pods = targets(&rt, &a.targets, false)?;
    each_pod(ctx, pods, verb)
}

fn stop(a: &PodStopArgs, ctx: &mut Ctx<'_>, restart: bool) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    let pods = targets(&rt, &a.targets, a.ignore)?;
    each_pod(ctx, pods, |p| {
        if restart {
            p.restart(a.time)
        } else {
            p.stop(a.time)
        }
    })
}

fn kill(a: &PodKillArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let sig = parse_signal(&a.signal)?;
    let rt = ctx.runtime()?;
    let pods = targets(&rt, &a.targets, false)?;
    each_pod(ctx, pods, |p| p.kill(sig))
}

fn rm(a: &PodRmArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    let mut names = a.targets.pods.clone();
    for f in &a.pod_id_file {
        match std::fs::read_to_string(f) {
            Ok(id) => names.push(id.trim().to_string()),
            Err(_) if a.ignore => {}
            Err(e) => {
                return Err(CliError::Usage(format!(
                    "reading pod ID file {}: {e}",
                    f.display()
                )));
            }
        }
    }
    let t = PodTargets {
        all: a.targets.all,
        latest: a.targets.latest,
        pods: names,
    };
    let pods = targets(&rt, &t, a.ignore || a.force)?;
    let opts = PodRmOptions {
        force: a.force,
        timeout: a.time,
    };
    each_pod(ctx, pods, |p| p.remove(opts).map(|()| Vec::new()))
}

fn prune(a: &PodPruneArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    if !a.force {
        return Err(CliError::Usage(
            "pod prune needs confirmation: pass -f/--force (rpod does not prompt yet)".into(),
        ));
    }
    let rt = ctx.runtime()?;
    let mut errors = Vec::new();
    for r in rt.prune_pods()? {
        match r.err {
            None => ctx.write(&format!("{}\n", r.id))?,
            Some(e) => errors.push(e),
        }
    }
    report_errors(errors)
}

fn exists(a: &PodExistsArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    match rt.lookup_pod(&a.pod) {
        Ok(_) => Ok(()),
        Err(e) if e.is(&Error::NoSuchPod) => Err(CliError::Exit(1)),
        Err(e) => Err(e.into()),
    }
}

fn inspect(a: &PodInspectArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let json_out = output::check_list_format(a.format.as_deref(), "inspect")?;
    let rt = ctx.runtime()?;
    let pods = targets(
        &rt,
        &PodTargets {
            all: false,
            latest: a.latest,
            pods: a.pods.clone(),
        },
        false,
    )?;
    let mut records = Vec::new();
    for p in &pods {
        records.push(output::to_value(&p.inspect()?)?);
    }
    match a.format.as_deref() {
        Some(src) if !json_out && !src.is_empty() => {
            output::write_inspect(ctx, src, &records, &POD_INSPECT)
        }
        _ => {
            // Podman prints one object for one pod, a list for several.
            let v = if records.len() == 1 {
                records.remove(0)
            } else {
                Value::Array(records)
            };
            // Inspect output is indented by four spaces, as Podman's.
            let mut buf = Vec::new();
            let fmt4 = serde_json::ser::PrettyFormatter::with_indent(b"    ");
            let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt4);
            serde::Serialize::serialize(&v, &mut ser)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            ctx.write(&(String::from_utf8_lossy(&buf).into_owned() + "\n"))
        }
    }
}

fn short(id: &str, no_trunc: bool) -> String {
    if no_trunc {
        id.to_string()
    } else {
        id.chars().take(12).collect()
    }
}

/// A `pod ps` row as templates read it (`ListPodReporter`'s fields and methods).
fn ps_row(p: &ListedPod, no_trunc: bool) -> Value {
    let ids: Vec<String> = p
        .containers
        .iter()
        .map(|c| short(&c.id, no_trunc))
        .collect();
    let names: Vec<&str> = p.containers.iter().map(|c| c.names.as_str()).collect();
    let statuses: Vec<&str> = p.containers.iter().map(|c| c.status.as_str()).collect();
    let id = short(&p.id, no_trunc);
    let infra = short(&p.infra_id, no_trunc);
    json!({
        "Cgroup": p.cgroup,
        "ContainerIds": ids.join(","),
        "ContainerNames": names.join(","),
        "ContainerStatuses": statuses.join(","),
        "Containers": p.containers,
        "Created": ago(&p.created),
        "ID": id,
        "Id": id,
        "InfraID": infra,
        "InfraId": infra,
        "Labels": p.labels,
        "Name": p.name,
        "Namespace": p.namespace,
        "Networks": p.networks.join(","),
        "NumberOfContainers": p.containers.len(),
        "Status": p.status,
    })
}

fn ps(a: &PodPsArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    if a.quiet && a.format.is_some() {
        return Err(CliError::Usage(
            "quiet and format cannot be used together".into(),
        ));
    }
    let json_out = output::check_list_format(a.format.as_deref(), "ps")?;
    let filters = a
        .filters
        .iter()
        .map(|f| PodFilter::parse(f))
        .collect::<Result<Vec<_>, _>>()?;
    let rt = ctx.runtime()?;
    let mut rows = rt.list_pods(&filters)?;
    match a.sort.as_str() {
        "created" => rows.sort_by_key(|r| std::cmp::Reverse(r.created)),
        "id" => rows.sort_by(|x, y| x.id.cmp(&y.id)),
        "name" => rows.sort_by(|x, y| x.name.cmp(&y.name)),
        "number" => rows.sort_by_key(|x| x.containers.len()),
        "status" => rows.sort_by(|x, y| x.status.cmp(&y.status)),
        _ => {
            return Err(CliError::Usage(
                "invalid option for --sort, options are: id, names, or number".into(),
            ));
        }
    }
    if a.latest {
        rows.sort_by_key(|r| std::cmp::Reverse(r.created));
        rows.truncate(1);
    }
    if json_out {
        return ctx.write(&output::pretty_json(&output::to_value(&rows)?)?);
    }
    if a.quiet {
        let text: String = rows
            .iter()
            .map(|r| format!("{}\n", short(&r.id, a.no_trunc)))
            .collect();
        return ctx.write(&text);
    }
    let values: Vec<Value> = rows.iter().map(|r| ps_row(r, a.no_trunc)).collect();
    let src = match a.format.as_deref() {
        Some(f) if !f.is_empty() => f.to_string(),
        _ => {
            let mut row = vec![
                "{{.Id}}",
                "{{.Name}}",
                "{{.Status}}",
                "{{.Created}}",
                "{{.InfraID}}",
            ];
            if a.ctr_ids {
                row.push("{{.ContainerIds}}");
            }
            if a.ctr_names {
                row.push("{{.ContainerNames}}");
            }
            if a.ctr_status {
                row.push("{{.ContainerStatuses}}");
            }
            if a.ns {
                row.extend(["{{.Cgroup}}", "{{.Namespace}}"]);
            }
            if !a.ctr_ids && !a.ctr_names && !a.ctr_status {
                row.push("{{.NumberOfContainers}}");
            }
            format!("table {}", row.join("\t"))
        }
    };
    let headers = if a.noheading { None } else { Some(PS_HEADERS) };
    if format::is_table(&src) {
        output::write_list(ctx, "ps", &src, &values, headers, &POD_PS)
    } else {
        output::write_list(ctx, "ps", &src, &values, None, &POD_PS)
    }
}

/// `pod top`: the processes of every running container, one table
/// (Podman's default descriptors).
fn top(a: &PodTopArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    let (pod, descriptors) = if a.latest {
        let mut pods = rt.pods()?;
        pods.sort_by_key(|p| p.config().created);
        let p = pods
            .pop()
            .ok_or_else(|| CliError::Usage("no pods to find latest from".into()))?;
        (p, a.args.clone())
    } else {
        let Some((name, rest)) = a.args.split_first() else {
            return Err(CliError::Usage(
                "you must provide the name or id of a running pod".into(),
            ));
        };
        (rt.lookup_pod(name)?, rest.to_vec())
    };
    let descriptors: Vec<String> = descriptors
        .iter()
        .flat_map(|d| d.split(',').map(str::to_string).collect::<Vec<_>>())
        .filter(|d| !d.is_empty())
        .collect();
    let mut header: Option<Vec<String>> = None;
    let mut lines = Vec::new();
    let mut any_running = false;
    for (mut c, status) in pod.container_states()? {
        if status != rpod_runtime_core::container::ContainerStatus::Running {
            continue;
        }
        any_running = true;
        let (h, rows) = c.top(&descriptors)?;
        header.get_or_insert(h);
        lines.extend(rows);
    }
    if !any_running {
        return Err(CliError::Usage(format!(
            "pod top can only be used on pods with at least one running container: pod {} has no running containers",
            pod.id()
        )));
    }
    let mut text = header.unwrap_or_default().join("\t");
    text.push('\n');
    for r in lines {
        text.push_str(&r.join("\t"));
        text.push('\n');
    }
    ctx.write(&format::align(&text))
}

/// `pod logs`: the logs of the pod's containers (not the infra
/// container's), or of the one `-c` names, as `logs` prints several.
fn logs(a: &PodLogsArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    let pod = targets(
        &rt,
        &PodTargets {
            all: false,
            latest: a.latest,
            pods: a.pod.clone().into_iter().collect(),
        },
        false,
    )?
    .into_iter()
    .next()
    .ok_or_else(|| CliError::Usage("no pod to show the logs of".into()))?;
    let members: Vec<_> = pod
        .containers()?
        .into_iter()
        .filter(|c| !c.config().is_infra)
        .collect();
    let containers: Vec<String> = match &a.container {
        Some(name) => {
            let c = rt.lookup_container(name)?;
            if c.config().pod.as_deref() != Some(pod.id()) {
                return Err(CliError::Usage(format!(
                    "container {name} is not in pod {}",
                    pod.name()
                )));
            }
            vec![c.id().to_string()]
        }
        None => members.iter().map(|c| c.id().to_string()).collect(),
    };
    if containers.is_empty() {
        return Err(CliError::Usage(format!(
            "pod {} has no containers to show logs of",
            pod.name()
        )));
    }
    drop(rt);
    let args = LogsArgs {
        follow: a.follow,
        tail: a.tail,
        since: a.since.clone(),
        until: a.until.clone(),
        timestamps: a.timestamps,
        names: a.names,
        latest: false,
        containers,
    };
    super::container::logs(&args, ctx)
}
