//! `import`, `load` and `save`: images in and out of the store through
//! streams the front end opens, each with its event.

use std::io::{Read, Write};
use std::path::Path;

use super::names::refers_by_id;
use crate::error::Result;
use crate::events::EventStatus;
use crate::runtime::Runtime;
use crate::storage::{ArchiveFormat, ImageRecord, ImportOptions};

/// Images picked for `save`: each image's ID with the names to record in
/// the archive (none when it was named by ID).
pub type SaveSelection = Vec<(String, Vec<String>)>;

impl Runtime {
    /// Imports a root filesystem tarball as a new image; emits `import`.
    pub fn import_image(&self, tar: &mut dyn Read, opts: &ImportOptions) -> Result<ImageRecord> {
        let rec = self.storage_or_err()?.import_image(tar, opts)?;
        self.emit_image_event(
            EventStatus::Import,
            &rec.id,
            rec.names.first().map(String::as_str).unwrap_or(""),
        );
        Ok(rec)
    }

    /// Loads the images of a docker-archive or oci-archive stream; emits
    /// `loadfromarchive` for each.
    pub fn load_images(&self, archive: &mut dyn Read) -> Result<Vec<ImageRecord>> {
        let recs = self.storage_or_err()?.load_images(archive)?;
        for rec in &recs {
            self.emit_image_event(
                EventStatus::LoadFromArchive,
                &rec.id,
                rec.names.first().map(String::as_str).unwrap_or(""),
            );
        }
        Ok(recs)
    }

    /// Resolves the references of a `save`: a reference by ID records no
    /// name, any other records itself.
    pub fn save_selection(&self, references: &[String]) -> Result<SaveSelection> {
        let store = self.storage_or_err()?;
        references
            .iter()
            .map(|r| {
                let img = store.lookup_image(r)?;
                let names = if refers_by_id(r, &img.id) {
                    Vec::new()
                } else {
                    vec![r.clone()]
                };
                Ok((img.id, names))
            })
            .collect()
    }

    /// Writes the selected images in `format` to `out` (to `dir` for
    /// [`ArchiveFormat::OciDir`]); emits `save` for each once written.
    pub fn save_images(
        &self,
        selection: &SaveSelection,
        format: ArchiveFormat,
        out: &mut dyn Write,
        dir: Option<&Path>,
    ) -> Result<()> {
        self.storage_or_err()?
            .save_images(selection, format, out, dir)?;
        for (id, names) in selection {
            self.emit_image_event(
                EventStatus::Save,
                id,
                names.first().map(String::as_str).unwrap_or(""),
            );
        }
        Ok(())
    }
}
