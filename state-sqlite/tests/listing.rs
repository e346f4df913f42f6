//! `ContainerListing` (schema version 2): the config without its OCI spec,
//! which `all_containers_for_listing` reads. It must equal the full config
//! minus `spec` after every kind of write and removal, and migrating a
//! version-1 database must fill it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::path::Path;

use rpod_runtime_core::container::ContainerRecord;
use rpod_runtime_core::pod::{PodConfig, PodRecord, PodState};
use rpod_runtime_core::state::State;
use rpod_runtime_core::testing::state::{ctr, vol};
use rpod_state_sqlite::schema::SCHEMA_VERSION;
use rpod_state_sqlite::{DB_FILE_NAME, SqliteState};
use rusqlite::Connection;
use serde_json::json;

fn pod(name: &str) -> PodRecord {
    PodRecord {
        config: PodConfig::new(rpod_runtime_core::names::generate_id().unwrap(), name, 7),
        state: PodState::default(),
    }
}

/// A container with a spec of realistic size (several KB, so the config row
/// spills into overflow pages), an unknown field and a label.
fn big(name: &str) -> ContainerRecord {
    let mut c = ctr(name);
    let env: Vec<String> = (0..40)
        .map(|i| format!("VAR_{i}=value-{i}-{name}"))
        .collect();
    let masked: Vec<String> = (0..60).map(|i| format!("/proc/masked/{i}")).collect();
    c.config.spec = Some(json!({
        "ociVersion": "1.2.0",
        "process": {"args": ["sh", "-c", "true"], "env": env, "cwd": "/"},
        "linux": {"maskedPaths": masked, "readonlyPaths": ["/proc/bus", "/proc/fs"]},
        "hostname": name,
    }));
    c.config
        .extra
        .insert("ShmDir".into(), json!(format!("/shm/{name}")));
    c.config.command = vec!["sh".into(), "-c".into(), "true".into()];
    c.config.rootfs_image_name = "localhost/busybox:latest".into();
    c
}

/// The listing equals the full records with `spec` removed, and carries no
/// spec at all.
fn assert_listing_matches(s: &dyn State) {
    let full = s.all_containers(true).unwrap();
    let listed = s.all_containers_for_listing().unwrap();
    assert_eq!(full.len(), listed.len());
    for (mut a, b) in full.into_iter().zip(listed) {
        assert!(
            b.config.spec.is_none(),
            "{} listed with a spec",
            b.config.id
        );
        a.config.spec = None;
        assert_eq!(a, b);
    }
}

/// Listing rows, config rows, and listing rows that are not exactly
/// `json_remove(config, '$.spec')` of a config row.
fn raw_counts(path: &Path) -> (i64, i64, i64) {
    let c = Connection::open(path).unwrap();
    let n = |sql: &str| c.query_row(sql, [], |r| r.get::<_, i64>(0)).unwrap();
    (
        n("SELECT count(*) FROM ContainerListing"),
        n("SELECT count(*) FROM ContainerConfig"),
        n(
            "SELECT count(*) FROM ContainerListing l LEFT JOIN ContainerConfig c ON c.ID = l.ID
           WHERE c.ID IS NULL OR l.JSON IS NOT json_remove(c.JSON, '$.spec')",
        ),
    )
}

fn assert_in_sync(s: &SqliteState) {
    assert_listing_matches(s);
    let (listing, configs, wrong) = raw_counts(s.path());
    assert_eq!(listing, configs, "one listing row per config");
    assert_eq!(wrong, 0, "every listing row is its config minus spec");
}

