//! The `journald` eventer: events as systemd journal entries.
//!
//! This module owns the journal's native protocol (one datagram of fields per
//! entry to `/run/systemd/journal/socket`; an entry too big for a datagram is
//! passed as a sealed memfd) and reading entries back through
//! `journalctl -o json`.
//!
//! The fields are Podman's (`PODMAN_EVENT`, `PODMAN_TYPE`, `PODMAN_TIME`,
//! `PODMAN_ID`, `PODMAN_NAME`, `PODMAN_IMAGE`, `PODMAN_EXIT_CODE`,
//! `PODMAN_POD_ID`, `PODMAN_LABELS` as a JSON object, `PODMAN_NETWORK_NAME`,
//! `PODMAN_HEALTH_STATUS`), with `MESSAGE` the human-readable line and
//! `PRIORITY` info (notice for health events). `SYSLOG_IDENTIFIER` is `rpod`,
//! so Podman's reader (which matches `podman`) does not see rpod's events and
//! rpod reads only its own. System events also carry `PODMAN_NAME` when they
//! have a name (Podman's writer leaves it out; its reader accepts it).

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileTypeExt;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use nix::errno::Errno;
use nix::fcntl::{FcntlArg, SealFlag, fcntl};
use nix::sys::memfd::{MFdFlags, memfd_create};
use nix::sys::socket::{ControlMessage, MsgFlags, UnixAddr, sendmsg};
use rpod_runtime_core::error::IoResultExt;
use rpod_runtime_core::events::{Event, EventType, Eventer, ReadControl, ReadOptions};
use rpod_runtime_core::time::{parse_rfc3339, rfc3339_nano};
use rpod_runtime_core::{Error, Result, ResultExt};
use serde_json::{Map, Value};

/// The journal's native-protocol socket.
pub const JOURNAL_SOCKET: &str = "/run/systemd/journal/socket";

/// The `SYSLOG_IDENTIFIER` of rpod's entries.
pub const SYSLOG_IDENTIFIER: &str = "rpod";

/// How often a streaming read checks its stop conditions.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Writes events to the systemd journal and reads them back with `journalctl`.
#[derive(Debug)]
pub struct JournaldEventer {
    socket_path: PathBuf,
    socket: UnixDatagram,
    journalctl: PathBuf,
}

impl JournaldEventer {
    /// Connects to the system journal at [`JOURNAL_SOCKET`].
    pub fn new() -> Result<Self> {
        Self::with_socket(JOURNAL_SOCKET)
    }

    /// Uses the journal socket at `socket_path`; fails when nothing listens there.
    pub fn with_socket(socket_path: impl Into<PathBuf>) -> Result<Self> {
        let socket_path = socket_path.into();
        let meta = std::fs::metadata(&socket_path)
            .at(&socket_path)
            .context("journald is not available")?;
        if !meta.file_type().is_socket() {
            return Err(
                Error::msg(format!("{} is not a socket", socket_path.display()))
                    .context("journald is not available"),
            );
        }
        let socket = UnixDatagram::unbound()
            .at(&socket_path)
            .context("creating a journal socket")?;
        Ok(JournaldEventer {
            socket_path,
            socket,
            journalctl: PathBuf::from("journalctl"),
        })
    }

    /// Reads with this `journalctl` instead of the one on `$PATH`.
    #[must_use]
    pub fn with_journalctl(mut self, journalctl: impl Into<PathBuf>) -> Self {
        self.journalctl = journalctl.into();
        self
    }

    /// The journal socket this eventer writes to.
    pub fn socket_path(&self) -> &Path {
        &self.socket_path
    }

    fn send(&self, datagram: &[u8]) -> Result<()> {
        match self.socket.send_to(datagram, &self.socket_path) {
            Ok(_) => Ok(()),
            Err(e)
                if e.raw_os_error() == Some(Errno::EMSGSIZE as i32)
                    || e.raw_os_error() == Some(Errno::ENOBUFS as i32) =>
            {
                self.send_as_memfd(datagram)
            }
            Err(e) => Err(Error::io(&self.socket_path, e).context("writing event to journald")),
        }
    }

