//! Locks between processes: exclusion, recovery from a killed holder, and
//! the layout of a segment made by a real Podman.
//!
//! Child processes are this test binary itself, run with `--exact <helper>
//! --ignored` and the role's parameters in environment variables.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Seek, SeekFrom, Write};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use rpod_lock_shm::{ShmLockManager, layout};
use rpod_runtime_core::lock::LockManager;

const ENV_SEGMENT: &str = "RPOD_TEST_SHM_SEGMENT";
const ENV_LOCK: &str = "RPOD_TEST_SHM_LOCK";
const ENV_COUNTER: &str = "RPOD_TEST_SHM_COUNTER";
const ENV_ROUNDS: &str = "RPOD_TEST_SHM_ROUNDS";
const NUM_LOCKS: u32 = 64;

/// A unique segment name, unlinked when dropped (also when a test fails).
struct TestSegment(String);

impl TestSegment {
    fn new() -> Self {
        static N: AtomicU32 = AtomicU32::new(0);
        TestSegment(format!(
            "/rpod_xtest_{}_{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ))
    }
}

impl Drop for TestSegment {
    fn drop(&mut self) {
        let _ = ShmLockManager::unlink(&self.0);
    }
}

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
    let Ok(segment) = std::env::var(ENV_SEGMENT) else {
        return;
    };
    let mgr = ShmLockManager::open(&segment, NUM_LOCKS).unwrap();
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
    let seg = TestSegment::new();
    let mgr = ShmLockManager::create(&seg.0, NUM_LOCKS).unwrap();
    let lock = mgr.allocate_given(37).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let counter = dir.path().join("counter");
    std::fs::write(&counter, "0").unwrap();
    let (procs, rounds) = (4u64, 300u64);
    let envs = [
        (ENV_SEGMENT, seg.0.clone()),
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
#[test]
#[ignore = "child process of a_killed_holder_releases_its_lock"]
fn helper_hold_lock_forever() {
    let Ok(segment) = std::env::var(ENV_SEGMENT) else {
        return;
    };
    let mgr = ShmLockManager::open(&segment, NUM_LOCKS).unwrap();
    let lock = mgr.retrieve(env_u32(ENV_LOCK)).unwrap();
    lock.lock().unwrap();
    let mut out = std::io::stdout();
    // libtest may have printed "test <name> ... " without a newline.
    writeln!(out, "\nLOCKED").unwrap();
    out.flush().unwrap();
    std::thread::sleep(Duration::from_secs(120));
}

#[test]
fn a_killed_holder_releases_its_lock() {
    let seg = TestSegment::new();
    let mgr = ShmLockManager::create(&seg.0, NUM_LOCKS).unwrap();
    let lock = mgr.allocate().unwrap();
    let envs = [
        (ENV_SEGMENT, seg.0.clone()),
        (ENV_LOCK, lock.id().to_string()),
    ];
    let mut child = Reaped(
        helper("helper_hold_lock_forever", &envs)
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = BufReader::new(child.0.stdout.take().unwrap());
    let mut lines = stdout.lines();
    assert!(
        lines.any(|l| l.unwrap().trim() == "LOCKED"),
        "the child never took the lock"
    );
    assert_eq!(
        mgr.locks_held().unwrap(),
        vec![lock.id()],
        "the child holds it"
    );

    child.0.kill().unwrap();
    child.0.wait().unwrap();

    let (tx, rx) = std::sync::mpsc::channel();
    let l = std::sync::Arc::clone(&lock);
    std::thread::spawn(move || {
        l.lock().unwrap();
        tx.send(()).unwrap();
        l.unlock().unwrap();
    });
    rx.recv_timeout(Duration::from_secs(5))
        .expect("the lock of a killed holder was not recovered within 5s");
    // Recovered and consistent: it keeps working.
    lock.lock().unwrap();
    lock.unlock().unwrap();
    assert_eq!(mgr.locks_held().unwrap(), Vec::<u32>::new());
}

/// A segment made by Podman must match our layout byte for byte.
#[test]
#[allow(clippy::print_stderr)]
fn podmans_segment_matches_our_layout() {
    // Rootless Podman names its segment after the uid.
    let uid = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|l| l.split_whitespace().next().map(str::to_string))
        })
        .unwrap_or_default();
    let candidates = [
        "/libpod_lock".to_string(),
        format!("/libpod_rootless_lock_{uid}"),
    ];
    let mut checked = 0;
    for name in &candidates {
        let Some(info) = ShmLockManager::inspect(name).unwrap() else {
            continue;
        };
        assert_eq!(info.magic, layout::MAGIC, "{name}");
        assert_eq!(
            info.num_locks,
            info.num_bitmaps * layout::LOCKS_PER_GROUP,
            "{name}"
        );
        assert_eq!(
            Some(info.size as usize),
            layout::segment_size(info.num_bitmaps),
            "{name}: size"
        );
        assert!(info.is_valid());
        checked += 1;
    }
    if checked == 0 {
        eprintln!(
            "skipped: no Podman lock segment ({}) on this machine; Podman is absent or has never run",
            candidates.join(", ")
        );
    }
}
