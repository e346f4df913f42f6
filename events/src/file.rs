//! The `file` eventer: Podman's `events.log`, one compact JSON event per line.
//!
//! This module owns the on-disk log: appending under the `<log>.lock` fcntl
//! lock (the lock Podman takes, so rpod and Podman writers exclude each
//! other), rotating it when it reaches its size limit, and reading or
//! following it.
//!
//! Facts kept from Podman: the directory is created with mode 0700 and the
//! log with mode 0600 (created when the eventer is built, so a streaming
//! reader has a file to follow). Rotation keeps the newer half of the file
//! from the first full line after the midpoint, then records a `system
//! log-rotation` event named after the log path before the new event.
//!
//! Choices of ours: the rotated file is built in a temporary file and renamed
//! over the log; a writer that finds the log not ending in a newline (a crash
//! mid-write) starts a fresh line so the torn line cannot swallow the new
//! event; a follower polls every 100 ms and, after a rotation, resumes just
//! after the last line it had read (the kept half is a suffix of the old
//! file), so it neither repeats nor skips events that survived the rotation.

use std::collections::HashMap;
use std::ffi::OsString;
use std::fs::{self, DirBuilder, File, OpenOptions};
use std::io::{self, BufRead, BufReader, Seek, SeekFrom, Write};
use std::os::unix::fs::{DirBuilderExt, FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::Duration;

use chrono::Utc;
use rpod_runtime_core::error::IoResultExt;
use rpod_runtime_core::events::{Event, EventStatus, Eventer, ReadControl, ReadOptions};
use rpod_runtime_core::lockfile::LockFile;
use rpod_runtime_core::{Error, Result, ResultExt};

/// Mode of the directory holding the log (Podman's `events` dir).
const DIR_MODE: u32 = 0o700;
/// Mode of a newly created log file.
const LOG_MODE: u32 = 0o600;
/// How often a streaming reader looks for new lines.
const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// Appends events to, and reads them from, a JSON-lines log file.
#[derive(Debug)]
pub struct FileEventer {
    log_path: PathBuf,
    max_size: u64,
    lock: Arc<LockFile>,
}

/// The lock file guarding `log_path`: the same path with `.lock` appended
/// (`events.log` → `events.log.lock`).
pub fn lock_path_for(log_path: &Path) -> PathBuf {
    let mut s = OsString::from(log_path.as_os_str());
    s.push(".lock");
    PathBuf::from(s)
}

/// The directory holding `path` (`.` for a bare file name).
fn parent_dir(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// One `LockFile` per lock path for the whole process.
///
/// fcntl locks belong to the process, and closing *any* descriptor of a file
/// drops every lock the process holds on it. Two eventers on the same log
/// must therefore share one open lock file (whose in-process mutex then
/// orders their threads), and that file must never be closed while in use.
/// Entries are keyed by path and checked against the inode the path names
/// now, so a log directory that was removed and recreated gets a fresh lock.
fn shared_lock(path: &Path) -> Result<Arc<LockFile>> {
    type Cache = Mutex<HashMap<PathBuf, (u64, u64, Arc<LockFile>)>>;
    static LOCKS: OnceLock<Cache> = OnceLock::new();
    let mut cache = LOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let current = fs::metadata(path).ok().map(|m| (m.dev(), m.ino()));
    if let (Some((dev, ino, lock)), Some(now)) = (cache.get(path), current)
        && (*dev, *ino) == now
    {
        return Ok(Arc::clone(lock));
    }
    let lock = Arc::new(LockFile::open(path)?);
    let meta = fs::metadata(path).at(path)?;
    cache.insert(
        path.to_path_buf(),
        (meta.dev(), meta.ino(), Arc::clone(&lock)),
    );
    Ok(lock)
}

impl FileEventer {
    /// Opens the log at `log_path`, creating its directory (mode 0700) and
    /// the file itself (mode 0600) if missing. `max_size` is the rotation
    /// threshold in bytes; 0 never rotates.
    pub fn new(log_path: PathBuf, max_size: u64) -> Result<Self> {
        let Some(file_name) = log_path.file_name() else {
            return Err(Error::InvalidArg.context(format!(
                "events log path {:?} does not name a file",
                log_path.display()
            )));
        };
        let dir = parent_dir(&log_path);
        DirBuilder::new()
            .recursive(true)
            .mode(DIR_MODE)
            .create(dir)
            .at(dir)
            .context("creating events dirs")?;
        OpenOptions::new()
            .append(true)
            .create(true)
            .mode(LOG_MODE)
            .open(&log_path)
            .at(&log_path)
            .context("failed to create event log file")?;
        let canonical_dir = fs::canonicalize(dir).at(dir)?;
        let lock = shared_lock(&lock_path_for(&canonical_dir.join(file_name)))?;
        Ok(FileEventer {
            log_path,
            max_size,
            lock,
        })
    }

    /// The log file's path.
    pub fn log_path(&self) -> &Path {
        &self.log_path
    }

    /// The rotation threshold in bytes (0: never).
    pub fn max_size(&self) -> u64 {
        self.max_size
    }

    fn open_for_append(&self) -> Result<File> {
        OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .mode(LOG_MODE)
            .open(&self.log_path)
            .at(&self.log_path)
    }

    /// Replaces the log by its newer half plus a `log-rotation` event.
    /// The caller holds the lock.
    fn rotate(&self) -> Result<()> {
        let path = &self.log_path;
        let mut orig = File::open(path).at(path)?;
        let size = orig.metadata().at(path)?.len();
        let start = first_full_line_from(&orig, size / 2).at(path)?;

        let dir = parent_dir(path);
        let mut tmp = tempfile::Builder::new()
            .prefix(".events.log.rotate-")
            .tempfile_in(dir)
            .at(dir)?;
        orig.seek(SeekFrom::Start(start)).at(path)?;
        let copied = io::copy(&mut orig, tmp.as_file_mut()).at(tmp.path())?;
        if copied > 0 && !ends_with_newline(tmp.as_file(), copied).at(tmp.path())? {
            tmp.write_all(b"\n").at(tmp.path())?;
        }
        let rotation = Event::system(EventStatus::LogRotation, path.to_string_lossy());
        let mut line = serde_json::to_vec(&rotation)?;
        line.push(b'\n');
        tmp.write_all(&line).at(tmp.path())?;
        tmp.as_file().sync_all().at(tmp.path())?;
        tmp.persist(path).map_err(|e| Error::io(path, e.error))?;
        tracing::debug!(path = %path.display(), kept = copied, "rotated events log");
        Ok(())
    }
}

/// The offset of the first line that starts at or after `pos`
/// (the file's length when no line does).
fn first_full_line_from(file: &File, pos: u64) -> io::Result<u64> {
    if pos == 0 || ends_with_newline(file, pos)? {
        return Ok(pos);
    }
    let mut reader = BufReader::new(file);
    reader.seek(SeekFrom::Start(pos))?;
    let skipped = reader.skip_until(b'\n')? as u64;
    Ok(pos + skipped)
}

/// True when the byte before offset `len` is a newline.
fn ends_with_newline(file: &File, len: u64) -> io::Result<bool> {
    let mut last = [0u8; 1];
    file.read_exact_at(&mut last, len - 1)?;
    Ok(last[0] == b'\n')
}

impl Eventer for FileEventer {
    fn name(&self) -> &'static str {
        "file"
    }

    fn write(&self, event: &Event) -> Result<()> {
        let mut line = serde_json::to_vec(event)?;
        line.push(b'\n');

        let _guard = self.lock.lock()?;
        let mut file = self.open_for_append()?;
        let mut size = file.metadata().at(&self.log_path)?.len();
        if self.max_size != 0 && size > 0 && size + line.len() as u64 >= self.max_size {
            self.rotate().context("rotating log file")?;
            file = self.open_for_append()?;
            size = file.metadata().at(&self.log_path)?.len();
        }
        let mut buf = Vec::with_capacity(line.len() + 1);
        if size > 0 && !ends_with_newline(&file, size).at(&self.log_path)? {
            tracing::warn!(
                path = %self.log_path.display(),
                "events log ends with a partial line; starting a new one"
            );
            buf.push(b'\n');
        }
        buf.extend_from_slice(&line);
        file.write_all(&buf).at(&self.log_path)
    }

    fn read(
        &self,
        opts: &ReadOptions,
        sink: &mut dyn FnMut(Event) -> Result<ReadControl>,
    ) -> Result<()> {
        let mut tail = Tail::new(&self.log_path);
        loop {
            if tail.open.is_none() {
                tail.open_from_start()?;
            }
            if tail.deliver_available(opts, sink)? == ReadControl::Stop {
                return Ok(());
            }
            if !opts.stream {
                tail.deliver_partial(opts, sink)?;
                return Ok(());
            }
            if stop_requested(opts) {
                return Ok(());
            }
            thread::sleep(POLL_INTERVAL);
            if tail.was_replaced()? {
                // Lines written before the rotation are still in the old file.
                if tail.deliver_available(opts, sink)? == ReadControl::Stop
                    || tail.deliver_partial(opts, sink)? == ReadControl::Stop
                {
                    return Ok(());
                }
                tail.reopen_after_last_line()?;
            }
        }
    }
}

/// True when a streaming read should end: the stop flag is set or `until` has passed.
fn stop_requested(opts: &ReadOptions) -> bool {
    opts.stop.as_ref().is_some_and(|s| s.load(Ordering::SeqCst))
        || opts.until.is_some_and(|until| Utc::now() > until)
}

/// The open log file of a reader.
struct OpenLog {
    reader: BufReader<File>,
    dev: u64,
    ino: u64,
    /// Bytes consumed so far.
    pos: u64,
}

/// A reader's position in the log, kept across rotations.
struct Tail<'a> {
    path: &'a Path,
    open: Option<OpenLog>,
    /// Bytes of a line whose newline has not been read yet.
    partial: Vec<u8>,
    /// The last complete line read, to find our place after a rotation.
    last_line: Vec<u8>,
}