    /// Sends an entry too big for one datagram: the journal reads it from a
    /// sealed memfd passed with SCM_RIGHTS.
    fn send_as_memfd(&self, datagram: &[u8]) -> Result<()> {
        let to_err = |e: Errno| {
            Error::io(&self.socket_path, io::Error::from(e))
                .context("writing a large event to journald")
        };
        let fd = memfd_create(
            c"rpod-journal-entry",
            MFdFlags::MFD_CLOEXEC | MFdFlags::MFD_ALLOW_SEALING,
        )
        .map_err(to_err)?;
        let mut file = File::from(fd);
        file.write_all(datagram)
            .at("memfd")
            .context("writing a large event to journald")?;
        let seals = SealFlag::F_SEAL_SHRINK
            | SealFlag::F_SEAL_GROW
            | SealFlag::F_SEAL_WRITE
            | SealFlag::F_SEAL_SEAL;
        fcntl(&file, FcntlArg::F_ADD_SEALS(seals)).map_err(to_err)?;
        let addr = UnixAddr::new(&self.socket_path).map_err(to_err)?;
        let fds = [file.as_raw_fd()];
        sendmsg(
            self.socket.as_raw_fd(),
            &[],
            &[ControlMessage::ScmRights(&fds)],
            MsgFlags::empty(),
            Some(&addr),
        )
        .map_err(to_err)?;
        Ok(())
    }

    fn journalctl_command(&self, opts: &ReadOptions) -> Command {
        let mut cmd = Command::new(&self.journalctl);
        cmd.args(["--no-pager", "--output=json", "--all"]);
        if let Some(since) = opts.since {
            cmd.arg(format!("--since=@{}", since.timestamp()));
        }
        if opts.stream {
            cmd.args(["--follow", "--no-tail"]);
        } else if let Some(until) = opts.until {
            cmd.arg(format!("--until=@{}", until.timestamp() + 1));
        }
        cmd.arg(format!("SYSLOG_IDENTIFIER={SYSLOG_IDENTIFIER}"));
        cmd.arg(format!("_UID={}", nix::unistd::getuid()));
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        cmd
    }
}

/// The journal fields Podman records for `e`.
fn entry_fields(e: &Event) -> Result<Vec<(&'static str, String)>> {
    let priority = if e.health_status.is_empty() { "6" } else { "5" };
    let mut f = vec![
        ("MESSAGE", e.to_human()),
        ("PRIORITY", priority.to_string()),
        ("SYSLOG_IDENTIFIER", SYSLOG_IDENTIFIER.to_string()),
        ("PODMAN_EVENT", e.status.to_string()),
        ("PODMAN_TYPE", e.event_type.to_string()),
        ("PODMAN_TIME", rfc3339_nano(&e.time)),
    ];
    let labels = |f: &mut Vec<(&'static str, String)>| -> Result<()> {
        if let Some(attrs) = e.attributes.as_ref().filter(|a| !a.is_empty()) {
            f.push(("PODMAN_LABELS", serde_json::to_string(attrs)?));
        }
        Ok(())
    };
    match e.event_type {
        EventType::Image => {
            f.push(("PODMAN_NAME", e.name.clone()));
            f.push(("PODMAN_ID", e.id.clone()));
        }
        EventType::Container | EventType::Pod => {
            f.push(("PODMAN_IMAGE", e.image.clone()));
            f.push(("PODMAN_NAME", e.name.clone()));
            f.push(("PODMAN_ID", e.id.clone()));
            if let Some(code) = e.container_exit_code {
                f.push(("PODMAN_EXIT_CODE", code.to_string()));
            }
            if !e.pod_id.is_empty() {
                f.push(("PODMAN_POD_ID", e.pod_id.clone()));
            }
            labels(&mut f)?;
            if !e.health_status.is_empty() {
                f.push(("PODMAN_HEALTH_STATUS", e.health_status.clone()));
            }
        }
        EventType::Network => {
            f.push(("PODMAN_ID", e.id.clone()));
            f.push(("PODMAN_NETWORK_NAME", e.network.clone()));
            labels(&mut f)?;
        }
        EventType::Volume => f.push(("PODMAN_NAME", e.name.clone())),
        _ if !e.name.is_empty() => f.push(("PODMAN_NAME", e.name.clone())),
        _ => {}
    }
    Ok(f)
}

