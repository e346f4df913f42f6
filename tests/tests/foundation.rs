//! `rpod info`, `version` and `events`, and bad input, through the built binary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::path::Path;

use chrono::{TimeZone, Utc};
use rpod_events::FileEventer;
use rpod_runtime_core::events::{Event, EventStatus, EventType, Eventer};
use rpod_tests::TestEnv;

/// Names of every file and directory below `dir`, sorted.
fn tree(dir: &Path) -> Vec<String> {
    fn walk(d: &Path, out: &mut Vec<String>) {
        if let Ok(rd) = std::fs::read_dir(d) {
            for e in rd.flatten() {
                out.push(e.path().to_string_lossy().into_owned());
                walk(&e.path(), out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

#[test]
fn info_json_has_podman_4_top_level_keys() {
    let env = TestEnv::new();
    let run = env.rpod(&["info", "--format", "json"]).ok();
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["host", "store", "registries", "plugins", "version"]);
    assert_eq!(
        v["store"]["graphRoot"],
        env.path("root").to_string_lossy().as_ref()
    );
    assert_eq!(
        v["store"]["runRoot"],
        env.path("runroot").to_string_lossy().as_ref()
    );
    assert_eq!(v["host"]["databaseBackend"], "sqlite");
    assert_eq!(v["host"]["eventLogger"], "file");
    assert_eq!(v["host"]["ociRuntime"]["name"], "runc");
    assert!(
        v["host"]["conmon"]["path"]
            .as_str()
            .unwrap()
            .ends_with("conmon")
    );
    assert_eq!(v["host"]["freeLocks"], 2048);
    assert_eq!(v["store"]["containerStore"]["number"], 0);
    // The state database and the alive file exist in this test's own dirs.
    assert!(env.path("root/libpod/db.sql").exists());
    assert!(env.path("tmp/alive").exists());
}

#[test]
fn info_default_output_is_yaml_like_and_templates_work() {
    let env = TestEnv::new();
    let run = env.rpod(&["info"]).ok();
    assert!(run.stdout.starts_with("host:\n  arch: "), "{}", run.stdout);
    assert!(run.stdout.contains("\nstore:\n"), "{}", run.stdout);
    assert!(run.stdout.contains("  graphRoot: "), "{}", run.stdout);
    let arch = env.rpod(&["info", "--format", "{{.Host.Arch}}"]).ok();
    assert_eq!(
        arch.stdout,
        format!("{}\n", rpod_runtime_core::runtime::go_arch())
    );
    let root = env
        .rpod(&[
            "info",
            "--format",
            "{{.Store.GraphRoot}} {{json .Store.ContainerStore}}",
        ])
        .ok();
    assert_eq!(
        root.stdout,
        format!(
            "{} {{\"number\":0,\"paused\":0,\"running\":0,\"stopped\":0}}\n",
            env.path("root").display()
        )
    );
}

#[test]
fn a_bad_template_is_one_error_line_and_exit_125() {
    let env = TestEnv::new();
    let run = env.rpod(&["info", "--format", "{{.Host.Arch"]);
    assert_eq!(run.code, 125);
    assert!(run.stderr.starts_with("Error: "), "{}", run.stderr);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

#[test]
fn version_prints_podmans_fields() {
    let env = TestEnv::new();
    let run = env.rpod(&["version"]).ok();
    assert!(run.stdout.starts_with("Version:      "), "{}", run.stdout);
    assert!(run.stdout.contains("\nAPI Version:  "));
    let v = env
        .rpod(&["version", "--format", "{{.Client.Version}}"])
        .ok();
    assert_eq!(v.stdout.trim(), env!("CARGO_PKG_VERSION"));
    let j = env.rpod(&["version", "--format", "json"]).ok();
    let parsed: serde_json::Value = serde_json::from_str(&j.stdout).unwrap();
    assert_eq!(
        parsed["Client"]["OsArch"]
            .as_str()
            .unwrap()
            .split('/')
            .count(),
        2
    );
}

#[test]
fn unknown_flag_is_podmans_error() {
    let env = TestEnv::new();
    let run = env.rpod(&["info", "--badflag"]);
    assert_eq!(run.code, 125);
    assert!(
        run.stderr.starts_with("Error: unknown flag: --badflag\n"),
        "{}",
        run.stderr
    );
}

/// Writes six events at fixed times through the events crate.
fn write_sample_events(env: &TestEnv) {
    let log = env.events_log();
    let eventer = FileEventer::new(log, 0).unwrap();
    let at = |s: u32| Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, s).unwrap();
    let mut events = Vec::new();
    let mut e = Event::new(EventType::Container, EventStatus::Create);
    e.id = "aaa111".into();
    e.name = "web".into();
    e.image = "localhost/img:1".into();
    e.attributes = Some([("app".to_string(), "web".to_string())].into());
    events.push(e);
    let mut e = Event::new(EventType::Container, EventStatus::Died);
    e.id = "bbb222".into();
    e.name = "db".into();
    e.container_exit_code = Some(3);
    e.attributes = Some([("app".to_string(), "db".to_string())].into());
    events.push(e);
    let mut e = Event::new(EventType::Image, EventStatus::Pull);
    e.id = "ccc333".into();
    e.name = "localhost/busybox".into();
    events.push(e);
    let mut e = Event::new(EventType::Pod, EventStatus::Create);
    e.id = "ddd444".into();
    e.name = "mypod".into();
    events.push(e);
    let mut e = Event::new(EventType::Volume, EventStatus::Create);
    e.name = "vol1".into();
    events.push(e);
    events.push(Event::system(EventStatus::Refresh, ""));
    for (i, mut e) in events.into_iter().enumerate() {
        e.time = at(i as u32 + 1);
        eventer.write(&e).unwrap();
    }
}

/// `rpod events` with `args`, one `Type:Status:Name` per event.
fn query(env: &TestEnv, args: &[&str]) -> Vec<String> {
    let mut all = vec![
        "events",
        "--stream=false",
        "--format",
        "{{.Type}}:{{.Status}}:{{.Name}}",
        "--since",
        "2026-01-01T00:00:00Z",
    ];
    all.extend_from_slice(args);
    let run = env.rpod(&all).ok();
    run.stdout.lines().map(str::to_string).collect()
}

#[test]
fn events_reads_back_what_the_events_crate_wrote_with_every_filter() {
    let env = TestEnv::new();
    // Start the runtime once so the refresh event of this start is written
    // before the sample events (and filtered out by the time window below).
    env.rpod(&["info", "--format", "{{.Host.Os}}"]).ok();
    std::fs::remove_file(env.events_log()).unwrap();
    write_sample_events(&env);

    let q = |args: &[&str]| query(&env, args);
    assert_eq!(q(&["--until", "2026-01-01T00:00:10Z"]).len(), 6);
    assert_eq!(q(&["--filter", "container=web"]), ["container:create:web"]);
    assert_eq!(
        q(&["--filter", "container=bbb"]),
        ["container:died:db"],
        "ID prefix"
    );
    assert_eq!(
        q(&["--filter", "container=web", "--filter", "container=db"]),
        ["container:create:web", "container:died:db"],
        "OR within a key"
    );
    assert_eq!(q(&["--filter", "event=died"]), ["container:died:db"]);
    assert_eq!(
        q(&["--filter", "status=create"]),
        [
            "container:create:web",
            "pod:create:mypod",
            "volume:create:vol1"
        ]
    );
    assert_eq!(
        q(&["--filter", "image=localhost/busybox"]),
        ["image:pull:localhost/busybox"]
    );
    assert_eq!(q(&["--filter", "pod=mypod"]), ["pod:create:mypod"]);
    assert_eq!(q(&["--filter", "volume=vol1"]), ["volume:create:vol1"]);
    assert_eq!(q(&["--filter", "type=system"]), ["system:refresh:"]);
    assert_eq!(q(&["--filter", "label=app=web"]), ["container:create:web"]);
    assert_eq!(
        q(&["--filter", "label=app"]),
        ["container:create:web", "container:died:db"]
    );
    assert_eq!(
        q(&["--filter", "type=container", "--filter", "event=create"]),
        ["container:create:web"],
        "AND across keys"
    );
    assert_eq!(
        q(&[
            "--since",
            "2026-01-01T00:00:04Z",
            "--until",
            "2026-01-01T00:00:05Z"
        ]),
        ["pod:create:mypod", "volume:create:vol1"]
    );

    // The exit code and the human format.
    let run = env
        .rpod(&[
            "events",
            "--stream=false",
            "--filter",
            "event=died",
            "--format",
            "{{.ContainerExitCode}}",
        ])
        .ok();
    assert_eq!(run.stdout, "3\n");
    let run = env
        .rpod(&["events", "--stream=false", "--filter", "event=died"])
        .ok();
    assert_eq!(
        run.stdout,
        "2026-01-01 00:00:02 +0000 UTC container died bbb222 (image=, name=db, app=db)\n"
    );
    let run = env
        .rpod(&[
            "events",
            "--stream=false",
            "--filter",
            "type=volume",
            "--format",
            "json",
        ])
        .ok();
    let v: serde_json::Value = serde_json::from_str(run.stdout.trim()).unwrap();
    assert_eq!(v["Name"], "vol1");
    assert_eq!(v["Status"], "create");
}

#[test]
fn the_runtime_writes_a_refresh_event_on_first_start() {
    let env = TestEnv::new();
    env.rpod(&["info", "--format", "{{.Host.Os}}"]).ok();
    let run = env
        .rpod(&[
            "events",
            "--stream=false",
            "--format",
            "{{.Type}} {{.Status}}",
        ])
        .ok();
    assert_eq!(run.stdout, "system refresh\n");
}

#[test]
fn bad_filters_and_times_fail_before_touching_disk() {
    let env = TestEnv::new();
    for (args, want) in [
        (
            vec!["events", "--filter", "noequals"],
            "Error: noequals is an invalid filter\n",
        ),
        (
            vec!["events", "--filter", "bogus=1"],
            "Error: bogus is an invalid filter\n",
        ),
    ] {
        let run = env.rpod(&args);
        assert_eq!(run.code, 125);
        assert_eq!(run.stderr, want);
    }
    let run = env.rpod(&["events", "--since", "yesterday"]);
    assert_eq!(run.code, 125);
    assert!(
        run.stderr
            .starts_with("Error: unable to interpret time value"),
        "{}",
        run.stderr
    );
    assert!(!env.path("root").exists() && !env.path("tmp").exists());
}

#[test]
fn malformed_containers_conf_names_the_file_and_line() {
    let env = TestEnv::with_conf("[engine]\nnum_locks = 64\nlock_type = = \"file\"\n");
    let run = env.rpod(&["info"]);
    assert_eq!(run.code, 125);
    let conf = env.path("containers.conf");
    assert!(
        run.stderr
            .starts_with(&format!("Error: {}:4:", conf.display())),
        "{}",
        run.stderr
    );
    assert_eq!(run.stderr.lines().count(), 1);
    assert!(!env.path("root").exists() && !env.path("tmp").exists());
}

#[test]
fn malformed_storage_conf_names_the_file() {
    let env = TestEnv::new();
    std::fs::write(env.path("storage.conf"), "[storage\n").unwrap();
    let run = env.rpod(&["info"]);
    assert_eq!(run.code, 125);
    assert!(
        run.stderr
            .starts_with(&format!("Error: {}:1:", env.path("storage.conf").display())),
        "{}",
        run.stderr
    );
}

#[test]
fn unknown_and_missing_backends_name_the_cause() {
    let env = TestEnv::new();
    let before = tree(&env.path(""));
    let cases = [
        (
            vec!["--db-backend", "postgres", "info"],
            "Error: unknown database backend \"postgres\"",
        ),
        (
            vec!["--events-backend", "syslog", "info"],
            "Error: unknown events backend \"syslog\"",
        ),
    ];
    for (args, want) in cases {
        let run = env.rpod(&args);
        assert_eq!(run.code, 125, "{args:?}");
        assert!(run.stderr.starts_with(want), "{args:?}: {}", run.stderr);
        assert_eq!(run.stderr.lines().count(), 1);
    }
    let env2 = TestEnv::with_conf("[engine]\nlock_type = \"carrier-pigeon\"\n");
    let run = env2.rpod(&["info"]);
    assert_eq!(run.code, 125);
    assert!(
        run.stderr
            .starts_with("Error: unknown lock backend \"carrier-pigeon\""),
        "{}",
        run.stderr
    );
    // Only the files the test itself wrote exist.
    let after: Vec<String> = tree(&env.path(""));
    assert_eq!(
        before.len() + 1,
        after.len(),
        "only storage.conf was added: {after:?}"
    );
    assert!(!env2.path("root").exists() && !env2.path("tmp").exists());
}

#[test]
fn an_unwritable_tmp_dir_is_an_error_that_changes_nothing() {
    let env = TestEnv::new();
    std::fs::write(env.path("afile"), "").unwrap();
    let tmp = env.path("afile/tmp").to_string_lossy().into_owned();
    let mut cmd = env.cmd(&["info"]);
    // Later --tmpdir wins over the one in globals().
    cmd.args(["--tmpdir", &tmp]);
    let run: rpod_tests::Run = cmd.output().unwrap().into();
    assert_eq!(run.code, 125, "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with("Error: creating runtime temporary files directory: "),
        "{}",
        run.stderr
    );
    assert!(!env.path("root").exists());
}

#[test]
fn a_db_config_mismatch_is_rejected_and_changes_nothing() {
    let env = TestEnv::new();
    env.rpod(&["info", "--format", "{{.Host.Os}}"]).ok();
    let mut cmd = env.cmd(&["info"]);
    let other = env.path("other-volumes");
    cmd.args(["--volumepath", &other.to_string_lossy()]);
    let run: rpod_tests::Run = cmd.output().unwrap().into();
    assert_eq!(run.code, 125);
    assert_eq!(
        run.stderr,
        format!(
            "Error: database volume path {:?} does not match our volume path {:?}: database configuration mismatch\n",
            env.path("root/volumes").display().to_string(),
            other.display().to_string()
        )
    );
    assert!(!other.exists());
}

#[test]
fn state_persists_across_processes() {
    let env = TestEnv::new();
    env.rpod(&["info", "--format", "{{.Host.Os}}"]).ok();
    env.rpod(&["info", "--format", "{{.Host.Os}}"]).ok();
    // Exactly one refresh: the second process found the alive file.
    let run = env
        .rpod(&[
            "events",
            "--stream=false",
            "--filter",
            "type=system",
            "--format",
            "{{.Status}}",
        ])
        .ok();
    assert_eq!(run.stdout, "refresh\n");
}

#[test]
fn backends_left_out_of_the_build_name_their_cargo_feature() {
    // A binary with only the events and file-lock backends, built into a
    // target dir of its own (cargo xtask test builds it first).
    let target = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/features");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let ok = std::process::Command::new(cargo)
        .args([
            "build",
            "--quiet",
            "-p",
            "rpod-cli",
            "--no-default-features",
            "--features",
            "events,lock-file",
            "--target-dir",
        ])
        .arg(&target)
        .status()
        .unwrap()
        .success();
    assert!(ok, "building the minimal rpod failed");
    let env = TestEnv::with_conf("[engine]\nlock_type = \"file\"\n");
    let bin = target.join("debug/rpod");
    let run = |args: &[&str]| -> rpod_tests::Run {
        let mut c = std::process::Command::new(&bin);
        c.args(env.globals())
            .args(args)
            .env("CONTAINERS_CONF", env.path("containers.conf"));
        c.output().unwrap().into()
    };
    for (args, backend, feature) in [
        (vec!["info"], "database backend \"sqlite\"", "state-sqlite"),
        (
            vec!["--db-backend", "boltdb", "info"],
            "database backend \"boltdb\"",
            "state-bolt",
        ),
    ] {
        let r = run(&args);
        assert_eq!(r.code, 125, "{args:?}");
        assert_eq!(
            r.stderr,
            format!(
                "Error: {backend} is not compiled into this binary: rebuild with cargo feature `{feature}`\n"
            )
        );
    }
    let r = run(&[
        "--db-backend",
        "memory",
        "info",
        "--format",
        "{{.Host.DatabaseBackend}}",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "memory\n");
    let r = run(&[
        "--db-backend",
        "memory",
        "run",
        "--rm",
        "--rootfs",
        "/",
        "true",
    ]);
    assert_eq!(r.code, 125);
    assert!(r.stderr.contains("`oci-conmon`"), "{}", r.stderr);
    assert!(!env.path("root/libpod/db.sql").exists());
}