#[test]
fn listing_follows_adds_rewrites_renames_and_removals() {
    let tmp = tempfile::tempdir().unwrap();
    let s = SqliteState::open(tmp.path()).unwrap();
    s.add_volume(&vol("lv")).unwrap();
    let a = big("la");
    let b = big("lb");
    s.add_container(&a).unwrap();
    s.add_containers(std::slice::from_ref(&b)).unwrap();
    assert_in_sync(&s);

    // A config rewrite changes the listing.
    let mut cfg = a.config.clone();
    cfg.oci_runtime = "crun".into();
    cfg.labels.insert("rewritten".into(), "yes".into());
    s.rewrite_container_config(&cfg).unwrap();
    assert_in_sync(&s);
    let listed = s.all_containers_for_listing().unwrap();
    let la = listed.iter().find(|r| r.config.id == a.config.id).unwrap();
    assert_eq!(la.config.oci_runtime, "crun");
    assert_eq!(la.config.labels.get("rewritten").unwrap(), "yes");

    // So does a rename, and a failed rename changes nothing.
    let mut renamed = cfg.clone();
    renamed.name = "lb".into();
    assert!(
        s.safe_rewrite_container_config("la", "lb", &renamed)
            .is_err()
    );
    assert_in_sync(&s);
    renamed.name = "la-renamed".into();
    renamed.stop_timeout = 33;
    s.safe_rewrite_container_config("la", "la-renamed", &renamed)
        .unwrap();
    assert_in_sync(&s);
    let listed = s.all_containers_for_listing().unwrap();
    let la = listed.iter().find(|r| r.config.id == a.config.id).unwrap();
    assert_eq!(la.config.name, "la-renamed");
    assert_eq!(la.config.stop_timeout, 33);

    // A state save shows up in the listing (it joins the state table).
    let mut st = b.state.clone();
    st.pid = 4242;
    s.save_container(b.id(), &st).unwrap();
    assert_in_sync(&s);

    // Removal.
    s.remove_container(a.id()).unwrap();
    assert_in_sync(&s);
    assert_eq!(s.all_containers_for_listing().unwrap().len(), 1);

    // Pod members removed together, and a pod removed with its infra container.
    let p = pod("lpod");
    s.add_pod(&p).unwrap();
    let mut m1 = big("lm1");
    m1.config.pod = Some(p.config.id.clone());
    let mut m2 = big("lm2");
    m2.config.pod = Some(p.config.id.clone());
    m2.config.dependencies = vec![m1.config.id.clone()];
    s.add_container(&m1).unwrap();
    s.add_container(&m2).unwrap();
    assert_in_sync(&s);
    s.remove_pod_containers(&p.config.id).unwrap();
    assert_in_sync(&s);
    assert_eq!(s.all_containers_for_listing().unwrap().len(), 1);

    let mut infra = big("lpod-infra");
    infra.config.pod = Some(p.config.id.clone());
    s.add_container(&infra).unwrap();
    let mut pst = p.state.clone();
    pst.infra_container_id = infra.config.id.clone();
    s.save_pod(&p.config.id, &pst).unwrap();
    assert_in_sync(&s);
    s.remove_pod(&p.config.id).unwrap();
    assert_in_sync(&s);
    let left = s.all_containers_for_listing().unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].config.id, b.config.id);
    assert_eq!(left[0].state.pid, 4242);

    // Several containers removed in one transaction.
    let (r1, r2) = (big("lr1"), big("lr2"));
    s.add_containers(&[r1.clone(), r2.clone()]).unwrap();
    assert_in_sync(&s);
    s.remove_containers(&[r1.config.id.clone(), r2.config.id.clone()])
        .unwrap();
    assert_in_sync(&s);
    assert_eq!(s.all_containers_for_listing().unwrap().len(), 1);

    // A failed bulk add leaves no listing row behind.
    let dup = big("lb");
    assert!(s.add_containers(&[big("lnew"), dup]).is_err());
    assert_in_sync(&s);
    assert_eq!(s.all_containers_for_listing().unwrap().len(), 1);
}

