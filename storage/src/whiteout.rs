//! Whiteouts: the tar form (`.wh.<name>`, `.wh..wh..opq`) and overlay's
//! on-disk form (a 0:0 character device, the `trusted.overlay.opaque=y`
//! xattr).

use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::Path;

use nix::sys::stat::{Mode, SFlag, makedev, mknod};

/// Prefix of a whiteout entry in a layer tar.
pub const WH_PREFIX: &str = ".wh.";
/// The opaque-directory marker entry.
pub const WH_OPAQUE: &str = ".wh..wh..opq";
/// Prefix of AUFS metadata entries (skipped).
pub const WH_META_PREFIX: &str = ".wh..wh.";
/// The overlay xattr marking a directory opaque.
pub const OPAQUE_XATTR: &str = "trusted.overlay.opaque";

/// Creates overlay's whiteout (a 0:0 character device) at `path`.
pub fn make_overlay_whiteout(path: &Path) -> std::io::Result<()> {
    mknod(path, SFlag::S_IFCHR, Mode::empty(), makedev(0, 0)).map_err(std::io::Error::from)
}

/// True when `meta` is overlay's whiteout device.
pub fn is_overlay_whiteout(meta: &std::fs::Metadata) -> bool {
    meta.file_type().is_char_device() && meta.rdev() == 0
}

/// Marks `dir` opaque for overlay.
pub fn set_opaque(dir: &Path) -> std::io::Result<()> {
    crate::sys::lsetxattr(dir, OPAQUE_XATTR, b"y")
}

/// True when `dir` carries overlay's opaque xattr.
pub fn is_opaque(dir: &Path) -> bool {
    matches!(crate::sys::lgetxattr(dir, OPAQUE_XATTR), Ok(Some(v)) if v == b"y")
}
