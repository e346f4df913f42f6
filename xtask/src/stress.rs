//! `cargo xtask stress`: opt-in crash and load sweeps of the release rpod.
//!
//! - **Kill sweep.** For create, run --rm, rm -f, commit and import: the
//!   operation is traced once with strace to count its state-changing
//!   syscalls, then run once per kill point under
//!   `strace --inject=SYSCALL:signal=KILL:when=N`, so rpod dies on entering
//!   the Nth call of that syscall. After each kill: the next command (`rm`
//!   again for rm), `system check --repair --max 0s`, and a count of what is
//!   left: damage `system check` still sees, a half-made container, and
//!   once everything is removed, mounts, conmons, runtime containers or
//!   locks. The table prints kill points against leftovers.
//! - **Parallel run.** N (default 64) `run --rm` at once on one store:
//!   failures, then the same leak checks.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use crate::Result;
use crate::bench::{Engine, Image, pool};

const USAGE: &str = "usage: cargo xtask stress [--only create,run-rm,rm-f,commit,import,parallel] [--step N] [--parallel N]";

/// Syscalls that change state: a kill on entering one of these is a
/// distinct crash point. (A kill before a read-only call is the same crash
/// as one before the next state-changing call.)
const MUTATING: &str = "openat,write,pwrite64,writev,rename,renameat,renameat2,unlink,unlinkat,mkdir,mkdirat,rmdir,symlinkat,linkat,mount,umount2,flock,fcntl,fsync,fdatasync,ftruncate,clone,clone3,vfork,execve,wait4,kill,sendmsg,connect";

/// One swept operation.
struct Op {
    key: &'static str,
    /// What runs before the armed command (not traced).
    setup: &'static [&'static [&'static str]],
    /// The command that is killed.
    command: &'static [&'static str],
    /// What a user runs next, before the repair.
    next: &'static [&'static [&'static str]],
}

const OPS: &[Op] = &[
    Op {
        key: "create",
        setup: &[],
        command: &[
            "create",
            "--network",
            "none",
            "--name",
            "victim",
            Image::REFERENCE,
            "true",
        ],
        next: &[],
    },
    Op {
        key: "run-rm",
        setup: &[],
        command: &[
            "run",
            "--rm",
            "--network",
            "none",
            "--name",
            "victim",
            Image::REFERENCE,
            "true",
        ],
        next: &[],
    },
    Op {
        key: "rm-f",
        setup: &[&[
            "run",
            "-d",
            "--network",
            "none",
            "--name",
            "victim",
            Image::REFERENCE,
            "sleep",
            "600",
        ]],
        command: &["rm", "-f", "-t", "0", "victim"],
        next: &[&["rm", "-f", "-t", "0", "--ignore", "victim"]],
    },
    Op {
        key: "commit",
        setup: &[&[
            "run",
            "--network",
            "none",
            "--name",
            "victim",
            Image::REFERENCE,
            "sh",
            "-c",
            "echo made > /made",
        ]],
        command: &["commit", "-q", "victim", "snap"],
        next: &[],
    },
    Op {
        key: "import",
        setup: &[],
        command: &["import", "@TARBALL", "second"],
        next: &[],
    },
];

/// One row of the table.
#[derive(Default)]
struct Row {
    points: usize,
    leftovers: usize,
    examples: Vec<String>,
}

pub(crate) fn run(args: &[String]) -> Result {
    let mut only: Option<Vec<String>> = None;
    let mut step = 1usize;
    let mut parallel = 64usize;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or_else(|| USAGE.to_string());
        match a.as_str() {
            "--only" => only = Some(value()?.split(',').map(str::to_string).collect()),
            "--step" => step = value()?.parse().map_err(|_| USAGE.to_string())?,
            "--parallel" => parallel = value()?.parse().map_err(|_| USAGE.to_string())?,
            _ => return Err(format!("unknown argument {a:?}\n{USAGE}")),
        }
    }
    let wants = |k: &str| only.as_ref().is_none_or(|o| o.iter().any(|x| x == k));
    crate::deps()?;
    crate::run(crate::cargo().args(["build", "--quiet", "--release", "-p", "rpod-cli"]))?;
    let dir = crate::root().join("target/stress");
    let rootfs = dir.join("rootfs");
    let tarball = dir.join("busybox.tar");
    let _ = std::fs::remove_dir_all(&rootfs);
    crate::busybox_rootfs(&rootfs)?;
    crate::run(
        Command::new("tar")
            .arg("-C")
            .arg(&rootfs)
            .arg("-cf")
            .arg(&tarball)
            .arg("."),
    )?;
    let engine = Engine::rpod(&dir, crate::root().join("target/release/rpod"));
    engine.prepare(&tarball)?;

