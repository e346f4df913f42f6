//! The container state machine's states, with libpod's integer codes.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::error::{Error, Result};

/// Where a container is in its life. Stored as libpod's integer in state JSON.
///
/// Transitions: `Configured` (shown `created`) → `Created` (shown
/// `initialized`, after `runc create`) → `Running` ↔ `Paused`; `Running` →
/// `Stopping` → `Stopped` (process gone) → `Exited` (after cleanup);
/// any → `Removing`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, PartialOrd, Ord)]
pub enum ContainerStatus {
    /// An error state.
    #[default]
    Unknown = 0,
    /// In the database, not yet in the OCI runtime.
    Configured = 1,
    /// Created in the OCI runtime, not started.
    Created = 2,
    /// Running.
    Running = 3,
    /// The process exited; runtime resources are not yet cleaned up.
    Stopped = 4,
    /// Frozen.
    Paused = 5,
    /// Exited and cleaned up.
    Exited = 6,
    /// Being removed.
    Removing = 7,
    /// A stop is in progress.
    Stopping = 8,
}

impl ContainerStatus {
    /// All states, in integer order.
    pub const ALL: [ContainerStatus; 9] = [
        ContainerStatus::Unknown,
        ContainerStatus::Configured,
        ContainerStatus::Created,
        ContainerStatus::Running,
        ContainerStatus::Stopped,
        ContainerStatus::Paused,
        ContainerStatus::Exited,
        ContainerStatus::Removing,
        ContainerStatus::Stopping,
    ];

    /// libpod's integer code.
    pub fn code(self) -> i64 {
        self as i64
    }

    /// The state for an integer code.
    pub fn from_code(code: i64) -> Result<Self> {
        usize::try_from(code)
            .ok()
            .and_then(|i| Self::ALL.get(i).copied())
            .ok_or_else(|| Error::msg(format!("unknown container state code {code}")))
    }

    /// The name Podman shows (`created` for Configured, `initialized` for Created).
    pub fn as_str(self) -> &'static str {
        match self {
            ContainerStatus::Unknown => "unknown",
            ContainerStatus::Configured => "created",
            ContainerStatus::Created => "initialized",
            ContainerStatus::Running => "running",
            ContainerStatus::Stopped => "stopped",
            ContainerStatus::Paused => "paused",
            ContainerStatus::Exited => "exited",
            ContainerStatus::Removing => "removing",
            ContainerStatus::Stopping => "stopping",
        }
    }
}

impl fmt::Display for ContainerStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ContainerStatus {
    type Err = Error;

    /// Parses Podman's names; like libpod it does not accept `stopping`.
    fn from_str(s: &str) -> Result<Self> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "unknown" => ContainerStatus::Unknown,
            "created" | "configured" => ContainerStatus::Configured,
            "initialized" => ContainerStatus::Created,
            "running" => ContainerStatus::Running,
            "stopped" => ContainerStatus::Stopped,
            "paused" => ContainerStatus::Paused,
            "exited" => ContainerStatus::Exited,
            "removing" => ContainerStatus::Removing,
            _ => {
                return Err(Error::InvalidArg.context(format!("unknown container state: {s}")));
            }
        })
    }
}

impl Serialize for ContainerStatus {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_i64(self.code())
    }
}

impl<'de> Deserialize<'de> for ContainerStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let code = i64::deserialize(d)?;
        ContainerStatus::from_code(code).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_match_libpod() {
        assert_eq!(ContainerStatus::Exited.code(), 6);
        assert_eq!(ContainerStatus::Configured.as_str(), "created");
        assert_eq!(ContainerStatus::Created.as_str(), "initialized");
        for s in ContainerStatus::ALL {
            assert_eq!(ContainerStatus::from_code(s.code()).unwrap(), s);
        }
        assert!(ContainerStatus::from_code(9).is_err());
        assert!("stopping".parse::<ContainerStatus>().is_err());
        assert_eq!(
            serde_json::to_string(&ContainerStatus::Running).unwrap(),
            "3"
        );
    }
}
