//! Conformance rules for configuration: the DB config, config rewrites and
//! renames, unknown fields, closed databases and listings.

use super::{assert_err, ctr, pod, vol};
use crate::error::Error;
use crate::names::generate_id;
use crate::state::DbConfig;
use crate::testing::StateUnderTest;

pub fn db_config_round_trip(f: &dyn Fn() -> StateUnderTest) {
    let sut = f();
    let s = &sut.state;
    assert_eq!(s.db_config().unwrap(), None);
    let a = DbConfig {
        os: "linux".into(),
        static_dir: "/a/libpod".into(),
        tmp_dir: "/t".into(),
        graph_root: "/a".into(),
        run_root: "/r".into(),
        graph_driver: "overlay".into(),
        volume_path: "/a/volumes".into(),
    };
    assert_eq!(s.init_db_config(&a).unwrap(), a);
    let mut b = a.clone();
    b.graph_root = "/b".into();
    assert_eq!(
        s.init_db_config(&b).unwrap(),
        a,
        "an existing config is never overwritten"
    );
    assert_eq!(s.db_config().unwrap(), Some(a));
}

pub fn config_rewrites(f: &dyn Fn() -> StateUnderTest) {
    let sut = f();
    let s = &sut.state;
    let c = ctr("rw");
    s.add_container(&c).unwrap();
    let mut cfg = c.config.clone();
    cfg.lock_id = 99_999;
    cfg.oci_runtime = "crun".into();
    s.rewrite_container_config(&cfg).unwrap();
    assert_eq!(s.container(c.id()).unwrap().config, cfg);
    let mut renamed = cfg.clone();
    renamed.name = "sneaky".into();
    assert_err(s.rewrite_container_config(&renamed), Error::InvalidArg);
    let mut ghost = cfg.clone();
    ghost.id = generate_id().unwrap();
    assert_err(s.rewrite_container_config(&ghost), Error::NoSuchCtr);

    let p = pod("rwp");
    s.add_pod(&p).unwrap();
    let mut pc = p.config.clone();
    pc.lock_id = 77_777;
    s.rewrite_pod_config(&pc).unwrap();
    assert_eq!(s.pod(&p.config.id).unwrap().config.lock_id, 77_777);

    let v = vol("rwv");
    s.add_volume(&v).unwrap();
    let mut vc = v.config.clone();
    vc.lock_id = 55_555;
    s.rewrite_volume_config(&vc).unwrap();
    assert_eq!(s.volume("rwv").unwrap().config.lock_id, 55_555);
}

pub fn rename_is_atomic(f: &dyn Fn() -> StateUnderTest) {
    let sut = f();
    let s = &sut.state;
    let c = ctr("old");
    let other = ctr("busy");
    s.add_container(&c).unwrap();
    s.add_container(&other).unwrap();
    s.add_pod(&pod("podname")).unwrap();

    let mut cfg = c.config.clone();
    cfg.name = "busy".into();
    assert_err(
        s.safe_rewrite_container_config("old", "busy", &cfg),
        Error::CtrExists,
    );
    cfg.name = "podname".into();
    assert!(
        s.safe_rewrite_container_config("old", "podname", &cfg)
            .is_err()
    );
    assert_eq!(s.lookup_container_id("old").unwrap(), c.id());

    cfg.name = "new".into();
    s.safe_rewrite_container_config("old", "new", &cfg).unwrap();
    assert_eq!(s.lookup_container_id("new").unwrap(), c.id());
    assert_err(s.lookup_container_id("old"), Error::NoSuchCtr);
    assert_eq!(s.container_name(c.id()).unwrap(), "new");
    // The old name is free for others.
    s.add_container(&ctr("old")).unwrap();
}

pub fn unknown_config_fields_survive(f: &dyn Fn() -> StateUnderTest) {
    let sut = f();
    let s = &sut.state;
    let mut c = ctr("extra");
    c.config
        .extra
        .insert("ShmDir".into(), serde_json::json!("/var/lib/x/shm"));
    c.config.extra.insert(
        "idMappingsOptions".into(),
        serde_json::json!({"AutoUserNs": false}),
    );
    c.state
        .extra
        .insert("Service".into(), serde_json::json!({"servicePods": null}));
    s.add_container(&c).unwrap();
    let back = s.container(c.id()).unwrap();
    assert_eq!(back.config.extra, c.config.extra);
    assert_eq!(back.state.extra, c.state.extra);
}

pub fn closed_db_errors(f: &dyn Fn() -> StateUnderTest) {
    let sut = f();
    let s = &sut.state;
    let c = ctr("closing");
    s.add_container(&c).unwrap();
    s.close().unwrap();
    assert_err(s.container(c.id()), Error::DbClosed);
    assert_err(s.add_container(&ctr("late")), Error::DbClosed);
    assert_err(s.all_containers(true), Error::DbClosed);
    assert_err(s.lookup_container_id("closing"), Error::DbClosed);
    assert_err(s.all_pods(), Error::DbClosed);
    assert_err(s.all_volumes(), Error::DbClosed);
    assert_err(s.db_config(), Error::DbClosed);
    assert_err(s.refresh(), Error::DbClosed);
}

pub fn listings_differ_only_by_the_spec(f: &dyn Fn() -> StateUnderTest) {
    let sut = f();
    let s = &sut.state;
    for n in ["l1", "l2", "l3", "l4"] {
        s.add_container(&ctr(n)).unwrap();
    }
    // Every write of a config shows in the listing too.
    let mut renamed = s.lookup_container("l1").unwrap().config;
    renamed.name = "l1-renamed".into();
    s.safe_rewrite_container_config("l1", "l1-renamed", &renamed)
        .unwrap();
    let mut rewritten = s.lookup_container("l2").unwrap().config;
    rewritten.labels.insert("rewritten".into(), "yes".into());
    s.rewrite_container_config(&rewritten).unwrap();
    let gone = s.lookup_container_id("l3").unwrap();
    s.remove_container(&gone).unwrap();
    let mut full = s.all_containers(true).unwrap();
    let mut listed = s.all_containers_for_listing().unwrap();
    full.sort_by(|a, b| a.config.id.cmp(&b.config.id));
    listed.sort_by(|a, b| a.config.id.cmp(&b.config.id));
    assert_eq!(full.len(), 3);
    assert_eq!(full.len(), listed.len());
    assert!(listed.iter().any(|r| r.config.name == "l1-renamed"));
    assert!(
        listed
            .iter()
            .any(|r| r.config.labels.contains_key("rewritten"))
    );
    for (mut a, mut b) in full.into_iter().zip(listed) {
        assert!(b.config.spec.is_none() || b.config.spec == a.config.spec);
        a.config.spec = None;
        b.config.spec = None;
        assert_eq!(a, b);
    }
}
