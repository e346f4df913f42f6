//! `start`, `stop`, `kill`, `restart`, `pause`, `unpause`, `wait`, `rm`,
//! `rename`, `container cleanup|exists|prune`, `port`, and signal forwarding.

use std::time::Duration;

use nix::sys::signal::{SigSet, SigmaskHow, Signal, pthread_sigmask};

use rpod_runtime_core::Error;
use rpod_runtime_core::container::{
    CleanupOptions, Container, ContainerRmOptions, TargetScope, WaitCondition,
};
use rpod_runtime_core::runtime::Runtime;
use rpod_runtime_core::time::parse_go_duration;

use super::{for_each, for_each_target, resolve, targets};
use crate::args::{
    CleanupArgs, ExistsArgs, KillArgs, NamesArgs, PortArgs, PruneArgs, RenameArgs, RmArgs,
    StartArgs, StopArgs, WaitArgs,
};
use crate::commands::Ctx;
use crate::commands::util::{parse_detach_keys, parse_signal, process_io};
use crate::exit::CliError;

/// Forwards the signals a user sends to `rpod` (Ctrl-C ...) to a container
/// while it runs attached (`--sig-proxy`).
pub(crate) struct SignalProxy {
    set: SigSet,
}

fn proxied() -> SigSet {
    let mut set = SigSet::empty();
    for s in [
        Signal::SIGINT,
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGQUIT,
        Signal::SIGUSR1,
        Signal::SIGUSR2,
    ] {
        set.add(s);
    }
    set
}

impl SignalProxy {
    /// Blocks the proxied signals in this thread (threads started later
    /// inherit that) and forwards them to `c` from a thread of its own.
    pub(crate) fn start(c: &Container) -> SignalProxy {
        let set = proxied();
        let _ = pthread_sigmask(SigmaskHow::SIG_BLOCK, Some(&set), None);
        let (rt, id) = (c_runtime(c), c.id().to_string());
        std::thread::spawn(move || {
            while let Ok(sig) = set.wait() {
                if let Some(rt) = &rt
                    && let Ok(mut c) = rt.lookup_container(&id)
                    && let Err(e) = c.kill(sig as i32)
                {
                    tracing::debug!("forwarding {sig:?}: {e}");
                }
            }
        });
        SignalProxy { set }
    }
}

fn c_runtime(c: &Container) -> Option<Runtime> {
    Some(c.runtime())
}

impl Drop for SignalProxy {
    fn drop(&mut self) {
        let _ = pthread_sigmask(SigmaskHow::SIG_UNBLOCK, Some(&self.set), None);
    }
}

/// `rpod start`.
pub fn start(args: &StartArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    if args.attach {
        if args.containers.len() != 1 {
            return Err(CliError::Usage(
                "you cannot start and attach multiple containers at once".into(),
            ));
        }
        let mut c = rt.lookup_container(&args.containers[0])?;
        let keys = parse_detach_keys(args.detach_keys.as_deref().unwrap_or("ctrl-p,ctrl-q"))?;
        let proxy = SignalProxy::start(&c);
        let end = c.start_attached(process_io(args.interactive, keys));
        drop(proxy);
        return match end? {
            rpod_runtime_core::oci::AttachEnd::Detached => Ok(()),
            rpod_runtime_core::oci::AttachEnd::Ended => {
                let code = super::create::finish(&mut c)?;
                if code == 0 {
                    Ok(())
                } else {
                    Err(CliError::Exit(code))
                }
            }
        };
    }
    let names = args.containers.clone();
    let t = targets(&rt, &names, false, false)?;
    let mut inputs = names.into_iter();
    for_each(ctx, t, |c, _| {
        let name = inputs.next().unwrap_or_else(|| c.id().to_string());
        // Podman names the container and exits 125 whatever the cause.
        c.start()
            .map_err(|e| Error::msg(format!("unable to start container {:?}: {e}", c.id())))?;
        Ok(Some(name))
    })
}

/// `rpod stop`: a stopped container is not an error.
pub fn stop(args: &StopArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let t = resolve(
        ctx,
        &args.containers,
        args.all,
        TargetScope::Active,
        args.ignore,
    )?;
    for_each_target(ctx, t, |c| match c.stop(args.time) {
        Err(e) if e.is(&Error::CtrStopped) => Ok(()),
        other => other,
    })
}

/// `rpod restart`.
pub fn restart(args: &StopArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let t = resolve(ctx, &args.containers, args.all, TargetScope::Every, false)?;
    for_each_target(ctx, t, |c| c.restart(args.time))
}

/// `rpod kill`.
pub fn kill(args: &KillArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let sig = parse_signal(&args.signal)?;
    let t = resolve(ctx, &args.containers, args.all, TargetScope::Active, false)?;
    for_each_target(ctx, t, |c| c.kill(sig))
}

/// `rpod pause`.
pub fn pause(args: &NamesArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let t = resolve(ctx, &args.containers, args.all, TargetScope::Active, false)?;
    for_each_target(ctx, t, Container::pause)
}

