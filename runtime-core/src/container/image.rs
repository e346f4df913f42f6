//! Containers made from images: the image's config merged under the CLI's
//! options (as Podman does), the storage container (read-write layer), and
//! mounting its root filesystem around the container's run.

use std::path::PathBuf;

use serde_json::Value;

use super::create::CreateOptions;
use super::spec::BindMount;
use super::{Container, NamedVolume};
use crate::error::{Error, Result, ResultExt};
use crate::runtime::{NewVolume, Runtime};
use crate::storage::Storage;

/// What `create` learned from the image.
#[derive(Debug, Clone)]
pub(crate) struct ImageSetup {
    /// Image ID.
    pub id: String,
    /// The image's first name (or the name as typed).
    pub name: String,
    /// Anonymous volumes made for the image's `VOLUME`s.
    pub volumes: Vec<NamedVolume>,
    /// The image's `EXPOSE`d ports (`-P` publishes them), host port 0.
    pub exposed_ports: Vec<crate::network::PortMapping>,
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

impl Runtime {
    pub(crate) fn storage_or_err(&self) -> Result<&dyn Storage> {
        if let Some(storage) = self.storage()? {
            return Ok(storage);
        }
        // Say why there is none: the registry names the missing backend and
        // the feature that provides it; else the runtime was built storeless.
        let registry = self.registry();
        let configured = &self.paths()?.storage_driver;
        let driver = if configured.is_empty() {
            registry.default_storage().unwrap_or_default()
        } else {
            configured.as_str()
        };
        registry.check("storage", driver)?;
        Err(Error::NotSupported.context("this runtime was built without image storage"))
    }

    /// Resolves the image, merges its config into `opts` (CLI values win),
    /// creates the storage container and mounts it (the caller unmounts once
    /// the spec is generated), and points `opts.rootfs` at the mount.
    pub(crate) fn prepare_image(
        &self,
        opts: &mut CreateOptions,
        id: &str,
        name: &str,
    ) -> Result<ImageSetup> {
        let storage = self.storage_or_err()?;
        let img = storage.lookup_image(&opts.image)?;
        let cfg = storage.image_config(&img.id)?;
        let c = &cfg["config"];
        // ENTRYPOINT/CMD: --entrypoint replaces the image's and drops its CMD.
        let entrypoint = match opts.entrypoint.take() {
            Some(e) => e,
            None => {
                let e = strings(&c["Entrypoint"]);
                if opts.settings.command.is_empty() {
                    opts.settings.command = strings(&c["Cmd"]);
                }
                e
            }
        };
        if entrypoint.is_empty() && opts.settings.command.is_empty() {
            return Err(Error::InvalidArg.context(
                "no command or entrypoint provided, and no CMD or ENTRYPOINT from image",
            ));
        }
        opts.entrypoint = Some(entrypoint);
        let mut env = strings(&c["Env"]);
        env.append(&mut opts.settings.env);
        opts.settings.env = env;
        if opts.settings.workdir.is_empty() {
            opts.settings.workdir = c["WorkingDir"].as_str().unwrap_or_default().to_string();
            opts.settings.workdir_from_image = !opts.settings.workdir.is_empty();
        }
        if opts.settings.user.is_empty() {
            opts.settings.user = c["User"].as_str().unwrap_or_default().to_string();
        }
        if opts.stop_signal.is_none() {
            opts.stop_signal = c["StopSignal"]
                .as_str()
                .and_then(crate::signal::signal_number)
                .and_then(|n| u32::try_from(n).ok());
        }
        let mut labels = crate::storage::image_labels(&cfg);
        labels.append(&mut opts.labels);
        opts.labels = labels;

        // Anonymous volumes for the image's VOLUMEs not covered by a -v
        // (or tmpfs mounts, or nothing, as --image-volume says).
        let mode = match opts.image_volume.as_str() {
            "" | "bind" => "bind",
            m @ ("tmpfs" | "ignore") => m,
            other => {
                return Err(Error::InvalidArg.context(format!(
                    "invalid image volume mode {other:?}: must be bind, tmpfs or ignore"
                )));
            }
        };
        let mut volumes = Vec::new();
        if let Some(vols) = c["Volumes"].as_object()
            && mode != "ignore"
        {
            for dest in vols.keys() {
                if opts.settings.binds.iter().any(|b| &b.destination == dest)
                    || opts.settings.tmpfs.iter().any(|(d, _)| d == dest)
                {
                    continue;
                }
                if mode == "tmpfs" {
                    opts.settings.tmpfs.push((dest.clone(), "rw".into()));
                    continue;
                }
                let v = self.new_volume(NewVolume::default())?;
                opts.settings.binds.push(BindMount {
                    source: PathBuf::from(&v.config.mount_point),
                    destination: dest.clone(),
                    options: vec!["rw".into()],
                });
                volumes.push(NamedVolume {
                    name: v.config.name.clone(),
                    dest: dest.clone(),
                    options: Vec::new(),
                    sub_path: String::new(),
                });
            }
        }

        storage
            .create_container(id, name, &img.id)
            .context("creating container storage")?;
        let mount = match storage.mount_container(id) {
            Ok(m) => m,
            Err(e) => {
                let _ = storage.delete_container(id);
                return Err(e);
            }
        };
        opts.rootfs = mount;
        let shown = img
            .names
            .first()
            .cloned()
            .unwrap_or_else(|| opts.image.clone());
        let exposed_ports = c["ExposedPorts"]
            .as_object()
            .map(|m| {
                m.keys()
                    .filter_map(|k| crate::network::ports::parse_publish(k).ok())
                    .flatten()
                    .collect()
            })
            .unwrap_or_default();
        Ok(ImageSetup {
            id: img.id,
            name: shown,
            volumes,
            exposed_ports,
        })
    }
}

impl Container {
    /// True when the root filesystem comes from image storage.
    pub(crate) fn uses_storage(&self) -> bool {
        !self.rec.config.rootfs_image_id.is_empty()
    }

    /// Mounts the container's root filesystem (image containers) and points
    /// the spec's `root.path` at it.
    pub(crate) fn mount_storage(&mut self) -> Result<()> {
        if !self.uses_storage() {
            return Ok(());
        }
        let storage = self.rt.storage_or_err()?;
        let mount = storage.mount_container(self.id())?;
        let path = mount.to_string_lossy().into_owned();
        if let Some(mut spec) = self.rec.config.oci_spec()? {
            if let Some(root) = spec.root_mut() {
                root.set_path(mount.clone());
            }
            self.rec.config.set_oci_spec(&spec)?;
        }
        self.rec.state.mounted = true;
        self.rec.state.mount_point = path;
        Ok(())
    }

    /// Unmounts the container's root filesystem if this container mounted it.
    pub(crate) fn unmount_storage(&mut self) -> Result<()> {
        if !self.uses_storage() || !self.rec.state.mounted {
            return Ok(());
        }
        self.rt
            .storage_or_err()?
            .unmount_container(self.id(), false)?;
        self.rec.state.mounted = false;
        self.rec.state.mount_point.clear();
        Ok(())
    }
}
