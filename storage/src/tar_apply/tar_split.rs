//! tar-split: recording every header and padding byte (with a CRC-64 of
//! each file) while a layer is applied, and rebuilding the exact tar later.

use std::cell::RefCell;
use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::rc::Rc;

use flate2::Compression;
use flate2::read::MultiGzDecoder;
use flate2::write::GzEncoder;
use rpod_runtime_core::error::IoResultExt;
use rpod_runtime_core::{Error, Result};

use super::confine::{components, refuse, resolve_dir};
use crate::digest::{Crc64, base64, base64_decode};

/// The bytes recorded so far, and whether recording is on.
pub(super) struct RecState {
    pub(super) buf: Vec<u8>,
    pub(super) on: bool,
}

/// Records the bytes read through it while recording is on (tar headers
/// and padding), not while an entry's content is read.
pub(super) struct Recorder<R> {
    pub(super) inner: R,
    pub(super) st: Rc<RefCell<RecState>>,
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
pub(super) struct Packer {
    enc: GzEncoder<Vec<u8>>,
    pos: u64,
}

impl Packer {
    pub(super) fn new() -> Self {
        Packer {
            enc: GzEncoder::new(Vec::new(), Compression::default()),
            pos: 0,
        }
    }
    pub(super) fn line(&mut self, v: serde_json::Value) -> Result<()> {
        let mut s = serde_json::to_vec(&v)?;
        s.push(b'\n');
        self.enc
            .write_all(&s)
            .map_err(|e| Error::msg(format!("writing tar-split: {e}")))?;
        self.pos += 1;
        Ok(())
    }
    pub(super) fn segment(&mut self, bytes: &[u8]) -> Result<()> {
        if bytes.is_empty() {
            return Ok(());
        }
        let pos = self.pos;
        self.line(serde_json::json!({"type": 2, "payload": base64(bytes), "position": pos}))
    }
    pub(super) fn file(&mut self, name: &[u8], size: u64, crc: Option<[u8; 8]>) -> Result<()> {
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
    pub(super) fn finish(self) -> Result<Vec<u8>> {
        self.enc
            .finish()
            .map_err(|e| Error::msg(format!("writing tar-split: {e}")))
    }
}

/// Feeds everything read through it to a CRC-64.
pub(super) struct CrcRead<'a, R> {
    pub(super) inner: &'a mut R,
    pub(super) crc: &'a mut Crc64,
}

impl<R: Read> Read for CrcRead<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.update(&buf[..n]);
        Ok(n)
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
