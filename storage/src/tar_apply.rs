//! The security-critical layer extractor, and tar-split.
//!
//! [`apply_layer`] reads a layer tar (plain, gzip or zstd), writes its
//! entries under a layer root and records tar-split metadata (every header
//! and padding byte, plus a CRC-64 of each file's content) so the exact tar
//! can be rebuilt later from the layer's files by [`assemble_layer`].
//!
//! No entry may reach outside the root: names with `..` or a leading `/`
//! are refused, every parent component is checked with `symlink_metadata`
//! and must be a real directory (writing through a symlink is refused),
//! relative symlink targets that climb above the root are refused, and
//! hard-link targets follow the same rules as names. Files are created with
//! `O_NOFOLLOW | O_EXCL` after any old entry is removed. Device nodes are
//! made only as root; owners, modes (setuid/setgid included), times and
//! `SCHILY.xattr.*` extended attributes are restored (overlay's own
//! `*.overlay.*` attributes from a tar are dropped).

use std::cell::RefCell;
use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufRead, BufReader, ErrorKind, Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use nix::sys::stat::{Mode, SFlag, UtimensatFlags, makedev, mknod, utimensat};
use nix::sys::time::TimeSpec;
use rpod_runtime_core::error::IoResultExt;
use rpod_runtime_core::{Error, Result};
use tar::EntryType;

use crate::digest::{Crc64, HashingReader, base64, base64_decode};
use crate::whiteout::{WH_META_PREFIX, WH_OPAQUE, WH_PREFIX, make_overlay_whiteout, set_opaque};

/// How whiteouts are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Overlay diff dir: whiteouts become 0:0 char devices and opaque xattrs.
    Overlay,
    /// vfs full copy: whiteouts delete, opaque markers empty the directory.
    Vfs,
}

/// containers/storage's `compression` values.
pub mod compression {
    /// Not compressed.
    pub const NONE: i32 = 0;
    /// gzip.
    pub const GZIP: i32 = 2;
    /// zstd.
    pub const ZSTD: i32 = 4;
}

/// What applying a layer produced.
#[derive(Debug, Clone)]
pub struct Applied {
    /// gzip'd tar-split JSON lines.
    pub tar_split: Vec<u8>,
    /// `sha256:` of the uncompressed tar.
    pub diff_digest: String,
    /// Size of the uncompressed tar.
    pub diff_size: u64,
    /// `sha256:` of the bytes as given.
    pub compressed_digest: String,
    /// Size of the bytes as given.
    pub compressed_size: u64,
    /// Detected compression (see [`compression`]).
    pub compression: i32,
}

fn refuse(name: &[u8], why: impl std::fmt::Display) -> Error {
    Error::msg(format!(
        "refusing tar entry {:?}: {why}",
        String::from_utf8_lossy(name)
    ))
}

/// Splits a tar name into components; `..` and absolute names are refused.
pub fn components(name: &[u8]) -> std::result::Result<Vec<OsString>, String> {
    if name.first() == Some(&b'/') {
        return Err("absolute path".into());
    }
    let mut v = Vec::new();
    for c in name.split(|b| *b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => return Err("path contains \"..\"".into()),
            _ => v.push(OsStr::from_bytes(c).to_os_string()),
        }
    }
    Ok(v)
}

/// Walks `comps` below `root`, each a real directory (never a symlink);
/// missing ones are created (mode 0755) when `create` is set.
pub fn resolve_dir(
    root: &Path,
    comps: &[OsString],
    create: bool,
    created: Option<&mut HashSet<PathBuf>>,
) -> std::result::Result<PathBuf, String> {
    let mut cur = root.to_path_buf();
    let mut rel = PathBuf::new();
    let mut created = created;
    for c in comps {
        cur.push(c);
        rel.push(c);
        match fs::symlink_metadata(&cur) {
            Ok(m) if m.file_type().is_dir() => {}
            Ok(m) if m.file_type().is_symlink() => {
                return Err(format!("parent {} is a symlink", rel.display()));
            }
            Ok(_) => return Err(format!("parent {} is not a directory", rel.display())),
            Err(e) if e.kind() == ErrorKind::NotFound && create => {
                fs::create_dir(&cur).map_err(|e| format!("{}: {e}", cur.display()))?;
                let _ = fs::set_permissions(&cur, fs::Permissions::from_mode(0o755));
                if let Some(c) = created.as_deref_mut() {
                    c.insert(rel.clone());
                }
            }
            Err(e) => return Err(format!("{}: {e}", rel.display())),
        }
    }
    Ok(cur)
}

