//! The per-object rows of `system df -v`: one per image name, container
//! and volume, with the sizes the summary adds up.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::image::{ImageSummary, split_name};

/// One image name's line of `df -v` (a dangling image has one line,
/// `<none>`/`<none>`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DfImage {
    /// Repository, `<none>` for a dangling image.
    pub repository: String,
    /// Tag, `<none>` for a dangling image.
    pub tag: String,
    /// The full image ID.
    #[serde(rename = "ImageID")]
    pub image_id: String,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// Bytes of all its layers.
    pub size: u64,
    /// Bytes of its layers that other images use too.
    pub shared_size: u64,
    /// Bytes only it uses (`size - shared_size`).
    pub unique_size: u64,
    /// Containers made from it.
    pub containers: usize,
}

/// One container's line of `df -v`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DfContainer {
    /// The full container ID.
    #[serde(rename = "ContainerID")]
    pub container_id: String,
    /// The full ID of its image (empty for a `--rootfs` container).
    pub image: String,
    /// Its command.
    pub command: Vec<String>,
    /// How many named volumes it mounts.
    pub local_volumes: usize,
    /// Bytes of its own layer.
    #[serde(rename = "RWSize")]
    pub rw_size: u64,
    /// When it was created.
    pub created: DateTime<Utc>,
    /// Its state (`created`, `running`, `exited`, ...).
    pub status: String,
    /// Its name.
    pub names: String,
}

/// One volume's line of `df -v`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DfVolume {
    /// Its name.
    pub volume_name: String,
    /// How many containers use it.
    pub links: usize,
    /// Bytes of its data.
    pub size: u64,
    /// Bytes a prune would free: its size when nothing uses it, else 0.
    pub reclaimable_size: u64,
}

/// The `df -v` image lines of `images`, given each image's layer chain as
/// (layer ID, size): a layer in more than one image's chain counts as
/// shared for each of them.
pub fn image_rows(images: &[ImageSummary], chains: &[Vec<(String, u64)>]) -> Vec<DfImage> {
    let mut users: HashMap<&str, usize> = HashMap::new();
    for chain in chains {
        for (layer, _) in chain {
            *users.entry(layer.as_str()).or_default() += 1;
        }
    }
    let mut out = Vec::new();
    for (img, chain) in images.iter().zip(chains) {
        let shared: u64 = chain
            .iter()
            .filter(|(l, _)| users.get(l.as_str()).is_some_and(|n| *n > 1))
            .map(|(_, s)| *s)
            .sum();
        let shared = shared.min(img.rec.size);
        let names: Vec<(String, String)> = if img.rec.names.is_empty() {
            vec![("<none>".into(), "<none>".into())]
        } else {
            img.rec.names.iter().map(|n| split_name(n)).collect()
        };
        for (repository, tag) in names {
            out.push(DfImage {
                repository,
                tag,
                image_id: img.rec.id.clone(),
                created: img.rec.created,
                size: img.rec.size,
                shared_size: shared,
                unique_size: img.rec.size - shared,
                containers: img.containers,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::ImageRecord;

    fn image(id: &str, names: &[&str], size: u64) -> ImageSummary {
        ImageSummary {
            rec: ImageRecord {
                id: id.into(),
                names: names.iter().map(|s| s.to_string()).collect(),
                digest: String::new(),
                top_layer: String::new(),
                created: Utc::now(),
                size,
                read_only: false,
            },
            labels: Default::default(),
            parent: String::new(),
            intermediate: false,
            containers: 0,
        }
    }

    #[test]
    fn shared_layers_split_an_images_size() {
        let base = ("base".to_string(), 70);
        let images = [
            image("a", &["localhost/a:1", "localhost/a:2"], 100),
            image("b", &[], 90),
            image("c", &["c"], 5),
        ];
        let chains = [
            vec![("top-a".to_string(), 30), base.clone()],
            vec![("top-b".to_string(), 20), base],
            vec![("only-c".to_string(), 5)],
        ];
        let rows = image_rows(&images, &chains);
        let got: Vec<(&str, &str, u64, u64)> = rows
            .iter()
            .map(|r| {
                (
                    r.repository.as_str(),
                    r.tag.as_str(),
                    r.shared_size,
                    r.unique_size,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("localhost/a", "1", 70, 30),
                ("localhost/a", "2", 70, 30),
                ("<none>", "<none>", 70, 20),
                ("c", "latest", 0, 5),
            ]
        );
    }
}
