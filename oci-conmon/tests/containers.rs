//! Real containers under conmon + runc: create, start, attach, stop, pause,
//! state, delete, resize.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

mod common;

use std::time::{Duration, Instant};

use common::{Fixture, Options, can_run, capture};
use rpod_runtime_core::Error;
use rpod_runtime_core::oci::{AttachEnd, OciRuntime};

#[test]
fn exit_code_lands_in_the_exit_file_and_output_in_the_log() {
    if !can_run() {
        return;
    }
    let mut fx = Fixture::new(&["sh", "-c", "echo logged; exit 3"]);
    fx.create();
    assert_eq!(fx.rt.state(&fx.ctr).unwrap().status, "created");
    assert_eq!(fx.rt.state(&fx.ctr).unwrap().pid, fx.ctr.state.pid);
    let conmon_pid: i32 =
        std::fs::read_to_string(std::path::Path::new(&fx.ctr.state.run_dir).join("conmon.pid"))
            .unwrap()
            .trim()
            .parse()
            .unwrap();
    assert_eq!(conmon_pid, fx.ctr.state.conmon_pid);
    assert!(fx.bundle().join("attach").exists());
    assert!(fx.bundle().join("ctl").exists());
    fx.rt.start(&fx.ctr).unwrap();
    assert_eq!(fx.wait_exit_file(Duration::from_secs(10)), "3");
    fx.wait_exit_command(&format!("container cleanup {}", fx.id()));
    let log = std::fs::read_to_string(fx.bundle().join("ctr.log")).unwrap();
    assert!(log.trim_end().ends_with(" stdout F logged"), "{log:?}");
    assert_eq!(fx.rt.state(&fx.ctr).unwrap().status, "stopped");
    fx.finish();
}

#[test]
fn attach_separates_stdout_and_stderr_on_a_long_bundle_path() {
    if !can_run() {
        return;
    }
    let mut fx = Fixture::with(Options {
        args: &["sh", "-c", "echo out; echo err >&2; echo out2"],
        long_path: true,
        ..Default::default()
    });
    assert!(fx.bundle().join("attach").as_os_str().len() > 108);
    fx.create();
    let (io, out, err) = capture(None);
    let (rt, ctr) = (&fx.rt, &fx.ctr);
    let mut started = false;
    let end = rt
        .attach(ctr, io, &mut || {
            started = true;
            rt.start(ctr)
        })
        .unwrap();
    assert!(started);
    assert_eq!(end, AttachEnd::Ended);
    assert_eq!(out.text(), "out\nout2\n");
    assert_eq!(err.text(), "err\n");
    assert_eq!(fx.wait_exit_file(Duration::from_secs(10)), "0");
    fx.finish();
}

#[test]
fn attach_copies_stdin_and_closes_it() {
    if !can_run() {
        return;
    }
    let mut fx = Fixture::with(Options {
        args: &["cat"],
        stdin: true,
        ..Default::default()
    });
    fx.create();
    let (io, out, _err) = capture(Some(Box::new(&b"hello\nworld\n"[..])));
    let (rt, ctr) = (&fx.rt, &fx.ctr);
    let end = rt.attach(ctr, io, &mut || rt.start(ctr)).unwrap();
    assert_eq!(end, AttachEnd::Ended);
    assert_eq!(out.text(), "hello\nworld\n");
    assert_eq!(fx.wait_exit_file(Duration::from_secs(10)), "0");
    fx.finish();
}

