//! `top`: the container's processes, with `ps`-style fields read from /proc
//! and PIDs as the container sees them.

use std::path::Path;

use super::{Container, ContainerStatus};
use crate::confined::ConfinedRoot;
use crate::error::{Error, Result};

/// The descriptors `top` understands, with Podman's column headers.
pub const DESCRIPTORS: &[(&str, &str)] = &[
    ("user", "USER"),
    ("pid", "PID"),
    ("ppid", "PPID"),
    ("pcpu", "%CPU"),
    ("etime", "ELAPSED"),
    ("tty", "TTY"),
    ("time", "TIME"),
    ("comm", "COMMAND"),
    ("args", "COMMAND"),
    ("group", "GROUP"),
    ("nice", "NI"),
    ("vsz", "VSZ"),
    ("rss", "RSS"),
    ("state", "STATE"),
];

/// The default descriptors.
pub const DEFAULT_DESCRIPTORS: [&str; 8] = [
    "user", "pid", "ppid", "pcpu", "etime", "tty", "time", "args",
];

struct Proc {
    ns_pid: String,
    ns_ppid: String,
    uid: u32,
    gid: u32,
    comm: String,
    args: String,
    state: String,
    utime_stime_ticks: u64,
    start_ticks: u64,
    nice: i64,
    vsz_kb: u64,
    rss_kb: u64,
    tty_nr: i64,
}

