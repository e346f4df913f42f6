//! Behaviour beyond the conformance suite: bulk adds, prefix lookups with
//! characters that are wildcards elsewhere, state surviving a reopen.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use rpod_runtime_core::Error;
use rpod_runtime_core::state::State;
use rpod_runtime_core::testing::state::{ctr, vol};
use rpod_state_sqlite::SqliteState;

#[test]
fn bulk_add_is_all_or_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let s = SqliteState::open(tmp.path()).unwrap();
    let a = ctr("bulk-a");
    let mut b = ctr("bulk-b");
    b.config.dependencies = vec![a.config.id.clone()];
    let dup = ctr("bulk-a");
    let e = s.add_containers(&[a.clone(), b.clone(), dup]).unwrap_err();
    assert!(e.is(&Error::CtrExists), "{e}");
    assert!(s.all_containers(false).unwrap().is_empty());

    s.add_containers(&[a.clone(), b.clone()]).unwrap();
    assert_eq!(
        s.container_in_use(a.id()).unwrap(),
        vec![b.config.id.clone()]
    );
    assert_eq!(s.all_containers(true).unwrap().len(), 2);
}

#[test]
fn prefixes_are_literal() {
    let tmp = tempfile::tempdir().unwrap();
    let s = SqliteState::open(tmp.path()).unwrap();
    for n in ["a_b", "axb", "c%d", "cxd", "é1", "é2x"] {
        s.add_volume(&vol(n)).unwrap();
    }
    // `_` and `%` match only themselves (no LIKE wildcards).
    assert_eq!(s.lookup_volume("a_").unwrap().config.name, "a_b");
    assert_eq!(s.lookup_volume("c%").unwrap().config.name, "c%d");
    assert!(s.lookup_volume("a").unwrap_err().is(&Error::VolumeExists));
    // Multi-byte prefixes work, and an exact name beats a longer match.
    assert!(s.lookup_volume("é").unwrap_err().is(&Error::VolumeExists));
    assert_eq!(s.lookup_volume("é2").unwrap().config.name, "é2x");
    s.add_volume(&vol("é2")).unwrap();
    assert_eq!(s.lookup_volume("é2").unwrap().config.name, "é2");
    assert!(s.lookup_volume("b").unwrap_err().is(&Error::NoSuchVolume));
}

#[test]
fn everything_survives_a_reopen() {
    let tmp = tempfile::tempdir().unwrap();
    let c = ctr("durable");
    let v = vol("durable-vol");
    {
        let s = SqliteState::open(tmp.path()).unwrap();
        s.add_volume(&v).unwrap();
        s.add_container(&c).unwrap();
        s.add_container_exit_code(c.id(), 42).unwrap();
        let mut st = c.state.clone();
        st.pid = 77;
        s.save_container(c.id(), &st).unwrap();
        s.close().unwrap();
    }
    let s = SqliteState::open(tmp.path()).unwrap();
    assert_eq!(s.container(c.id()).unwrap().state.pid, 77);
    assert_eq!(s.container_exit_code(c.id()).unwrap(), 42);
    assert_eq!(s.volume("durable-vol").unwrap(), v);
}
