//! rpod's file lock manager (`lock_type = "file"`), libpod's
//! `libpod/lock/file` in Rust: one file per lock under a directory
//! (`<tmpdir>/locks`), an unlimited number of locks.
//!
//! * Lock `N` is allocated when the file `<dir>/N` exists. Allocation
//!   creates the lowest free number with `O_CREAT|O_EXCL`, freeing unlinks
//!   it, [`free_all`](LockManager::free_all) unlinks every entry.
//! * Locking takes an fcntl write lock on the whole file. The locks are
//!   open-file-description locks (see the `ofd` module): they conflict with
//!   the classic fcntl locks Podman and containers/storage take, and the
//!   kernel drops them when the holder dies.
//! * An in-process guard per lock (a mutex, a condition variable and the
//!   holder's thread) queues this process's threads, keeps the open file of
//!   the holder, and makes an unlock from a thread that does not hold the
//!   lock an `InvalidArg` error.
//! * [`locks_held`](LockManager::locks_held) is real, unlike libpod's: it
//!   probes every lock file with `F_OFD_GETLK`, which sees holders in every
//!   process, plus the locks this manager holds on freed files.
//!
//! Locking a lock whose file does not exist (freed, or never allocated)
//! creates the file for as long as the lock is held and removes it again at
//! unlock, so it does not stay allocated. A holder that locked a file
//! before it was freed keeps holding the unlinked file; a later `lock()`
//! (which opens by path) does not exclude it. Both only happen to objects
//! that were removed.

#![deny(missing_docs)]

mod ofd;

use std::collections::{BTreeSet, HashMap};
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, ErrorKind};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::{self, ThreadId};

use rpod_runtime_core::backend::{BackendContext, BackendRegistry};
use rpod_runtime_core::lock::{LockManager, Locker};
use rpod_runtime_core::{Error, Result};

/// Locks as files in one directory.
///
/// Cloning is cheap and shares the in-process state. Two managers on the
/// same directory (in one process or several) exclude each other through
/// the kernel.
#[derive(Debug, Clone)]
pub struct FileLockManager {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    dir: PathBuf,
    /// The in-process guard of every lock this manager handed out.
    states: Mutex<HashMap<u32, Arc<LockState>>>,
}

/// The in-process side of one lock.
#[derive(Debug, Default)]
struct LockState {
    slot: Mutex<Slot>,
    released: Condvar,
}

#[derive(Debug, Default)]
struct Slot {
    /// The thread holding the lock, or waiting for the kernel lock after
    /// winning the in-process one.
    holder: Option<ThreadId>,
    /// The open file whose description holds the kernel lock.
    file: Option<File>,
    /// `lock()` created the file (it did not exist): remove it at unlock.
    created: bool,
}

fn recover<T>(r: std::sync::LockResult<T>) -> T {
    // Every update under these std mutexes is a few field writes that a
    // panic cannot interrupt half-way, so a poisoned one is still consistent.
    r.unwrap_or_else(|p| p.into_inner())
}

impl LockState {
    fn slot(&self) -> MutexGuard<'_, Slot> {
        recover(self.slot.lock())
    }
}

fn create_new(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o666)
        .custom_flags(libc::O_CLOEXEC)
        .open(path)
}

fn open_existing(path: &Path) -> io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(libc::O_CLOEXEC)
        .open(path)
}

fn same_file(a: &fs::Metadata, b: &fs::Metadata) -> bool {
    a.dev() == b.dev() && a.ino() == b.ino()
}

impl FileLockManager {
    /// Uses `dir` (creating it, mode 0711, when missing) as the lock directory.
    pub fn open_or_create(dir: impl AsRef<Path>) -> Result<Self> {
        let dir = dir.as_ref();
        if dir.as_os_str().is_empty() {
            return Err(Error::InvalidArg.context("the lock directory must not be empty"));
        }
        DirBuilder::new()
            .recursive(true)
            .mode(0o711)
            .create(dir)
            .map_err(|e| Error::io(dir, e).context("creating the lock directory"))?;
        Ok(FileLockManager {
            inner: Arc::new(Inner {
                dir: dir.to_path_buf(),
                states: Mutex::new(HashMap::new()),
            }),
        })
    }

