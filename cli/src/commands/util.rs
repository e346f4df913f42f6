//! Small parsers and helpers the container commands share.

use std::io::Write;

use chrono::{DateTime, Utc};

use rpod_runtime_core::oci::AttachIo;

use crate::exit::CliError;

/// Parses a signal given as a name (`TERM`, `SIGTERM`, case-insensitive) or number.
pub fn parse_signal(s: &str) -> Result<i32, CliError> {
    rpod_runtime_core::signal::signal_number(s)
        .ok_or_else(|| CliError::Usage(format!("invalid signal: {s}")))
}

/// Parses a memory size (`512m`, `1g`, `1024`; binary units as Podman).
pub fn parse_memory(s: &str) -> Result<i64, CliError> {
    let t = s.trim().to_ascii_lowercase();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: f64 = num
        .parse()
        .map_err(|_| CliError::Usage(format!("invalid size: {s}")))?;
    let mult: f64 = match unit.trim_end_matches('b') {
        "" => 1.0,
        "k" => 1024.0,
        "m" => 1024.0 * 1024.0,
        "g" => 1024.0 * 1024.0 * 1024.0,
        _ => return Err(CliError::Usage(format!("invalid size: {s}"))),
    };
    Ok((n * mult) as i64)
}

/// Parses detach keys (`ctrl-p,ctrl-q`; `""` disables them).
pub fn parse_detach_keys(s: &str) -> Result<Vec<u8>, CliError> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    s.split(',')
        .map(|k| {
            let bad = || CliError::Usage(format!("invalid detach keys: {s}"));
            if let Some(c) = k.strip_prefix("ctrl-") {
                let mut it = c.chars();
                match (it.next(), it.next()) {
                    (Some(ch), None) if ch.is_ascii_alphabetic() => {
                        Ok(ch.to_ascii_lowercase() as u8 - b'a' + 1)
                    }
                    (Some('@'), None) => Ok(0),
                    (Some('['), None) => Ok(27),
                    (Some('\\'), None) => Ok(28),
                    (Some(']'), None) => Ok(29),
                    (Some('^'), None) => Ok(30),
                    (Some('_'), None) => Ok(31),
                    _ => Err(bad()),
                }
            } else {
                let mut it = k.chars();
                match (it.next(), it.next()) {
                    (Some(ch), None) if ch.is_ascii() => Ok(ch as u8),
                    _ => Err(bad()),
                }
            }
        })
        .collect()
}

/// Go's `units.HumanDuration`.
pub fn human_duration(secs: i64) -> String {
    let s = secs.max(0);
    let (m, h) = (s / 60, s / 3600);
    match () {
        _ if s < 1 => "Less than a second".into(),
        _ if s == 1 => "1 second".into(),
        _ if s < 60 => format!("{s} seconds"),
        _ if m == 1 => "About a minute".into(),
        _ if m < 60 => format!("{m} minutes"),
        _ if h == 1 => "About an hour".into(),
        _ if h < 48 => format!("{h} hours"),
        _ if h < 24 * 7 * 2 => format!("{} days", h / 24),
        _ if h < 24 * 30 * 2 => format!("{} weeks", h / 24 / 7),
        _ if h < 24 * 365 * 2 => format!("{} months", h / 24 / 30),
        _ => format!("{} years", h / 24 / 365),
    }
}

/// `<human duration> ago` for a time in the past.
pub fn ago(t: &DateTime<Utc>) -> String {
    format!("{} ago", human_duration((Utc::now() - *t).num_seconds()))
}

/// Go's `units.HumanSizeWithPrecision(n, 3)` (decimal units).
pub fn human_size(n: u64) -> String {
    let units = ["B", "kB", "MB", "GB", "TB", "PB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1000.0 && i < units.len() - 1 {
        v /= 1000.0;
        i += 1;
    }
    // `%.3g`: three significant digits, trailing zeros dropped.
    let decimals = if v >= 100.0 {
        0
    } else if v >= 10.0 {
        1
    } else {
        2
    };
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        &s
    };
    format!("{s}{}", units[i])
}

pub use rpod_runtime_core::system::dir_size;

/// Streams of this process for an attach session.
pub fn process_io(stdin: bool, detach_keys: Vec<u8>) -> AttachIo {
    AttachIo {
        stdin: stdin.then(|| Box::new(std::io::stdin()) as Box<dyn std::io::Read + Send>),
        stdout: Box::new(FlushingWriter(std::io::stdout())),
        stderr: Box::new(FlushingWriter(std::io::stderr())),
        detach_keys,
    }
}

/// Flushes after every write so container output appears as it comes.
struct FlushingWriter<W: Write>(W);

impl<W: Write> Write for FlushingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.0.write(buf)?;
        self.0.flush()?;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals() {
        assert_eq!(parse_signal("TERM").unwrap(), 15);
        assert_eq!(parse_signal("sigkill").unwrap(), 9);
        assert_eq!(parse_signal("2").unwrap(), 2);
        assert!(parse_signal("NOPE").is_err());
        assert!(parse_signal("99").is_err());
    }

    #[test]
    fn memory_and_keys() {
        assert_eq!(parse_memory("512m").unwrap(), 512 * 1024 * 1024);
        assert_eq!(parse_memory("1g").unwrap(), 1 << 30);
        assert!(parse_memory("1x").is_err());
        assert_eq!(parse_detach_keys("ctrl-p,ctrl-q").unwrap(), vec![16, 17]);
        assert!(parse_detach_keys("ctrl-").is_err());
    }

    #[test]
    fn sizes_print_like_go() {
        assert_eq!(human_size(0), "0B");
        assert_eq!(human_size(1234567), "1.23MB");
        assert_eq!(human_size(999), "999B");
        assert_eq!(human_size(1000), "1kB");
    }

    #[test]
    fn human_durations_follow_go() {
        assert_eq!(human_duration(0), "Less than a second");
        assert_eq!(human_duration(5), "5 seconds");
        assert_eq!(human_duration(70), "About a minute");
        assert_eq!(human_duration(3 * 3600), "3 hours");
        assert_eq!(human_duration(3 * 86400), "3 days");
    }
}