impl<'a> Tail<'a> {
    fn new(path: &'a Path) -> Self {
        Tail {
            path,
            open: None,
            partial: Vec::new(),
            last_line: Vec::new(),
        }
    }

    /// Opens the log at offset 0; leaves it closed when it does not exist.
    fn open_from_start(&mut self) -> Result<()> {
        self.open = self.open_at(|_| Ok(0))?;
        Ok(())
    }

    /// Opens the log again (after a rotation or truncation) just after the
    /// last line this reader consumed, or at its start when that line is
    /// gone: rotation keeps a suffix of the file, so whatever follows our
    /// last line, or all of it once that line was dropped, is unread.
    fn reopen_after_last_line(&mut self) -> Result<()> {
        let last = std::mem::take(&mut self.last_line);
        self.partial.clear();
        self.open = self.open_at(|reader| {
            if last.is_empty() {
                return Ok(0);
            }
            let (mut offset, mut resume) = (0u64, 0u64);
            let mut line = Vec::new();
            loop {
                line.clear();
                let n = reader.read_until(b'\n', &mut line)?;
                if n == 0 {
                    return Ok(resume);
                }
                offset += n as u64;
                if line == last {
                    resume = offset;
                }
            }
        })?;
        self.last_line = last;
        Ok(())
    }

