//! The scenarios of the benchmark issue, each run for both engines
//! alternately, and the bare `runc run` floor.

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;

use super::engine::{Engine, Image};
use super::stats::{Summary, summarize};
use super::{Outcome, Plan, pool, quiet, stdout_of, timed};
use crate::Result;

/// Scenario keys, in the order they run (`--only` takes these).
pub(crate) const KEYS: &[&str] = &[
    "floor",
    "run_rm",
    "create",
    "ps",
    "inspect",
    "start_stop",
    "exec",
    "concurrent",
    "rm_many",
    "volume_run",
    "cp",
    "pod",
];

/// What every scenario needs.
pub(crate) struct Ctx<'a> {
    /// Podman, then rpod.
    pub engines: &'a [Engine; 2],
    /// What both run.
    pub image: &'a Image,
    /// How much to measure.
    pub plan: &'a Plan,
    /// Where the floor's runc bundle and state go.
    pub floor_dir: &'a Path,
    /// Scenario keys to run; all when `None`.
    pub only: Option<&'a [String]>,
}

impl Ctx<'_> {
    fn wants(&self, key: &str) -> bool {
        self.only.is_none_or(|o| o.iter().any(|k| k == key))
    }
}

/// The samples of one engine (or of bare runc) in one scenario.
#[derive(Debug, Default)]
pub(crate) struct Samples {
    /// Recorded wall times, milliseconds.
    pub ms: Vec<f64>,
    /// Commands that failed (warm-up included).
    pub failures: usize,
    /// The first failure's message.
    pub first_error: Option<String>,
}

impl Samples {
    fn add(&mut self, o: Outcome, record: bool) {
        match o {
            Ok(ms) if record => self.ms.push(ms),
            Ok(_) => {}
            Err(e) => {
                self.failures += 1;
                self.first_error.get_or_insert(e);
            }
        }
    }

    /// Median and friends of the recorded samples.
    pub(crate) fn summary(&self) -> Option<Summary> {
        summarize(&self.ms)
    }
}

/// One row of the report.
#[derive(Debug)]
pub(crate) struct Measured {
    /// Stable key (`--only`, JSON).
    pub key: &'static str,
    /// The command measured, as in the issue.
    pub label: String,
    /// What one sample is.
    pub unit: String,
    /// Target ratio rpod/Podman; `None` for the floor.
    pub target: Option<f64>,
    /// Podman's samples (empty for the floor).
    pub podman: Samples,
    /// rpod's samples (bare runc's for the floor).
    pub rpod: Samples,
    /// Setup or cleanup that failed, so the numbers are missing or suspect.
    pub error: Option<String>,
}

impl Measured {
    fn new(
        key: &'static str,
        label: impl Into<String>,
        unit: impl Into<String>,
        target: Option<f64>,
    ) -> Self {
        Measured {
            key,
            label: label.into(),
            unit: unit.into(),
            target,
            podman: Samples::default(),
            rpod: Samples::default(),
            error: None,
        }
    }

    /// rpod's median over Podman's.
    pub(crate) fn ratio(&self) -> Option<f64> {
        let p = self.podman.summary()?.median;
        let r = self.rpod.summary()?.median;
        (p > 0.0).then_some(r / p)
    }

    /// Met the target, with no rpod failures.
    pub(crate) fn pass(&self) -> Option<bool> {
        let target = self.target?;
        let ratio = self.ratio()?;
        Some(ratio <= target && self.rpod.failures == 0 && self.error.is_none())
    }

    fn fail_setup(&mut self, e: String) {
        eprintln!("bench: {}: {e}", self.key);
        self.error.get_or_insert(e);
    }
}

