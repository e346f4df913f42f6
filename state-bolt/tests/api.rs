//! The crate's own API: registration under `boltdb`, and the export used by
//! `system migrate --migrate-db`.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use chrono::Utc;
use rpod_runtime_core::backend::{BackendContext, BackendRegistry};
use rpod_runtime_core::container::{ContainerConfig, ContainerRecord, ContainerStatus};
use rpod_runtime_core::names::generate_id;
use rpod_runtime_core::network::PerNetworkOptions;
use rpod_runtime_core::pod::{PodConfig, PodRecord, PodState};
use rpod_runtime_core::state::{DbConfig, State};
use rpod_runtime_core::volume::{VolumeConfig, VolumeRecord, VolumeState};
use rpod_state_bolt::{BoltState, DB_FILE_NAME};

#[test]
fn registered_as_boltdb_in_the_static_dir() {
    let dir = tempfile::tempdir().unwrap();
    let mut reg = BackendRegistry::new();
    rpod_state_bolt::register(&mut reg);
    let ctx = BackendContext {
        static_dir: dir.path().join("libpod"),
        ..Default::default()
    };
    let s = reg.state("boltdb", &ctx).unwrap();
    assert_eq!(s.name(), "boltdb");
    s.add_volume(&VolumeRecord {
        config: VolumeConfig::new("v", 1, "/v/_data"),
        state: VolumeState::default(),
    })
    .unwrap();
    assert!(dir.path().join("libpod").join(DB_FILE_NAME).is_file());
    // A second process (here: a second handle) sees the same data.
    let again = reg.state("boltdb", &ctx).unwrap();
    assert!(again.has_volume("v").unwrap());
}

#[test]
fn export_holds_everything() {
    let dir = tempfile::tempdir().unwrap();
    let s = BoltState::open(dir.path()).unwrap();
    let cfg = DbConfig {
        os: "linux".into(),
        static_dir: "/s".into(),
        tmp_dir: "/t".into(),
        graph_root: "/g".into(),
        run_root: "/r".into(),
        graph_driver: "overlay".into(),
        volume_path: "/g/volumes".into(),
    };
    s.init_db_config(&cfg).unwrap();
    let pod = PodRecord {
        config: PodConfig::new(generate_id().unwrap(), "p", 1),
        state: PodState::default(),
    };
    s.add_pod(&pod).unwrap();
    s.add_volume(&VolumeRecord {
        config: VolumeConfig::new("data", 2, "/g/volumes/data/_data"),
        state: VolumeState::default(),
    })
    .unwrap();
    let mut c = ContainerRecord::new(ContainerConfig::new(generate_id().unwrap(), "c", 3));
    c.config.pod = Some(pod.config.id.clone());
    c.config.spec = Some(serde_json::json!({"pad": "x".repeat(10_000)}));
    s.add_container(&c).unwrap();
    let mut st = c.state.clone();
    st.state = ContainerStatus::Running;
    st.pid = 77;
    s.save_container(c.id(), &st).unwrap();
    let opts = PerNetworkOptions {
        interface_name: "eth0".into(),
        ..Default::default()
    };
    s.network_connect(c.id(), "podman", &opts).unwrap();
    let session = generate_id().unwrap();
    s.add_exec_session(c.id(), &session).unwrap();
    let gone = generate_id().unwrap();
    let before = Utc::now();
    s.add_container_exit_code(&gone, 137).unwrap();

    let e = s.export().unwrap();
    assert_eq!(e.db_config, Some(cfg));
    assert_eq!(e.pods, vec![pod]);
    assert_eq!(e.volumes.len(), 1);
    assert_eq!(e.containers.len(), 1);
    let ce = &e.containers[0];
    assert_eq!(ce.record.config, c.config);
    assert_eq!(ce.record.state, st);
    assert_eq!(ce.networks.get("podman"), Some(&opts));
    assert_eq!(ce.exec_sessions, vec![session.clone()]);
    assert_eq!(e.exec_sessions.get(&session), Some(&c.config.id));
    assert_eq!(e.exit_codes.len(), 1);
    assert_eq!(
        (e.exit_codes[0].id.as_str(), e.exit_codes[0].code),
        (gone.as_str(), 137)
    );
    assert!(e.exit_codes[0].timestamp >= before - chrono::Duration::seconds(1));

    // Read-only opening sees the same, and closing stops it.
    let ro = BoltState::open_read_only(s.path()).unwrap();
    assert_eq!(ro.export().unwrap(), e);
    ro.close().unwrap();
    assert!(
        ro.export()
            .unwrap_err()
            .is(&rpod_runtime_core::Error::DbClosed)
    );
}

#[test]
fn exit_codes_are_stored_as_podman_text() {
    let dir = tempfile::tempdir().unwrap();
    let s = BoltState::open(dir.path()).unwrap();
    s.add_container_exit_code("abc", -1).unwrap();
    let db = rpod_state_bolt::engine::Db::open_existing(s.path()).unwrap();
    let tx = db.begin_read().unwrap();
    let code = tx
        .bucket(b"exit-code")
        .unwrap()
        .unwrap()
        .get(b"abc")
        .unwrap();
    assert_eq!(code.as_deref(), Some(b"-1".as_slice()));
    let stamp = tx
        .bucket(b"exit-code-time-stamp")
        .unwrap()
        .unwrap()
        .get(b"abc")
        .unwrap()
        .unwrap();
    let text = String::from_utf8(stamp).unwrap();
    assert!(text.ends_with('Z') && text.contains('T'), "{text}");
    chrono::DateTime::parse_from_rfc3339(&text).unwrap();
}
