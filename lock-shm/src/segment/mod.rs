//! The crate's only `unsafe` code (this module and its `mapping` and
//! `pthread` files): mapping the POSIX shm segment and calling pthread on
//! the mutexes that live inside it.
//!
//! A [`Segment`] is one mapping of one shm object. Everything it hands out is
//! safe to call with any argument: IDs are range-checked here, the mapping
//! is only ever accessed through raw pointers and atomics (never through
//! Rust references, since other processes write the same bytes), and the
//! mapping outlives every mutex this process holds in it.
//!
//! The robust-mutex list glibc keeps per thread stores the *address* of
//! every held robust mutex. Two rules keep those addresses valid:
//! * one mapping per shm object per process (the [`REGISTRY`]), so a mutex is
//!   always locked and unlocked through the same address;
//! * a mapping through which a lock was ever taken is never unmapped (a
//!   thread may still hold that lock: dropping a handle does not unlock).
//!   Exact tracking would cost an atomic read-modify-write per lock and
//!   unlock, a third of the lock's cost; an engine maps its segment once.

#![allow(unsafe_code)]

mod mapping;
mod pthread;

use std::fs::File;
use std::io;
use std::os::unix::fs::MetadataExt;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::sys::mman::{shm_open, shm_unlink};
use nix::sys::stat::Mode;
use rpod_runtime_core::{Error, Result};

use crate::layout::{
    self, HEADER_SIZE, LOCKS_PER_GROUP, MAGIC, NUM_BITMAPS_OFFSET, NUM_LOCKS_OFFSET,
    SEGMENT_LOCK_OFFSET, UNUSED_OFFSET,
};
use mapping::Mapping;
use pthread::{MutexAttr, Taken, init_mutex, lock_mutex, unlock_mutex};

/// How long `open` waits for a segment that another process is still
/// creating (size still 0 or magic not yet written).
const READY_TIMEOUT: Duration = Duration::from_secs(2);

/// A shm object's (device, inode): what identifies it across names.
type ObjectId = (u64, u64);

/// Every live mapping in this process, by the object it maps.
static REGISTRY: Mutex<Vec<(ObjectId, Weak<Segment>)>> = Mutex::new(Vec::new());

/// One mapping of a lock segment.
pub(crate) struct Segment {
    name: String,
    base: NonNull<u8>,
    len: usize,
    num_bitmaps: u32,
    num_locks: u32,
    /// Set once a lock has been taken through this mapping.
    used: AtomicBool,
}

// SAFETY: `base` points into a MAP_SHARED mapping that other processes write
// concurrently anyway; this type never creates Rust references into it. The
// header fields it reads are immutable after creation, bitmaps are accessed
// with atomics under the segment mutex, and pthread mutexes are designed to
// be used from any thread. Sharing the pointer between threads adds nothing
// that sharing between processes does not already have.
unsafe impl Send for Segment {}

// SAFETY: as for `Send`: every access through `&Segment` is either to
// immutable data, atomic, or a pthread call that does its own synchronisation.
unsafe impl Sync for Segment {}

impl std::fmt::Debug for Segment {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Segment")
            .field("name", &self.name)
            .field("len", &self.len)
            .field("num_locks", &self.num_locks)
            .finish_non_exhaustive()
    }
}

fn sys_err(name: &str, what: impl Into<String>, errno: i32) -> Error {
    Error::io(name, io::Error::from_raw_os_error(errno)).context(what)
}

/// Creates a shm object or opens an existing one.
fn shm(name: &str, flags: OFlag, mode: u32) -> std::result::Result<File, Errno> {
    shm_open(name, flags, Mode::from_bits_truncate(mode)).map(File::from)
}

/// The identity of an open shm object.
fn identity(name: &str, file: &File) -> Result<ObjectId> {
    let m = file.metadata().map_err(|e| Error::io(name, e))?;
    Ok((m.dev(), m.ino()))
}

fn registered(key: ObjectId) -> Option<Arc<Segment>> {
    let mut reg = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
    reg.retain(|(_, w)| w.strong_count() > 0);
    reg.iter()
        .find(|(k, _)| *k == key)
        .and_then(|(_, w)| w.upgrade())
}

