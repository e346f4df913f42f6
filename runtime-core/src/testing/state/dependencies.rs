//! Conformance rules for the edges between objects: container dependencies,
//! volume users, pod membership and all-or-nothing removal.

use super::{assert_err, ctr, ctr_with_id, pod, vol};
use crate::container::{ContainerRecord, NamedVolume};
use crate::error::Error;
use crate::names::generate_id;
use crate::testing::StateUnderTest;

pub fn dependencies_block_removal(f: &dyn Fn() -> StateUnderTest) {
    let sut = f();
    let s = &sut.state;
    let a = ctr("base");
    let mut b = ctr("user1");
    b.config.dependencies = vec![a.config.id.clone()];
    let mut c = ctr("user2");
    c.config.net_ns_ctr = a.config.id.clone();
    s.add_container(&a).unwrap();
    s.add_container(&b).unwrap();
    s.add_container(&c).unwrap();

    let mut users = s.container_in_use(a.id()).unwrap();
    users.sort();
    let mut want = vec![b.config.id.clone(), c.config.id.clone()];
    want.sort();
    assert_eq!(users, want);
    assert_err(s.remove_container(a.id()), Error::DepExists);
    assert!(
        s.has_container(a.id()).unwrap(),
        "failed removal removed nothing"
    );

    s.remove_container(b.id()).unwrap();
    assert_eq!(
        s.container_in_use(a.id()).unwrap(),
        vec![c.config.id.clone()]
    );
    s.remove_container(c.id()).unwrap();
    assert!(s.container_in_use(a.id()).unwrap().is_empty());
    s.remove_container(a.id()).unwrap();
    assert!(!s.has_container(a.id()).unwrap());
}

pub fn dependencies_must_exist_and_share_the_pod(f: &dyn Fn() -> StateUnderTest) {
    let sut = f();
    let s = &sut.state;
    let mut orphan = ctr("orphan");
    orphan.config.dependencies = vec![generate_id().unwrap()];
    assert_err(s.add_container(&orphan), Error::NoSuchCtr);
    assert!(!s.has_container(orphan.id()).unwrap());

    let p = pod("p");
    s.add_pod(&p).unwrap();
    let outside = ctr("outside");
    s.add_container(&outside).unwrap();
    let mut inside = ctr("inside");
    inside.config.pod = Some(p.config.id.clone());
    inside.config.dependencies = vec![outside.config.id.clone()];
    assert_err(s.add_container(&inside), Error::InvalidArg);
    assert!(!s.has_container(inside.id()).unwrap());
}

pub fn volume_dependencies(f: &dyn Fn() -> StateUnderTest) {
    let sut = f();
    let s = &sut.state;
    let mut c = ctr("withvol");
    c.config.named_volumes = vec![NamedVolume {
        name: "data".into(),
        dest: "/data".into(),
        options: vec!["rw".into()],
        sub_path: String::new(),
    }];
    assert_err(s.add_container(&c), Error::NoSuchVolume);
    let v = vol("data");
    s.add_volume(&v).unwrap();
    s.add_container(&c).unwrap();
    assert_eq!(s.volume_in_use("data").unwrap(), vec![c.config.id.clone()]);
    let e = assert_err(s.remove_volume("data"), Error::VolumeBeingUsed);
    assert!(e.to_string().contains(c.id()), "{e}");
    s.remove_container(c.id()).unwrap();
    assert!(s.volume_in_use("data").unwrap().is_empty());
    s.remove_volume("data").unwrap();
    assert!(!s.has_volume("data").unwrap());
}

