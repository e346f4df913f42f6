//! Images as the engine sees them: summaries and filtered listings (parent,
//! labels, users), the layer chain, `import`, `load`, `save`, `history`, `inspect`, `prune`, `rmi`, `tag` and `untag`. Everything goes through
//! the [`Storage`] trait.

mod archive;
mod filter;
mod history;
mod inspect;
mod names;
mod prune;
mod remove;
mod tag;

pub use archive::SaveSelection;
pub use filter::{ImageFilter, ImageListOptions, reference_matches};
pub use history::{ImageHistoryEntry, MISSING_ID};
pub use inspect::{ImageGraphDriver, ImageInspect, ImageRootFs, build_image_inspect};
pub use names::{matched_name, normalized_name, refers_by_id, split_name};
pub use prune::{ImagePruneOptions, LabelFilter, PruneReport, select_prunable};
pub use remove::{ImageRemoveOptions, ImageRemoveReport, remove_exit_code};

use std::collections::{BTreeMap, HashMap, HashSet};

use crate::error::{Error, Result};
use crate::events::{Event, EventStatus, EventType};
use crate::runtime::Runtime;
use crate::storage::{ImageRecord, Storage, image_labels};

/// One image with what listings, filters and prune need.
#[derive(Debug, Clone, PartialEq)]
pub struct ImageSummary {
    /// The store's record.
    pub rec: ImageRecord,
    /// Labels of its config.
    pub labels: BTreeMap<String, String>,
    /// The image whose top layer is this one's parent layer (empty: none).
    pub parent: String,
    /// Untagged and below another image's top layer.
    pub intermediate: bool,
    /// Storage containers made from it.
    pub containers: usize,
}

/// True when `e` says the image (or a layer of it) does not exist.
pub fn is_image_unknown(e: &Error) -> bool {
    let s = e.to_string();
    s.ends_with("image not known") || s.ends_with("layer not known")
}

/// True when `e` says a container uses the image.
pub fn is_image_in_use(e: &Error) -> bool {
    e.to_string().contains("image is in use by a container")
}

/// Every image of `store` with its parent, labels and container count.
pub fn image_summaries(store: &dyn Storage) -> Result<Vec<ImageSummary>> {
    let images = store.images()?;
    let layers: HashMap<String, String> = store
        .layers()?
        .into_iter()
        .map(|l| (l.id, l.parent))
        .collect();
    let by_top: HashMap<&str, &str> = images
        .iter()
        .map(|i| (i.top_layer.as_str(), i.id.as_str()))
        .collect();
    // Layers below some image's top layer: an image whose top is one of
    // these has children.
    let mut below: HashSet<&str> = HashSet::new();
    for i in &images {
        let mut cur = layers.get(&i.top_layer);
        while let Some(p) = cur.filter(|p| !p.is_empty()) {
            if !below.insert(p.as_str()) {
                break;
            }
            cur = layers.get(p);
        }
    }
    let mut users: HashMap<String, usize> = HashMap::new();
    for c in store.containers()? {
        *users.entry(c.image).or_default() += 1;
    }
    let mut out = Vec::with_capacity(images.len());
    for rec in &images {
        let labels = store
            .image_config(&rec.id)
            .map(|c| image_labels(&c))
            .unwrap_or_default();
        let parent = layers
            .get(&rec.top_layer)
            .and_then(|p| by_top.get(p.as_str()))
            .map(|s| s.to_string())
            .unwrap_or_default();
        out.push(ImageSummary {
            intermediate: rec.names.is_empty() && below.contains(rec.top_layer.as_str()),
            containers: users.get(&rec.id).copied().unwrap_or(0),
            labels,
            parent,
            rec: rec.clone(),
        });
    }
    Ok(out)
}

/// The layer chain from `top` down to the base layer, as (ID, diff size).
pub fn layer_chain(store: &dyn Storage, top: &str) -> Result<Vec<(String, u64)>> {
    let layers: HashMap<String, (String, u64)> = store
        .layers()?
        .into_iter()
        .map(|l| (l.id, (l.parent, l.diff_size)))
        .collect();
    let mut out = Vec::new();
    let mut cur = top.to_string();
    while let Some((parent, size)) = layers.get(&cur) {
        out.push((cur.clone(), *size));
        if parent.is_empty() || out.len() > layers.len() {
            break;
        }
        cur = parent.clone();
    }
    Ok(out)
}

/// The report Podman writes on standard error while it stores a new image
/// (after `commit`): one `Copying blob` line per layer digest in `blobs`
/// (base layer first), then the config (the image ID), the manifest and
/// the signatures.
pub fn copy_report(blobs: &[String], image_id: &str) -> Vec<String> {
    let mut out = vec!["Getting image source signatures".to_string()];
    out.extend(blobs.iter().map(|b| format!("Copying blob {b}")));
    out.push(format!(
        "Copying config sha256:{}",
        image_id.trim_start_matches("sha256:")
    ));
    out.push("Writing manifest to image destination".into());
    out.push("Storing signatures".into());
    out
}

impl Runtime {
    /// The digests of an image's layers (of their uncompressed tars),
    /// base layer first.
    pub fn image_layer_digests(&self, name_or_id: &str) -> Result<Vec<String>> {
        let store = self.storage_or_err()?;
        let img = store.lookup_image(name_or_id)?;
        let digests: HashMap<String, String> = store
            .layers()?
            .into_iter()
            .map(|l| (l.id, l.diff_digest))
            .collect();
        let mut out: Vec<String> = layer_chain(store, &img.top_layer)?
            .into_iter()
            .filter_map(|(id, _)| digests.get(&id).cloned())
            .collect();
        out.reverse();
        Ok(out)
    }

    /// Every image with its parent, labels and container count.
    pub fn image_summaries(&self) -> Result<Vec<ImageSummary>> {
        image_summaries(self.storage_or_err()?)
    }

    /// Records an image event.
    pub fn emit_image_event(&self, status: EventStatus, id: &str, name: &str) {
        let mut e = Event::new(EventType::Image, status);
        e.id = id.to_string();
        e.name = name.to_string();
        self.emit(e);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_copy_report_lists_blobs_then_the_config() {
        let blobs = ["sha256:base".to_string(), "sha256:top".to_string()];
        assert_eq!(
            copy_report(&blobs, "abc"),
            [
                "Getting image source signatures",
                "Copying blob sha256:base",
                "Copying blob sha256:top",
                "Copying config sha256:abc",
                "Writing manifest to image destination",
                "Storing signatures",
            ]
        );
    }
}