/// `rpod unpause`.
pub fn unpause(args: &NamesArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let t = resolve(ctx, &args.containers, args.all, TargetScope::Paused, false)?;
    for_each_target(ctx, t, Container::unpause)
}

/// `rpod wait`: prints each container's exit code.
pub fn wait(args: &WaitArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let condition: WaitCondition = args
        .condition
        .first()
        .map_or("stopped", String::as_str)
        .parse()?;
    let interval = parse_go_duration(&args.interval)
        .ok()
        .and_then(|d| d.to_std().ok())
        .unwrap_or(Duration::from_millis(250));
    let rt = ctx.runtime()?;
    let t = targets(&rt, &args.containers, false, false)?;
    for_each(ctx, t, |c, _| {
        Ok(Some(c.wait(condition, interval)?.to_string()))
    })
}

/// Podman's `rm` exit codes: 1 for a missing container, 2 for a running one.
fn rm_error(e: Error) -> CliError {
    let code = if e.is(&Error::NoSuchCtr) || e.is(&Error::CtrRemoved) {
        1
    } else if e.is(&Error::CtrStateInvalid) {
        2
    } else {
        return e.into();
    };
    let _ = crate::report(&CliError::Engine(e), &mut std::io::stderr());
    CliError::Exit(code)
}

/// `rpod rm`.
pub fn remove(args: &RmArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    if !args.all && args.containers.is_empty() {
        return Err(CliError::Usage(
            "you must provide at least one name or id".into(),
        ));
    }
    let rt = ctx.runtime()?;
    let reports = rt.remove_containers(
        &args.containers,
        &ContainerRmOptions {
            all: args.all,
            force: args.force,
            ignore: args.ignore,
            volumes: args.volumes,
            timeout: args.time,
        },
    )?;
    let mut last: Option<CliError> = None;
    for r in reports {
        match r.err {
            // The name as typed, as Podman prints it; IDs for `-a`.
            None if r.input.is_empty() => ctx.write(&format!("{}\n", r.id))?,
            None => ctx.write(&format!("{}\n", r.input))?,
            Some(e) => {
                if let Some(prev) = last.take() {
                    let _ = crate::report(&prev, &mut std::io::stderr());
                }
                last = Some(rm_error(e));
            }
        }
    }
    last.map_or(Ok(()), Err)
}

/// `rpod rename`.
pub fn rename(args: &RenameArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    let mut c = rt.lookup_container(&args.container)?;
    c.rename(&args.name)?;
    Ok(())
}

/// `rpod container cleanup`: conmon's exit command; fast and idempotent.
pub fn cleanup(args: &CleanupArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    let opts = CleanupOptions {
        exec: args.exec.clone(),
        remove: args.rm,
    };
    for name in &args.containers {
        if let Some(id) = rt.cleanup_container(name, &opts)? {
            ctx.write(&format!("{id}\n"))?;
        }
    }
    Ok(())
}

/// `rpod container exists`: exit 0 when it exists, 1 when not.
pub fn exists(args: &ExistsArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    match rt.lookup_container(&args.container) {
        Ok(_) => Ok(()),
        Err(e) if e.is(&Error::NoSuchCtr) => {
            if args.external && rt.external_container_exists(&args.container)? {
                Ok(())
            } else {
                Err(CliError::Exit(1))
            }
        }
        Err(e) => Err(e.into()),
    }
}

/// `rpod container prune`: removes every stopped container.
pub fn prune(args: &PruneArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    if !args.force {
        return Err(CliError::Usage(
            "container prune needs confirmation: pass -f/--force (rpod does not prompt yet)".into(),
        ));
    }
    let rt = ctx.runtime()?;
    for r in rt.prune_containers()? {
        ctx.write(&format!("{}\n", r.id))?;
    }
    Ok(())
}

/// `rpod port`: the published ports of one container, or of every
/// running one with `-a` (each line prefixed with its short ID).
pub fn port(args: &PortArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    use rpod_runtime_core::network::ports::port_lines;
    let rt = ctx.runtime()?;
    match (&args.container, args.all) {
        (Some(name), false) => {
            let c = rt.lookup_container(name)?;
            let mut out = String::new();
            for m in c.port_mappings() {
                for l in port_lines(m) {
                    out.push_str(&l);
                    out.push('\n');
                }
            }
            ctx.write(&out)
        }
        (None, true) => {
            let mut out = String::new();
            for c in rt.containers()? {
                if c.state().state != rpod_runtime_core::container::ContainerStatus::Running {
                    continue;
                }
                for m in c.port_mappings() {
                    for l in port_lines(m) {
                        out.push_str(&format!("{}\t{l}\n", &c.id()[..12]));
                    }
                }
            }
            ctx.write(&out)
        }
        _ => Err(CliError::Usage(
            "you must supply a running container name or ID".into(),
        )),
    }
}
