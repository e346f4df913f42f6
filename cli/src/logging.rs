//! Log output in logrus's text format, as Podman prints it:
//! `time="2026-11-28T12:40:17Z" level=warning msg="..."`.

use std::fmt;

use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::exit::CliError;

/// Formats events like logrus.
#[derive(Debug, Clone, Copy)]
struct Logrus;

struct MessageOnly(String);

impl tracing::field::Visit for MessageOnly {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        } else {
            self.0.push_str(&format!(" {}={value:?}", field.name()));
        }
    }
}

impl<S, N> FormatEvent<S, N> for Logrus
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let level = match *event.metadata().level() {
            Level::ERROR => "error",
            Level::WARN => "warning",
            Level::INFO => "info",
            Level::DEBUG => "debug",
            Level::TRACE => "trace",
        };
        let mut msg = MessageOnly(String::new());
        event.record(&mut msg);
        let time = rpod_runtime_core::time::rfc3339_secs(&chrono::Utc::now());
        let escaped = msg.0.replace('\\', "\\\\").replace('"', "\\\"");
        writeln!(w, "time=\"{time}\" level={level} msg=\"{escaped}\"")
    }
}

/// Parses Podman's `--log-level` values.
pub fn parse_level(s: &str) -> Result<tracing::level_filters::LevelFilter, CliError> {
    use tracing::level_filters::LevelFilter;
    Ok(match s.to_ascii_lowercase().as_str() {
        "trace" => LevelFilter::TRACE,
        "debug" => LevelFilter::DEBUG,
        "info" => LevelFilter::INFO,
        "warn" | "warning" => LevelFilter::WARN,
        "error" | "fatal" | "panic" => LevelFilter::ERROR,
        other => {
            return Err(CliError::Usage(format!(
                "unable to parse log level: not a valid logrus Level: {other:?}"
            )));
        }
    })
}

/// Sends `tracing` output to stderr at `level` and above.
pub fn init(level: tracing::level_filters::LevelFilter) {
    let _ = tracing_subscriber::fmt()
        .event_format(Logrus)
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .try_init();
}