    /// The lock directory.
    pub fn dir(&self) -> &Path {
        &self.inner.dir
    }

    fn path(&self, id: u32) -> PathBuf {
        self.inner.dir.join(id.to_string())
    }

    fn handle(&self, id: u32) -> Arc<dyn Locker> {
        let state = Arc::clone(recover(self.inner.states.lock()).entry(id).or_default());
        Arc::new(FileLocker {
            id,
            path: self.path(id),
            state,
        })
    }

    /// The numbers of the lock files present in the directory.
    fn allocated(&self) -> Result<BTreeSet<u32>> {
        let dir = &self.inner.dir;
        let entries = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
        let mut ids = BTreeSet::new();
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(dir, e))?;
            if let Some(id) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            {
                ids.insert(id);
            }
        }
        Ok(ids)
    }
}

impl LockManager for FileLockManager {
    fn name(&self) -> &'static str {
        "file"
    }

    /// The lowest number without a file. The directory is listed once and
    /// the candidate created with `O_EXCL`, so racing allocators (in any
    /// process) never get the same number.
    fn allocate(&self) -> Result<Arc<dyn Locker>> {
        let mut taken = self.allocated()?;
        let mut id = 0u32;
        loop {
            while taken.contains(&id) {
                id = id.checked_add(1).ok_or(Error::LocksExhausted(u32::MAX))?;
            }
            let path = self.path(id);
            match create_new(&path) {
                Ok(_) => return Ok(self.handle(id)),
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    taken.insert(id);
                }
                Err(e) => return Err(Error::io(&path, e).context("allocating a lock")),
            }
        }
    }

    fn retrieve(&self, id: u32) -> Result<Arc<dyn Locker>> {
        Ok(self.handle(id))
    }

    fn allocate_given(&self, id: u32) -> Result<Arc<dyn Locker>> {
        let path = self.path(id);
        match create_new(&path) {
            Ok(_) => Ok(self.handle(id)),
            Err(e) if e.kind() == ErrorKind::AlreadyExists => Err(Error::LockAllocated(id)),
            Err(e) => Err(Error::io(&path, e).context(format!("allocating lock {id}"))),
        }
    }

    fn free_all(&self) -> Result<()> {
        let dir = &self.inner.dir;
        for entry in fs::read_dir(dir).map_err(|e| Error::io(dir, e))? {
            let path = entry.map_err(|e| Error::io(dir, e))?.path();
            match fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&path, e).context("freeing all locks")),
            }
        }
        Ok(())
    }

    fn available(&self) -> Result<Option<u32>> {
        Ok(None)
    }

    fn allocated_ids(&self) -> Result<Option<Vec<u32>>> {
        Ok(Some(self.allocated()?.into_iter().collect()))
    }

    /// Locks held by anyone: every lock file is probed with `F_OFD_GETLK`
    /// (holders in any process, this one included), plus the freed files
    /// this manager's threads still hold.
    fn locks_held(&self) -> Result<Vec<u32>> {
        let mut held = BTreeSet::new();
        for id in self.allocated()? {
            let path = self.path(id);
            let file = match File::open(&path) {
                Ok(f) => f,
                Err(e) if e.kind() == ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::io(&path, e)),
            };
            if ofd::is_locked_elsewhere(&file).map_err(|e| Error::io(&path, e))? {
                held.insert(id);
            }
        }
        let states: Vec<(u32, Arc<LockState>)> = recover(self.inner.states.lock())
            .iter()
            .map(|(id, s)| (*id, Arc::clone(s)))
            .collect();
        for (id, state) in states {
            if state.slot().file.is_some() {
                held.insert(id);
            }
        }
        Ok(held.into_iter().collect())
    }
}

/// A handle to lock `id` of a [`FileLockManager`].
#[derive(Debug)]
struct FileLocker {
    id: u32,
    path: PathBuf,
    state: Arc<LockState>,
}

