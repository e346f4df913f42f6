//! How many bytes a container's read-write layer adds over its image.

use std::collections::HashSet;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rpod_runtime_core::Result;

use super::{Driver, Store};
use crate::{overlay, treetar, vfs};

/// Sums the sizes of the non-directory entries `rels` (relative to `root`),
/// counting each inode once so hard links are not counted twice; entries
/// that vanished meanwhile count 0.
pub(crate) fn files_size(root: &Path, rels: &[PathBuf]) -> u64 {
    let mut seen = HashSet::new();
    rels.iter()
        .filter_map(|r| fs::symlink_metadata(root.join(r)).ok())
        .filter(|m| !m.is_dir() && seen.insert((m.dev(), m.ino())))
        .map(|m| m.len())
        .sum()
}

impl Store {
    /// The size of what layer `layer` (a container's top layer) adds or
    /// changes over its parent: for overlay every file in its upper
    /// directory, for vfs the files that differ from the parent's copy.
    pub(super) fn layer_rw_size(&self, layer: &str, parent: &str) -> Result<u64> {
        let home = self.layout.driver_home();
        match self.driver {
            Driver::Overlay => {
                let upper = overlay::diff_dir(&home, layer);
                Ok(files_size(&upper, &treetar::walk(&upper)?))
            }
            Driver::Vfs => {
                let root = vfs::layer_dir(&home, layer);
                let changed: Vec<PathBuf> = self
                    .vfs_changes(parent, layer)?
                    .into_iter()
                    .filter(|c| c.kind != 'D')
                    .map(|c| PathBuf::from(c.path.trim_start_matches('/')))
                    .collect();
                Ok(files_size(&root, &changed))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hard_links_and_directories_are_not_counted() {
        let d = tempfile::tempdir().unwrap();
        fs::write(d.path().join("a"), [1u8; 6]).unwrap();
        fs::hard_link(d.path().join("a"), d.path().join("b")).unwrap();
        fs::create_dir(d.path().join("sub")).unwrap();
        fs::write(d.path().join("sub/c"), [1u8; 4]).unwrap();
        let rels: Vec<PathBuf> = ["a", "b", "sub", "sub/c", "gone"]
            .iter()
            .map(PathBuf::from)
            .collect();
        assert_eq!(files_size(d.path(), &rels), 10);
    }
}
