//! Conformance rules for adding objects and finding them: ID and name
//! uniqueness, lookup order, missing objects and name reuse.

use super::{assert_err, ctr, ctr_with_id, pod, vol};
use crate::error::Error;
use crate::names::generate_id;
use crate::testing::StateUnderTest;

pub fn add_and_get_container(f: &dyn Fn() -> StateUnderTest) {
    let sut = f();
    let s = &sut.state;
    let c = ctr("alpha");
    s.add_container(&c).unwrap();
    assert_eq!(s.container(c.id()).unwrap(), c);
    assert!(s.has_container(c.id()).unwrap());
    assert!(!s.has_container(&generate_id().unwrap()).unwrap());
    assert_eq!(s.container_name(c.id()).unwrap(), "alpha");
    assert_eq!(s.container_config(c.id()).unwrap(), c.config);
    let all = s.all_containers(true).unwrap();
    assert_eq!(all, vec![c.clone()]);
    let d = ctr("beta");
    s.add_container(&d).unwrap();
    let mut ids: Vec<String> = s
        .all_containers(false)
        .unwrap()
        .into_iter()
        .map(|r| r.config.id)
        .collect();
    ids.sort();
    let mut want = vec![c.config.id.clone(), d.config.id.clone()];
    want.sort();
    assert_eq!(ids, want);
}

pub fn ids_and_names_unique_across_containers_and_pods(f: &dyn Fn() -> StateUnderTest) {
    let sut = f();
    let s = &sut.state;
    let p = pod("shared");
    s.add_pod(&p).unwrap();
    // A container may not take a pod's ID or name.
    assert_err(
        s.add_container(&ctr_with_id(&p.config.id, "other")),
        Error::CtrExists,
    );
    assert_err(s.add_container(&ctr("shared")), Error::CtrExists);
    // A pod may not take a container's name or ID.
    let c = ctr("taken");
    s.add_container(&c).unwrap();
    assert_err(s.add_pod(&pod("taken")), Error::PodExists);
    let mut p2 = pod("fresh");
    p2.config.id = c.config.id.clone();
    assert_err(s.add_pod(&p2), Error::PodExists);
    // Two containers cannot share a name or an ID.
    assert_err(s.add_container(&ctr("taken")), Error::CtrExists);
    assert_err(
        s.add_container(&ctr_with_id(c.id(), "new")),
        Error::CtrExists,
    );
    // Failed adds left nothing behind.
    assert_eq!(s.all_containers(false).unwrap().len(), 1);
    assert_eq!(s.all_pods().unwrap().len(), 1);
}

pub fn lookup_order_and_errors(f: &dyn Fn() -> StateUnderTest) {
    let sut = f();
    let s = &sut.state;
    let a = ctr_with_id(&format!("abc1{}", &generate_id().unwrap()[4..]), "first");
    let b = ctr_with_id(&format!("abc2{}", &generate_id().unwrap()[4..]), "second");
    s.add_container(&a).unwrap();
    s.add_container(&b).unwrap();
    s.add_pod(&pod("apod")).unwrap();

    assert_eq!(s.lookup_container_id(a.id()).unwrap(), a.id());
    assert_eq!(s.lookup_container_id("second").unwrap(), b.id());
    assert_eq!(s.lookup_container_id("abc1").unwrap(), a.id());
    assert_eq!(s.lookup_container(&b.id()[..10]).unwrap(), b);

    let e = assert_err(s.lookup_container_id("abc"), Error::CtrExists);
    assert_eq!(
        e.to_string(),
        "more than one result for container ID abc: container already exists"
    );
    let e = assert_err(s.lookup_container_id("nosuch"), Error::NoSuchCtr);
    assert_eq!(
        e.to_string(),
        "no container with name or ID \"nosuch\" found: no such container"
    );
    let e = assert_err(s.lookup_container_id("apod"), Error::NoSuchCtr);
    assert_eq!(
        e.to_string(),
        "\"apod\" is a pod, not a container: no such container"
    );
    assert_err(s.lookup_container_id(""), Error::EmptyId);

    assert_eq!(s.lookup_pod("apod").unwrap().config.name, "apod");
    let e = assert_err(s.lookup_pod("first"), Error::NoSuchPod);
    assert_eq!(
        e.to_string(),
        "\"first\" is a container, not a pod: no such pod"
    );
    assert_err(s.lookup_pod("nosuch"), Error::NoSuchPod);
    assert_err(s.lookup_pod(""), Error::EmptyId);
}

