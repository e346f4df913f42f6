//! [`ShmLockManager`]: the `LockManager` over a shm segment, and its
//! [`Locker`] handles. Opening, creating and resizing policy lives here; the
//! raw segment access lives in `segment`.

use std::fs::File;
use std::io::Read;
use std::sync::Arc;

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::mman::shm_open;
use nix::sys::stat::Mode;
use rpod_runtime_core::backend::BackendContext;
use rpod_runtime_core::lock::{LockManager, Locker};
use rpod_runtime_core::{Error, Result};

use crate::layout::{
    self, DEFAULT_SEGMENT, HEADER_SIZE, LOCKS_PER_GROUP, MAGIC_OFFSET, NUM_BITMAPS_OFFSET,
    NUM_LOCKS_OFFSET, UNUSED_OFFSET,
};
use crate::segment::Segment;

/// Locks in a POSIX shm segment with libpod's layout.
///
/// Cloning is cheap and shares the mapping. Dropping the manager unmaps
/// the segment but never removes it: it outlives every process, as libpod's
/// does. Use [`ShmLockManager::unlink`] to remove it.
#[derive(Debug, Clone)]
pub struct ShmLockManager {
    seg: Arc<Segment>,
}

/// What [`ShmLockManager::inspect`] read from a segment's header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SegmentInfo {
    /// The magic number (`0x87D1` for libpod and rpod segments).
    pub magic: u16,
    /// The reserved field after the magic (0 today).
    pub unused: u16,
    /// Number of 32-lock groups.
    pub num_bitmaps: u32,
    /// Number of locks.
    pub num_locks: u32,
    /// Size of the shm object in bytes.
    pub size: u64,
}

impl SegmentInfo {
    /// True when the header has our magic and the size matches the layout.
    pub fn is_valid(&self) -> bool {
        self.magic == layout::MAGIC
            && self.num_bitmaps.checked_mul(LOCKS_PER_GROUP) == Some(self.num_locks)
            && layout::segment_size(self.num_bitmaps).map(|n| n as u64) == Some(self.size)
    }
}

fn check_name(path: &str) -> Result<()> {
    let ok = path.len() > 1 && path.starts_with('/') && !path[1..].contains(['/', '\0']);
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidArg.context(format!(
            "invalid shm lock segment name {path:?}: it must be \"/name\" with no other '/'"
        )))
    }
}

fn missing(path: &str) -> Error {
    Error::io(path, std::io::Error::from(std::io::ErrorKind::NotFound))
        .context("opening the lock segment")
}

impl ShmLockManager {
    /// Opens segment `path` (e.g. `/rpod_lock`) if it exists, else creates
    /// it with `num_locks` locks (rounded up to a multiple of 32). When two
    /// processes race to create it, both end up using the one that won.
    ///
    /// An existing segment with another lock count is
    /// [`Error::LockCountMismatch`] (the user must run `rpod system renumber`).
    pub fn open_or_create(path: &str, num_locks: u32) -> Result<Self> {
        check_name(path)?;
        let want = layout::round_up_locks(num_locks)?;
        // Open and create can both lose a race (removed between the two,
        // created between the two); a few rounds settle it.
        for _ in 0..8 {
            if let Some(seg) = Segment::open(path)? {
                return Self::checked(seg, want);
            }
            if let Some(seg) = Segment::create(path, want)? {
                tracing::debug!(segment = path, num_locks = want, "created lock segment");
                return Ok(ShmLockManager { seg });
            }
        }
        Err(Error::msg(format!(
            "lock segment {path} keeps appearing and disappearing; is another process renumbering?"
        )))
    }

    /// Opens the existing segment `path`, which must hold `num_locks` locks
    /// (rounded up to a multiple of 32).
    pub fn open(path: &str, num_locks: u32) -> Result<Self> {
        check_name(path)?;
        let want = layout::round_up_locks(num_locks)?;
        match Segment::open(path)? {
            Some(seg) => Self::checked(seg, want),
            None => Err(missing(path)),
        }
    }

