//! File locks between processes: exclusion, recovery from a killed holder,
//! and exclusion of a classic fcntl lock holder (Podman, containers/storage).
//!
//! Child processes are this test binary itself, run with `--exact <helper>
//! --ignored` and the role's parameters in environment variables.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use rpod_lock_file::FileLockManager;
use rpod_runtime_core::lock::{LockManager, Locker};

const ENV_DIR: &str = "RPOD_TEST_LOCK_DIR";
const ENV_LOCK: &str = "RPOD_TEST_LOCK_ID";
const ENV_COUNTER: &str = "RPOD_TEST_LOCK_COUNTER";
const ENV_ROUNDS: &str = "RPOD_TEST_LOCK_ROUNDS";

/// Kills the child if the test fails before waiting for it.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn helper(name: &str, envs: &[(&str, String)]) -> Command {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    cmd.args([
        "--exact",
        name,
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

/// Child role: `rounds` times, take the lock and add one to the counter file
/// with a read, a pause and a write, which only the lock keeps exact.
#[test]
#[ignore = "child process of parallel_processes_exclude_each_other"]
fn helper_increment_counter() {
    let Ok(dir) = std::env::var(ENV_DIR) else {
        return;
    };
    let mgr = FileLockManager::open_or_create(dir).unwrap();
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

#[test]
fn parallel_processes_exclude_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let locks = dir.path().join("locks");
    let mgr = FileLockManager::open_or_create(&locks).unwrap();
    let lock = mgr.allocate_given(3).unwrap();
    let counter = dir.path().join("counter");
    std::fs::write(&counter, "0").unwrap();
    let (procs, rounds) = (4u64, 300u64);
    let envs = [
        (ENV_DIR, locks.display().to_string()),
        (ENV_LOCK, lock.id().to_string()),
        (ENV_COUNTER, counter.display().to_string()),
        (ENV_ROUNDS, rounds.to_string()),
    ];
    let children: Vec<Reaped> = (0..procs)
        .map(|_| {
            Reaped(
                helper("helper_increment_counter", &envs)
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

/// Child role: take the lock, say so on stdout, and wait to be killed.
/// With `classic`, take it the way containers/storage does (a classic
/// fcntl lock through `rpod_runtime_core::lockfile`).
fn hold_forever(classic: bool) {
    let Ok(dir) = std::env::var(ENV_DIR) else {
        return;
    };
    let id = env_u32(ENV_LOCK);
    let mut out = std::io::stdout();
    if classic {
        let file =
            rpod_runtime_core::lockfile::LockFile::open(Path::new(&dir).join(id.to_string()))
                .unwrap();
        let _guard = file.lock().unwrap();
        // libtest may have printed "test <name> ... " without a newline.
        writeln!(out, "\nLOCKED").unwrap();
        out.flush().unwrap();
        std::thread::sleep(Duration::from_secs(120));
    } else {
        let mgr = FileLockManager::open_or_create(dir).unwrap();
        mgr.retrieve(id).unwrap().lock().unwrap();
        writeln!(out, "\nLOCKED").unwrap();
        out.flush().unwrap();
        std::thread::sleep(Duration::from_secs(120));
    }
}

#[test]
#[ignore = "child process of a_killed_holder_releases_its_lock"]
fn helper_hold_lock_forever() {
    hold_forever(false);
}

#[test]
#[ignore = "child process of a_classic_fcntl_holder_is_excluded"]
fn helper_hold_classic_lock_forever() {
    hold_forever(true);
}

/// Starts `role` holding `lock`, checks that it holds it and that the
/// parent waits, kills it, and checks the parent then gets the lock.
fn kill_holder_then_lock(role: &str, mgr: &FileLockManager, lock: &Arc<dyn Locker>) {
    let envs = [
        (ENV_DIR, mgr.dir().display().to_string()),
        (ENV_LOCK, lock.id().to_string()),
    ];
    let mut child = Reaped(helper(role, &envs).stdout(Stdio::piped()).spawn().unwrap());
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
}

#[test]
fn a_killed_holder_releases_its_lock() {
    let dir = tempfile::tempdir().unwrap();
    let mgr = FileLockManager::open_or_create(dir.path().join("locks")).unwrap();
    let lock = mgr.allocate().unwrap();
    kill_holder_then_lock("helper_hold_lock_forever", &mgr, &lock);
    lock.lock().unwrap();
    lock.unlock().unwrap();
    assert!(mgr.locks_held().unwrap().is_empty());
}

#[test]
fn a_classic_fcntl_holder_is_excluded() {
    let dir = tempfile::tempdir().unwrap();
    let mgr = FileLockManager::open_or_create(dir.path().join("locks")).unwrap();
    let lock = mgr.allocate().unwrap();
    kill_holder_then_lock("helper_hold_classic_lock_forever", &mgr, &lock);
}
