//! Keeping tar entries inside the layer root: name components, parent
//! directories that must be real directories, and symlink targets.

use std::collections::HashSet;
use std::ffi::{OsStr, OsString};
use std::fs;
use std::io::ErrorKind;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use rpod_runtime_core::Error;

pub(super) fn refuse(name: &[u8], why: impl std::fmt::Display) -> Error {
    Error::msg(format!(
        "refusing tar entry {:?}: {why}",
        String::from_utf8_lossy(name)
    ))
}

/// Splits a tar name into components; `..` and absolute names are refused.
pub fn components(name: &[u8]) -> std::result::Result<Vec<OsString>, String> {
    if name.first() == Some(&b'/') {
        return Err("absolute path".into());
    }
    let mut v = Vec::new();
    for c in name.split(|b| *b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => return Err("path contains \"..\"".into()),
            _ => v.push(OsStr::from_bytes(c).to_os_string()),
        }
    }
    Ok(v)
}

/// Walks `comps` below `root`, each a real directory (never a symlink);
/// missing ones are created (mode 0755) when `create` is set.
pub fn resolve_dir(
    root: &Path,
    comps: &[OsString],
    create: bool,
    created: Option<&mut HashSet<PathBuf>>,
) -> std::result::Result<PathBuf, String> {
    let mut cur = root.to_path_buf();
    let mut rel = PathBuf::new();
    let mut created = created;
    for c in comps {
        cur.push(c);
        rel.push(c);
        match fs::symlink_metadata(&cur) {
            Ok(m) if m.file_type().is_dir() => {}
            Ok(m) if m.file_type().is_symlink() => {
                return Err(format!("parent {} is a symlink", rel.display()));
            }
            Ok(_) => return Err(format!("parent {} is not a directory", rel.display())),
            Err(e) if e.kind() == ErrorKind::NotFound && create => {
                fs::create_dir(&cur).map_err(|e| format!("{}: {e}", cur.display()))?;
                let _ = fs::set_permissions(&cur, fs::Permissions::from_mode(0o755));
                if let Some(c) = created.as_deref_mut() {
                    c.insert(rel.clone());
                }
            }
            Err(e) => return Err(format!("{}: {e}", rel.display())),
        }
    }
    Ok(cur)
}

/// True when a relative symlink target, seen from the directory `parent_depth`
/// levels below the root, stays inside the root.
pub(super) fn symlink_target_inside(parent_depth: usize, target: &[u8]) -> bool {
    if target.first() == Some(&b'/') {
        return true;
    }
    let mut depth = parent_depth as i64;
    for c in target.split(|b| *b == b'/') {
        match c {
            b"" | b"." => {}
            b".." => {
                depth -= 1;
                if depth < 0 {
                    return false;
                }
            }
            _ => depth += 1,
        }
    }
    true
}
