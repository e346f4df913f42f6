//! Writing one tar entry at a time under the layer root: files, links,
//! device nodes, whiteouts, owners, modes, times and xattrs.

use std::collections::HashSet;
use std::ffi::OsStr;
use std::fs::{self, File, OpenOptions};
use std::io::{self, ErrorKind, Read};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::sys::stat::{Mode, SFlag, UtimensatFlags, makedev, mknod, utimensat};
use nix::sys::time::TimeSpec;
use rpod_runtime_core::error::IoResultExt;
use rpod_runtime_core::{Error, Result};
use tar::EntryType;

use super::Target;
use super::confine::{components, refuse, resolve_dir, symlink_target_inside};
use super::tar_split::CrcRead;
use crate::digest::Crc64;
use crate::whiteout::{WH_META_PREFIX, WH_OPAQUE, WH_PREFIX, make_overlay_whiteout, set_opaque};

/// Applies entries under `root`; directory times are set last, by [`Extractor::finish`].
pub(super) struct Extractor {
    pub(super) root: PathBuf,
    pub(super) target: Target,
    pub(super) is_root: bool,
    pub(super) created: HashSet<PathBuf>,
    pub(super) dir_times: Vec<(PathBuf, i64)>,
}

fn remove_any(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

fn set_times(path: &Path, mtime: i64) {
    let t = TimeSpec::new(mtime, 0);
    if let Err(e) = utimensat(
        nix::fcntl::AT_FDCWD,
        path,
        &t,
        &t,
        UtimensatFlags::NoFollowSymlink,
    ) {
        tracing::debug!("setting times of {}: {e}", path.display());
    }
}

impl Extractor {
    pub(super) fn entry<R: Read>(
        &mut self,
        e: &mut tar::Entry<'_, R>,
        name: &[u8],
        crc: &mut Crc64,
    ) -> Result<()> {
        let comps = components(name).map_err(|w| refuse(name, w))?;
        let hdr = e.header().clone();
        let kind = hdr.entry_type();
        let Some((last, parents)) = comps.split_last() else {
            // The layer root itself: only its metadata.
            if kind.is_dir() {
                let mode = hdr.mode().unwrap_or(0o755);
                self.meta(&self.root.clone(), &hdr, mode, &[], None)?;
            }
            return Ok(());
        };
        let last_b = last.as_bytes();
        let rel_parent: PathBuf = parents.iter().collect();
        // Whiteouts.
        if last_b == WH_OPAQUE.as_bytes() {
            let dir = resolve_dir(&self.root, parents, true, Some(&mut self.created))
                .map_err(|w| refuse(name, w))?;
            match self.target {
                Target::Overlay => set_opaque(&dir).at(&dir)?,
                Target::Vfs => {
                    for child in fs::read_dir(&dir).at(&dir)? {
                        let child = child.at(&dir)?;
                        if !self.created.contains(&rel_parent.join(child.file_name())) {
                            remove_any(&child.path()).at(child.path())?;
                        }
                    }
                }
            }
            return Ok(());
        }
        if last_b.starts_with(WH_META_PREFIX.as_bytes()) {
            return Ok(());
        }
        if let Some(hidden) = last_b.strip_prefix(WH_PREFIX.as_bytes()) {
            if hidden.is_empty() || hidden == b"." || hidden == b".." {
                return Err(refuse(name, "bad whiteout"));
            }
            let dir = resolve_dir(&self.root, parents, true, Some(&mut self.created))
                .map_err(|w| refuse(name, w))?;
            let path = dir.join(OsStr::from_bytes(hidden));
            remove_any(&path).at(&path)?;
            if self.target == Target::Overlay {
                make_overlay_whiteout(&path).at(&path)?;
            }
            return Ok(());
        }

        let dir = resolve_dir(&self.root, parents, true, Some(&mut self.created))
            .map_err(|w| refuse(name, w))?;
        let path = dir.join(last);
        let rel = rel_parent.join(last);
        let mode = hdr.mode().map_err(|e| refuse(name, e))? & 0o7777;
        let mut xattrs = Vec::new();
        if let Ok(Some(exts)) = e.pax_extensions() {
            for ext in exts.flatten() {
                if let Ok(k) = ext.key()
                    && let Some(x) = k.strip_prefix("SCHILY.xattr.")
                    && !x.starts_with("trusted.overlay.")
                    && !x.starts_with("user.overlay.")
                {
                    xattrs.push((x.to_string(), ext.value_bytes().to_vec()));
                }
            }
        }
        // An existing entry is replaced unless both are directories.
        match fs::symlink_metadata(&path) {
            Ok(m) if m.file_type().is_dir() && kind.is_dir() => {}
            Ok(_) => remove_any(&path).at(&path)?,
            Err(_) => {}
        }
        match kind {
            EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                let mut f = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .custom_flags(libc::O_NOFOLLOW)
                    .open(&path)
                    .at(&path)?;
                io::copy(&mut CrcRead { inner: e, crc }, &mut f).at(&path)?;
                self.meta(&path, &hdr, mode, &xattrs, Some(&f))?;
            }
            EntryType::Directory => {
                if fs::symlink_metadata(&path).is_err() {
                    fs::create_dir(&path).at(&path)?;
                }
                self.meta(&path, &hdr, mode, &xattrs, None)?;
            }
            EntryType::Symlink => {
                let target = e
                    .link_name_bytes()
                    .ok_or_else(|| refuse(name, "symlink without target"))?
                    .into_owned();
                if !symlink_target_inside(parents.len(), &target) {
                    return Err(refuse(name, "symlink points outside the layer"));
                }
                std::os::unix::fs::symlink(OsStr::from_bytes(&target), &path).at(&path)?;
                self.meta(&path, &hdr, mode, &xattrs, None)?;
            }
            EntryType::Link => {
                let target = e
                    .link_name_bytes()
                    .ok_or_else(|| refuse(name, "hard link without target"))?
                    .into_owned();
                let tcomps = components(&target)
                    .map_err(|w| refuse(name, format!("hard link target: {w}")))?;
                let Some((tlast, tparents)) = tcomps.split_last() else {
                    return Err(refuse(name, "hard link to the layer root"));
                };
                let tdir = resolve_dir(&self.root, tparents, false, None)
                    .map_err(|w| refuse(name, format!("hard link target: {w}")))?;
                let tpath = tdir.join(tlast);
                match fs::symlink_metadata(&tpath) {
                    Ok(m) if !m.file_type().is_dir() => {}
                    _ => return Err(refuse(name, "hard link target missing or a directory")),
                }
                fs::hard_link(&tpath, &path).at(&path)?;
            }
            EntryType::Char | EntryType::Block | EntryType::Fifo => {
                let (sflag, dev) = match kind {
                    EntryType::Fifo => (SFlag::S_IFIFO, 0),
                    k => {
                        if !self.is_root {
                            tracing::warn!("skipping device node {} (not root)", rel.display());
                            return Ok(());
                        }
                        let maj = hdr.device_major().ok().flatten().unwrap_or(0);
                        let min = hdr.device_minor().ok().flatten().unwrap_or(0);
                        let f = if k == EntryType::Char {
                            SFlag::S_IFCHR
                        } else {
                            SFlag::S_IFBLK
                        };
                        (f, makedev(u64::from(maj), u64::from(min)))
                    }
                };
                mknod(&path, sflag, Mode::from_bits_truncate(mode), dev)
                    .map_err(|e| Error::io(&path, e.into()))?;
                self.meta(&path, &hdr, mode, &xattrs, None)?;
            }
            other => {
                tracing::debug!("skipping tar entry {} of type {other:?}", rel.display());
                return Ok(());
            }
        }
        self.created.insert(rel);
        Ok(())
    }

    fn meta(
        &mut self,
        path: &Path,
        hdr: &tar::Header,
        mode: u32,
        xattrs: &[(String, Vec<u8>)],
        file: Option<&File>,
    ) -> Result<()> {
        let symlink = hdr.entry_type() == EntryType::Symlink;
        if self.is_root {
            let uid = hdr.uid().ok().map(|u| u as u32);
            let gid = hdr.gid().ok().map(|g| g as u32);
            match file {
                Some(f) => std::os::unix::fs::fchown(f, uid, gid).at(path)?,
                None => std::os::unix::fs::lchown(path, uid, gid).at(path)?,
            }
        }
        for (k, v) in xattrs {
            if let Err(e) = crate::sys::lsetxattr(path, k, v) {
                tracing::warn!("setting xattr {k} on {}: {e}", path.display());
            }
        }
        if !symlink {
            // After chown, which clears setuid/setgid.
            let perm = fs::Permissions::from_mode(mode);
            match file {
                Some(f) => f.set_permissions(perm).at(path)?,
                None => fs::set_permissions(path, perm).at(path)?,
            }
        }
        let mtime = hdr.mtime().unwrap_or(0) as i64;
        if hdr.entry_type().is_dir() {
            self.dir_times.push((path.to_path_buf(), mtime));
        } else {
            set_times(path, mtime);
        }
        Ok(())
    }

    pub(super) fn finish(&mut self) {
        for (p, t) in self.dir_times.iter().rev() {
            set_times(p, *t);
        }
    }
}