/// Runs every wanted scenario and returns the rows in report order.
pub(crate) fn all(ctx: &Ctx<'_>) -> Vec<Measured> {
    let mut rows = Vec::new();
    if ctx.wants("floor") {
        rows.push(floor(ctx));
    }
    if ctx.wants("run_rm") {
        rows.push(run_rm(ctx));
    }
    if ctx.wants("create") {
        rows.push(create(ctx));
    }
    if ctx.wants("ps") || ctx.wants("inspect") {
        rows.extend(population(ctx));
    }
    if ctx.wants("start_stop") {
        rows.push(start_stop(ctx));
    }
    if ctx.wants("exec") {
        rows.push(exec(ctx));
    }
    if ctx.wants("concurrent") {
        rows.push(concurrent(ctx));
    }
    if ctx.wants("rm_many") {
        rows.push(rm_many(ctx));
    }
    if ctx.wants("volume_run") {
        rows.push(volume_run(ctx));
    }
    if ctx.wants("cp") {
        rows.push(cp(ctx));
    }
    if ctx.wants("pod") {
        rows.push(pod(ctx));
    }
    rows
}

/// `pod create` + two `run -d --pod` + `pod rm -f -t 0`, all four
/// commands timed together (the pause image is built in the warm-up).
fn pod(ctx: &Ctx<'_>) -> Measured {
    let mut m = Measured::new(
        "pod",
        "pod create + 2 run -d --pod + pod rm -f",
        "the four commands",
        Some(0.40),
    );
    alternate(ctx, &mut m, ctx.plan.warmup, ctx.plan.rounds, |e, r, _| {
        let name = format!("bench-pod-{r}");
        let mut total = timed(&mut e.cmd(&["pod", "create", "--network", "none", "--name", &name]));
        for _ in 0..2 {
            let mut args: Vec<String> = ["run", "-d", "--pod", &name]
                .iter()
                .map(|s| s.to_string())
                .collect();
            args.extend(ctx.image.args().iter().cloned());
            args.extend(["sleep".to_string(), "1000".to_string()]);
            total = total.and_then(|a| timed(&mut e.cmd(&args)).map(|b| a + b));
        }
        total = total
            .and_then(|a| timed(&mut e.cmd(&["pod", "rm", "-f", "-t", "0", &name])).map(|b| a + b));
        if total.is_err() {
            let _ = quiet(&mut e.cmd(&["pod", "rm", "-f", "-t", "0", &name]));
        }
        Ok(vec![total])
    });
    clean(ctx, &mut m);
    m
}

/// Runs `warmup + rounds` rounds; in each, both engines run `round`
/// (Podman first in even rounds, rpod first in odd ones, so drift in the
/// machine's load hits both alike). `round(engine, index, warm)` does its
/// own untimed preparation and returns the timed outcomes; an `Err` is a
/// preparation failure and ends the scenario.
fn alternate(
    ctx: &Ctx<'_>,
    m: &mut Measured,
    warmup: usize,
    rounds: usize,
    mut round: impl FnMut(&Engine, usize, bool) -> Result<Vec<Outcome>>,
) {
    eprintln!("bench: {} ({} warm-up + {} rounds)", m.key, warmup, rounds);
    for r in 0..warmup + rounds {
        let warm = r < warmup;
        let order: [usize; 2] = if r % 2 == 0 { [0, 1] } else { [1, 0] };
        for i in order {
            let e = &ctx.engines[i];
            match round(e, r, warm) {
                Ok(outcomes) => {
                    let s = if i == 0 { &mut m.podman } else { &mut m.rpod };
                    for o in outcomes {
                        s.add(o, !warm);
                    }
                }
                Err(err) => {
                    m.fail_setup(format!("{}: {err}", e.name()));
                    return;
                }
            }
        }
    }
}

/// Removes every container of both engines after a scenario.
fn clean(ctx: &Ctx<'_>, m: &mut Measured) {
    for e in ctx.engines {
        if let Err(err) = e.remove_all() {
            m.fail_setup(format!("{} cleanup: {err}", e.name()));
        }
    }
}

/// Creates containers `names` (running `command`) in parallel, untimed.
fn populate(ctx: &Ctx<'_>, e: &Engine, names: &[String], command: &[&str]) -> Result {
    let failures: Vec<String> = pool(names.len(), ctx.plan.setup_width, |i| {
        quiet(&mut e.container("create", &["--name", &names[i]], ctx.image, command))
    })
    .into_iter()
    .filter_map(|r| r.err())
    .collect();
    match failures.first() {
        None => Ok(()),
        Some(first) => Err(format!(
            "{} of {} setup creates failed; first: {first}",
            failures.len(),
            names.len()
        )),
    }
}

