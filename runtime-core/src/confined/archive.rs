//! Tar streams in and out of a [`ConfinedRoot`]: `cp`, `volume export` and
//! `import`, and the copy-up of image content into a new volume.
//!
//! Packing walks the tree without following symlinks (they are archived as
//! links) and keeps owners, modes, times and hard links. Unpacking refuses
//! entries that climb out of the destination (`..`), and every file it
//! makes is created through the root, so a symlink planted in the
//! destination can never carry a write outside it.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use tar::{Builder, EntryType, Header};

use super::ConfinedRoot;
use crate::error::{Error, Result};

/// How [`ConfinedRoot::unpack`] writes entries.
#[derive(Debug, Clone, Copy, Default)]
pub struct UnpackOptions {
    /// Give every entry this owner (`uid`, `gid`) instead of the archive's.
    pub chown: Option<(u32, u32)>,
    /// Refuse to replace a directory with a non-directory or the reverse
    /// (Podman's default without `--overwrite`).
    pub keep_dir_kinds: bool,
}

/// An archive entry name made safe: `/` and `.` dropped, `..` refused.
fn clean_name(raw: &Path) -> Result<PathBuf> {
    let mut out = PathBuf::new();
    for c in raw.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::RootDir | Component::CurDir => {}
            Component::ParentDir | Component::Prefix(_) => {
                return Err(Error::InvalidArg.context(format!(
                    "archive entry {:?} escapes the destination",
                    raw.display()
                )));
            }
        }
    }
    Ok(out)
}

fn io_err(path: &Path, e: io::Error) -> Error {
    Error::io(path, e)
}

impl ConfinedRoot {
    /// Writes a tar of `path` (resolved in the root, a final symlink
    /// followed; symlinks below it are archived as links) to `out`. Its
    /// entries are named under `name`; an empty `name` archives the content
    /// of a directory without an entry for the directory itself.
    pub fn pack<W: Write>(&self, path: &Path, name: &Path, out: W) -> Result<W> {
        let mut b = Builder::new(out);
        b.follow_symlinks(false);
        let mut links = HashMap::new();
        let followed = self
            .metadata(path)?
            .ok_or_else(|| io_err(&self.shown(path), io::ErrorKind::NotFound.into()))?;
        let is_link = self
            .symlink_metadata(path)?
            .is_some_and(|m| m.file_type().is_symlink());
        if is_link && followed.is_dir() {
            self.subroot(path)?
                .pack_one(&mut b, Path::new("/"), name, &mut links)?;
        } else if is_link && followed.is_file() {
            let mut h = Header::new_gnu();
            h.set_metadata_in_mode(&followed, tar::HeaderMode::Complete);
            let file = self.open_read(path)?;
            b.append_data(&mut h, name, file.take(followed.len()))
                .map_err(|e| io_err(&self.shown(path), e))?;
        } else {
            self.pack_one(&mut b, path, name, &mut links)?;
        }
        b.into_inner().map_err(|e| io_err(path, e))
    }

    fn pack_one<W: Write>(
        &self,
        b: &mut Builder<W>,
        path: &Path,
        name: &Path,
        links: &mut HashMap<(u64, u64), PathBuf>,
    ) -> Result<()> {
        let meta = self
            .symlink_metadata(path)?
            .ok_or_else(|| io_err(&self.shown(path), io::ErrorKind::NotFound.into()))?;
        let ft = meta.file_type();
        let mut h = Header::new_gnu();
        h.set_metadata_in_mode(&meta, tar::HeaderMode::Complete);
        h.set_size(0);
        let shown = self.shown(path);
        let io = |e: io::Error| io_err(&shown, e);
        if ft.is_dir() {
            if !name.as_os_str().is_empty() {
                h.set_entry_type(EntryType::Directory);
                b.append_data(&mut h, name, io::empty()).map_err(io)?;
            }
            for child in self.read_dir(path)? {
                self.pack_one(b, &path.join(&child), &name.join(&child), links)?;
            }
            return Ok(());
        }
        if name.as_os_str().is_empty() {
            return Err(Error::InvalidArg.context(format!("{} is not a directory", path.display())));
        }
        if ft.is_symlink() {
            let target = self.readlink(path)?;
            h.set_entry_type(EntryType::Symlink);
            b.append_link(&mut h, name, &target).map_err(io)?;
        } else if ft.is_file() {
            let key = (meta.dev(), meta.ino());
            if meta.nlink() > 1 {
                if let Some(first) = links.get(&key) {
                    h.set_entry_type(EntryType::Link);
                    return b.append_link(&mut h, name, first).map_err(io);
                }
                links.insert(key, name.to_path_buf());
            }
            h.set_size(meta.len());
            let file = self.open_nofollow(path)?;
            // Exactly the recorded size, even if the file changes meanwhile.
            let mut data = file.take(meta.len());
            b.append_data(&mut h, name, &mut data).map_err(io)?;
        } else {
            // FIFOs and device nodes: the header carries everything.
            use std::os::unix::fs::FileTypeExt;
            let kind = if ft.is_fifo() {
                EntryType::Fifo
            } else if ft.is_char_device() {
                EntryType::Char
            } else if ft.is_block_device() {
                EntryType::Block
            } else {
                return Ok(()); // sockets are not archived
            };
            h.set_entry_type(kind);
            b.append_data(&mut h, name, io::empty()).map_err(io)?;
        }
        Ok(())
    }

