//! `exec` and `attach`.

use std::collections::BTreeMap;

use rpod_runtime_core::Error;
use rpod_runtime_core::container::ExecConfig;
use rpod_runtime_core::oci::AttachEnd;

use crate::args::{AttachArgs, ExecArgs};
use crate::commands::Ctx;
use crate::commands::util::{parse_detach_keys, process_io};
use crate::exit::CliError;

/// `rpod exec`: the process's exit code passes through; Podman's 255 for a
/// container that is not running.
pub fn exec(args: &ExecArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let mut environment = BTreeMap::new();
    for e in &args.env {
        match e.split_once('=') {
            Some((k, v)) => {
                environment.insert(k.to_string(), v.to_string());
            }
            None =>
            {
                #[allow(clippy::disallowed_methods)]
                if let Ok(v) = std::env::var(e) {
                    environment.insert(e.clone(), v);
                }
            }
        }
    }
    let config = ExecConfig {
        command: args.command.clone(),
        environment,
        terminal: args.tty,
        attach_stdin: args.interactive,
        user: args.user.clone().unwrap_or_default(),
        work_dir: args.workdir.clone().unwrap_or_default(),
        extra: Default::default(),
    };
    let rt = ctx.runtime()?;
    let mut c = rt.lookup_container(&args.container)?;
    let io = (!args.detach).then(|| process_io(args.interactive, Vec::new()));
    let raw =
        crate::commands::terminal::RawTerminal::enter(!args.detach && args.tty && args.interactive);
    let result = c.exec(config, io);
    drop(raw);
    match result {
        Ok(code) if args.detach => ctx.write(&format!("{}\n", c.id())).map(|()| {
            let _ = code;
        }),
        Ok(0) => Ok(()),
        Ok(code) => Err(CliError::Exit(code)),
        Err(e) if e.is(&Error::CtrStateInvalid) => {
            let _ = crate::report(&CliError::Engine(e), &mut std::io::stderr());
            Err(CliError::Exit(255))
        }
        Err(e) => Err(e.into()),
    }
}

/// `rpod attach`.
pub fn attach(args: &AttachArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let keys = parse_detach_keys(args.detach_keys.as_deref().unwrap_or("ctrl-p,ctrl-q"))?;
    let rt = ctx.runtime()?;
    let mut c = rt.lookup_container(&args.container)?;
    let stdin = !args.no_stdin && c.config().stdin;
    let tty = c
        .config()
        .oci_spec()?
        .and_then(|s| s.process().as_ref().and_then(|p| p.terminal()))
        .unwrap_or(false);
    let raw = crate::commands::terminal::RawTerminal::enter(tty && stdin);
    if tty {
        crate::commands::terminal::forward_resizes(&c);
    }
    let end = c.attach(process_io(stdin, keys));
    drop(raw);
    match end? {
        AttachEnd::Detached => Ok(()),
        AttachEnd::Ended => {
            let code = super::create::finish(&mut c)?;
            if code == 0 {
                Ok(())
            } else {
                Err(CliError::Exit(code))
            }
        }
    }
}
