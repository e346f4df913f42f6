//! `create` and `run`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use rpod_runtime_core::Error;
use rpod_runtime_core::container::log_config::{self, LogSettings};
use rpod_runtime_core::container::spec::{ContainerSettings, NetworkMode, parse_cap_names};
use rpod_runtime_core::container::{
    Container, ContainerNetworking, CreateOptions, RemoveOptions, parse_add_host, parse_mount_flag,
    parse_network_flag, parse_volume_flag,
};
use rpod_runtime_core::network::ports;
use rpod_runtime_core::oci::AttachEnd;

use crate::args::{CreateArgs, CreateFlags, RunArgs};
use crate::commands::Ctx;
use crate::commands::util::{parse_detach_keys, parse_memory, parse_signal, process_io};
use crate::exit::CliError;

fn read_env_file(path: &PathBuf) -> Result<Vec<String>, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("reading env file {}: {e}", path.display())))?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_string)
        .collect())
}

/// Turns the flags into the runtime's create options.
pub(crate) fn create_options(f: &CreateFlags, argv: &[String]) -> Result<CreateOptions, CliError> {
    let networking = networking(f)?;
    let mut env = Vec::new();
    for file in &f.env_file {
        env.extend(read_env_file(file)?);
    }
    for e in &f.env {
        if e.contains('=') {
            env.push(e.clone());
        } else {
            // `-e NAME` takes the value from rpod's environment, as Podman does.
            #[allow(clippy::disallowed_methods)]
            if let Ok(v) = std::env::var(e) {
                env.push(format!("{e}={v}"));
            }
        }
    }
    let network = NetworkMode::Private;
    let mut labels = BTreeMap::new();
    for l in &f.labels {
        let (k, v) = l.split_once('=').unwrap_or((l.as_str(), ""));
        labels.insert(k.to_string(), v.to_string());
    }
    let security = parse_security_opts(&f.security_opt)?;
    let cgroups_disabled = match f.cgroups.as_deref() {
        None | Some("enabled") => false,
        Some("disabled") => true,
        Some(other) => return Err(CliError::Usage(format!("invalid cgroup mode {other:?}"))),
    };
    let tmpfs = f
        .tmpfs
        .iter()
        .map(|t| {
            let (d, o) = t.split_once(':').unwrap_or((t.as_str(), ""));
            (d.to_string(), o.to_string())
        })
        .collect();
    let entrypoint = match &f.entrypoint {
        Some(e) if e.trim_start().starts_with('[') => Some(
            serde_json::from_str::<Vec<String>>(e)
                .map_err(|err| CliError::Usage(format!("invalid --entrypoint {e:?}: {err}")))?,
        ),
        Some(e) if e.is_empty() => Some(Vec::new()),
        Some(e) => Some(vec![e.clone()]),
        None => None,
    };
    // With --rootfs there is no image config to fall back on.
    if f.rootfs && entrypoint.as_ref().is_none_or(Vec::is_empty) && f.command.is_empty() {
        return Err(CliError::Usage(
            "no command or entrypoint provided, and no CMD or ENTRYPOINT from image".into(),
        ));
    }
    let mut mounts = Vec::new();
    for v in &f.volumes {
        mounts.push(parse_volume_flag(v)?);
    }
    for m in &f.mounts {
        mounts.push(parse_mount_flag(m)?);
    }
    Ok(CreateOptions {
        name: f.name.clone().unwrap_or_default(),
        rootfs: if f.rootfs {
            PathBuf::from(&f.image)
        } else {
            PathBuf::new()
        },
        image: if f.rootfs {
            String::new()
        } else {
            f.image.clone()
        },
        entrypoint,
        stdin: f.interactive,
        settings: ContainerSettings {
            command: f.command.clone(),
            env,
            terminal: f.tty,
            user: f.user.clone().unwrap_or_default(),
            workdir: f.workdir.clone().unwrap_or_default(),
            workdir_from_image: false,
            hostname: f.hostname.clone().unwrap_or_default(),
            cap_add: parse_cap_names(&f.cap_add)?,
            cap_drop: parse_cap_names(&f.cap_drop)?,
            privileged: f.privileged,
            read_only: f.read_only,
            no_new_privileges: security.no_new_privileges,
            seccomp_profile: security.seccomp_profile,
            apparmor_profile: security.apparmor_profile,
            mask: security.mask,
            unmask: security.unmask,
            binds: Vec::new(),
            tmpfs,
            ulimits: f.ulimit.clone(),
            memory: f.memory.as_deref().map(parse_memory).transpose()?,
            cpus: f.cpus,
            pids_limit: f.pids_limit,
            cgroups_disabled,
            network,
            init: f.init,
        },
        labels,
        stop_signal: f
            .stop_signal
            .as_deref()
            .map(|s| parse_signal(s).map(|n| n as u32))
            .transpose()?,
        stop_timeout: f.stop_timeout,
        auto_remove: f.rm,
        log: LogSettings::from_flags(f.log_driver.as_deref(), &f.log_opt)?,
        runtime: String::new(),
        create_command: argv.to_vec(),
        mounts,
        volumes_from: f.volumes_from.clone(),
        image_volume: f.image_volume.clone(),
        networking,
        pod: f.pod.clone(),
    })
}

