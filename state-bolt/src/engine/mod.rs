//! A small BoltDB-format key/value engine, written from the file format.
//!
//! * Files are created with mode 0600, page size 4096, magic `0xED0CDAED`,
//!   version 2: meta pages 0 and 1, an empty freelist on page 2 and an
//!   empty root leaf on page 3, exactly as bbolt lays out a new file.
//! * Pages are read with `pread` (no mmap, no `unsafe`) and every read is
//!   bounds-checked: a damaged file is a [`BoltError::Corrupt`] naming it,
//!   never a panic, and is never written to.
//! * [`Db::begin_read`] takes a shared `flock` for the life of the
//!   transaction and [`Db::begin_write`] an exclusive one (bbolt and thus
//!   Podman 4 lock the same way), so one writer runs at a time across
//!   processes and readers see a consistent snapshot.
//! * Writes are copy-on-write: changed nodes go to newly allocated pages
//!   (free pages first), over-full nodes split, under-filled ones merge
//!   with a sibling, values larger than a page use overflow pages, small
//!   buckets are stored inline. Commit writes the data pages and the
//!   freelist, fsyncs, then writes the meta page the previous commit did
//!   not use and fsyncs again: a crash at any moment leaves the previous
//!   commit readable.

mod check;
mod commit;
pub mod format;
mod node;
mod pages;
mod read;
mod write;

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

pub use check::CheckStats;
pub use format::Meta;
pub use read::{Bucket, Cursor, Entry, ReadTx};
pub use write::{BucketMut, WriteTx};

use format::{DEFAULT_PAGE_SIZE, NO_FREELIST};
use node::{BucketState, NodeKind, NodeRef};
use pages::{Pages, Source};

/// Errors of the engine.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BoltError {
    /// An I/O error on the database file.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// The file is not a BoltDB file, or is damaged or truncated.
    #[error("{}: invalid BoltDB file: {detail}", path.display())]
    Corrupt {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        detail: String,
    },
    /// `create_bucket` on an existing bucket.
    #[error("bucket already exists")]
    BucketExists,
    /// `delete_bucket` on a missing bucket.
    #[error("bucket not found")]
    BucketNotFound,
    /// A value where a bucket was expected, or the other way round.
    #[error("incompatible value")]
    IncompatibleValue,
    /// An empty key.
    #[error("key required")]
    KeyRequired,
    /// A key longer than 32768 bytes.
    #[error("key too large")]
    KeyTooLarge,
    /// A value longer than 2 GiB.
    #[error("value too large")]
    ValueTooLarge,
}

