//! Reading pages of one snapshot with `pread`, bounds-checked against the
//! meta's high water mark and the file's length, decoded once per
//! transaction.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::BoltError;
use super::format::{self, META_SIZE, Meta, PAGE_HEADER_SIZE, PageHeader};
use super::node::{Node, Pgid, Span};

/// Where pages come from.
#[derive(Debug)]
pub(crate) enum Source {
    /// A database file.
    File(File),
    /// A whole file held in memory (verification of untrusted bytes).
    Bytes(Vec<u8>),
}

impl Source {
    fn read_at(&self, buf: &mut [u8], off: u64) -> io::Result<()> {
        match self {
            Source::File(f) => f.read_exact_at(buf, off),
            Source::Bytes(b) => {
                let start = usize::try_from(off).map_err(|_| eof())?;
                let end = start.checked_add(buf.len()).ok_or_else(eof)?;
                let src = b.get(start..end).ok_or_else(eof)?;
                buf.copy_from_slice(src);
                Ok(())
            }
        }
    }

    pub(crate) fn len(&self) -> io::Result<u64> {
        match self {
            Source::File(f) => Ok(f.metadata()?.len()),
            Source::Bytes(b) => Ok(b.len() as u64),
        }
    }
}

fn eof() -> io::Error {
    io::Error::new(io::ErrorKind::UnexpectedEof, "read past the end")
}

/// The newest valid meta of a file, and its page size.
pub(crate) fn read_meta(src: &Source, path: &Path) -> Result<Meta, BoltError> {
    let corrupt = |detail: String| BoltError::Corrupt {
        path: path.to_path_buf(),
        detail,
    };
    let len = src.len().map_err(|e| BoltError::io(path, e))?;
    let mut probe = [0u8; PAGE_HEADER_SIZE + META_SIZE];
    let read_meta_at = |off: u64, buf: &mut [u8]| -> Result<Meta, String> {
        if off + buf.len() as u64 > len {
            return Err("file is too short for a meta page".to_string());
        }
        src.read_at(buf, off).map_err(|e| e.to_string())?;
        Meta::decode(buf).map_err(|e| e.0)
    };
    let m0 = read_meta_at(0, &mut probe);
    // Meta 1 sits one page in; without a valid meta 0 try every page size.
    let sizes: Vec<u64> = match &m0 {
        Ok(m) => vec![u64::from(m.page_size)],
        Err(_) => (9..=16).map(|s| 1u64 << s).collect(),
    };
    let mut m1 = Err("no valid meta page".to_string());
    for ps in sizes {
        match read_meta_at(ps, &mut probe) {
            Ok(m) if u64::from(m.page_size) == ps => {
                m1 = Ok(m);
                break;
            }
            Ok(_) => m1 = Err("meta page 1 disagrees on the page size".to_string()),
            Err(e) => m1 = Err(e),
        }
    }
    let meta = match (m0, m1) {
        (Ok(a), Ok(b)) if a.page_size == b.page_size => {
            if b.txid > a.txid {
                b
            } else {
                a
            }
        }
        (Ok(a), _) => a,
        (Err(_), Ok(b)) => b,
        (Err(e0), Err(_)) => {
            if len == 0 {
                return Err(corrupt("file is empty".into()));
            }
            return Err(corrupt(format!("no valid meta page: {e0}")));
        }
    };
    let need = meta
        .hwm
        .checked_mul(u64::from(meta.page_size))
        .ok_or_else(|| corrupt(format!("high water mark {} is absurd", meta.hwm)))?;
    if len < need {
        return Err(corrupt(format!(
            "file is truncated: {len} bytes, but the meta needs {need} ({} pages of {})",
            meta.hwm, meta.page_size
        )));
    }
    Ok(meta)
}

