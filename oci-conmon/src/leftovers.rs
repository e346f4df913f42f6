//! Finding and removing runtime containers and conmon processes of this
//! engine's storage, for `system check`: `runc list` for the runtime's side,
//! `/proc/*/cmdline` for conmons (whose `-b` names the bundle).

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use rpod_runtime_core::oci::RuntimeLeftover;
use rpod_runtime_core::{Error, Result};
use serde::Deserialize;

use crate::ConmonRuntime;

/// One entry of `runc list --format json`.
#[derive(Debug, Deserialize)]
struct Listed {
    id: String,
    #[serde(default)]
    pid: i32,
    #[serde(default)]
    bundle: PathBuf,
}

/// A conmon process as its command line shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Monitor {
    pid: i32,
    ctr_id: String,
    bundle: PathBuf,
    /// An exec session's conmon (`-e`), not the container's own.
    exec: bool,
}

impl ConmonRuntime {
    /// Runtime containers and container monitors with bundles under `under`.
    pub(crate) fn leftovers_under(&self, under: &Path) -> Result<Vec<RuntimeLeftover>> {
        let mut found: BTreeMap<String, RuntimeLeftover> = BTreeMap::new();
        let listed = self.list_runtime()?;
        for l in listed.into_iter().filter(|l| l.bundle.starts_with(under)) {
            found.insert(
                l.id.clone(),
                RuntimeLeftover {
                    id: l.id,
                    bundle: l.bundle,
                    in_runtime: true,
                    pid: (l.pid > 0).then_some(l.pid),
                    monitor_pid: None,
                },
            );
        }
        for m in monitors()
            .into_iter()
            .filter(|m| !m.exec && m.bundle.starts_with(under))
        {
            let e = found
                .entry(m.ctr_id.clone())
                .or_insert_with(|| RuntimeLeftover {
                    id: m.ctr_id.clone(),
                    bundle: m.bundle.clone(),
                    ..Default::default()
                });
            e.monitor_pid = Some(m.pid);
        }
        Ok(found.into_values().collect())
    }

    /// `runc list`. A container removed while runc walks its state
    /// directory makes the listing fail ("stat ...: no such file or
    /// directory"): such a race is retried.
    fn list_runtime(&self) -> Result<Vec<Listed>> {
        let args = [
            OsStr::new("list"),
            OsStr::new("--format"),
            OsStr::new("json"),
        ];
        let mut attempt = 0;
        loop {
            attempt += 1;
            match self.run_runtime(&args)? {
                Ok(out) if out.trim_ascii().is_empty() || out.trim_ascii() == b"null" => {
                    return Ok(Vec::new());
                }
                Ok(out) => {
                    return serde_json::from_slice::<Vec<Listed>>(&out).map_err(|e| {
                        Error::from(e).context("parsing the OCI runtime's container list")
                    });
                }
                Err(f) if attempt < 5 && f.message.contains("no such file or directory") => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(f) => {
                    return Err(Error::msg(f.message).context("listing runtime containers"));
                }
            }
        }
    }

    /// Force-deletes the runtime container, then kills its conmon if the
    /// process still is that conmon, and waits (up to 2 s) until it is gone.
    pub(crate) fn remove(&self, leftover: &RuntimeLeftover) -> Result<()> {
        if leftover.in_runtime {
            self.runtime_delete(&leftover.id)?;
        }
        if let Some(pid) = leftover.monitor_pid
            && monitor(pid).is_some_and(|m| m.ctr_id == leftover.id)
        {
            match kill(Pid::from_raw(pid), Signal::SIGKILL) {
                Ok(()) | Err(nix::errno::Errno::ESRCH) => {}
                Err(e) => {
                    return Err(Error::msg(format!("killing conmon {pid}: {e}")));
                }
            }
            let until = Instant::now() + Duration::from_secs(2);
            while monitor(pid).is_some() && Instant::now() < until {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        Ok(())
    }
}

/// Every conmon process on the machine.
fn monitors() -> Vec<Monitor> {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    rd.flatten()
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<i32>().ok()))
        .filter_map(monitor)
        .collect()
}

/// The conmon running as `pid`, if that process is one.
fn monitor(pid: i32) -> Option<Monitor> {
    let raw = std::fs::read(format!("/proc/{pid}/cmdline")).ok()?;
    parse_cmdline(pid, &raw)
}

/// A conmon's container ID and bundle from its NUL-separated command line.
fn parse_cmdline(pid: i32, raw: &[u8]) -> Option<Monitor> {
    let args: Vec<&str> = raw
        .split(|b| *b == 0)
        .filter_map(|a| std::str::from_utf8(a).ok())
        .collect();
    let exe = args.first()?;
    if Path::new(exe).file_name() != Some(OsStr::new("conmon")) {
        return None;
    }
    let value = |short: &str, long: &str| {
        args.iter()
            .position(|a| *a == short || *a == long)
            .and_then(|i| args.get(i + 1))
            .map(|v| v.to_string())
    };
    Some(Monitor {
        pid,
        ctr_id: value("-c", "--cid")?,
        bundle: PathBuf::from(value("-b", "--bundle")?),
        exec: args.iter().any(|a| *a == "-e" || *a == "--exec"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conmon_command_lines_name_container_and_bundle() {
        let raw = b"/usr/bin/conmon\0--api-version\x001\0-c\0abc\0-u\0abc\0-r\0/usr/sbin/runc\0-b\0/s/overlay-containers/abc/userdata\0-p\0/x/pidfile\0";
        let m = parse_cmdline(42, raw).unwrap();
        assert_eq!(m.ctr_id, "abc");
        assert_eq!(m.bundle, Path::new("/s/overlay-containers/abc/userdata"));
        assert!(!m.exec);
        let exec = b"/usr/bin/conmon\0-c\0abc\0-b\0/b\0-e\0--exec-attach\0";
        assert!(parse_cmdline(1, exec).unwrap().exec);
        assert_eq!(parse_cmdline(1, b"/bin/sh\0-c\0abc\0-b\0/b\0"), None);
        assert_eq!(parse_cmdline(1, b"/usr/bin/conmon\0--version\0"), None);
    }
}
