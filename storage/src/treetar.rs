//! Writing tars from directories: a container's changes (overlay upper dir,
//! whiteout devices turned back into `.wh.` entries), a vfs change list, or
//! a whole root filesystem for `export`. Also walks trees for `diff`.

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use rpod_runtime_core::error::IoResultExt;
use rpod_runtime_core::{Error, Result};
use tar::{EntryType, Header, HeaderMode};

use crate::whiteout::{OPAQUE_XATTR, WH_OPAQUE, WH_PREFIX, is_opaque, is_overlay_whiteout};

/// Writes tar entries for paths of a tree.
pub struct TarWriter<W: Write> {
    b: tar::Builder<W>,
    links: HashMap<(u64, u64), PathBuf>,
}

impl<W: Write> std::fmt::Debug for TarWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TarWriter").finish_non_exhaustive()
    }
}

fn terr(e: io::Error) -> Error {
    Error::msg(format!("writing tar: {e}"))
}

impl<W: Write> TarWriter<W> {
    /// A writer over `out`.
    pub fn new(out: W) -> Self {
        let mut b = tar::Builder::new(out);
        b.follow_symlinks(false);
        TarWriter {
            b,
            links: HashMap::new(),
        }
    }

    /// Adds `root/rel` itself (not its children) as `rel`.
    pub fn add(&mut self, root: &Path, rel: &Path) -> Result<()> {
        let path = root.join(rel);
        let meta = fs::symlink_metadata(&path).at(&path)?;
        let mut h = Header::new_gnu();
        h.set_metadata_in_mode(&meta, HeaderMode::Complete);
        let mut xattrs: Vec<(String, Vec<u8>)> = Vec::new();
        for name in crate::sys::llistxattr(&path).unwrap_or_default() {
            if name.starts_with("trusted.overlay.") || name.starts_with("user.overlay.") {
                continue;
            }
            if let Ok(Some(v)) = crate::sys::lgetxattr(&path, &name) {
                xattrs.push((format!("SCHILY.xattr.{name}"), v));
            }
        }
        if !xattrs.is_empty() {
            self.b
                .append_pax_extensions(xattrs.iter().map(|(k, v)| (k.as_str(), v.as_slice())))
                .map_err(terr)?;
        }
        let ft = meta.file_type();
        if ft.is_dir() {
            h.set_size(0);
            let name = if rel.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                rel.to_path_buf()
            };
            self.b
                .append_data(&mut h, name, io::empty())
                .map_err(terr)?;
        } else if ft.is_symlink() {
            let target = fs::read_link(&path).at(&path)?;
            h.set_size(0);
            self.b.append_link(&mut h, rel, target).map_err(terr)?;
        } else if ft.is_file() {
            if meta.nlink() > 1 {
                let key = (meta.dev(), meta.ino());
                if let Some(first) = self.links.get(&key) {
                    h.set_entry_type(EntryType::Link);
                    h.set_size(0);
                    let first = first.clone();
                    self.b.append_link(&mut h, rel, first).map_err(terr)?;
                    return Ok(());
                }
                self.links.insert(key, rel.to_path_buf());
            }
            let f = File::open(&path).at(&path)?;
            self.b.append_data(&mut h, rel, f).map_err(terr)?;
        } else {
            h.set_size(0);
            self.b.append_data(&mut h, rel, io::empty()).map_err(terr)?;
        }
        Ok(())
    }

    /// Adds a `.wh.<name>` entry deleting `rel`.
    pub fn whiteout(&mut self, rel: &Path) -> Result<()> {
        let name = rel
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let p = rel
            .parent()
            .unwrap_or(Path::new(""))
            .join(format!("{WH_PREFIX}{name}"));
        self.marker(&p)
    }

    /// Adds a `.wh..wh..opq` entry in `dir`.
    pub fn opaque(&mut self, dir: &Path) -> Result<()> {
        self.marker(&dir.join(WH_OPAQUE))
    }

    fn marker(&mut self, p: &Path) -> Result<()> {
        let mut h = Header::new_gnu();
        h.set_entry_type(EntryType::Regular);
        h.set_size(0);
        h.set_mode(0o644);
        self.b.append_data(&mut h, p, io::empty()).map_err(terr)
    }

    /// Writes the end-of-archive blocks and returns the writer.
    pub fn finish(self) -> Result<W> {
        self.b.into_inner().map_err(terr)
    }
}

/// Every path below `root` (relative, sorted, parents before children),
/// not following symlinks.
pub fn walk(root: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![PathBuf::new()];
    while let Some(rel) = stack.pop() {
        let dir = root.join(&rel);
        let mut names: Vec<_> = fs::read_dir(&dir)
            .at(&dir)?
            .map(|e| e.map(|e| e.file_name()))
            .collect::<io::Result<_>>()
            .at(&dir)?;
        names.sort();
        for n in names.into_iter().rev() {
            let r = rel.join(n);
            if fs::symlink_metadata(root.join(&r))
                .map(|m| m.is_dir())
                .unwrap_or(false)
            {
                stack.push(r.clone());
            }
            out.push(r);
        }
    }
    out.sort();
    Ok(out)
}

/// Writes an overlay upper (diff) dir as a layer tar: whiteout devices
/// become `.wh.` entries and opaque directories get `.wh..wh..opq`.
pub fn write_overlay_diff(upper: &Path, out: &mut dyn Write) -> Result<()> {
    let mut tw = TarWriter::new(out);
    for rel in walk(upper)? {
        let p = upper.join(&rel);
        let meta = fs::symlink_metadata(&p).at(&p)?;
        if is_overlay_whiteout(&meta) {
            tw.whiteout(&rel)?;
            continue;
        }
        tw.add(upper, &rel)?;
        if meta.is_dir() && is_opaque(&p) {
            tw.opaque(&rel)?;
        }
    }
    let _ = OPAQUE_XATTR;
    tw.finish()?;
    Ok(())
}

/// Writes the whole tree under `root` as a tar (for `export`).
pub fn write_tree(root: &Path, out: &mut dyn Write) -> Result<()> {
    let mut tw = TarWriter::new(out);
    for rel in walk(root)? {
        tw.add(root, &rel)?;
    }
    tw.finish()?;
    Ok(())
}
