//! `image prune`: which images go (dangling ones, or with `all` every image
//! no container uses, narrowed by label filters), removed until nothing
//! more qualifies (removing a child can free its parent).

use serde::Serialize;

use super::{ImageSummary, is_image_in_use, is_image_unknown};
use crate::error::Result;
use crate::events::EventStatus;
use crate::runtime::Runtime;

/// A `label=` (or, negated, `label!=`) filter: `key` or `key=value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelFilter {
    /// The label's key.
    pub key: String,
    /// The value it must have (`None`: any value).
    pub value: Option<String>,
    /// `label!=`: the image must not match.
    pub negated: bool,
}

impl LabelFilter {
    /// Parses the value of a `label=` filter (`key` or `key=value`).
    pub fn parse(spec: &str, negated: bool) -> LabelFilter {
        let (key, value) = match spec.split_once('=') {
            Some((k, v)) => (k.to_string(), Some(v.to_string())),
            None => (spec.to_string(), None),
        };
        LabelFilter {
            key,
            value,
            negated,
        }
    }

    /// True when `labels` pass this filter.
    pub fn passes(&self, labels: &std::collections::BTreeMap<String, String>) -> bool {
        let has = match &self.value {
            Some(v) => labels.get(&self.key) == Some(v),
            None => labels.contains_key(&self.key),
        };
        has != self.negated
    }
}

/// Options of `image prune`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImagePruneOptions {
    /// Every image no container uses, not only dangling ones (`-a`).
    pub all: bool,
    /// Label filters every pruned image passes.
    pub labels: Vec<LabelFilter>,
    /// Only images created before this time (`until=`).
    pub until: Option<chrono::DateTime<chrono::Utc>>,
}

/// One removed object of a prune.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PruneReport {
    /// ID (or name, for volumes).
    pub id: String,
    /// Bytes freed (0 when not measured).
    pub size: u64,
}

/// The IDs of the images in `images` that `opts` prunes: unused by storage
/// containers, not intermediate, dangling unless `all`, passing every filter.
pub fn select_prunable(images: &[ImageSummary], opts: &ImagePruneOptions) -> Vec<String> {
    images
        .iter()
        .filter(|i| i.containers == 0 && !i.intermediate)
        .filter(|i| opts.all || i.rec.names.is_empty())
        .filter(|i| opts.labels.iter().all(|f| f.passes(&i.labels)))
        .filter(|i| opts.until.is_none_or(|u| i.rec.created < u))
        .map(|i| i.rec.id.clone())
        .collect()
}

impl Runtime {
    /// Removes the images `opts` selects, again and again until a round
    /// removes none, emitting `remove` for each; images that are in use or
    /// went away meanwhile are skipped. Returns what was removed, in order.
    pub fn prune_images(&self, opts: &ImagePruneOptions) -> Result<Vec<PruneReport>> {
        let store = self.storage_or_err()?;
        let mut removed = Vec::new();
        loop {
            let mut progress = false;
            let images = super::image_summaries(store)?;
            for id in select_prunable(&images, opts) {
                let size = images
                    .iter()
                    .find(|i| i.rec.id == id)
                    .map_or(0, |i| i.rec.size);
                match store.remove_image(&id) {
                    Ok(()) => {
                        self.emit_image_event(EventStatus::Remove, &id, "");
                        removed.push(PruneReport { id, size });
                        progress = true;
                    }
                    Err(e) if is_image_in_use(&e) || is_image_unknown(&e) => {}
                    Err(e) => return Err(e),
                }
            }
            if !progress {
                return Ok(removed);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::storage::ImageRecord;

    fn image(id: &str, names: &[&str], labels: &[(&str, &str)]) -> ImageSummary {
        ImageSummary {
            rec: ImageRecord {
                id: id.into(),
                names: names.iter().map(|s| s.to_string()).collect(),
                digest: String::new(),
                top_layer: String::new(),
                created: chrono::Utc::now(),
                size: 1,
                read_only: false,
            },
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
            parent: String::new(),
            intermediate: false,
            containers: 0,
        }
    }

    #[test]
    fn dangling_images_go_unless_used_or_intermediate() {
        let mut used = image("used", &[], &[]);
        used.containers = 1;
        let mut mid = image("mid", &[], &[]);
        mid.intermediate = true;
        let list = [
            image("dangling", &[], &[]),
            image("named", &["x"], &[]),
            used,
            mid,
        ];
        let opts = ImagePruneOptions::default();
        assert_eq!(select_prunable(&list, &opts), ["dangling"]);
        let all = ImagePruneOptions {
            all: true,
            ..Default::default()
        };
        assert_eq!(select_prunable(&list, &all), ["dangling", "named"]);
    }

    #[test]
    fn label_filters_narrow_the_choice() {
        let list = [
            image("a", &[], &[("tier", "web")]),
            image("b", &[], &[("tier", "db")]),
            image("c", &[], &[]),
        ];
        let only = |labels| ImagePruneOptions {
            all: false,
            labels,
            until: None,
        };
        let web = vec![LabelFilter::parse("tier=web", false)];
        assert_eq!(select_prunable(&list, &only(web)), ["a"]);
        let any_tier = vec![LabelFilter::parse("tier", false)];
        assert_eq!(select_prunable(&list, &only(any_tier)), ["a", "b"]);
        let not_web = vec![LabelFilter::parse("tier=web", true)];
        assert_eq!(select_prunable(&list, &only(not_web)), ["b", "c"]);
    }
}