/// Turns a current database back into version 1: version 1 is version 2
/// without `ContainerListing` and its triggers (a unit test in `schema.rs`
/// checks that the two layouts match).
fn downgrade_to_v1(path: &Path) {
    let c = Connection::open(path).unwrap();
    c.execute_batch(
        "DROP TRIGGER ContainerListingOnInsert;
         DROP TRIGGER ContainerListingOnUpdate;
         DROP TABLE ContainerListing;
         UPDATE DBConfig SET SchemaVersion = 1;",
    )
    .unwrap();
    let left: i64 = c
        .query_row(
            "SELECT count(*) FROM sqlite_schema WHERE sql LIKE '%ContainerListing%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(left, 0);
}

fn schema_version(path: &Path) -> i64 {
    Connection::open(path)
        .unwrap()
        .query_row("SELECT SchemaVersion FROM DBConfig WHERE ID = 1", [], |r| {
            r.get(0)
        })
        .unwrap()
}

#[test]
fn version_1_database_is_migrated_and_its_listing_filled() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(DB_FILE_NAME);
    let p = pod("mpod");
    let mut member = big("m-member");
    member.config.pod = Some(p.config.id.clone());
    let plain = big("m-plain");
    let mut no_spec = ctr("m-nospec");
    no_spec.config.spec = None;
    let mut renamed = big("m-old");
    {
        let s = SqliteState::open(tmp.path()).unwrap();
        s.add_pod(&p).unwrap();
        for c in [&member, &plain, &no_spec, &renamed] {
            s.add_container(c).unwrap();
        }
        renamed.config.name = "m-new".into();
        s.safe_rewrite_container_config("m-old", "m-new", &renamed.config)
            .unwrap();
        let mut st = plain.state.clone();
        st.exit_code = 9;
        s.save_container(plain.id(), &st).unwrap();
        s.close().unwrap();
    }
    downgrade_to_v1(&path);
    assert_eq!(schema_version(&path), 1);

    let s = SqliteState::open(tmp.path()).unwrap();
    assert_eq!(schema_version(&path), SCHEMA_VERSION);
    assert_eq!(SCHEMA_VERSION, 2);
    assert_in_sync(&s);
    let listed = s.all_containers_for_listing().unwrap();
    assert_eq!(listed.len(), 4);
    let by_id = |id: &str| listed.iter().find(|r| r.config.id == id).unwrap();
    assert_eq!(by_id(plain.id()).state.exit_code, 9);
    assert_eq!(by_id(renamed.id()).config.name, "m-new");
    assert_eq!(
        by_id(member.id()).config.extra.get("ShmDir"),
        Some(&json!("/shm/m-member"))
    );
    // The full configs still carry their specs.
    let full = s.container(plain.id()).unwrap();
    assert_eq!(full.config.spec, plain.config.spec);

    // The migrated database keeps the listing in step from now on.
    s.add_container(&big("m-after")).unwrap();
    s.remove_pod_containers(&p.config.id).unwrap();
    assert_in_sync(&s);
    assert_eq!(s.all_containers_for_listing().unwrap().len(), 4);
}

#[test]
fn migrated_listing_of_an_unreadable_config_fails_like_a_full_read() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join(DB_FILE_NAME);
    let good = big("u-good");
    let bad = big("u-bad");
    {
        let s = SqliteState::open(tmp.path()).unwrap();
        s.add_container(&good).unwrap();
        s.add_container(&bad).unwrap();
    }
    downgrade_to_v1(&path);
    // Damage one config by hand, as only an outside edit could.
    Connection::open(&path)
        .unwrap()
        .execute(
            "UPDATE ContainerConfig SET JSON = substr(JSON, 1, 100) WHERE ID = ?1",
            [bad.id()],
        )
        .unwrap();

    // The migration does not fail on it; the listing reports it as a full
    // read does, and the intact container is still readable.
    let s = SqliteState::open(tmp.path()).unwrap();
    assert_eq!(schema_version(&path), SCHEMA_VERSION);
    let full = s.all_containers(true).unwrap_err().to_string();
    let listed = s.all_containers_for_listing().unwrap_err().to_string();
    assert_eq!(full, listed);
    assert!(listed.contains(&path.display().to_string()), "{listed}");
    assert_eq!(s.container(good.id()).unwrap(), good);
}
