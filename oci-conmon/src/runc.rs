//! The runtime verbs rpod runs itself: `start`, `kill`, `delete`, `pause`,
//! `resume`, `state` (`<runtime> <verb> … <id>`, errors from its stderr).

use std::ffi::OsStr;
use std::process::{Command, Stdio};

use rpod_runtime_core::oci::OciState;
use rpod_runtime_core::{Error, Result};
use serde::Deserialize;

use crate::ConmonRuntime;
use crate::errors;

/// How a failed runtime call ended.
#[derive(Debug)]
pub(crate) struct Failure {
    /// The runtime's error message.
    pub message: String,
}

impl ConmonRuntime {
    /// Runs the runtime with `args`; its stdout on success.
    pub(crate) fn run_runtime(
        &self,
        args: &[&OsStr],
    ) -> Result<std::result::Result<Vec<u8>, Failure>> {
        tracing::debug!(runtime = %self.path.display(), ?args, "running the OCI runtime");
        let out = Command::new(&self.path)
            .args(args)
            .stdin(Stdio::null())
            .env_remove("NOTIFY_SOCKET")
            .output()
            .map_err(|e| Error::io(&self.path, e))?;
        if out.status.success() {
            return Ok(Ok(out.stdout));
        }
        let stderr = String::from_utf8_lossy(&out.stderr);
        let mut message = errors::stderr_message(&stderr);
        if message.is_empty() {
            message = format!("{} failed: {}", self.name, out.status);
        }
        Ok(Err(Failure { message }))
    }

    /// Runs the runtime, mapping a failure to the engine's errors.
    pub(crate) fn runtime(&self, args: &[&str]) -> Result<Vec<u8>> {
        let args: Vec<&OsStr> = args.iter().map(OsStr::new).collect();
        self.run_runtime(&args)?
            .map_err(|f| errors::runtime_error(&self.name, &f.message))
    }

    /// `runc state <id>`; a container the runtime does not know is `stopped`.
    pub(crate) fn runtime_state(&self, id: &str) -> Result<OciState> {
        match self.run_runtime(&[OsStr::new("state"), OsStr::new(id)])? {
            Ok(stdout) => parse_state(&stdout),
            Err(f) if f.message.contains("does not exist") => Ok(OciState {
                status: "stopped".into(),
                pid: 0,
            }),
            Err(f) => Err(errors::runtime_error(&self.name, &f.message)),
        }
    }

    /// `runc delete --force <id>`; a container already gone is fine.
    pub(crate) fn runtime_delete(&self, id: &str) -> Result<()> {
        match self.run_runtime(&[OsStr::new("delete"), OsStr::new("--force"), OsStr::new(id)])? {
            Ok(_) => Ok(()),
            Err(f) if f.message.contains("does not exist") => Ok(()),
            Err(f) => Err(errors::runtime_error(&self.name, &f.message)),
        }
    }
}

#[derive(Deserialize)]
struct RuncState {
    status: String,
    #[serde(default)]
    pid: i32,
}

/// Parses `runc state` output.
pub(crate) fn parse_state(stdout: &[u8]) -> Result<OciState> {
    let st: RuncState = serde_json::from_slice(stdout)
        .map_err(|e| Error::from(e).context("parsing the OCI runtime's state"))?;
    Ok(OciState {
        status: st.status,
        pid: st.pid,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_runc_state() {
        let out = br#"{"ociVersion":"1.0.2-dev","id":"x","pid":4321,"status":"running","bundle":"/b","rootfs":"/b/rootfs","created":"2026-11-28T14:02:45.1Z","owner":""}"#;
        assert_eq!(
            parse_state(out).unwrap(),
            OciState {
                status: "running".into(),
                pid: 4321
            }
        );
        assert!(parse_state(b"{}").is_err());
    }
}
