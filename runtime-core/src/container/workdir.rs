//! The working directory check made before the OCI runtime creates a
//! container: a directory the user asked for with `-w` must exist in the
//! root filesystem (the runtime would silently create it), as Podman
//! requires; the image's own `WORKDIR` may be missing and is created.

use std::path::{Component, Path, PathBuf};

use oci_spec::runtime::Spec;

use crate::error::{Error, Result};

/// Symlinks followed while resolving a path before giving up (Linux's limit).
const MAX_LINKS: usize = 40;

/// Fails when the spec's working directory was given by the user
/// (`create` false) and is neither under a mount nor an existing directory
/// of the root filesystem. `id` names the container in the message.
pub(crate) fn check(spec: &Spec, id: &str, create: bool) -> Result<()> {
    let Some(cwd) = spec.process().as_ref().map(|p| p.cwd().clone()) else {
        return Ok(());
    };
    let Some(root) = spec.root().as_ref().map(|r| r.path().clone()) else {
        return Ok(());
    };
    if create || cwd == Path::new("/") || under_mount(spec, &cwd) {
        return Ok(());
    }
    let shown = cwd.display();
    match std::fs::metadata(resolve_in_root(&root, &cwd)) {
        Ok(m) if m.is_dir() => Ok(()),
        Ok(_) => Err(Error::msg(format!(
            "workdir \"{shown}\" exists on container {id}, but is not a directory"
        ))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::msg(format!(
            "workdir \"{shown}\" does not exist on container {id}"
        ))),
        Err(e) => {
            Err(Error::io(&cwd, e)
                .context(format!("detecting workdir \"{shown}\" on container {id}")))
        }
    }
}

/// Whether `path` is a mount's destination or below one: the runtime makes
/// mount points, so such a directory always exists.
fn under_mount(spec: &Spec, path: &Path) -> bool {
    spec.mounts()
        .iter()
        .flatten()
        .any(|m| m.destination() != Path::new("/") && path.starts_with(m.destination()))
}

/// `path` (absolute, inside the container) as a host path below `root`,
/// following symlinks as the container would see them, never leaving
/// `root`. A missing component ends the walk; the rest is appended as is.
fn resolve_in_root(root: &Path, path: &Path) -> PathBuf {
    let mut todo: Vec<std::ffi::OsString> = components(path);
    todo.reverse();
    let mut done: Vec<std::ffi::OsString> = Vec::new();
    let mut links = 0;
    while let Some(c) = todo.pop() {
        if c == ".." {
            done.pop();
            continue;
        }
        let host: PathBuf = std::iter::once(root.as_os_str())
            .chain(done.iter().map(|s| s.as_os_str()))
            .chain(std::iter::once(c.as_os_str()))
            .collect();
        match std::fs::read_link(&host) {
            Ok(target) if links < MAX_LINKS => {
                links += 1;
                if target.is_absolute() {
                    done.clear();
                }
                let mut more = components(&target);
                more.reverse();
                todo.extend(more);
            }
            _ => done.push(c),
        }
    }
    std::iter::once(root.as_os_str())
        .chain(done.iter().map(|s| s.as_os_str()))
        .collect()
}

/// The normal and `..` components of `p`.
fn components(p: &Path) -> Vec<std::ffi::OsString> {
    p.components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_os_string()),
            Component::ParentDir => Some("..".into()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symlinks_resolve_inside_the_root() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path();
        std::fs::create_dir_all(root.join("real/sub")).unwrap();
        std::os::unix::fs::symlink("/real", root.join("abs")).unwrap();
        std::os::unix::fs::symlink("../../..", root.join("real/up")).unwrap();
        assert_eq!(
            resolve_in_root(root, Path::new("/abs/sub")),
            root.join("real/sub")
        );
        // `..` never climbs out of the root.
        assert_eq!(
            resolve_in_root(root, Path::new("/real/up/etc")),
            root.join("etc")
        );
        assert_eq!(
            resolve_in_root(root, Path::new("/gone/x")),
            root.join("gone/x")
        );
    }
}
