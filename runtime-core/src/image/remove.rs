//! `rmi`: removing images or some of their names, with Podman's rules (a
//! reference by name drops only that name while others remain; a reference
//! by ID to a multi-named image needs `force`; `force` removes the
//! containers using the image first) and exit codes.

use serde::Serialize;

use super::names::{matched_name, refers_by_id};
use super::{is_image_in_use, is_image_unknown};
use crate::container::RemoveOptions;
use crate::error::{Error, Result};
use crate::events::EventStatus;
use crate::runtime::Runtime;
use crate::storage::Storage;

/// Options of `rmi`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImageRemoveOptions {
    /// Every image, children before parents (`-a`; no references then).
    pub all: bool,
    /// Remove multi-named images by ID and the containers using an image (`-f`).
    pub force: bool,
    /// A missing image is not an error (`-i`; implied by `force`).
    pub ignore: bool,
}

/// What `rmi` did (libpod's `ImageRemoveReport`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ImageRemoveReport {
    /// IDs of the images removed.
    pub deleted: Vec<String>,
    /// Names removed.
    pub untagged: Vec<String>,
    /// 0; 1 when only missing images failed, 2 when one is in use, 125
    /// for any other failure.
    pub exit_code: i32,
}

/// The exit code for a set of failures: 2 when one is an image in use,
/// 1 when every one is a missing image, else 125 (0 without failures).
pub fn remove_exit_code(errors: &[Error]) -> i32 {
    if errors.is_empty() {
        0
    } else if errors.iter().any(is_image_in_use) {
        2
    } else if errors.iter().all(is_image_unknown) {
        1
    } else {
        125
    }
}

impl Runtime {
    /// Removes the images `references` name (every image with `all`) and
    /// returns the report and the failures, in order; one failure does not
    /// stop the others.
    pub fn remove_images(
        &self,
        references: &[String],
        opts: &ImageRemoveOptions,
    ) -> Result<(ImageRemoveReport, Vec<Error>)> {
        let store = self.storage_or_err()?;
        let targets: Vec<String> = if opts.all {
            let mut all = super::image_summaries(store)?;
            // Children before parents.
            all.sort_by_key(|i| std::cmp::Reverse(i.rec.created));
            all.into_iter().map(|i| i.rec.id).collect()
        } else {
            references.to_vec()
        };
        let ignore = opts.ignore || opts.force;
        let mut report = ImageRemoveReport::default();
        let mut errors = Vec::new();
        for t in &targets {
            match self.remove_image_ref(store, t, opts.force, &mut report) {
                Ok(()) => {}
                Err(e) if ignore && is_image_unknown(&e) => {}
                Err(e) => errors.push(e),
            }
        }
        report.exit_code = remove_exit_code(&errors);
        Ok((report, errors))
    }

    /// Removes one image, or only the name `reference` picked when the
    /// image has others.
    fn remove_image_ref(
        &self,
        store: &dyn Storage,
        reference: &str,
        force: bool,
        report: &mut ImageRemoveReport,
    ) -> Result<()> {
        let img = store.lookup_image(reference)?;
        let by_id = refers_by_id(reference, &img.id);
        if !by_id
            && img.names.len() > 1
            && let Some(name) = matched_name(reference, &img)
        {
            store.untag_image(&img.id, &name)?;
            self.emit_image_event(EventStatus::Untag, &img.id, &name);
            report.untagged.push(name);
            return Ok(());
        }
        if by_id && img.names.len() > 1 && !force {
            return Err(Error::msg(format!(
                "unable to delete image {:?} by ID with more than one tag ([{}]): please force removal",
                img.id,
                img.names.join(" ")
            )));
        }
        if force {
            // Podman's `rmi -f` removes the containers that use the image first.
            let users = self
                .containers_for_listing()?
                .into_iter()
                .filter(|c| c.config().rootfs_image_id == img.id);
            for mut c in users {
                let opts = RemoveOptions {
                    force: true,
                    volumes: false,
                    timeout: None,
                };
                match c.remove(opts) {
                    Ok(()) => {}
                    Err(e) if e.is(&Error::CtrRemoved) => {}
                    Err(e) => return Err(e),
                }
            }
        }
        store.remove_image(&img.id)?;
        for n in &img.names {
            self.emit_image_event(EventStatus::Untag, &img.id, n);
            report.untagged.push(n.clone());
        }
        self.emit_image_event(
            EventStatus::Remove,
            &img.id,
            img.names.first().map(String::as_str).unwrap_or(""),
        );
        report.deleted.push(img.id);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_podman() {
        let unknown = || Error::msg("image not known").context("x");
        let in_use = || Error::msg("image used by a: image is in use by a container");
        assert_eq!(remove_exit_code(&[]), 0);
        assert_eq!(remove_exit_code(&[unknown(), unknown()]), 1);
        assert_eq!(remove_exit_code(&[unknown(), in_use()]), 2);
        assert_eq!(
            remove_exit_code(&[unknown(), Error::msg("disk on fire")]),
            125
        );
    }
}
