//! `system reset`: every container, pod, volume and image removed, every
//! lock freed, the runtime shut down and its directories deleted.

use std::path::{Path, PathBuf};

use crate::container::{Container, RemoveOptions};
use crate::error::{Error, Result, ResultExt};
use crate::runtime::Runtime;

/// Directories a reset never deletes, whatever the configuration says.
const NEVER_DELETED: [&str; 8] = [
    "/home", "/root", "/usr", "/etc", "/var", "/run", "/tmp", "/var/lib",
];

/// Options of `system reset`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResetOptions {
    /// More directories never to delete (the user's runtime directory).
    pub protected: Vec<PathBuf>,
}

/// True unless `p` is a directory a reset must never delete: the root, a
/// top-level directory, a system directory, or one of `protected`.
pub fn safe_to_delete(p: &Path, protected: &[PathBuf]) -> bool {
    let canon = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    let is_protected = protected
        .iter()
        .any(|x| std::fs::canonicalize(x).unwrap_or_else(|_| x.clone()) == canon);
    !(canon.as_os_str().is_empty()
        || canon == Path::new("/")
        || canon.parent().is_none()
        || is_protected
        || NEVER_DELETED.iter().any(|d| canon == Path::new(d)))
}

impl Runtime {
    /// Removes every container (forcibly, with its anonymous volumes), pod,
    /// volume, network and writable image, frees every lock, shuts the runtime down
    /// and deletes its directories (those [`safe_to_delete`] allows).
    /// Failures to remove single objects are logged and the reset goes on.
    pub fn reset(&self, opts: &ResetOptions) -> Result<()> {
        let mut all = self.containers()?;
        let remove = RemoveOptions {
            force: true,
            volumes: true,
            timeout: Some(0),
        };
        let results = Container::remove_many(&mut all, remove);
        for (c, r) in all.iter().zip(results) {
            match r {
                Ok(()) => {}
                Err(e) if e.is(&Error::CtrRemoved) => {}
                Err(e) => tracing::error!("removing container {}: {e}", c.id()),
            }
        }
        let state = self.state()?;
        for pod in state.all_pods()? {
            if let Err(e) = state.remove_pod(&pod.config.id) {
                tracing::error!("removing pod {}: {e}", pod.config.id);
            }
        }
        let force = crate::volume::VolumeRemoveOptions {
            force: true,
            timeout: Some(0),
        };
        for vol in state.all_volumes()? {
            if let Err(e) = self.remove_volume(&vol.config.name, force) {
                tracing::error!("removing volume {}: {e}", vol.config.name);
            }
        }
        // Networks, as Podman's reset removes them (the default one has no
        // file to remove).
        if let Some(net) = self.network()? {
            let default = net.default_network();
            for n in net.list().unwrap_or_default() {
                if n.name != default
                    && let Err(e) = net.remove(&n.name)
                {
                    tracing::error!("removing network {}: {e}", n.name);
                }
            }
        }
        if let Some(storage) = self.storage()? {
            for img in storage.images()? {
                if img.read_only {
                    continue;
                }
                if let Err(e) = storage.remove_image(&img.id) {
                    tracing::error!("removing image {}: {e}", img.id);
                }
            }
        }
        self.lock_manager()?.free_all()?;
        let paths = self.paths()?.clone();
        self.shutdown(true)?;
        let mut dirs = vec![
            paths.graph_root,
            paths.run_root,
            paths.tmp_dir,
            paths.static_dir,
            paths.volume_path,
        ];
        dirs.dedup();
        for d in dirs {
            if !safe_to_delete(&d, &opts.protected) {
                tracing::error!("refusing to remove {}", d.display());
                continue;
            }
            match std::fs::remove_dir_all(&d) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&d, e)).context("removing"),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_directories_are_never_deleted() {
        for p in ["/", "/usr", "/var/lib", "/home", "/tmp"] {
            assert!(!safe_to_delete(Path::new(p), &[]), "{p}");
        }
        let d = tempfile::tempdir().unwrap();
        let mine = d.path().join("store");
        assert!(safe_to_delete(&mine, &[]));
        assert!(!safe_to_delete(&mine, std::slice::from_ref(&mine)));
    }
}
