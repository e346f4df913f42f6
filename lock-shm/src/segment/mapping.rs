//! One shared read-write mapping of a shm object, with the typed raw
//! accesses the segment header needs.

use std::fs::File;
use std::num::NonZeroUsize;
use std::ptr::NonNull;
use std::sync::atomic::AtomicU16;

use nix::sys::mman::{MapFlags, ProtFlags, mmap, munmap};
use rpod_runtime_core::{Error, Result};

use super::sys_err;
use crate::layout::MAGIC_OFFSET;

/// A shared read-write mapping of `len` bytes of `file`; unmapped on drop
/// unless leaked.
pub(super) struct Mapping {
    pub(super) base: NonNull<u8>,
    pub(super) len: usize,
}

impl Mapping {
    pub(super) fn new(name: &str, file: &File, len: usize) -> Result<Mapping> {
        let nz = NonZeroUsize::new(len)
            .ok_or_else(|| Error::InvalidArg.context("cannot map an empty lock segment"))?;
        // SAFETY: a fresh MAP_SHARED mapping at an address the kernel picks,
        // so it overlaps no Rust object. The caller made sure the object is
        // at least `len` bytes long, so no access through it hits SIGBUS.
        let ptr = unsafe {
            mmap(
                None,
                nz,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_SHARED,
                file,
                0,
            )
        }
        .map_err(|e| sys_err(name, "mapping the lock segment", e as i32))?;
        Ok(Mapping {
            base: ptr.cast(),
            len,
        })
    }

    /// A raw pointer `offset` bytes into the mapping, for a `T` that the
    /// caller has checked lies inside it.
    pub(super) fn at<T>(&self, offset: usize) -> *mut T {
        debug_assert!(offset + size_of::<T>() <= self.len);
        debug_assert!(offset.is_multiple_of(align_of::<T>()));
        self.base.as_ptr().wrapping_add(offset).cast()
    }

    pub(super) fn magic(&self) -> &AtomicU16 {
        // SAFETY: offset 0 is inside the mapping (len >= HEADER_SIZE), is
        // 2-aligned (the mapping is page-aligned), and the mapping lives as
        // long as `self`. The magic is only accessed atomically by rpod.
        unsafe { AtomicU16::from_ptr(self.at(MAGIC_OFFSET)) }
    }

    pub(super) fn read_u32(&self, offset: usize) -> u32 {
        // SAFETY: callers pass header offsets below HEADER_SIZE <= len,
        // 4-aligned; the fields are written once by the creator before it
        // publishes the magic with Release, and read after an Acquire load.
        unsafe { self.at::<u32>(offset).read() }
    }

    pub(super) fn write_u32(&self, offset: usize, v: u32) {
        // SAFETY: as `read_u32`; only the creator writes, before publishing.
        unsafe { self.at::<u32>(offset).write(v) }
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        // SAFETY: `base`/`len` are exactly what mmap returned, and no pointer
        // derived from them is used after this (the owner is being dropped).
        if let Err(e) = unsafe { munmap(self.base.cast(), self.len) } {
            tracing::warn!("unmapping lock segment: {e}");
        }
    }
}
