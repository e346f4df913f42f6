//! Running independent filesystem work on a few threads at once.
//!
//! Deleting a directory tree mostly waits on the disk (each freed extent is
//! discarded and journaled), so several trees deleted side by side finish
//! sooner than one after another, even on two cores.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// At most this many threads work at once.
const WORKERS: usize = 4;

/// Calls `f` on every item, on up to [`WORKERS`] threads, and returns the
/// results in the items' order. A single item runs on the calling thread.
pub(crate) fn map<T, R, F>(items: &[T], f: F) -> Vec<R>
where
    T: Sync,
    R: Send,
    F: Fn(&T) -> R + Sync,
{
    if items.len() <= 1 {
        return items.iter().map(&f).collect();
    }
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, R)>> = Mutex::new(Vec::with_capacity(items.len()));
    std::thread::scope(|s| {
        for _ in 0..WORKERS.min(items.len()) {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let r = f(item);
                    done.lock().unwrap_or_else(|p| p.into_inner()).push((i, r));
                }
            });
        }
    });
    let mut done = done.into_inner().unwrap_or_else(|p| p.into_inner());
    done.sort_unstable_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, r)| r).collect()
}

#[cfg(test)]
mod tests {
    use super::map;

    #[test]
    fn results_keep_the_items_order() {
        let items: Vec<u64> = (0..100).collect();
        let out = map(&items, |&n| {
            // Uneven work so that threads finish out of order.
            std::thread::sleep(std::time::Duration::from_micros((n % 7) * 50));
            n * 2
        });
        assert_eq!(out, (0..100).map(|n| n * 2).collect::<Vec<_>>());
    }

    #[test]
    fn runs_on_several_threads() {
        let items: Vec<u32> = (0..8).collect();
        let ids = map(&items, |_| {
            std::thread::sleep(std::time::Duration::from_millis(20));
            std::thread::current().id()
        });
        let distinct: std::collections::HashSet<_> = ids.into_iter().collect();
        assert!(distinct.len() > 1, "all items ran on one thread");
    }

    #[test]
    fn empty_and_single() {
        assert!(map(&[] as &[u8], |_| 1).is_empty());
        assert_eq!(map(&[5u8], |&n| n + 1), vec![6]);
    }
}
