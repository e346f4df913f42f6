//! The `State` conformance suite. Each function checks one rule of the
//! contract written on [`State`](crate::state::State).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::atomic::{AtomicU32, Ordering};

use chrono::{Duration, Utc};

use super::StateUnderTest;
use crate::container::{
    ContainerConfig, ContainerRecord, ContainerStatus, ExecConfig, ExecSession, NamedVolume,
};
use crate::error::Error;
use crate::names::generate_id;
use crate::network::PerNetworkOptions;
use crate::pod::{PodConfig, PodRecord, PodState};
use crate::state::DbConfig;
use crate::volume::{VolumeConfig, VolumeRecord, VolumeState};

static NEXT_LOCK: AtomicU32 = AtomicU32::new(0);

fn lock_id() -> u32 {
    NEXT_LOCK.fetch_add(1, Ordering::Relaxed)
}

/// A container record with a fresh ID.
pub fn ctr(name: &str) -> ContainerRecord {
    ctr_with_id(&generate_id().unwrap(), name)
}

/// A container record with a given ID.
pub fn ctr_with_id(id: &str, name: &str) -> ContainerRecord {
    let mut cfg = ContainerConfig::new(id, name, lock_id());
    cfg.labels.insert("test".into(), name.into());
    cfg.spec = Some(serde_json::json!({"ociVersion": "1.0.2", "process": {"args": ["true"]}}));
    ContainerRecord::new(cfg)
}

/// A pod record with a fresh ID.
pub fn pod(name: &str) -> PodRecord {
    PodRecord {
        config: PodConfig::new(generate_id().unwrap(), name, lock_id()),
        state: PodState::default(),
    }
}

/// A volume record.
pub fn vol(name: &str) -> VolumeRecord {
    VolumeRecord {
        config: VolumeConfig::new(name, lock_id(), format!("/volumes/{name}/_data")),
        state: VolumeState::default(),
    }
}

fn assert_err(r: crate::Result<impl std::fmt::Debug>, kind: Error) -> Error {
    match r {
        Ok(v) => panic!("expected {kind:?}, got Ok({v:?})"),
        Err(e) => {
            assert!(e.is(&kind), "expected {kind:?}, got {e:?} ({e})");
            e
        }
    }
}

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

pub fn exec_session_index(f: &dyn Fn() -> StateUnderTest) {
    let sut = f();
    let s = &sut.state;
    let c = ctr("exec");
    s.add_container(&c).unwrap();
    let s1 = generate_id().unwrap();
    let s2 = generate_id().unwrap();
    s.add_exec_session(c.id(), &s1).unwrap();
    s.add_exec_session(c.id(), &s2).unwrap();
    assert_err(s.add_exec_session(c.id(), &s1), Error::ExecSessionExists);
    assert_err(
        s.add_exec_session(&generate_id().unwrap(), &generate_id().unwrap()),
        Error::NoSuchCtr,
    );
    assert_eq!(s.exec_session(&s1).unwrap(), c.config.id);
    let mut sessions = s.container_exec_sessions(c.id()).unwrap();
    sessions.sort();
    let mut want = vec![s1.clone(), s2.clone()];
    want.sort();
    assert_eq!(sessions, want);

    // Registered sessions block removal.
    assert_err(s.remove_container(c.id()), Error::ExecSessionExists);
    s.remove_exec_session(&s1).unwrap();
    assert_err(s.remove_exec_session(&s1), Error::NoSuchExecSession);
    assert_err(s.exec_session(&s1), Error::NoSuchExecSession);
    s.remove_container_exec_sessions(c.id()).unwrap();
    assert!(s.container_exec_sessions(c.id()).unwrap().is_empty());
    s.remove_container(c.id()).unwrap();
}

