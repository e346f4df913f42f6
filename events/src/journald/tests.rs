//! Tests of the journald eventer: the entry encoding, Podman's fields, the
//! socket and memfd paths, and reading through a stand-in `journalctl`.

use super::fields::{encode_entry, entry_fields, event_from_entry, valid_field_name};
use super::*;
use chrono::DateTime;
use rpod_runtime_core::events::{EventStatus, EventType};
use rpod_runtime_core::time::rfc3339_nano;
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
