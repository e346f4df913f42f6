//! `system df`: how much disk images, containers and volumes use, and how
//! much of it a prune would free.

use std::path::Path;

use serde::Serialize;

use super::df_rows::{DfContainer, DfImage, DfVolume, image_rows};
use crate::container::ContainerStatus;
use crate::error::Result;
use crate::runtime::Runtime;

/// One object measured for `df`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DfItem {
    /// Bytes it uses.
    pub size: u64,
    /// How much it adds to the ACTIVE count: 1 for an image a container
    /// was made from or a running container, the number of containers
    /// using it for a volume, else 0. A prune frees it only at 0.
    pub active: usize,
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
            active: items.iter().map(|i| i.active).sum(),
            size: items.iter().map(|i| i.size).sum(),
            reclaimable: items.iter().filter(|i| i.active == 0).map(|i| i.size).sum(),
        }
    }

    /// The share of the size a prune would free, in whole percent
    /// (rounded half away from zero; 0 when nothing is stored).
    pub fn reclaimable_percent(&self) -> u64 {
        if self.size == 0 {
            return 0;
        }
        (self.reclaimable as f64 / self.size as f64 * 100.0).round() as u64
    }
}

/// The whole `df` report: the summary lines and the per-object lines
/// they add up (`df -v`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DfReport {
    /// Images.
    pub images: DfSummary,
    /// Containers.
    pub containers: DfSummary,
    /// Volumes.
    pub volumes: DfSummary,
    /// One line per image name.
    pub image_rows: Vec<DfImage>,
    /// One line per container.
    pub container_rows: Vec<DfContainer>,
    /// One line per volume.
    pub volume_rows: Vec<DfVolume>,
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
    /// Measures images (their layers; active when a container was made
    /// from them), containers (their own layer; active while running)
    /// and volumes (their data; active by the containers using them).
    pub fn df(&self) -> Result<DfReport> {
        let image_rows = match self.storage()? {
            Some(s) => {
                let images = crate::image::image_summaries(s)?;
                let chains = images
                    .iter()
                    .map(|i| crate::image::layer_chain(s, &i.rec.top_layer))
                    .collect::<Result<Vec<_>>>()?;
                image_rows(&images, &chains)
            }
            None => Vec::new(),
        };
        let container_rows: Vec<DfContainer> = self
            .containers()?
            .iter()
            .map(|c| DfContainer {
                container_id: c.id().to_string(),
                image: c.config().rootfs_image_id.clone(),
                command: c.config().command.clone(),
                local_volumes: c.config().named_volumes.len(),
                rw_size: c.rw_size().unwrap_or(0),
                created: c.config().created_time,
                status: c.state().state.to_string(),
                names: c.name().to_string(),
            })
            .collect();
        let state = self.state()?;
        let mut volume_rows = Vec::new();
        for v in state.all_volumes()? {
            let links = state.volume_in_use(&v.config.name)?.len();
            let size = dir_size(Path::new(&v.config.mount_point));
            volume_rows.push(DfVolume {
                volume_name: v.config.name.clone(),
                links,
                size,
                reclaimable_size: if links == 0 { size } else { 0 },
            });
        }
        let images: Vec<DfItem> = image_rows
            .iter()
            .map(|i| DfItem {
                size: i.size,
                active: usize::from(i.containers > 0),
            })
            .collect();
        let containers: Vec<DfItem> = container_rows
            .iter()
            .map(|c| DfItem {
                size: c.rw_size,
                active: usize::from(c.status == ContainerStatus::Running.as_str()),
            })
            .collect();
        let volumes: Vec<DfItem> = volume_rows
            .iter()
            .map(|v| DfItem {
                size: v.size,
                active: v.links,
            })
            .collect();
        Ok(DfReport {
            images: DfSummary::of("Images", &images),
            containers: DfSummary::of("Containers", &containers),
            volumes: DfSummary::of("Local Volumes", &volumes),
            image_rows,
            container_rows,
            volume_rows,
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
                active: 1,
            },
            DfItem {
                size: 30,
                active: 0,
            },
            DfItem { size: 5, active: 0 },
        ];
        let s = DfSummary::of("Containers", &items);
        assert_eq!((s.total, s.active, s.size, s.reclaimable), (3, 1, 135, 35));
        assert_eq!(s.reclaimable_percent(), 26, "35/135 rounds to 26%");
        let linked = [DfItem { size: 9, active: 3 }];
        let v = DfSummary::of("Local Volumes", &linked);
        assert_eq!(
            (v.active, v.reclaimable, v.reclaimable_percent()),
            (3, 0, 0)
        );
        let half = DfSummary {
            size: 200,
            reclaimable: 101,
            ..v
        };
        assert_eq!(half.reclaimable_percent(), 51);
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
