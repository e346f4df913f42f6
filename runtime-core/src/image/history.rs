//! `history`: an image's history entries, newest first, each matched with
//! the layer it made and the image that layer tops.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::layer_chain;
use crate::error::Result;
use crate::runtime::Runtime;

/// The ID shown for a history entry no image stands for.
pub const MISSING_ID: &str = "<missing>";

/// One history entry (libpod's `ImageHistory` layer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageHistoryEntry {
    /// The image whose top layer this entry made, else [`MISSING_ID`]; the
    /// newest entry is the image itself.
    pub id: String,
    /// When the entry was made, when recorded.
    pub created: Option<DateTime<Utc>>,
    /// The command that made it.
    pub created_by: String,
    /// The image's names on the newest entry, else none.
    pub tags: Vec<String>,
    /// Bytes of the layer it made (0 for an empty layer).
    pub size: u64,
    /// Comment.
    pub comment: String,
}

fn parse_time(v: &Value) -> Option<DateTime<Utc>> {
    v.as_str()
        .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
        .map(|d| d.with_timezone(&Utc))
}

impl Runtime {
    /// The history of the image `name_or_id`, newest entry first.
    pub fn image_history(&self, name_or_id: &str) -> Result<Vec<ImageHistoryEntry>> {
        let store = self.storage_or_err()?;
        let rec = store.lookup_image(name_or_id)?;
        let hist = store.image_history(&rec.id)?;
        let layers = layer_chain(store, &rec.top_layer)?;
        let images = store.images()?;
        // The image topped by a layer: this one if it is, else any.
        let image_of = |layer: &str| {
            if rec.top_layer == layer {
                return Some(rec.id.clone());
            }
            images
                .iter()
                .find(|im| im.top_layer == layer)
                .map(|im| im.id.clone())
        };
        let mut layer_idx = 0usize;
        let mut out = Vec::with_capacity(hist.len());
        for (i, h) in hist.iter().rev().enumerate() {
            let (mut id, size) = if h["empty_layer"].as_bool().unwrap_or(false) {
                (MISSING_ID.to_string(), 0)
            } else {
                let l = layers.get(layer_idx);
                layer_idx += 1;
                match l {
                    Some((lid, size)) => {
                        (image_of(lid).unwrap_or_else(|| MISSING_ID.into()), *size)
                    }
                    None => (MISSING_ID.into(), 0),
                }
            };
            if i == 0 {
                id.clone_from(&rec.id);
            }
            out.push(ImageHistoryEntry {
                tags: if id == rec.id {
                    rec.names.clone()
                } else {
                    Vec::new()
                },
                id,
                created: parse_time(&h["created"]),
                created_by: h["created_by"].as_str().unwrap_or("").to_string(),
                size,
                comment: h["comment"].as_str().unwrap_or("").to_string(),
            });
        }
        Ok(out)
    }
}
