//! Several processes on one `db.sql`, and processes killed mid-write.
//!
//! The parent tests spawn this test binary again (`--ignored --exact
//! child_process`) with the role in `RPOD_SQLITE_TEST_ROLE` and the static
//! dir in `RPOD_SQLITE_TEST_DIR`; children report on stdout with lines
//! starting `@@ `.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::collections::{BTreeMap, BTreeSet};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rpod_runtime_core::Error;
use rpod_runtime_core::container::{ContainerConfig, ContainerRecord, ContainerStatus};
use rpod_runtime_core::state::State;
use rpod_state_sqlite::{DB_FILE_NAME, SqliteState};
use rusqlite::Connection;

const ROLE: &str = "RPOD_SQLITE_TEST_ROLE";
const DIR: &str = "RPOD_SQLITE_TEST_DIR";

// ---- deterministic records (parent and children build the same ones) --------

fn hash(tag: &str, k: u8) -> u64 {
    // DefaultHasher::new() has fixed keys: the same in every process.
    let mut h = DefaultHasher::new();
    (tag, k).hash(&mut h);
    h.finish()
}

fn id_for(tag: &str) -> String {
    (0..4).map(|k| format!("{:016x}", hash(tag, k))).collect()
}

fn record(tag: &str) -> ContainerRecord {
    let mut cfg = ContainerConfig::new(id_for(tag), tag, (hash(tag, 9) % 100_000) as u32);
    cfg.created_time = DateTime::<Utc>::from_timestamp(1_795_000_000, 0).unwrap();
    cfg.labels.insert("tag".into(), tag.into());
    cfg.spec = Some(serde_json::json!({
        "ociVersion": "1.0.2",
        "process": {"args": ["sh", "-c", format!("echo {tag}")], "cwd": "/"},
        "hostname": tag,
    }));
    ContainerRecord::new(cfg)
}

/// A pid that says which worker wrote a state, and for which step.
fn marker(worker: usize, step: usize) -> i32 {
    (worker * 10_000 + step + 1) as i32
}

// ---- child side ----------------------------------------------------------------

fn report(line: &str) {
    let mut out = std::io::stdout().lock();
    writeln!(out, "@@ {line}").unwrap();
    out.flush().unwrap();
}

fn is_ok_or(r: rpod_runtime_core::Result<impl Sized>, kind: Error) -> bool {
    match r {
        Ok(_) => true,
        Err(e) if e.is(&kind) => false,
        Err(e) => panic!("unexpected error: {e}"),
    }
}

/// Worker `k`: its own containers `w<k>-<i>` (added, looked up, saved, every
/// third removed) interleaved with racing operations on `shared-<j>`.
fn worker(dir: &Path, k: usize, own: usize, shared: usize) {
    let s = SqliteState::open(dir).unwrap();
    for i in 0..own {
        let tag = format!("w{k}-{i}");
        let rec = record(&tag);
        s.add_container(&rec).unwrap();
        assert_eq!(s.lookup_container_id(&tag).unwrap(), rec.id());
        assert_eq!(
            s.lookup_container(&rec.id()[..12]).unwrap().config,
            rec.config
        );
        let mut st = s.update_container(rec.id()).unwrap();
        st.state = ContainerStatus::Running;
        st.pid = marker(k, i);
        s.save_container(rec.id(), &st).unwrap();
        assert_eq!(s.update_container(rec.id()).unwrap(), st);
        if i.is_multiple_of(3) {
            s.remove_container(rec.id()).unwrap();
        }

        let j = (i + k) % shared;
        let tag = format!("shared-{j}");
        let rec = record(&tag);
        if is_ok_or(s.add_container(&rec), Error::CtrExists) {
            report(&format!("ADDED {tag}"));
        }
        let mut st = rec.state.clone();
        st.pid = marker(k, i);
        is_ok_or(s.save_container(rec.id(), &st), Error::NoSuchCtr);
        if let Ok(found) = s.lookup_container(&tag) {
            assert_eq!(found.config, rec.config);
        }
        if (i + 2 * k).is_multiple_of(4) && is_ok_or(s.remove_container(rec.id()), Error::NoSuchCtr)
        {
            report(&format!("REMOVED {tag}"));
        }
    }
    report("DONE");
}

/// Opens a write transaction that spills many uncommitted pages into the
/// database file, says so, and waits to be killed.
fn open_transaction(dir: &Path) {
    let conn = Connection::open(dir.join(DB_FILE_NAME)).unwrap();
    conn.execute_batch("PRAGMA cache_size = 10; BEGIN EXCLUSIVE;")
        .unwrap();
    for i in 0..2000 {
        let rec = record(&format!("doomed-{i}"));
        let id = rec.id();
        conn.execute("INSERT INTO IDNamespace (ID) VALUES (?1)", [id])
            .unwrap();
        conn.execute("INSERT INTO NameNamespace (Name) VALUES (?1)", [rec.name()])
            .unwrap();
        conn.execute(
            "INSERT INTO ContainerConfig (ID, Name, PodID, JSON) VALUES (?1, ?2, NULL, ?3)",
            [id, rec.name(), &serde_json::to_string(&rec.config).unwrap()],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO ContainerState (ID, State, ExitCode, JSON) VALUES (?1, 1, 0, ?2)",
            [id, &serde_json::to_string(&rec.state).unwrap()],
        )
        .unwrap();
    }
    report("IN-TRANSACTION");
    std::thread::sleep(Duration::from_secs(120));
    panic!("not killed");
}

