//! `system df`: how much disk images, containers and volumes use, and how
//! much of it a prune would free.

use std::path::Path;

use serde::Serialize;

use crate::container::ContainerStatus;
use crate::error::Result;
use crate::runtime::Runtime;

/// One object measured for `df`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DfItem {
    /// Bytes it uses.
    pub size: u64,
    /// In use (a running container, an image or volume a container uses):
    /// a prune keeps it.
    pub active: bool,
}

/// One line of `df`: a kind of object, counted and summed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DfSummary {
    /// `Images`, `Containers` or `Local Volumes`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// How many there are.
    pub total: usize,
    /// How many are in use.
    pub active: usize,
    /// Bytes they use.
    pub size: u64,
    /// Bytes the ones not in use take.
    pub reclaimable: u64,
}

impl DfSummary {
    /// Counts and sums `items` under the name `kind`.
    pub fn of(kind: &str, items: &[DfItem]) -> DfSummary {
        DfSummary {
            kind: kind.to_string(),
            total: items.len(),
            active: items.iter().filter(|i| i.active).count(),
            size: items.iter().map(|i| i.size).sum(),
            reclaimable: items.iter().filter(|i| !i.active).map(|i| i.size).sum(),
        }
    }
}

/// The whole `df` report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DfReport {
    /// Images.
    pub images: DfSummary,
    /// Containers.
    pub containers: DfSummary,
    /// Volumes.
    pub volumes: DfSummary,
}

impl DfReport {
    /// The three lines in Podman's order.
    pub fn rows(&self) -> [&DfSummary; 3] {
        [&self.images, &self.containers, &self.volumes]
    }
}

/// Bytes used by the files below `p` (symlinks not followed; unreadable
/// entries count 0).
pub fn dir_size(p: &Path) -> u64 {
    match std::fs::symlink_metadata(p) {
        Ok(m) if m.is_dir() => std::fs::read_dir(p)
            .map(|rd| rd.flatten().map(|e| dir_size(&e.path())).sum())
            .unwrap_or(0),
        Ok(m) => m.len(),
        Err(_) => 0,
    }
}

impl Runtime {
    /// Measures images (their layers; in use when a container was made
    /// from them), containers (their own directory; in use while running
    /// or paused) and volumes (their data; in use when a container uses
    /// them).
    pub fn df(&self) -> Result<DfReport> {
        let images: Vec<DfItem> = match self.storage()? {
            Some(s) => crate::image::image_summaries(s)?
                .iter()
                .map(|i| DfItem {
                    size: i.rec.size,
                    active: i.containers > 0,
                })
                .collect(),
            None => Vec::new(),
        };
        let containers: Vec<DfItem> = self
            .containers()?
            .iter()
            .map(|c| DfItem {
                size: dir_size(&c.bundle_dir()),
                active: matches!(
                    c.state().state,
                    ContainerStatus::Running | ContainerStatus::Paused
                ),
            })
            .collect();
        let state = self.state()?;
        let volumes: Vec<DfItem> = state
            .all_volumes()?
            .iter()
            .map(|v| DfItem {
                size: dir_size(Path::new(&v.config.mount_point)),
                active: state
                    .volume_in_use(&v.config.name)
                    .is_ok_and(|u| !u.is_empty()),
            })
            .collect();
        Ok(DfReport {
            images: DfSummary::of("Images", &images),
            containers: DfSummary::of("Containers", &containers),
            volumes: DfSummary::of("Local Volumes", &volumes),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unused_objects_are_reclaimable() {
        let items = [
            DfItem {
                size: 100,
                active: true,
            },
            DfItem {
                size: 30,
                active: false,
            },
            DfItem {
                size: 5,
                active: false,
            },
        ];
        let s = DfSummary::of("Containers", &items);
        assert_eq!((s.total, s.active, s.size, s.reclaimable), (3, 1, 135, 35));
        let none = DfSummary::of("Images", &[]);
        assert_eq!(
            (none.total, none.active, none.size, none.reclaimable),
            (0, 0, 0, 0)
        );
    }

    #[test]
    fn rows_serialize_with_podmans_keys() {
        let s = DfSummary::of("Local Volumes", &[]);
        let v = serde_json::to_value(&s).unwrap_or_default();
        let keys: Vec<&String> = v
            .as_object()
            .map(|m| m.keys().collect())
            .unwrap_or_default();
        assert_eq!(keys, ["Type", "Total", "Active", "Size", "Reclaimable"]);
    }

    #[test]
    fn directory_sizes_add_up_files() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("a"), [0u8; 10]).unwrap();
        std::fs::create_dir(d.path().join("sub")).unwrap();
        std::fs::write(d.path().join("sub/b"), [0u8; 7]).unwrap();
        assert_eq!(dir_size(d.path()), 17);
        assert_eq!(dir_size(&d.path().join("missing")), 0);
    }
}
