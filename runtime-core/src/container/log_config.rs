//! A new container's log settings: `--log-driver` and `--log-opt` as given,
//! containers.conf's defaults (`log_driver`, `log_tag`), and the checks
//! Podman makes before it stores them (`LogDriver`, `LogPath`, `LogTag`,
//! `LogSize` of the container config).

use std::collections::BTreeMap;
use std::path::Path;

use crate::config::ContainersSection;
use crate::error::{Error, Result};

/// conmon writes `<time> <stream> <F|P> <text>` lines to a file.
pub const K8S_FILE: &str = "k8s-file";
/// Accepted as Podman accepts it: conmon writes k8s-file lines.
pub const JSON_FILE: &str = "json-file";
/// conmon sends the output to the systemd journal.
pub const JOURNALD: &str = "journald";
/// The output is not kept (`logs` refuses).
pub const NONE: &str = "none";
/// The container gets the caller's stdin, stdout and stderr (`logs` and
/// `attach` refuse).
pub const PASSTHROUGH: &str = "passthrough";

/// The journald socket conmon and Podman write to.
const JOURNAL_SOCKET: &str = "/run/systemd/journal/socket";

/// What the command line says about logging; empty fields mean "not given".
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LogSettings {
    /// The driver (`--log-driver`, or `--log-opt driver=`, which wins).
    pub driver: String,
    /// `--log-opt path=`: the log file.
    pub path: String,
    /// `--log-opt max-size=` in bytes (0: not given).
    pub size: i64,
    /// The other `--log-opt key=value` pairs (`tag` among them).
    pub options: BTreeMap<String, String>,
}

impl LogSettings {
    /// Settings from `--log-driver` (`None` or empty: not given) and the
    /// `--log-opt` values, checked as Podman checks them: each option must
    /// be `key=value` and `max-size` a size (`10k`, `2MB`, `512`).
    pub fn from_flags(driver: Option<&str>, opts: &[String]) -> Result<LogSettings> {
        let mut s = LogSettings {
            driver: driver.unwrap_or_default().to_string(),
            ..LogSettings::default()
        };
        for o in opts {
            let Some((key, value)) = o.split_once('=') else {
                return Err(Error::msg(format!("invalid log option {o:?}")));
            };
            match key.to_ascii_lowercase().as_str() {
                "driver" => s.driver = value.to_string(),
                "path" => s.path = value.to_string(),
                "max-size" => s.size = parse_human_size(value)?,
                _ => {
                    s.options.insert(key.to_string(), value.to_string());
                }
            }
        }
        Ok(s)
    }
}

/// The log settings a container is created with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedLog {
    /// The driver.
    pub driver: String,
    /// The log file (empty for `journald`, `none` and `passthrough` unless
    /// one was given).
    pub path: String,
    /// The tag (empty: none).
    pub tag: String,
    /// Rotation size in bytes (0: containers.conf's `log_size_max`).
    pub size: i64,
}

/// Applies containers.conf's defaults to `given` and checks the driver:
/// no driver means `log_driver`; a `log_tag` replaces any `tag` option
/// (except with `json-file`, where it is ignored with a warning); the log
/// file defaults to `ctr.log` in `bundle` for the file drivers.
pub fn resolve(
    given: &LogSettings,
    conf: &ContainersSection,
    bundle: &Path,
) -> Result<ResolvedLog> {
    let driver = if given.driver.is_empty() {
        conf.log_driver.clone()
    } else {
        given.driver.clone()
    };
    if driver.is_empty() {
        return Err(
            Error::InvalidArg.context("running container create option: log driver must be set")
        );
    }
    if ![K8S_FILE, JSON_FILE, JOURNALD, NONE, PASSTHROUGH].contains(&driver.as_str()) {
        return Err(
            Error::InvalidArg.context("running container create option: invalid log driver")
        );
    }
    let mut tag = given.options.get("tag").cloned().unwrap_or_default();
    if !conf.log_tag.is_empty() {
        if driver == JSON_FILE {
            tracing::warn!(
                "log_tag {:?} is not allowed with {JSON_FILE:?} log_driver",
                conf.log_tag
            );
        } else {
            tag.clone_from(&conf.log_tag);
        }
    }
    let path = if given.path.is_empty() && ![JOURNALD, NONE, PASSTHROUGH].contains(&driver.as_str())
    {
        bundle.join("ctr.log").to_string_lossy().into_owned()
    } else {
        given.path.clone()
    };
    Ok(ResolvedLog {
        driver,
        path,
        tag,
        size: given.size.max(0),
    })
}

