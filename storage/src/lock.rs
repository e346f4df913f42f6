//! containers/storage's lock files, shared by every `Store` of the process.
//!
//! fcntl locks belong to the process and closing *any* descriptor of a file
//! drops them, so each lock file is opened once per process (a registry
//! keyed by path, never closed) and every `Store` on the same root shares
//! it. Writers record a new "last writer" token at the start of the file,
//! as containers/storage does, so other readers (Podman, skopeo) notice the
//! change.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

use rpod_runtime_core::Result;
use rpod_runtime_core::error::IoResultExt;
use rpod_runtime_core::lockfile::{LockFile, LockFileGuard};

/// One lock file of the store.
#[derive(Debug)]
pub struct StoreLock {
    lock: LockFile,
    token: File,
}

/// Held while the lock is taken.
#[derive(Debug)]
pub struct StoreLockGuard<'a> {
    owner: &'a StoreLock,
    _guard: LockFileGuard<'a>,
}

static REGISTRY: OnceLock<Mutex<HashMap<PathBuf, Arc<StoreLock>>>> = OnceLock::new();
static COUNTER: AtomicU64 = AtomicU64::new(0);

impl StoreLock {
    /// The process-wide lock for `path` (created with its parent dirs if needed).
    pub fn get(path: &Path) -> Result<Arc<StoreLock>> {
        let reg = REGISTRY.get_or_init(|| Mutex::new(HashMap::new()));
        let mut reg = reg.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(l) = reg.get(path) {
            return Ok(Arc::clone(l));
        }
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).at(parent)?;
        }
        let lock = LockFile::open(path)?;
        let token = OpenOptions::new().write(true).open(path).at(path)?;
        let l = Arc::new(StoreLock { lock, token });
        reg.insert(path.to_path_buf(), Arc::clone(&l));
        Ok(l)
    }

    /// Blocks until this thread holds the lock.
    pub fn lock(&self) -> Result<StoreLockGuard<'_>> {
        Ok(StoreLockGuard {
            owner: self,
            _guard: self.lock.lock()?,
        })
    }
}

impl StoreLockGuard<'_> {
    /// Records that this process wrote the protected files.
    pub fn touch(&self) {
        let t = crate::digest::last_write_token(COUNTER.fetch_add(1, Ordering::Relaxed));
        if let Err(e) = self.owner.token.write_at(&t, 0) {
            tracing::warn!(
                "recording last writer in {}: {e}",
                self.owner.lock.path().display()
            );
        }
    }
}
