//! The Runtime built from in-process backends: start-up order, DB config,
//! refresh after reboot, renumber, shutdown, and bad input.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rpod_runtime_core::backend::{BackendContext, BackendRegistry};
use rpod_runtime_core::config::{Config, ConfigEnv};
use rpod_runtime_core::container::ContainerStatus;
use rpod_runtime_core::events::{Event, EventStatus, Eventer, ReadControl, ReadOptions};
use rpod_runtime_core::lock::LockManager;
use rpod_runtime_core::lock::memory::MemoryLockManager;
use rpod_runtime_core::runtime::{NewContainer, NewPod, NewVolume, Runtime, RuntimeBuilder};
use rpod_runtime_core::state::State;
use rpod_runtime_core::state::memory::MemoryState;
use rpod_runtime_core::{Error, Result};

/// An eventer that keeps events in memory, shared by clones.
#[derive(Debug, Clone, Default)]
struct Recorder(Arc<Mutex<Vec<Event>>>);

impl Recorder {
    fn statuses(&self) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .map(|e| e.status.to_string())
            .collect()
    }
}

impl Eventer for Recorder {
    fn name(&self) -> &'static str {
        "recorder"
    }
    fn write(&self, event: &Event) -> Result<()> {
        self.0.lock().unwrap().push(event.clone());
        Ok(())
    }
    fn read(
        &self,
        opts: &ReadOptions,
        sink: &mut dyn FnMut(Event) -> Result<ReadControl>,
    ) -> Result<()> {
        for e in self.0.lock().unwrap().iter().filter(|e| opts.wants(e)) {
            if sink(e.clone())? == ReadControl::Stop {
                break;
            }
        }
        Ok(())
    }
}

/// One "machine": a state and lock segment that outlive runtimes, a
/// recorder, and private directories.
struct Host {
    dir: tempfile::TempDir,
    state: MemoryState,
    locks: Arc<Mutex<MemoryLockManager>>,
    events: Recorder,
    fake_runc: PathBuf,
}

impl Host {
    fn new() -> Host {
        let dir = tempfile::tempdir().unwrap();
        let fake_runc = dir.path().join("bin/runc");
        std::fs::create_dir_all(fake_runc.parent().unwrap()).unwrap();
        std::fs::write(&fake_runc, "#!/bin/sh\necho 'runc version 9.9'\n").unwrap();
        std::fs::set_permissions(&fake_runc, std::fs::Permissions::from_mode(0o755)).unwrap();
        Host {
            dir,
            state: MemoryState::new(),
            locks: Arc::new(Mutex::new(MemoryLockManager::new(64))),
            events: Recorder::default(),
            fake_runc,
        }
    }

    fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    /// A reboot: the tmp dir is wiped and the lock segment is new.
    fn reboot(&self) {
        std::fs::remove_dir_all(self.path("tmp")).unwrap();
        *self.locks.lock().unwrap() = MemoryLockManager::new(64);
    }

    fn registry(&self) -> BackendRegistry {
        let mut r = BackendRegistry::new();
        // As the rpod binary declares them: left-out backends name their feature.
        r.declare_feature("lock", "shm", "lock-shm")
            .declare_feature("events", "file", "events");
        let state = self.state.handle();
        r.register_state(
            "shared",
            Arc::new(move |_: &BackendContext| Ok(Box::new(state.handle()) as Box<dyn State>)),
        );
        let locks = Arc::clone(&self.locks);
        r.register_lock_manager(
            "shared",
            Arc::new(move |_: &BackendContext| {
                Ok(Box::new(locks.lock().unwrap().clone()) as Box<dyn LockManager>)
            }),
        );
        let events = self.events.clone();
        r.register_eventer(
            "recorder",
            Arc::new(move |_: &BackendContext| Ok(Box::new(events.clone()) as Box<dyn Eventer>)),
        );
        r
    }

    fn builder(&self) -> RuntimeBuilder {
        Runtime::builder()
            .registry(self.registry())
            .config(Config::load(&ConfigEnv::isolated(None, None)).unwrap())
            .graph_root(self.path("root"))
            .run_root(self.path("runroot"))
            .tmp_dir(self.path("tmp"))
            .database_backend("shared")
            .lock_type("shared")
            .events_logger("recorder")
            .oci_runtime(self.fake_runc.to_string_lossy().into_owned())
    }
}

fn err_of(r: Result<Runtime>) -> Error {
    r.expect_err("build should fail")
}

