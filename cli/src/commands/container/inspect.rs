//! `rpod inspect` / `rpod container inspect`: Podman's JSON shape for containers.

use serde_json::{Value, json};

use rpod_runtime_core::Error;
use rpod_runtime_core::container::{Container, ContainerStatus};

use crate::args::InspectArgs;
use crate::commands::Ctx;
use crate::exit::CliError;
use crate::output::{self, OutputFormat};

fn go_rfc3339(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

fn strings(v: &Value) -> Value {
    if v.is_null() { json!([]) } else { v.clone() }
}

/// The inspect record of one container.
pub(crate) fn inspect_record(c: &Container) -> Value {
    let cfg = c.config();
    let st = c.state();
    let spec = cfg.spec.clone().unwrap_or(Value::Null);
    let process = &spec["process"];
    let args: Vec<String> = cfg.command.clone();
    let running = st.state == ContainerStatus::Running;
    let run_dir = std::path::PathBuf::from(&st.run_dir);
    let bundle = std::path::PathBuf::from(&cfg.static_dir);
    let path_of = |name: &str| {
        let p = run_dir.join(name);
        if p.exists() {
            p.to_string_lossy().into_owned()
        } else {
            String::new()
        }
    };
    let mounts: Vec<Value> = spec["mounts"]
        .as_array()
        .map(|ms| {
            ms.iter()
                .filter(|m| m["type"] == "bind" && !m["destination"].as_str().is_some_and(|d| {
                    ["/etc/hostname", "/etc/hosts", "/etc/resolv.conf", "/dev/shm", "/run/.containerenv"].contains(&d)
                }))
                .map(|m| {
                    let opts: Vec<String> = m["options"].as_array().map(|o| o.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()).unwrap_or_default();
                    json!({
                        "Type": "bind",
                        "Source": m["source"],
                        "Destination": m["destination"],
                        "Driver": "",
                        "Mode": "",
                        "Options": opts.iter().filter(|o| *o != "ro" && *o != "rw").collect::<Vec<_>>(),
                        "RW": !opts.iter().any(|o| o == "ro"),
                        "Propagation": "rprivate",
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let env = strings(&process["env"]);
    json!({
        "Id": cfg.id,
        "Created": go_rfc3339(&cfg.created_time),
        "Path": args.first().cloned().unwrap_or_default(),
        "Args": args.iter().skip(1).collect::<Vec<_>>(),
        "State": {
            "OciVersion": spec["ociVersion"],
            "Status": st.state.as_str(),
            "Running": running,
            "Paused": st.state == ContainerStatus::Paused,
            "Restarting": false,
            "OOMKilled": st.oom_killed,
            "Dead": false,
            "Pid": st.pid,
            "ConmonPid": st.conmon_pid,
            "ExitCode": st.exit_code,
            "Error": "",
            "StartedAt": go_rfc3339(&st.started_time),
            "FinishedAt": go_rfc3339(&st.finished_time),
            "Health": { "Status": "", "FailingStreak": 0, "Log": null },
            "CgroupPath": spec["linux"]["cgroupsPath"].as_str().unwrap_or(""),
            "CheckpointedAt": go_rfc3339(&st.checkpointed_time),
            "RestoredAt": go_rfc3339(&st.restored_time),
        },
        "Image": cfg.rootfs_image_id,
        "ImageDigest": "",
        "ImageName": cfg.rootfs_image_name,
        "Rootfs": cfg.rootfs,
        "Pod": cfg.pod.clone().unwrap_or_default(),
        "ResolvConfPath": path_of("resolv.conf"),
        "HostnamePath": path_of("hostname"),
        "HostsPath": path_of("hosts"),
        "StaticDir": cfg.static_dir,
        "OCIConfigPath": bundle.join("config.json").to_string_lossy(),
        "OCIRuntime": cfg.oci_runtime,
        "ConmonPidFile": run_dir.join("conmon.pid").to_string_lossy(),
        "PidFile": run_dir.join("pidfile").to_string_lossy(),
        "Name": cfg.name,
        "RestartCount": st.restart_count,
        "Driver": "overlay",
        "MountLabel": "",
        "ProcessLabel": "",
        "AppArmorProfile": "",
        "EffectiveCaps": strings(&process["capabilities"]["effective"]),
        "BoundingCaps": strings(&process["capabilities"]["bounding"]),
        "ExecIDs": st.exec_sessions.keys().collect::<Vec<_>>(),
        "GraphDriver": { "Name": "overlay", "Data": { "MergedDir": cfg.rootfs } },
        "Mounts": mounts,
        "Dependencies": cfg.all_dependencies(),
        "NetworkSettings": {
            "EndpointID": "", "Gateway": "", "IPAddress": "", "IPPrefixLen": 0,
            "IPv6Gateway": "", "GlobalIPv6Address": "", "GlobalIPv6PrefixLen": 0,
            "MacAddress": "", "Bridge": "", "SandboxID": "", "HairpinMode": false,
            "LinkLocalIPv6Address": "", "LinkLocalIPv6PrefixLen": 0, "Ports": {},
            "SandboxKey": "",
        },
        "Namespace": cfg.namespace,
        "IsInfra": false,
        "IsService": false,
        "Config": {
            "Hostname": spec["hostname"],
            "Domainname": "",
            "User": if process["user"]["uid"].as_u64().unwrap_or(0) == 0 { String::new() } else { process["user"]["uid"].to_string() },
            "AttachStdin": cfg.stdin,
            "AttachStdout": false,
            "AttachStderr": false,
            "Tty": process["terminal"].as_bool().unwrap_or(false),
            "OpenStdin": cfg.stdin,
            "StdinOnce": false,
            "Env": env,
            "Cmd": args,
            "Image": cfg.rootfs_image_name,
            "Volumes": null,
            "WorkingDir": process["cwd"],
            "Entrypoint": "",
            "OnBuild": null,
            "Labels": cfg.labels,
            "Annotations": spec["annotations"],
            "StopSignal": cfg.stop_signal,
            "CreateCommand": cfg.create_command,
            "Umask": "0022",
            "Timeout": 0,
            "StopTimeout": cfg.stop_timeout,
            "Passwd": true,
            "sdNotifyMode": "container",
        },
        "HostConfig": {
            "Binds": [],
            "CgroupManager": "cgroupfs",
            "CgroupMode": "private",
            "ContainerIDFile": "",
            "LogConfig": { "Type": cfg.log_driver, "Config": null, "Path": cfg.log_path, "Tag": "", "Size": "0B" },
            "NetworkMode": if spec["linux"]["namespaces"].as_array().is_some_and(|ns| ns.iter().any(|n| n["type"] == "network")) { "private" } else { "host" },
            "PortBindings": {},
            "RestartPolicy": { "Name": "", "MaximumRetryCount": 0 },
            "AutoRemove": cfg.auto_remove,
            "CapAdd": [],
            "CapDrop": [],
            "Privileged": cfg.create_command.iter().any(|a| a == "--privileged"),
            "ReadonlyRootfs": spec["root"]["readonly"].as_bool().unwrap_or(false),
            "Memory": spec["linux"]["resources"]["memory"]["limit"].as_i64().unwrap_or(0),
            "PidsLimit": spec["linux"]["resources"]["pids"]["limit"].as_i64().unwrap_or(0),
            "Ulimits": spec["process"]["rlimits"],
            "Init": cfg.create_command.iter().any(|a| a == "--init"),
        },
    })
}

/// Prints Podman's inspect JSON (or a template per object). Unknown names
/// print `[]` then `Error: inspecting object: no such object: "x"`.
pub fn inspect(args: &InspectArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let fmt = OutputFormat::parse(args.format.as_deref())?;
    let rt = ctx.runtime()?;
    let mut names = args.names.clone();
    if args.latest {
        let mut all = rt.containers()?;
        all.sort_by_key(|c| std::cmp::Reverse(c.config().created_time));
        names = all
            .first()
            .map(|c| vec![c.id().to_string()])
            .unwrap_or_default();
    }
    if names.is_empty() {
        return Err(CliError::Usage("no names or ids specified".into()));
    }
    let mut records = Vec::new();
    let mut not_containers: Vec<String> = Vec::new();
    for n in &names {
        match rt.lookup_container(n) {
            Ok(mut c) => {
                if matches!(
                    c.state().state,
                    ContainerStatus::Running | ContainerStatus::Paused | ContainerStatus::Stopping
                ) {
                    let _ = c.refresh_state();
                }
                records.push(inspect_record(&c));
            }
            Err(e) if e.is(&Error::NoSuchCtr) => not_containers.push(n.clone()),
            Err(e) => return Err(e.into()),
        }
    }
    // Names that are not containers may be images (Podman's generic inspect).
    let missing = if not_containers.is_empty() {
        None
    } else if rt.storage()?.is_some() {
        let (images, missing) =
            crate::commands::image::inspect_image_records(&rt, &not_containers)?;
        records.extend(images);
        missing
    } else {
        not_containers.first().cloned()
    };
    let text = match fmt {
        OutputFormat::Template(t) => {
            let mut s = String::new();
            for r in &records {
                s.push_str(&output::execute(&t, r)?);
            }
            s
        }
        _ => {
            let mut buf = Vec::new();
            let fmt4 = serde_json::ser::PrettyFormatter::with_indent(b"    ");
            let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt4);
            serde::Serialize::serialize(&Value::Array(records), &mut ser)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            String::from_utf8_lossy(&buf).into_owned() + "\n"
        }
    };
    ctx.write(&text)?;
    match missing {
        Some(n) => Err(CliError::Usage(format!(
            "inspecting object: no such object: {n:?}"
        ))),
        None => Ok(()),
    }
}
