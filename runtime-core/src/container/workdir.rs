//! The working directory check made before the OCI runtime creates a
//! container: a directory the user asked for with `-w` must exist in the
//! root filesystem (the runtime would silently create it), as Podman
//! requires; the image's own `WORKDIR` may be missing and is created.

use std::path::Path;

use oci_spec::runtime::Spec;

use crate::confined::ConfinedRoot;
use crate::error::{Error, Result};

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
    let found = ConfinedRoot::open(&root).and_then(|r| r.metadata(&cwd));
    match found {
        Ok(Some(m)) if m.is_dir() => Ok(()),
        Ok(Some(_)) => Err(Error::msg(format!(
            "workdir \"{shown}\" exists on container {id}, but is not a directory"
        ))),
        Ok(None) => Err(Error::msg(format!(
            "workdir \"{shown}\" does not exist on container {id}"
        ))),
        Err(e) => Err(e.context(format!("detecting workdir \"{shown}\" on container {id}"))),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workdir_symlinks_resolve_inside_the_root() {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("rootfs");
        std::fs::create_dir_all(root.join("real/sub")).unwrap();
        // A directory that exists on the host but not in the root.
        std::fs::create_dir_all(d.path().join("hostonly")).unwrap();
        std::os::unix::fs::symlink("/real", root.join("abs")).unwrap();
        std::os::unix::fs::symlink("../../..", root.join("real/up")).unwrap();
        std::os::unix::fs::symlink(d.path().join("hostonly"), root.join("trap")).unwrap();
        let spec_with = |cwd: &str| {
            let mut spec = Spec::default();
            let mut p = spec.process().clone().unwrap_or_default();
            p.set_cwd(cwd.into());
            spec.set_process(Some(p));
            spec.set_root(Some(
                oci_spec::runtime::RootBuilder::default()
                    .path(&root)
                    .build()
                    .unwrap(),
            ));
            spec.set_mounts(None);
            spec
        };
        check(&spec_with("/abs/sub"), "c", false).unwrap();
        // `..` never climbs out of the root: /real/up/real/sub is /real/sub.
        check(&spec_with("/real/up/real/sub"), "c", false).unwrap();
        let e = check(&spec_with("/trap"), "c", false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "workdir \"/trap\" does not exist on container c"
        );
        let e = check(&spec_with("/gone/x"), "c", false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "workdir \"/gone/x\" does not exist on container c"
        );
        check(&spec_with("/gone/x"), "c", true).unwrap();
    }
}
