//! Value types with their own syntax in containers.conf: sizes and ulimits.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// A byte count written as an integer or a human size (`1m`, `512k`, `2GB`),
/// with decimal units as Podman's `FromHumanSize`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, PartialOrd, Ord)]
pub struct ByteSize(pub u64);

impl FromStr for ByteSize {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let bad = || Error::InvalidArg.context(format!("invalid size: {s:?}"));
        let t = s.trim();
        let split = t
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(t.len());
        let (num, unit) = t.split_at(split);
        let n: f64 = num.parse().map_err(|_| bad())?;
        let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
            "" | "b" => 1.0,
            "k" | "kb" => 1e3,
            "m" | "mb" => 1e6,
            "g" | "gb" => 1e9,
            "t" | "tb" => 1e12,
            "kib" => 1024.0,
            "mib" => 1024.0 * 1024.0,
            "gib" => 1024.0 * 1024.0 * 1024.0,
            _ => return Err(bad()),
        };
        let v = n * mult;
        if !v.is_finite() || v < 0.0 || v > u64::MAX as f64 {
            return Err(bad());
        }
        Ok(ByteSize(v as u64))
    }
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Int(i64),
            Str(String),
        }
        match Raw::deserialize(d)? {
            Raw::Int(i) => u64::try_from(i)
                .map(ByteSize)
                .map_err(|_| serde::de::Error::custom(format!("invalid size: {i}"))),
            Raw::Str(s) => s.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// One resource limit, `name=soft[:hard]` (`nofile=1024:2048`, `nproc=-1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Ulimit {
    /// The `RLIMIT_*` resource, as libc's constant.
    pub resource: u32,
    /// The OCI name (`RLIMIT_NOFILE`).
    pub name: &'static str,
    /// Soft limit (`u64::MAX` for unlimited).
    pub soft: u64,
    /// Hard limit (`u64::MAX` for unlimited).
    pub hard: u64,
}

const RESOURCES: [(&str, &str, u32); 16] = [
    ("core", "RLIMIT_CORE", libc::RLIMIT_CORE),
    ("cpu", "RLIMIT_CPU", libc::RLIMIT_CPU),
    ("data", "RLIMIT_DATA", libc::RLIMIT_DATA),
    ("fsize", "RLIMIT_FSIZE", libc::RLIMIT_FSIZE),
    ("locks", "RLIMIT_LOCKS", libc::RLIMIT_LOCKS),
    ("memlock", "RLIMIT_MEMLOCK", libc::RLIMIT_MEMLOCK),
    ("msgqueue", "RLIMIT_MSGQUEUE", libc::RLIMIT_MSGQUEUE),
    ("nice", "RLIMIT_NICE", libc::RLIMIT_NICE),
    ("nofile", "RLIMIT_NOFILE", libc::RLIMIT_NOFILE),
    ("nproc", "RLIMIT_NPROC", libc::RLIMIT_NPROC),
    ("rss", "RLIMIT_RSS", libc::RLIMIT_RSS),
    ("rtprio", "RLIMIT_RTPRIO", libc::RLIMIT_RTPRIO),
    ("rttime", "RLIMIT_RTTIME", libc::RLIMIT_RTTIME),
    ("sigpending", "RLIMIT_SIGPENDING", libc::RLIMIT_SIGPENDING),
    ("stack", "RLIMIT_STACK", libc::RLIMIT_STACK),
    ("as", "RLIMIT_AS", libc::RLIMIT_AS),
];

fn limit_value(s: &str) -> Option<u64> {
    if s == "-1" || s.eq_ignore_ascii_case("unlimited") {
        Some(u64::MAX)
    } else {
        s.parse().ok()
    }
}

impl FromStr for Ulimit {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let bad = |why: &str| Error::InvalidArg.context(format!("invalid ulimit {s:?}: {why}"));
        let (name, vals) = s
            .split_once('=')
            .ok_or_else(|| bad("expected name=soft[:hard]"))?;
        let (_, oci, resource) = RESOURCES
            .iter()
            .find(|(n, _, _)| *n == name)
            .ok_or_else(|| bad("unknown resource"))?;
        let (soft, hard) = match vals.split_once(':') {
            Some((a, b)) => (limit_value(a), limit_value(b)),
            None => (limit_value(vals), limit_value(vals)),
        };
        let (Some(soft), Some(hard)) = (soft, hard) else {
            return Err(bad("limits must be numbers or -1"));
        };
        if soft > hard {
            return Err(bad("soft limit exceeds hard limit"));
        }
        Ok(Ulimit {
            resource: *resource,
            name: oci,
            soft,
            hard,
        })
    }
}