fn image_label(ctx: &Ctx<'_>, template: &str) -> String {
    template.replace("IMAGE", ctx.image.shown())
}

/// The floor: bare `runc run` of the bundle rpod generates for `true`.
fn floor(ctx: &Ctx<'_>) -> Measured {
    let mut m = Measured::new(
        "floor",
        "floor: bare `runc run` of the same bundle",
        "one `runc run` (create, start, wait, delete)",
        None,
    );
    eprintln!(
        "bench: floor ({} warm-up + {} rounds)",
        ctx.plan.warmup, ctx.plan.rounds
    );
    let rpod = &ctx.engines[1];
    let bundle = ctx.floor_dir.join("bundle");
    let state = ctx.floor_dir.join("runc");
    let prepared = (|| -> Result {
        let name = "bench-floor";
        quiet(&mut rpod.container("create", &["--name", name], ctx.image, &["true"]))?;
        quiet(&mut rpod.cmd(&["start", name]))?;
        quiet(&mut rpod.cmd(&["wait", name]))?;
        // Keeps the image's root filesystem mounted where config.json
        // points while bare runc runs the bundle.
        quiet(&mut rpod.cmd(&["mount", name]))?;
        let config =
            stdout_of(&mut rpod.cmd(&["inspect", "--format", "{{.OCIConfigPath}}", name]))?;
        std::fs::create_dir_all(&bundle).map_err(|e| format!("{}: {e}", bundle.display()))?;
        std::fs::copy(&config, bundle.join("config.json"))
            .map_err(|e| format!("copying {config}: {e}"))?;
        Ok(())
    })();
    if let Err(e) = prepared {
        m.fail_setup(e);
        clean(ctx, &mut m);
        return m;
    }
    for r in 0..ctx.plan.warmup + ctx.plan.rounds {
        let id = format!("bench-floor-{r}");
        let mut runc = Command::new("runc");
        runc.arg("--root").arg(&state);
        let mut run = Command::new("runc");
        run.arg("--root")
            .arg(&state)
            .arg("run")
            .arg("--bundle")
            .arg(&bundle)
            .arg(&id);
        m.rpod.add(timed(&mut run), r >= ctx.plan.warmup);
        // `runc run` deletes the container when it exits; this only
        // catches a failed run.
        let _ = runc.args(["delete", "--force", &id]).output();
    }
    // The bundle's root and bind mounts come from the rpod container:
    // unmount and remove it last.
    let _ = quiet(&mut rpod.cmd(&["unmount", "bench-floor"]));
    clean(ctx, &mut m);
    m
}

/// `run --rm --network none IMAGE true`.
fn run_rm(ctx: &Ctx<'_>) -> Measured {
    let mut m = Measured::new(
        "run_rm",
        image_label(ctx, "run --rm --network none IMAGE true"),
        "one command",
        Some(0.30),
    );
    alternate(ctx, &mut m, ctx.plan.warmup, ctx.plan.rounds, |e, _, _| {
        Ok(vec![timed(&mut e.container(
            "run",
            &["--rm"],
            ctx.image,
            &["true"],
        ))])
    });
    clean(ctx, &mut m);
    m
}

/// `create --network none IMAGE true`, `n_create` one after another; every
/// create is one sample.
fn create(ctx: &Ctx<'_>) -> Measured {
    let n = ctx.plan.n_create;
    let mut m = Measured::new(
        "create",
        image_label(
            ctx,
            &format!("create --network none IMAGE true ({n} sequential)"),
        ),
        format!("one create, as the store grows from 0 to {n}"),
        Some(0.20),
    );
    alternate(ctx, &mut m, 1, ctx.plan.bulk_rounds, |e, _, warm| {
        e.remove_all()?;
        let count = if warm { n.min(10) } else { n };
        Ok((0..count)
            .map(|_| timed(&mut e.container("create", &[], ctx.image, &["true"])))
            .collect())
    });
    clean(ctx, &mut m);
    m
}

