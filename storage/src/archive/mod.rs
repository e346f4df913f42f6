//! `load` and `save`: docker-archive and OCI layouts (archive or directory).
//!
//! Loading unpacks the outer archive into a scratch directory under the
//! graph root (regular files only, names checked like layer entries; the
//! legacy `layer.tar` symlinks are resolved by name) and detects the format
//! from `manifest.json` / `index.json`.

pub mod docker;
pub mod oci;

use std::collections::HashMap;
use std::fs::{self, File};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use rpod_runtime_core::error::IoResultExt;
use rpod_runtime_core::storage::ArchiveFormat;
use rpod_runtime_core::{Error, Result};

use crate::images::Image;
use crate::store::{Store, scratch_dir};
use crate::tar_apply::{components, decompressed, resolve_dir};

/// An unpacked outer archive.
#[derive(Debug)]
pub struct Unpacked {
    /// Where its regular files are.
    pub dir: PathBuf,
    links: HashMap<PathBuf, PathBuf>,
}

impl Unpacked {
    /// Opens a member by name (following the archive's own symlinks, by name).
    pub fn open(&self, name: &str) -> Result<File> {
        let mut rel = clean(name)?;
        for _ in 0..8 {
            match self.links.get(&rel) {
                Some(t) => rel = t.clone(),
                None => break,
            }
        }
        let p = self.dir.join(&rel);
        File::open(&p).map_err(|e| Error::io(name, e).context("reading archive member"))
    }
    /// Reads a member.
    pub fn read(&self, name: &str) -> Result<Vec<u8>> {
        let mut v = Vec::new();
        self.open(name)?.read_to_end(&mut v).at(name)?;
        Ok(v)
    }
    /// True when the member exists.
    pub fn has(&self, name: &str) -> bool {
        clean(name)
            .map(|r| self.dir.join(&r).is_file() || self.links.contains_key(&r))
            .unwrap_or(false)
    }
}

fn clean(name: &str) -> Result<PathBuf> {
    let comps = components(name.as_bytes())
        .map_err(|w| Error::msg(format!("archive member {name:?}: {w}")))?;
    Ok(comps.iter().collect())
}

fn unpack(input: &mut dyn Read, dir: &Path) -> Result<Unpacked> {
    let (dec, _) = decompressed(input)?;
    let mut ar = tar::Archive::new(dec);
    let mut links = HashMap::new();
    let rd = |e: io::Error| Error::msg(format!("reading archive: {e}"));
    for entry in ar.entries().map_err(rd)? {
        let mut entry = entry.map_err(rd)?;
        let name = entry.path_bytes().into_owned();
        let comps = components(&name).map_err(|w| {
            Error::msg(format!(
                "archive member {:?}: {w}",
                String::from_utf8_lossy(&name)
            ))
        })?;
        let Some((last, parents)) = comps.split_last() else {
            continue;
        };
        let rel: PathBuf = comps.iter().collect();
        match entry.header().entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let d = resolve_dir(dir, parents, true, None).map_err(Error::msg)?;
                let p = d.join(last);
                let mut f = fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&p)
                    .at(&p)?;
                io::copy(&mut entry, &mut f).at(&p)?;
            }
            tar::EntryType::Symlink | tar::EntryType::Link => {
                let target = entry
                    .link_name_bytes()
                    .map(|t| t.into_owned())
                    .unwrap_or_default();
                // Resolve relative to the member's directory, lexically.
                let mut base: Vec<std::ffi::OsString> =
                    if entry.header().entry_type() == tar::EntryType::Link {
                        Vec::new()
                    } else {
                        parents.to_vec()
                    };
                for c in target.split(|b| *b == b'/') {
                    match c {
                        b"" | b"." => {}
                        b".." => {
                            base.pop();
                        }
                        c => base.push(
                            std::ffi::OsStr::new(&String::from_utf8_lossy(c).into_owned())
                                .to_os_string(),
                        ),
                    }
                }
                links.insert(rel, base.iter().collect());
            }
            _ => {}
        }
    }
    Ok(Unpacked {
        dir: dir.to_path_buf(),
        links,
    })
}

/// Loads every image of a docker-archive or OCI archive stream.
pub fn load(store: &Store, input: &mut dyn Read) -> Result<Vec<Image>> {
    const UNSUPPORTED: &str = "payload does not match any of the supported image formats (oci, oci-archive, dir, docker-archive)";
    let (dir, _guard) = scratch_dir(store)?;
    // Input that does not unpack is Podman's "unsupported format" too; the
    // cause (a broken tar, a refused entry, I/O) follows it.
    let u = unpack(input, &dir).map_err(|e| e.context(UNSUPPORTED))?;
    if u.has("manifest.json") {
        docker::load(store, &u)
    } else if u.has("index.json") {
        oci::load(store, &u)
    } else {
        Err(Error::msg(UNSUPPORTED))
    }
}

/// Where `save` writes: a tar stream or a directory.
pub trait Sink {
    /// Adds a file with `data`.
    fn file(&mut self, name: &str, data: &[u8]) -> Result<()>;
    /// Adds a file of `size` bytes written by `fill`.
    fn stream(
        &mut self,
        name: &str,
        size: u64,
        fill: &mut dyn FnMut(&mut dyn Write) -> Result<u64>,
    ) -> Result<()>;
    /// True when `name` was already added.
    fn has(&self, name: &str) -> bool;
}

/// A tar stream sink.
pub struct TarSink<'a> {
    out: &'a mut dyn Write,
    seen: std::collections::HashSet<String>,
}