/// The network flags as the engine takes them.
fn networking(f: &CreateFlags) -> Result<ContainerNetworking, CliError> {
    let mut publish = Vec::new();
    for p in &f.publish {
        publish.extend(ports::parse_publish(p)?);
    }
    if f.publish_all {
        for e in &f.expose {
            for mut m in ports::parse_publish(e)? {
                m.host_port = 0;
                m.host_ip.clear();
                publish.push(m);
            }
        }
    }
    for h in &f.add_host {
        parse_add_host(h)?;
    }
    Ok(ContainerNetworking {
        mode: parse_network_flag(&f.network)?,
        publish,
        publish_all: f.publish_all,
        static_ips: f.ip.iter().chain(f.ip6.iter()).cloned().collect(),
        mac_address: f.mac_address.clone().unwrap_or_default(),
        aliases: f.network_alias.clone(),
        dns_servers: f.dns.clone(),
        dns_search: f.dns_search.clone(),
        dns_options: f.dns_option.clone(),
        add_hosts: f.add_host.clone(),
        no_hosts: f.no_hosts,
    })
}

/// What `--security-opt` options say.
#[derive(Debug, Default, PartialEq, Eq)]
struct SecurityOpts {
    no_new_privileges: bool,
    seccomp_profile: Option<String>,
    apparmor_profile: Option<String>,
    mask: Vec<String>,
    unmask: Vec<String>,
}

/// Parses `--security-opt` values as Podman spells them (`KEY=VALUE`, or
/// the older `KEY:VALUE`). `label=...` is accepted and has no effect: there
/// is no SELinux labelling here, as with Podman on a host without SELinux.
fn parse_security_opts(opts: &[String]) -> Result<SecurityOpts, CliError> {
    let mut out = SecurityOpts::default();
    for o in opts {
        if o == "no-new-privileges" {
            out.no_new_privileges = true;
            continue;
        }
        let Some((key, value)) = o.split_once('=').or_else(|| o.split_once(':')) else {
            return Err(CliError::Usage(format!("invalid --security-opt 1: {o:?}")));
        };
        match (key, value) {
            ("no-new-privileges", "true") => out.no_new_privileges = true,
            ("no-new-privileges", "false") => out.no_new_privileges = false,
            // An empty profile means the default one.
            ("seccomp", profile) => {
                out.seccomp_profile = (!profile.is_empty()).then(|| profile.to_string());
            }
            ("label", _) => {}
            ("apparmor", profile) => {
                out.apparmor_profile = (!profile.is_empty()).then(|| profile.to_string());
            }
            ("mask", paths) => out.mask.extend(paths.split(':').map(String::from)),
            ("unmask", paths) => out.unmask.extend(paths.split(':').map(String::from)),
            _ => return Err(CliError::Usage(format!("invalid --security-opt 2: {o:?}"))),
        }
    }
    Ok(out)
}

/// `--pod new:NAME` creates the pod first (with Podman's defaults, and
/// the container's `--hostname` as the pod's); `--pod-id-file` names the
/// pod by the ID in the file.
fn resolve_pod(
    rt: &rpod_runtime_core::runtime::Runtime,
    f: &CreateFlags,
    opts: &mut CreateOptions,
) -> Result<(), CliError> {
    if let Some(file) = &f.pod_id_file {
        let id = std::fs::read_to_string(file)
            .map_err(|e| CliError::Usage(format!("reading pod ID file {}: {e}", file.display())))?;
        opts.pod = Some(id.trim().to_string());
        return Ok(());
    }
    let Some(name) = f.pod.as_deref().and_then(|p| p.strip_prefix("new:")) else {
        return Ok(());
    };
    let pod_opts = rpod_runtime_core::pod::PodCreateOptions {
        name: name.to_string(),
        hostname: std::mem::take(&mut opts.settings.hostname),
        share: rpod_runtime_core::pod::SharedNamespaces::DEFAULT,
        infra: true,
        create_command: argv(),
        ..Default::default()
    };
    let pod = rt.create_pod(pod_opts)?;
    opts.pod = Some(pod.id().to_string());
    Ok(())
}

fn argv() -> Vec<String> {
    std::env::args().collect()
}

/// `--log-driver passthrough` hands the container rpod's stdio, which
/// Podman refuses when any of it is a terminal.
fn check_passthrough(f: &CreateFlags) -> Result<bool, CliError> {
    use std::io::IsTerminal;
    if f.log_driver.as_deref() != Some(log_config::PASSTHROUGH) {
        return Ok(false);
    }
    if std::io::stdin().is_terminal()
        || std::io::stdout().is_terminal()
        || std::io::stderr().is_terminal()
    {
        return Err(CliError::Usage(
            "the '--log-driver passthrough' option cannot be used on a TTY".into(),
        ));
    }
    Ok(true)
}