fn register(key: ObjectId, seg: Segment) -> Arc<Segment> {
    let mut reg = REGISTRY.lock().unwrap_or_else(|p| p.into_inner());
    // Another thread may have mapped the same object meanwhile: use its.
    if let Some(s) = reg
        .iter()
        .find(|(k, _)| *k == key)
        .and_then(|(_, w)| w.upgrade())
    {
        return s;
    }
    let seg = Arc::new(seg);
    reg.push((key, Arc::downgrade(&seg)));
    seg
}

impl Segment {
    /// Creates segment `name` (O_EXCL, mode 0600) with `num_locks` locks,
    /// which must be a non-zero multiple of 32. `Ok(None)` when it exists.
    pub(crate) fn create(name: &str, num_locks: u32) -> Result<Option<Arc<Segment>>> {
        let file = match shm(name, OFlag::O_RDWR | OFlag::O_CREAT | OFlag::O_EXCL, 0o600) {
            Ok(f) => f,
            Err(Errno::EEXIST) => return Ok(None),
            Err(e) => return Err(sys_err(name, "creating the lock segment", e as i32)),
        };
        match Self::init(name, &file, num_locks) {
            Ok(seg) => Ok(Some(register(identity(name, &file)?, seg))),
            Err(e) => {
                // Do not leave a half-made segment for others to wait on.
                if let Err(u) = shm_unlink(name) {
                    tracing::warn!("removing half-created lock segment {name}: {u}");
                }
                Err(e)
            }
        }
    }

    fn init(name: &str, file: &File, num_locks: u32) -> Result<Segment> {
        if num_locks == 0 || !num_locks.is_multiple_of(LOCKS_PER_GROUP) {
            return Err(Error::InvalidArg.context(format!(
                "lock count {num_locks} is not a positive multiple of {LOCKS_PER_GROUP}"
            )));
        }
        let num_bitmaps = num_locks / LOCKS_PER_GROUP;
        let len = layout::segment_size(num_bitmaps)
            .ok_or_else(|| Error::InvalidArg.context(format!("too many locks: {num_locks}")))?;
        file.set_len(len as u64).map_err(|e| Error::io(name, e))?;
        let map = Mapping::new(name, file, len)?;
        // ftruncate zero-filled the object: bitmaps are empty, magic is 0.
        let unused = map.at::<u16>(UNUSED_OFFSET);
        // SAFETY: inside the header of our fresh mapping; nobody else touches
        // the segment before the magic is published below.
        unsafe { unused.write(0) };
        map.write_u32(NUM_BITMAPS_OFFSET, num_bitmaps);
        map.write_u32(NUM_LOCKS_OFFSET, num_locks);
        let attr = MutexAttr::new(name)?;
        init_mutex(name, map.at(SEGMENT_LOCK_OFFSET), &attr)?;
        for id in 0..num_locks {
            init_mutex(name, map.at(layout::lock_offset(id)), &attr)?;
        }
        // Publish: openers wait for the magic, then read the header.
        map.magic().store(MAGIC, Ordering::Release);
        Ok(Segment::from_mapping(name, map, num_bitmaps, num_locks))
    }

    fn from_mapping(name: &str, map: Mapping, num_bitmaps: u32, num_locks: u32) -> Segment {
        let seg = Segment {
            name: name.to_string(),
            base: map.base,
            len: map.len,
            num_bitmaps,
            num_locks,
            used: AtomicBool::new(false),
        };
        // `Segment`'s Drop owns the unmapping from now on.
        std::mem::forget(map);
        seg
    }