#[test]
fn first_start_creates_dirs_and_refreshes_once() {
    let h = Host::new();
    let rt = h.builder().build().unwrap();
    assert!(h.path("tmp/alive").exists());
    assert!(h.path("root/libpod").is_dir());
    assert_eq!(
        std::fs::metadata(h.path("root/libpod"))
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o700
    );
    assert_eq!(h.events.statuses(), vec!["refresh"]);
    rt.shutdown(false).unwrap();
    let _rt2 = h.builder().build().unwrap();
    assert_eq!(
        h.events.statuses(),
        vec!["refresh"],
        "no refresh while the alive file exists"
    );
}

#[test]
fn reboot_refresh_resets_states_and_retakes_stored_locks() {
    let h = Host::new();
    let rt = h.builder().build().unwrap();
    let state = rt.state().unwrap();
    let mut ids = Vec::new();
    for (i, status) in [
        ContainerStatus::Running,
        ContainerStatus::Exited,
        ContainerStatus::Paused,
    ]
    .into_iter()
    .enumerate()
    {
        let c = rt
            .new_container(NewContainer {
                name: format!("c{i}"),
                rootfs: "/nonexistent".into(),
                ..Default::default()
            })
            .unwrap();
        let mut st = c.state.clone();
        st.state = status;
        st.pid = 1234;
        state.save_container(c.id(), &st).unwrap();
        state.add_container_exit_code(c.id(), 7).unwrap();
        ids.push((c.config.id.clone(), c.config.lock_id, status));
    }
    let pod = rt
        .new_pod(NewPod {
            name: "p".into(),
            ..Default::default()
        })
        .unwrap();
    let vol = rt
        .new_volume(NewVolume {
            name: "v".into(),
            ..Default::default()
        })
        .unwrap();
    std::fs::create_dir_all(h.path("tmp/exits")).unwrap();
    std::fs::write(h.path(&format!("tmp/exits/{}", ids[0].0)), "0").unwrap();
    rt.shutdown(false).unwrap();

    h.reboot();
    let rt = h.builder().build().unwrap();
    let state = rt.state().unwrap();
    for (id, lock_id, before) in &ids {
        let st = state.update_container(id).unwrap();
        let want = if *before == ContainerStatus::Exited {
            ContainerStatus::Exited
        } else {
            ContainerStatus::Configured
        };
        assert_eq!(st.state, want);
        assert_eq!(st.pid, 0);
        assert!(
            state.container_exit_code(id).is_err(),
            "exit codes are wiped"
        );
        // The stored lock is allocated again: allocating it now conflicts.
        let e = rt
            .lock_manager()
            .unwrap()
            .allocate_given(*lock_id)
            .unwrap_err();
        assert!(e.is(&Error::LockAllocated(0)), "{e:?}");
    }
    for lock_id in [pod.config.lock_id, vol.config.lock_id] {
        assert!(rt.lock_manager().unwrap().allocate_given(lock_id).is_err());
    }
    assert_eq!(
        rt.lock_manager().unwrap().available().unwrap(),
        Some(64 - 5)
    );
    assert!(
        !h.path(&format!("tmp/exits/{}", ids[0].0)).exists(),
        "stale exit file removed"
    );
    assert!(h.path("tmp/alive").exists());
    assert_eq!(
        h.events
            .statuses()
            .iter()
            .filter(|s| *s == "refresh")
            .count(),
        2
    );
}

#[test]
fn renumber_gives_dense_unique_lock_ids() {
    let h = Host::new();
    let rt = h.builder().build().unwrap();
    // Spread the allocations out so renumbering has work to do.
    let lm = rt.lock_manager().unwrap();
    for id in [0, 1, 2, 5, 9] {
        lm.allocate_given(id).unwrap();
    }
    for i in 0..3 {
        rt.new_container(NewContainer {
            name: format!("r{i}"),
            ..Default::default()
        })
        .unwrap();
    }
    rt.new_pod(NewPod {
        name: "rp".into(),
        ..Default::default()
    })
    .unwrap();
    rt.new_volume(NewVolume {
        name: "rv".into(),
        ..Default::default()
    })
    .unwrap();
    rt.shutdown(false).unwrap();

    let rt = h.builder().renumber(true).build().unwrap();
    let state = rt.state().unwrap();
    let mut ids: Vec<u32> = state
        .all_containers(false)
        .unwrap()
        .iter()
        .map(|c| c.config.lock_id)
        .collect();
    ids.extend(state.all_pods().unwrap().iter().map(|p| p.config.lock_id));
    ids.extend(
        state
            .all_volumes()
            .unwrap()
            .iter()
            .map(|v| v.config.lock_id),
    );
    ids.sort();
    assert_eq!(ids, vec![0, 1, 2, 3, 4]);
    assert_eq!(
        rt.lock_manager().unwrap().available().unwrap(),
        Some(64 - 5)
    );
    assert!(h.events.statuses().contains(&"renumber".to_string()));
}