/// True when a relative symlink target, seen from the directory `parent_depth`
/// levels below the root, stays inside the root.
fn symlink_target_inside(parent_depth: usize, target: &[u8]) -> bool {
    if target.first() == Some(&b'/') {
        return true;
    }
    let mut depth = parent_depth as i64;
    for c in target.split(|b| *b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => depth += 1,
        }
    }
    true
}

struct RecState {
    buf: Vec<u8>,
    on: bool,
}

/// Records the bytes read through it while recording is on (tar headers
/// and padding), not while an entry's content is read.
struct Recorder<R> {
    inner: R,
    st: Rc<RefCell<RecState>>,
}

impl<R: Read> Read for Recorder<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let mut st = self.st.borrow_mut();
        if st.on {
            st.buf.extend_from_slice(&buf[..n]);
        }
        Ok(n)
    }
}

/// Writes tar-split's JSON-lines records, gzip'd.
struct Packer {
    enc: GzEncoder<Vec<u8>>,
    pos: u64,
}

impl Packer {
    fn new() -> Self {
        Packer {
            enc: GzEncoder::new(Vec::new(), Compression::default()),
            pos: 0,
        }
    }
    fn line(&mut self, v: serde_json::Value) -> Result<()> {
        let mut s = serde_json::to_vec(&v)?;
        s.push(b'\n');
        self.enc
            .write_all(&s)
            .map_err(|e| Error::msg(format!("writing tar-split: {e}")))?;
        self.pos += 1;
        Ok(())
    }
    fn segment(&mut self, bytes: &[u8]) -> Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let pos = self.pos;
        self.line(serde_json::json!({"type": 2, "payload": base64(bytes), "position": pos}))
    }
    fn file(&mut self, name: &[u8], size: u64, crc: Option<[u8; 8]>) -> Result<()> {
        let mut m = serde_json::Map::new();
        m.insert("type".into(), 1.into());
        match std::str::from_utf8(name) {
            Ok(s) => m.insert("name".into(), s.into()),
            Err(_) => m.insert("name_raw".into(), base64(name).into()),
        };
        if size > 0 {
            m.insert("size".into(), size.into());
        }
        m.insert(
            "payload".into(),
            crc.map(|c| serde_json::Value::from(base64(&c)))
                .unwrap_or(serde_json::Value::Null),
        );
        m.insert("position".into(), self.pos.into());
        self.line(serde_json::Value::Object(m))
    }
    fn finish(self) -> Result<Vec<u8>> {
        self.enc
            .finish()
            .map_err(|e| Error::msg(format!("writing tar-split: {e}")))
    }
}

struct CrcRead<'a, R> {
    inner: &'a mut R,
    crc: &'a mut Crc64,
}

impl<R: Read> Read for CrcRead<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(&buf[..n]);
        Ok(n)
    }
}

/// Detects gzip and zstd by their magic numbers.
pub fn detect_compression(head: &[u8]) -> i32 {
    if head.starts_with(&[0x1f, 0x8b]) {
        compression::GZIP
    } else if head.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        compression::ZSTD
    } else {
        compression::NONE
    }
}

/// A reader that decompresses `r` if it is gzip or zstd.
pub fn decompressed<'a>(r: impl Read + 'a) -> Result<(Box<dyn Read + 'a>, i32)> {
    let mut br = BufReader::with_capacity(128 * 1024, r);
    let head = br
        .fill_buf()
        .map_err(|e| Error::msg(format!("reading layer: {e}")))?;
    let c = detect_compression(head);
    let out: Box<dyn Read> = match c {
        compression::GZIP => Box::new(MultiGzDecoder::new(br)),
        compression::ZSTD => Box::new(
            zstd::stream::read::Decoder::with_buffer(br)
                .map_err(|e| Error::msg(format!("zstd: {e}")))?,
        ),
        _ => Box::new(br),
    };
    Ok((out, c))
}

