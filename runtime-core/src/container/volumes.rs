//! A container's volumes: resolving `-v`/`--mount`/`--volumes-from` at
//! create (named volumes looked up or made, anonymous ones made), and at
//! start taking a use of each (mounting those with mount options) and
//! preparing a new volume from the image (owner, then copy-up).

use std::path::{Path, PathBuf};

use super::mount_flags::MountRequest;
use super::spec::BindMount;
use super::{Container, NamedVolume};
use crate::error::{Error, Result};
use crate::runtime::{NewVolume, Runtime};

/// Options of a named volume that are not mount options: they steer
/// copy-up and ownership, and never reach the OCI spec.
const VOLUME_ONLY_OPTIONS: &[&str] = &["nocopy", "copy", "U", "idmap"];

/// Mounts of a container `--volumes-from` skips: the ones the engine adds.
const ENGINE_DESTINATIONS: &[&str] = &[
    "/etc/hosts",
    "/etc/hostname",
    "/etc/resolv.conf",
    "/run/.containerenv",
    "/dev/shm",
];

/// What resolving a container's mounts gave.
#[derive(Debug, Default)]
pub(crate) struct ResolvedMounts {
    /// The named and anonymous volumes the container uses.
    pub named: Vec<NamedVolume>,
    /// Volumes made for it (removed again if the create fails).
    pub created: Vec<String>,
}

impl Runtime {
    /// Turns the mount requests and `--volumes-from` into bind mounts and
    /// tmpfs entries of `settings`, making the volumes that do not exist.
    pub(crate) fn resolve_mounts(
        &self,
        requests: &[MountRequest],
        volumes_from: &[String],
        settings: &mut super::spec::ContainerSettings,
    ) -> Result<ResolvedMounts> {
        let mut out = ResolvedMounts::default();
        let result = self.resolve_into(requests, volumes_from, settings, &mut out);
        if let Err(e) = result {
            self.remove_created_volumes(&out.created);
            return Err(e);
        }
        Ok(out)
    }

    /// Removes volumes a failed create made.
    pub(crate) fn remove_created_volumes(&self, names: &[String]) {
        for n in names {
            if let Err(e) = self.remove_volume_if_unused(n) {
                tracing::warn!("removing volume {n}: {e}");
            }
        }
    }

    fn resolve_into(
        &self,
        requests: &[MountRequest],
        volumes_from: &[String],
        settings: &mut super::spec::ContainerSettings,
        out: &mut ResolvedMounts,
    ) -> Result<()> {
        for spec in volumes_from {
            let (ctr, mode) = match spec.rsplit_once(':') {
                Some((c, m @ ("ro" | "rw"))) => (c, Some(m)),
                Some((_, m)) => {
                    return Err(Error::InvalidArg.context(format!(
                        "invalid options {m:?}, can only specify 'ro' or 'rw'"
                    )));
                }
                None => (spec.as_str(), None),
            };
            let src = self.lookup_container(ctr)?;
            let with_mode = |opts: &[String]| -> Vec<String> {
                let mut o: Vec<String> = opts
                    .iter()
                    .filter(|x| mode.is_none() || !matches!(x.as_str(), "ro" | "rw"))
                    .cloned()
                    .collect();
                if let Some(m) = mode {
                    o.push(m.to_string());
                }
                o
            };
            for nv in &src.rec.config.named_volumes {
                let rec = self.state()?.volume(&nv.name)?;
                settings.binds.push(BindMount {
                    source: PathBuf::from(&rec.config.mount_point),
                    destination: nv.dest.clone(),
                    options: with_mode(&mount_options(&nv.options)),
                });
                out.named.push(NamedVolume {
                    options: with_mode(&nv.options),
                    ..nv.clone()
                });
            }
            if let Some(spec) = src.rec.config.oci_spec()? {
                for m in spec.mounts().iter().flatten() {
                    let dest = m.destination().to_string_lossy().into_owned();
                    let is_bind = m.typ().as_deref() == Some("bind");
                    let named = src.rec.config.named_volumes.iter().any(|n| n.dest == dest);
                    if !is_bind || named || ENGINE_DESTINATIONS.contains(&dest.as_str()) {
                        continue;
                    }
                    let Some(source) = m.source() else { continue };
                    let given: Vec<String> = m
                        .options()
                        .iter()
                        .flatten()
                        .filter(|o| matches!(o.as_str(), "ro" | "rw"))
                        .cloned()
                        .collect();
                    settings.binds.push(BindMount {
                        source: source.clone(),
                        destination: dest,
                        options: with_mode(&given),
                    });
                }
            }
        }
        for r in requests {
            match r {
                MountRequest::Bind(b) => {
                    settings.binds.retain(|x| x.destination != b.destination);
                    settings.binds.push(b.clone());
                }
                MountRequest::Tmpfs(dest, opts) => {
                    settings.tmpfs.push((dest.clone(), opts.clone()))
                }
                MountRequest::Volume {
                    name,
                    dest,
                    options,
                } => {
                    let rec = if name.is_empty() {
                        let v = self.new_volume(NewVolume::default())?;
                        out.created.push(v.config.name.clone());
                        v
                    } else {
                        match self.state()?.volume(name) {
                            Ok(v) => v,
                            Err(e) if e.is(&Error::NoSuchVolume) => {
                                let v = self.new_volume(NewVolume {
                                    name: name.clone(),
                                    ..NewVolume::default()
                                })?;
                                out.created.push(v.config.name.clone());
                                v
                            }
                            Err(e) => return Err(e),
                        }
                    };
                    settings.binds.retain(|x| &x.destination != dest);
                    out.named.retain(|x| &x.dest != dest);
                    settings.binds.push(BindMount {
                        source: PathBuf::from(&rec.config.mount_point),
                        destination: dest.clone(),
                        options: mount_options(options),
                    });
                    out.named.push(NamedVolume {
                        name: rec.config.name.clone(),
                        dest: dest.clone(),
                        options: options.clone(),
                        sub_path: String::new(),
                    });
                }
            }
        }
        Ok(())
    }
}

