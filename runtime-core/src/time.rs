//! The one home for time formats: Go's zero time, the RFC 3339 forms Go and
//! Podman write (trimmed nanoseconds, fixed nanoseconds, seconds, SI
//! fractions), Go's `time.Time` string form, Go durations, and the
//! timestamp forms Podman accepts for `--since`/`--until`.
//!
//! Every formatter here takes a UTC time and writes the zone as `Z`.

use chrono::{
    DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, SecondsFormat, TimeZone, Utc,
};

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

/// Go's `time.RFC3339Nano` in UTC, which is also Go's JSON and text form of
/// a `time.Time`: nanoseconds with trailing zeros trimmed and no fraction at
/// all when it is zero (`2026-11-28T12:40:17.01709717Z`, `2026-11-28T12:40:17Z`).
pub fn rfc3339_nano(t: &DateTime<Utc>) -> String {
    let base = t.format("%Y-%m-%dT%H:%M:%S");
    let nanos = t.timestamp_subsec_nanos();
    if nanos == 0 {
        format!("{base}Z")
    } else {
        let frac = format!("{nanos:09}");
        format!("{base}.{}Z", frac.trim_end_matches('0'))
    }
}

/// RFC 3339 with all nine fraction digits kept (`2026-11-28T12:40:17.017097170Z`),
/// the `created` stamp rpod writes into image configs it makes.
pub fn rfc3339_nano_fixed(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// RFC 3339 with all nine fraction digits and the numeric offset
/// (`2026-11-28T12:40:17.017097170+00:00`), the form of the timestamps in
/// a k8s-file log and of `logs --timestamps`.
pub fn rfc3339_nano_with_offset(t: &DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Nanos, false)
}

/// RFC 3339 to the whole second (`2026-11-28T12:40:17Z`), Go's `time.RFC3339`.
pub fn rfc3339_secs(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// RFC 3339 whose fraction has 0, 3, 6 or 9 digits, the fewest that keep the
/// time exact (`2026-11-28T12:40:17.017Z`).
pub fn rfc3339_si(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Parses an RFC 3339 timestamp with any offset into UTC; `None` when `s` is
/// not RFC 3339.
pub fn parse_rfc3339(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
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

    #[test]
    fn rfc3339_forms() {
        let whole = Utc.with_ymd_and_hms(2026, 11, 28, 12, 40, 17).unwrap();
        let t = whole + Duration::nanoseconds(17_097_170);
        assert_eq!(rfc3339_nano(&whole), "2026-11-28T12:40:17Z");
        assert_eq!(rfc3339_nano(&t), "2026-11-28T12:40:17.01709717Z");
        assert_eq!(rfc3339_nano_fixed(&whole), "2026-11-28T12:40:17.000000000Z");
        assert_eq!(rfc3339_nano_fixed(&t), "2026-11-28T12:40:17.017097170Z");
        assert_eq!(rfc3339_secs(&t), "2026-11-28T12:40:17Z");
        assert_eq!(rfc3339_si(&whole), "2026-11-28T12:40:17Z");
        assert_eq!(
            rfc3339_si(&(whole + Duration::milliseconds(17))),
            "2026-11-28T12:40:17.017Z"
        );
        assert_eq!(parse_rfc3339(&rfc3339_nano(&t)), Some(t));
        assert_eq!(parse_rfc3339("2026-11-28T13:40:17.01709717+01:00"), Some(t));
        assert_eq!(parse_rfc3339("yesterday"), None);
    }
}
