//! A layer's tar (exact from tar-split, or re-tarred) and the changes a
//! layer makes over its parent.

use std::collections::HashSet;
use std::fs::{self, File};
use std::io::{self, Seek, Write};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

use rpod_runtime_core::Result;
use rpod_runtime_core::error::IoResultExt;
use rpod_runtime_core::names::generate_id;
use rpod_runtime_core::storage::Change;

use super::{Driver, Store};
use crate::layers::Layer;
use crate::tar_apply::assemble_layer;
use crate::{overlay, treetar, vfs};

impl Store {
    /// Writes layer `l`'s exact tar to `out` (from tar-split, or re-tarred
    /// from its files when there is none); returns the bytes written.
    pub fn write_layer_tar(&self, l: &Layer, out: &mut dyn Write) -> Result<u64> {
        let ts = self.layout.tar_split(&l.id);
        if ts.exists() {
            return assemble_layer(&ts, &self.layer_root(&l.id), out);
        }
        let mut w = CountingWriter { inner: out, n: 0 };
        match self.driver {
            Driver::Overlay => treetar::write_overlay_diff(&self.layer_root(&l.id), &mut w)?,
            Driver::Vfs => self.write_vfs_changes(&l.parent, &l.id, &mut w)?,
        }
        Ok(w.n)
    }

    /// An anonymous read-write scratch file in the store's tmp dir (already
    /// unlinked, so nothing is left behind); the path is for error messages.
    pub(super) fn scratch_file(&self, prefix: &str) -> Result<(File, PathBuf)> {
        let tmpd = self.layout.tmp_dir();
        fs::create_dir_all(&tmpd).at(&tmpd)?;
        let p = tmpd.join(format!("{prefix}-{}", generate_id()?));
        let f = fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create_new(true)
            .open(&p)
            .at(&p)?;
        let _ = fs::remove_file(&p);
        Ok((f, p))
    }

    /// The layer tar as a seekable file of known size (a temp file when
    /// the tar cannot be rebuilt to its recorded size).
    pub fn layer_tar_file(&self, l: &Layer) -> Result<(File, u64)> {
        let (mut f, p) = self.scratch_file("layer")?;
        let n = self.write_layer_tar(l, &mut f)?;
        f.rewind().at(&p)?;
        Ok((f, n))
    }

    pub(super) fn vfs_changes(&self, parent: &str, id: &str) -> Result<Vec<Change>> {
        let home = self.layout.driver_home();
        let new = vfs::layer_dir(&home, id);
        let old = if parent.is_empty() {
            None
        } else {
            Some(vfs::layer_dir(&home, parent))
        };
        let new_paths = treetar::walk(&new)?;
        let old_paths: Vec<PathBuf> = match &old {
            Some(o) => treetar::walk(o)?,
            None => Vec::new(),
        };
        let old_set: HashSet<&PathBuf> = old_paths.iter().collect();
        let new_set: HashSet<&PathBuf> = new_paths.iter().collect();
        let mut out = Vec::new();
        for p in &new_paths {
            let nm = fs::symlink_metadata(new.join(p)).at(new.join(p))?;
            let kind = if !old_set.contains(p) {
                'A'
            } else {
                let om = fs::symlink_metadata(old.as_ref().map(|o| o.join(p)).unwrap_or_default())
                    .at(p)?;
                let same = om.mode() == nm.mode()
                    && om.uid() == nm.uid()
                    && om.gid() == nm.gid()
                    && om.rdev() == nm.rdev()
                    && (nm.is_dir() || om.size() == nm.size())
                    && om.mtime() == nm.mtime()
                    && om.mtime_nsec() == nm.mtime_nsec();
                if same {
                    continue;
                }
                'C'
            };
            out.push(Change {
                kind,
                path: format!("/{}", p.display()),
            });
        }
        for p in &old_paths {
            if !new_set.contains(p)
                && p.parent().is_none_or(|pp| {
                    pp.as_os_str().is_empty() || new_set.contains(&pp.to_path_buf())
                })
            {
                out.push(Change {
                    kind: 'D',
                    path: format!("/{}", p.display()),
                });
            }
        }
        out.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(out)
    }

    pub(super) fn write_vfs_changes(
        &self,
        parent: &str,
        id: &str,
        out: &mut dyn Write,
    ) -> Result<()> {
        let root = vfs::layer_dir(&self.layout.driver_home(), id);
        let mut tw = treetar::TarWriter::new(out);
        for c in self.vfs_changes(parent, id)? {
            let rel = PathBuf::from(c.path.trim_start_matches('/'));
            if c.kind == 'D' {
                tw.whiteout(&rel)?;
            } else {
                tw.add(&root, &rel)?;
            }
        }
        tw.finish()?;
        Ok(())
    }

    pub(super) fn overlay_changes(&self, id: &str) -> Result<Vec<Change>> {
        let home = self.layout.driver_home();
        let upper = overlay::diff_dir(&home, id);
        let lowers = overlay::lowers(&home, id)?;
        let mut out = Vec::new();
        for rel in treetar::walk(&upper)? {
            let meta = fs::symlink_metadata(upper.join(&rel)).at(upper.join(&rel))?;
            let kind = if crate::whiteout::is_overlay_whiteout(&meta) {
                'D'
            } else {
                let mut found = false;
                for l in &lowers {
                    if let Ok(m) = fs::symlink_metadata(l.join(&rel)) {
                        found = !crate::whiteout::is_overlay_whiteout(&m);
                        break;
                    }
                }
                if found { 'C' } else { 'A' }
            };
            out.push(Change {
                kind,
                path: format!("/{}", rel.display()),
            });
        }
        Ok(out)
    }
}

pub(super) struct CountingWriter<'a> {
    inner: &'a mut dyn Write,
    n: u64,
}

impl Write for CountingWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.n += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
