//! The infra container's image: the local pause image built on first use
//! (a single layer holding `catatonit` as `/catatonit`, entrypoint
//! `/catatonit -P`), as Podman 4 builds `localhost/podman-pause:<version>`.

use std::path::PathBuf;

use crate::config::Config;
use crate::error::{Error, Result, ResultExt};
use crate::runtime::{Runtime, VERSION};
use crate::storage::ImportOptions;

/// The repository of the local pause image.
pub const PAUSE_IMAGE_NAME: &str = "localhost/podman-pause";

/// Where `catatonit` is looked for when containers.conf's helper dirs do
/// not have it (the Debian package's path and Podman's).
const CATATONIT_CANDIDATES: [&str; 3] = [
    "/usr/libexec/podman/catatonit",
    "/usr/bin/catatonit",
    "/usr/local/libexec/podman/catatonit",
];

/// The pause image's full name for this version (`<version>-<build time>`
/// as Podman tags it; rpod has no build time, so `0`, as `version` reports).
pub fn pause_image_name() -> String {
    format!("{PAUSE_IMAGE_NAME}:{VERSION}-0")
}

/// The host's `catatonit`: containers.conf's `init_path` when it names
/// one, then the usual paths.
fn find_catatonit(config: &Config) -> Result<PathBuf> {
    let configured = &config.conf.containers.init_path;
    std::iter::once(PathBuf::from(configured))
        .filter(|p| p.file_name().is_some_and(|n| n == "catatonit"))
        .chain(CATATONIT_CANDIDATES.iter().map(PathBuf::from))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            Error::InvalidArg.context(
                "finding pause binary: could not find \"catatonit\" in one of the helper binary directories",
            )
        })
}

/// A tar holding `bin` as `/catatonit` (mode 0755, owned by root).
fn pause_layer(bin: &std::path::Path) -> Result<Vec<u8>> {
    let data = std::fs::read(bin).map_err(|e| Error::io(bin, e))?;
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(data.len() as u64);
    header.set_mode(0o755);
    header.set_uid(0);
    header.set_gid(0);
    header.set_mtime(0);
    header.set_entry_type(tar::EntryType::Regular);
    builder
        .append_data(&mut header, "catatonit", data.as_slice())
        .and_then(|()| builder.into_inner())
        .map_err(|e| Error::io(bin, e).context("building the pause image layer"))
}

impl Runtime {
    /// The infra image to use: `requested`, else containers.conf's
    /// `infra_image`, else the local pause image, built now if missing.
    /// Returns the image's name.
    pub fn infra_image(&self, requested: &str) -> Result<String> {
        let config = self.config()?;
        let wanted = if requested.is_empty() {
            config.conf.engine.infra_image.clone()
        } else {
            requested.to_string()
        };
        let storage = self.storage_or_err()?;
        if !wanted.is_empty() {
            storage.lookup_image(&wanted)?;
            return Ok(wanted);
        }
        let name = pause_image_name();
        if storage.lookup_image(&name).is_ok() {
            return Ok(name);
        }
        let bin = find_catatonit(&config)?;
        let layer = pause_layer(&bin)?;
        let opts = ImportOptions {
            names: vec![name.clone()],
            changes: vec![r#"ENTRYPOINT ["/catatonit", "-P"]"#.to_string()],
            message: String::new(),
        };
        storage
            .import_image(&mut layer.as_slice(), &opts)
            .context("building local pause image")?;
        Ok(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_layer_holds_one_executable() {
        let dir = tempfile::tempdir().unwrap();
        let bin = dir.path().join("cat");
        std::fs::write(&bin, b"#!/bin/sh\n").unwrap();
        let tar = pause_layer(&bin).unwrap();
        let mut archive = tar::Archive::new(tar.as_slice());
        let entries: Vec<(String, u32, u64)> = archive
            .entries()
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let h = e.header();
                (
                    e.path().unwrap().to_string_lossy().into_owned(),
                    h.mode().unwrap(),
                    h.size().unwrap(),
                )
            })
            .collect();
        assert_eq!(entries, vec![("catatonit".to_string(), 0o755, 10)]);
        assert!(pause_image_name().starts_with("localhost/podman-pause:"));
    }
}