/// The tag conmon gets for a container: `tag` with the template fields
/// `{{.ID}}` (also `{{.Id}}`), `{{.Name}}` and `{{.ImageName}}` filled in
/// (spaces inside the braces allowed); any other text is passed as is.
pub fn render_tag(tag: &str, cfg: &super::ContainerConfig) -> String {
    let mut out = String::new();
    let mut rest = tag;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start..].find("}}") else {
            break;
        };
        let field = rest[start + 2..start + len].trim();
        let value = match field {
            ".ID" | ".Id" => Some(cfg.id.as_str()),
            ".Name" => Some(cfg.name.as_str()),
            ".ImageName" => Some(cfg.rootfs_image_name.as_str()),
            _ => None,
        };
        out.push_str(&rest[..start]);
        match value {
            Some(v) => out.push_str(v),
            None => out.push_str(&rest[start..start + len + 2]),
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    out
}

/// Podman's check that journald is there before a `journald` container is
/// made: one entry sent to the journal socket. Without a journal the error
/// reads as Podman's.
pub fn init_journal(id: &str) -> Result<()> {
    let fields = [
        ("MESSAGE", String::new()),
        ("PRIORITY", "6".to_string()),
        ("SYSLOG_IDENTIFIER", "rpod".to_string()),
        ("PODMAN_ID", id.to_string()),
        ("PODMAN_EVENT", "history".to_string()),
        ("PODMAN_TYPE", "container".to_string()),
        (
            "PODMAN_TIME",
            crate::time::rfc3339_nano(&chrono::Utc::now()),
        ),
    ];
    let payload: String = fields.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    let sent = std::os::unix::net::UnixDatagram::unbound()
        .and_then(|s| s.send_to(payload.as_bytes(), JOURNAL_SOCKET));
    match sent {
        Ok(_) => Ok(()),
        Err(e) => Err(Error::msg(format!(
            "failed to initialize journal: write unixgram ->{JOURNAL_SOCKET}: sendmsg: {}",
            go_errno_text(&e)
        ))),
    }
}

/// An I/O error's text as Go prints an errno (`no such file or directory`).
fn go_errno_text(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(n) => {
            let desc = nix::errno::Errno::from_raw(n).desc();
            let mut chars = desc.chars();
            match chars.next() {
                Some(first) => first.to_lowercase().chain(chars).collect(),
                None => String::new(),
            }
        }
        None => e.to_string(),
    }
}

