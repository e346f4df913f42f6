//! Opening `db.sql`: creation, permissions, schema versions and migration,
//! and files that are not (or no longer) a usable rpod state database.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use rpod_runtime_core::Error;
use rpod_runtime_core::backend::{BackendContext, BackendRegistry};
use rpod_runtime_core::pod::{PodConfig, PodRecord, PodState};
use rpod_runtime_core::state::State;
use rpod_runtime_core::testing::state::ctr;
use rpod_state_sqlite::schema::SCHEMA_VERSION;
use rpod_state_sqlite::{DB_FILE_NAME, SqliteState};
use rusqlite::Connection;

const FIXTURE_V0: &str = include_str!("fixtures/schema-v0.sql");

fn db_path(dir: &Path) -> std::path::PathBuf {
    dir.join(DB_FILE_NAME)
}

/// SQLite's file change counter (header bytes 24..28): bumped by every
/// committed write transaction.
fn change_counter(path: &Path) -> u32 {
    let bytes = std::fs::read(path).unwrap();
    u32::from_be_bytes(bytes[24..28].try_into().unwrap())
}

fn schema_version(path: &Path) -> i64 {
    Connection::open(path)
        .unwrap()
        .query_row("SELECT SchemaVersion FROM DBConfig WHERE ID = 1", [], |r| {
            r.get(0)
        })
        .unwrap()
}

/// The error of opening `dir` and reading everything, as text.
fn open_and_read_error(dir: &Path) -> String {
    let r = SqliteState::open(dir).and_then(|s| {
        s.all_containers(true)?;
        s.all_pods()?;
        s.all_volumes()?;
        Ok(())
    });
    match r {
        Ok(()) => panic!("opening {} succeeded", dir.display()),
        Err(e) => e.to_string(),
    }
}

fn pod(name: &str) -> PodRecord {
    PodRecord {
        config: PodConfig::new(rpod_runtime_core::names::generate_id().unwrap(), name, 9),
        state: PodState::default(),
    }
}

#[test]
fn creates_private_dir_and_file() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("a/libpod");
    let s = SqliteState::open(&dir).unwrap();
    assert_eq!(s.path(), db_path(&dir));
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&db_path(&dir)), 0o600);
    assert_eq!(s.name(), "sqlite");
}

#[test]
fn reopening_a_current_database_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let c = ctr("kept");
    {
        let s = SqliteState::open(tmp.path()).unwrap();
        s.add_container(&c).unwrap();
    }
    let before = change_counter(&db_path(tmp.path()));
    let s = SqliteState::open(tmp.path()).unwrap();
    assert_eq!(change_counter(&db_path(tmp.path())), before);
    assert_eq!(s.lookup_container("kept").unwrap(), c);
    assert_eq!(schema_version(&db_path(tmp.path())), SCHEMA_VERSION);
}

#[test]
fn registered_constructor_opens_the_static_dir() {
    let tmp = tempfile::tempdir().unwrap();
    let mut reg = BackendRegistry::new();
    rpod_state_sqlite::register(&mut reg);
    let ctx = BackendContext {
        static_dir: tmp.path().join("libpod"),
        ..Default::default()
    };
    let s = reg.state("sqlite", &ctx).unwrap();
    assert_eq!(s.name(), "sqlite");
    s.add_container(&ctr("via-registry")).unwrap();
    drop(s);
    assert!(db_path(&ctx.static_dir).is_file());
    let again = SqliteState::open(&ctx.static_dir).unwrap();
    assert!(again.lookup_container_id("via-registry").is_ok());
}

fn write_fixture(dir: &Path, extra_sql: &str) {
    let conn = Connection::open(db_path(dir)).unwrap();
    conn.execute_batch(FIXTURE_V0).unwrap();
    conn.execute_batch(extra_sql).unwrap();
}

#[test]
fn version_0_fixture_is_migrated_forward() {
    let tmp = tempfile::tempdir().unwrap();
    write_fixture(tmp.path(), "");
    assert_eq!(schema_version(&db_path(tmp.path())), 0);

    // 0 → 1 → 2 in one open.
    let s = SqliteState::open(tmp.path()).unwrap();
    assert_eq!(SCHEMA_VERSION, 2);
    assert_eq!(schema_version(&db_path(tmp.path())), SCHEMA_VERSION);
    // Everything the old layout held is readable.
    let web = s.lookup_pod("web").unwrap();
    assert_eq!(web.state.cgroup_path, "/libpod_parent/web");
    let app = s.lookup_container("web-app").unwrap();
    assert_eq!(app.config.pod.as_deref(), Some(web.config.id.as_str()));
    assert_eq!(app.state.exit_code, 3);
    assert_eq!(
        app.config.extra.get("ShmDir"),
        Some(&serde_json::json!("/x/shm"))
    );
    assert_eq!(
        s.volume_in_use("data").unwrap(),
        vec![app.config.id.clone()]
    );
    assert_eq!(s.container_exit_code(&app.config.id).unwrap(), 3);
    assert_eq!(
        s.lookup_container_id("cccc").unwrap(),
        s.lookup_container_id("db").unwrap()
    );
    assert_eq!(s.db_config().unwrap().unwrap().graph_driver, "overlay");
    // Version 2's listing copy was filled from the old configs.
    let mut full = s.all_containers(true).unwrap();
    let listed = s.all_containers_for_listing().unwrap();
    assert_eq!(full.len(), 2);
    for r in &mut full {
        r.config.spec = None;
    }
    assert_eq!(listed, full);
    // The new rule holds for old names: a pod may not take a container's name.
    assert!(s.add_pod(&pod("db")).unwrap_err().is(&Error::PodExists));
    assert!(
        s.add_container(&ctr("web"))
            .unwrap_err()
            .is(&Error::CtrExists)
    );
    // And old names are released on removal.
    s.remove_container(&s.lookup_container_id("db").unwrap())
        .unwrap();
    s.add_pod(&pod("db")).unwrap();
}