    /// Extracts the tar stream `input` under `dest` (a directory in the
    /// root, made if missing). Entry names are taken relative to `dest`;
    /// one with `..` fails the extraction. Directory modes and times are
    /// applied last, so read-only directories still receive their content.
    pub fn unpack<R: Read>(&self, dest: &Path, input: R, opts: &UnpackOptions) -> Result<()> {
        self.create_dir_all(dest, 0o755)?;
        let mut archive = tar::Archive::new(input);
        let mut dirs: Vec<(PathBuf, u32, Option<u64>)> = Vec::new();
        let entries = archive
            .entries()
            .map_err(|e| io_err(&self.shown(dest), e))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| io_err(&self.shown(dest), e))?;
            let raw = entry
                .path()
                .map_err(|e| io_err(&self.shown(dest), e))?
                .into_owned();
            let rel = clean_name(&raw)?;
            let target = dest.join(&rel);
            let h = entry.header();
            let kind = h.entry_type();
            let mode = h.mode().unwrap_or(0o644);
            let mtime = h.mtime().ok();
            let (uid, gid) = match opts.chown {
                Some(ids) => ids,
                None => (
                    u32::try_from(h.uid().unwrap_or(0)).unwrap_or(0),
                    u32::try_from(h.gid().unwrap_or(0)).unwrap_or(0),
                ),
            };
            if let Some(parent) = target.parent() {
                self.create_dir_all(parent, 0o755)?;
            }
            let existing = self.symlink_metadata(&target)?;
            let is_dir = kind == EntryType::Directory;
            if let Some(m) = &existing {
                let was_dir = m.file_type().is_dir();
                if opts.keep_dir_kinds && was_dir != is_dir {
                    let what = if was_dir {
                        "directory"
                    } else {
                        "non-directory"
                    };
                    return Err(Error::InvalidArg.context(format!(
                        "{}: cannot overwrite {what} with {}",
                        target.display(),
                        if is_dir { "directory" } else { "non-directory" }
                    )));
                }
                if !(was_dir && is_dir) {
                    self.remove_all(&target)?;
                }
            }
            match kind {
                EntryType::Directory => {
                    self.create_dir_all(&target, 0o700)?;
                    self.set_owner(&target, uid, gid)?;
                    dirs.push((target, mode, mtime));
                    continue;
                }
                EntryType::Regular | EntryType::Continuous | EntryType::GNUSparse => {
                    let mut f = self.create_file(&target, 0o600)?;
                    io::copy(&mut entry, &mut f).map_err(|e| io_err(&self.shown(&target), e))?;
                }
                EntryType::Symlink => {
                    let link = entry
                        .link_name()
                        .map_err(|e| io_err(&self.shown(&target), e))?
                        .unwrap_or_default()
                        .into_owned();
                    self.symlink(&target, &link)?;
                    self.set_owner(&target, uid, gid)?;
                    continue;
                }
                EntryType::Link => {
                    let link = entry
                        .link_name()
                        .map_err(|e| io_err(&self.shown(&target), e))?
                        .unwrap_or_default()
                        .into_owned();
                    self.hardlink(&target, dest.join(clean_name(&link)?))?;
                    continue;
                }
                EntryType::Fifo => self.mkfifo(&target, 0o600)?,
                other => {
                    tracing::debug!("skipping archive entry {} of type {other:?}", raw.display());
                    continue;
                }
            }
            self.set_owner(&target, uid, gid)?;
            self.set_mode_and_mtime(&target, mode, mtime)?;
        }
        for (dir, mode, mtime) in dirs.into_iter().rev() {
            self.set_mode_and_mtime(&dir, mode, mtime)?;
        }
        Ok(())
    }
}

