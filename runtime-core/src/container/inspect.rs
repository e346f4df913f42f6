//! `inspect` for containers: the [`ContainerInspect`] report, built from the
//! container's record, its OCI spec and what the runtime knows (the store's
//! driver, the cgroup manager, the image's digest).

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::inspect_types::{
    ContainerInspect, InspectConfig, InspectGraphDriver, InspectGraphDriverData, InspectHealth,
    InspectHostConfig, InspectLogConfig, InspectMount, InspectRestartPolicy, InspectState,
};
use super::{Container, ContainerRecord, ContainerStatus};
use crate::error::{Error, Result};
use crate::runtime::Runtime;
use crate::time::rfc3339_si;

/// What the report needs from outside the container's record.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InspectContext {
    /// The store's driver name (empty without a store).
    pub driver: String,
    /// The cgroup manager containers run under (`systemd`, `cgroupfs`).
    pub cgroup_manager: String,
    /// The manifest digest of the container's image (empty when none).
    pub image_digest: String,
    /// The networks the container is attached to (or, when it joins
    /// another's namespace, that container's), with its options on each.
    pub networks: std::collections::BTreeMap<String, crate::network::PerNetworkOptions>,
    /// The default network's name.
    pub default_network: String,
    /// When the container joins another's network namespace: that
    /// container's namespace path and network status.
    pub joined_network: Option<(
        String,
        std::collections::BTreeMap<String, crate::network::StatusBlock>,
    )>,
}

/// Files the engine bind-mounts itself: not user mounts.
const ENGINE_MOUNTS: [&str; 5] = [
    "/etc/hostname",
    "/etc/hosts",
    "/etc/resolv.conf",
    "/dev/shm",
    "/run/.containerenv",
];

/// Mount propagation options (`rprivate` when a mount names none).
const PROPAGATIONS: [&str; 6] = [
    "rprivate", "private", "rshared", "shared", "rslave", "slave",
];

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

/// The user bind mounts of a spec (the engine's own files left out).
fn user_mounts(spec: &Value) -> Vec<InspectMount> {
    let Some(ms) = spec["mounts"].as_array() else {
        return Vec::new();
    };
    ms.iter()
        .filter(|m| m["type"] == "bind")
        .filter(|m| {
            !m["destination"]
                .as_str()
                .is_some_and(|d| ENGINE_MOUNTS.contains(&d))
        })
        .map(|m| {
            let opts = strings(&m["options"]);
            let propagation = opts
                .iter()
                .find(|o| PROPAGATIONS.contains(&o.as_str()))
                .cloned()
                .unwrap_or_else(|| "rprivate".into());
            InspectMount {
                kind: "bind".into(),
                source: text(&m["source"]),
                destination: text(&m["destination"]),
                driver: String::new(),
                mode: String::new(),
                rw: !opts.iter().any(|o| o == "ro"),
                options: opts
                    .into_iter()
                    .filter(|o| o != "ro" && o != "rw")
                    .collect(),
                propagation,
            }
        })
        .collect()
}

/// `path` under `dir` when that file exists, else empty.
fn existing(dir: &Path, name: &str) -> String {
    let p = dir.join(name);
    if p.exists() {
        p.to_string_lossy().into_owned()
    } else {
        String::new()
    }
}

