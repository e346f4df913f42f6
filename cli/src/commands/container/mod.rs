//! The container commands: one file per verb group.

mod cp;
mod create;
mod exec;
mod inspect;
mod lifecycle;
mod logs;
mod ps;
mod top;

pub use cp::cp;
pub use create::{create, run};
pub use exec::{attach, exec};
pub use inspect::inspect;
pub use lifecycle::{
    cleanup, exists, kill, pause, port, prune, remove, rename, restart, start, stop, unpause, wait,
};
pub use logs::logs;
pub use ps::ps;
pub use top::top;

use rpod_runtime_core::Error;
use rpod_runtime_core::container::{
    Container, ContainerStatus, Target as Named, TargetOptions, TargetScope,
};
use rpod_runtime_core::runtime::Runtime;

use crate::exit::CliError;

/// A looked-up container, or the name that failed and why.
pub(crate) type Target = Result<Container, (String, Error)>;

/// Resolves names; with `all`, every container (running ones only when `running_only`).
pub(crate) fn targets(
    rt: &Runtime,
    names: &[String],
    all: bool,
    running_only: bool,
) -> Result<Vec<Target>, CliError> {
    if all {
        return Ok(rt
            .containers()?
            .into_iter()
            .filter(|c| {
                !running_only
                    || matches!(
                        c.state().state,
                        ContainerStatus::Running | ContainerStatus::Paused
                    )
            })
            .map(Ok)
            .collect());
    }
    if names.is_empty() {
        return Err(CliError::Usage(
            "you must provide at least one name or id".into(),
        ));
    }
    Ok(names
        .iter()
        .map(|n| rt.lookup_container(n).map_err(|e| (n.clone(), e)))
        .collect())
}

/// Runs `f` on each target, printing what it prints; Podman's multi-object
/// error rule: every failure but the last is printed, the last is returned.
pub(crate) fn for_each(
    ctx: &mut crate::commands::Ctx<'_>,
    targets: Vec<Target>,
    mut f: impl FnMut(&mut Container, &mut crate::commands::Ctx<'_>) -> Result<Option<String>, CliError>,
) -> Result<(), CliError> {
    let mut last_err: Option<CliError> = None;
    for t in targets {
        let r = match t {
            Ok(mut c) => f(&mut c, ctx),
            Err((_, e)) => Err(e.into()),
        };
        match r {
            Ok(Some(line)) => ctx.write(&format!("{line}\n"))?,
            Ok(None) => {}
            Err(e) => {
                if let Some(prev) = last_err.take() {
                    let _ = crate::report(&prev, &mut std::io::stderr());
                }
                last_err = Some(e);
            }
        }
    }
    last_err.map_or(Ok(()), Err)
}

/// Resolves the targets of `stop`, `kill`, `pause`, `unpause` or `restart`
/// (every name first; see `Runtime::resolve_targets`).
pub(crate) fn resolve(
    ctx: &mut crate::commands::Ctx<'_>,
    names: &[String],
    all: bool,
    scope: TargetScope,
    ignore_missing: bool,
) -> Result<Vec<Named>, CliError> {
    if !all && names.is_empty() {
        return Err(CliError::Usage(
            "you must provide at least one name or id".into(),
        ));
    }
    let rt = ctx.runtime()?;
    let opts = TargetOptions {
        all,
        scope,
        ignore_missing,
    };
    Ok(rt.resolve_targets(names, &opts)?)
}

/// Runs `f` on each target and prints its label when it succeeds; the
/// multi-object error rule of [`for_each`].
pub(crate) fn for_each_target(
    ctx: &mut crate::commands::Ctx<'_>,
    targets: Vec<Named>,
    mut f: impl FnMut(&mut Container) -> Result<(), Error>,
) -> Result<(), CliError> {
    let mut last_err: Option<CliError> = None;
    for mut t in targets {
        match f(&mut t.container) {
            Ok(()) => ctx.write(&format!("{}\n", t.label))?,
            Err(e) => {
                if let Some(prev) = last_err.take() {
                    let _ = crate::report(&prev, &mut std::io::stderr());
                }
                last_err = Some(e.into());
            }
        }
    }
    last_err.map_or(Ok(()), Err)
}
