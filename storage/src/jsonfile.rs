//! The store's JSON files: read with a per-file cache keyed by the file's
//! identity (inode, size, mtime), so an unchanged file is parsed once per
//! process, and written atomically (temp file + rename).

use std::io::{ErrorKind, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::Path;
use std::sync::Mutex;

use rpod_runtime_core::error::IoResultExt;
use rpod_runtime_core::{Error, Result};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// Identity of a file's content as far as the cache cares.
type Key = (u64, u64, i64, i64, u64);

/// A cached copy of one JSON array file.
#[derive(Debug)]
pub struct Cached<T> {
    inner: Mutex<Option<(Key, Vec<T>)>>,
}

impl<T> Default for Cached<T> {
    fn default() -> Self {
        Cached {
            inner: Mutex::new(None),
        }
    }
}

impl<T: Clone + DeserializeOwned + Serialize> Cached<T> {
    /// The records in `path` (empty when the file does not exist).
    pub fn load(&self, path: &Path) -> Result<Vec<T>> {
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) if e.kind() == ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(Error::io(path, e)),
        };
        let key = (
            meta.dev(),
            meta.ino(),
            meta.mtime(),
            meta.mtime_nsec(),
            meta.size(),
        );
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((k, v)) = g.as_ref()
            && *k == key
        {
            return Ok(v.clone());
        }
        let data = std::fs::read(path).at(path)?;
        let v: Vec<T> = if data.iter().all(u8::is_ascii_whitespace) {
            Vec::new()
        } else {
            serde_json::from_slice(&data)
                .map_err(|e| Error::msg(format!("parsing {}: {e}", path.display())))?
        };
        *g = Some((key, v.clone()));
        Ok(v)
    }

    /// Writes `records` to `path` atomically and caches them.
    pub fn save(&self, path: &Path, records: &[T]) -> Result<()> {
        let data = serde_json::to_vec(records)?;
        write_atomic(path, &data)?;
        let mut g = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        *g = std::fs::metadata(path).ok().map(|m| {
            (
                (m.dev(), m.ino(), m.mtime(), m.mtime_nsec(), m.size()),
                records.to_vec(),
            )
        });
        Ok(())
    }
}

/// Writes `data` to `path` durably and atomically, as containers/storage's
/// `AtomicWriteFile` does: a temp file in the same directory (mode 0600),
/// fsync, rename over `path`, then an fsync of the directory so the rename
/// itself survives a power loss.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).at(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(
        ".{name}.{}",
        rpod_runtime_core::names::generate_id()?
    ));
    let written = (|| -> std::io::Result<()> {
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()
    })();
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, path)) {
        let _ = std::fs::remove_file(&tmp);
        return Err(Error::io(path, e));
    }
    std::fs::File::open(dir).and_then(|d| d.sync_all()).at(dir)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_writes_are_private_and_leave_no_temp_file() {
        use std::os::unix::fs::PermissionsExt;
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("layers.json");
        write_atomic(&p, b"[1]").unwrap();
        write_atomic(&p, b"[2]").unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"[2]");
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "containers/storage writes its indexes 0600");
        let names: Vec<_> = std::fs::read_dir(d.path())
            .unwrap()
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("layers.json")]);
    }
}
