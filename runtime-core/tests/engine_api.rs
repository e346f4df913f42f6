//! The engine API on a runtime built from the in-memory State and lock
//! manager: inspect, df and the prunes, as a front end calls them.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::os::unix::fs::PermissionsExt;
use std::sync::Arc;

use rpod_runtime_core::backend::{BackendContext, BackendRegistry};
use rpod_runtime_core::config::{Config, ConfigEnv};
use rpod_runtime_core::container::{CleanupOptions, ContainerRmOptions, ContainerStatus};
use rpod_runtime_core::events::{Event, Eventer, ReadControl, ReadOptions};
use rpod_runtime_core::runtime::{NewContainer, NewVolume, Runtime};
use rpod_runtime_core::system::SystemPruneOptions;
use rpod_runtime_core::{Error, Result};

/// Drops every event.
#[derive(Debug)]
struct Discard;

impl Eventer for Discard {
    fn name(&self) -> &'static str {
        "discard"
    }
    fn write(&self, _: &Event) -> Result<()> {
        Ok(())
    }
    fn read(&self, _: &ReadOptions, _: &mut dyn FnMut(Event) -> Result<ReadControl>) -> Result<()> {
        Ok(())
    }
}

fn runtime(dir: &tempfile::TempDir) -> Runtime {
    let runc = dir.path().join("runc");
    std::fs::write(&runc, "#!/bin/sh\necho 'runc version 9.9'\n").unwrap();
    std::fs::set_permissions(&runc, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut registry = BackendRegistry::new();
    registry.register_eventer(
        "discard",
        Arc::new(|_: &BackendContext| Ok(Box::new(Discard) as Box<dyn Eventer>)),
    );
    let mut config = Config::load(&ConfigEnv::isolated(None, None)).unwrap();
    config.conf.engine.cgroup_manager = "cgroupfs".into();
    Runtime::builder()
        .registry(registry)
        .config(config)
        .graph_root(dir.path().join("root"))
        .run_root(dir.path().join("runroot"))
        .tmp_dir(dir.path().join("tmp"))
        .database_backend("memory")
        .lock_type("memory")
        .events_logger("discard")
        .oci_runtime(runc.to_string_lossy().into_owned())
        .build()
        .unwrap()
}

fn container(rt: &Runtime, name: &str) -> String {
    rt.new_container(NewContainer {
        name: name.into(),
        rootfs: "/nonexistent".into(),
        ..Default::default()
    })
    .unwrap()
    .config
    .id
}

#[test]
fn inspect_reports_the_runtimes_real_settings() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(&dir);
    let id = container(&rt, "web");
    let report = rt.lookup_container("web").unwrap().inspect().unwrap();
    assert_eq!(report.id, id);
    assert_eq!(report.name, "web");
    assert_eq!(report.state.status, "created");
    assert_eq!(report.rootfs, "/nonexistent");
    assert_eq!(report.host_config.cgroup_manager, "cgroupfs");
    assert_eq!(report.driver, "", "no store, no driver");
    let dirs = rt.container_dirs(&id).unwrap();
    let static_dir = &rt.paths().unwrap().static_dir;
    assert_eq!(
        dirs.dir,
        static_dir.join("containers").join(&id).join("userdata")
    );
    let latest = container(&rt, "later");
    assert_eq!(rt.latest_container().unwrap().unwrap().id(), latest);
}

#[test]
fn df_counts_and_prunes_remove_what_is_unused() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(&dir);
    let idle = container(&rt, "idle");
    let busy = container(&rt, "busy");
    let state = rt.state().unwrap();
    let mut st = state.update_container(&busy).unwrap();
    st.state = ContainerStatus::Running;
    state.save_container(&busy, &st).unwrap();
    let vol = rt
        .new_volume(NewVolume {
            name: "data".into(),
            ..Default::default()
        })
        .unwrap();
    std::fs::write(format!("{}/f", vol.config.mount_point), [1u8; 9]).unwrap();

    let df = rt.df().unwrap();
    assert_eq!((df.containers.total, df.containers.active), (2, 1));
    assert_eq!((df.images.total, df.volumes.total), (0, 1));
    assert_eq!((df.volumes.size, df.volumes.reclaimable), (9, 9));
    assert_eq!(
        df.rows().map(|r| r.kind.as_str()),
        ["Images", "Containers", "Local Volumes"]
    );

    let report = rt
        .system_prune(&SystemPruneOptions {
            volumes: true,
            ..Default::default()
        })
        .unwrap();
    let ids: Vec<&str> = report
        .container_prune_reports
        .iter()
        .map(|r| r.id.as_str())
        .collect();
    assert_eq!(ids, [idle.as_str()], "the running container stays");
    assert_eq!(report.volume_prune_reports.len(), 1);
    assert_eq!(report.volume_prune_reports[0].id, "data");
    assert_eq!(report.reclaimed_space, 9);
    assert!(!std::path::Path::new(&vol.config.mount_point).exists());
    assert!(rt.lookup_container("busy").is_ok());
    assert!(rt.lookup_container("idle").is_err());
    assert!(rt.prune_containers().unwrap().is_empty());
}

#[test]
fn rm_reports_in_name_order_and_skips_missing_ones_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(&dir);
    let a = container(&rt, "a");
    let b = container(&rt, "b");
    let names: Vec<String> = ["b", "nope", "a"].iter().map(|s| s.to_string()).collect();
    let strict = rt
        .remove_containers(&names[1..2], &ContainerRmOptions::default())
        .unwrap();
    assert_eq!(strict.len(), 1);
    assert_eq!(strict[0].id, "nope");
    assert!(strict[0].err.as_ref().unwrap().is(&Error::NoSuchCtr));

    let opts = ContainerRmOptions {
        ignore: true,
        ..Default::default()
    };
    let reports = rt.remove_containers(&names, &opts).unwrap();
    let ids: Vec<&str> = reports.iter().map(|r| r.id.as_str()).collect();
    assert_eq!(ids, [b.as_str(), a.as_str()]);
    assert!(reports.iter().all(|r| r.err.is_none()));
    assert!(rt.containers().unwrap().is_empty());
}

#[test]
fn cleanup_of_a_removed_container_is_a_no_op() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(&dir);
    let opts = CleanupOptions {
        exec: None,
        remove: true,
    };
    assert_eq!(rt.cleanup_container("gone", &opts).unwrap(), None);
}