pub fn exact_name_beats_id_prefix(f: &dyn Fn() -> StateUnderTest) {
    let sut = f();
    let s = &sut.state;
    let a = ctr_with_id(&format!("beef{}", &generate_id().unwrap()[4..]), "x");
    s.add_container(&a).unwrap();
    // A container whose *name* equals a prefix of another's ID wins the lookup.
    let b = ctr("beef");
    s.add_container(&b).unwrap();
    assert_eq!(s.lookup_container_id("beef").unwrap(), b.id());
    assert_eq!(s.lookup_container_id("bee").unwrap(), a.id());
}

pub fn missing_objects(f: &dyn Fn() -> StateUnderTest) {
    let sut = f();
    let s = &sut.state;
    let id = generate_id().unwrap();
    assert_err(s.container(&id), Error::NoSuchCtr);
    assert_err(s.remove_container(&id), Error::NoSuchCtr);
    assert_err(s.update_container(&id), Error::NoSuchCtr);
    assert_err(s.save_container(&id, &Default::default()), Error::NoSuchCtr);
    assert_err(s.container_name(&id), Error::NoSuchCtr);
    assert_err(s.pod(&id), Error::NoSuchPod);
    assert_err(s.remove_pod(&id), Error::NoSuchPod);
    assert_err(s.save_pod(&id, &Default::default()), Error::NoSuchPod);
    assert_err(s.volume("none"), Error::NoSuchVolume);
    assert_err(s.remove_volume("none"), Error::NoSuchVolume);
    assert_err(
        s.save_volume("none", &Default::default()),
        Error::NoSuchVolume,
    );
    assert_err(s.container(""), Error::EmptyId);
}

pub fn volume_lookup(f: &dyn Fn() -> StateUnderTest) {
    let sut = f();
    let s = &sut.state;
    for n in ["data1", "data2", "logs"] {
        s.add_volume(&vol(n)).unwrap();
    }
    assert_err(s.add_volume(&vol("logs")), Error::VolumeExists);
    assert_eq!(s.lookup_volume("logs").unwrap().config.name, "logs");
    assert_eq!(s.lookup_volume("lo").unwrap().config.name, "logs");
    assert_eq!(s.lookup_volume("data2").unwrap().config.name, "data2");
    assert!(s.lookup_volume("data").is_err(), "ambiguous prefix");
    assert_err(s.lookup_volume("zzz"), Error::NoSuchVolume);
    assert_eq!(s.all_volumes().unwrap().len(), 3);
    let v = s.volume("data1").unwrap();
    assert_eq!(v.config.mount_point, "/volumes/data1/_data");
}

pub fn names_are_reusable_after_removal(f: &dyn Fn() -> StateUnderTest) {
    let sut = f();
    let s = &sut.state;
    let c = ctr("again");
    s.add_container(&c).unwrap();
    s.remove_container(c.id()).unwrap();
    assert_err(s.lookup_container_id("again"), Error::NoSuchCtr);
    let d = ctr("again");
    s.add_container(&d).unwrap();
    assert_eq!(s.lookup_container_id("again").unwrap(), d.id());
    // The ID of a removed container may be used again too.
    s.remove_container(d.id()).unwrap();
    s.add_container(&ctr_with_id(d.id(), "again2")).unwrap();
}
