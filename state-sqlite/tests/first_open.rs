//! Many openers of one fresh `db.sql` at once: every one of them must get a
//! usable database, none may take the schema another opener is creating for
//! a foreign program's tables.
//!
//! `rpod run` and the `rpod logs` a user starts next to it open a fresh root
//! at the same moment; this is that race, repeated over many fresh files, in
//! threads (separate connections of one process) and in separate processes.
//! The process test spawns this test binary again (`--ignored --exact
//! opener_process`) with the static dirs in `RPOD_SQLITE_FIRST_OPEN_DIRS`
//! and their number in `RPOD_SQLITE_FIRST_OPEN_OPENERS`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use rpod_runtime_core::state::State;
use rpod_runtime_core::testing::state::ctr;
use rpod_state_sqlite::schema::SCHEMA_VERSION;
use rpod_state_sqlite::{DB_FILE_NAME, SqliteState};
use rusqlite::Connection;

const DIRS: &str = "RPOD_SQLITE_FIRST_OPEN_DIRS";
const OPENERS: &str = "RPOD_SQLITE_FIRST_OPEN_OPENERS";

/// The file holds exactly one rpod schema at the current version.
fn assert_created_once(dir: &Path) {
    let conn = Connection::open(dir.join(DB_FILE_NAME)).unwrap();
    let version: i64 = conn
        .query_row("SELECT SchemaVersion FROM DBConfig", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION, "{}", dir.display());
    let rows: i64 = conn
        .query_row("SELECT count(*) FROM DBConfig", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 1, "{}", dir.display());
}

/// Opens `dir` and uses the database: the opener's container must be there.
fn open_and_use(dir: &Path, who: &str) -> Result<(), String> {
    let s = SqliteState::open(dir).map_err(|e| e.to_string())?;
    s.add_container(&ctr(who)).map_err(|e| e.to_string())?;
    s.lookup_container_id(who).map_err(|e| e.to_string())?;
    Ok(())
}

#[test]
fn threads_opening_one_fresh_database_all_succeed() {
    const ROUNDS: usize = 60;
    const OPENERS: usize = 8;
    let tmp = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for round in 0..ROUNDS {
        let dir = tmp.path().join(format!("r{round}/libpod"));
        let start = Arc::new(Barrier::new(OPENERS));
        let threads: Vec<_> = (0..OPENERS)
            .map(|k| {
                let (dir, start) = (dir.clone(), Arc::clone(&start));
                std::thread::spawn(move || {
                    start.wait();
                    open_and_use(&dir, &format!("t{k}"))
                })
            })
            .collect();
        for (k, t) in threads.into_iter().enumerate() {
            if let Err(e) = t.join().unwrap() {
                failures.push(format!("round {round}, opener {k}: {e}"));
            }
        }
        if failures.is_empty() {
            assert_created_once(&dir);
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// Waits until `openers` processes have arrived at `gate` (a directory each
/// of them puts a file into): a barrier across processes.
fn meet(gate: &Path, openers: usize) {
    std::fs::create_dir_all(gate).unwrap();
    std::fs::write(gate.join(std::process::id().to_string()), b"").unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while std::fs::read_dir(gate).unwrap().count() < openers {
        assert!(Instant::now() < deadline, "the other openers never came");
        std::thread::sleep(Duration::from_micros(200));
    }
}

/// The entry point of the spawned openers; ignored in normal runs. Before
/// each dir, waits for every other opener, then opens it and prints one line.
#[test]
#[ignore = "run by processes_opening_fresh_databases_all_succeed in a child process"]
fn opener_process() {
    let dirs = std::env::var(DIRS).expect("opener_process runs only as a spawned child");
    let openers: usize = std::env::var(OPENERS).unwrap().parse().unwrap();
    let me = std::process::id();
    let mut out = std::io::stdout().lock();
    for dir in dirs.split(':').map(Path::new) {
        meet(&dir.with_file_name("gate"), openers);
        let line = match open_and_use(dir, &format!("p{me}")) {
            Ok(()) => format!("@@ OK {}", dir.display()),
            Err(e) => format!("@@ ERR {}: {e}", dir.display()),
        };
        writeln!(out, "{line}").unwrap();
    }
    out.flush().unwrap();
}

#[test]
fn processes_opening_fresh_databases_all_succeed() {
    const DBS: usize = 40;
    const PROCESSES: usize = 6;
    let tmp = tempfile::tempdir().unwrap();
    let dirs: Vec<PathBuf> = (0..DBS)
        .map(|i| tmp.path().join(format!("d{i}/libpod")))
        .collect();
    let list = dirs
        .iter()
        .map(|d| d.to_str().unwrap())
        .collect::<Vec<_>>()
        .join(":");
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| {
            Command::new(std::env::current_exe().unwrap())
                .args([
                    "--ignored",
                    "--exact",
                    "opener_process",
                    "--nocapture",
                    "--test-threads=1",
                ])
                .env(DIRS, &list)
                .env(OPENERS, PROCESSES.to_string())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut failures = Vec::new();
    for (k, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "opener {k}: {}", out.status);
        let text = String::from_utf8(out.stdout).unwrap();
        // libtest's "test opener_process ... " may precede the first line.
        let lines: Vec<&str> = text
            .lines()
            .filter_map(|l| l.split_once("@@ ").map(|(_, m)| m))
            .collect();
        assert_eq!(lines.len(), DBS, "opener {k} printed {text}");
        failures.extend(
            lines
                .iter()
                .filter(|l| !l.starts_with("OK "))
                .map(|l| format!("opener {k}: {l}")),
        );
    }
    assert!(failures.is_empty(), "{failures:#?}");
    for dir in &dirs {
        assert_created_once(dir);
    }
}