    fn open_at(
        &self,
        find_start: impl FnOnce(&mut BufReader<File>) -> io::Result<u64>,
    ) -> Result<Option<OpenLog>> {
        let file = match File::open(self.path) {
            Ok(f) => f,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(self.path, e)),
        };
        let meta = file.metadata().at(self.path)?;
        let mut reader = BufReader::new(file);
        let pos = find_start(&mut reader).at(self.path)?;
        reader.seek(SeekFrom::Start(pos)).at(self.path)?;
        Ok(Some(OpenLog {
            reader,
            dev: meta.dev(),
            ino: meta.ino(),
            pos,
        }))
    }

    /// True when the path now names another file than the open one, or the
    /// open file shrank below what was read (truncated in place).
    fn was_replaced(&self) -> Result<bool> {
        let Some(open) = &self.open else {
            return Ok(false);
        };
        match fs::metadata(self.path) {
            Ok(m) => Ok((m.dev(), m.ino()) != (open.dev, open.ino) || m.len() < open.pos),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(Error::io(self.path, e)),
        }
    }

    /// Delivers every complete line available now.
    fn deliver_available(
        &mut self,
        opts: &ReadOptions,
        sink: &mut dyn FnMut(Event) -> Result<ReadControl>,
    ) -> Result<ReadControl> {
        let Some(open) = &mut self.open else {
            return Ok(ReadControl::Continue);
        };
        loop {
            let n = open
                .reader
                .read_until(b'\n', &mut self.partial)
                .at(self.path)?;
            open.pos += n as u64;
            if !self.partial.ends_with(b"\n") {
                // End of file, possibly inside a line still being written.
                return Ok(ReadControl::Continue);
            }
            std::mem::swap(&mut self.last_line, &mut self.partial);
            self.partial.clear();
            if deliver_line(self.path, &self.last_line, opts, sink)? == ReadControl::Stop {
                return Ok(ReadControl::Stop);
            }
        }
    }

    /// Delivers a final line that has no newline, if it parses; a torn line
    /// (a writer that crashed mid-write) is logged and skipped.
    fn deliver_partial(
        &mut self,
        opts: &ReadOptions,
        sink: &mut dyn FnMut(Event) -> Result<ReadControl>,
    ) -> Result<ReadControl> {
        let line = std::mem::take(&mut self.partial);
        deliver_line(self.path, &line, opts, sink)
    }
}