    let mut table = String::from("operation   kill points   leftovers\n");
    let mut total_left = 0;
    for op in OPS.iter().filter(|o| wants(o.key)) {
        let row = sweep(&engine, op, &tarball, step).unwrap_or_else(|e| Row {
            points: 0,
            leftovers: 1,
            examples: vec![format!("sweep failed: {e}")],
        });
        reset(&engine)?;
        table.push_str(&format!(
            "{:<11} {:>11}   {:>9}\n",
            op.key, row.points, row.leftovers
        ));
        for e in row.examples.iter().take(5) {
            table.push_str(&format!("    {e}\n"));
        }
        total_left += row.leftovers;
    }
    let mut parallel_failures = 0;
    if wants("parallel") {
        let (failed, leaks) = parallel_run(&engine, parallel)?;
        table.push_str(&format!(
            "{parallel} parallel run --rm: {failed} failed, leftovers: {}\n",
            if leaks.is_empty() {
                "none".to_string()
            } else {
                leaks.join("; ")
            }
        ));
        parallel_failures = failed + leaks.len();
    }
    engine.destroy();
    #[allow(clippy::print_stdout)]
    {
        println!("{table}");
    }
    if total_left + parallel_failures > 0 {
        return Err(format!(
            "stress: {total_left} kill points left something; {parallel_failures} parallel failures or leaks"
        ));
    }
    Ok(())
}

fn args_of(op_args: &[&str], tarball: &Path) -> Vec<String> {
    op_args
        .iter()
        .map(|a| {
            if *a == "@TARBALL" {
                tarball.to_string_lossy().into_owned()
            } else {
                a.to_string()
            }
        })
        .collect()
}

fn output(cmd: &mut Command) -> Result<Output> {
    cmd.output()
        .map_err(|e| format!("running {}: {e}", crate::shown(cmd)))
}