/// The pages of one snapshot.
#[derive(Debug)]
pub(crate) struct Pages {
    pub(crate) src: Source,
    pub(crate) path: PathBuf,
    pub(crate) page_size: usize,
    pub(crate) hwm: Pgid,
    len: u64,
    cache: RefCell<HashMap<Pgid, Rc<Node>>>,
}

impl Pages {
    /// Pages of the snapshot `meta` read from `src`.
    pub(crate) fn new(src: Source, path: PathBuf, meta: &Meta) -> Result<Pages, BoltError> {
        let len = src.len().map_err(|e| BoltError::io(&path, e))?;
        Ok(Pages {
            src,
            path,
            page_size: meta.page_size as usize,
            hwm: meta.hwm,
            len,
            cache: RefCell::new(HashMap::new()),
        })
    }

    /// A corruption error naming this file.
    pub(crate) fn corrupt(&self, detail: impl Into<String>) -> BoltError {
        BoltError::Corrupt {
            path: self.path.clone(),
            detail: detail.into(),
        }
    }

    /// Reads the page `pgid` with its overflow pages.
    pub(crate) fn read_span(&self, pgid: Pgid) -> Result<(PageHeader, Vec<u8>), BoltError> {
        if pgid < 2 || pgid >= self.hwm {
            return Err(self.corrupt(format!(
                "page {pgid} is outside the data pages 2..{}",
                self.hwm
            )));
        }
        let ps = self.page_size as u64;
        let off = pgid * ps; // pgid < hwm and hwm * ps <= len: no overflow.
        let mut first = vec![0u8; self.page_size];
        self.src
            .read_at(&mut first, off)
            .map_err(|e| BoltError::io(&self.path, e))?;
        let h = format::parse_header(&first).map_err(|e| self.corrupt(e.0))?;
        if h.id != pgid {
            return Err(self.corrupt(format!("page {pgid} claims to be page {}", h.id)));
        }
        if h.overflow == 0 {
            return Ok((h, first));
        }
        let last = pgid.saturating_add(u64::from(h.overflow));
        if last >= self.hwm || (last + 1).saturating_mul(ps) > self.len {
            return Err(self.corrupt(format!(
                "page {pgid} overflows {} pages past the end of the file",
                h.overflow
            )));
        }
        let total = (u64::from(h.overflow) + 1) * ps;
        let mut buf = vec![0u8; total as usize];
        buf[..self.page_size].copy_from_slice(&first);
        self.src
            .read_at(&mut buf[self.page_size..], off + ps)
            .map_err(|e| BoltError::io(&self.path, e))?;
        Ok((h, buf))
    }

    /// The decoded branch or leaf page `pgid`.
    pub(crate) fn node(&self, pgid: Pgid) -> Result<Rc<Node>, BoltError> {
        if let Some(n) = self.cache.borrow().get(&pgid) {
            return Ok(Rc::clone(n));
        }
        let (h, buf) = self.read_span(pgid)?;
        let mut node =
            format::parse_node(&buf).map_err(|e| self.corrupt(format!("page {pgid}: {e}")))?;
        node.spans = vec![Span {
            pgid,
            overflow: h.overflow,
        }];
        let node = Rc::new(node);
        self.cache.borrow_mut().insert(pgid, Rc::clone(&node));
        Ok(node)
    }

    /// The free page IDs listed on the freelist page `pgid`, and its span.
    pub(crate) fn freelist(&self, pgid: Pgid) -> Result<(Vec<Pgid>, Span), BoltError> {
        let (h, buf) = self.read_span(pgid)?;
        let ids = format::parse_freelist(&buf)
            .map_err(|e| self.corrupt(format!("freelist page {pgid}: {e}")))?;
        for id in &ids {
            if *id < 2 || *id >= self.hwm {
                return Err(self.corrupt(format!(
                    "freelist page {pgid} lists page {id}, outside 2..{}",
                    self.hwm
                )));
            }
        }
        Ok((
            ids,
            Span {
                pgid,
                overflow: h.overflow,
            },
        ))
    }
}