pub fn pod_membership(f: &dyn Fn() -> StateUnderTest) {
    let sut = f();
    let s = &sut.state;
    let mut lost = ctr("lost");
    lost.config.pod = Some(generate_id().unwrap());
    assert_err(s.add_container(&lost), Error::NoSuchPod);

    let p = pod("group");
    s.add_pod(&p).unwrap();
    assert_eq!(s.pod(&p.config.id).unwrap(), p);
    assert!(s.has_pod(&p.config.id).unwrap());
    assert_eq!(s.pod_name(&p.config.id).unwrap(), "group");
    let mut m1 = ctr("m1");
    m1.config.pod = Some(p.config.id.clone());
    let mut m2 = ctr("m2");
    m2.config.pod = Some(p.config.id.clone());
    m2.config.dependencies = vec![m1.config.id.clone()];
    let loose = ctr("loose");
    s.add_container(&m1).unwrap();
    s.add_container(&m2).unwrap();
    s.add_container(&loose).unwrap();

    assert!(s.pod_has_container(&p.config.id, m1.id()).unwrap());
    assert!(!s.pod_has_container(&p.config.id, loose.id()).unwrap());
    let mut ids = s.pod_containers_by_id(&p.config.id).unwrap();
    ids.sort();
    let mut want = vec![m1.config.id.clone(), m2.config.id.clone()];
    want.sort();
    assert_eq!(ids, want);
    assert_eq!(s.pod_containers(&p.config.id).unwrap().len(), 2);

    assert_err(s.remove_pod(&p.config.id), Error::InvalidArg);
    // Removes both although m2 depends on m1 (dependencies inside the pod are ignored).
    s.remove_pod_containers(&p.config.id).unwrap();
    assert!(!s.has_container(m1.id()).unwrap());
    assert!(!s.has_container(m2.id()).unwrap());
    assert!(s.has_container(loose.id()).unwrap());
    s.remove_pod(&p.config.id).unwrap();
    assert!(!s.has_pod(&p.config.id).unwrap());
    assert_err(s.pod(&p.config.id), Error::NoSuchPod);
    // The pod's name is free again.
    s.add_container(&ctr("group")).unwrap();
}

pub fn remove_pod_containers_respects_outside_dependents(f: &dyn Fn() -> StateUnderTest) {
    let sut = f();
    let s = &sut.state;
    let p = pod("p");
    s.add_pod(&p).unwrap();
    let mut member = ctr("member");
    member.config.pod = Some(p.config.id.clone());
    s.add_container(&member).unwrap();
    // A dependency edge from outside the pod can only come from a container
    // outside the pod, which the add rule forbids to depend on members ...
    let mut outsider = ctr("outsider");
    outsider.config.dependencies = vec![member.config.id.clone()];
    assert_err(s.add_container(&outsider), Error::InvalidArg);
    // ... so removal of the pod's containers succeeds.
    s.remove_pod_containers(&p.config.id).unwrap();
    assert!(s.pod_containers(&p.config.id).unwrap().is_empty());
}

pub fn removing_many_containers_is_all_or_nothing(f: &dyn Fn() -> StateUnderTest) {
    let sut = f();
    let s = &sut.state;
    let a = ctr("many-base");
    let mut b = ctr("many-user");
    b.config.dependencies = vec![a.config.id.clone()];
    let c = ctr("many-plain");
    let d = ctr("many-exec");
    for r in [&a, &b, &c, &d] {
        s.add_container(r).unwrap();
    }
    let session = generate_id().unwrap();
    s.add_exec_session(d.id(), &session).unwrap();
    let ids = |rs: &[&ContainerRecord]| -> Vec<String> {
        rs.iter().map(|r| r.config.id.clone()).collect()
    };
    let all_present = || {
        for r in [&a, &b, &c, &d] {
            assert!(
                s.has_container(r.id()).unwrap(),
                "{} was removed",
                r.config.name
            );
        }
        assert_eq!(s.exec_session(&session).unwrap(), d.config.id);
    };

    // A dependency before its dependent: refused, nothing removed.
    assert_err(s.remove_containers(&ids(&[&c, &a, &b])), Error::DepExists);
    all_present();
    // A missing container at the end undoes the ones before it.
    let mut with_missing = ids(&[&c, &d]);
    with_missing.push(generate_id().unwrap());
    assert_err(s.remove_containers(&with_missing), Error::NoSuchCtr);
    all_present();
    // The same container twice: the second is already gone.
    assert_err(s.remove_containers(&ids(&[&c, &c])), Error::NoSuchCtr);
    all_present();

    // Dependents first, exec sessions and all: every one goes.
    s.remove_containers(&ids(&[&b, &a, &c, &d])).unwrap();
    for r in [&a, &b, &c, &d] {
        assert!(!s.has_container(r.id()).unwrap());
        assert_err(s.lookup_container_id(&r.config.name), Error::NoSuchCtr);
    }
    assert_err(s.exec_session(&session), Error::NoSuchExecSession);
    assert!(s.all_containers(false).unwrap().is_empty());
    s.remove_containers(&[]).unwrap();
    // Names and IDs are free again.
    s.add_container(&ctr_with_id(a.id(), "many-base")).unwrap();
}
