//! `cargo xtask bench`: rpod and Podman side by side on this machine.
//!
//! Builds rpod in release mode, gives each engine private roots under
//! `target/bench/<engine>/`, runs every scenario for both engines
//! alternately (warm-up rounds first, the order flipped every round), prints
//! one table (scenario, Podman median, rpod median, ratio, target, result)
//! and writes every sample to `target/bench/results.json`. It reports; it
//! does not gate: missed targets still exit 0.

mod engine;
mod report;
mod scenarios;
mod stats;

use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

pub(crate) use engine::{Engine, Image};

use super::Result;

/// How much to measure.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    /// `quick` or `full`.
    pub mode: &'static str,
    /// Unrecorded rounds before the single-command scenarios.
    pub warmup: usize,
    /// Recorded rounds of the single-command scenarios.
    pub rounds: usize,
    /// Recorded rounds of the scenarios that time many containers
    /// (one small warm-up round comes first).
    pub bulk_rounds: usize,
    /// Recorded rounds of the concurrent `run --rm` batch.
    pub batch_rounds: usize,
    /// Containers created one after another in the create scenario.
    pub n_create: usize,
    /// Containers present for `ps -a` and `inspect`.
    pub n_population: usize,
    /// Containers removed by one `rm -f`.
    pub n_rm: usize,
    /// `run --rm` commands in one concurrent batch.
    pub batch_total: usize,
    /// How many of them run at a time.
    pub batch_width: usize,
    /// Parallel commands when creating containers for a scenario (untimed).
    pub setup_width: usize,
}

impl Plan {
    fn full() -> Plan {
        Plan {
            mode: "full",
            warmup: 2,
            rounds: 15,
            bulk_rounds: 3,
            batch_rounds: 6,
            n_create: 200,
            n_population: 500,
            n_rm: 100,
            batch_total: 16,
            batch_width: 8,
            setup_width: 4,
        }
    }

    fn quick() -> Plan {
        Plan {
            mode: "quick",
            warmup: 1,
            rounds: 3,
            bulk_rounds: 3,
            batch_rounds: 3,
            n_create: 50,
            n_population: 50,
            n_rm: 50,
            ..Plan::full()
        }
    }
}

const USAGE: &str = "usage: cargo xtask bench [--quick] [--only KEY[,KEY...]]\n\
    keys: floor run_rm create ps inspect start_stop exec concurrent rm_many volume_run cp pod";

/// `cargo xtask bench [--quick] [--only KEY,...]`.
pub(crate) fn run(args: &[String]) -> Result {
    let mut plan = Plan::full();
    let mut only: Option<Vec<String>> = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" => plan = Plan::quick(),
            "--only" => {
                let v = it.next().ok_or(USAGE)?;
                only = Some(v.split(',').map(str::to_string).collect());
            }
            _ => return Err(format!("unknown argument {a:?}\n{USAGE}")),
        }
    }
    if let Some(keys) = &only
        && let Some(bad) = keys.iter().find(|k| !scenarios::KEYS.contains(&k.as_str()))
    {
        return Err(format!("unknown scenario {bad:?}\n{USAGE}"));
    }

    super::run(super::cargo().args(["build", "--quiet", "--release", "-p", "rpod-cli"]))?;
    let started = Instant::now();
    let load_before = loadavg();
    let bench_dir = super::root().join("target/bench");
    let rpod_bin = super::root().join("target/release/rpod");
    let engines = [
        Engine::podman(&bench_dir),
        Engine::rpod(&bench_dir, rpod_bin),
    ];
    let rootfs = bench_dir.join("rootfs");
    let floor_dir = bench_dir.join("floor");
    let tarball = bench_dir.join("busybox.tar");
    for d in [&rootfs, &floor_dir] {
        remove_dir(d);
    }
    super::busybox_rootfs(&rootfs)?;
    super::run(
        Command::new("tar")
            .arg("-C")
            .arg(&rootfs)
            .arg("-cf")
            .arg(&tarball)
            .arg("."),
    )?;
    let image = Image::imported();
    for e in &engines {
        e.prepare(&tarball)?;
    }
    eprintln!(
        "bench: {} mode; Podman and rpod alternate, state under {}",
        plan.mode,
        bench_dir.display()
    );

    let ctx = scenarios::Ctx {
        engines: &engines,
        image: &image,
        plan: &plan,
        floor_dir: &floor_dir,
        only: only.as_deref(),
    };
    let results = scenarios::all(&ctx);

    let elapsed = started.elapsed().as_secs_f64();
    println!("{}", report::table(&results, &image));
    let environment = [
        ("podman", engines[0].version()),
        ("rpod", engines[1].version()),
        ("runc", first_line_of(Command::new("runc").arg("--version"))),
        (
            "conmon",
            first_line_of(Command::new("conmon").arg("--version")),
        ),
        ("kernel", first_line_of(Command::new("uname").arg("-r"))),
        ("loadavg_before", load_before),
        ("loadavg_after", loadavg()),
    ];
    let json = report::json(&results, &plan, &image, &environment, elapsed);
    let out = bench_dir.join("results.json");
    let written = serde_json::to_string_pretty(&json)
        .map_err(std::io::Error::other)
        .and_then(|text| std::fs::write(&out, text + "\n"));

    for e in &engines {
        e.destroy();
    }
    for d in [&rootfs, &floor_dir] {
        remove_dir(d);
    }
    let _ = std::fs::remove_file(&tarball);
    written.map_err(|e| format!("writing {}: {e}", out.display()))?;
    eprintln!("bench: {:.0} s; every sample in {}", elapsed, out.display());
    Ok(())
}