/// A size as Podman's `--log-opt max-size` reads it: a number, an optional
/// space, and an optional decimal unit (`k`, `m`, `g`, `t`, `p`, any case,
/// optionally followed by `i` and/or `b`).
pub fn parse_human_size(s: &str) -> Result<i64> {
    let bad = || Error::msg(format!("invalid size: '{s}'"));
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, rest) = s.split_at(end);
    if num.is_empty() || num.starts_with('.') || num.ends_with('.') {
        return Err(bad());
    }
    let n: f64 = num.parse().map_err(|_| bad())?;
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    let mut chars = rest.chars().peekable();
    let mult = match chars.peek().map(char::to_ascii_lowercase) {
        Some(c @ ('k' | 'm' | 'g' | 't' | 'p')) => {
            chars.next();
            let exp = match c {
                'k' => 1,
                'm' => 2,
                'g' => 3,
                't' => 4,
                _ => 5,
            };
            1000f64.powi(exp)
        }
        _ => 1.0,
    };
    if chars.peek().is_some_and(|c| c.eq_ignore_ascii_case(&'i')) {
        chars.next();
    }
    if chars.peek().is_some_and(|c| c.eq_ignore_ascii_case(&'b')) {
        chars.next();
    }
    if chars.next().is_some() {
        return Err(bad());
    }
    let v = n * mult;
    if !v.is_finite() || v > i64::MAX as f64 {
        return Err(bad());
    }
    Ok(v as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn log_opts_parse_into_settings() {
        let s = LogSettings::from_flags(
            Some("journald"),
            &strings(&[
                "path=/tmp/x.log",
                "max-size=10k",
                "tag={{.Name}}",
                "foo=bar",
            ]),
        )
        .unwrap();
        assert_eq!(s.driver, "journald");
        assert_eq!(s.path, "/tmp/x.log");
        assert_eq!(s.size, 10_000);
        assert_eq!(s.options["tag"], "{{.Name}}");
        assert_eq!(s.options["foo"], "bar");
        let d = LogSettings::from_flags(Some("k8s-file"), &strings(&["driver=none"])).unwrap();
        assert_eq!(d.driver, "none");
        let e = LogSettings::from_flags(None, &strings(&["foo"])).unwrap_err();
        assert_eq!(e.to_string(), "invalid log option \"foo\"");
        let e = LogSettings::from_flags(None, &strings(&["max-size=abc"])).unwrap_err();
        assert_eq!(e.to_string(), "invalid size: 'abc'");
    }

    #[test]
    fn human_sizes_are_decimal() {
        assert_eq!(parse_human_size("512").unwrap(), 512);
        assert_eq!(parse_human_size("1.5MB").unwrap(), 1_500_000);
        assert_eq!(parse_human_size("2 KiB").unwrap(), 2000);
        assert_eq!(parse_human_size("3g").unwrap(), 3_000_000_000);
        for bad in ["", "k", "1x", "1kk", "-1", "1.", "1kbx"] {
            assert!(parse_human_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn containers_conf_supplies_the_defaults() {
        let bundle = Path::new("/b");
        let mut conf = ContainersSection::default();
        let r = resolve(&LogSettings::default(), &conf, bundle).unwrap();
        assert_eq!(
            r,
            ResolvedLog {
                driver: K8S_FILE.into(),
                path: "/b/ctr.log".into(),
                tag: String::new(),
                size: 0,
            }
        );
        conf.log_driver = NONE.into();
        conf.log_tag = "conf-tag".into();
        let r = resolve(&LogSettings::default(), &conf, bundle).unwrap();
        assert_eq!((r.driver.as_str(), r.path.as_str()), (NONE, ""));
        assert_eq!(r.tag, "conf-tag");
        // containers.conf's tag wins over --log-opt tag, as in Podman.
        let given = LogSettings::from_flags(Some(K8S_FILE), &strings(&["tag=mine"])).unwrap();
        assert_eq!(resolve(&given, &conf, bundle).unwrap().tag, "conf-tag");
        conf.log_tag.clear();
        assert_eq!(resolve(&given, &conf, bundle).unwrap().tag, "mine");
        // json-file ignores containers.conf's tag.
        conf.log_tag = "conf-tag".into();
        let json = LogSettings::from_flags(Some(JSON_FILE), &[]).unwrap();
        assert_eq!(resolve(&json, &conf, bundle).unwrap().tag, "");
    }

    #[test]
    fn drivers_are_checked_and_paths_kept() {
        let conf = ContainersSection::default();
        let bogus = LogSettings::from_flags(Some("bogus"), &[]).unwrap();
        let e = resolve(&bogus, &conf, Path::new("/b")).unwrap_err();
        assert_eq!(
            e.to_string(),
            "running container create option: invalid log driver: invalid argument"
        );
        let j = LogSettings::from_flags(Some(JOURNALD), &[]).unwrap();
        assert_eq!(resolve(&j, &conf, Path::new("/b")).unwrap().path, "");
        let p = LogSettings::from_flags(None, &strings(&["path=/x.log", "max-size=1k"])).unwrap();
        let r = resolve(&p, &conf, Path::new("/b")).unwrap();
        assert_eq!((r.path.as_str(), r.size), ("/x.log", 1000));
    }

    #[test]
    fn tags_fill_in_the_container_fields() {
        let mut cfg = super::super::ContainerConfig::new("abc123", "web", 0);
        cfg.rootfs_image_name = "busybox".into();
        assert_eq!(render_tag("{{.Name}}-{{ .ID }}", &cfg), "web-abc123");
        assert_eq!(render_tag("{{.ImageName}}/x", &cfg), "busybox/x");
        assert_eq!(
            render_tag("plain {{.Other}} {{", &cfg),
            "plain {{.Other}} {{"
        );
    }

    #[test]
    fn go_errno_text_is_lower_case() {
        let e = std::io::Error::from_raw_os_error(2);
        assert_eq!(go_errno_text(&e), "no such file or directory");
    }
}