#[test]
fn detach_keys_end_the_attach_but_not_the_container() {
    if !can_run() {
        return;
    }
    let mut fx = Fixture::with(Options {
        // Detaching closes the connection, and conmon then closes the
        // container's stdin (as with Podman): cat ends, the sleep goes on.
        args: &["sh", "-c", "echo up; cat; sleep 60"],
        stdin: true,
        ..Default::default()
    });
    fx.create();
    let (reader, mut writer) = std::io::pipe().unwrap();
    std::io::Write::write_all(&mut writer, b"abc\n").unwrap();
    let (io, out, _err) = capture(Some(Box::new(reader)));
    // Type the detach keys once cat has echoed our input back.
    let seen = out.clone();
    let typist = std::thread::spawn(move || {
        let deadline = Instant::now() + Duration::from_secs(10);
        while !seen.text().contains("abc") && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        std::io::Write::write_all(&mut writer, b"\x10\x11more").unwrap();
        writer
    });
    let (rt, ctr) = (&fx.rt, &fx.ctr);
    let end = rt.attach(ctr, io, &mut || rt.start(ctr)).unwrap();
    let writer = typist.join().unwrap();
    assert_eq!(end, AttachEnd::Detached);
    assert_eq!(out.text(), "up\nabc\n");
    assert_eq!(rt.state(ctr).unwrap().status, "running");
    assert!(!rt.exit_file_path(fx.id()).exists());
    drop(writer);
    rt.stop(ctr, Duration::ZERO, false).unwrap();
    assert_eq!(fx.wait_exit_file(Duration::from_secs(10)), "137");
    fx.finish();
}

#[test]
fn a_missing_command_is_not_found() {
    if !can_run() {
        return;
    }
    let mut fx = Fixture::new(&["nosuchcmd"]);
    // runc 1.1 looks the command up at create; other versions fail at start.
    let err = match fx.rt.create(&fx.ctr) {
        Err(e) => e,
        Ok(res) => {
            fx.ctr.state.pid = res.pid;
            fx.rt.start(&fx.ctr).unwrap_err()
        }
    };
    assert!(err.is(&Error::OciRuntimeNotFound), "{err}");
    let text = err.to_string();
    assert!(text.starts_with("runc: "), "{text}");
    assert!(
        text.ends_with(
            "exec: \"nosuchcmd\": executable file not found in $PATH: OCI runtime attempted to invoke a command that was not found"
        ),
        "{text}"
    );
    fx.finish();
}

/// Collects the messages of `tracing` events (thread-local subscriber).
mod trace {
    use std::sync::{Arc, Mutex};

    use tracing::field::{Field, Visit};
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata, Subscriber};

    #[derive(Clone, Default)]
    pub struct Collect(pub Arc<Mutex<Vec<String>>>);

    struct Message<'a>(&'a mut String);

    impl Visit for Message<'_> {
        fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
            if field.name() == "message" {
                *self.0 = format!("{value:?}");
            }
        }
    }

    impl Subscriber for Collect {
        fn enabled(&self, _: &Metadata<'_>) -> bool {
            true
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut msg = String::new();
            event.record(&mut Message(&mut msg));
            let line = format!("{} {msg}", event.metadata().level());
            self.0.lock().unwrap().push(line);
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }
}

#[test]
fn stop_resorts_to_sigkill_with_podmans_warning() {
    if !can_run() {
        return;
    }
    let mut fx = Fixture::new(&["sh", "-c", "trap '' TERM; sleep 60"]);
    fx.run();
    let logs = trace::Collect::default();
    let start = Instant::now();
    tracing::subscriber::with_default(logs.clone(), || {
        fx.rt.stop(&fx.ctr, Duration::from_secs(1), false).unwrap();
    });
    let took = start.elapsed();
    assert!(took >= Duration::from_secs(1), "{took:?}");
    assert!(took < Duration::from_secs(6), "{took:?}");
    let warning = format!(
        "WARN StopSignal SIGTERM failed to stop container {} in 1 seconds, resorting to SIGKILL",
        fx.ctr.name()
    );
    assert!(
        logs.0.lock().unwrap().contains(&warning),
        "{:?}",
        logs.0.lock().unwrap()
    );
    assert_eq!(fx.wait_exit_file(Duration::from_secs(10)), "137");
    fx.finish();
}