    /// Creates segment `path`, failing if it exists.
    pub fn create(path: &str, num_locks: u32) -> Result<Self> {
        check_name(path)?;
        let want = layout::round_up_locks(num_locks)?;
        match Segment::create(path, want)? {
            Some(seg) => Ok(ShmLockManager { seg }),
            None => Err(Error::io(
                path,
                std::io::Error::from(std::io::ErrorKind::AlreadyExists),
            )
            .context("creating the lock segment")),
        }
    }

    /// Removes segment `path` and creates it afresh with `num_locks` locks,
    /// none allocated (`rpod system renumber`). Processes that still map the
    /// old segment keep using it, so nothing else may run meanwhile.
    pub fn recreate(path: &str, num_locks: u32) -> Result<Self> {
        check_name(path)?;
        Self::unlink(path)?;
        Self::create(path, num_locks)
    }

    /// Removes segment `path`; a missing one is not an error.
    pub fn unlink(path: &str) -> Result<()> {
        check_name(path)?;
        Segment::unlink(path)
    }

    /// The lock manager the runtime asks for: `ctx.shm_lock_path` (default
    /// `/rpod_lock`) with `ctx.num_locks` locks.
    ///
    /// Under `ctx.renumber` a segment that cannot be used as it is (another
    /// lock count, corrupt, never initialised) is recreated instead of
    /// failing; invalid arguments and foreign segments still fail.
    pub fn from_context(ctx: &BackendContext) -> Result<Self> {
        let path = if ctx.shm_lock_path.is_empty() {
            DEFAULT_SEGMENT
        } else {
            ctx.shm_lock_path.as_str()
        };
        match Self::open_or_create(path, ctx.num_locks) {
            Err(e) if ctx.renumber && !e.is(&Error::InvalidArg) => {
                tracing::info!(segment = path, "recreating the lock segment: {e}");
                Self::recreate(path, ctx.num_locks)
            }
            other => other,
        }
    }

    /// Reads the header of segment `path` without mapping or changing it
    /// (for diagnostics, and to check a segment made by Podman).
    /// `Ok(None)` when it does not exist.
    pub fn inspect(path: &str) -> Result<Option<SegmentInfo>> {
        check_name(path)?;
        let mut file = match shm_open(path, OFlag::O_RDONLY, Mode::empty()) {
            Ok(fd) => File::from(fd),
            Err(Errno::ENOENT) => return Ok(None),
            Err(e) => return Err(Error::io(path, std::io::Error::from(e))),
        };
        let size = file.metadata().map_err(|e| Error::io(path, e))?.len();
        let mut header = [0u8; HEADER_SIZE];
        file.read_exact(&mut header)
            .map_err(|e| Error::io(path, e).context("reading the lock segment header"))?;
        let u16_at = |o: usize| u16::from_ne_bytes([header[o], header[o + 1]]);
        let u32_at =
            |o: usize| u32::from_ne_bytes([header[o], header[o + 1], header[o + 2], header[o + 3]]);
        Ok(Some(SegmentInfo {
            magic: u16_at(MAGIC_OFFSET),
            unused: u16_at(UNUSED_OFFSET),
            num_bitmaps: u32_at(NUM_BITMAPS_OFFSET),
            num_locks: u32_at(NUM_LOCKS_OFFSET),
            size,
        }))
    }

    fn checked(seg: Arc<Segment>, want: u32) -> Result<Self> {
        if seg.num_locks() != want {
            return Err(Error::LockCountMismatch {
                found: seg.num_locks(),
                configured: want,
            }
            .context(format!("opening lock segment {}", seg.name())));
        }
        Ok(ShmLockManager { seg })
    }

    /// The segment's name.
    pub fn path(&self) -> &str {
        self.seg.name()
    }

    /// How many locks the segment holds.
    pub fn num_locks(&self) -> u32 {
        self.seg.num_locks()
    }