/// Encodes fields as one native-protocol entry: `NAME=value\n`, or, for a
/// value holding a newline, `NAME\n` + its length as 64-bit little endian +
/// the value + `\n`.
fn encode_entry(fields: &[(&str, String)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, value) in fields {
        debug_assert!(valid_field_name(name), "bad journal field name {name}");
        out.extend_from_slice(name.as_bytes());
        if value.contains('\n') {
            out.push(b'\n');
            out.extend_from_slice(&(value.len() as u64).to_le_bytes());
        } else {
            out.push(b'=');
        }
        out.extend_from_slice(value.as_bytes());
        out.push(b'\n');
    }
    out
}

/// journald accepts names of upper-case letters, digits and `_`, not
/// starting with `_` (reserved for trusted fields) or a digit, at most 64 long.
fn valid_field_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && !name.starts_with('_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// A field of a `journalctl -o json` entry as text: a string, a byte array
/// (non-UTF-8 or binary values), or the first of several values.
fn field(entry: &Map<String, Value>, name: &str) -> Option<String> {
    fn text(v: &Value) -> Option<String> {
        match v {
            Value::String(s) => Some(s.clone()),
            Value::Array(items) if items.iter().all(Value::is_u64) => {
                let bytes: Vec<u8> = items
                    .iter()
                    .filter_map(|b| b.as_u64().and_then(|b| u8::try_from(b).ok()))
                    .collect();
                Some(String::from_utf8_lossy(&bytes).into_owned())
            }
            Value::Array(items) => items.first().and_then(text),
            _ => None,
        }
    }
    entry.get(name).and_then(text)
}

/// Turns a journal entry back into an event; `None` for entries that are not
/// events (no `PODMAN_TYPE`) or cannot be decoded.
fn event_from_entry(entry: &Map<String, Value>) -> Option<Event> {
    let event_type: EventType = field(entry, "PODMAN_TYPE")?.parse().ok()?;
    let Some(status) = field(entry, "PODMAN_EVENT") else {
        tracing::warn!("journal entry without PODMAN_EVENT skipped");
        return None;
    };
    let time = field(entry, "PODMAN_TIME")
        .and_then(|t| parse_rfc3339(&t))
        .or_else(|| {
            let micros: i64 = field(entry, "__REALTIME_TIMESTAMP")?.parse().ok()?;
            Utc.timestamp_micros(micros).single()
        });
    let Some(time) = time else {
        tracing::warn!("journal entry without a valid PODMAN_TIME skipped");
        return None;
    };
    let mut e = Event::new(event_type, status.parse().ok()?);
    e.time = time;
    e.name = field(entry, "PODMAN_NAME").unwrap_or_default();
    let labels = |e: &mut Event| {
        let Some(raw) = field(entry, "PODMAN_LABELS").filter(|s| !s.is_empty()) else {
            return;
        };
        match serde_json::from_str::<BTreeMap<String, String>>(&raw) {
            Ok(map) if !map.is_empty() => e.attributes = Some(map),
            Ok(_) => {}
            Err(err) => tracing::warn!("bad PODMAN_LABELS in journal entry: {err}"),
        }
    };
    match e.event_type {
        EventType::Container | EventType::Pod => {
            e.id = field(entry, "PODMAN_ID").unwrap_or_default();
            e.image = field(entry, "PODMAN_IMAGE").unwrap_or_default();
            e.pod_id = field(entry, "PODMAN_POD_ID").unwrap_or_default();
            if let Some(code) = field(entry, "PODMAN_EXIT_CODE") {
                match code.parse() {
                    Ok(code) => e.container_exit_code = Some(code),
                    Err(_) => tracing::warn!("bad PODMAN_EXIT_CODE {code:?} in journal entry"),
                }
            }
            labels(&mut e);
            e.health_status = field(entry, "PODMAN_HEALTH_STATUS").unwrap_or_default();
        }
        EventType::Network => {
            e.id = field(entry, "PODMAN_ID").unwrap_or_default();
            e.network = field(entry, "PODMAN_NETWORK_NAME").unwrap_or_default();
            labels(&mut e);
        }
        EventType::Image => e.id = field(entry, "PODMAN_ID").unwrap_or_default(),
        _ => {}
    }
    Some(e)
}

/// Kills and reaps a `journalctl` child when dropped.
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
        }
        let _ = self.0.wait();
    }
}

