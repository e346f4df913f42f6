//! Turning the OCI runtime's error text into the engine's error kinds.
//!
//! runc reports errors as JSON lines (`{"level":"error","msg":"…"}`) in its
//! `--log` file, or as logrus text (`time=… level=error msg="…"`) on stderr.
//! A message naming a missing file becomes
//! [`Error::OciRuntimeNotFound`] (exit 127), a permission problem
//! [`Error::OciRuntimePermissionDenied`] (exit 126), anything else
//! [`Error::OciRuntime`] (exit 125); the context is `<runtime>: <message>`.

use rpod_runtime_core::Error;
use serde::Deserialize;

/// Maps the runtime's message to an error whose context is `<runtime>: <line>`.
///
/// As Podman does, a permission problem wins over a missing file, and for
/// those two only the line that says so is kept.
pub(crate) fn runtime_error(runtime: &str, message: &str) -> Error {
    let line_with = |needles: &[&str]| {
        message.lines().find(|line| {
            let lower = line.to_lowercase();
            needles.iter().any(|n| lower.contains(n))
        })
    };
    if let Some(line) = line_with(&["permission denied", "operation not permitted"]) {
        return Error::OciRuntimePermissionDenied.context(format!("{runtime}: {}", line.trim()));
    }
    if let Some(line) = line_with(&["executable file not found in", "no such file or directory"]) {
        return Error::OciRuntimeNotFound.context(format!("{runtime}: {}", line.trim()));
    }
    Error::OciRuntime.context(format!("{runtime}: {}", message.trim_matches('\n')))
}

#[derive(Deserialize)]
struct LogLine {
    #[serde(default)]
    level: String,
    #[serde(default)]
    msg: String,
}

/// The error message in runc's JSON log (`--log-format=json --log F`): the
/// last `error`-level (or `fatal`) line, else the last line with a message.
pub(crate) fn json_log_message(text: &str) -> Option<String> {
    let lines: Vec<LogLine> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<LogLine>(l.trim()).ok())
        .filter(|l| !l.msg.is_empty())
        .collect();
    lines
        .iter()
        .rev()
        .find(|l| matches!(l.level.as_str(), "error" | "fatal" | "panic"))
        .or(lines.last())
        .map(|l| l.msg.clone())
}

/// The error message in runc's stderr: JSON lines, logrus text lines
/// (`level=error msg="…"`), or plain text, tried in that order.
pub(crate) fn stderr_message(stderr: &str) -> String {
    if let Some(msg) = json_log_message(stderr) {
        return msg;
    }
    let logrus: Vec<(String, String)> = stderr.lines().filter_map(logrus_fields).collect();
    if let Some((_, msg)) = logrus
        .iter()
        .rev()
        .find(|(level, _)| matches!(level.as_str(), "error" | "fatal" | "panic"))
        .or(logrus.last())
    {
        return msg.clone();
    }
    stderr.trim().to_string()
}

/// `(level, msg)` of one logrus text line.
fn logrus_fields(line: &str) -> Option<(String, String)> {
    let level = field(line, "level")?;
    let msg = field(line, "msg")?;
    Some((level, msg))
}

/// The value of `key=value` or `key="quoted value"` in a logrus line.
fn field(line: &str, key: &str) -> Option<String> {
    let pat = format!("{key}=");
    let mut start = None;
    let mut from = 0;
    while let Some(i) = line[from..].find(&pat) {
        let at = from + i;
        if at == 0 || line.as_bytes()[at - 1] == b' ' {
            start = Some(at + pat.len());
            break;
        }
        from = at + pat.len();
    }
    let rest = &line[start?..];
    if let Some(quoted) = rest.strip_prefix('"') {
        let mut out = String::new();
        let mut chars = quoted.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => return Some(out),
                '\\' => match chars.next()? {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    other => out.push(other),
                },
                c => out.push(c),
            }
        }
        None
    } else {
        Some(rest.split(' ').next().unwrap_or_default().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_executable_is_not_found() {
        let msg = "runc create failed: unable to start container process: exec: \"nosuchcmd\": executable file not found in $PATH";
        let e = runtime_error("runc", msg);
        assert!(e.is(&Error::OciRuntimeNotFound));
        assert_eq!(
            e.to_string(),
            "runc: runc create failed: unable to start container process: exec: \"nosuchcmd\": executable file not found in $PATH: OCI runtime attempted to invoke a command that was not found"
        );
    }

    #[test]
    fn missing_file_is_not_found_and_keeps_only_its_line() {
        let msg = "warning: something\nexec: \"/x\": stat /x: No such file or directory\n";
        let e = runtime_error("crun", msg);
        assert!(e.is(&Error::OciRuntimeNotFound));
        assert_eq!(
            e.to_string(),
            "crun: exec: \"/x\": stat /x: No such file or directory: OCI runtime attempted to invoke a command that was not found"
        );
    }

    #[test]
    fn permission_wins_over_not_found() {
        let msg = "open /a: no such file or directory\nexec /bin/x: permission denied";
        let e = runtime_error("runc", msg);
        assert!(e.is(&Error::OciRuntimePermissionDenied));
        assert_eq!(
            e.to_string(),
            "runc: exec /bin/x: permission denied: OCI runtime permission denied error"
        );
        let e = runtime_error("runc", "mount: Operation not permitted");
        assert!(e.is(&Error::OciRuntimePermissionDenied));
    }

    #[test]
    fn anything_else_is_a_runtime_error() {
        let e = runtime_error("runc", "container not running\n");
        assert!(e.is(&Error::OciRuntime));
        assert_eq!(
            e.to_string(),
            "runc: container not running: OCI runtime error"
        );
    }

    #[test]
    fn json_log_takes_the_last_error() {
        let text = concat!(
            "{\"level\":\"warning\",\"msg\":\"w\",\"time\":\"t\"}\n",
            "{\"level\":\"error\",\"msg\":\"first\",\"time\":\"t\"}\n",
            "{\"level\":\"error\",\"msg\":\"exec failed: boom\",\"time\":\"t\"}\n",
            "{\"level\":\"info\",\"msg\":\"later\",\"time\":\"t\"}\n",
        );
        assert_eq!(json_log_message(text).as_deref(), Some("exec failed: boom"));
        assert_eq!(json_log_message(""), None);
        assert_eq!(json_log_message("not json\n"), None);
        assert_eq!(
            json_log_message("{\"level\":\"info\",\"msg\":\"only\"}").as_deref(),
            Some("only")
        );
    }

    #[test]
    fn stderr_in_every_format() {
        assert_eq!(
            stderr_message(
                "time=\"2026-11-28T14:02:45Z\" level=error msg=\"container \\\"x\\\" does not exist\"\n"
            ),
            "container \"x\" does not exist"
        );
        assert_eq!(
            stderr_message("{\"level\":\"error\",\"msg\":\"container does not exist\"}\n"),
            "container does not exist"
        );
        assert_eq!(
            stderr_message("level=warning msg=w\nlevel=error msg=bad\n"),
            "bad"
        );
        assert_eq!(stderr_message("  plain failure\n"), "plain failure");
    }
}
