//! `rpod logs`.

use chrono::Utc;

use rpod_runtime_core::Error;
use rpod_runtime_core::container::logs::{LogOptions, read_logs};
use rpod_runtime_core::time::parse_input_time;

use crate::args::LogsArgs;
use crate::commands::Ctx;
use crate::exit::CliError;

/// Prints the logs of one or more containers: stdout lines on stdout,
/// stderr lines on stderr; with several containers each line starts with
/// the container's short ID (its name with `--names`).
pub fn logs(args: &LogsArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let now = Utc::now();
    let parse = |flag: &str, value: &Option<String>| {
        value
            .as_deref()
            .map(|s| {
                // Podman's text, whatever the parser says.
                parse_input_time(s, now).map_err(|_| {
                    CliError::Usage(format!(
                        "parsing --{flag} {s:?}: unable to interpret time value"
                    ))
                })
            })
            .transpose()
    };
    let since = parse("since", &args.since)?;
    let until = parse("until", &args.until)?;
    match (args.latest, args.containers.is_empty()) {
        (true, false) => {
            return Err(CliError::Usage(
                "--latest and containers cannot be used together".into(),
            ));
        }
        (false, true) => {
            return Err(CliError::Usage(
                "specify at least one container name or ID to log".into(),
            ));
        }
        _ => {}
    }
    let rt = ctx.runtime()?;
    let many = args.containers.len() > 1;
    let mut ctrs = Vec::new();
    if args.latest {
        ctrs.push(rt.latest_container()?.ok_or(Error::NoSuchCtr)?);
    }
    for name in &args.containers {
        ctrs.push(rt.lookup_container(name)?);
    }
    let sources = ctrs
        .iter_mut()
        .map(|c| {
            let prefix = match (many, args.names) {
                (false, _) => String::new(),
                (true, true) => format!("{} ", c.name()),
                (true, false) => format!("{} ", &c.id()[..12.min(c.id().len())]),
            };
            let opts = LogOptions {
                follow: args.follow,
                tail: usize::try_from(args.tail).ok(),
                since,
                until,
                timestamps: args.timestamps,
                prefix,
            };
            (c, opts)
        })
        .collect();
    let mut err = std::io::stderr();
    Ok(read_logs(sources, &mut *ctx.out, &mut err)?)
}
