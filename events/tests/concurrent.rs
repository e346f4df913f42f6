//! Several threads and several processes appending to one events log.
//!
//! The other processes are this test binary itself, re-run on the ignored
//! `child_writer` test with the environment telling it what to write.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::thread;

use rpod_events::FileEventer;
use rpod_runtime_core::events::{Event, EventStatus, EventType, Eventer};

const ENV_LOG: &str = "RPOD_EVENTS_TEST_WRITER_LOG";
const ENV_TAG: &str = "RPOD_EVENTS_TEST_WRITER_TAG";
const ENV_COUNT: &str = "RPOD_EVENTS_TEST_WRITER_COUNT";
const ENV_MAX: &str = "RPOD_EVENTS_TEST_WRITER_MAX";

fn write_many(log: &Path, max_size: u64, tag: &str, count: usize) {
    let fe = FileEventer::new(log.to_path_buf(), max_size).unwrap();
    for i in 0..count {
        let mut e = Event::new(EventType::Container, EventStatus::Start);
        e.name = format!("{tag}-{i}");
        e.id = format!("{:064x}", i);
        e.attributes = Some([("writer".to_string(), tag.to_string())].into());
        fe.write(&e).unwrap();
    }
}

/// Not a test on its own: the body of a child writer process.
#[test]
#[ignore = "run as a child process by the concurrent writer tests"]
fn child_writer() {
    let (Ok(log), Ok(tag), Ok(count), Ok(max)) = (
        std::env::var(ENV_LOG),
        std::env::var(ENV_TAG),
        std::env::var(ENV_COUNT),
        std::env::var(ENV_MAX),
    ) else {
        return;
    };
    write_many(
        Path::new(&log),
        max.parse().unwrap(),
        &tag,
        count.parse().unwrap(),
    );
}

/// Runs `procs` child processes and `threads` threads, each writing `count` events.
fn hammer(log: &Path, max_size: u64, procs: usize, threads: usize, count: usize) -> Vec<String> {
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..procs)
        .map(|p| {
            Command::new(&exe)
                .args(["child_writer", "--exact", "--ignored", "--test-threads=1"])
                .env(ENV_LOG, log)
                .env(ENV_TAG, format!("proc{p}"))
                .env(ENV_COUNT, count.to_string())
                .env(ENV_MAX, max_size.to_string())
                .stdout(Stdio::null())
                .spawn()
                .unwrap()
        })
        .collect();
    let handles: Vec<_> = (0..threads)
        .map(|t| {
            let log: PathBuf = log.to_path_buf();
            thread::spawn(move || write_many(&log, max_size, &format!("thread{t}"), count))
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    for mut c in children {
        assert!(c.wait().unwrap().success(), "a child writer failed");
    }
    std::fs::read_to_string(log)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// Parses every line (failing on any torn one) and groups container event
/// sequence numbers by writer tag, in file order.
fn by_writer(lines: &[String]) -> (BTreeMap<String, Vec<usize>>, usize) {
    let mut seqs: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    let mut rotations = 0;
    for line in lines {
        let e: Event =
            serde_json::from_str(line).unwrap_or_else(|err| panic!("torn line {line:?}: {err}"));
        if e.status == EventStatus::LogRotation {
            rotations += 1;
            continue;
        }
        let (tag, seq) = e.name.rsplit_once('-').unwrap();
        assert_eq!(e.attributes.as_ref().unwrap()["writer"], tag);
        seqs.entry(tag.to_string())
            .or_default()
            .push(seq.parse().unwrap());
    }
    (seqs, rotations)
}

#[test]
fn threads_and_processes_append_whole_lines() {
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("events/events.log");
    FileEventer::new(log.clone(), 0).unwrap();
    let (procs, threads, count) = (3, 3, 300);
    let lines = hammer(&log, 0, procs, threads, count);
    assert_eq!(lines.len(), (procs + threads) * count);
    let (seqs, rotations) = by_writer(&lines);
    assert_eq!(rotations, 0);
    assert_eq!(seqs.len(), procs + threads);
    let want: Vec<usize> = (0..count).collect();
    for (tag, got) in &seqs {
        assert_eq!(got, &want, "writer {tag} lost or reordered events");
    }
}

#[test]
fn concurrent_writers_rotate_without_tearing() {
    let d = tempfile::tempdir().unwrap();
    let log = d.path().join("events/events.log");
    let max = 16 * 1024;
    FileEventer::new(log.clone(), max).unwrap();
    let lines = hammer(&log, max, 2, 2, 300);
    let size = std::fs::metadata(&log).unwrap().len();
    assert!(size < max, "log is {size} bytes, limit {max}");
    let (seqs, rotations) = by_writer(&lines);
    assert!(rotations >= 1);
    // Whatever survived of each writer is its newest events, in order.
    for (tag, got) in &seqs {
        assert!(
            got.windows(2).all(|w| w[1] == w[0] + 1),
            "writer {tag}: {got:?}"
        );
    }
    // The last write of all is some writer's final event.
    let last: Event = serde_json::from_str(lines.last().unwrap()).unwrap();
    assert!(last.name.ends_with("-299"), "last line is {}", last.name);
}
