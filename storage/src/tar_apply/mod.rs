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
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;
use std::rc::Rc;

use flate2::read::MultiGzDecoder;
use rpod_runtime_core::{Error, Result};
use tar::EntryType;

mod confine;
mod extract;
mod tar_split;

pub use confine::{components, resolve_dir};
pub use tar_split::assemble_layer;

use extract::Extractor;
use tar_split::{CrcRead, Packer, RecState, Recorder};

use crate::digest::{Crc64, HashingReader};

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
