//! Running the netavark binary: `netavark --config <run dir>
//! --rootless=false --aardvark-binary <path> setup|teardown <netns>`, the
//! same JSON document on stdin for both, a status map (setup) or nothing
//! (teardown) on stdout, `{"error": ...}` on stdout when it fails.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rpod_runtime_core::network::{Network, PerNetworkOptions, PortMapping, StatusBlock};
use rpod_runtime_core::{Error, Result};
use serde::Serialize;

/// Where Podman looks for its helper binaries (containers.conf's default
/// `helper_binaries_dir`).
pub(crate) const HELPER_DIRS: [&str; 4] = [
    "/usr/local/libexec/podman",
    "/usr/local/lib/podman",
    "/usr/libexec/podman",
    "/usr/lib/podman",
];

/// The first `name` in the helper directories.
pub(crate) fn find_helper(name: &str) -> Result<PathBuf> {
    HELPER_DIRS
        .iter()
        .map(|d| Path::new(d).join(name))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            Error::Message(format!(
                "could not find {name:?} in one of {HELPER_DIRS:?}. To resolve this error, set the helper_binaries_dir key in the `[engine]` section of containers.conf to the directory containing your helper binaries."
            ))
        })
}

/// netavark's input document.
#[derive(Debug, Serialize)]
pub(crate) struct NetavarkInput<'a> {
    pub(crate) container_id: &'a str,
    pub(crate) container_name: &'a str,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    pub(crate) port_mappings: &'a [PortMapping],
    pub(crate) networks: BTreeMap<String, PerNetworkOptions>,
    pub(crate) network_info: BTreeMap<String, Network>,
}

/// How to run netavark.
#[derive(Debug, Clone)]
pub(crate) struct Netavark {
    pub(crate) binary: PathBuf,
    pub(crate) aardvark: PathBuf,
    pub(crate) run_dir: PathBuf,
}

#[derive(serde::Deserialize)]
struct NetavarkError {
    error: String,
}

impl Netavark {
    /// Runs `verb` on `netns` with `input`; returns stdout.
    fn run(&self, verb: &str, netns: &Path, input: &NetavarkInput<'_>) -> Result<Vec<u8>> {
        let json = serde_json::to_vec(input)?;
        tracing::debug!(
            "netavark {verb} {}: {}",
            netns.display(),
            String::from_utf8_lossy(&json)
        );
        let mut child = Command::new(&self.binary)
            .arg("--config")
            .arg(&self.run_dir)
            .arg("--rootless=false")
            .arg("--aardvark-binary")
            .arg(&self.aardvark)
            .arg(verb)
            .arg(netns)
            .env("RUST_LOG", "netavark=warn")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::io(&self.binary, e).context("running netavark"))?;
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(&json)
                .map_err(|e| Error::io(&self.binary, e).context("writing to netavark"))?;
        }
        let out = child
            .wait_with_output()
            .map_err(|e| Error::io(&self.binary, e).context("waiting for netavark"))?;
        let stderr = String::from_utf8_lossy(&out.stderr);
        if !stderr.trim().is_empty() {
            tracing::debug!("netavark {verb} stderr: {}", stderr.trim());
        }
        if out.status.success() {
            return Ok(out.stdout);
        }
        let msg = serde_json::from_slice::<NetavarkError>(&out.stdout)
            .map(|e| e.error)
            .unwrap_or_else(|_| {
                let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
                if text.is_empty() {
                    format!("{} ({})", stderr.trim(), out.status)
                } else {
                    text
                }
            });
        Err(Error::Message(format!("netavark: {msg}")))
    }

    /// `setup`: the status of each network.
    pub(crate) fn setup(
        &self,
        netns: &Path,
        input: &NetavarkInput<'_>,
    ) -> Result<BTreeMap<String, StatusBlock>> {
        let out = self.run("setup", netns, input)?;
        serde_json::from_slice(&out)
            .map_err(|e| Error::from(e).context("decoding netavark's setup output"))
    }

    /// `teardown`.
    pub(crate) fn teardown(&self, netns: &Path, input: &NetavarkInput<'_>) -> Result<()> {
        self.run("teardown", netns, input).map(drop)
    }
}
