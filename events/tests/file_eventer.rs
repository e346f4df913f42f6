//! The file eventer through the `Eventer` trait: filters, time windows,
//! rotation, torn lines and streaming.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::thread;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rpod_events::FileEventer;
use rpod_runtime_core::events::{
    Event, EventFilter, EventStatus, EventType, Eventer, ReadControl, ReadOptions,
};

fn eventer(dir: &Path, max_size: u64) -> FileEventer {
    FileEventer::new(dir.join("events/events.log"), max_size).unwrap()
}

fn ev(ty: EventType, status: EventStatus, name: &str, id: &str) -> Event {
    let mut e = Event::new(ty, status);
    e.name = name.into();
    e.id = id.into();
    e
}

fn labelled(mut e: Event, labels: &[(&str, &str)]) -> Event {
    e.attributes = Some(
        labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    );
    e
}

fn read(ev: &dyn Eventer, opts: &ReadOptions) -> Vec<Event> {
    let mut out = Vec::new();
    ev.read(opts, &mut |e| {
        out.push(e);
        Ok(ReadControl::Continue)
    })
    .unwrap();
    out
}

/// `type/status/name` of every event read with `filters`.
fn keys(ev: &dyn Eventer, filters: &[&str]) -> Vec<String> {
    let opts = ReadOptions {
        filter: EventFilter::parse(filters).unwrap(),
        ..Default::default()
    };
    read(ev, &opts)
        .into_iter()
        .map(|e| format!("{}/{}/{}", e.event_type, e.status, e.name))
        .collect()
}

fn lines(path: &Path) -> Vec<String> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn round_trip_keeps_every_field() {
    let d = tempfile::tempdir().unwrap();
    let fe = eventer(d.path(), 0);
    let mut died = labelled(
        ev(EventType::Container, EventStatus::Died, "web", "0123abcd"),
        &[("app", "shop")],
    );
    died.image = "localhost/busybox:latest".into();
    died.container_exit_code = Some(3);
    died.pod_id = "feedbeef".into();
    let pull = ev(EventType::Image, EventStatus::Pull, "busybox", "");
    fe.write(&died).unwrap();
    fe.write(&pull).unwrap();
    assert_eq!(
        read(&fe, &ReadOptions::default()),
        vec![died.clone(), pull.clone()]
    );
    // On disk: one compact JSON object per line, exactly as serialized.
    let on_disk = lines(fe.log_path());
    assert_eq!(
        on_disk,
        vec![
            serde_json::to_string(&died).unwrap(),
            serde_json::to_string(&pull).unwrap()
        ]
    );
}

#[test]
fn every_filter_kind_and_their_combinations() {
    let d = tempfile::tempdir().unwrap();
    let fe = eventer(d.path(), 0);
    let events = [
        labelled(
            ev(EventType::Container, EventStatus::Create, "web", "aaa111"),
            &[("tier", "front")],
        ),
        labelled(
            ev(EventType::Container, EventStatus::Start, "web", "aaa111"),
            &[("tier", "front")],
        ),
        labelled(
            ev(EventType::Container, EventStatus::Start, "db", "bbb222"),
            &[("tier", "back")],
        ),
        ev(EventType::Container, EventStatus::Died, "db", "bbb222"),
        ev(EventType::Image, EventStatus::Pull, "busybox", "ccc333"),
        ev(EventType::Image, EventStatus::Tag, "alpine", "ddd444"),
        ev(EventType::Pod, EventStatus::Create, "mypod", "eee555"),
        ev(EventType::Volume, EventStatus::Create, "vol1", "vol1"),
        ev(EventType::Volume, EventStatus::Remove, "vol2", "vol2"),
        Event::system(EventStatus::Refresh, ""),
    ];
    for e in &events {
        fe.write(e).unwrap();
    }
    assert_eq!(keys(&fe, &[]).len(), events.len());
    assert_eq!(
        keys(&fe, &["container=web"]),
        ["container/create/web", "container/start/web"]
    );
    // ID prefix, OR within a key.
    assert_eq!(
        keys(&fe, &["container=bbb", "container=web"]),
        [
            "container/create/web",
            "container/start/web",
            "container/start/db",
            "container/died/db"
        ]
    );
    assert_eq!(
        keys(&fe, &["event=start"]),
        ["container/start/web", "container/start/db"]
    );
    assert_eq!(keys(&fe, &["status=die"]), ["container/died/db"]);
    assert_eq!(keys(&fe, &["image=busybox"]), ["image/pull/busybox"]);
    assert_eq!(keys(&fe, &["image=ddd"]), ["image/tag/alpine"]);
    assert_eq!(keys(&fe, &["pod=mypod"]), ["pod/create/mypod"]);
    assert_eq!(keys(&fe, &["volume=vol2"]), ["volume/remove/vol2"]);
    assert_eq!(keys(&fe, &["type=system"]), ["system/refresh/"]);
    assert_eq!(
        keys(&fe, &["type=image", "type=pod"]),
        ["image/pull/busybox", "image/tag/alpine", "pod/create/mypod"]
    );
    assert_eq!(
        keys(&fe, &["label=tier=front"]),
        ["container/create/web", "container/start/web"]
    );
    assert_eq!(keys(&fe, &["label=tier"]).len(), 3);
    // AND across keys.
    assert_eq!(
        keys(&fe, &["event=start", "label=tier=back"]),
        ["container/start/db"]
    );
    assert_eq!(
        keys(&fe, &["container=web", "event=died"]),
        Vec::<String>::new()
    );
    assert_eq!(
        keys(&fe, &["type=volume", "event=create", "event=remove"]),
        ["volume/create/vol1", "volume/remove/vol2"]
    );
}