/// Copies the tree at `src_path` in `src` to `dst_path` in `dst` (the
/// directory's content when `src_path` is one, else the file as
/// `dst_path`), keeping owners, modes, times, links and hard links.
pub fn copy_tree(
    src: &ConfinedRoot,
    src_path: &Path,
    dst: &ConfinedRoot,
    dst_path: &Path,
) -> Result<()> {
    let (reader, writer) = io::pipe().map_err(|e| io_err(Path::new("pipe"), e))?;
    let is_dir = src
        .symlink_metadata(src_path)?
        .is_some_and(|m| m.file_type().is_dir());
    let (dest, name) = if is_dir {
        (dst_path.to_path_buf(), PathBuf::new())
    } else {
        let file_name = dst_path
            .file_name()
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("file"));
        (
            dst_path.parent().unwrap_or(Path::new("/")).to_path_buf(),
            file_name,
        )
    };
    std::thread::scope(|s| {
        let packer = s.spawn(move || src.pack(src_path, &name, writer).map(drop));
        let unpacked = dst.unpack(&dest, reader, &UnpackOptions::default());
        let packed = packer
            .join()
            .unwrap_or_else(|_| Err(Error::Internal.context("copy thread panicked")));
        unpacked.and(packed)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::{PermissionsExt, symlink};

    #[test]
    fn a_tree_round_trips_with_links_modes_and_owners() {
        let d = tempfile::tempdir().unwrap();
        let src = d.path().join("src");
        std::fs::create_dir_all(src.join("data/sub")).unwrap();
        std::fs::write(src.join("data/sub/f"), "hello").unwrap();
        std::fs::set_permissions(src.join("data/sub/f"), PermissionsExt::from_mode(0o640)).unwrap();
        std::fs::hard_link(src.join("data/sub/f"), src.join("data/hl")).unwrap();
        symlink("/etc/passwd", src.join("data/abs")).unwrap();
        std::os::unix::fs::lchown(src.join("data/sub/f"), Some(123), Some(456)).unwrap();
        let dst = d.path().join("dst");
        std::fs::create_dir_all(&dst).unwrap();
        let s = ConfinedRoot::open(&src).unwrap();
        let t = ConfinedRoot::open(&dst).unwrap();
        copy_tree(&s, Path::new("/data"), &t, Path::new("/vol")).unwrap();
        let f = dst.join("vol/sub/f");
        assert_eq!(std::fs::read_to_string(&f).unwrap(), "hello");
        let m = std::fs::metadata(&f).unwrap();
        assert_eq!(m.permissions().mode() & 0o777, 0o640);
        assert_eq!((m.uid(), m.gid()), (123, 456));
        assert_eq!(
            m.ino(),
            std::fs::metadata(dst.join("vol/hl")).unwrap().ino()
        );
        assert_eq!(
            std::fs::read_link(dst.join("vol/abs")).unwrap(),
            Path::new("/etc/passwd")
        );
    }

    #[test]
    fn escaping_entries_and_planted_links_write_nothing_outside() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("root");
        std::fs::create_dir_all(&root).unwrap();
        let outside = d.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        // A link in the destination pointing at the host directory.
        symlink(&outside, root.join("trap")).unwrap();
        let r = ConfinedRoot::open(&root).unwrap();

        let mut b = Builder::new(Vec::new());
        let mut h = Header::new_gnu();
        h.set_size(1);
        h.set_mode(0o644);
        h.set_entry_type(EntryType::Regular);
        b.append_data(&mut h, "trap/pwned", &b"x"[..]).unwrap();
        let tar = b.into_inner().unwrap();
        // The link's target does not exist inside the root: refused.
        assert!(
            r.unpack(Path::new("/"), &tar[..], &UnpackOptions::default())
                .is_err()
        );
        assert!(!outside.join("pwned").exists(), "wrote through the link");

        // An entry climbing out is refused.
        let mut raw = Header::new_old();
        raw.as_old_mut().name[..9].copy_from_slice(b"../escape");
        raw.set_size(1);
        raw.set_mode(0o644);
        raw.set_entry_type(EntryType::Regular);
        raw.set_cksum();
        let mut tar = raw.as_bytes().to_vec();
        tar.extend_from_slice(&[b'x'; 512]);
        tar.extend_from_slice(&[0; 1024]);
        let e = r
            .unpack(Path::new("/"), &tar[..], &UnpackOptions::default())
            .unwrap_err();
        assert!(e.to_string().contains("escapes the destination"), "{e}");
        assert!(!d.path().join("escape").exists());
    }
}