#[test]
fn db_config_mismatch_is_rejected_with_podmans_text() {
    let h = Host::new();
    h.builder().build().unwrap().shutdown(false).unwrap();
    let e = err_of(h.builder().volume_path(h.path("elsewhere")).build());
    let want = format!(
        "database volume path {:?} does not match our volume path {:?}: database configuration mismatch",
        h.path("root/volumes").display().to_string(),
        h.path("elsewhere").display().to_string()
    );
    assert_eq!(e.to_string(), want);
    assert!(!h.path("elsewhere").exists());
    // A tmp dir the failed start created is removed again.
    let e = err_of(h.builder().tmp_dir(h.path("tmp2/nested")).build());
    assert!(e.is(&Error::DbMismatch), "{e}");
    assert!(
        !h.path("tmp2").exists(),
        "the failed start left its tmp dir behind"
    );
    // Under reset the mismatch is only logged.
    h.builder()
        .volume_path(h.path("elsewhere"))
        .reset(true)
        .build()
        .unwrap();
}

#[test]
fn db_values_fill_unset_settings() {
    let h = Host::new();
    h.builder()
        .volume_path(h.path("vols"))
        .build()
        .unwrap()
        .shutdown(false)
        .unwrap();
    // Not given this time: the stored value is used, not the default.
    let rt = h.builder().build().unwrap();
    assert_eq!(rt.paths().unwrap().volume_path, h.path("vols"));
}

#[test]
fn unknown_backends_fail_before_touching_disk() {
    let h = Host::new();
    let e = err_of(h.builder().database_backend("postgres").build());
    assert!(
        e.to_string()
            .starts_with("unknown database backend \"postgres\""),
        "{e}"
    );
    let e = err_of(h.builder().lock_type("sqlite").build());
    assert!(
        e.to_string().starts_with("unknown lock backend \"sqlite\""),
        "{e}"
    );
    let e = err_of(h.builder().lock_type("shm").build());
    assert_eq!(
        e.to_string(),
        "lock backend \"shm\" is not compiled into this binary: rebuild with cargo feature `lock-shm`"
    );
    let e = err_of(h.builder().events_logger("file").build());
    assert!(e.to_string().contains("`events`"), "{e}");
    assert!(!h.path("tmp").exists());
    assert!(!h.path("root").exists());
}

#[test]
fn unusable_tmp_dir_fails_before_the_database_exists() {
    let h = Host::new();
    std::fs::write(h.path("file"), "").unwrap();
    let e = err_of(h.builder().tmp_dir(h.path("file/tmp")).build());
    assert!(
        e.to_string()
            .starts_with("creating runtime temporary files directory: "),
        "{e}"
    );
    assert!(!h.path("root").exists());
    assert!(
        h.state.db_config().unwrap().is_none(),
        "no DB config written"
    );
}

#[test]
fn missing_default_runtime_is_an_error() {
    let h = Host::new();
    let e = err_of(h.builder().oci_runtime("/nonexistent/runc").build());
    assert_eq!(
        e.to_string(),
        "default OCI runtime \"/nonexistent/runc\" not found: invalid argument"
    );
    let e = err_of(h.builder().oci_runtime("nosuchruntime").build());
    assert!(e.is(&Error::InvalidArg));
}

#[test]
fn shutdown_stops_every_call() {
    let h = Host::new();
    let rt = h.builder().build().unwrap();
    let cfg = rt.config().unwrap();
    assert_eq!(cfg.conf.engine.lock_type, "shared");
    rt.shutdown(false).unwrap();
    assert!(rt.config().unwrap_err().is(&Error::RuntimeStopped));
    assert!(rt.state().unwrap_err().is(&Error::RuntimeStopped));
    assert!(rt.info().unwrap_err().is(&Error::RuntimeStopped));
    assert!(
        rt.new_pod(NewPod::default())
            .unwrap_err()
            .is(&Error::RuntimeStopped)
    );
    assert!(rt.shutdown(true).unwrap_err().is(&Error::RuntimeStopped));
}

#[test]
fn info_has_podmans_top_level_keys() {
    let h = Host::new();
    let rt = h.builder().build().unwrap();
    rt.new_container(NewContainer::default()).unwrap();
    let info = rt.info().unwrap();
    let keys: Vec<&String> = info.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["host", "store", "registries", "plugins", "version"]);
    assert_eq!(info["store"]["containerStore"]["number"], 1);
    assert_eq!(
        info["store"]["graphRoot"],
        h.path("root").to_string_lossy().as_ref()
    );
    assert_eq!(
        info["host"]["ociRuntime"]["path"],
        h.fake_runc.to_string_lossy().as_ref()
    );
    assert_eq!(info["host"]["ociRuntime"]["version"], "runc version 9.9");
    assert_eq!(info["host"]["eventLogger"], "recorder");
    assert_eq!(info["host"]["databaseBackend"], "memory");
    assert_eq!(info["host"]["freeLocks"], 63);
    assert_eq!(
        info["host"]["security"]["capabilities"]
            .as_str()
            .unwrap()
            .split(',')
            .count(),
        11
    );
}