#[test]
fn since_and_until_bound_the_window() {
    let d = tempfile::tempdir().unwrap();
    let fe = eventer(d.path(), 0);
    let t = |s: u32| -> DateTime<Utc> { format!("2026-01-01T00:00:0{s}Z").parse().unwrap() };
    for s in 0..5 {
        let mut e = ev(
            EventType::Container,
            EventStatus::Start,
            &format!("c{s}"),
            "",
        );
        e.time = t(s);
        fe.write(&e).unwrap();
    }
    let names = |since, until| -> Vec<String> {
        let opts = ReadOptions {
            since,
            until,
            ..Default::default()
        };
        read(&fe, &opts).into_iter().map(|e| e.name).collect()
    };
    assert_eq!(names(Some(t(1)), Some(t(3))), ["c1", "c2", "c3"]);
    assert_eq!(names(Some(t(3)), None), ["c3", "c4"]);
    assert_eq!(names(None, Some(t(0))), ["c0"]);
    assert_eq!(names(Some(t(4)), Some(t(3))), Vec::<String>::new());
}

#[test]
fn rotation_keeps_the_newer_half() {
    let d = tempfile::tempdir().unwrap();
    let max = 2000;
    let fe = eventer(d.path(), max);
    let log = fe.log_path().to_path_buf();
    let mut i = 0;
    // Fill the log up to just below the threshold.
    loop {
        let e = ev(
            EventType::Container,
            EventStatus::Create,
            &format!("c{i:03}"),
            "",
        );
        let len = serde_json::to_string(&e).unwrap().len() as u64 + 1;
        if fs::metadata(&log).unwrap().len() + len >= max {
            break;
        }
        fe.write(&e).unwrap();
        i += 1;
    }
    let before = fs::read(&log).unwrap();
    let trigger = ev(
        EventType::Container,
        EventStatus::Create,
        &format!("c{i:03}"),
        "",
    );
    fe.write(&trigger).unwrap();

    // The expected kept part: from the first line starting at or after the midpoint.
    let mid = before.len() / 2;
    let start = if before[mid - 1] == b'\n' {
        mid
    } else {
        mid + before[mid..].iter().position(|&b| b == b'\n').unwrap() + 1
    };
    let after = fs::read(&log).unwrap();
    assert!(after.starts_with(&before[start..]), "kept part differs");
    assert!(
        (after.len() as u64) < max,
        "{} bytes after rotation",
        after.len()
    );
    let rest = String::from_utf8(after[before.len() - start..].to_vec()).unwrap();
    let tail: Vec<Event> = rest
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(tail.len(), 2);
    assert_eq!(tail[0].event_type, EventType::System);
    assert_eq!(tail[0].status, EventStatus::LogRotation);
    assert_eq!(tail[0].name, log.to_string_lossy());
    assert_eq!(tail[1], trigger);
    // Mode survives (the temp file is created 0600).
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(fs::metadata(&log).unwrap().permissions().mode() & 0o077, 0);
    // No temp files left behind.
    let leftovers: Vec<_> = fs::read_dir(log.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("rotate"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn many_rotations_keep_a_contiguous_newest_suffix() {
    let d = tempfile::tempdir().unwrap();
    let max = 4096;
    let fe = eventer(d.path(), max);
    let (mut shrinks, mut last_size) = (0, 0);
    for i in 0..300 {
        fe.write(&ev(
            EventType::Container,
            EventStatus::Start,
            &format!("c{i:03}"),
            "",
        ))
        .unwrap();
        let size = fs::metadata(fe.log_path()).unwrap().len();
        assert!(size < max);
        if size < last_size {
            shrinks += 1;
        }
        last_size = size;
    }
    assert!(shrinks >= 2, "{shrinks} rotations");
    let all = read(&fe, &ReadOptions::default());
    // Older rotation markers are rotated away like any other line.
    let rotations = all
        .iter()
        .filter(|e| e.status == EventStatus::LogRotation)
        .count();
    assert!(rotations >= 1);
    let kept: Vec<u32> = all
        .iter()
        .filter(|e| e.event_type == EventType::Container)
        .map(|e| e.name[1..].parse().unwrap())
        .collect();
    assert_eq!(*kept.last().unwrap(), 299);
    assert!(kept[0] > 0);
    let expected: Vec<u32> = (kept[0]..300).collect();
    assert_eq!(
        kept, expected,
        "kept events are not the newest contiguous run"
    );
}

#[test]
fn torn_and_garbage_lines_are_skipped() {
    let d = tempfile::tempdir().unwrap();
    let fe = eventer(d.path(), 0);
    fe.write(&ev(EventType::Container, EventStatus::Start, "a", ""))
        .unwrap();
    {
        let mut f = OpenOptions::new().append(true).open(fe.log_path()).unwrap();
        f.write_all(b"this is not json\n\n").unwrap();
    }
    fe.write(&ev(EventType::Container, EventStatus::Start, "b", ""))
        .unwrap();
    {
        let mut f = OpenOptions::new().append(true).open(fe.log_path()).unwrap();
        f.write_all(br#"{"Name":"c","Status":"sta"#).unwrap();
    }
    let names: Vec<_> = read(&fe, &ReadOptions::default())
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, ["a", "b"]);
}

#[test]
fn a_complete_last_line_without_newline_is_read() {
    let d = tempfile::tempdir().unwrap();
    let fe = eventer(d.path(), 0);
    let e = ev(EventType::Container, EventStatus::Start, "a", "");
    fs::write(fe.log_path(), serde_json::to_string(&e).unwrap()).unwrap();
    assert_eq!(read(&fe, &ReadOptions::default()), vec![e]);
}

#[test]
fn missing_log_reads_as_empty() {
    let d = tempfile::tempdir().unwrap();
    let fe = eventer(d.path(), 0);
    fs::remove_file(fe.log_path()).unwrap();
    assert!(read(&fe, &ReadOptions::default()).is_empty());
    // Writing recreates it.
    fe.write(&ev(EventType::Pod, EventStatus::Create, "p", ""))
        .unwrap();
    assert_eq!(read(&fe, &ReadOptions::default()).len(), 1);
}

/// Runs a streaming read on another thread, passing events through a channel.
struct Streamer {
    rx: mpsc::Receiver<Event>,
    stop: Arc<AtomicBool>,
    handle: thread::JoinHandle<rpod_runtime_core::Result<()>>,
}

impl Streamer {
    fn start(log: &Path, opts: ReadOptions) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let opts = ReadOptions {
            stream: true,
            stop: Some(Arc::clone(&stop)),
            ..opts
        };
        let (tx, rx) = mpsc::channel();
        let reader = FileEventer::new(log.to_path_buf(), 0).unwrap();
        let handle = thread::spawn(move || {
            reader.read(&opts, &mut |e| {
                let _ = tx.send(e);
                Ok(ReadControl::Continue)
            })
        });
        Streamer { rx, stop, handle }
    }

    fn next(&self) -> Event {
        self.rx
            .recv_timeout(Duration::from_secs(10))
            .expect("no event streamed")
    }

    fn finish(self) -> Vec<Event> {
        self.stop.store(true, Ordering::SeqCst);
        let started = Instant::now();
        self.handle.join().unwrap().unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "stop flag ignored"
        );
        self.rx.try_iter().collect()
    }
}

#[test]
fn stream_follows_new_events_until_stopped() {
    let d = tempfile::tempdir().unwrap();
    let fe = eventer(d.path(), 0);
    fe.write(&ev(EventType::Container, EventStatus::Create, "old", ""))
        .unwrap();
    let s = Streamer::start(fe.log_path(), ReadOptions::default());
    assert_eq!(s.next().name, "old");
    thread::sleep(Duration::from_millis(150));
    let new = ev(EventType::Container, EventStatus::Start, "new", "");
    fe.write(&new).unwrap();
    assert_eq!(s.next(), new);
    assert!(s.finish().is_empty());
}

#[test]
fn stream_applies_filters_and_stops_when_sink_says_so() {
    let d = tempfile::tempdir().unwrap();
    let fe = eventer(d.path(), 0);
    let log = fe.log_path().to_path_buf();
    let reader = FileEventer::new(log, 0).unwrap();
    let handle = thread::spawn(move || {
        let opts = ReadOptions {
            stream: true,
            filter: EventFilter::parse(&["container=b"]).unwrap(),
            ..Default::default()
        };
        let mut got = Vec::new();
        reader
            .read(&opts, &mut |e| {
                got.push(e.name);
                Ok(if got.len() == 2 {
                    ReadControl::Stop
                } else {
                    ReadControl::Continue
                })
            })
            .unwrap();
        got
    });
    for name in ["a", "b", "a", "b", "b"] {
        fe.write(&ev(EventType::Container, EventStatus::Start, name, ""))
            .unwrap();
        thread::sleep(Duration::from_millis(30));
    }
    assert_eq!(handle.join().unwrap(), ["b", "b"]);
}

#[test]
fn stream_waits_for_the_log_to_appear() {
    let d = tempfile::tempdir().unwrap();
    let fe = eventer(d.path(), 0);
    fs::remove_file(fe.log_path()).unwrap();
    let s = Streamer::start(fe.log_path(), ReadOptions::default());
    thread::sleep(Duration::from_millis(250));
    let e = ev(EventType::Volume, EventStatus::Create, "v", "v");
    fe.write(&e).unwrap();
    assert_eq!(s.next(), e);
    assert!(s.finish().is_empty());
}

#[test]
fn stream_ends_once_until_passes() {
    let d = tempfile::tempdir().unwrap();
    let fe = eventer(d.path(), 0);
    let until = Utc::now() + chrono::Duration::milliseconds(300);
    let started = Instant::now();
    let got = read(
        &fe,
        &ReadOptions {
            stream: true,
            until: Some(until),
            ..Default::default()
        },
    );
    assert!(got.is_empty());
    let took = started.elapsed();
    assert!(took >= Duration::from_millis(250), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
}

#[test]
fn stream_survives_rotation_without_repeats() {
    let d = tempfile::tempdir().unwrap();
    let fe = eventer(d.path(), 2048);
    let s = Streamer::start(fe.log_path(), ReadOptions::default());
    // Slow enough that the reader sees each half before it is rotated away.
    let n = 30;
    for i in 0..n {
        fe.write(&ev(
            EventType::Container,
            EventStatus::Start,
            &format!("c{i:02}"),
            "",
        ))
        .unwrap();
        thread::sleep(Duration::from_millis(60));
    }
    let last = format!("c{:02}", n - 1);
    let mut got = Vec::new();
    while got.last() != Some(&last) {
        let e = s.next();
        if e.event_type == EventType::Container {
            got.push(e.name);
        }
    }
    let rest = s.finish();
    assert!(
        rest.iter().all(|e| e.event_type != EventType::Container),
        "events after the last one: {rest:?}"
    );
    let rotations = read(&fe, &ReadOptions::default())
        .iter()
        .filter(|e| e.status == EventStatus::LogRotation)
        .count();
    assert!(rotations >= 1, "the log never rotated");
    let want: Vec<String> = (0..n).map(|i| format!("c{i:02}")).collect();
    assert_eq!(got, want);
}

#[test]
fn fast_stream_through_rotations_never_repeats_or_reorders() {
    let d = tempfile::tempdir().unwrap();
    let fe = eventer(d.path(), 2048);
    let s = Streamer::start(fe.log_path(), ReadOptions::default());
    // Several rotations happen between two polls of the reader.
    let n = 400;
    for i in 0..n {
        fe.write(&ev(
            EventType::Container,
            EventStatus::Start,
            &format!("c{i:03}"),
            "",
        ))
        .unwrap();
        thread::sleep(Duration::from_millis(2));
    }
    let last = format!("c{:03}", n - 1);
    let mut got: Vec<u32> = Vec::new();
    loop {
        let e = s.next();
        if e.event_type == EventType::Container {
            got.push(e.name[1..].parse().unwrap());
            if e.name == last {
                break;
            }
        }
    }
    s.finish();
    assert!(
        got.windows(2).all(|w| w[0] < w[1]),
        "repeated or reordered: {got:?}"
    );
}