/// A named volume's options without the ones that only steer copy-up.
fn mount_options(options: &[String]) -> Vec<String> {
    options
        .iter()
        .filter(|o| !VOLUME_ONLY_OPTIONS.contains(&o.as_str()))
        .cloned()
        .collect()
}

impl Container {
    /// The host directory the container's root filesystem is at now.
    pub(crate) fn rootfs_path(&self) -> PathBuf {
        if self.uses_storage() {
            PathBuf::from(&self.rec.state.mount_point)
        } else {
            PathBuf::from(&self.rec.config.rootfs)
        }
    }

    /// Takes a use of each named volume (mounting those with mount
    /// options) and prepares new ones from the root filesystem. On failure
    /// the uses taken are given back.
    pub(crate) fn mount_volumes(&self) -> Result<()> {
        let rootfs = self.rootfs_path();
        let mut taken: Vec<&str> = Vec::new();
        for nv in &self.rec.config.named_volumes {
            let step = self.rt.mount_volume(&nv.name).and_then(|()| {
                taken.push(&nv.name);
                let nocopy = nv.options.iter().any(|o| o == "nocopy");
                self.rt
                    .prepare_volume(&nv.name, &rootfs, &nv.dest, nocopy)?;
                if nv.options.iter().any(|o| o == "U") {
                    self.chown_volume_to_user(&nv.name)?;
                }
                Ok(())
            });
            if let Err(e) = step {
                for n in taken {
                    let _ = self.rt.unmount_volume(n);
                }
                return Err(e.context(format!("mounting volume {} for container", nv.name)));
            }
        }
        Ok(())
    }

    /// `:U`: the volume's content takes the owner of the container's user.
    fn chown_volume_to_user(&self, name: &str) -> Result<()> {
        let rec = self.rt.state()?.volume(name)?;
        let (uid, gid) = self
            .rec
            .config
            .oci_spec()?
            .and_then(|s| {
                s.process()
                    .as_ref()
                    .map(|p| (p.user().uid(), p.user().gid()))
            })
            .unwrap_or((0, 0));
        crate::confined::ConfinedRoot::open(&rec.config.mount_point)?.chown_tree("/", uid, gid)
    }

    /// Gives back the uses [`Container::mount_volumes`] took.
    pub(crate) fn unmount_volumes(&self) -> Result<()> {
        let mut first = None;
        for nv in &self.rec.config.named_volumes {
            if let Err(e) = self.rt.unmount_volume(&nv.name) {
                first.get_or_insert(e);
            }
        }
        first.map_or(Ok(()), Err)
    }
}

/// The marker a copy-up leaves while it runs, in the volume's own
/// directory (beside `_data`, outside every container's view).
pub(crate) fn copy_up_marker(volume_dir: &Path) -> PathBuf {
    volume_dir.join("copyup-incomplete")
}