/// Adds `loop-<i>` from `start` on, each depending on the one before, and
/// reports every commit, until killed.
fn commit_loop(dir: &Path, start: usize) {
    let s = SqliteState::open(dir).unwrap();
    for i in start..start + 100_000 {
        s.add_container(&loop_record(i)).unwrap();
        report(&format!("COMMITTED {i}"));
    }
}

fn loop_record(i: usize) -> ContainerRecord {
    let mut rec = record(&format!("loop-{i}"));
    if i > 0 {
        rec.config.dependencies = vec![id_for(&format!("loop-{}", i - 1))];
    }
    rec
}

/// The entry point of child processes; ignored in normal runs.
#[test]
#[ignore = "run by the other tests in a child process"]
fn child_process() {
    let role = std::env::var(ROLE).expect("child_process runs only as a spawned child");
    let dir = std::path::PathBuf::from(std::env::var(DIR).unwrap());
    let args: Vec<&str> = role.split(':').collect();
    let num = |i: usize| args[i].parse::<usize>().unwrap();
    match args[0] {
        "worker" => worker(&dir, num(1), num(2), num(3)),
        "open-tx" => open_transaction(&dir),
        "commit-loop" => commit_loop(&dir, num(1)),
        other => panic!("unknown role {other}"),
    }
}

// ---- parent side --------------------------------------------------------------

fn spawn(dir: &Path, role: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--ignored",
            "--exact",
            "child_process",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ROLE, role)
        .env(DIR, dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap()
}

/// Reads the child's `@@` lines until one satisfies `stop` (returns it) or
/// the stream ends (returns `None`); `seen` gets every line.
fn read_until(
    out: &mut impl BufRead,
    seen: &mut Vec<String>,
    stop: impl Fn(&str) -> bool,
) -> Option<String> {
    let mut line = String::new();
    loop {
        line.clear();
        if out.read_line(&mut line).unwrap() == 0 {
            return None;
        }
        // libtest's "test child_process ... " may precede the first report
        // on the same line.
        if let Some((_, msg)) = line.trim_end().split_once("@@ ") {
            seen.push(msg.to_string());
            if stop(msg) {
                return Some(msg.to_string());
            }
        }
    }
}

/// `PRAGMA integrity_check` and `foreign_key_check` pass, and the ID and
/// name spaces hold exactly the containers' and pods' rows.
fn assert_db_sound(dir: &Path) {
    let conn = Connection::open(dir.join(DB_FILE_NAME)).unwrap();
    let integrity: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(integrity, "ok");
    let fk_violations: i64 = conn
        .query_row("SELECT count(*) FROM pragma_foreign_key_check", [], |r| {
            r.get(0)
        })
        .unwrap();
    assert_eq!(fk_violations, 0);
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    let objects =
        count("SELECT (SELECT count(*) FROM ContainerConfig) + (SELECT count(*) FROM PodConfig)");
    assert_eq!(count("SELECT count(*) FROM IDNamespace"), objects);
    assert_eq!(count("SELECT count(*) FROM NameNamespace"), objects);
    assert_eq!(
        count("SELECT count(*) FROM ContainerState"),
        count("SELECT count(*) FROM ContainerConfig")
    );
}