#[test]
fn failed_migration_leaves_version_0_untouched() {
    let tmp = tempfile::tempdir().unwrap();
    // Version 0 allowed a pod and a container to share a name.
    write_fixture(
        tmp.path(),
        "INSERT INTO IDNamespace VALUES ('dddd000000000000000000000000000000000000000000000000000000000004');
         INSERT INTO PodConfig VALUES ('dddd000000000000000000000000000000000000000000000000000000000004', 'db',
             '{\"id\":\"dddd000000000000000000000000000000000000000000000000000000000004\",\"name\":\"db\",\"lockID\":5}');
         INSERT INTO PodState VALUES ('dddd000000000000000000000000000000000000000000000000000000000004', NULL, '{}');",
    );
    let path = db_path(tmp.path());
    let before = std::fs::read(&path).unwrap();
    let e = SqliteState::open(tmp.path()).unwrap_err().to_string();
    assert!(e.contains(&path.display().to_string()), "{e}");
    assert!(e.contains("migrating from schema version 0 to 1"), "{e}");
    assert!(
        e.contains("\"db\" is used by both a container and a pod"),
        "{e}"
    );
    assert_eq!(
        std::fs::read(&path).unwrap(),
        before,
        "a failed migration rolled back"
    );
    assert_eq!(schema_version(&path), 0);
}

#[test]
fn newer_schema_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    SqliteState::open(tmp.path()).unwrap();
    let path = db_path(tmp.path());
    Connection::open(&path)
        .unwrap()
        .execute(
            "UPDATE DBConfig SET SchemaVersion = ?1",
            [SCHEMA_VERSION + 1],
        )
        .unwrap();
    let before = std::fs::read(&path).unwrap();
    let e = SqliteState::open(tmp.path()).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "state database {}: database has schema version {} while this rpod only supports version {}; use a newer rpod",
            path.display(),
            SCHEMA_VERSION + 1,
            SCHEMA_VERSION
        )
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn foreign_sqlite_database_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let path = db_path(tmp.path());
    Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE ContainerConfig (ID TEXT PRIMARY KEY, JSON TEXT);")
        .unwrap();
    let before = std::fs::read(&path).unwrap();
    let e = open_and_read_error(tmp.path());
    assert!(e.contains(&path.display().to_string()), "{e}");
    assert!(e.contains("not an rpod state database"), "{e}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
}

#[test]
fn garbage_file_is_an_error_naming_it_and_is_not_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let path = db_path(tmp.path());
    // Deterministic noise, long enough to look like several pages.
    let mut x: u32 = 0x1234_5678;
    let garbage: Vec<u8> = (0..16_384)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            x as u8
        })
        .collect();
    std::fs::write(&path, &garbage).unwrap();
    let e = open_and_read_error(tmp.path());
    assert!(e.contains(&path.display().to_string()), "{e}");
    assert!(e.contains("file is not a database"), "{e}");
    assert_eq!(std::fs::read(&path).unwrap(), garbage);
}

#[test]
fn truncated_file_is_an_error_naming_it_and_is_not_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let path = db_path(tmp.path());
    {
        let s = SqliteState::open(tmp.path()).unwrap();
        for i in 0..300 {
            let mut c = ctr(&format!("c{i}"));
            c.config.labels.insert("pad".into(), "x".repeat(500));
            s.add_container(&c).unwrap();
        }
    }
    let full = std::fs::read(&path).unwrap();
    for keep in [2048, full.len() / 2] {
        std::fs::write(&path, &full[..keep]).unwrap();
        let e = open_and_read_error(tmp.path());
        assert!(
            e.contains(&path.display().to_string()),
            "cut at {keep}: {e}"
        );
        assert!(
            e.contains("malformed") || e.contains("not a database"),
            "cut at {keep}: {e}"
        );
        assert_eq!(
            std::fs::read(&path).unwrap(),
            &full[..keep],
            "cut at {keep}"
        );
    }
}

#[test]
fn an_empty_file_is_a_new_database() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(db_path(tmp.path()), b"").unwrap();
    let s = SqliteState::open(tmp.path()).unwrap();
    assert!(s.all_containers(true).unwrap().is_empty());
    assert_eq!(schema_version(&db_path(tmp.path())), SCHEMA_VERSION);
}