fn sweep(engine: &Engine, op: &Op, tarball: &Path, step: usize) -> Result<Row> {
    let command = args_of(op.command, tarball);
    // Count the kill points once.
    for s in op.setup {
        crate::bench::quiet(&mut engine.cmd(s))?;
    }
    let log = engine.dir.join("trace.log");
    let mut traced = Command::new("strace");
    traced
        .args(["-qq", "-o"])
        .arg(&log)
        .args(["-e", &format!("trace={MUTATING}"), "--"])
        .arg(&engine.bin);
    let plain = engine.cmd(&command);
    traced
        .args(plain.get_args())
        .envs(plain.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))));
    let out = output(traced.stdin(std::process::Stdio::null()))?;
    if !out.status.success() {
        return Err(format!(
            "{}: the traced run failed: {}",
            op.key,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let counts = count_calls(&std::fs::read_to_string(&log).map_err(|e| e.to_string())?);
    reset(engine)?;
    let points: Vec<(String, usize)> = counts
        .iter()
        .flat_map(|(s, n)| (1..=*n).map(move |k| (s.clone(), k)))
        .step_by(step.max(1))
        .collect();
    eprintln!("stress: {}: {} kill points", op.key, points.len());
    let mut row = Row::default();
    for (syscall, k) in points {
        for s in op.setup {
            crate::bench::quiet(&mut engine.cmd(s))?;
        }
        let mut killed = Command::new("strace");
        killed
            .args(["-qq", "-o", "/dev/null", "-e"])
            .arg(format!("trace={syscall}"))
            .arg("-e")
            .arg(format!("inject={syscall}:signal=KILL:when={k}"))
            .arg("--")
            .arg(&engine.bin);
        let plain = engine.cmd(&command);
        killed
            .args(plain.get_args())
            .envs(plain.get_envs().filter_map(|(k, v)| v.map(|v| (k, v))));
        output(killed.stdin(std::process::Stdio::null()))?;
        for n in op.next {
            let _ = output(&mut engine.cmd(n))?;
        }
        let _ = output(&mut engine.cmd(&["system", "check", "--repair", "--max", "0s"]))?;
        row.points += 1;
        let left = leftovers(engine)?;
        if !left.is_empty() {
            row.leftovers += 1;
            row.examples
                .push(format!("{syscall}#{k}: {}", left.join("; ")));
        }
        reset(engine)?;
    }
    Ok(row)
}

/// Calls per syscall name in an strace log (`name(args) = ret` lines).
fn count_calls(log: &str) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for line in log.lines() {
        let name: String = line
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if !name.is_empty() && line[name.len()..].starts_with('(') {
            *counts.entry(name).or_insert(0) += 1;
        }
    }
    counts
}

/// What the repair left: damage a check still reports, a half-made
/// container, and once every container is removed, mounts, conmons,
/// runtime containers and locks.
fn leftovers(engine: &Engine) -> Result<Vec<String>> {
    let mut left = Vec::new();
    let check = output(&mut engine.cmd(&["system", "check", "--max", "0s"]))?;
    if !check.status.success() || !check.stdout.is_empty() {
        left.push(format!("check: {}", said(&check)));
    }
    let ps = output(&mut engine.cmd(&[
        "ps",
        "-a",
        "--external",
        "--format",
        "{{.Names}} {{.State}}",
    ]))?;
    for row in String::from_utf8_lossy(&ps.stdout).lines() {
        if row.ends_with(" storage") {
            left.push(format!("half-made container {row}"));
        }
    }
    // Whole containers and images are fine; remove them and look for leaks.
    let _ = output(&mut engine.cmd(&["rm", "-a", "-f", "-t", "0"]))?;
    for img in ["snap", "second"] {
        let _ = output(&mut engine.cmd(&["rmi", img]))?;
    }
    let check = output(&mut engine.cmd(&["system", "check", "--max", "0s"]))?;
    if !check.status.success() || !check.stdout.is_empty() {
        left.push(format!("after rm -a: {}", said(&check)));
    }
    let base = engine.dir.to_string_lossy().into_owned();
    let mounts = std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let n = mounts
        .lines()
        .filter_map(|l| l.split_whitespace().nth(4))
        .filter(|m| m.starts_with(&base))
        .count();
    if n > 0 {
        left.push(format!("{n} mounts"));
    }
    let conmons = processes_mentioning("conmon", &base);
    if conmons > 0 {
        left.push(format!("{conmons} conmons"));
    }
    let runc = output(Command::new("runc").args(["list", "--format", "json"]))?;
    if String::from_utf8_lossy(&runc.stdout).contains(&base) {
        left.push("runtime container".into());
    }
    Ok(left)
}

/// What a command printed, stdout then stderr, on one line.
fn said(o: &Output) -> String {
    format!(
        "{} {}",
        String::from_utf8_lossy(&o.stdout).trim(),
        String::from_utf8_lossy(&o.stderr).trim()
    )
    .trim()
    .replace('\n', " | ")
}

/// Processes whose program is `exe` and whose command line mentions `needle`.
fn processes_mentioning(exe: &str, needle: &str) -> usize {
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return 0;
    };
    rd.flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        })
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .filter(|c| c.split(' ').next().is_some_and(|p| p.ends_with(exe)) && c.contains(needle))
        .count()
}

/// Back to the base image alone.
fn reset(engine: &Engine) -> Result {
    let _ = output(&mut engine.cmd(&["rm", "-a", "-f", "-t", "0"]))?;
    for img in ["snap", "second"] {
        let _ = output(&mut engine.cmd(&["rmi", img]))?;
    }
    Ok(())
}

/// `width` `run --rm` at once; the failures and the leftovers after.
fn parallel_run(engine: &Engine, width: usize) -> Result<(usize, Vec<String>)> {
    let results = pool(width, width, |i| {
        let name = format!("par{i}");
        engine
            .cmd(&[
                "run",
                "--rm",
                "--network",
                "none",
                "--name",
                &name,
                Image::REFERENCE,
                "true",
            ])
            .output()
            .map(|o| o.status.success())
            .unwrap_or(false)
    });
    let failed = results.iter().filter(|ok| !**ok).count();
    Ok((failed, leftovers(engine)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strace_logs_are_counted_per_syscall() {
        let log = "openat(AT_FDCWD, \"/x\", O_RDONLY) = 3\nwrite(1, \"a\", 1) = 1\nopenat(AT_FDCWD, \"/y\", O_RDONLY) = -1 ENOENT\n+++ killed by SIGKILL +++\n--- SIGCHLD {si_signo=SIGCHLD} ---\n";
        let c = count_calls(log);
        assert_eq!(c.get("openat"), Some(&2));
        assert_eq!(c.get("write"), Some(&1));
        assert_eq!(c.len(), 2);
    }
}
