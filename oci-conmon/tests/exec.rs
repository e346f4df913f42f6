//! Exec sessions in real containers under conmon + runc.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

mod common;

use std::time::Duration;

use common::{Fixture, can_run, capture, process, wait_file};
use rpod_runtime_core::Error;
use rpod_runtime_core::container::ExecConfig;
use rpod_runtime_core::names;
use rpod_runtime_core::oci::{ExecOptions, OciRuntime};

fn options(args: &[&str], detach: bool, stdin: bool) -> ExecOptions {
    ExecOptions {
        session_id: names::generate_id().unwrap(),
        config: ExecConfig {
            command: args.iter().map(|s| s.to_string()).collect(),
            attach_stdin: stdin,
            ..Default::default()
        },
        process: process(args, false),
        detach,
    }
}

#[test]
fn exec_streams_output_and_returns_the_exit_code() {
    if !can_run() {
        return;
    }
    let mut fx = Fixture::new(&["sleep", "60"]);
    fx.run();
    let opts = options(
        &["sh", "-c", "echo hi; echo oops >&2; exit 7"],
        false,
        false,
    );
    let (io, out, err) = capture(None);
    let res = fx.rt.exec(&fx.ctr, &opts, Some(io)).unwrap();
    assert!(res.pid > 0);
    assert_ne!(res.pid, fx.ctr.state.pid);
    assert_eq!(res.exit_code, Some(7));
    assert_eq!(out.text(), "hi\n");
    assert_eq!(err.text(), "oops\n");
    let sess = fx.bundle().join(&opts.session_id);
    assert_eq!(
        wait_file(&sess.join("exit").join(fx.id()), Duration::from_secs(5)),
        "7"
    );
    assert!(
        std::fs::read_dir(&sess)
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().starts_with("exec-process-"))
    );
    // The container itself is untouched.
    assert_eq!(fx.rt.state(&fx.ctr).unwrap().status, "running");
    fx.rt.stop(&fx.ctr, Duration::ZERO, false).unwrap();
    fx.finish();
}

#[test]
fn exec_with_a_terminal() {
    if !can_run() {
        return;
    }
    let mut fx = Fixture::new(&["sleep", "60"]);
    fx.run();
    let mut opts = options(
        &["sh", "-c", "[ -t 1 ] && echo on a tty; exit 4"],
        false,
        false,
    );
    opts.config.terminal = true;
    opts.process = process(&["sh", "-c", "[ -t 1 ] && echo on a tty; exit 4"], true);
    let (io, out, err) = capture(None);
    let res = fx.rt.exec(&fx.ctr, &opts, Some(io)).unwrap();
    assert_eq!(res.exit_code, Some(4));
    // A terminal turns "\n" into "\r\n" and merges stderr into stdout.
    assert_eq!(out.text(), "on a tty\r\n");
    assert_eq!(err.text(), "");
    fx.rt.stop(&fx.ctr, Duration::ZERO, false).unwrap();
    fx.finish();
}

#[test]
fn exec_with_stdin() {
    if !can_run() {
        return;
    }
    let mut fx = Fixture::new(&["sleep", "60"]);
    fx.run();
    let opts = options(&["cat"], false, true);
    let (io, out, _err) = capture(Some(Box::new(&b"piped in\n"[..])));
    let res = fx.rt.exec(&fx.ctr, &opts, Some(io)).unwrap();
    assert_eq!(res.exit_code, Some(0));
    assert_eq!(out.text(), "piped in\n");
    fx.rt.stop(&fx.ctr, Duration::ZERO, false).unwrap();
    fx.finish();
}

#[test]
fn detached_exec_returns_once_running() {
    if !can_run() {
        return;
    }
    let mut fx = Fixture::new(&["sleep", "60"]);
    fx.run();
    let opts = options(
        &["sh", "-c", "sleep 0.5; touch /tmp/done; exit 5"],
        true,
        false,
    );
    let res = fx.rt.exec(&fx.ctr, &opts, None).unwrap();
    assert!(res.pid > 0);
    assert_eq!(res.exit_code, None);
    let exit_file = fx
        .bundle()
        .join(&opts.session_id)
        .join("exit")
        .join(fx.id());
    // It returned while the process still ran.
    assert!(!exit_file.exists());
    assert_eq!(wait_file(&exit_file, Duration::from_secs(10)), "5");
    assert!(fx.dir.path().join("rootfs/tmp/done").exists());
    fx.wait_exit_command(&format!(
        "container cleanup --exec {} {}",
        opts.session_id,
        fx.id()
    ));
    fx.rt.stop(&fx.ctr, Duration::ZERO, false).unwrap();
    fx.finish();
}

#[test]
fn exec_of_a_missing_binary_is_not_found() {
    if !can_run() {
        return;
    }
    let mut fx = Fixture::new(&["sleep", "60"]);
    fx.run();
    for io in [Some(capture(None).0), None] {
        let opts = options(&["nosuchbin"], io.is_none(), false);
        let err = fx.rt.exec(&fx.ctr, &opts, io).unwrap_err();
        assert!(err.is(&Error::OciRuntimeNotFound), "{err}");
        let text = err.to_string();
        assert!(text.starts_with("runc: "), "{text}");
        assert!(
            text.contains("exec: \"nosuchbin\": executable file not found in $PATH"),
            "{text}"
        );
    }
    fx.rt.stop(&fx.ctr, Duration::ZERO, false).unwrap();
    fx.finish();
}
