//! `rpod cp`: parses the two ends and calls the engine's copy.

use std::io::IsTerminal;

use rpod_runtime_core::container::{CopyEnd, CopyOptions, parse_copy_end};

use crate::args::CpArgs;
use crate::commands::Ctx;
use crate::exit::CliError;

/// Copies between a container and the host, a tar stream, or two containers.
pub fn cp(args: &CpArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let src = parse_copy_end(&args.source);
    let dst = parse_copy_end(&args.destination);
    let opts = CopyOptions {
        chown: args.archive,
        overwrite: args.overwrite,
    };
    let stream = |e: &CopyEnd| matches!(e, CopyEnd::Host(p) if p.as_os_str() == "-");
    if matches!((&src, &dst), (CopyEnd::Host(_), CopyEnd::Host(_))) {
        return Err(CliError::Usage(
            "copying from host to host is not supported: one of the paths must name a container (CONTAINER:PATH)".into(),
        ));
    }
    let rt = ctx.runtime()?;
    match (&src, &dst) {
        (CopyEnd::Container { container, path }, d) if stream(d) => {
            if std::io::stdout().is_terminal() {
                return Err(CliError::Usage(
                    "cannot write to terminal, use command-line redirection".into(),
                ));
            }
            rt.copy_to_stream(container, path, std::io::stdout().lock())
                .map(drop)?;
        }
        (s, CopyEnd::Container { container, path }) if stream(s) => {
            rt.copy_from_stream(container, path, std::io::stdin().lock(), opts)?;
        }
        _ => rt.copy(&src, &dst, opts)?,
    }
    Ok(())
}
