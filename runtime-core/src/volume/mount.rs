//! Mounting a `local` volume that has `type`/`device`/`o` options (a tmpfs,
//! a bind of a host directory, a block device) on its `_data` directory,
//! counted per user as libpod does: the first user mounts, the last one
//! unmounts. Volumes without such options are plain directories.

use std::process::Command;

use crate::error::{Error, Result};
use crate::lock::LockGuard;
use crate::runtime::Runtime;

use super::{VolumeConfig, VolumeRecord};

impl VolumeConfig {
    /// True when using the volume means mounting something on its data
    /// directory: any option besides `UID`, `GID`, `SIZE`, `INODES`,
    /// `NOQUOTA`, `copy` and `nocopy`.
    pub fn needs_mount(&self) -> bool {
        self.options.keys().any(|k| {
            !matches!(
                k.as_str(),
                "UID" | "GID" | "SIZE" | "INODES" | "NOQUOTA" | "copy" | "nocopy"
            )
        })
    }

    /// The `mount` arguments for this volume's options, as libpod builds
    /// them: `-o o`, `-o bind` or `-t type`, then the device (the type when
    /// no device is given) and the data directory.
    pub(crate) fn mount_args(&self) -> Vec<String> {
        let ty = self.options.get("type").cloned().unwrap_or_default();
        let device = match self.options.get("device") {
            Some(d) if !d.is_empty() => d.clone(),
            _ => ty.clone(),
        };
        let mut args = Vec::new();
        if let Some(o) = self.options.get("o").filter(|o| !o.is_empty()) {
            args.extend(["-o".to_string(), o.clone()]);
        }
        match ty.as_str() {
            "" => {}
            "bind" => args.extend(["-o".to_string(), "bind".to_string()]),
            t => args.extend(["-t".to_string(), t.to_string()]),
        }
        args.push(device);
        args.push(self.mount_point.clone());
        args
    }
}

impl Runtime {
    /// Takes one use of the volume: mounts it when it needs a mount and is
    /// not mounted yet, and counts the use. The caller holds no volume lock.
    pub(crate) fn mount_volume(&self, name: &str) -> Result<()> {
        let state = self.state()?;
        let rec = state.volume(name)?;
        if !rec.config.needs_mount() {
            return Ok(());
        }
        let lock = self.lock_manager()?.retrieve(rec.config.lock_id)?;
        let _held = LockGuard::acquire(lock.as_ref())?;
        let mut vs = state.update_volume(name)?;
        if vs.mount_count == 0 {
            let args = rec.config.mount_args();
            tracing::debug!("mounting volume {name}: mount {}", args.join(" "));
            let out = Command::new("mount")
                .args(&args)
                .output()
                .map_err(|e| Error::io("mount", e).context("locating 'mount' binary"))?;
            if !out.status.success() {
                return Err(Error::msg(
                    String::from_utf8_lossy(&out.stderr).trim().to_string(),
                ));
            }
            vs.mount_point.clone_from(&rec.config.mount_point);
        }
        vs.mount_count += 1;
        state.save_volume(name, &vs)
    }

    /// Gives back one use of the volume; the last one unmounts it.
    pub(crate) fn unmount_volume(&self, name: &str) -> Result<()> {
        let state = self.state()?;
        let rec = match state.volume(name) {
            Ok(r) => r,
            Err(e) if e.is(&Error::NoSuchVolume) => return Ok(()),
            Err(e) => return Err(e),
        };
        if !rec.config.needs_mount() {
            return Ok(());
        }
        let lock = self.lock_manager()?.retrieve(rec.config.lock_id)?;
        let _held = LockGuard::acquire(lock.as_ref())?;
        let mut vs = state.update_volume(name)?;
        if vs.mount_count == 0 {
            return Ok(());
        }
        vs.mount_count -= 1;
        if vs.mount_count == 0 {
            detach(&rec.config.mount_point)?;
            vs.mount_point.clear();
        }
        state.save_volume(name, &vs)
    }

    /// `volume mount`: takes a use of the volume for the user (mounting it
    /// if it needs a mount) and returns its data directory.
    pub fn mount_volume_by_user(&self, name: &str) -> Result<String> {
        let rec = self.lookup_volume(name)?;
        self.mount_volume(&rec.config.name)?;
        Ok(rec.config.mount_point)
    }

    /// `volume unmount`: gives back a use taken by `volume mount`.
    pub fn unmount_volume_by_user(&self, name: &str) -> Result<()> {
        let rec = self.lookup_volume(name)?;
        self.unmount_volume(&rec.config.name)
    }

    /// Unmounts the volume whatever its count (removal; the caller holds
    /// its lock).
    pub(crate) fn unmount_volume_fully(&self, rec: &VolumeRecord) -> Result<()> {
        if !rec.config.needs_mount() {
            return Ok(());
        }
        let state = self.state()?;
        let mut vs = state.update_volume(&rec.config.name)?;
        if vs.mount_count == 0 {
            return Ok(());
        }
        detach(&rec.config.mount_point)?;
        vs.mount_count = 0;
        vs.mount_point.clear();
        state.save_volume(&rec.config.name, &vs)
    }
}

/// Lazily unmounts `path`; not being mounted is fine.
fn detach(path: &str) -> Result<()> {
    use nix::mount::{MntFlags, umount2};
    match umount2(path, MntFlags::MNT_DETACH) {
        Ok(()) | Err(nix::errno::Errno::EINVAL) | Err(nix::errno::Errno::ENOENT) => Ok(()),
        Err(e) => Err(Error::io(path, e.into()).context("unmounting volume")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_arguments_follow_libpod() {
        let mut c = VolumeConfig::new("v", 0, "/vols/v/_data");
        assert!(!c.needs_mount());
        c.options.insert("UID".into(), "1".into());
        assert!(!c.needs_mount());
        c.options.insert("type".into(), "tmpfs".into());
        c.options.insert("o".into(), "size=2m".into());
        assert!(c.needs_mount());
        assert_eq!(
            c.mount_args(),
            ["-o", "size=2m", "-t", "tmpfs", "tmpfs", "/vols/v/_data"]
        );
        c.options.insert("type".into(), "bind".into());
        c.options.insert("device".into(), "/srv".into());
        c.options.remove("o");
        assert_eq!(c.mount_args(), ["-o", "bind", "/srv", "/vols/v/_data"]);
    }
}