impl BoltError {
    pub(crate) fn io(path: &Path, source: io::Error) -> Self {
        BoltError::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Result of the engine.
pub type Result<T, E = BoltError> = std::result::Result<T, E>;

/// A BoltDB file. Cheap: every transaction opens the file anew and holds
/// its own `flock`, so a `Db` may be shared between threads.
#[derive(Debug, Clone)]
pub struct Db {
    path: PathBuf,
}

impl Db {
    /// Opens `path`, creating an empty database (mode 0600) when the file
    /// is missing or empty.
    pub fn open(path: impl AsRef<Path>) -> Result<Db> {
        let path = path.as_ref().to_path_buf();
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .map_err(|e| BoltError::io(&path, e))?;
        file.lock().map_err(|e| BoltError::io(&path, e))?;
        let len = file.metadata().map_err(|e| BoltError::io(&path, e))?.len();
        if len == 0 {
            init(&file, &path)?;
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                // Make the new directory entry durable too (best effort).
                if let Ok(d) = File::open(dir) {
                    let _ = d.sync_all();
                }
            }
        }
        let src = Source::File(file);
        pages::read_meta(&src, &path)?;
        Ok(Db { path })
    }

    /// Opens an existing database without ever writing to it (a missing
    /// file is an error).
    pub fn open_existing(path: impl AsRef<Path>) -> Result<Db> {
        let db = Db {
            path: path.as_ref().to_path_buf(),
        };
        db.begin_read()?;
        Ok(db)
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn snapshot(&self, writable: bool) -> Result<(Pages, Meta)> {
        let file = OpenOptions::new()
            .read(true)
            .write(writable)
            .open(&self.path)
            .map_err(|e| BoltError::io(&self.path, e))?;
        if writable {
            file.lock()
        } else {
            file.lock_shared()
        }
        .map_err(|e| BoltError::io(&self.path, e))?;
        let src = Source::File(file);
        let meta = pages::read_meta(&src, &self.path)?;
        let pages = Pages::new(src, self.path.clone(), &meta)?;
        Ok((pages, meta))
    }

    /// Starts a read-only transaction (waits while a writer holds the file).
    pub fn begin_read(&self) -> Result<ReadTx> {
        let (pages, meta) = self.snapshot(false)?;
        Ok(ReadTx {
            pages,
            root: NodeRef::Page(meta.root),
            txid: meta.txid,
        })
    }

    /// Starts the read-write transaction (waits for readers and the writer
    /// of any process to finish).
    pub fn begin_write(&self) -> Result<WriteTx> {
        let (pages, meta) = self.snapshot(true)?;
        let free = if meta.freelist == NO_FREELIST {
            let used = check::reachable(&pages, &meta)?;
            (2..meta.hwm).filter(|p| !used[*p as usize]).collect()
        } else {
            let (mut ids, _) = pages.freelist(meta.freelist)?;
            ids.sort_unstable();
            let n = ids.len();
            ids.dedup();
            if ids.len() != n {
                return Err(pages.corrupt("the freelist lists a page twice"));
            }
            ids
        };
        let file = match &pages.src {
            Source::File(f) => f.try_clone().map_err(|e| BoltError::io(&self.path, e))?,
            Source::Bytes(_) => return Err(pages.corrupt("not a file")),
        };
        Ok(WriteTx {
            shared: write::TxShared {
                pages,
                freed: Vec::new(),
            },
            root: BucketState {
                root: NodeRef::Page(meta.root),
                sequence: meta.sequence,
            },
            meta,
            free,
            file,
        })
    }

    /// Runs `f` in a read transaction.
    pub fn view<T, E: From<BoltError>>(
        &self,
        f: impl FnOnce(&ReadTx) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let tx = self.begin_read()?;
        f(&tx)
    }

    /// Runs `f` in a write transaction and commits when it succeeds (an
    /// error discards every change).
    pub fn update<T, E: From<BoltError>>(
        &self,
        f: impl FnOnce(&mut WriteTx) -> std::result::Result<T, E>,
    ) -> std::result::Result<T, E> {
        let mut tx = self.begin_write()?;
        let out = f(&mut tx)?;
        tx.commit()?;
        Ok(out)
    }

    /// Checks the whole file (see [`CheckStats`]); any inconsistency is
    /// [`BoltError::Corrupt`].
    pub fn check(&self) -> Result<CheckStats> {
        let (pages, meta) = self.snapshot(false)?;
        check::check(&pages, &meta)
    }
}

/// Writes the four pages of a new database.
fn init(file: &File, path: &Path) -> Result<()> {
    let ps = DEFAULT_PAGE_SIZE;
    let mut buf = vec![0u8; ps * 4];
    for txid in 0..2u64 {
        let meta = Meta {
            page_size: ps as u32,
            flags: 0,
            root: 3,
            sequence: 0,
            freelist: 2,
            hwm: 4,
            txid,
        };
        let at = txid as usize * ps;
        buf[at..at + ps].copy_from_slice(&meta.encode(txid));
    }
    let freelist = format::encode_freelist(2, &[], ps, ps);
    buf[2 * ps..3 * ps].copy_from_slice(&freelist);
    let leaf = format::encode_node(&NodeKind::Leaf(Vec::new()), 3, Some(ps)).map_err(|e| {
        BoltError::Corrupt {
            path: path.to_path_buf(),
            detail: e.0,
        }
    })?;
    buf[3 * ps..4 * ps].copy_from_slice(&leaf);
    file.write_all_at(&buf, 0)
        .map_err(|e| BoltError::io(path, e))?;
    file.sync_all().map_err(|e| BoltError::io(path, e))
}

/// Checks a whole database image held in memory, as [`Db::check`] does for
/// a file. Used by the fuzz target: it must never panic.
pub fn verify_bytes(bytes: Vec<u8>) -> Result<CheckStats> {
    let path = PathBuf::from("<memory>");
    let src = Source::Bytes(bytes);
    let meta = pages::read_meta(&src, &path)?;
    let pages = Pages::new(src, path, &meta)?;
    check::check(&pages, &meta)
}

/// Decodes one page (branch, leaf or freelist) from untrusted bytes; the
/// page parser the fuzz target drives.
pub fn parse_page(bytes: &[u8]) -> Result<usize, format::FormatError> {
    let h = format::parse_header(bytes)?;
    if h.flags == format::FLAG_FREELIST {
        return format::parse_freelist(bytes).map(|ids| ids.len());
    }
    if h.flags == format::FLAG_META {
        return Meta::decode(bytes).map(|_| 1);
    }
    format::parse_node(bytes).map(|n| n.len())
}