    /// Opens the existing segment `name`. `Ok(None)` when it does not exist.
    /// Waits (briefly) for a creator that has not finished initialising it.
    pub(crate) fn open(name: &str) -> Result<Option<Arc<Segment>>> {
        let file = match shm(name, OFlag::O_RDWR, 0) {
            Ok(f) => f,
            Err(Errno::ENOENT) => return Ok(None),
            Err(e) => return Err(sys_err(name, "opening the lock segment", e as i32)),
        };
        let key = identity(name, &file)?;
        if let Some(seg) = registered(key) {
            return Ok(Some(seg));
        }
        let unfinished = || {
            Error::msg(format!(
                "lock segment {name} was never initialised (did its creator die?); \
                 run `rpod system renumber` to recreate it"
            ))
        };
        let not_ours = || {
            Error::InvalidArg.context(format!(
                "{name} is not a lock segment (bad size or magic number)"
            ))
        };
        let deadline = Instant::now() + READY_TIMEOUT;
        // The creator sizes the object before anything else.
        let len = loop {
            let len = file.metadata().map_err(|e| Error::io(name, e))?.len();
            if len > 0 {
                break usize::try_from(len).map_err(|_| not_ours())?;
            }
            if Instant::now() > deadline {
                return Err(unfinished());
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        if len < HEADER_SIZE {
            return Err(not_ours());
        }
        let map = Mapping::new(name, &file, len)?;
        loop {
            match map.magic().load(Ordering::Acquire) {
                MAGIC => break,
                0 if Instant::now() <= deadline => std::thread::sleep(Duration::from_millis(5)),
                0 => return Err(unfinished()),
                _ => return Err(not_ours()),
            }
        }
        let num_bitmaps = map.read_u32(NUM_BITMAPS_OFFSET);
        let num_locks = map.read_u32(NUM_LOCKS_OFFSET);
        let fits = layout::segment_size(num_bitmaps).is_some_and(|n| n <= len);
        if num_bitmaps == 0 || num_bitmaps.checked_mul(LOCKS_PER_GROUP) != Some(num_locks) || !fits
        {
            return Err(Error::msg(format!(
                "lock segment {name} is corrupt: {num_bitmaps} bitmaps, {num_locks} locks, {len} bytes; \
                 run `rpod system renumber` to recreate it"
            )));
        }
        Ok(Some(register(
            key,
            Segment::from_mapping(name, map, num_bitmaps, num_locks),
        )))
    }

    /// Removes the name `name` (mappings stay valid until unmapped).
    /// A missing segment is not an error.
    pub(crate) fn unlink(name: &str) -> Result<()> {
        match shm_unlink(name) {
            Ok(()) | Err(Errno::ENOENT) => Ok(()),
            Err(e) => Err(sys_err(name, "removing the lock segment", e as i32)),
        }
    }

    /// The segment's name.
    pub(crate) fn name(&self) -> &str {
        &self.name
    }

    /// How many locks the segment holds.
    pub(crate) fn num_locks(&self) -> u32 {
        self.num_locks
    }

    fn ptr<T>(&self, offset: usize) -> *mut T {
        debug_assert!(offset + size_of::<T>() <= self.len);
        self.base.as_ptr().wrapping_add(offset).cast()
    }

    fn mutex(&self, id: u32) -> Result<*mut libc::pthread_mutex_t> {
        if id >= self.num_locks {
            return Err(Error::InvalidArg.context(format!(
                "lock ID {id} is out of range (segment {} has {} locks)",
                self.name, self.num_locks
            )));
        }
        Ok(self.ptr(layout::lock_offset(id)))
    }

    /// Blocks until the calling thread holds lock `id`.
    pub(crate) fn lock(&self, id: u32) -> Result<()> {
        let m = self.mutex(id)?;
        lock_mutex(&self.name, Some(id), m, false)?;
        // A load and a predictable branch, unlike a counter's atomic
        // read-modify-write on every lock and unlock (see `Drop`).
        if !self.used.load(Ordering::Relaxed) {
            self.used.store(true, Ordering::Relaxed);
        }
        Ok(())
    }

    /// Releases lock `id`, which the calling thread must hold.
    pub(crate) fn unlock(&self, id: u32) -> Result<()> {
        let m = self.mutex(id)?;
        unlock_mutex(&self.name, Some(id), m)
    }

    /// True when some thread (of any process, this one included) holds `id`.
    /// Probes with a trylock, so it may briefly hold the lock itself.
    pub(crate) fn is_held(&self, id: u32) -> Result<bool> {
        let m = self.mutex(id)?;
        match lock_mutex(&self.name, Some(id), m, true)? {
            Taken::Busy => Ok(true),
            Taken::Yes => {
                unlock_mutex(&self.name, Some(id), m)?;
                Ok(false)
            }
        }
    }

    /// Takes the segment mutex, giving access to the allocation bitmaps.
    pub(crate) fn bitmaps(&self) -> Result<Bitmaps<'_>> {
        lock_mutex(&self.name, None, self.ptr(SEGMENT_LOCK_OFFSET), false)?;
        Ok(Bitmaps {
            seg: self,
            _same_thread: std::marker::PhantomData,
        })
    }
}

impl Drop for Segment {
    fn drop(&mut self) {
        let map = Mapping {
            base: self.base,
            len: self.len,
        };
        if *self.used.get_mut() {
            // Some thread may still hold a lock taken through this mapping
            // (a lock is not released by dropping its handle), and glibc's
            // robust list would then point into it: keep it mapped. An
            // engine maps its segment once for its whole life, so this
            // costs nothing there.
            tracing::debug!(segment = %self.name, "leaving a used lock segment mapped");
            std::mem::forget(map);
        }
    }
}

/// The allocation bitmaps, with the segment mutex held; released on drop,
/// on the thread that took it (the guard is not `Send`).
pub(crate) struct Bitmaps<'a> {
    seg: &'a Segment,
    _same_thread: std::marker::PhantomData<*const ()>,
}

