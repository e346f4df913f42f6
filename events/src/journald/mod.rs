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

mod fields;

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

use chrono::Utc;
use nix::errno::Errno;
use nix::fcntl::{FcntlArg, SealFlag, fcntl};
use nix::sys::memfd::{MFdFlags, memfd_create};
use nix::sys::socket::{ControlMessage, MsgFlags, UnixAddr, sendmsg};
use rpod_runtime_core::error::IoResultExt;
use rpod_runtime_core::events::{Event, Eventer, ReadControl, ReadOptions};
use rpod_runtime_core::{Error, Result, ResultExt};
use serde_json::{Map, Value};

use fields::{encode_entry, entry_fields, event_from_entry};

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
mod tests;