/// Builds the report of one container from its record and `ctx`.
pub fn build_inspect(rec: &ContainerRecord, ctx: &InspectContext) -> ContainerInspect {
    let cfg = &rec.config;
    let st = &rec.state;
    let spec = cfg.spec.clone().unwrap_or(Value::Null);
    let process = &spec["process"];
    let linux = &spec["linux"];
    let run_dir = PathBuf::from(&st.run_dir);
    let bundle = PathBuf::from(&cfg.static_dir);
    let annotations = spec["annotations"].as_object().map(|m| {
        m.iter()
            .map(|(k, v)| (k.clone(), text(v)))
            .collect::<std::collections::BTreeMap<_, _>>()
    });
    let init = annotations
        .as_ref()
        .and_then(|a| a.get("io.podman.annotations.init"))
        .is_some_and(|v| v == "TRUE");
    let uid = process["user"]["uid"].as_u64().unwrap_or(0);
    let umask = process["user"]["umask"].as_u64().unwrap_or(0o022);
    let merged_dir = if cfg.rootfs.is_empty() {
        st.mount_point.clone()
    } else {
        cfg.rootfs.clone()
    };
    let has_ns = |kind: &str| {
        linux["namespaces"]
            .as_array()
            .is_some_and(|ns| ns.iter().any(|n| n["type"] == kind))
    };
    ContainerInspect {
        id: cfg.id.clone(),
        created: rfc3339_si(&cfg.created_time),
        path: cfg.command.first().cloned().unwrap_or_default(),
        args: cfg.command.iter().skip(1).cloned().collect(),
        state: InspectState {
            oci_version: text(&spec["ociVersion"]),
            status: st.state.as_str().to_string(),
            running: st.state == ContainerStatus::Running,
            paused: st.state == ContainerStatus::Paused,
            restarting: false,
            oom_killed: st.oom_killed,
            dead: false,
            pid: st.pid,
            conmon_pid: st.conmon_pid,
            exit_code: st.exit_code,
            error: String::new(),
            started_at: rfc3339_si(&st.started_time),
            finished_at: rfc3339_si(&st.finished_time),
            health: InspectHealth::default(),
            cgroup_path: text(&linux["cgroupsPath"]),
            checkpointed_at: rfc3339_si(&st.checkpointed_time),
            restored_at: rfc3339_si(&st.restored_time),
        },
        image: cfg.rootfs_image_id.clone(),
        image_digest: ctx.image_digest.clone(),
        image_name: cfg.rootfs_image_name.clone(),
        rootfs: cfg.rootfs.clone(),
        pod: cfg.pod.clone().unwrap_or_default(),
        resolv_conf_path: existing(&run_dir, "resolv.conf"),
        hostname_path: existing(&run_dir, "hostname"),
        hosts_path: existing(&run_dir, "hosts"),
        static_dir: cfg.static_dir.clone(),
        oci_config_path: bundle.join("config.json").to_string_lossy().into_owned(),
        oci_runtime: cfg.oci_runtime.clone(),
        conmon_pid_file: run_dir.join("conmon.pid").to_string_lossy().into_owned(),
        pid_file: run_dir.join("pidfile").to_string_lossy().into_owned(),
        name: cfg.name.clone(),
        restart_count: st.restart_count,
        driver: ctx.driver.clone(),
        mount_label: String::new(),
        process_label: String::new(),
        app_armor_profile: process["apparmorProfile"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        effective_caps: strings(&process["capabilities"]["effective"]),
        bounding_caps: strings(&process["capabilities"]["bounding"]),
        exec_ids: st.exec_sessions.keys().cloned().collect(),
        graph_driver: InspectGraphDriver {
            name: ctx.driver.clone(),
            data: InspectGraphDriverData { merged_dir },
        },
        mounts: user_mounts(&spec),
        dependencies: cfg.all_dependencies(),
        network_settings: super::network::inspect_settings(rec, ctx),
        namespace: cfg.namespace.clone(),
        is_infra: false,
        is_service: false,
        config: InspectConfig {
            hostname: text(&spec["hostname"]),
            domainname: String::new(),
            user: if uid == 0 {
                String::new()
            } else {
                uid.to_string()
            },
            attach_stdin: cfg.stdin,
            attach_stdout: false,
            attach_stderr: false,
            tty: process["terminal"].as_bool().unwrap_or(false),
            open_stdin: cfg.stdin,
            stdin_once: false,
            env: strings(&process["env"]),
            cmd: cfg.command.clone(),
            image: cfg.rootfs_image_name.clone(),
            volumes: None,
            working_dir: text(&process["cwd"]),
            entrypoint: String::new(),
            on_build: None,
            labels: cfg.labels.clone(),
            annotations,
            stop_signal: cfg.stop_signal,
            create_command: cfg.create_command.clone(),
            umask: format!("{umask:04o}"),
            timeout: 0,
            stop_timeout: cfg.stop_timeout,
            passwd: true,
            sd_notify_mode: "container".into(),
        },
        host_config: InspectHostConfig {
            binds: Vec::new(),
            cgroup_manager: ctx.cgroup_manager.clone(),
            cgroup_mode: if has_ns("cgroup") { "private" } else { "host" }.into(),
            container_id_file: String::new(),
            log_config: InspectLogConfig {
                kind: cfg.log_driver.clone(),
                config: None,
                path: cfg.log_path.clone(),
                tag: cfg.log_tag.clone(),
                size: crate::config::human_size(cfg.log_size as f64, 4),
            },
            network_mode: match cfg.net_mode.as_str() {
                "bridge" | "none" | "host" => cfg.net_mode.clone(),
                "container" => format!("container:{}", cfg.net_ns_ctr),
                m if m.starts_with("ns:") => m.to_string(),
                _ if has_ns("network") => "private".into(),
                _ => "host".into(),
            },
            port_bindings: super::network::inspect_ports(&cfg.port_mappings),
            restart_policy: InspectRestartPolicy::default(),
            auto_remove: cfg.auto_remove,
            cap_add: Vec::new(),
            cap_drop: Vec::new(),
            privileged: cfg.privileged,
            readonly_rootfs: spec["root"]["readonly"].as_bool().unwrap_or(false),
            memory: linux["resources"]["memory"]["limit"].as_i64().unwrap_or(0),
            pids_limit: linux["resources"]["pids"]["limit"].as_i64().unwrap_or(0),
            ulimits: process["rlimits"].clone(),
            init,
        },
    }
}

impl Runtime {
    /// What [`build_inspect`] needs from this runtime for `rec`: the store's
    /// driver, the configured cgroup manager, the image's digest.
    pub fn inspect_context(&self, rec: &ContainerRecord) -> Result<InspectContext> {
        let storage = self.storage()?;
        let image_digest = match storage {
            Some(s) if !rec.config.rootfs_image_id.is_empty() => s
                .image_digest(&rec.config.rootfs_image_id)
                .unwrap_or_default(),
            _ => String::new(),
        };
        let mut networks = self.state()?.networks(&rec.config.id).unwrap_or_default();
        let mut joined = None;
        if !rec.config.net_ns_ctr.is_empty()
            && let Ok(dep) = self.state()?.container(&rec.config.net_ns_ctr)
        {
            networks = self.state()?.networks(&dep.config.id).unwrap_or_default();
            joined = Some((dep.state.net_ns, dep.state.network_status));
        }
        Ok(InspectContext {
            driver: storage
                .map(|s| s.driver_name().to_string())
                .unwrap_or_default(),
            cgroup_manager: self.config()?.conf.engine.cgroup_manager,
            image_digest,
            networks,
            default_network: self.config()?.conf.network.default_network,
            joined_network: joined,
        })
    }

    /// The most recently created container, if any (`--latest`).
    pub fn latest_container(&self) -> Result<Option<Container>> {
        Ok(self
            .containers()?
            .into_iter()
            .max_by_key(|c| c.config().created_time))
    }
}

impl Container {
    /// The inspect report. A container that should be running is synced
    /// first (its exit file read), so the state shown is current.
    pub fn inspect(&mut self) -> Result<ContainerInspect> {
        if matches!(
            self.rec.state.state,
            ContainerStatus::Running | ContainerStatus::Paused | ContainerStatus::Stopping
        ) && let Err(e) = self.refresh_state()
        {
            if e.is(&Error::CtrRemoved) {
                return Err(e);
            }
            tracing::debug!("syncing container {} for inspect: {e}", self.id());
        }
        let ctx = self.rt.inspect_context(&self.rec)?;
        Ok(build_inspect(&self.rec, &ctx))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::container::ContainerConfig;

    fn record() -> ContainerRecord {
        let mut cfg = ContainerConfig::new("a".repeat(64), "web", 3);
        cfg.command = vec!["sleep".into(), "60".into()];
        cfg.static_dir = "/b".into();
        cfg.privileged = true;
        cfg.spec = Some(json!({
            "ociVersion": "1.1.0",
            "hostname": "h",
            "process": {
                "terminal": true,
                "cwd": "/w",
                "env": ["A=1"],
                "user": {"uid": 1000, "gid": 1000, "umask": 63},
                "capabilities": {"effective": ["CAP_KILL"], "bounding": ["CAP_KILL"]},
                "rlimits": [{"type": "RLIMIT_NOFILE", "hard": 5, "soft": 5}],
            },
            "root": {"readonly": true},
            "mounts": [
                {"type": "bind", "source": "/h", "destination": "/c", "options": ["rbind", "ro", "rslave"]},
                {"type": "bind", "source": "/x", "destination": "/etc/hosts", "options": []},
                {"type": "tmpfs", "source": "tmpfs", "destination": "/t"},
            ],
            "annotations": {"io.podman.annotations.init": "TRUE"},
            "linux": {
                "namespaces": [{"type": "pid"}, {"type": "network"}],
                "resources": {"memory": {"limit": 1024}, "pids": {"limit": 9}},
                "cgroupsPath": "/machine/x",
            },
        }));
        ContainerRecord::new(cfg)
    }

    #[test]
    fn report_comes_from_the_record_and_the_context() {
        let ctx = InspectContext {
            driver: "vfs".into(),
            cgroup_manager: "systemd".into(),
            image_digest: "sha256:d".into(),
            ..Default::default()
        };
        let r = build_inspect(&record(), &ctx);
        assert_eq!(r.driver, "vfs");
        assert_eq!(r.graph_driver.name, "vfs");
        assert_eq!(r.host_config.cgroup_manager, "systemd");
        assert_eq!(r.image_digest, "sha256:d");
        assert_eq!(
            (r.path.as_str(), r.args.clone()),
            ("sleep", vec!["60".into()])
        );
        assert_eq!(r.state.status, "created");
        assert_eq!(r.state.cgroup_path, "/machine/x");
        assert_eq!(r.config.user, "1000");
        assert_eq!(r.config.umask, "0077");
        assert!(r.config.tty);
        assert!(r.host_config.privileged && r.host_config.init);
        assert!(r.host_config.readonly_rootfs);
        assert_eq!(r.host_config.network_mode, "private");
        assert_eq!((r.host_config.memory, r.host_config.pids_limit), (1024, 9));
        assert_eq!(r.oci_config_path, "/b/config.json");
        assert_eq!(r.mounts.len(), 1, "engine mounts and tmpfs are left out");
        assert_eq!(r.mounts[0].options, ["rbind", "rslave"]);
        assert_eq!(r.mounts[0].propagation, "rslave");
        assert_eq!(r.host_config.cgroup_mode, "host", "no cgroup namespace");
        assert!(!r.mounts[0].rw);
    }

    #[test]
    fn json_uses_podmans_keys_in_order() {
        let r = build_inspect(&record(), &InspectContext::default());
        let v = serde_json::to_value(&r).unwrap_or_default();
        let keys: Vec<&str> = v
            .as_object()
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        assert_eq!(&keys[..4], ["Id", "Created", "Path", "Args"]);
        for k in [
            "OCIConfigPath",
            "OCIRuntime",
            "ExecIDs",
            "GraphDriver",
            "HostConfig",
        ] {
            assert!(keys.contains(&k), "{k} missing: {keys:?}");
        }
        assert_eq!(v["State"]["OOMKilled"], false);
        assert_eq!(v["State"]["Health"]["Log"], Value::Null);
        assert_eq!(v["Config"]["sdNotifyMode"], "container");
        assert_eq!(v["HostConfig"]["ContainerIDFile"], "");
        assert_eq!(v["HostConfig"]["Ulimits"][0]["type"], "RLIMIT_NOFILE");
        assert_eq!(v["NetworkSettings"]["IPAddress"], "");
        assert_eq!(v["Mounts"][0]["RW"], false);
    }
}