fn read_proc(pid: u32) -> Option<Proc> {
    let base = Path::new("/proc").join(pid.to_string());
    let status = std::fs::read_to_string(base.join("status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .map(|v| v.trim().to_string())
    };
    let ns_pid = field("NSpid:")?.split_whitespace().last()?.to_string();
    let uid = field("Uid:")?.split_whitespace().next()?.parse().ok()?;
    let gid = field("Gid:")?.split_whitespace().next()?.parse().ok()?;
    let stat = std::fs::read_to_string(base.join("stat")).ok()?;
    let close = stat.rfind(')')?;
    let comm = stat.get(stat.find('(')? + 1..close)?.to_string();
    let rest: Vec<&str> = stat.get(close + 2..)?.split_whitespace().collect();
    let num = |i: usize| rest.get(i).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let ppid_host = num(1) as u32;
    let ns_ppid = std::fs::read_to_string(
        Path::new("/proc")
            .join(ppid_host.to_string())
            .join("status"),
    )
    .ok()
    .and_then(|s| {
        s.lines()
            .find_map(|l| l.strip_prefix("NSpid:"))
            .and_then(|v| v.split_whitespace().last().map(str::to_string))
    })
    .unwrap_or_else(|| "0".into());
    let cmdline = std::fs::read(base.join("cmdline")).unwrap_or_default();
    let args = cmdline
        .split(|b| *b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    Some(Proc {
        ns_pid,
        ns_ppid,
        uid,
        gid,
        comm: comm.clone(),
        args: if args.is_empty() { comm } else { args },
        state: rest.first().map(|s| s.to_string()).unwrap_or_default(),
        utime_stime_ticks: (num(11) + num(12)) as u64,
        start_ticks: num(19) as u64,
        nice: num(16),
        vsz_kb: num(20) as u64 / 1024,
        rss_kb: num(21) as u64 * 4,
        tty_nr: num(4),
    })
}

/// The name of `id` in the root's `file` (`/etc/passwd` or `/etc/group`),
/// read inside the root; the number itself when there is none.
fn name_of(root: Option<&ConfinedRoot>, file: &str, id: u32) -> String {
    root.and_then(|r| r.read_to_string(file).ok().flatten())
        .and_then(|t| {
            t.lines().find_map(|l| {
                let f: Vec<&str> = l.split(':').collect();
                (f.len() > 2 && f[2] == id.to_string()).then(|| f[0].to_string())
            })
        })
        .unwrap_or_else(|| id.to_string())
}

fn fmt_duration(secs: u64) -> String {
    let (d, h, m, s) = (secs / 86400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    if d > 0 {
        format!("{d}d{h}h")
    } else if h > 0 {
        format!("{h}h{m}m{s}s")
    } else if m > 0 {
        format!("{m}m{s}s")
    } else {
        format!("{s}s")
    }
}

impl Container {
    /// The processes running in the container, one row per process with the
    /// fields named by `descriptors` (Podman's names: user, pid, ppid, pcpu,
    /// etime, tty, time, args, comm, ...). Returns the headers and the rows.
    pub fn top(&mut self, descriptors: &[String]) -> Result<(Vec<String>, Vec<Vec<String>>)> {
        let _held = self.lock_and_sync()?;
        if !matches!(
            self.rec.state.state,
            ContainerStatus::Running | ContainerStatus::Paused
        ) {
            return Err(Error::CtrStateInvalid
                .context("top can only be used on running containers".to_string()));
        }
        let descs: Vec<String> = if descriptors.is_empty() {
            DEFAULT_DESCRIPTORS.iter().map(|s| s.to_string()).collect()
        } else {
            descriptors.to_vec()
        };
        let mut headers = Vec::new();
        for d in &descs {
            let (_, h) = DESCRIPTORS
                .iter()
                .find(|(n, _)| n == d)
                .ok_or_else(|| Error::InvalidArg.context(format!("unknown descriptor: {d}")))?;
            headers.push(h.to_string());
        }
        let init = self.rec.state.pid;
        let ns = std::fs::read_link(format!("/proc/{init}/ns/pid"))
            .map_err(|e| Error::io(format!("/proc/{init}/ns/pid"), e))?;
        let rootfs = self
            .rec
            .config
            .oci_spec()
            .ok()
            .flatten()
            .and_then(|s| s.root().as_ref().map(|r| r.path().clone()))
            .unwrap_or_default();
        let files = ConfinedRoot::open(&rootfs).ok();
        let ticks = nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
            .ok()
            .flatten()
            .unwrap_or(100) as u64;
        let uptime: f64 = std::fs::read_to_string("/proc/uptime")
            .ok()
            .and_then(|s| s.split_whitespace().next().and_then(|v| v.parse().ok()))
            .unwrap_or(0.0);
        let mut rows: Vec<(u64, Vec<String>)> = Vec::new();
        for entry in std::fs::read_dir("/proc")
            .map_err(|e| Error::io("/proc", e))?
            .flatten()
        {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            if std::fs::read_link(format!("/proc/{pid}/ns/pid"))
                .ok()
                .as_ref()
                != Some(&ns)
            {
                continue;
            }
            let Some(p) = read_proc(pid) else { continue };
            let elapsed = (uptime - p.start_ticks as f64 / ticks as f64).max(0.0);
            let cpu_secs = p.utime_stime_ticks as f64 / ticks as f64;
            let row = descs
                .iter()
                .map(|d| match d.as_str() {
                    "user" => name_of(files.as_ref(), "/etc/passwd", p.uid),
                    "group" => name_of(files.as_ref(), "/etc/group", p.gid),
                    "pid" => p.ns_pid.clone(),
                    "ppid" => p.ns_ppid.clone(),
                    "pcpu" => format!(
                        "{:.3}",
                        if elapsed > 0.0 {
                            cpu_secs / elapsed * 100.0
                        } else {
                            0.0
                        }
                    ),
                    "etime" => fmt_duration(elapsed as u64),
                    "tty" => {
                        if p.tty_nr == 0 {
                            "?".into()
                        } else {
                            format!("pts/{}", p.tty_nr & 0xff)
                        }
                    }
                    "time" => fmt_duration(cpu_secs as u64),
                    "comm" => p.comm.clone(),
                    "args" => p.args.clone(),
                    "nice" => p.nice.to_string(),
                    "vsz" => p.vsz_kb.to_string(),
                    "rss" => p.rss_kb.to_string(),
                    "state" => p.state.clone(),
                    _ => String::new(),
                })
                .collect();
            rows.push((p.ns_pid.parse().unwrap_or(0), row));
        }
        rows.sort_by_key(|(pid, _)| *pid);
        Ok((headers, rows.into_iter().map(|(_, r)| r).collect()))
    }
}
