//! Conformance rules for runtime state: exec sessions, exit codes, saved
//! state, refresh and network attachments.

use chrono::{Duration, Utc};

use super::{assert_err, ctr, pod, vol};
use crate::container::{ContainerStatus, ExecConfig, ExecSession};
use crate::error::Error;
use crate::names::generate_id;
use crate::network::PerNetworkOptions;
use crate::pod::PodState;
use crate::testing::StateUnderTest;

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