fn run_workers(workers: usize, own: usize, shared: usize) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("libpod");
    // No one creates the schema in advance: the children race to.
    let children: Vec<Child> = (0..workers)
        .map(|k| spawn(&dir, &format!("worker:{k}:{own}:{shared}")))
        .collect();
    let mut adds: BTreeMap<String, i64> = BTreeMap::new();
    let mut removes: BTreeMap<String, i64> = BTreeMap::new();
    for (k, mut child) in children.into_iter().enumerate() {
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut seen = Vec::new();
        read_until(&mut out, &mut seen, |_| false);
        let status = child.wait().unwrap();
        assert!(status.success(), "worker {k} failed: {status}");
        assert_eq!(seen.last().map(String::as_str), Some("DONE"), "worker {k}");
        for line in seen {
            if let Some(tag) = line.strip_prefix("ADDED ") {
                *adds.entry(tag.to_string()).or_default() += 1;
            } else if let Some(tag) = line.strip_prefix("REMOVED ") {
                *removes.entry(tag.to_string()).or_default() += 1;
            }
        }
    }

    let s = SqliteState::open(&dir).unwrap();
    let mut want: BTreeSet<String> = BTreeSet::new();
    for k in 0..workers {
        for i in 0..own {
            let tag = format!("w{k}-{i}");
            let rec = record(&tag);
            if i.is_multiple_of(3) {
                assert!(!s.has_container(rec.id()).unwrap(), "{tag} was removed");
                continue;
            }
            let got = s.container(rec.id()).unwrap();
            assert_eq!(got.config, rec.config, "{tag}");
            assert_eq!(got.state.pid, marker(k, i), "{tag}");
            assert_eq!(got.state.state, ContainerStatus::Running, "{tag}");
            want.insert(rec.config.id);
        }
    }
    let all_markers: BTreeSet<i32> = (0..workers)
        .flat_map(|k| (0..own).map(move |i| marker(k, i)))
        .collect();
    for j in 0..shared {
        let tag = format!("shared-{j}");
        let rec = record(&tag);
        let net = adds.get(&tag).copied().unwrap_or(0) - removes.get(&tag).copied().unwrap_or(0);
        assert!(net == 0 || net == 1, "{tag}: {net} more adds than removes");
        match s.container(rec.id()) {
            Ok(got) => {
                assert_eq!(net, 1, "{tag} is present");
                assert_eq!(got.config, rec.config, "{tag}");
                assert!(
                    got.state.pid == 0 || all_markers.contains(&got.state.pid),
                    "{tag}: state written by nobody: {:?}",
                    got.state
                );
                want.insert(rec.config.id);
            }
            Err(e) => {
                assert!(e.is(&Error::NoSuchCtr), "{e}");
                assert_eq!(net, 0, "{tag} is absent");
            }
        }
    }
    let have: BTreeSet<String> = s
        .all_containers(false)
        .unwrap()
        .into_iter()
        .map(|r| r.config.id)
        .collect();
    assert_eq!(have, want, "exactly the committed containers exist");
    drop(s);
    assert_db_sound(&dir);
}

#[test]
fn eight_processes_share_one_database() {
    run_workers(8, 30, 5);
}

#[test]
fn sixty_four_processes_never_see_database_is_locked() {
    run_workers(64, 6, 4);
}

#[test]
fn sigkill_inside_an_open_transaction_leaves_nothing_of_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let path = dir.join(DB_FILE_NAME);
    let baseline: Vec<ContainerRecord> = (0..20).map(|i| record(&format!("base-{i}"))).collect();
    {
        let s = SqliteState::open(dir).unwrap();
        for r in &baseline {
            s.add_container(r).unwrap();
        }
    }
    let size_before = std::fs::metadata(&path).unwrap().len();

    let mut child = spawn(dir, "open-tx");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let got = read_until(&mut out, &mut Vec::new(), |l| l == "IN-TRANSACTION");
    assert!(got.is_some(), "the child never opened its transaction");
    // The uncommitted pages really are in the file, with a hot journal beside it.
    assert!(std::fs::metadata(&path).unwrap().len() > size_before);
    let journal = dir.join(format!("{DB_FILE_NAME}-journal"));
    assert!(std::fs::metadata(&journal).unwrap().len() > 0);
    child.kill().unwrap();
    child.wait().unwrap();

    let s = SqliteState::open(dir).unwrap();
    let mut want = baseline.clone();
    want.sort_by(|a, b| a.config.id.cmp(&b.config.id));
    assert_eq!(s.all_containers(true).unwrap(), want);
    assert!(s.lookup_container_id("doomed-0").is_err());
    drop(s);
    assert_db_sound(dir);
}

#[test]
fn sigkill_during_commits_keeps_every_transaction_whole() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let mut next = 0;
    for round in 0..6u64 {
        let mut child = spawn(dir, &format!("commit-loop:{next}"));
        let mut out = BufReader::new(child.stdout.take().unwrap());
        let mut seen = Vec::new();
        let target = next + 5;
        read_until(&mut out, &mut seen, |l| {
            l.strip_prefix("COMMITTED ")
                .is_some_and(|n| n.parse::<usize>().unwrap() >= target)
        })
        .expect("the child stopped committing");
        // Kill at a different point of the next transaction each round.
        std::thread::sleep(Duration::from_micros(round * 700));
        child.kill().unwrap();
        // Lines written before the kill are still in the pipe.
        read_until(&mut out, &mut seen, |_| false);
        child.wait().unwrap();
        let reported = seen
            .iter()
            .filter_map(|l| l.strip_prefix("COMMITTED "))
            .map(|n| n.parse::<usize>().unwrap())
            .max()
            .unwrap();

        let s = SqliteState::open(dir).unwrap();
        let all = s.all_containers(true).unwrap();
        // Everything reported is there; at most one more commit finished
        // unreported; each is whole, dependency edge included.
        assert!(
            all.len() == reported + 1 || all.len() == reported + 2,
            "round {round}: {} containers after reporting {reported}",
            all.len()
        );
        for i in 0..all.len() {
            let want = loop_record(i);
            assert_eq!(s.container(want.id()).unwrap(), want, "round {round}");
            if i > 0 {
                assert_eq!(
                    s.container_in_use(&id_for(&format!("loop-{}", i - 1)))
                        .unwrap(),
                    vec![want.config.id.clone()]
                );
            }
        }
        drop(s);
        assert_db_sound(dir);
        next = all.len();
    }
}
