//! `rpod system renumber` and `rpod system migrate`.

use crate::args::MigrateArgs;
use crate::commands::Ctx;
use crate::exit::CliError;

/// Reallocates every lock (the work happens while the runtime starts).
pub fn renumber(ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.builder().renumber(true).build()?;
    rt.shutdown(false)?;
    Ok(())
}

/// Stops running containers and optionally moves them to another OCI runtime.
pub fn migrate(args: &MigrateArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx
        .builder()
        .migrate(true, args.new_runtime.clone())
        .build()?;
    rt.shutdown(false)?;
    Ok(())
}