/// `ps -a` and `inspect` with `n_population` containers present.
fn population(ctx: &Ctx<'_>) -> Vec<Measured> {
    let n = ctx.plan.n_population;
    let mut ps = Measured::new(
        "ps",
        format!("ps -a with {n} containers"),
        "one command",
        Some(0.05),
    );
    let middle = format!("bench-pop-{}", n / 2);
    let mut inspect = Measured::new(
        "inspect",
        format!("inspect one container among {n}"),
        "one command",
        Some(0.15),
    );
    let names: Vec<String> = (0..n).map(|i| format!("bench-pop-{i}")).collect();
    eprintln!("bench: creating {n} containers per engine (untimed)");
    for e in ctx.engines {
        if let Err(err) = populate(ctx, e, &names, &["true"]) {
            let msg = format!("{}: {err}", e.name());
            ps.fail_setup(msg.clone());
            inspect.fail_setup(msg);
        }
    }
    if ps.error.is_none() {
        if ctx.wants("ps") {
            alternate(ctx, &mut ps, ctx.plan.warmup, ctx.plan.rounds, |e, _, _| {
                Ok(vec![timed(&mut e.cmd(&["ps", "-a"]))])
            });
        }
        if ctx.wants("inspect") {
            alternate(
                ctx,
                &mut inspect,
                ctx.plan.warmup,
                ctx.plan.rounds,
                |e, _, _| Ok(vec![timed(&mut e.cmd(&["inspect", &middle]))]),
            );
        }
    }
    clean(ctx, &mut ps);
    let mut rows = Vec::new();
    if ctx.wants("ps") {
        rows.push(ps);
    }
    if ctx.wants("inspect") {
        rows.push(inspect);
    }
    rows
}

/// `start` + `stop -t 0` of a freshly created `sleep` container.
fn start_stop(ctx: &Ctx<'_>) -> Measured {
    let mut m = Measured::new(
        "start_stop",
        "start + stop -t 0 of a created container",
        "start then stop, both commands",
        Some(0.35),
    );
    alternate(ctx, &mut m, ctx.plan.warmup, ctx.plan.rounds, |e, r, _| {
        let name = format!("bench-ss-{r}");
        quiet(&mut e.container("create", &["--name", &name], ctx.image, &["sleep", "1000"]))?;
        let outcome = timed(&mut e.cmd(&["start", &name]))
            .and_then(|a| timed(&mut e.cmd(&["stop", "-t", "0", &name])).map(|b| a + b));
        quiet(&mut e.cmd(&["rm", "-f", "-t", "0", &name]))?;
        Ok(vec![outcome])
    });
    clean(ctx, &mut m);
    m
}

/// `exec CTR true` in a running container.
fn exec(ctx: &Ctx<'_>) -> Measured {
    let mut m = Measured::new(
        "exec",
        "exec CTR true in a running container",
        "one command",
        Some(0.35),
    );
    let name = "bench-exec";
    for e in ctx.engines {
        let started = quiet(&mut e.container(
            "run",
            &["-d", "--name", name],
            ctx.image,
            &["sleep", "1000"],
        ));
        if let Err(err) = started {
            m.fail_setup(format!("{}: {err}", e.name()));
        }
    }
    if m.error.is_none() {
        alternate(ctx, &mut m, ctx.plan.warmup, ctx.plan.rounds, |e, _, _| {
            Ok(vec![timed(&mut e.cmd(&["exec", name, "true"]))])
        });
    }
    clean(ctx, &mut m);
    m
}

/// `batch_total` `run --rm`, `batch_width` at a time; one sample per batch,
/// every failed command counted.
fn concurrent(ctx: &Ctx<'_>) -> Measured {
    let (total, width) = (ctx.plan.batch_total, ctx.plan.batch_width);
    let mut m = Measured::new(
        "concurrent",
        format!("{total} run --rm, {width} at a time"),
        format!("the whole batch of {total}"),
        Some(0.35),
    );
    alternate(ctx, &mut m, 1, ctx.plan.batch_rounds, |e, _, _| {
        let start = std::time::Instant::now();
        let results = pool(total, width, |_| {
            timed(&mut e.container("run", &["--rm"], ctx.image, &["true"]))
        });
        let batch = start.elapsed().as_secs_f64() * 1e3;
        let mut outcomes = vec![Ok(batch)];
        outcomes.extend(results.into_iter().filter(|o| o.is_err()));
        Ok(outcomes)
    });
    clean(ctx, &mut m);
    m
}

