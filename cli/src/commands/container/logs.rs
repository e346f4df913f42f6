//! `rpod logs`.

use chrono::Utc;

use rpod_runtime_core::container::logs::LogOptions;
use rpod_runtime_core::time::parse_input_time;

use crate::args::LogsArgs;
use crate::commands::Ctx;
use crate::exit::CliError;

/// Prints the logs of one or more containers (lines prefixed with the short
/// ID when there are several).
pub fn logs(args: &LogsArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let now = Utc::now();
    let since = args
        .since
        .as_deref()
        .map(|s| parse_input_time(s, now))
        .transpose()?;
    let until = args
        .until
        .as_deref()
        .map(|s| parse_input_time(s, now))
        .transpose()?;
    let rt = ctx.runtime()?;
    let many = args.containers.len() > 1;
    let mut ctrs = Vec::new();
    for name in &args.containers {
        ctrs.push(rt.lookup_container(name)?);
    }
    for mut c in ctrs {
        let opts = LogOptions {
            follow: args.follow,
            tail: usize::try_from(args.tail).ok(),
            since,
            until,
            timestamps: args.timestamps,
            prefix: if many {
                format!("{} ", &c.id()[..12])
            } else {
                String::new()
            },
        };
        let mut err = std::io::stderr();
        c.logs(&opts, &mut *ctx.out, &mut err)?;
    }
    Ok(())
}