    fn check_range(&self, id: u32) -> Result<()> {
        if id >= self.seg.num_locks() {
            return Err(Error::InvalidArg.context(format!(
                "lock ID {id} is out of range (have {} locks)",
                self.seg.num_locks()
            )));
        }
        Ok(())
    }

    fn handle(&self, id: u32) -> Arc<dyn Locker> {
        Arc::new(ShmLocker {
            id,
            seg: Arc::clone(&self.seg),
        })
    }
}

impl LockManager for ShmLockManager {
    fn name(&self) -> &'static str {
        "shm"
    }

    fn allocate(&self) -> Result<Arc<dyn Locker>> {
        let bitmaps = self.seg.bitmaps()?;
        for group in 0..bitmaps.len() {
            let bits = bitmaps.get(group);
            if bits != u32::MAX {
                let index = bits.trailing_ones();
                bitmaps.set(group, bits | (1 << index));
                drop(bitmaps);
                return Ok(self.handle(group * LOCKS_PER_GROUP + index));
            }
        }
        Err(Error::LocksExhausted(self.seg.num_locks()))
    }

    fn retrieve(&self, id: u32) -> Result<Arc<dyn Locker>> {
        self.check_range(id)?;
        Ok(self.handle(id))
    }

    fn allocate_given(&self, id: u32) -> Result<Arc<dyn Locker>> {
        self.check_range(id)?;
        let (group, bit) = (id / LOCKS_PER_GROUP, 1u32 << (id % LOCKS_PER_GROUP));
        let bitmaps = self.seg.bitmaps()?;
        let bits = bitmaps.get(group);
        if bits & bit != 0 {
            return Err(Error::LockAllocated(id));
        }
        bitmaps.set(group, bits | bit);
        drop(bitmaps);
        Ok(self.handle(id))
    }

    fn allocated_ids(&self) -> Result<Option<Vec<u32>>> {
        let bitmaps = self.seg.bitmaps()?;
        let mut ids = Vec::new();
        for group in 0..bitmaps.len() {
            let bits = bitmaps.get(group);
            ids.extend(
                (0..LOCKS_PER_GROUP)
                    .filter(|i| bits & (1 << i) != 0)
                    .map(|i| group * LOCKS_PER_GROUP + i),
            );
        }
        Ok(Some(ids))
    }

    fn free_all(&self) -> Result<()> {
        let bitmaps = self.seg.bitmaps()?;
        for group in 0..bitmaps.len() {
            bitmaps.set(group, 0);
        }
        Ok(())
    }

    fn available(&self) -> Result<Option<u32>> {
        let bitmaps = self.seg.bitmaps()?;
        let taken: u32 = (0..bitmaps.len())
            .map(|g| bitmaps.get(g).count_ones())
            .sum();
        Ok(Some(self.seg.num_locks() - taken))
    }

    /// Every lock some thread holds, in any process: each lock is probed
    /// with a trylock (as `podman system locks` does).
    fn locks_held(&self) -> Result<Vec<u32>> {
        let mut held = Vec::new();
        for id in 0..self.seg.num_locks() {
            if self.seg.is_held(id)? {
                held.push(id);
            }
        }
        Ok(held)
    }
}

/// A handle to one lock of a [`ShmLockManager`]'s segment.
#[derive(Debug)]
struct ShmLocker {
    id: u32,
    seg: Arc<Segment>,
}

impl Locker for ShmLocker {
    fn id(&self) -> u32 {
        self.id
    }

    fn lock(&self) -> Result<()> {
        self.seg.lock(self.id)
    }

    fn unlock(&self) -> Result<()> {
        self.seg.unlock(self.id)
    }

    fn free(&self) -> Result<()> {
        let (group, bit) = (
            self.id / LOCKS_PER_GROUP,
            1u32 << (self.id % LOCKS_PER_GROUP),
        );
        let bitmaps = self.seg.bitmaps()?;
        let bits = bitmaps.get(group);
        if bits & bit == 0 {
            return Err(Error::LockNotAllocated(self.id));
        }
        bitmaps.set(group, bits & !bit);
        Ok(())
    }
}
