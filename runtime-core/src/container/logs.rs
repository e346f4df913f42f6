//! `logs`: reading conmon's k8s-file log
//! (`<RFC3339Nano> <stdout|stderr> <F|P> <content>` per line; `P` chunks
//! are joined with the following line).

use std::io::Write;

use chrono::{DateTime, FixedOffset};

use crate::error::{Error, Result};

pub use super::log_reader::read_logs;

/// Podman's `ErrNoLogs` text: the reason `logs` and `attach` give for the
/// `none` and `passthrough` drivers.
pub const NO_LOGS: &str = "this container is not logging output";

/// Which stream a log line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogStream {
    /// stdout.
    Stdout,
    /// stderr.
    Stderr,
}

/// One reassembled log line.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    /// When conmon read it.
    pub time: DateTime<FixedOffset>,
    /// Its stream.
    pub stream: LogStream,
    /// The text, without the trailing newline.
    pub text: String,
    /// The line ended with a newline (false for a final partial line).
    pub full: bool,
}

/// What to read.
#[derive(Debug, Clone, Default)]
pub struct LogOptions {
    /// Keep reading while the container runs (`-f`).
    pub follow: bool,
    /// Only the last N lines (`--tail`).
    pub tail: Option<usize>,
    /// Only lines at or after this time.
    pub since: Option<DateTime<chrono::Utc>>,
    /// Only lines at or before this time.
    pub until: Option<DateTime<chrono::Utc>>,
    /// Prefix lines with their timestamp (`-t`).
    pub timestamps: bool,
    /// Prefix lines with this string (several containers).
    pub prefix: String,
}

/// Parses one raw log line; `None` for a malformed one.
pub fn parse_line(line: &str) -> Option<(DateTime<FixedOffset>, LogStream, bool, &str)> {
    let mut parts = line.splitn(4, ' ');
    let time = DateTime::parse_from_rfc3339(parts.next()?).ok()?;
    let stream = match parts.next()? {
        "stdout" => LogStream::Stdout,
        "stderr" => LogStream::Stderr,
        _ => return None,
    };
    let full = match parts.next()? {
        "F" => true,
        "P" => false,
        _ => return None,
    };
    Some((time, stream, full, parts.next().unwrap_or("")))
}

/// Joins partial chunks into lines.
#[derive(Debug, Default)]
pub(crate) struct Assembler {
    pending: Option<LogLine>,
}

impl Assembler {
    /// Takes one raw line; returns a line once it is complete.
    pub(crate) fn push(&mut self, raw: &str) -> Option<LogLine> {
        let (time, stream, full, text) = parse_line(raw)?;
        let mut line = match self.pending.take() {
            Some(mut p) if p.stream == stream => {
                p.text.push_str(text);
                p
            }
            _ => LogLine {
                time,
                stream,
                text: text.to_string(),
                full,
            },
        };
        line.full = full;
        if full {
            Some(line)
        } else {
            self.pending = Some(line);
            None
        }
    }
}

/// Go's `time.RFC3339Nano` of a time with its own offset, as Podman prints
/// `logs --timestamps`: trailing fraction zeros trimmed, `Z` for offset 0.
fn go_rfc3339_nano(t: &DateTime<FixedOffset>) -> String {
    let offset = t.offset().local_minus_utc();
    if offset == 0 {
        return crate::time::rfc3339_nano(&t.with_timezone(&chrono::Utc));
    }
    let base = t.format("%Y-%m-%dT%H:%M:%S");
    let nanos = t.timestamp_subsec_nanos();
    let frac = if nanos == 0 {
        String::new()
    } else {
        format!(".{}", format!("{nanos:09}").trim_end_matches('0'))
    };
    format!("{base}{frac}{}", t.format("%:z"))
}

/// Writes `line` (when inside the time window) to `out` or `err` by its
/// stream, with the prefix and timestamp `opts` ask for.
pub(crate) fn emit(
    line: &LogLine,
    opts: &LogOptions,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    let utc = line.time.with_timezone(&chrono::Utc);
    if opts.since.is_some_and(|s| utc < s) || opts.until.is_some_and(|u| utc > u) {
        return Ok(());
    }
    let mut s = opts.prefix.clone();
    if opts.timestamps {
        s.push_str(&go_rfc3339_nano(&line.time));
        s.push(' ');
    }
    s.push_str(&line.text);
    if line.full {
        s.push('\n');
    }
    let w: &mut dyn Write = match line.stream {
        LogStream::Stdout => out,
        LogStream::Stderr => err,
    };
    w.write_all(s.as_bytes())
        .and_then(|()| w.flush())
        .map_err(|e| Error::msg(format!("writing logs: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_chunks_join_the_next_full_line() {
        let mut a = Assembler::default();
        assert!(
            a.push("2026-11-28T12:39:49.198747562+00:00 stdout P part1")
                .is_none()
        );
        let l = a
            .push("2026-11-28T12:39:49.198747563+00:00 stdout F -end")
            .unwrap();
        assert_eq!(l.text, "part1-end");
        assert_eq!(l.stream, LogStream::Stdout);
        let e = a
            .push("2026-11-28T12:39:49.198816405+00:00 stderr F err1")
            .unwrap();
        assert_eq!((e.stream, e.text.as_str()), (LogStream::Stderr, "err1"));
        assert!(a.push("garbage").is_none());
    }

    #[test]
    fn timestamps_print_as_go_does() {
        let t = |s: &str| go_rfc3339_nano(&DateTime::parse_from_rfc3339(s).unwrap());
        assert_eq!(
            t("2026-11-28T12:39:49.198747500+00:00"),
            "2026-11-28T12:39:49.1987475Z"
        );
        assert_eq!(t("2026-11-28T12:39:49+02:00"), "2026-11-28T12:39:49+02:00");
        assert_eq!(
            t("2026-11-28T12:39:49.5-05:30"),
            "2026-11-28T12:39:49.5-05:30"
        );
    }

    #[test]
    fn timestamps_and_windows() {
        let line = LogLine {
            time: DateTime::parse_from_rfc3339("2026-11-28T12:39:49.198747562+00:00").unwrap(),
            stream: LogStream::Stdout,
            text: "x".into(),
            full: true,
        };
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let opts = LogOptions {
            timestamps: true,
            ..Default::default()
        };
        emit(&line, &opts, &mut out, &mut err).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "2026-11-28T12:39:49.198747562Z x\n"
        );
        let mut out = Vec::new();
        let opts = LogOptions {
            since: Some("2026-11-28T13:00:00Z".parse().unwrap()),
            ..Default::default()
        };
        emit(&line, &opts, &mut out, &mut err).unwrap();
        assert!(out.is_empty());
    }
}