impl Eventer for JournaldEventer {
    fn name(&self) -> &'static str {
        "journald"
    }

    fn write(&self, event: &Event) -> Result<()> {
        let fields = entry_fields(event)?;
        self.send(&encode_entry(&fields))
    }

    fn read(
        &self,
        opts: &ReadOptions,
        sink: &mut dyn FnMut(Event) -> Result<ReadControl>,
    ) -> Result<()> {
        let mut child = self
            .journalctl_command(opts)
            .spawn()
            .at(&self.journalctl)
            .context("journald is not available")?;
        let (Some(stdout), Some(mut stderr)) = (child.stdout.take(), child.stderr.take()) else {
            return Err(Error::Internal.context("journalctl started without pipes"));
        };
        let mut child = ChildGuard(child);

        let (tx, rx) = mpsc::channel::<io::Result<String>>();
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let failed = line.is_err();
                if tx.send(line).is_err() || failed {
                    break;
                }
            }
        });
        let stderr_reader = thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });

        loop {
            match rx.recv_timeout(POLL_INTERVAL) {
                Ok(Ok(line)) => {
                    if line.trim().is_empty() {
                        continue;
                    }
                    let entry = match serde_json::from_str::<Map<String, Value>>(&line) {
                        Ok(entry) => entry,
                        Err(e) => {
                            tracing::warn!("skipping undecodable journalctl output: {e}");
                            continue;
                        }
                    };
                    if let Some(event) = event_from_entry(&entry)
                        && opts.wants(&event)
                        && sink(event)? == ReadControl::Stop
                    {
                        return Ok(());
                    }
                }
                Ok(Err(e)) => {
                    return Err(Error::io(&self.journalctl, e).context("reading journalctl output"));
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => break,
            }
            let stopped = opts.stop.as_ref().is_some_and(|s| s.load(Ordering::SeqCst));
            let expired = opts.stream && opts.until.is_some_and(|u| Utc::now() > u);
            if stopped || expired {
                return Ok(());
            }
        }

        let status = child.0.wait().at(&self.journalctl)?;
        let stderr_text = stderr_reader.join().unwrap_or_default();
        if !status.success() {
            return Err(
                Error::msg(format!("journalctl {status}: {}", stderr_text.trim()))
                    .context("reading events from journald"),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;
    use rpod_runtime_core::events::EventStatus;
    use std::os::unix::fs::PermissionsExt;

    /// Decodes a native-protocol entry (the journal's side of the protocol).
    fn decode_entry(mut data: &[u8]) -> Vec<(String, String)> {
        let mut out = Vec::new();
        while !data.is_empty() {
            let nl = data.iter().position(|&b| b == b'\n').unwrap();
            let head = &data[..nl];
            if let Some(eq) = head.iter().position(|&b| b == b'=') {
                out.push((
                    String::from_utf8(head[..eq].to_vec()).unwrap(),
                    String::from_utf8(head[eq + 1..].to_vec()).unwrap(),
                ));
                data = &data[nl + 1..];
            } else {
                let name = String::from_utf8(head.to_vec()).unwrap();
                let rest = &data[nl + 1..];
                let len = u64::from_le_bytes(rest[..8].try_into().unwrap()) as usize;
                let value = String::from_utf8(rest[8..8 + len].to_vec()).unwrap();
                assert_eq!(rest[8 + len], b'\n', "binary field must end with a newline");
                out.push((name, value));
                data = &rest[8 + len + 1..];
            }
        }
        out
    }

    fn get<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn died() -> Event {
        let mut e = Event::new(EventType::Container, EventStatus::Died);
        e.id = "92c7eb34e201".into();
        e.name = "web".into();
        e.image = "localhost/busybox:latest".into();
        e.container_exit_code = Some(3);
        e.pod_id = "podid".into();
        e.attributes = Some([("app".to_string(), "x".to_string())].into());
        e.time = "2026-11-28T12:40:17.02606954Z".parse().unwrap();
        e
    }

    #[test]
    fn encoder_uses_simple_form_without_newlines() {
        let data = encode_entry(&[("A", "1".into()), ("BB", "x=y".into())]);
        assert_eq!(data, b"A=1\nBB=x=y\n");
    }

    #[test]
    fn encoder_length_prefixes_values_with_newlines() {
        let data = encode_entry(&[("MESSAGE", "a\nb".into()), ("X", "y".into())]);
        let mut want = b"MESSAGE\n".to_vec();
        want.extend_from_slice(&3u64.to_le_bytes());
        want.extend_from_slice(b"a\nb\nX=y\n");
        assert_eq!(data, want);
        let back = decode_entry(&data);
        assert_eq!(back[0], ("MESSAGE".to_string(), "a\nb".to_string()));
        assert_eq!(back[1], ("X".to_string(), "y".to_string()));
    }

    #[test]
    fn field_names_follow_journald_rules() {
        assert!(valid_field_name("PODMAN_EXIT_CODE"));
        assert!(!valid_field_name("_UID"));
        assert!(!valid_field_name("1A"));
        assert!(!valid_field_name("lower"));
        assert!(!valid_field_name(""));
        let e = died();
        for (name, _) in entry_fields(&e).unwrap() {
            assert!(valid_field_name(name), "{name}");
        }
    }

    #[test]
    fn container_event_fields_match_podman() {
        let f: Vec<(String, String)> = entry_fields(&died())
            .unwrap()
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        assert_eq!(get(&f, "SYSLOG_IDENTIFIER"), Some("rpod"));
        assert_eq!(get(&f, "PRIORITY"), Some("6"));
        assert_eq!(get(&f, "PODMAN_EVENT"), Some("died"));
        assert_eq!(get(&f, "PODMAN_TYPE"), Some("container"));
        assert_eq!(
            get(&f, "PODMAN_TIME"),
            Some("2026-11-28T12:40:17.02606954Z")
        );
        assert_eq!(get(&f, "PODMAN_ID"), Some("92c7eb34e201"));
        assert_eq!(get(&f, "PODMAN_NAME"), Some("web"));
        assert_eq!(get(&f, "PODMAN_IMAGE"), Some("localhost/busybox:latest"));
        assert_eq!(get(&f, "PODMAN_EXIT_CODE"), Some("3"));
        assert_eq!(get(&f, "PODMAN_POD_ID"), Some("podid"));
        assert_eq!(get(&f, "PODMAN_LABELS"), Some(r#"{"app":"x"}"#));
        assert_eq!(get(&f, "MESSAGE"), Some(died().to_human().as_str()));
        assert_eq!(get(&f, "PODMAN_NETWORK_NAME"), None);
    }

    #[test]
    fn go_time_format_trims_zeros() {
        let t: DateTime<Utc> = "2026-01-02T03:04:05Z".parse().unwrap();
        assert_eq!(rfc3339_nano(&t), "2026-01-02T03:04:05Z");
        let t: DateTime<Utc> = "2026-01-02T03:04:05.120Z".parse().unwrap();
        assert_eq!(rfc3339_nano(&t), "2026-01-02T03:04:05.12Z");
    }

    #[test]
    fn missing_socket_is_a_clear_error() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("journal.socket");
        let e = JournaldEventer::with_socket(&path).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "journald is not available: {}: No such file or directory (os error 2)",
                path.display()
            )
        );
        std::fs::write(&path, b"").unwrap();
        let e = JournaldEventer::with_socket(&path).unwrap_err();
        assert!(e.to_string().ends_with("is not a socket"), "{e}");
    }

    #[test]
    fn write_sends_one_datagram_per_event() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("journal.socket");
        let server = UnixDatagram::bind(&path).unwrap();
        let ev = JournaldEventer::with_socket(&path).unwrap();
        assert_eq!(ev.name(), "journald");
        let mut e = died();
        e.attributes = Some([("note".to_string(), "two\nlines".to_string())].into());
        e.name = "multi\nline".into();
        ev.write(&e).unwrap();
        let mut buf = vec![0u8; 65536];
        let n = server.recv(&mut buf).unwrap();
        let fields = decode_entry(&buf[..n]);
        assert_eq!(get(&fields, "PODMAN_NAME"), Some("multi\nline"));
        assert_eq!(
            get(&fields, "PODMAN_LABELS"),
            Some(r#"{"note":"two\nlines"}"#)
        );
        assert_eq!(get(&fields, "PODMAN_EXIT_CODE"), Some("3"));
        // The entry read back from journalctl's JSON is the event written.
        let json: Map<String, Value> = fields
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        assert_eq!(event_from_entry(&json).unwrap(), e);
    }

    #[test]
    fn oversized_entry_is_passed_as_a_sealed_memfd() {
        use nix::sys::socket::{ControlMessageOwned, recvmsg};
        use std::io::IoSliceMut;

        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("journal.socket");
        let server = UnixDatagram::bind(&path).unwrap();
        let ev = JournaldEventer::with_socket(&path).unwrap();
        let mut e = died();
        let big = "x".repeat(1 << 20);
        e.attributes = Some([("big".to_string(), big.clone())].into());
        ev.write(&e).unwrap();

        let mut byte = [0u8; 16];
        let mut iov = [IoSliceMut::new(&mut byte)];
        let mut cmsg = nix::cmsg_space!([std::os::fd::RawFd; 1]);
        let msg = recvmsg::<()>(
            server.as_raw_fd(),
            &mut iov,
            Some(&mut cmsg),
            MsgFlags::empty(),
        )
        .unwrap();
        assert_eq!(msg.bytes, 0);
        let mut fds = Vec::new();
        for c in msg.cmsgs().unwrap() {
            if let ControlMessageOwned::ScmRights(r) = c {
                fds.extend(r);
            }
        }
        assert_eq!(fds.len(), 1);
        let mut memfd = File::open(format!("/proc/self/fd/{}", fds[0])).unwrap();
        nix::unistd::close(fds[0]).unwrap();
        let seals = fcntl(&memfd, FcntlArg::F_GET_SEALS).unwrap();
        assert_ne!(seals & SealFlag::F_SEAL_WRITE.bits(), 0);
        assert_ne!(seals & SealFlag::F_SEAL_SEAL.bits(), 0);
        let mut data = Vec::new();
        memfd.read_to_end(&mut data).unwrap();
        let fields = decode_entry(&data);
        assert_eq!(
            get(&fields, "PODMAN_LABELS").map(str::len),
            Some(big.len() + r#"{"big":""}"#.len())
        );
    }

    #[test]
    fn journal_json_entries_decode() {
        let line = r#"{"__REALTIME_TIMESTAMP":"1700000000000000","MESSAGE":"x","PODMAN_TYPE":"image","PODMAN_EVENT":"pull","PODMAN_NAME":[98,117,115,121],"PODMAN_ID":"abc","SYSLOG_IDENTIFIER":"rpod"}"#;
        let entry: Map<String, Value> = serde_json::from_str(line).unwrap();
        let e = event_from_entry(&entry).unwrap();
        assert_eq!(e.event_type, EventType::Image);
        assert_eq!(e.status, EventStatus::Pull);
        assert_eq!(e.name, "busy");
        assert_eq!(e.id, "abc");
        assert_eq!(e.time.timestamp(), 1_700_000_000);
        assert_eq!(e.attributes, None);
        let no_type: Map<String, Value> = serde_json::from_str(r#"{"MESSAGE":"hi"}"#).unwrap();
        assert!(event_from_entry(&no_type).is_none());
    }

    #[test]
    fn missing_journalctl_is_a_clear_error() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("journal.socket");
        let _server = UnixDatagram::bind(&path).unwrap();
        let missing = d.path().join("no-journalctl");
        let ev = JournaldEventer::with_socket(&path)
            .unwrap()
            .with_journalctl(&missing);
        let e = ev
            .read(&ReadOptions::default(), &mut |_| Ok(ReadControl::Continue))
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "journald is not available: {}: No such file or directory (os error 2)",
                missing.display()
            )
        );
    }

    /// Writes an executable script, retrying while another test's fork
    /// still holds a writable copy of a descriptor (ETXTBSY).
    fn script(dir: &Path, body: &str) -> PathBuf {
        let path = dir.join("journalctl");
        std::fs::write(&path, format!("#!/bin/sh\n{body}\n")).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        path
    }

    fn run_with_retry(ev: &JournaldEventer, opts: &ReadOptions) -> Result<Vec<Event>> {
        for _ in 0..50 {
            let mut got = Vec::new();
            match ev.read(opts, &mut |e| {
                got.push(e);
                Ok(ReadControl::Continue)
            }) {
                Err(e) if e.to_string().contains("Text file busy") => {
                    thread::sleep(Duration::from_millis(20));
                }
                other => return other.map(|()| got),
            }
        }
        panic!("journalctl script stayed busy");
    }

    #[test]
    fn read_parses_and_filters_journalctl_output() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("journal.socket");
        let _server = UnixDatagram::bind(&path).unwrap();
        let args_file = d.path().join("args");
        let out = d.path().join("out.json");
        std::fs::write(
            &out,
            concat!(
                r#"{"PODMAN_TYPE":"container","PODMAN_EVENT":"start","PODMAN_TIME":"2026-01-01T00:00:01Z","PODMAN_NAME":"a","PODMAN_LABELS":"{\"k\":\"v\"}"}"#,
                "\n",
                "not json\n",
                r#"{"PODMAN_TYPE":"container","PODMAN_EVENT":"died","PODMAN_TIME":"2026-01-01T00:00:02Z","PODMAN_NAME":"b","PODMAN_EXIT_CODE":"7"}"#,
                "\n"
            ),
        )
        .unwrap();
        let js = script(
            d.path(),
            &format!(
                "echo \"$@\" > {}\ncat {}",
                args_file.display(),
                out.display()
            ),
        );
        let ev = JournaldEventer::with_socket(&path)
            .unwrap()
            .with_journalctl(js);
        let all = run_with_retry(&ev, &ReadOptions::default()).unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all[0].attributes.as_ref().unwrap()["k"], "v");
        assert_eq!(all[1].container_exit_code, Some(7));
        let args = std::fs::read_to_string(&args_file).unwrap();
        assert!(args.contains("SYSLOG_IDENTIFIER=rpod"), "{args}");
        assert!(args.contains("--output=json"), "{args}");

        let opts = ReadOptions {
            filter: rpod_runtime_core::events::EventFilter::parse(&["event=died"]).unwrap(),
            since: Some("2026-01-01T00:00:00Z".parse().unwrap()),
            ..Default::default()
        };
        let died = run_with_retry(&ev, &opts).unwrap();
        assert_eq!(died.len(), 1);
        assert_eq!(died[0].name, "b");
        let args = std::fs::read_to_string(&args_file).unwrap();
        assert!(args.contains("--since=@1767225600"), "{args}");
    }

    #[test]
    fn failing_journalctl_reports_its_stderr() {
        let d = tempfile::tempdir().unwrap();
        let path = d.path().join("journal.socket");
        let _server = UnixDatagram::bind(&path).unwrap();
        let js = script(d.path(), "echo 'No journal files were found.' >&2\nexit 1");
        let ev = JournaldEventer::with_socket(&path)
            .unwrap()
            .with_journalctl(js);
        let e = run_with_retry(&ev, &ReadOptions::default()).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("reading events from journald: journalctl exit status: 1"),
            "{e}"
        );
        assert!(
            e.to_string().ends_with("No journal files were found."),
            "{e}"
        );
    }
}