impl Ulimit {
    /// This limit capped at the host's current hard limit for the resource,
    /// so that raising it never fails on a host without CAP_SYS_RESOURCE.
    pub fn capped_to_host(self) -> Self {
        let host_hard = nix::sys::resource::getrlimit(resource_of(self.resource))
            .map(|(_, hard)| hard)
            .unwrap_or(u64::MAX);
        let hard = self.hard.min(host_hard);
        Ulimit {
            soft: self.soft.min(hard),
            hard,
            ..self
        }
    }
}

fn resource_of(r: u32) -> nix::sys::resource::Resource {
    use nix::sys::resource::Resource as R;
    match r {
        libc::RLIMIT_CORE => R::RLIMIT_CORE,
        libc::RLIMIT_CPU => R::RLIMIT_CPU,
        libc::RLIMIT_DATA => R::RLIMIT_DATA,
        libc::RLIMIT_FSIZE => R::RLIMIT_FSIZE,
        libc::RLIMIT_LOCKS => R::RLIMIT_LOCKS,
        libc::RLIMIT_MEMLOCK => R::RLIMIT_MEMLOCK,
        libc::RLIMIT_MSGQUEUE => R::RLIMIT_MSGQUEUE,
        libc::RLIMIT_NICE => R::RLIMIT_NICE,
        libc::RLIMIT_NOFILE => R::RLIMIT_NOFILE,
        libc::RLIMIT_NPROC => R::RLIMIT_NPROC,
        libc::RLIMIT_RSS => R::RLIMIT_RSS,
        libc::RLIMIT_RTPRIO => R::RLIMIT_RTPRIO,
        libc::RLIMIT_RTTIME => R::RLIMIT_RTTIME,
        libc::RLIMIT_SIGPENDING => R::RLIMIT_SIGPENDING,
        libc::RLIMIT_STACK => R::RLIMIT_STACK,
        _ => R::RLIMIT_AS,
    }
}

/// Go's `units.HumanSizeWithPrecision(n, precision)`: decimal units (`B`,
/// `kB`, `MB`, ...) and `%.<precision>g` digits, trailing zeros dropped
/// (`HumanSize` is precision 4: 10000 → `10kB`, 0 → `0B`).
pub fn human_size(n: f64, precision: usize) -> String {
    const UNITS: [&str; 9] = ["B", "kB", "MB", "GB", "TB", "PB", "EB", "ZB", "YB"];
    let mut v = n;
    let mut i = 0;
    while v >= 1000.0 && i < UNITS.len() - 1 {
        v /= 1000.0;
        i += 1;
    }
    let digits = if v == 0.0 {
        0
    } else {
        (v.abs().log10().floor() as i64).max(0) as usize
    };
    let decimals = precision.saturating_sub(digits + 1);
    let s = format!("{v:.decimals$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.')
    } else {
        s.as_str()
    };
    format!("{s}{}", UNITS[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!("1m".parse::<ByteSize>().unwrap(), ByteSize(1_000_000));
        assert_eq!("512".parse::<ByteSize>().unwrap(), ByteSize(512));
        assert_eq!("2KiB".parse::<ByteSize>().unwrap(), ByteSize(2048));
        assert!("12q".parse::<ByteSize>().is_err());
        assert!("-1".parse::<ByteSize>().is_err());
    }

    #[test]
    fn ulimits() {
        let u: Ulimit = "nofile=1024:2048".parse().unwrap();
        assert_eq!((u.name, u.soft, u.hard), ("RLIMIT_NOFILE", 1024, 2048));
        let u: Ulimit = "nproc=-1".parse().unwrap();
        assert_eq!(u.hard, u64::MAX);
        assert!("nofile=3:2".parse::<Ulimit>().is_err());
        assert!("bogus=1".parse::<Ulimit>().is_err());
        assert!("nofile".parse::<Ulimit>().is_err());
    }

    #[test]
    fn capping_never_exceeds_the_host_hard_limit() {
        let (_, host_hard) =
            nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).unwrap();
        let u: Ulimit = "nofile=-1:-1".parse().unwrap();
        let c = u.capped_to_host();
        assert_eq!(c.hard, host_hard);
        assert!(c.soft <= c.hard);
    }

    #[test]
    fn human_size_matches_go_units() {
        assert_eq!(human_size(0.0, 4), "0B");
        assert_eq!(human_size(10_000.0, 4), "10kB");
        assert_eq!(human_size(1_234_567.0, 4), "1.235MB");
        assert_eq!(human_size(999.0, 4), "999B");
        assert_eq!(human_size(1_500_000.0, 3), "1.5MB");
    }
}
