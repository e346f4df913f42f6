//! Waiting for conmon's exit file: cheap looks (one `stat`) at short,
//! growing intervals, the state synced only once the file is there.
//!
//! inotify was measured and dropped: the wake-up is immediate, but closing
//! an inotify instance waits for an SRCU grace period in the kernel, which
//! made `stop -t 0` 10–15 ms slower on this machine than the looks cost.
//! conmon writes the file within a few milliseconds of the process's exit
//! (which `stop` already saw through a pidfd), so a look every 0.25–2 ms
//! wastes at most that much.

use std::path::Path;
use std::time::{Duration, Instant};

/// The first interval between looks; it doubles up to [`MAX_INTERVAL`].
const FIRST_INTERVAL: Duration = Duration::from_micros(250);
/// The longest interval between looks.
const MAX_INTERVAL: Duration = Duration::from_millis(2);

/// Waits up to `limit` for the file `name` in `dir` to exist; true once it
/// does.
pub(crate) fn await_file(dir: &Path, name: &str, limit: Duration) -> bool {
    let path = dir.join(name);
    let deadline = Instant::now() + limit;
    let mut interval = FIRST_INTERVAL;
    loop {
        if path.exists() {
            return true;
        }
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return false;
        }
        std::thread::sleep(left.min(interval));
        interval = (interval * 2).min(MAX_INTERVAL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn returns_soon_after_the_file_is_written() {
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
    fn an_existing_file_returns_at_once() {
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
