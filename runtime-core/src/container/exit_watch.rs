//! Waiting for conmon's exit file without a sleep loop: an inotify watch on
//! the exits directory wakes the waiter the moment conmon writes the file.

use std::os::fd::AsFd;
use std::path::Path;
use std::time::{Duration, Instant};

use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::inotify::{AddWatchFlags, InitFlags, Inotify};

/// Waits up to `limit` for the file `name` in `dir` to exist; true once it
/// does. The watch is set before the first look, so a file written in
/// between is not missed. Without inotify (or when `dir` cannot be
/// watched) it looks every 2 ms instead.
pub(crate) fn await_file(dir: &Path, name: &str, limit: Duration) -> bool {
    let path = dir.join(name);
    let deadline = Instant::now() + limit;
    let watch = Inotify::init(InitFlags::IN_CLOEXEC | InitFlags::IN_NONBLOCK).and_then(|ino| {
        ino.add_watch(
            dir,
            AddWatchFlags::IN_CLOSE_WRITE | AddWatchFlags::IN_MOVED_TO | AddWatchFlags::IN_CREATE,
        )
        .map(|_| ino)
    });
    loop {
        if path.exists() {
            return true;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        match &watch {
            Ok(ino) => {
                let timeout = PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX);
                let mut fds = [PollFd::new(ino.as_fd(), PollFlags::POLLIN)];
                // Any event (or an interrupted poll) means: look again. The
                // events themselves are drained, not parsed: the file's
                // existence is what counts.
                let _ = poll(&mut fds, timeout);
                let _ = ino.read_events();
            }
            Err(_) => std::thread::sleep(left.min(Duration::from_millis(2))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wakes_when_the_file_is_written() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("ctr");
        let writer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            std::fs::write(path, "0").unwrap();
        });
        let started = Instant::now();
        assert!(await_file(dir.path(), "ctr", Duration::from_secs(10)));
        assert!(started.elapsed() < Duration::from_secs(5));
        writer.join().unwrap();
    }

    #[test]
    fn other_files_do_not_end_the_wait_and_the_limit_holds() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("other"), "1").unwrap();
        let started = Instant::now();
        assert!(!await_file(dir.path(), "ctr", Duration::from_millis(150)));
        assert!(started.elapsed() >= Duration::from_millis(150));
    }

    #[test]
    fn an_existing_file_returns_at_once_even_without_a_watchable_dir() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("ctr"), "0").unwrap();
        assert!(await_file(dir.path(), "ctr", Duration::ZERO));
        assert!(!await_file(
            &dir.path().join("missing"),
            "ctr",
            Duration::from_millis(10)
        ));
    }
}
