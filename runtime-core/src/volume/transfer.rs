//! `volume export` and `volume import`: a volume's data as a tar stream,
//! read and written through a [`ConfinedRoot`] on its data directory.

use std::io::{Read, Write};
use std::path::Path;

use crate::confined::{ConfinedRoot, UnpackOptions};
use crate::error::Result;
use crate::runtime::Runtime;

impl Runtime {
    /// Writes the content of volume `name`'s data directory to `out` as a
    /// tar stream (entries relative to the directory).
    pub fn export_volume<W: Write>(&self, name: &str, out: W) -> Result<()> {
        let rec = self.lookup_volume(name)?;
        self.mount_volume(&rec.config.name)?;
        let root = ConfinedRoot::open(&rec.config.mount_point);
        let result = root.and_then(|r| r.pack(Path::new("/"), Path::new(""), out).map(drop));
        let unmounted = self.unmount_volume(&rec.config.name);
        result.and(unmounted)
    }

    /// Extracts the tar stream `input` into volume `name`'s data directory,
    /// keeping the archive's owners; entries that would land outside the
    /// volume fail the import.
    pub fn import_volume<R: Read>(&self, name: &str, input: R) -> Result<()> {
        let rec = self.lookup_volume(name)?;
        self.mount_volume(&rec.config.name)?;
        let root = ConfinedRoot::open(&rec.config.mount_point);
        let result = root.and_then(|r| r.unpack(Path::new("/"), input, &UnpackOptions::default()));
        let unmounted = self.unmount_volume(&rec.config.name);
        result.and(unmounted)
    }
}
