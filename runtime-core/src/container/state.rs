//! A container's mutable state and its exec sessions (JSON field names are Podman's).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::status::ContainerStatus;
use crate::time::{go_zero_time, is_go_zero};

/// What an exec session runs.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct ExecConfig {
    /// Command and arguments.
    #[serde(
        rename = "Command",
        default,
        deserialize_with = "crate::serde_util::null_default"
    )]
    pub command: Vec<String>,
    /// Extra environment.
    #[serde(
        rename = "Environment",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub environment: BTreeMap<String, String>,
    /// Allocate a terminal.
    #[serde(rename = "Terminal", default)]
    pub terminal: bool,
    /// Keep stdin open.
    #[serde(rename = "AttachStdin", default)]
    pub attach_stdin: bool,
    /// User to run as.
    #[serde(
        rename = "User",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub user: String,
    /// Working directory.
    #[serde(
        rename = "WorkDir",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub work_dir: String,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// An exec session. The body lives in the container's state; the State
/// backend keeps only an ID → container index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecSession {
    /// 64-hex session ID.
    pub id: String,
    /// The container it runs in.
    #[serde(rename = "containerId")]
    pub container_id: String,
    /// What it runs.
    pub config: ExecConfig,
    /// 0 created, 1 running, 2 stopped (libpod's exec states).
    #[serde(default)]
    pub state: i32,
    /// PID of the exec process while it runs.
    #[serde(default)]
    pub pid: i32,
    /// Exit code once stopped.
    #[serde(rename = "exitCode", default)]
    pub exit_code: i32,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// A container's mutable state. Reloaded from the State under the container's
/// lock before every operation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerState {
    /// Where the container is in its life.
    pub state: ContainerStatus,
    /// Path of the OCI `config.json`.
    #[serde(
        rename = "configPath",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub config_path: String,
    /// Per-container run directory.
    #[serde(
        rename = "runDir",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub run_dir: String,
    /// Root filesystem is mounted.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub mounted: bool,
    /// Where the root filesystem is mounted.
    #[serde(
        rename = "mountPoint",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub mount_point: String,
    /// When the container last started.
    #[serde(rename = "startedTime", default = "go_zero_time")]
    pub started_time: DateTime<Utc>,
    /// When the container last exited.
    #[serde(rename = "finishedTime", default = "go_zero_time")]
    pub finished_time: DateTime<Utc>,
    /// Exit code of the last run.
    #[serde(rename = "exitCode", default)]
    pub exit_code: i32,
    /// The container has exited at least once since its last start.
    #[serde(default)]
    pub exited: bool,
    /// The last exit was an OOM kill.
    #[serde(rename = "oomKilled", default)]
    pub oom_killed: bool,
    /// PID of the container's init process (0 when not running).
    #[serde(default)]
    pub pid: i32,
    /// PID of conmon (0 when not running).
    #[serde(rename = "conmonPid", default)]
    pub conmon_pid: i32,
    /// Start time (clock ticks since boot) of the process `pid` names, so a
    /// reused PID is never taken for it (0: unknown). rpod's own field;
    /// Podman ignores it.
    #[serde(
        rename = "rpodPidStartTicks",
        default,
        skip_serializing_if = "is_zero_u64"
    )]
    pub pid_start_ticks: u64,
    /// Start time of the process `conmon_pid` names (0: unknown).
    #[serde(
        rename = "rpodConmonStartTicks",
        default,
        skip_serializing_if = "is_zero_u64"
    )]
    pub conmon_start_ticks: u64,
    /// Exec sessions by ID.
    #[serde(
        rename = "newExecSessions",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub exec_sessions: BTreeMap<String, ExecSession>,
    /// Files bind-mounted into the container (`/etc/hosts` → host path ...).
    #[serde(
        rename = "bindMounts",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub bind_mounts: BTreeMap<String, String>,
    /// The last stop was asked for by a user.
    #[serde(
        rename = "stoppedByUser",
        default,
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub stopped_by_user: bool,
    /// The restart policy matched the last exit.
    #[serde(
        rename = "restartPolicyMatch",
        default,
        skip_serializing_if = "std::ops::Not::not"
    )]
    pub restart_policy_match: bool,
    /// Restarts by policy.
    #[serde(rename = "restartCount", default, skip_serializing_if = "is_zero")]
    pub restart_count: u32,
    /// The network namespace the engine made for the container (empty:
    /// none is set up).
    #[serde(
        rename = "netNS",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "String::is_empty"
    )]
    pub net_ns: String,
    /// What each network gave the container at setup.
    #[serde(
        rename = "networkStatus",
        default,
        deserialize_with = "crate::serde_util::null_default",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub network_status: BTreeMap<String, crate::network::StatusBlock>,
    /// When the container was last checkpointed.
    #[serde(rename = "checkpointedTime", default = "go_zero_time")]
    pub checkpointed_time: DateTime<Utc>,
    /// When the container was last restored.
    #[serde(rename = "restoredTime", default = "go_zero_time")]
    pub restored_time: DateTime<Utc>,
    /// Fields this version does not model.
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

