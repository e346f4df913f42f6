//! Prunes: stopped containers, unused volumes, and both at once for
//! `system prune`.

use serde::Serialize;

use crate::container::{Container, ContainerStatus, RemoveOptions};
use crate::error::{Error, Result};
use crate::image::{ImagePruneOptions, PruneReport};
use crate::runtime::Runtime;

use super::PruneFilters;

/// Options of `system prune`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SystemPruneOptions {
    /// Every image no container uses, not only dangling ones (`-a`).
    pub all: bool,
    /// Prune unused volumes too (`--volumes`).
    pub volumes: bool,
    /// `--filter`: applies to containers, images and volumes alike.
    pub filters: PruneFilters,
}

/// What `system prune` removed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SystemPruneReport {
    /// Removed containers.
    pub container_prune_reports: Vec<PruneReport>,
    /// Removed images.
    pub image_prune_reports: Vec<PruneReport>,
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
    /// returned after the rest are removed. Each report carries what the
    /// container's own layer held ([`Container::rw_size`], measured just
    /// before removal; 0 when it cannot be measured).
    pub fn prune_containers(&self) -> Result<Vec<PruneReport>> {
        self.prune_containers_filtered(&PruneFilters::default())
    }

    /// [`Runtime::prune_containers`], limited to the containers whose labels
    /// and creation time pass `filters`.
    pub fn prune_containers_filtered(&self, filters: &PruneFilters) -> Result<Vec<PruneReport>> {
        let mut stopped: Vec<Container> = self
            .containers()?
            .into_iter()
            .filter(|c| is_prunable(c.state().state))
            .filter(|c| filters.passes(&c.config().labels, c.config().created_time))
            .collect();
        let sizes: Vec<u64> = stopped
            .iter()
            .map(|c| {
                c.rw_size().unwrap_or_else(|e| {
                    tracing::debug!("measuring container {}: {e}", c.id());
                    0
                })
            })
            .collect();
        let results = Container::remove_many(&mut stopped, RemoveOptions::default());
        let mut removed = Vec::new();
        let mut failed = None;
        for ((c, r), size) in stopped.iter().zip(results).zip(sizes) {
            match r {
                Ok(()) => removed.push(PruneReport {
                    id: c.id().to_string(),
                    size,
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

    /// `system prune`: stopped containers, dangling images (every unused
    /// one with `all`) and, with `volumes`, unused volumes, all passing
    /// the filters. Rounds repeat while images or volumes go, since
    /// removing one can leave another unused. The reclaimed space is the
    /// sum of the measured sizes.
    pub fn system_prune(&self, opts: &SystemPruneOptions) -> Result<SystemPruneReport> {
        let mut report = SystemPruneReport::default();
        let images = ImagePruneOptions {
            all: opts.all,
            labels: opts.filters.labels.clone(),
            until: opts.filters.until,
        };
        loop {
            let containers = self.prune_containers_filtered(&opts.filters)?;
            let imgs = match self.storage()? {
                Some(_) => self.prune_images(&images)?,
                None => Vec::new(),
            };
            let volumes = if opts.volumes {
                self.prune_volumes_filtered(&opts.filters)?
            } else {
                Vec::new()
            };
            let again = !imgs.is_empty() || !volumes.is_empty();
            report.container_prune_reports.extend(containers);
            report.image_prune_reports.extend(imgs);
            report.volume_prune_reports.extend(volumes);
            if !again {
                break;
            }
        }
        report.reclaimed_space = reclaimed(&report);
        Ok(report)
    }
}

/// The bytes every removed object of `report` freed, added up.
pub fn reclaimed(report: &SystemPruneReport) -> u64 {
    report
        .container_prune_reports
        .iter()
        .chain(&report.image_prune_reports)
        .chain(&report.volume_prune_reports)
        .map(|r| r.size)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reclaimed_space_adds_every_section() {
        let r = |id: &str, size| PruneReport {
            id: id.into(),
            size,
        };
        let report = SystemPruneReport {
            container_prune_reports: vec![r("c1", 6), r("c2", 0)],
            image_prune_reports: vec![r("i", 1_998_000)],
            volume_prune_reports: vec![r("v", 4096)],
            reclaimed_space: 0,
        };
        assert_eq!(reclaimed(&report), 2_002_102);
        assert_eq!(reclaimed(&SystemPruneReport::default()), 0);
    }

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
