//! Prunes: stopped containers, unused volumes, and both at once for
//! `system prune`.

use serde::Serialize;

use crate::container::{Container, ContainerStatus, RemoveOptions};
use crate::error::{Error, Result};
use crate::events::{Event, EventStatus, EventType};
use crate::image::PruneReport;
use crate::runtime::Runtime;

/// Options of `system prune`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SystemPruneOptions {
    /// Prune unused volumes too (`--volumes`).
    pub volumes: bool,
}

/// What `system prune` removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SystemPruneReport {
    /// Removed containers.
    pub container_prune_reports: Vec<PruneReport>,
    /// Removed volumes.
    pub volume_prune_reports: Vec<PruneReport>,
    /// Bytes freed in all.
    pub reclaimed_space: u64,
}

/// True for a container a prune removes: not running, paused or stopping.
pub(crate) fn is_prunable(status: ContainerStatus) -> bool {
    matches!(
        status,
        ContainerStatus::Exited
            | ContainerStatus::Stopped
            | ContainerStatus::Configured
            | ContainerStatus::Created
    )
}

impl Runtime {
    /// Removes every stopped (exited, stopped, configured or created)
    /// container in one batch and returns them in the order listed. One
    /// that started or went away meanwhile is skipped; any other failure is
    /// returned after the rest are removed. Sizes are not measured (0).
    pub fn prune_containers(&self) -> Result<Vec<PruneReport>> {
        let mut stopped: Vec<Container> = self
            .containers()?
            .into_iter()
            .filter(|c| is_prunable(c.state().state))
            .collect();
        let results = Container::remove_many(&mut stopped, RemoveOptions::default());
        let mut removed = Vec::new();
        let mut failed = None;
        for (c, r) in stopped.iter().zip(results) {
            match r {
                Ok(()) => removed.push(PruneReport {
                    id: c.id().to_string(),
                    size: 0,
                }),
                Err(e) if e.is(&Error::CtrStateInvalid) || e.is(&Error::CtrRemoved) => {}
                Err(e) => {
                    failed.get_or_insert(e);
                }
            }
        }
        match failed {
            Some(e) => Err(e),
            None => Ok(removed),
        }
    }

    /// Removes every volume no container uses: its record, its directory
    /// and its lock; emits `remove` for each. Reports carry the volume's
    /// name and the size of its data.
    pub fn prune_volumes(&self) -> Result<Vec<PruneReport>> {
        let state = self.state()?;
        let volume_path = self.paths()?.volume_path.clone();
        let mut removed = Vec::new();
        for v in state.all_volumes()? {
            let name = v.config.name.clone();
            if !state.volume_in_use(&name)?.is_empty() {
                continue;
            }
            let size = super::dir_size(std::path::Path::new(&v.config.mount_point));
            state.remove_volume(&name)?;
            let _ = std::fs::remove_dir_all(volume_path.join(&name));
            if let Ok(lock) = self.lock_manager()?.retrieve(v.config.lock_id)
                && let Err(e) = lock.free()
            {
                tracing::debug!("freeing the lock of volume {name}: {e}");
            }
            let mut ev = Event::new(EventType::Volume, EventStatus::Remove);
            ev.name.clone_from(&name);
            self.emit(ev);
            removed.push(PruneReport { id: name, size });
        }
        Ok(removed)
    }

    /// `system prune`: stopped containers, then (with `volumes`) unused
    /// volumes.
    pub fn system_prune(&self, opts: SystemPruneOptions) -> Result<SystemPruneReport> {
        let containers = self.prune_containers()?;
        let volumes = if opts.volumes {
            self.prune_volumes()?
        } else {
            Vec::new()
        };
        let reclaimed_space = containers.iter().chain(&volumes).map(|r| r.size).sum();
        Ok(SystemPruneReport {
            container_prune_reports: containers,
            volume_prune_reports: volumes,
            reclaimed_space,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_inactive_containers_are_pruned() {
        for s in [
            ContainerStatus::Exited,
            ContainerStatus::Stopped,
            ContainerStatus::Configured,
            ContainerStatus::Created,
        ] {
            assert!(is_prunable(s), "{s}");
        }
        for s in [
            ContainerStatus::Running,
            ContainerStatus::Paused,
            ContainerStatus::Stopping,
        ] {
            assert!(!is_prunable(s), "{s}");
        }
    }
}