impl Default for ContainerState {
    fn default() -> Self {
        ContainerState {
            state: ContainerStatus::Configured,
            config_path: String::new(),
            run_dir: String::new(),
            mounted: false,
            mount_point: String::new(),
            started_time: go_zero_time(),
            finished_time: go_zero_time(),
            exit_code: 0,
            exited: false,
            oom_killed: false,
            pid: 0,
            conmon_pid: 0,
            pid_start_ticks: 0,
            conmon_start_ticks: 0,
            exec_sessions: BTreeMap::new(),
            bind_mounts: BTreeMap::new(),
            stopped_by_user: false,
            restart_policy_match: false,
            restart_count: 0,
            net_ns: String::new(),
            network_status: BTreeMap::new(),
            checkpointed_time: go_zero_time(),
            restored_time: go_zero_time(),
            extra: serde_json::Map::new(),
        }
    }
}

impl ContainerState {
    /// Resets the state as libpod does after a reboot: processes and mounts
    /// are gone, so everything but `Exited` goes back to `Configured`; exec
    /// sessions, bind mounts, restart bookkeeping and checkpoint times are
    /// cleared. Exit code and finish time are kept.
    pub fn reset_for_refresh(&mut self) {
        self.pid = 0;
        self.conmon_pid = 0;
        self.pid_start_ticks = 0;
        self.conmon_start_ticks = 0;
        self.mount_point.clear();
        self.mounted = false;
        if self.state != ContainerStatus::Exited {
            self.state = ContainerStatus::Configured;
        }
        self.exec_sessions.clear();
        self.bind_mounts.clear();
        self.stopped_by_user = false;
        self.restart_policy_match = false;
        self.restart_count = 0;
        self.checkpointed_time = go_zero_time();
        self.restored_time = go_zero_time();
        self.net_ns.clear();
        self.network_status.clear();
    }

    /// True when the start time is set (the container ran at least once).
    pub fn has_started(&self) -> bool {
        !is_go_zero(&self.started_time)
    }
}

fn is_zero_u64(n: &u64) -> bool {
    *n == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_podman_state_json() {
        let json = r#"{"state":6,"configPath":"/x/config.json","runDir":"/r","startedTime":"2026-11-28T12:40:16.9Z","finishedTime":"2026-11-28T12:40:17.09Z","exitCode":3,"exited":true,"bindMounts":{"/etc/hosts":"/r/hosts"},"Service":{"servicePods":null},"checkpointedTime":"0001-01-01T00:00:00Z","restoredTime":"0001-01-01T00:00:00Z"}"#;
        let st: ContainerState = serde_json::from_str(json).unwrap();
        assert_eq!(st.state, ContainerStatus::Exited);
        assert_eq!(st.exit_code, 3);
        assert!(st.has_started());
        let back = serde_json::to_value(&st).unwrap();
        assert_eq!(back["state"], 6);
        assert_eq!(back["checkpointedTime"], "0001-01-01T00:00:00Z");
        assert!(back.get("Service").is_some());
    }

    #[test]
    fn refresh_keeps_exited_and_resets_the_rest() {
        let mut st = ContainerState {
            state: ContainerStatus::Running,
            pid: 42,
            conmon_pid: 41,
            restart_count: 2,
            ..Default::default()
        };
        st.bind_mounts.insert("/etc/hosts".into(), "/x".into());
        st.reset_for_refresh();
        assert_eq!(st.state, ContainerStatus::Configured);
        assert_eq!((st.pid, st.conmon_pid, st.restart_count), (0, 0, 0));
        assert!(st.bind_mounts.is_empty());

        let mut ex = ContainerState {
            state: ContainerStatus::Exited,
            exit_code: 3,
            ..Default::default()
        };
        ex.reset_for_refresh();
        assert_eq!(ex.state, ContainerStatus::Exited);
        assert_eq!(ex.exit_code, 3);
    }
}
