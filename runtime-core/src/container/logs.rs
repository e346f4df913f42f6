//! `logs`: reading conmon's k8s-file log
//! (`<RFC3339Nano> <stdout|stderr> <F|P> <content>` per line; `P` chunks
//! are joined with the following line).

use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::time::Duration;

use chrono::{DateTime, FixedOffset};

use super::{Container, ContainerStatus};
use crate::error::{Error, Result};

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
struct Assembler {
    pending: Option<LogLine>,
}

impl Assembler {
    fn push(&mut self, raw: &str) -> Option<LogLine> {
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

fn emit(line: &LogLine, opts: &LogOptions, out: &mut dyn Write, err: &mut dyn Write) -> Result<()> {
    let utc = line.time.with_timezone(&chrono::Utc);
    if opts.since.is_some_and(|s| utc < s) || opts.until.is_some_and(|u| utc > u) {
        return Ok(());
    }
    let mut s = opts.prefix.clone();
    if opts.timestamps {
        s.push_str(&crate::time::rfc3339_nano_with_offset(&line.time));
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

impl Container {
    /// Writes the container's log to `out` (stdout lines) and `err` (stderr lines).
    pub fn logs(
        &mut self,
        opts: &LogOptions,
        out: &mut dyn Write,
        err: &mut dyn Write,
    ) -> Result<()> {
        let path = std::path::PathBuf::from(&self.rec.config.log_path);
        let file = match std::fs::File::open(&path) {
            Ok(f) => Some(f),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(&path, e)),
        };
        let mut asm = Assembler::default();
        let mut lines: Vec<LogLine> = Vec::new();
        let mut reader = file.map(BufReader::new);
        if let Some(r) = reader.as_mut() {
            let mut buf = String::new();
            while r.read_line(&mut buf).map_err(|e| Error::io(&path, e))? > 0 {
                if buf.ends_with('\n') {
                    if let Some(l) = asm.push(buf.trim_end_matches('\n')) {
                        lines.push(l);
                    }
                    buf.clear();
                } else {
                    // An incomplete last line: re-read it when following.
                    let back = buf.len() as i64;
                    r.seek(SeekFrom::Current(-back))
                        .map_err(|e| Error::io(&path, e))?;
                    buf.clear();
                    break;
                }
            }
        }
        let skip = opts.tail.map_or(0, |n| lines.len().saturating_sub(n));
        for l in &lines[skip..] {
            emit(l, opts, out, err)?;
        }
        if !opts.follow {
            return Ok(());
        }
        loop {
            let mut progressed = false;
            if reader.is_none() {
                reader = std::fs::File::open(&path).ok().map(BufReader::new);
            }
            if let Some(r) = reader.as_mut() {
                let mut buf = String::new();
                loop {
                    let n = r.read_line(&mut buf).map_err(|e| Error::io(&path, e))?;
                    if n == 0 {
                        break;
                    }
                    if !buf.ends_with('\n') {
                        let back = buf.len() as i64;
                        r.seek(SeekFrom::Current(-back))
                            .map_err(|e| Error::io(&path, e))?;
                        break;
                    }
                    progressed = true;
                    if let Some(l) = asm.push(buf.trim_end_matches('\n')) {
                        emit(&l, opts, out, err)?;
                    }
                    buf.clear();
                }
            }
            if !progressed {
                match self.sync() {
                    Ok(()) => {}
                    Err(e) if e.is(&Error::CtrRemoved) => return Ok(()),
                    Err(e) => return Err(e),
                }
                if !matches!(
                    self.rec.state.state,
                    ContainerStatus::Running
                        | ContainerStatus::Paused
                        | ContainerStatus::Stopping
                        | ContainerStatus::Created
                ) {
                    // Drain what conmon wrote last, then stop.
                    if let Some(r) = reader.as_mut() {
                        let mut rest = String::new();
                        while r.read_line(&mut rest).map_err(|e| Error::io(&path, e))? > 0 {
                            if let Some(l) = asm.push(rest.trim_end_matches('\n')) {
                                emit(&l, opts, out, err)?;
                            }
                            rest.clear();
                        }
                    }
                    return Ok(());
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        }
    }
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
            "2026-11-28T12:39:49.198747562+00:00 x\n"
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