/// Applies the layer tar in `input` under `root` (an existing directory).
pub fn apply_layer(input: &mut dyn Read, root: &Path, target: Target) -> Result<Applied> {
    let mut raw = HashingReader::new(input);
    let (diff_digest, diff_size, tar_split, compression) = {
        let (dec, compression) = decompressed(&mut raw)?;
        let st = Rc::new(RefCell::new(RecState {
            buf: Vec::new(),
            on: true,
        }));
        let rec = Recorder {
            inner: HashingReader::new(dec),
            st: Rc::clone(&st),
        };
        let mut ar = tar::Archive::new(rec);
        let mut packer = Packer::new();
        let mut ex = Extractor {
            root: root.to_path_buf(),
            target,
            is_root: nix::unistd::geteuid().is_root(),
            created: HashSet::new(),
            dir_times: Vec::new(),
        };
        let entries = ar
            .entries()
            .map_err(|e| Error::msg(format!("reading layer tar: {e}")))?;
        for entry in entries {
            let mut entry = entry.map_err(|e| Error::msg(format!("reading layer tar: {e}")))?;
            let seg = std::mem::take(&mut st.borrow_mut().buf);
            packer.segment(&seg)?;
            let name = entry.path_bytes().into_owned();
            let size = entry.size();
            let global = entry.header().entry_type() == EntryType::XGlobalHeader;
            let mut crc = Crc64::default();
            if global {
                // Kept in the header segment: nothing to extract.
                io::copy(&mut entry, &mut io::sink())
                    .map_err(|e| Error::msg(format!("reading layer tar: {e}")))?;
                continue;
            }
            st.borrow_mut().on = false;
            let res = ex.entry(&mut entry, &name, &mut crc);
            let drained = io::copy(
                &mut CrcRead {
                    inner: &mut entry,
                    crc: &mut crc,
                },
                &mut io::sink(),
            );
            st.borrow_mut().on = true;
            res?;
            drained.map_err(|e| Error::msg(format!("reading layer tar: {e}")))?;
            packer.file(&name, size, (size > 0).then(|| crc.sum()))?;
        }
        ex.finish();
        let mut rec = ar.into_inner();
        io::copy(&mut rec, &mut io::sink())
            .map_err(|e| Error::msg(format!("reading layer tar: {e}")))?;
        let seg = std::mem::take(&mut st.borrow_mut().buf);
        packer.segment(&seg)?;
        let (d, s) = rec.inner.finish();
        (d, s, packer.finish()?, compression)
    };
    raw.drain()
        .map_err(|e| Error::msg(format!("reading layer: {e}")))?;
    let (compressed_digest, compressed_size) = raw.finish();
    Ok(Applied {
        tar_split,
        diff_digest,
        diff_size,
        compressed_digest,
        compressed_size,
        compression,
    })
}

struct Extractor {
    root: PathBuf,
    target: Target,
    is_root: bool,
    created: HashSet<PathBuf>,
    dir_times: Vec<(PathBuf, i64)>,
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
    fn entry<R: Read>(
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

    fn finish(&mut self) {
        for (p, t) in self.dir_times.iter().rev() {
            set_times(p, *t);
        }
    }
}

/// Rebuilds the exact layer tar from its tar-split (`tar_split_gz`) and the
/// layer's files under `root`, writing it to `out`; returns the bytes written.
pub fn assemble_layer(tar_split_gz: &Path, root: &Path, out: &mut dyn Write) -> Result<u64> {
    let f = File::open(tar_split_gz).at(tar_split_gz)?;
    let r = BufReader::new(MultiGzDecoder::new(f));
    let mut written = 0u64;
    let bad = |why: &str| Error::msg(format!("{}: {why}", tar_split_gz.display()));
    for line in r.lines() {
        let line = line.at(tar_split_gz)?;
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(&line)?;
        match v["type"].as_i64() {
            Some(2) => {
                let p = base64_decode(v["payload"].as_str().unwrap_or(""))
                    .ok_or_else(|| bad("bad segment payload"))?;
                out.write_all(&p).at("output")?;
                written += p.len() as u64;
            }
            Some(1) => {
                let size = v["size"].as_u64().unwrap_or(0);
                if size == 0 {
                    continue;
                }
                let name: Vec<u8> = match v["name_raw"].as_str() {
                    Some(raw) => base64_decode(raw).ok_or_else(|| bad("bad name_raw"))?,
                    None => v["name"].as_str().unwrap_or("").as_bytes().to_vec(),
                };
                let comps = components(&name).map_err(|w| refuse(&name, w))?;
                let Some((last, parents)) = comps.split_last() else {
                    return Err(bad("file entry without a name"));
                };
                let dir = resolve_dir(root, parents, false, None).map_err(|w| refuse(&name, w))?;
                let path = dir.join(last);
                let mut file = OpenOptions::new()
                    .read(true)
                    .custom_flags(libc::O_NOFOLLOW)
                    .open(&path)
                    .at(&path)?;
                let mut crc = Crc64::default();
                let n = io::copy(
                    &mut CrcRead {
                        inner: &mut (&mut file).take(size),
                        crc: &mut crc,
                    },
                    &mut *out,
                )
                .at(&path)?;
                if n != size {
                    return Err(Error::msg(format!(
                        "{}: file is shorter than recorded",
                        path.display()
                    )));
                }
                let want = base64_decode(v["payload"].as_str().unwrap_or("")).unwrap_or_default();
                if want != crc.sum() {
                    return Err(Error::msg(format!(
                        "file integrity checksum failed for {:?}",
                        String::from_utf8_lossy(&name)
                    )));
                }
                written += n;
            }
            _ => return Err(bad("unknown entry type")),
        }
    }
    Ok(written)
}