/// `rpod create`: prints the new container's ID (not for a passthrough
/// container, whose stdout is the container's).
pub fn create(args: &CreateArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let passthrough = check_passthrough(&args.flags)?;
    let mut opts = create_options(&args.flags, &argv())?;
    let rt = ctx.runtime()?;
    resolve_pod(&rt, &args.flags, &mut opts)?;
    let c = rt.create_container(opts)?;
    if passthrough {
        return Ok(());
    }
    ctx.write(&format!("{}\n", c.id()))
}

/// `rpod run`: create, start (attached unless `-d`), pass the exit code through.
pub fn run(args: &RunArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let passthrough = check_passthrough(&args.flags)?;
    let mut opts = create_options(&args.flags, &argv())?;
    let detach_keys = parse_detach_keys(args.detach_keys.as_deref().unwrap_or("ctrl-p,ctrl-q"))?;
    let rt = ctx.runtime()?;
    resolve_pod(&rt, &args.flags, &mut opts)?;
    let mut c = rt.create_container(opts)?;
    if args.detach {
        let started = c.start();
        if let Err(e) = started {
            return Err(fail_and_maybe_remove(c, args.flags.rm, e));
        }
        if passthrough {
            return Ok(());
        }
        return ctx.write(&format!("{}\n", c.id()));
    }
    let raw =
        crate::commands::terminal::RawTerminal::enter(args.flags.tty && args.flags.interactive);
    if args.flags.tty {
        crate::commands::terminal::forward_resizes(&c);
    }
    let proxy = args
        .sig_proxy
        .then(|| super::lifecycle::SignalProxy::start(&c));
    let io = process_io(args.flags.interactive, detach_keys);
    let end = c.start_attached(io);
    drop(proxy);
    drop(raw);
    match end {
        Err(e) => Err(fail_and_maybe_remove(c, args.flags.rm, e)),
        Ok(AttachEnd::Detached) => Ok(()),
        Ok(AttachEnd::Ended) => {
            let code = finish(&mut c)?;
            if args.flags.rm {
                remove_quietly(&mut c);
            }
            if code == 0 {
                Ok(())
            } else {
                Err(CliError::Exit(code))
            }
        }
    }
}

/// Waits for the container's process to exit, cleans up (not waiting for
/// conmon's exit command), and returns the exit code.
pub(crate) fn finish(c: &mut Container) -> Result<i32, CliError> {
    Ok(c.cleanup_after_exit()?)
}

fn remove_quietly(c: &mut Container) {
    let opts = RemoveOptions {
        force: true,
        volumes: true,
        timeout: Some(0),
    };
    if let Err(e) = c.remove(opts)
        && !e.is(&Error::CtrRemoved)
        && !e.is(&Error::NoSuchCtr)
    {
        tracing::warn!("removing container {}: {e}", c.id());
    }
}

/// A failed start of `run`: removes the container with `--rm`, prints the
/// error and exits with Podman's code for it.
fn fail_and_maybe_remove(mut c: Container, rm: bool, e: Error) -> CliError {
    if rm {
        remove_quietly(&mut c);
    }
    let code = crate::exit::start_failure_exit_code(&e);
    let _ = crate::report(&CliError::Engine(e), &mut std::io::stderr());
    CliError::Exit(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(opts: &[&str]) -> Result<SecurityOpts, String> {
        let v: Vec<String> = opts.iter().map(|s| s.to_string()).collect();
        parse_security_opts(&v).map_err(|e| e.to_string())
    }

    #[test]
    fn security_opts_spell_as_podman() {
        let o = parse(&["seccomp=unconfined", "label=disable", "no-new-privileges"]).unwrap();
        assert_eq!(o.seccomp_profile.as_deref(), Some("unconfined"));
        assert!(o.no_new_privileges);
        let o = parse(&["seccomp:/p.json", "no-new-privileges=false"]).unwrap();
        assert_eq!(o.seccomp_profile.as_deref(), Some("/p.json"));
        assert!(!o.no_new_privileges);
        assert_eq!(parse(&["seccomp="]).unwrap(), SecurityOpts::default());
        let o = parse(&["mask=/a:/b", "unmask=ALL"]).unwrap();
        assert_eq!(
            (o.mask, o.unmask),
            (vec!["/a".into(), "/b".into()], vec!["ALL".into()])
        );
        assert_eq!(
            parse(&["frob"]).unwrap_err(),
            "invalid --security-opt 1: \"frob\""
        );
        assert_eq!(
            parse(&["frob=1"]).unwrap_err(),
            "invalid --security-opt 2: \"frob=1\""
        );
    }
}