pub fn exit_codes_outlive_the_container_and_are_pruned(f: &dyn Fn() -> StateUnderTest) {
    let sut = f();
    let s = &sut.state;
    let c = ctr("exits");
    s.add_container(&c).unwrap();
    assert_err(s.container_exit_code(c.id()), Error::NoSuchExitCode);
    let before = Utc::now() - Duration::seconds(1);
    s.add_container_exit_code(c.id(), 3).unwrap();
    let after = Utc::now() + Duration::seconds(1);
    s.remove_container(c.id()).unwrap();
    assert_eq!(s.container_exit_code(c.id()).unwrap(), 3);
    let t = s.container_exit_code_timestamp(c.id()).unwrap();
    assert!(
        t >= before && t <= after,
        "timestamp {t} not within [{before}, {after}]"
    );

    // Overwriting keeps one entry with the new code.
    s.add_container_exit_code(c.id(), 137).unwrap();
    assert_eq!(s.container_exit_code(c.id()).unwrap(), 137);

    s.prune_container_exit_codes(Utc::now() + Duration::minutes(4))
        .unwrap();
    assert_eq!(s.container_exit_code(c.id()).unwrap(), 137);
    s.prune_container_exit_codes(Utc::now() + Duration::minutes(6))
        .unwrap();
    assert_err(s.container_exit_code(c.id()), Error::NoSuchExitCode);
    assert_err(
        s.container_exit_code_timestamp(c.id()),
        Error::NoSuchExitCode,
    );
}

pub fn save_and_update_state(f: &dyn Fn() -> StateUnderTest) {
    let sut = f();
    let s = &sut.state;
    let c = ctr("st");
    s.add_container(&c).unwrap();
    let mut st = s.update_container(c.id()).unwrap();
    assert_eq!(st.state, ContainerStatus::Configured);
    st.state = ContainerStatus::Running;
    st.pid = 4242;
    st.conmon_pid = 4241;
    st.started_time = Utc::now();
    st.bind_mounts
        .insert("/etc/hosts".into(), "/run/x/hosts".into());
    let sid = generate_id().unwrap();
    st.exec_sessions.insert(
        sid.clone(),
        ExecSession {
            id: sid,
            container_id: c.config.id.clone(),
            config: ExecConfig {
                command: vec!["ls".into()],
                ..Default::default()
            },
            state: 1,
            pid: 7,
            exit_code: 0,
            extra: Default::default(),
        },
    );
    s.save_container(c.id(), &st).unwrap();
    assert_eq!(s.update_container(c.id()).unwrap(), st);
    assert_eq!(s.container(c.id()).unwrap().state, st);
    assert_eq!(s.all_containers(true).unwrap()[0].state, st);
    // The config is untouched by state saves.
    assert_eq!(s.container(c.id()).unwrap().config, c.config);
}

pub fn exec_sessions_and_state_are_saved_together(f: &dyn Fn() -> StateUnderTest) {
    let sut = f();
    let s = &sut.state;
    let c = ctr("exec-and-state");
    let other = ctr("exec-other");
    s.add_container(&c).unwrap();
    s.add_container(&other).unwrap();
    let sid = generate_id().unwrap();
    let with_session = |pid: i32| {
        let mut st = s.update_container(c.id()).unwrap();
        st.state = ContainerStatus::Running;
        st.pid = pid;
        st.exec_sessions.insert(
            sid.clone(),
            ExecSession {
                id: sid.clone(),
                container_id: c.config.id.clone(),
                config: ExecConfig {
                    command: vec!["true".into()],
                    ..Default::default()
                },
                state: 1,
                pid: 0,
                exit_code: 0,
                extra: Default::default(),
            },
        );
        st
    };

    let registered = with_session(100);
    s.add_exec_session_and_save(c.id(), &sid, &registered)
        .unwrap();
    assert_eq!(s.exec_session(&sid).unwrap(), c.config.id);
    assert_eq!(s.update_container(c.id()).unwrap(), registered);
    // A failed registration saves nothing.
    assert_err(
        s.add_exec_session_and_save(c.id(), &sid, &with_session(200)),
        Error::ExecSessionExists,
    );
    assert_eq!(s.update_container(c.id()).unwrap(), registered);
    assert_err(
        s.add_exec_session_and_save(
            &generate_id().unwrap(),
            &generate_id().unwrap(),
            &registered,
        ),
        Error::NoSuchCtr,
    );

    let mut finished = registered.clone();
    finished.exec_sessions.clear();
    // Another container's session: refused, nothing saved or removed.
    assert_err(
        s.remove_exec_session_and_save(other.id(), &sid, &finished),
        Error::NoSuchExecSession,
    );
    assert_eq!(s.exec_session(&sid).unwrap(), c.config.id);
    assert_eq!(s.update_container(c.id()).unwrap(), registered);
    assert_ne!(s.update_container(other.id()).unwrap(), finished);

    s.remove_exec_session_and_save(c.id(), &sid, &finished)
        .unwrap();
    assert_err(s.exec_session(&sid), Error::NoSuchExecSession);
    assert!(s.container_exec_sessions(c.id()).unwrap().is_empty());
    assert_eq!(s.update_container(c.id()).unwrap(), finished);
    // Gone already: an error, and the state stays as saved.
    assert_err(
        s.remove_exec_session_and_save(c.id(), &sid, &registered),
        Error::NoSuchExecSession,
    );
    assert_eq!(s.update_container(c.id()).unwrap(), finished);
    // Nothing left blocks removal.
    s.remove_container(c.id()).unwrap();
}