/// Parses one line and hands it to `sink` if `opts` wants it.
fn deliver_line(
    path: &Path,
    line: &[u8],
    opts: &ReadOptions,
    sink: &mut dyn FnMut(Event) -> Result<ReadControl>,
) -> Result<ReadControl> {
    if opts.stop.as_ref().is_some_and(|s| s.load(Ordering::SeqCst)) {
        return Ok(ReadControl::Stop);
    }
    if line.trim_ascii().is_empty() {
        return Ok(ReadControl::Continue);
    }
    match serde_json::from_slice::<Event>(line) {
        Ok(event) if opts.wants(&event) => sink(event),
        Ok(_) => Ok(ReadControl::Continue),
        Err(e) => {
            tracing::warn!(
                path = %path.display(),
                line = %String::from_utf8_lossy(line).trim_end(),
                "skipping an event log line that is not a valid event: {e}"
            );
            Ok(ReadControl::Continue)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rpod_runtime_core::events::EventType;

    fn read_all(ev: &FileEventer) -> Vec<Event> {
        let mut out = Vec::new();
        ev.read(&ReadOptions::default(), &mut |e| {
            out.push(e);
            Ok(ReadControl::Continue)
        })
        .unwrap();
        out
    }

    fn named(name: &str) -> Event {
        let mut e = Event::new(EventType::Container, EventStatus::Create);
        e.name = name.into();
        e
    }

    #[test]
    fn lock_path_appends_suffix() {
        assert_eq!(
            lock_path_for(Path::new("/run/libpod/events/events.log")),
            PathBuf::from("/run/libpod/events/events.log.lock")
        );
    }

    #[test]
    fn first_full_line_skips_the_cut_line() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("f");
        fs::write(&p, b"aaaa\nbbbb\ncccc\n").unwrap();
        let f = File::open(&p).unwrap();
        assert_eq!(first_full_line_from(&f, 0).unwrap(), 0);
        // Offset 5 is the start of "bbbb": kept whole.
        assert_eq!(first_full_line_from(&f, 5).unwrap(), 5);
        // Offset 6 is inside "bbbb": start at "cccc".
        assert_eq!(first_full_line_from(&f, 6).unwrap(), 10);
        // Inside the last line: nothing kept.
        assert_eq!(first_full_line_from(&f, 12).unwrap(), 15);
    }

    #[test]
    fn new_creates_dir_0700_and_log_0600() {
        let d = tempfile::tempdir().unwrap();
        let log = d.path().join("a/events/events.log");
        let ev = FileEventer::new(log.clone(), 0).unwrap();
        assert_eq!(ev.name(), "file");
        let dir_mode = fs::metadata(log.parent().unwrap()).unwrap().mode() & 0o777;
        assert_eq!(dir_mode, 0o700);
        let log_mode = fs::metadata(&log).unwrap().mode() & 0o777;
        assert_eq!(log_mode & !0o600, 0, "log mode {log_mode:o}");
        assert!(lock_path_for(&log).exists());
    }

    #[test]
    fn writer_repairs_a_torn_last_line() {
        let d = tempfile::tempdir().unwrap();
        let log = d.path().join("events.log");
        let ev = FileEventer::new(log.clone(), 0).unwrap();
        ev.write(&named("one")).unwrap();
        let mut f = OpenOptions::new().append(true).open(&log).unwrap();
        f.write_all(br#"{"Name":"torn","Sta"#).unwrap();
        ev.write(&named("two")).unwrap();
        let names: Vec<_> = read_all(&ev).into_iter().map(|e| e.name).collect();
        assert_eq!(names, ["one", "two"]);
        let text = fs::read_to_string(&log).unwrap();
        assert_eq!(text.lines().count(), 3);
    }

    #[test]
    fn same_log_shares_one_lock_file() {
        let d = tempfile::tempdir().unwrap();
        let log = d.path().join("events.log");
        let a = FileEventer::new(log.clone(), 0).unwrap();
        let b = FileEventer::new(d.path().join(".").join("events.log"), 0).unwrap();
        assert!(Arc::ptr_eq(&a.lock, &b.lock));
        let other = FileEventer::new(d.path().join("other.log"), 0).unwrap();
        assert!(!Arc::ptr_eq(&a.lock, &other.lock));
    }

    #[test]
    fn recreated_lock_file_gets_a_fresh_lock() {
        let d = tempfile::tempdir().unwrap();
        let log = d.path().join("events.log");
        let a = FileEventer::new(log.clone(), 0).unwrap();
        fs::remove_file(lock_path_for(&log)).unwrap();
        let b = FileEventer::new(log.clone(), 0).unwrap();
        assert!(!Arc::ptr_eq(&a.lock, &b.lock));
        assert!(lock_path_for(&log).exists());
    }

    #[test]
    fn log_path_without_file_name_is_rejected() {
        let e = FileEventer::new(PathBuf::from("/"), 0).unwrap_err();
        assert!(e.is(&Error::InvalidArg), "{e}");
    }
}
