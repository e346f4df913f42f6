//! Lock rules that need more than one process: exclusion between
//! processes, and release of a lock whose holder was killed. Every
//! [`LockManager`] backend runs them from its own integration tests.
//!
//! The children are the backend's test binary itself: the backend writes
//! two ignored tests that call [`child_increment_counter`] and
//! [`child_hold_lock`] (they return at once unless run as a child), and
//! the parent rules start them by name with `--exact NAME --ignored`. What
//! the child opens (a directory, a segment name) travels in
//! [`ENV_WHERE`], so one set of rules serves every backend.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use crate::lock::{LockManager, Locker};

/// Where the child opens the manager (the backend decides what it means).
pub const ENV_WHERE: &str = "RPOD_TEST_LOCK_WHERE";
/// The lock ID the child takes.
pub const ENV_LOCK: &str = "RPOD_TEST_LOCK_ID";
/// The counter file the children add to.
pub const ENV_COUNTER: &str = "RPOD_TEST_LOCK_COUNTER";
/// How many times each child adds one.
pub const ENV_ROUNDS: &str = "RPOD_TEST_LOCK_ROUNDS";

/// Opens the backend's manager at a [`ENV_WHERE`] value, in a child.
pub type OpenAt<'a> = &'a dyn Fn(&str) -> Box<dyn LockManager>;

/// A child process, killed and reaped if the test fails before it ends.
#[derive(Debug)]
pub struct Reaped(pub Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// This test binary, run as the child `role` (an ignored test's name).
pub fn child_command(role: &str, envs: &[(&str, String)]) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        role,
        "--nocapture",
        "--ignored",
        "--test-threads=1",
    ]);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    cmd
}

fn env_u32(name: &str) -> u32 {
    std::env::var(name).unwrap().parse().unwrap()
}

/// Child role: `rounds` times, take the lock and add one to the counter
/// file with a read, a pause and a write, which only the lock keeps exact.
/// Returns at once when not run as a child.
pub fn child_increment_counter(open: OpenAt<'_>) {
    let Ok(place) = std::env::var(ENV_WHERE) else {
        return;
    };
    let mgr = open(&place);
    let lock = mgr.retrieve(env_u32(ENV_LOCK)).unwrap();
    let mut file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(std::env::var(ENV_COUNTER).unwrap())
        .unwrap();
    for i in 0..env_u32(ENV_ROUNDS) {
        lock.lock().unwrap();
        let mut text = String::new();
        file.seek(SeekFrom::Start(0)).unwrap();
        file.read_to_string(&mut text).unwrap();
        let n: u64 = text.trim().parse().unwrap();
        if i % 16 == 0 {
            std::thread::sleep(Duration::from_micros(100));
        } else {
            std::thread::yield_now();
        }
        file.seek(SeekFrom::Start(0)).unwrap();
        file.set_len(0).unwrap();
        write!(file, "{}", n + 1).unwrap();
        lock.unlock().unwrap();
    }
}

/// Child role: take the lock, say `LOCKED` on stdout, and wait to be
/// killed. Returns at once when not run as a child.
pub fn child_hold_lock(open: OpenAt<'_>) {
    let Ok(place) = std::env::var(ENV_WHERE) else {
        return;
    };
    let mgr = open(&place);
    mgr.retrieve(env_u32(ENV_LOCK)).unwrap().lock().unwrap();
    announce_locked_and_wait();
}

/// What a holding child does once it holds its lock, whatever kind of
/// lock that is.
pub fn announce_locked_and_wait() {
    let mut out = std::io::stdout();
    // libtest may have printed "test <name> ... " without a newline.
    writeln!(out, "\nLOCKED").unwrap();
    out.flush().unwrap();
    std::thread::sleep(Duration::from_secs(120));
}

/// Rule: four processes (running `role`, which calls
/// [`child_increment_counter`]) each add 300 to a counter under `lock`;
/// the total is exact. `place` is what the children open.
pub fn parallel_processes_exclude_each_other(role: &str, place: &str, lock: &dyn Locker) {
    let dir = tempfile::tempdir().unwrap();
    let counter = dir.path().join("counter");
    std::fs::write(&counter, "0").unwrap();
    let (procs, rounds) = (4u64, 300u64);
    let envs = [
        (ENV_WHERE, place.to_string()),
        (ENV_LOCK, lock.id().to_string()),
        (ENV_COUNTER, counter.display().to_string()),
        (ENV_ROUNDS, rounds.to_string()),
    ];
    let children: Vec<Reaped> = (0..procs)
        .map(|_| {
            Reaped(
                child_command(role, &envs)
                    .stdout(Stdio::null())
                    .spawn()
                    .unwrap(),
            )
        })
        .collect();
    for mut c in children {
        assert!(c.0.wait().unwrap().success());
    }
    let total: u64 = std::fs::read_to_string(&counter).unwrap().parse().unwrap();
    assert_eq!(total, procs * rounds);
}

/// Rule: while a child (running `role`) holds `lock`, `mgr` reports it
/// held and this process waits for it; once the child is killed, the lock
/// is taken within five seconds. `place` is what the child opens.
pub fn a_killed_holder_releases_its_lock(
    role: &str,
    place: &str,
    mgr: &dyn LockManager,
    lock: &Arc<dyn Locker>,
) {
    let envs = [
        (ENV_WHERE, place.to_string()),
        (ENV_LOCK, lock.id().to_string()),
    ];
    let mut child = Reaped(
        child_command(role, &envs)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = BufReader::new(child.0.stdout.take().unwrap());
    assert!(
        stdout.lines().any(|l| l.unwrap().trim() == "LOCKED"),
        "the child never took the lock"
    );
    assert_eq!(
        mgr.locks_held().unwrap(),
        vec![lock.id()],
        "the child holds it"
    );

    let (tx, rx) = std::sync::mpsc::channel();
    let l = Arc::clone(lock);
    let waiter = std::thread::spawn(move || {
        l.lock().unwrap();
        tx.send(()).unwrap();
        l.unlock().unwrap();
    });
    assert!(
        rx.recv_timeout(Duration::from_millis(200)).is_err(),
        "got the lock while the child holds it"
    );
    child.0.kill().unwrap();
    child.0.wait().unwrap();
    rx.recv_timeout(Duration::from_secs(5))
        .expect("the lock of a killed holder was not released within 5s");
    waiter.join().unwrap();
    lock.lock().unwrap();
    lock.unlock().unwrap();
    assert!(mgr.locks_held().unwrap().is_empty());
}

/// `place` as text, for a directory path.
pub fn place_of(path: &Path) -> String {
    path.display().to_string()
}