impl Bitmaps<'_> {
    /// Number of 32-lock groups.
    pub(crate) fn len(&self) -> u32 {
        self.seg.num_bitmaps
    }

    fn word(&self, group: u32) -> &AtomicU32 {
        assert!(group < self.seg.num_bitmaps, "bitmap {group} out of range");
        // SAFETY: `group` is in range so the word lies inside the mapping;
        // it is 4-aligned (group offsets are multiples of 8); the mapping
        // outlives `&self`. rpod only accesses bitmaps atomically, with the
        // segment mutex held (Podman writes them plainly under that mutex).
        unsafe { AtomicU32::from_ptr(self.seg.ptr(layout::bitmap_offset(group))) }
    }

    /// Bitmap of group `group`.
    pub(crate) fn get(&self, group: u32) -> u32 {
        self.word(group).load(Ordering::Relaxed)
    }

    /// Sets the bitmap of group `group`.
    pub(crate) fn set(&self, group: u32, bits: u32) {
        self.word(group).store(bits, Ordering::Relaxed);
    }
}

impl Drop for Bitmaps<'_> {
    fn drop(&mut self) {
        if let Err(e) = unlock_mutex(&self.seg.name, None, self.seg.ptr(SEGMENT_LOCK_OFFSET)) {
            tracing::error!("releasing the lock segment mutex: {e}");
        }
    }
}

/// A pthread mutex on the heap, outside any segment: the baseline the
/// benchmark compares a segment lock against. Not part of the API.
pub struct BareMutex {
    // UnsafeCell: pthread writes it through pointers derived from `&self`.
    m: Box<std::cell::UnsafeCell<libc::pthread_mutex_t>>,
}

// SAFETY: a pthread mutex may be locked and unlocked from any thread; the
// box never moves the mutex after initialisation.
unsafe impl Send for BareMutex {}

// SAFETY: as for `Send`: pthread calls synchronise themselves.
unsafe impl Sync for BareMutex {}

impl std::fmt::Debug for BareMutex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BareMutex").finish_non_exhaustive()
    }
}

impl BareMutex {
    /// A default mutex, or (with `robust_shared`) one with the segment's
    /// attributes (normal, process-shared, robust).
    pub fn new(robust_shared: bool) -> Result<BareMutex> {
        // SAFETY: all-zero is a valid initial value for pthread_mutex_init
        // to overwrite (and equals PTHREAD_MUTEX_INITIALIZER on glibc).
        let zeroed: libc::pthread_mutex_t = unsafe { std::mem::zeroed() };
        let m = Box::new(std::cell::UnsafeCell::new(zeroed));
        let p = m.get();
        let rc = if robust_shared {
            let attr = MutexAttr::new("bare mutex")?;
            // SAFETY: `p` is a boxed, unused mutex; `attr` is initialised.
            unsafe { libc::pthread_mutex_init(p, attr.as_ptr()) }
        } else {
            // SAFETY: `p` is a boxed, unused mutex; NULL means default attributes.
            unsafe { libc::pthread_mutex_init(p, std::ptr::null()) }
        };
        if rc != 0 {
            return Err(sys_err("bare mutex", "initialising", rc));
        }
        // Only an initialised mutex gets a Drop that destroys it.
        Ok(BareMutex { m })
    }

    fn ptr(&self) -> *mut libc::pthread_mutex_t {
        self.m.get()
    }

    /// Locks it (blocking).
    pub fn lock(&self) -> Result<()> {
        lock_mutex("bare mutex", None, self.ptr(), false).map(|_| ())
    }

    /// Unlocks it.
    pub fn unlock(&self) -> Result<()> {
        unlock_mutex("bare mutex", None, self.ptr())
    }
}

impl Drop for BareMutex {
    fn drop(&mut self) {
        // SAFETY: the mutex was initialised in `new` and nothing can hold it
        // now (`&mut self`): destroying an unlocked mutex is defined.
        unsafe { libc::pthread_mutex_destroy(self.m.get()) };
    }
}
