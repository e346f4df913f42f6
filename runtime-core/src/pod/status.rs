//! A pod's aggregate state, computed from its containers' states the way
//! Podman's `createPodStatusResults` does.

use std::fmt;

use crate::container::ContainerStatus;

/// The state `pod ps` and `pod inspect` show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum PodStatus {
    /// No container, or none has run yet.
    Created,
    /// Every container runs.
    Running,
    /// Some containers run, others do not.
    Degraded,
    /// Every container is paused.
    Paused,
    /// Every container has stopped.
    Exited,
    /// Some containers stopped, none runs.
    Stopped,
    /// A container is in a state none of the above covers.
    Error,
}

impl PodStatus {
    /// Podman's word for the state (`Running`, `Degraded` ...).
    pub fn as_str(self) -> &'static str {
        match self {
            PodStatus::Created => "Created",
            PodStatus::Running => "Running",
            PodStatus::Degraded => "Degraded",
            PodStatus::Paused => "Paused",
            PodStatus::Exited => "Exited",
            PodStatus::Stopped => "Stopped",
            PodStatus::Error => "Error",
        }
    }
}

impl fmt::Display for PodStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The aggregate of `states` (one per container, the infra container
/// included): all running is Running, some running is Degraded, all paused
/// is Paused, all stopped is Exited, some stopped is Stopped, anything else
/// unusual is Error, and the rest (no containers, created ones) Created.
pub fn aggregate_status(states: &[ContainerStatus]) -> PodStatus {
    if states.is_empty() {
        return PodStatus::Created;
    }
    let (mut running, mut paused, mut stopped, mut errored) = (0, 0, 0, 0);
    for s in states {
        match s {
            ContainerStatus::Exited | ContainerStatus::Stopped => stopped += 1,
            ContainerStatus::Running => running += 1,
            ContainerStatus::Paused => paused += 1,
            ContainerStatus::Created | ContainerStatus::Configured => {}
            _ => errored += 1,
        }
    }
    let n = states.len();
    if running == n {
        PodStatus::Running
    } else if running > 0 {
        PodStatus::Degraded
    } else if paused == n {
        PodStatus::Paused
    } else if stopped == n {
        PodStatus::Exited
    } else if stopped > 0 {
        PodStatus::Stopped
    } else if errored > 0 {
        PodStatus::Error
    } else {
        PodStatus::Created
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ContainerStatus as C;

    #[test]
    fn aggregate_follows_podman() {
        assert_eq!(aggregate_status(&[]), PodStatus::Created);
        assert_eq!(aggregate_status(&[C::Configured]), PodStatus::Created);
        assert_eq!(
            aggregate_status(&[C::Running, C::Running]),
            PodStatus::Running
        );
        assert_eq!(
            aggregate_status(&[C::Running, C::Exited]),
            PodStatus::Degraded
        );
        assert_eq!(
            aggregate_status(&[C::Running, C::Paused]),
            PodStatus::Degraded
        );
        assert_eq!(aggregate_status(&[C::Paused, C::Paused]), PodStatus::Paused);
        assert_eq!(
            aggregate_status(&[C::Exited, C::Stopped]),
            PodStatus::Exited
        );
        assert_eq!(
            aggregate_status(&[C::Exited, C::Created]),
            PodStatus::Stopped
        );
        assert_eq!(
            aggregate_status(&[C::Paused, C::Created]),
            PodStatus::Created
        );
        assert_eq!(
            aggregate_status(&[C::Removing, C::Created]),
            PodStatus::Error
        );
    }
}
