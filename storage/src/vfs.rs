//! The vfs driver: `vfs/dir/<id>` is a full copy of the parent layer plus
//! this layer's changes (whiteouts applied as deletions). No mounts.

use std::collections::HashMap;
use std::fs;
use std::os::unix::fs::{FileTypeExt, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::sys::stat::{Mode, SFlag, mknod};
use nix::sys::time::TimeSpec;
use rpod_runtime_core::error::IoResultExt;
use rpod_runtime_core::{Error, Result};

/// A layer's directory.
pub fn layer_dir(home: &Path, id: &str) -> PathBuf {
    home.join("dir").join(id)
}

/// Creates the directory of a layer being written, as a copy of `parent`'s.
pub fn create_staging(home: &Path, id: &str, parent: &str) -> Result<PathBuf> {
    let dir = layer_dir(home, id);
    fs::create_dir_all(home.join("dir")).at(home.join("dir"))?;
    if parent.is_empty() {
        fs::create_dir(&dir).at(&dir)?;
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).at(&dir)?;
    } else {
        copy_tree(&layer_dir(home, parent), &dir)?;
    }
    Ok(dir)
}

/// Renames a finished layer from `tmp` to `id`.
pub fn finalize(home: &Path, tmp: &str, id: &str) -> Result<()> {
    if tmp != id {
        fs::rename(layer_dir(home, tmp), layer_dir(home, id)).at(layer_dir(home, id))?;
    }
    Ok(())
}

/// Removes a layer's directory.
pub fn remove(home: &Path, id: &str) -> Result<()> {
    let dir = layer_dir(home, id);
    match fs::remove_dir_all(&dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(&dir, e)),
    }
}

fn copy_meta(src: &Path, dst: &Path, meta: &fs::Metadata) -> Result<()> {
    std::os::unix::fs::lchown(dst, Some(meta.uid()), Some(meta.gid())).at(dst)?;
    for name in crate::sys::llistxattr(src).unwrap_or_default() {
        if let Ok(Some(v)) = crate::sys::lgetxattr(src, &name)
            && let Err(e) = crate::sys::lsetxattr(dst, &name, &v)
        {
            tracing::debug!("copying xattr {name} to {}: {e}", dst.display());
        }
    }
    if !meta.file_type().is_symlink() {
        fs::set_permissions(dst, fs::Permissions::from_mode(meta.mode() & 0o7777)).at(dst)?;
    }
    let a = TimeSpec::new(meta.atime(), meta.atime_nsec());
    let m = TimeSpec::new(meta.mtime(), meta.mtime_nsec());
    let _ = nix::sys::stat::utimensat(
        nix::fcntl::AT_FDCWD,
        dst,
        &a,
        &m,
        nix::sys::stat::UtimensatFlags::NoFollowSymlink,
    );
    Ok(())
}

/// Copies the tree `src` to `dst` (which must not exist), keeping owners,
/// modes, times, xattrs, hard links, symlinks and device nodes.
pub fn copy_tree(src: &Path, dst: &Path) -> Result<()> {
    let mut links: HashMap<(u64, u64), PathBuf> = HashMap::new();
    let mut dirs = Vec::new();
    let root_meta = fs::symlink_metadata(src).at(src)?;
    fs::create_dir(dst).at(dst)?;
    dirs.push((src.to_path_buf(), dst.to_path_buf(), root_meta));
    for rel in crate::treetar::walk(src)? {
        let s = src.join(&rel);
        let d = dst.join(&rel);
        let meta = fs::symlink_metadata(&s).at(&s)?;
        let ft = meta.file_type();
        if ft.is_dir() {
            fs::create_dir(&d).at(&d)?;
            dirs.push((s, d, meta));
            continue;
        }
        if !ft.is_symlink() && meta.nlink() > 1 {
            let key = (meta.dev(), meta.ino());
            if let Some(first) = links.get(&key) {
                fs::hard_link(first, &d).at(&d)?;
                continue;
            }
            links.insert(key, d.clone());
        }
        if ft.is_symlink() {
            let t = fs::read_link(&s).at(&s)?;
            std::os::unix::fs::symlink(t, &d).at(&d)?;
        } else if ft.is_file() {
            fs::copy(&s, &d).at(&d)?;
        } else {
            let kind = if ft.is_char_device() {
                SFlag::S_IFCHR
            } else if ft.is_block_device() {
                SFlag::S_IFBLK
            } else if ft.is_fifo() {
                SFlag::S_IFIFO
            } else {
                continue;
            };
            mknod(
                &d,
                kind,
                Mode::from_bits_truncate(meta.mode() & 0o7777),
                meta.rdev(),
            )
            .map_err(|e| Error::io(&d, e.into()))?;
        }
        copy_meta(&s, &d, &meta)?;
    }
    for (s, d, meta) in dirs.iter().rev() {
        copy_meta(s, d, meta)?;
    }
    Ok(())
}
