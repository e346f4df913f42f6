//! Reading the logs of one or more containers: each container's k8s-file
//! log from the start (or its last lines), then, when following, whatever
//! conmon appends to any of them, in the order it arrives, until every
//! container has stopped. A log conmon rotated (replaced by a new file at
//! the same path) is followed into the new file.

use std::fs::File;
use std::io::{BufRead, BufReader, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::time::Duration;

use super::log_config;
use super::logs::{Assembler, LogLine, LogOptions, NO_LOGS, emit};
use super::{Container, ContainerStatus};
use crate::error::{Error, Result};

/// How long following waits when no log has grown.
const POLL: Duration = Duration::from_millis(100);

/// One container's log file, read line by line.
struct LogFile {
    path: PathBuf,
    reader: Option<BufReader<File>>,
    inode: u64,
    asm: Assembler,
}

impl LogFile {
    fn new(path: PathBuf) -> Result<LogFile> {
        let mut f = LogFile {
            path,
            reader: None,
            inode: 0,
            asm: Assembler::default(),
        };
        f.open()?;
        Ok(f)
    }

    /// Opens the file when it exists (a container that never ran has none).
    fn open(&mut self) -> Result<()> {
        match File::open(&self.path) {
            Ok(file) => {
                self.inode = file.metadata().map_err(|e| Error::io(&self.path, e))?.ino();
                self.reader = Some(BufReader::new(file));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => self.reader = None,
            Err(e) => return Err(Error::io(&self.path, e)),
        }
        Ok(())
    }

    /// The complete lines written since the last call (a partly written
    /// last line is left for the next call).
    fn read_new(&mut self) -> Result<Vec<LogLine>> {
        let mut lines = Vec::new();
        let Some(r) = self.reader.as_mut() else {
            return Ok(lines);
        };
        let mut buf = String::new();
        loop {
            buf.clear();
            let n = r
                .read_line(&mut buf)
                .map_err(|e| Error::io(&self.path, e))?;
            if n == 0 {
                break;
            }
            if !buf.ends_with('\n') {
                let back = i64::try_from(n).unwrap_or(i64::MAX);
                r.seek(SeekFrom::Current(-back))
                    .map_err(|e| Error::io(&self.path, e))?;
                break;
            }
            if let Some(l) = self.asm.push(buf.trim_end_matches('\n')) {
                lines.push(l);
            }
        }
        Ok(lines)
    }

    /// Whether conmon replaced the file (rotation) or it appeared since
    /// it was opened; reopens it then.
    fn reopen_if_replaced(&mut self) -> Result<bool> {
        let current = std::fs::metadata(&self.path).map(|m| m.ino()).ok();
        let replaced = match (&self.reader, current) {
            (None, Some(_)) => true,
            (Some(_), Some(ino)) => ino != self.inode,
            (_, None) => false,
        };
        if replaced {
            self.open()?;
        }
        Ok(replaced)
    }
}

/// One container being read.
struct Source<'a> {
    ctr: &'a mut Container,
    opts: LogOptions,
    file: LogFile,
    done: bool,
}

impl Container {
    /// Fails as Podman does for containers whose output is not kept or not
    /// readable here.
    fn check_logs_readable(&self, follow: bool) -> Result<()> {
        let driver = self.rec.config.log_driver.as_str();
        match driver {
            log_config::NONE | log_config::PASSTHROUGH => Err(Error::msg(format!(
                "this container is using the '{driver}' log driver, cannot read logs: {NO_LOGS}"
            ))),
            log_config::JOURNALD => {
                let events = self.rt.config()?.conf.engine.events_logger.clone();
                if follow && events != "journald" {
                    return Err(Error::msg(format!(
                        "using --follow with the journald --log-driver but without the journald --events-backend ({events}) is not supported"
                    )));
                }
                Err(Error::msg(format!(
                    "cannot read the logs of container {}: rpod does not read the systemd journal",
                    self.id()
                )))
            }
            _ => Ok(()),
        }
    }

    /// Whether the container may still write output.
    fn may_log(&mut self) -> Result<bool> {
        match self.sync() {
            Ok(()) => {}
            Err(e) if e.is(&Error::CtrRemoved) || e.is(&Error::NoSuchCtr) => return Ok(false),
            Err(e) => return Err(e),
        }
        Ok(matches!(
            self.rec.state.state,
            ContainerStatus::Running
                | ContainerStatus::Paused
                | ContainerStatus::Stopping
                | ContainerStatus::Created
        ))
    }
}

/// Writes the logs of `ctrs` (each with its own options: prefix, tail,
/// time window) to `out` (stdout lines) and `err` (stderr lines): first
/// each container's log as it is, in order; then, for containers whose
/// options say `follow`, new lines as they arrive until all have stopped.
pub fn read_logs(
    ctrs: Vec<(&mut Container, LogOptions)>,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> Result<()> {
    for (c, opts) in &ctrs {
        c.check_logs_readable(opts.follow)?;
    }
    let mut sources = Vec::new();
    for (ctr, opts) in ctrs {
        let file = LogFile::new(PathBuf::from(&ctr.rec.config.log_path))?;
        sources.push(Source {
            ctr,
            opts,
            file,
            done: false,
        });
    }
    for s in &mut sources {
        let lines = s.file.read_new()?;
        let skip = s.opts.tail.map_or(0, |n| lines.len().saturating_sub(n));
        for l in &lines[skip..] {
            emit(l, &s.opts, out, err)?;
        }
        s.done = !s.opts.follow;
    }
    while sources.iter().any(|s| !s.done) {
        let mut progressed = false;
        for s in sources.iter_mut().filter(|s| !s.done) {
            let mut lines = s.file.read_new()?;
            if lines.is_empty() && s.file.reopen_if_replaced()? {
                lines = s.file.read_new()?;
            }
            if lines.is_empty() && !s.ctr.may_log()? {
                // Drain what conmon wrote last, then stop.
                lines = s.file.read_new()?;
                s.done = true;
            }
            progressed |= !lines.is_empty();
            for l in &lines {
                emit(l, &s.opts, out, err)?;
            }
        }
        if !progressed {
            std::thread::sleep(POLL);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Write as _;

    use super::*;

    #[test]
    fn partial_lines_wait_and_rotation_is_followed() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ctr.log");
        std::fs::write(
            &path,
            "2026-11-28T12:00:00.000000001+00:00 stdout F one\n2026-11-28T12:00:00.000000002+00:00 stdout F tw",
        )
        .unwrap();
        let mut f = LogFile::new(path.clone()).unwrap();
        let texts = |v: Vec<LogLine>| v.into_iter().map(|l| l.text).collect::<Vec<_>>();
        assert_eq!(texts(f.read_new().unwrap()), ["one"]);
        let mut a = std::fs::OpenOptions::new()
            .append(true)
            .open(&path)
            .unwrap();
        a.write_all(b"o\n").unwrap();
        assert_eq!(texts(f.read_new().unwrap()), ["two"]);
        assert!(!f.reopen_if_replaced().unwrap());
        // conmon rotates by renaming a new file over the old one.
        let tmp = dir.path().join("ctr.log.tmp");
        std::fs::write(&tmp, "2026-11-28T12:00:01.000000000+00:00 stderr F three\n").unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        assert!(f.read_new().unwrap().is_empty());
        assert!(f.reopen_if_replaced().unwrap());
        assert_eq!(texts(f.read_new().unwrap()), ["three"]);
    }

    #[test]
    fn a_missing_file_reads_as_empty_until_it_appears() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ctr.log");
        let mut f = LogFile::new(path.clone()).unwrap();
        assert!(f.read_new().unwrap().is_empty());
        assert!(!f.reopen_if_replaced().unwrap());
        std::fs::write(&path, "2026-11-28T12:00:00.000000001+00:00 stdout F hi\n").unwrap();
        assert!(f.reopen_if_replaced().unwrap());
        assert_eq!(f.read_new().unwrap().len(), 1);
    }
}