/// One timed command (or batch): wall milliseconds, or what went wrong.
pub(crate) type Outcome = std::result::Result<f64, String>;

/// Runs `cmd` to completion and returns its wall time in milliseconds,
/// measured with `Instant` around spawn and wait; output is captured so the
/// terminal costs nothing.
pub(crate) fn timed(cmd: &mut Command) -> Outcome {
    let start = Instant::now();
    let out = cmd.output();
    let ms = start.elapsed().as_secs_f64() * 1e3;
    match out {
        Ok(o) if o.status.success() => Ok(ms),
        Ok(o) => Err(failure(cmd, &o)),
        Err(e) => Err(format!("{}: {e}", super::shown(cmd))),
    }
}

/// Runs `cmd` untimed; an error carries its stderr.
pub(crate) fn quiet(cmd: &mut Command) -> Result {
    match cmd.output() {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(failure(cmd, &o)),
        Err(e) => Err(format!("{}: {e}", super::shown(cmd))),
    }
}

/// Runs `cmd` and returns its trimmed stdout.
pub(crate) fn stdout_of(cmd: &mut Command) -> Result<String> {
    match cmd.output() {
        Ok(o) if o.status.success() => Ok(String::from_utf8_lossy(&o.stdout).trim().to_string()),
        Ok(o) => Err(failure(cmd, &o)),
        Err(e) => Err(format!("{}: {e}", super::shown(cmd))),
    }
}

/// First line of `cmd`'s stdout, or `unknown`.
pub(crate) fn first_line_of(cmd: &mut Command) -> String {
    stdout_of(cmd)
        .ok()
        .and_then(|s| s.lines().next().map(str::to_string))
        .unwrap_or_else(|| "unknown".into())
}

fn failure(cmd: &Command, o: &std::process::Output) -> String {
    let err = String::from_utf8_lossy(&o.stderr);
    let last = err
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("");
    let args: Vec<String> = cmd
        .get_args()
        .map(|a| a.to_string_lossy().into_owned())
        .collect();
    // The verb, not the private global options, says what failed.
    let verb = args
        .iter()
        .position(|a| a == "cgroupfs")
        .map_or(&args[..], |i| &args[i + 1..]);
    let mut shown = verb.iter().take(4).cloned().collect::<Vec<_>>().join(" ");
    if verb.len() > 4 {
        shown.push_str(" ...");
    }
    format!("{shown}: {}: {last}", o.status)
}

/// Runs `job(0..total)` on `width` threads; results in completion order.
pub(crate) fn pool<T: Send>(total: usize, width: usize, job: impl Fn(usize) -> T + Sync) -> Vec<T> {
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(total));
    std::thread::scope(|s| {
        for _ in 0..width.clamp(1, total.max(1)) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    if i >= total {
                        break;
                    }
                    let r = job(i);
                    if let Ok(mut v) = results.lock() {
                        v.push(r);
                    }
                }
            });
        }
    });
    results.into_inner().unwrap_or_default()
}

/// The 1, 5 and 15 minute load averages: other work on the machine skews
/// absolute times (the alternation keeps the ratios fair).
fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn remove_dir(d: &Path) {
    if let Err(e) = std::fs::remove_dir_all(d)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        eprintln!("bench: removing {}: {e}", d.display());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pool_runs_every_job_once_and_never_more_than_width_at_a_time() {
        let running = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let mut done = pool(16, 4, |i| {
            let now = running.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            std::thread::sleep(std::time::Duration::from_millis(5));
            running.fetch_sub(1, Ordering::SeqCst);
            i
        });
        done.sort_unstable();
        assert_eq!(done, (0..16).collect::<Vec<_>>());
        let peak = peak.load(Ordering::SeqCst);
        assert!((2..=4).contains(&peak), "peak {peak}");
    }

    #[test]
    fn timed_reports_success_and_failure() {
        assert!(timed(&mut Command::new("true")).is_ok_and(|ms| ms >= 0.0));
        let err = timed(Command::new("sh").args(["-c", "echo boom >&2; exit 3"])).unwrap_err();
        assert!(err.contains("boom"), "{err}");
        assert!(err.contains('3'), "{err}");
    }
}