impl FileLocker {
    /// Takes the kernel lock on the file currently at `path`; returns the
    /// open file holding it and whether this call created the file.
    fn acquire(&self) -> Result<(File, bool)> {
        let path = &self.path;
        let io_err = |e: io::Error| Error::io(path, e).context(format!("taking lock {}", self.id));
        loop {
            let (file, created) = match open_existing(path) {
                Ok(f) => (f, false),
                Err(e) if e.kind() == ErrorKind::NotFound => match create_new(path) {
                    Ok(f) => {
                        tracing::debug!(
                            lock = self.id,
                            "locking a free lock: file created until unlock"
                        );
                        (f, true)
                    }
                    Err(e) if e.kind() == ErrorKind::AlreadyExists => continue,
                    Err(e) => return Err(io_err(e)),
                },
                Err(e) => return Err(io_err(e)),
            };
            ofd::lock(&file).map_err(io_err)?;
            // While we waited, the file may have been freed, and then maybe
            // allocated again as a new file.
            let ours = file.metadata().map_err(io_err)?;
            match fs::metadata(path) {
                Ok(now) if same_file(&now, &ours) => return Ok((file, created)),
                // Allocated again: lock the new file (dropping ours releases it).
                Ok(_) => continue,
                // Freed: hold the unlinked file, as the other holders of it do.
                Err(e) if e.kind() == ErrorKind::NotFound => return Ok((file, false)),
                Err(e) => return Err(io_err(e)),
            }
        }
    }
}

impl Locker for FileLocker {
    fn id(&self) -> u32 {
        self.id
    }

    fn lock(&self) -> Result<()> {
        let me = thread::current().id();
        let mut slot = self.state.slot();
        while slot.holder.is_some() {
            slot = recover(self.state.released.wait(slot));
        }
        slot.holder = Some(me);
        drop(slot);
        let acquired = self.acquire();
        let mut slot = self.state.slot();
        match acquired {
            Ok((file, created)) => {
                slot.file = Some(file);
                slot.created = created;
                Ok(())
            }
            Err(e) => {
                slot.holder = None;
                drop(slot);
                self.state.released.notify_one();
                Err(e)
            }
        }
    }

    fn unlock(&self) -> Result<()> {
        let me = thread::current().id();
        let mut slot = self.state.slot();
        let file = match slot.file.take() {
            Some(file) if slot.holder == Some(me) => file,
            file => {
                slot.file = file;
                return Err(Error::InvalidArg
                    .context(format!("lock {} is not held by this thread", self.id)));
            }
        };
        if std::mem::take(&mut slot.created) {
            // Still holding the kernel lock: nobody can be using the file.
            let still_ours = match (file.metadata(), fs::metadata(&self.path)) {
                (Ok(ours), Ok(now)) => same_file(&ours, &now),
                _ => false,
            };
            if still_ours && let Err(e) = fs::remove_file(&self.path) {
                tracing::warn!(lock = self.id, "removing the file of a free lock: {e}");
            }
        }
        // Explicit, in case a forked child shares the description.
        let released = ofd::unlock(&file);
        drop(file);
        slot.holder = None;
        drop(slot);
        self.state.released.notify_one();
        released
            .map_err(|e| Error::io(&self.path, e).context(format!("unlocking lock {}", self.id)))
    }

    fn free(&self) -> Result<()> {
        match fs::remove_file(&self.path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == ErrorKind::NotFound => Err(Error::LockNotAllocated(self.id)),
            Err(e) => Err(Error::io(&self.path, e).context(format!("freeing lock {}", self.id))),
        }
    }
}

/// Registers the `file` lock manager: [`FileLockManager::open_or_create`]
/// on `<ctx.tmp_dir>/locks`.
pub fn register(registry: &mut BackendRegistry) {
    registry.register_lock_manager(
        "file",
        Arc::new(|ctx: &BackendContext| {
            if ctx.tmp_dir.as_os_str().is_empty() {
                return Err(Error::InvalidArg.context("the file lock manager needs a tmp dir"));
            }
            let mgr = FileLockManager::open_or_create(ctx.tmp_dir.join("locks"))?;
            Ok(Box::new(mgr) as Box<dyn LockManager>)
        }),
    );
}

#[cfg(test)]
mod tests;
