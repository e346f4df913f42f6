//! Time helpers shared by the engine: Go's zero time, Go durations, and the
//! timestamp forms Podman accepts for `--since`/`--until`.

use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};

use crate::error::{Error, Result};

/// Go's zero `time.Time` (`0001-01-01T00:00:00Z`), which Podman writes for unset times.
pub fn go_zero_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(1, 1, 1, 0, 0, 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// True for Go's zero time.
pub fn is_go_zero(t: &DateTime<Utc>) -> bool {
    *t == go_zero_time()
}

/// Formats a time the way Go prints `time.Time` in UTC
/// (`2026-11-28 12:40:17.02606954 +0000 UTC`): nanoseconds with trailing zeros trimmed.
pub fn go_time_string(t: &DateTime<Utc>) -> String {
    let base = t.format("%Y-%m-%d %H:%M:%S").to_string();
    let nanos = t.timestamp_subsec_nanos();
    if nanos == 0 {
        format!("{base} +0000 UTC")
    } else {
        let frac = format!("{nanos:09}");
        format!("{base}.{} +0000 UTC", frac.trim_end_matches('0'))
    }
}

/// RFC 3339 as Go's JSON encoding writes a `time.Time` in UTC: `Z`, and
/// only as many fractional digits as needed (none, 3, 6 or 9).
pub fn go_rfc3339(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Parses a Go duration such as `1h30m`, `90s`, `1.5h`, `300ms`, `-2m`.
pub fn parse_go_duration(s: &str) -> Result<Duration> {
    let bad = || Error::InvalidArg.context(format!("time: invalid duration {s:?}"));
    let (neg, mut rest) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    if rest.is_empty() {
        return Err(bad());
    }
    if rest == "0" {
        return Ok(Duration::zero());
    }
    let mut total_nanos: f64 = 0.0;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .ok_or_else(bad)?;
        if num_len == 0 {
            return Err(bad());
        }
        let value: f64 = rest[..num_len].parse().map_err(|_| bad())?;
        rest = &rest[num_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit_nanos: f64 = match &rest[..unit_len] {
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            _ => return Err(bad()),
        };
        rest = &rest[unit_len..];
        total_nanos += value * unit_nanos;
    }
    if !total_nanos.is_finite() || total_nanos > i64::MAX as f64 {
        return Err(bad());
    }
    let d = Duration::nanoseconds(total_nanos as i64);
    Ok(if neg { -d } else { d })
}

/// Parses a `--since`/`--until` value as Podman does: an RFC 3339 timestamp
/// (with or without fraction or zone), a date, a Unix timestamp
/// (`seconds[.fraction]`), or a Go duration meaning "that long before `now`".
pub fn parse_input_time(s: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    for fmt in [
        "%Y-%m-%dT%H:%M:%S%.f",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S%.f",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Ok(t.and_utc());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d")
        && let Some(t) = d.and_hms_opt(0, 0, 0)
    {
        return Ok(t.and_utc());
    }
    if let Some(t) = parse_unix(s) {
        return Ok(t);
    }
    match parse_go_duration(s) {
        Ok(d) => Ok(now - d),
        Err(_) => Err(Error::InvalidArg.context(format!(
            "unable to interpret time value {s:?}: use a timestamp (RFC 3339), a Unix time, or a duration such as 10m"
        ))),
    }
}

fn parse_unix(s: &str) -> Option<DateTime<Utc>> {
    let (secs, frac) = match s.split_once('.') {
        Some((a, b)) => (a, b),
        None => (s, ""),
    };
    if secs.is_empty() || !secs.bytes().all(|c| c.is_ascii_digit()) {
        return None;
    }
    if !frac.bytes().all(|c| c.is_ascii_digit()) || frac.len() > 9 {
        return None;
    }
    let secs: i64 = secs.parse().ok()?;
    let nanos: u32 = if frac.is_empty() {
        0
    } else {
        format!("{frac:0<9}").parse().ok()?
    };
    Utc.timestamp_opt(secs, nanos).single()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse_go_duration("1h30m").unwrap(), Duration::minutes(90));
        assert_eq!(
            parse_go_duration("1.5s").unwrap(),
            Duration::milliseconds(1500)
        );
        assert_eq!(parse_go_duration("-2m").unwrap(), Duration::minutes(-2));
        assert_eq!(parse_go_duration("0").unwrap(), Duration::zero());
        for bad in ["", "5", "h", "5x", "1h-", "--1s"] {
            assert!(parse_go_duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn input_times() {
        let now = Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap();
        assert_eq!(
            parse_input_time("10m", now).unwrap(),
            now - Duration::minutes(10)
        );
        assert_eq!(
            parse_input_time("2026-11-28T11:00:00Z", now).unwrap(),
            now - Duration::hours(1)
        );
        assert_eq!(
            parse_input_time("2026-11-28", now).unwrap(),
            now - Duration::hours(12)
        );
        assert_eq!(
            parse_input_time("1764331200", now).unwrap().timestamp(),
            1_764_331_200
        );
        assert!(parse_input_time("yesterday", now).is_err());
    }

    #[test]
    fn go_time_format() {
        let t = Utc.with_ymd_and_hms(2026, 11, 28, 12, 40, 17).unwrap()
            + Duration::nanoseconds(26_069_540);
        assert_eq!(go_time_string(&t), "2026-11-28 12:40:17.02606954 +0000 UTC");
        assert!(is_go_zero(&go_zero_time()));
    }
}
