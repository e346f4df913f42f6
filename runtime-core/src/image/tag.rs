//! `tag` and `untag`: names added to and removed from an image, each with
//! its event (named in the stored form).

use super::names::normalized_name;
use crate::error::{Error, Result};
use crate::events::EventStatus;
use crate::runtime::Runtime;

impl Runtime {
    /// Adds `names` to the image `reference` names (moving each from any
    /// image that had it); emits `tag` for each.
    pub fn tag_image(&self, reference: &str, names: &[String]) -> Result<()> {
        let store = self.storage_or_err()?;
        let img = store.lookup_image(reference)?;
        for n in names {
            store.tag_image(&img.id, n)?;
            self.emit_image_event(EventStatus::Tag, &img.id, &normalized_name(n));
        }
        Ok(())
    }

    /// Removes `names` (all of its names when empty) from the image
    /// `reference` names; emits `untag` for each. A name the image does not
    /// have fails with `<name>: tag not known`.
    pub fn untag_image(&self, reference: &str, names: &[String]) -> Result<()> {
        let store = self.storage_or_err()?;
        let img = store.lookup_image(reference)?;
        let names = if names.is_empty() {
            img.names.clone()
        } else {
            names.to_vec()
        };
        for n in &names {
            store.untag_image(&img.id, n).map_err(|e| {
                if e.to_string().ends_with("tag not known") {
                    Error::msg(format!("{}: tag not known", normalized_name(n)))
                } else {
                    e
                }
            })?;
            self.emit_image_event(EventStatus::Untag, &img.id, &normalized_name(n));
        }
        Ok(())
    }
}