/// `rm -f` of `n_rm` stopped (created, never started) containers in one
/// command.
fn rm_many(ctx: &Ctx<'_>) -> Measured {
    let n = ctx.plan.n_rm;
    let mut m = Measured::new(
        "rm_many",
        format!("rm -f of {n} stopped containers, one command"),
        "one command",
        Some(0.20),
    );
    alternate(ctx, &mut m, 1, ctx.plan.bulk_rounds, |e, r, warm| {
        e.remove_all()?;
        let count = if warm { n.min(10) } else { n };
        let names: Vec<String> = (0..count).map(|i| format!("bench-rm-{r}-{i}")).collect();
        populate(ctx, e, &names, &["true"])?;
        let mut args = vec!["rm".to_string(), "-f".into()];
        args.extend(names);
        Ok(vec![timed(&mut e.cmd(&args))])
    });
    clean(ctx, &mut m);
    m
}

/// `run --rm -v NAME:/data IMAGE true` with a named volume (made on the
/// first run, reused after): the cost a volume adds to `run_rm`.
fn volume_run(ctx: &Ctx<'_>) -> Measured {
    let mut m = Measured::new(
        "volume_run",
        image_label(ctx, "run --rm -v NAME:/data IMAGE true (compare run_rm)"),
        "one command",
        Some(0.30),
    );
    alternate(ctx, &mut m, ctx.plan.warmup, ctx.plan.rounds, |e, _, _| {
        Ok(vec![timed(&mut e.container(
            "run",
            &["--rm", "-v", "bench-vol:/data"],
            ctx.image,
            &["true"],
        ))])
    });
    clean(ctx, &mut m);
    for e in ctx.engines {
        let _ = quiet(&mut e.cmd(&["volume", "rm", "-f", "bench-vol"]));
    }
    m
}

/// A host tree of 100 files of 1 MiB (made once, untimed).
fn cp_tree(ctx: &Ctx<'_>) -> Result<std::path::PathBuf> {
    let base = ctx.floor_dir.parent().unwrap_or(ctx.floor_dir);
    let tree = base.join("cp-tree");
    if !tree.join("99").exists() {
        std::fs::create_dir_all(&tree).map_err(|e| format!("{}: {e}", tree.display()))?;
        let block = vec![0x5a_u8; 1 << 20];
        for i in 0..100 {
            let f = tree.join(i.to_string());
            std::fs::write(&f, &block).map_err(|e| format!("{}: {e}", f.display()))?;
        }
    }
    Ok(tree)
}

/// `cp` of a 100 MiB tree into a created container and back out; one
/// sample is both commands.
fn cp(ctx: &Ctx<'_>) -> Measured {
    let mut m = Measured::new(
        "cp",
        "cp of a 100 MiB tree into a container and back out",
        "cp in then cp out",
        Some(0.50),
    );
    let tree = match cp_tree(ctx) {
        Ok(t) => t,
        Err(e) => {
            m.fail_setup(e.to_string());
            return m;
        }
    };
    let out = tree.with_file_name("cp-out");
    alternate(ctx, &mut m, ctx.plan.warmup, ctx.plan.rounds, |e, r, _| {
        let name = format!("bench-cp-{r}");
        quiet(&mut e.container("create", &["--name", &name], ctx.image, &["true"]))?;
        let _ = std::fs::remove_dir_all(&out);
        let into = format!("{name}:/tree");
        let back = format!("{name}:/tree");
        let outcome = timed(&mut e.cmd(&[
            OsString::from("cp"),
            tree.clone().into_os_string(),
            OsString::from(&into),
        ]))
        .and_then(|a| {
            timed(&mut e.cmd(&[
                OsString::from("cp"),
                OsString::from(&back),
                out.clone().into_os_string(),
            ]))
            .map(|b| a + b)
        });
        quiet(&mut e.cmd(&["rm", "-f", "-t", "0", &name]))?;
        Ok(vec![outcome])
    });
    let _ = std::fs::remove_dir_all(&out);
    clean(ctx, &mut m);
    m
}