impl std::fmt::Debug for TarSink<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TarSink").finish_non_exhaustive()
    }
}

impl<'a> TarSink<'a> {
    /// A sink writing to `out`.
    pub fn new(out: &'a mut dyn Write) -> Self {
        TarSink {
            out,
            seen: Default::default(),
        }
    }
    fn header(&mut self, name: &str, size: u64, kind: tar::EntryType) -> Result<()> {
        let mut h = tar::Header::new_ustar();
        h.set_path(name)
            .map_err(|e| Error::msg(format!("archive member {name}: {e}")))?;
        h.set_size(size);
        h.set_mode(if kind.is_dir() { 0o755 } else { 0o644 });
        h.set_entry_type(kind);
        h.set_mtime(0);
        h.set_cksum();
        self.out.write_all(h.as_bytes()).at("archive")
    }
    fn dirs(&mut self, name: &str) -> Result<()> {
        let mut acc = String::new();
        let parts: Vec<&str> = name.split('/').collect();
        for p in &parts[..parts.len().saturating_sub(1)] {
            acc.push_str(p);
            acc.push('/');
            if self.seen.insert(acc.clone()) {
                let a = acc.clone();
                self.header(&a, 0, tar::EntryType::Directory)?;
            }
        }
        Ok(())
    }
    fn pad(&mut self, size: u64) -> Result<()> {
        let rem = (512 - size % 512) % 512;
        self.out.write_all(&vec![0u8; rem as usize]).at("archive")
    }
    /// Writes the end-of-archive blocks.
    pub fn finish(self) -> Result<()> {
        self.out.write_all(&[0u8; 1024]).at("archive")?;
        self.out.flush().at("archive")
    }
}

impl Sink for TarSink<'_> {
    fn file(&mut self, name: &str, data: &[u8]) -> Result<()> {
        self.dirs(name)?;
        self.seen.insert(name.to_string());
        self.header(name, data.len() as u64, tar::EntryType::Regular)?;
        self.out.write_all(data).at("archive")?;
        self.pad(data.len() as u64)
    }
    fn stream(
        &mut self,
        name: &str,
        size: u64,
        fill: &mut dyn FnMut(&mut dyn Write) -> Result<u64>,
    ) -> Result<()> {
        self.dirs(name)?;
        self.seen.insert(name.to_string());
        self.header(name, size, tar::EntryType::Regular)?;
        let n = fill(&mut *self.out)?;
        if n != size {
            return Err(Error::msg(format!(
                "archive member {name}: wrote {n} bytes, expected {size}"
            )));
        }
        self.pad(size)
    }
    fn has(&self, name: &str) -> bool {
        self.seen.contains(name)
    }
}

/// A directory sink (oci-dir).
#[derive(Debug)]
pub struct DirSink {
    dir: PathBuf,
}

impl Sink for DirSink {
    fn file(&mut self, name: &str, data: &[u8]) -> Result<()> {
        let p = self.dir.join(name);
        if let Some(d) = p.parent() {
            fs::create_dir_all(d).at(d)?;
        }
        fs::write(&p, data).at(&p)
    }
    fn stream(
        &mut self,
        name: &str,
        size: u64,
        fill: &mut dyn FnMut(&mut dyn Write) -> Result<u64>,
    ) -> Result<()> {
        let p = self.dir.join(name);
        if let Some(d) = p.parent() {
            fs::create_dir_all(d).at(d)?;
        }
        let mut f = io::BufWriter::new(File::create(&p).at(&p)?);
        let n = fill(&mut f)?;
        f.flush().at(&p)?;
        if n != size {
            return Err(Error::msg(format!(
                "{}: wrote {n} bytes, expected {size}",
                p.display()
            )));
        }
        Ok(())
    }
    fn has(&self, name: &str) -> bool {
        self.dir.join(name).exists()
    }
}

/// Writes a layer blob (its exact tar) to `sink` as `name`.
pub(crate) fn put_layer_blob(
    store: &Store,
    sink: &mut dyn Sink,
    name: &str,
    l: &crate::layers::Layer,
) -> Result<()> {
    if sink.has(name) {
        return Ok(());
    }
    if store.layout().tar_split(&l.id).exists() && l.diff_size > 0 {
        return sink.stream(name, l.diff_size, &mut |w| store.write_layer_tar(l, w));
    }
    let (mut f, n) = store.layer_tar_file(l)?;
    sink.stream(name, n, &mut |w| io::copy(&mut f, w).at(name))
}

/// Saves `images` (each with the names to record) in `format`.
pub fn save(
    store: &Store,
    images: &[(Image, Vec<String>)],
    format: ArchiveFormat,
    out: &mut dyn Write,
    dir: Option<&Path>,
) -> Result<()> {
    match format {
        ArchiveFormat::DockerArchive => {
            let mut s = TarSink::new(out);
            docker::save(store, images, &mut s)?;
            s.finish()
        }
        ArchiveFormat::OciArchive => {
            let mut s = TarSink::new(out);
            oci::save(store, images, &mut s)?;
            s.finish()
        }
        ArchiveFormat::OciDir => {
            let dir = dir.ok_or_else(|| Error::InvalidArg.context("oci-dir needs a directory"))?;
            fs::create_dir_all(dir).at(dir)?;
            oci::save(
                store,
                images,
                &mut DirSink {
                    dir: dir.to_path_buf(),
                },
            )
        }
    }
}
