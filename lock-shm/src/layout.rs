//! The segment's byte layout, libpod's `shm_struct_t` and `lock_group_t`
//! reproduced as `#[repr(C)]` types over glibc's `pthread_mutex_t`, so rpod
//! and Podman read the same bytes the same way.
//!
//! ```text
//! offset 0   u16 magic (0x87D1)
//!        2   u16 unused (reserved for a version)
//!        8   pthread_mutex_t segment_lock   (guards every bitmap)
//!       48   u32 num_bitmaps
//!       52   u32 num_locks                  (= num_bitmaps * 32)
//!       56   num_bitmaps × { u32 bitmap; pthread_mutex_t locks[32]; }  (1288 bytes each)
//! ```
//!
//! The offsets are those of x86_64 glibc, asserted at compile time there;
//! on other targets the same `repr(C)` rules give whatever the C compiler
//! would give for the same structs.

use std::mem::{align_of, offset_of, size_of};

use rpod_runtime_core::{Error, Result};

/// The first two bytes of every lock segment.
pub const MAGIC: u16 = 0x87D1;

/// Locks per group (one 32-bit allocation bitmap each).
pub const LOCKS_PER_GROUP: u32 = 32;

/// rpod's default segment name (Podman's is `/libpod_lock`).
pub const DEFAULT_SEGMENT: &str = "/rpod_lock";

/// libpod's `shm_struct_t` without its trailing flexible array of groups.
#[repr(C)]
pub(crate) struct SegmentHeader {
    pub(crate) magic: u16,
    pub(crate) unused: u16,
    pub(crate) segment_lock: libc::pthread_mutex_t,
    pub(crate) num_bitmaps: u32,
    pub(crate) num_locks: u32,
}

/// libpod's `lock_group_t`: bit `i` of `bitmap` set means lock `i` of the
/// group is allocated.
#[repr(C)]
pub(crate) struct LockGroup {
    pub(crate) bitmap: u32,
    pub(crate) locks: [libc::pthread_mutex_t; LOCKS_PER_GROUP as usize],
}

/// Size of the header; the first group starts here.
pub const HEADER_SIZE: usize = size_of::<SegmentHeader>();
/// Size of one 32-lock group.
pub const GROUP_SIZE: usize = size_of::<LockGroup>();
/// Size of one `pthread_mutex_t`.
pub const MUTEX_SIZE: usize = size_of::<libc::pthread_mutex_t>();
/// Offset of the magic number.
pub const MAGIC_OFFSET: usize = offset_of!(SegmentHeader, magic);
/// Offset of the reserved version field.
pub const UNUSED_OFFSET: usize = offset_of!(SegmentHeader, unused);
/// Offset of the segment mutex.
pub const SEGMENT_LOCK_OFFSET: usize = offset_of!(SegmentHeader, segment_lock);
/// Offset of the bitmap count.
pub const NUM_BITMAPS_OFFSET: usize = offset_of!(SegmentHeader, num_bitmaps);
/// Offset of the lock count.
pub const NUM_LOCKS_OFFSET: usize = offset_of!(SegmentHeader, num_locks);
/// Offset of the bitmap inside a group.
pub const GROUP_BITMAP_OFFSET: usize = offset_of!(LockGroup, bitmap);
/// Offset of the first mutex inside a group.
pub const GROUP_LOCKS_OFFSET: usize = offset_of!(LockGroup, locks);

// C places the flexible array at the header size rounded up to the group's
// alignment; ours starts exactly at HEADER_SIZE, so the two must agree.
const _: () = assert!(HEADER_SIZE.is_multiple_of(align_of::<LockGroup>()));

// libpod's layout on x86_64 glibc, observed on a real /dev/shm/libpod_lock.
#[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
const _: () = {
    assert!(MUTEX_SIZE == 40);
    assert!(align_of::<libc::pthread_mutex_t>() == 8);
    assert!(MAGIC_OFFSET == 0);
    assert!(UNUSED_OFFSET == 2);
    assert!(SEGMENT_LOCK_OFFSET == 8);
    assert!(NUM_BITMAPS_OFFSET == 48);
    assert!(NUM_LOCKS_OFFSET == 52);
    assert!(HEADER_SIZE == 56);
    assert!(GROUP_BITMAP_OFFSET == 0);
    assert!(GROUP_LOCKS_OFFSET == 8);
    assert!(GROUP_SIZE == 1288);
};

/// `num_locks` rounded up to a whole number of groups, as libpod does.
/// Zero, or a count whose segment would not fit in memory, is `InvalidArg`.
pub fn round_up_locks(num_locks: u32) -> Result<u32> {
    if num_locks == 0 {
        return Err(Error::InvalidArg.context("the number of locks must be greater than 0"));
    }
    num_locks
        .checked_next_multiple_of(LOCKS_PER_GROUP)
        .filter(|n| segment_size(n / LOCKS_PER_GROUP).is_some())
        .ok_or_else(|| Error::InvalidArg.context(format!("too many locks: {num_locks}")))
}

/// Bytes in a segment of `num_bitmaps` groups (`None` on overflow).
pub fn segment_size(num_bitmaps: u32) -> Option<usize> {
    (num_bitmaps as usize)
        .checked_mul(GROUP_SIZE)?
        .checked_add(HEADER_SIZE)
        .filter(|&n| i64::try_from(n).is_ok())
}

/// Byte offset of lock `id`'s mutex from the start of the segment.
pub(crate) fn lock_offset(id: u32) -> usize {
    let (group, index) = (id / LOCKS_PER_GROUP, id % LOCKS_PER_GROUP);
    group_offset(group) + GROUP_LOCKS_OFFSET + index as usize * MUTEX_SIZE
}

/// Byte offset of group `group`'s bitmap from the start of the segment.
pub(crate) fn bitmap_offset(group: u32) -> usize {
    group_offset(group) + GROUP_BITMAP_OFFSET
}

fn group_offset(group: u32) -> usize {
    HEADER_SIZE + group as usize * GROUP_SIZE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_up_to_whole_groups() {
        assert_eq!(round_up_locks(1).unwrap(), 32);
        assert_eq!(round_up_locks(32).unwrap(), 32);
        assert_eq!(round_up_locks(33).unwrap(), 64);
        assert_eq!(round_up_locks(2048).unwrap(), 2048);
        assert!(round_up_locks(0).unwrap_err().is(&Error::InvalidArg));
        assert!(round_up_locks(u32::MAX).unwrap_err().is(&Error::InvalidArg));
    }

    #[test]
    fn default_segment_size_matches_podman() {
        // 2048 locks: 64 groups; /dev/shm/libpod_lock is 82488 bytes.
        #[cfg(all(target_os = "linux", target_arch = "x86_64", target_env = "gnu"))]
        assert_eq!(segment_size(2048 / LOCKS_PER_GROUP), Some(82488));
        assert_eq!(segment_size(0), Some(HEADER_SIZE));
        assert_eq!(segment_size(2), Some(segment_size(1).unwrap() + GROUP_SIZE));
    }

    #[test]
    fn offsets_walk_groups_and_mutexes() {
        assert_eq!(lock_offset(0), HEADER_SIZE + GROUP_LOCKS_OFFSET);
        assert_eq!(lock_offset(1), lock_offset(0) + MUTEX_SIZE);
        assert_eq!(lock_offset(32), lock_offset(0) + GROUP_SIZE);
        assert_eq!(bitmap_offset(2), HEADER_SIZE + 2 * GROUP_SIZE);
        assert_eq!(lock_offset(31) + MUTEX_SIZE, HEADER_SIZE + GROUP_SIZE);
    }
}
