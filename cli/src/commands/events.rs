//! `rpod events`.

use chrono::Utc;
use serde_json::Value;

use rpod_runtime_core::events::{Event, EventFilter, ReadControl, ReadOptions};
use rpod_runtime_core::time::{go_time_string, parse_input_time};

use crate::args::EventsArgs;
use crate::commands::Ctx;
use crate::exit::CliError;
use crate::output::{self, OutputFormat};

/// The data a template sees: every field of Podman's event struct (empty
/// ones too, as Go templates see zero values), `Time` as Go prints a
/// `time.Time`, plus `TimeNano`.
fn template_data(e: &Event) -> Result<Value, CliError> {
    let mut v = serde_json::to_value(e).map_err(|e| CliError::Usage(e.to_string()))?;
    if let Some(o) = v.as_object_mut() {
        for key in ["ID", "Image", "Name", "Network", "HealthStatus", "PodID"] {
            o.entry(key).or_insert_with(|| Value::String(String::new()));
        }
        o.entry("ContainerExitCode")
            .or_insert_with(|| Value::from(0));
        o.insert("Time".into(), Value::String(go_time_string(&e.time)));
        o.insert(
            "TimeNano".into(),
            Value::from(e.time.timestamp_nanos_opt().unwrap_or_default()),
        );
    }
    Ok(v)
}

/// Prints stored (and with `--stream`, new) events that pass the filters.
pub fn run(args: &EventsArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    // Everything the user typed is checked before the runtime opens anything.
    let now = Utc::now();
    let filter = EventFilter::parse(&args.filters)?;
    let mut since = args
        .since
        .as_deref()
        .map(|s| parse_input_time(s, now))
        .transpose()?;
    let until = args
        .until
        .as_deref()
        .map(|s| parse_input_time(s, now))
        .transpose()?;
    // Like Podman, a plain streaming read starts at the end of the log.
    if args.stream && since.is_none() && until.is_none() {
        since = Some(now);
    }
    let fmt = OutputFormat::parse(args.format.as_deref(), "events")?;
    let rt = ctx.runtime()?;
    let opts = ReadOptions {
        filter,
        since,
        until,
        stream: args.stream,
        stop: None,
    };
    let mut failure: Option<CliError> = None;
    rt.events(&opts, &mut |event| {
        let line = match &fmt {
            OutputFormat::Default => Ok(format!("{}\n", event.to_human())),
            OutputFormat::Json => serde_json::to_string(&event)
                .map(|s| s + "\n")
                .map_err(|e| CliError::Usage(e.to_string())),
            OutputFormat::Template(t) => {
                template_data(&event).and_then(|d| output::execute(t, &d, &crate::format::EVENTS))
            }
        };
        match line.and_then(|l| ctx.write(&l)) {
            Ok(()) => Ok(ReadControl::Continue),
            Err(e) => {
                failure = Some(e);
                Ok(ReadControl::Stop)
            }
        }
    })?;
    failure.map_or(Ok(()), Err)
}