pub fn refresh_rules(f: &dyn Fn() -> StateUnderTest) {
    let sut = f();
    let s = &sut.state;
    let mut ids = Vec::new();
    for (name, status) in [
        ("running", ContainerStatus::Running),
        ("exited", ContainerStatus::Exited),
        ("paused", ContainerStatus::Paused),
        ("created", ContainerStatus::Created),
        ("stopped", ContainerStatus::Stopped),
    ] {
        let c = ctr(name);
        s.add_container(&c).unwrap();
        let mut st = c.state.clone();
        st.state = status;
        st.pid = 100;
        st.conmon_pid = 99;
        st.exit_code = 3;
        st.mounted = true;
        st.mount_point = "/merged".into();
        st.restart_count = 2;
        s.save_container(c.id(), &st).unwrap();
        s.add_container_exit_code(c.id(), 3).unwrap();
        s.add_exec_session(c.id(), &generate_id().unwrap()).unwrap();
        ids.push((c.config.id, status));
    }
    let p = pod("pod");
    s.add_pod(&p).unwrap();
    s.save_pod(
        &p.config.id,
        &PodState {
            cgroup_path: "/libpod_parent/x".into(),
            ..Default::default()
        },
    )
    .unwrap();
    let v = vol("v");
    s.add_volume(&v).unwrap();
    let mut vs = v.state.clone();
    vs.mount_count = 3;
    vs.mount_point = "/mnt/v".into();
    s.save_volume("v", &vs).unwrap();

    s.refresh().unwrap();

    for (id, before) in ids {
        let st = s.update_container(&id).unwrap();
        let want = if before == ContainerStatus::Exited {
            ContainerStatus::Exited
        } else {
            ContainerStatus::Configured
        };
        assert_eq!(st.state, want, "{before:?} after refresh");
        assert_eq!((st.pid, st.conmon_pid, st.restart_count), (0, 0, 0));
        assert!(!st.mounted && st.mount_point.is_empty());
        assert_eq!(st.exit_code, 3, "the last exit code stays in the state");
        assert!(s.container_exec_sessions(&id).unwrap().is_empty());
        assert_err(s.container_exit_code(&id), Error::NoSuchExitCode);
    }
    assert_eq!(s.update_pod(&p.config.id).unwrap().cgroup_path, "");
    let vs = s.update_volume("v").unwrap();
    assert_eq!((vs.mount_count, vs.mount_point.as_str()), (0, ""));
}

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

pub fn container_networks(f: &dyn Fn() -> StateUnderTest) {
    let sut = f();
    let s = &sut.state;
    let c = ctr("net");
    s.add_container(&c).unwrap();
    assert!(s.networks(c.id()).unwrap().is_empty());
    let opts = PerNetworkOptions {
        aliases: vec!["web".into()],
        interface_name: "eth0".into(),
        ..Default::default()
    };
    s.network_connect(c.id(), "podman", &opts).unwrap();
    assert_err(
        s.network_connect(c.id(), "podman", &opts),
        Error::InvalidArg,
    );
    let nets = s.networks(c.id()).unwrap();
    assert_eq!(nets.get("podman"), Some(&opts));
    s.network_disconnect(c.id(), "podman").unwrap();
    assert_err(s.network_disconnect(c.id(), "podman"), Error::InvalidArg);
    assert!(s.networks(c.id()).unwrap().is_empty());
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