#[test]
fn stop_signal_that_works_needs_no_sigkill() {
    if !can_run() {
        return;
    }
    let mut fx = Fixture::new(&[
        "sh",
        "-c",
        "trap 'exit 42' INT; while true; do sleep 0.1; done",
    ]);
    fx.ctr.config.stop_signal = 2;
    fx.run();
    // Give sh the moment it needs to install its trap.
    std::thread::sleep(Duration::from_millis(300));
    let logs = trace::Collect::default();
    tracing::subscriber::with_default(logs.clone(), || {
        fx.rt.stop(&fx.ctr, Duration::from_secs(10), false).unwrap();
    });
    assert_eq!(fx.wait_exit_file(Duration::from_secs(10)), "42");
    assert!(
        !logs.0.lock().unwrap().iter().any(|l| l.contains("SIGKILL")),
        "{:?}",
        logs.0.lock().unwrap()
    );
    // Stopping a stopped container is a no-op.
    fx.rt.stop(&fx.ctr, Duration::from_secs(10), false).unwrap();
    fx.finish();
}

#[test]
fn zero_timeout_kills_at_once() {
    if !can_run() {
        return;
    }
    let mut fx = Fixture::new(&["sleep", "60"]);
    fx.run();
    let start = Instant::now();
    fx.rt.stop(&fx.ctr, Duration::ZERO, true).unwrap();
    assert!(
        start.elapsed() < Duration::from_secs(1),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(fx.wait_exit_file(Duration::from_secs(10)), "137");
    fx.finish();
}

#[test]
fn pause_resume_kill_and_state() {
    if !can_run() {
        return;
    }
    let mut fx = Fixture::new(&["sleep", "60"]);
    fx.run();
    let st = fx.rt.state(&fx.ctr).unwrap();
    assert_eq!((st.status.as_str(), st.pid), ("running", fx.ctr.state.pid));
    fx.rt.pause(&fx.ctr).unwrap();
    assert_eq!(fx.rt.state(&fx.ctr).unwrap().status, "paused");
    fx.rt.resume(&fx.ctr).unwrap();
    assert_eq!(fx.rt.state(&fx.ctr).unwrap().status, "running");
    fx.rt.kill(&fx.ctr, 9, false).unwrap();
    assert_eq!(fx.wait_exit_file(Duration::from_secs(10)), "137");
    let err = fx.rt.kill(&fx.ctr, 15, false).unwrap_err();
    assert!(err.is(&Error::OciRuntime), "{err}");
    assert!(err.to_string().starts_with("runc: "), "{err}");
    fx.rt.delete(&fx.ctr).unwrap();
    let st = fx.rt.state(&fx.ctr).unwrap();
    assert_eq!((st.status.as_str(), st.pid), ("stopped", 0));
    // Deleting twice is fine.
    fx.rt.delete(&fx.ctr).unwrap();
    fx.finish();
}

#[test]
fn resize_reaches_the_terminal() {
    if !can_run() {
        return;
    }
    let mut fx = Fixture::with(Options {
        args: &[
            "sh",
            "-c",
            "while [ \"$(stty size)\" != '33 111' ]; do sleep 0.05; done; echo resized",
        ],
        terminal: true,
        ..Default::default()
    });
    fx.create();
    let (io, out, _err) = capture(None);
    let (rt, ctr) = (&fx.rt, &fx.ctr);
    let end = rt
        .attach(ctr, io, &mut || {
            rt.start(ctr)?;
            rt.resize(ctr, 111, 33)
        })
        .unwrap();
    assert_eq!(end, AttachEnd::Ended);
    assert!(out.text().contains("resized"), "{:?}", out.text());
    assert_eq!(fx.wait_exit_file(Duration::from_secs(10)), "0");
    fx.finish();
}

#[test]
fn resize_without_conmon_fails() {
    if !can_run() {
        return;
    }
    let fx = Fixture::new(&["true"]);
    let err = fx.rt.resize(&fx.ctr, 80, 24).unwrap_err();
    assert!(err.to_string().contains("ctl"), "{err}");
}
