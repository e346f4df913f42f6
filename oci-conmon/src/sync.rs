//! conmon's sync-pipe messages (`--api-version 1`): one JSON object per
//! packet, `{"data": N}` or `{"data": -1, "message": "…"}`.
//!
//! After `create`, `data` is the container PID; for exec, the first message
//! holds the exec PID and the second the exit code; on the exec attach pipe
//! `{"data": 0}` means "ready to attach". A negative `data` is a failure
//! whose `message` is the runtime's stderr.

use std::io;
use std::path::Path;
use std::time::Duration;

use rpod_runtime_core::Error;
use serde::Deserialize;

use crate::errors;
use crate::seqpacket::SeqPacket;

/// One message from conmon.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(crate) struct SyncMessage {
    /// A PID, an exit code, or a negative failure status.
    pub data: i64,
    /// The runtime's error output, on failure.
    #[serde(default)]
    pub message: Option<String>,
}

/// Parses one packet (the first non-empty line of it).
pub(crate) fn parse(packet: &[u8]) -> Result<SyncMessage, Error> {
    let text = String::from_utf8_lossy(packet);
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    serde_json::from_str(line)
        .map_err(|e| Error::from(e).context(format!("parsing message from conmon {:?}", line)))
}

/// Reads one message, waiting at most `timeout`. `what` names the wait in
/// errors ("container create", "exec session").
pub(crate) fn read(sock: &SeqPacket, timeout: Duration, what: &str) -> Result<SyncMessage, Error> {
    let mut buf = vec![0u8; 64 * 1024];
    match sock.recv_timeout(&mut buf, Some(timeout)) {
        Ok(0) => Err(Error::Internal.context(format!("{what} failed (no logs from conmon): EOF"))),
        Ok(n) => parse(&buf[..n]),
        Err(e) if e.kind() == io::ErrorKind::TimedOut => {
            Err(Error::Internal.context(format!("{what} timed out waiting for conmon")))
        }
        Err(e) => Err(Error::msg(format!("reading from conmon: {e}")).context(what.to_string())),
    }
}

/// The error for a failure message: runc's JSON log at `oci_log` first,
/// else the message conmon relayed.
pub(crate) fn failure(runtime: &str, msg: &SyncMessage, oci_log: &Path, what: &str) -> Error {
    let logged = std::fs::read_to_string(oci_log)
        .ok()
        .and_then(|t| errors::json_log_message(&t));
    match logged.or_else(|| msg.message.clone().filter(|m| !m.trim().is_empty())) {
        Some(text) => errors::runtime_error(runtime, &text),
        None => Error::Internal.context(format!("{what} failed (no logs from conmon)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_pid_and_failure() {
        assert_eq!(
            parse(b"{\"data\": 4242}\n").unwrap(),
            SyncMessage {
                data: 4242,
                message: None
            }
        );
        let m = parse(b"{\"data\": -1, \"message\": \"exec: \\\"x\\\": not found\\n\"}\n").unwrap();
        assert_eq!(m.data, -1);
        assert_eq!(m.message.as_deref(), Some("exec: \"x\": not found\n"));
        assert!(parse(b"garbage").is_err());
        assert!(parse(b"").is_err());
    }

    #[test]
    fn read_reports_eof_and_timeout() {
        let (ours, theirs) = SeqPacket::pair().unwrap();
        let e = read(&ours, Duration::from_millis(30), "container create").unwrap_err();
        assert!(e.is(&Error::Internal));
        assert!(e.to_string().contains("timed out"), "{e}");
        drop(theirs);
        let e = read(&ours, Duration::from_secs(5), "container create").unwrap_err();
        assert_eq!(
            e.to_string(),
            "container create failed (no logs from conmon): EOF: internal libpod error"
        );
    }

    #[test]
    fn failure_prefers_the_oci_log() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("oci-log");
        let msg = SyncMessage {
            data: -1,
            message: Some("stderr text: permission denied".into()),
        };
        let e = failure("runc", &msg, &log, "container create");
        assert!(e.is(&Error::OciRuntimePermissionDenied), "{e}");
        std::fs::write(
            &log,
            "{\"level\":\"error\",\"msg\":\"exec: \\\"x\\\": executable file not found in $PATH\"}\n",
        )
        .unwrap();
        let e = failure("runc", &msg, &log, "container create");
        assert!(e.is(&Error::OciRuntimeNotFound), "{e}");
        assert!(e.to_string().starts_with("runc: exec: \"x\": executable"));
        let empty = SyncMessage {
            data: -1,
            message: None,
        };
        let e = failure("runc", &empty, &dir.path().join("none"), "exec");
        assert!(e.is(&Error::Internal));
    }
}