#[test]
fn a_typed_spec_is_stored_and_read_back() {
    let h = Host::new();
    let rt = h.builder().build().unwrap();
    let spec: oci_spec::runtime::Spec = serde_json::from_value(serde_json::json!({
        "ociVersion": "1.0.2-dev",
        "process": {"user": {"uid": 0, "gid": 0}, "args": ["true"], "cwd": "/",
                    "capabilities": {"bounding": ["CAP_KILL", "CAP_CHOWN"]}},
        "root": {"path": "/r"},
        "annotations": {"b": "2", "a": "1"}
    }))
    .unwrap();
    let rec = rt
        .new_container(NewContainer {
            spec: Some(spec.clone()),
            ..Default::default()
        })
        .unwrap();
    let stored = rec.config.spec.as_ref().unwrap();
    assert_eq!(
        stored["process"]["capabilities"]["bounding"],
        serde_json::json!(["CAP_CHOWN", "CAP_KILL"])
    );
    let keys: Vec<&String> = stored["annotations"].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["a", "b"]);
    let c = rt.lookup_container(&rec.config.id).unwrap();
    assert_eq!(c.config().oci_spec().unwrap(), Some(spec));
}

#[test]
fn generated_names_are_unique_and_failures_free_the_lock() {
    let h = Host::new();
    let rt = h.builder().build().unwrap();
    let a = rt.new_container(NewContainer::default()).unwrap();
    assert!(a.config.name.contains('_'));
    let before = rt.lock_manager().unwrap().available().unwrap();
    let e = rt
        .new_container(NewContainer {
            name: a.config.name.clone(),
            ..Default::default()
        })
        .unwrap_err();
    assert!(e.is(&Error::CtrExists), "{e}");
    assert_eq!(rt.lock_manager().unwrap().available().unwrap(), before);
    rt.new_pod(NewPod {
        name: "taken".into(),
        ..Default::default()
    })
    .unwrap();
    assert!(
        rt.new_container(NewContainer {
            name: "taken".into(),
            ..Default::default()
        })
        .is_err()
    );
    let e = rt
        .new_container(NewContainer {
            name: "bad/name".into(),
            ..Default::default()
        })
        .unwrap_err();
    assert!(e.is(&Error::InvalidArg));
}

#[test]
fn volumes_get_podmans_modes() {
    let h = Host::new();
    let rt = h.builder().build().unwrap();
    let v = rt
        .new_volume(NewVolume {
            name: "data".into(),
            ..Default::default()
        })
        .unwrap();
    let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&h.path("root/volumes/data")), 0o700);
    assert_eq!(mode(&h.path("root/volumes/data/_data")), 0o755);
    assert_eq!(
        v.config.mount_point,
        h.path("root/volumes/data/_data").to_string_lossy()
    );
    let anon = rt.new_volume(NewVolume::default()).unwrap();
    assert!(anon.config.is_anon && anon.config.name.len() == 64);
    assert!(
        rt.new_volume(NewVolume {
            name: "data".into(),
            ..Default::default()
        })
        .is_err()
    );
}

#[test]
fn migrate_to_an_unknown_runtime_is_invalid() {
    let h = Host::new();
    h.builder().build().unwrap().shutdown(false).unwrap();
    let e = err_of(h.builder().migrate(true, Some("nosuch".into())).build());
    assert_eq!(
        e.to_string(),
        "change to runtime \"nosuch\" requested but no such runtime is defined: invalid argument"
    );
}

#[test]
fn events_are_written_for_object_creation() {
    let h = Host::new();
    let rt = h.builder().build().unwrap();
    let c = rt
        .new_container(NewContainer {
            name: "ev".into(),
            ..Default::default()
        })
        .unwrap();
    let mut seen = Vec::new();
    let opts = ReadOptions {
        filter: rpod_runtime_core::events::EventFilter::parse(&["type=container"]).unwrap(),
        ..Default::default()
    };
    rt.events(&opts, &mut |e| {
        seen.push(e);
        Ok(ReadControl::Continue)
    })
    .unwrap();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].status, EventStatus::Create);
    assert_eq!(seen[0].id, c.config.id);
    assert_eq!(seen[0].name, "ev");
}
