//! Image and container storage: the `Storage` trait, implemented by the
//! `rpod-storage` crate in containers/storage's on-disk layout (so skopeo,
//! Podman and buildah can read and fill the same store).
//!
//! Contract: every mutation is safe against concurrent rpod and Podman
//! processes (containers/storage's lock files); a process killed in the
//! middle leaves a store the next call repairs or ignores (never a
//! half-registered image); no tar entry ever writes outside its layer.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::io::{Read, Write};
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// An image as the store records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageRecord {
    /// 64-hex image ID (the config digest's hex).
    pub id: String,
    /// Names (`localhost/busybox:latest`, ...).
    pub names: Vec<String>,
    /// Digest of the manifest (`sha256:...`).
    pub digest: String,
    /// The top layer's ID.
    pub top_layer: String,
    /// Creation time (from the image config, else the store's).
    pub created: DateTime<Utc>,
    /// Total size in bytes (sum of the layers' uncompressed sizes).
    pub size: u64,
    /// Read-only (from an additional image store).
    pub read_only: bool,
}

/// A layer as the store records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LayerRecord {
    /// 64-hex layer ID.
    pub id: String,
    /// Parent layer ID, empty for a base layer.
    pub parent: String,
    /// Digest of the uncompressed tar (`sha256:...`).
    pub diff_digest: String,
    /// Size of the uncompressed tar.
    pub diff_size: u64,
    /// When the store made it (`None` when the record does not say).
    #[serde(default)]
    pub created: Option<DateTime<Utc>>,
}

/// A container's root filesystem record in the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StorageContainer {
    /// The engine's container ID.
    pub id: String,
    /// Names.
    pub names: Vec<String>,
    /// Image ID it was created from.
    pub image: String,
    /// Its read-write layer.
    pub layer: String,
    /// Free-form metadata.
    pub metadata: String,
    /// When the store made it (`None` when the record does not say).
    #[serde(default)]
    pub created: Option<DateTime<Utc>>,
}

/// Where one container's own files live, as the store decides: the engine
/// creates, fills and removes these directories; the store only names them
/// (so no driver name or directory layout leaks into the engine).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerDirs {
    /// The persistent directory (the OCI bundle: `config.json`, the log,
    /// the attach socket and control FIFO).
    pub dir: PathBuf,
    /// The directory under the run root (`pidfile`, `conmon.pid`, the
    /// generated `/etc/hosts` and friends); gone after a reboot.
    pub run_dir: PathBuf,
}

/// Options for importing a root filesystem tarball.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportOptions {
    /// Names to give the image.
    pub names: Vec<String>,
    /// Image config changes (`CMD`, `ENTRYPOINT`, `ENV`, `WORKDIR`, `USER`, `LABEL`, ...), Dockerfile syntax.
    pub changes: Vec<String>,
    /// Commit message (history comment).
    pub message: String,
}

/// Archive formats for `load` and `save`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArchiveFormat {
    /// `docker save` format (manifest.json, per-layer tars).
    DockerArchive,
    /// An OCI image layout in a tar.
    OciArchive,
    /// An OCI image layout directory.
    OciDir,
}

/// One entry of `diff`: `A` added, `C` changed, `D` deleted.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    /// `A`, `C` or `D`.
    pub kind: char,
    /// Path inside the root filesystem.
    pub path: String,
}

/// The image and container store. Object-safe.
pub trait Storage: Send + Sync + Debug {
    /// The driver's name (`overlay`, `vfs`).
    fn driver_name(&self) -> &str;
    /// The graph root.
    fn graph_root(&self) -> PathBuf;
    /// The run root.
    fn run_root(&self) -> PathBuf;
    /// Driver status lines for `info` (`Backing Filesystem`, `Native Overlay Diff`, ...),
    /// including why a fallback to vfs happened.
    fn driver_status(&self) -> Vec<(String, String)>;

    /// Every image.
    fn images(&self) -> Result<Vec<ImageRecord>>;
    /// One image by full name, short name (Podman's rules: `busybox` →
    /// `localhost/busybox:latest`, ...), full ID, or unique ID prefix
    /// (`NoSuchObject`-style error with Podman's text when missing).
    fn lookup_image(&self, name_or_id: &str) -> Result<ImageRecord>;
    /// The digest of the image's manifest (`sha256:...`), found as
    /// [`lookup_image`](Storage::lookup_image) finds the image. A store can
    /// answer this without sizing the image's layers, as inspect needs.
    fn image_digest(&self, name_or_id: &str) -> Result<String> {
        self.lookup_image(name_or_id).map(|i| i.digest)
    }
    /// The image's OCI config JSON (`config.Entrypoint`, `Cmd`, `Env`, ...).
    fn image_config(&self, id: &str) -> Result<serde_json::Value>;
    /// The image's history entries (OCI config `history`).
    fn image_history(&self, id: &str) -> Result<Vec<serde_json::Value>>;
    /// Imports a root filesystem tarball (plain, gzip or zstd) as a new image.
    fn import_image(&self, tar: &mut dyn Read, opts: &ImportOptions) -> Result<ImageRecord>;
    /// Loads images from a docker-archive or oci-archive stream (format detected).
    fn load_images(&self, archive: &mut dyn Read) -> Result<Vec<ImageRecord>>;
    /// Writes images (each with the names given) in `format` (to `out`; for
    /// `OciDir`, `out` is ignored and `dir` is written).
    fn save_images(
        &self,
        ids: &[(String, Vec<String>)],
        format: ArchiveFormat,
        out: &mut dyn Write,
        dir: Option<&std::path::Path>,
    ) -> Result<()>;
    /// Removes an image (fails while a storage container uses it).
    fn remove_image(&self, id: &str) -> Result<()>;
    /// Adds a name to an image (moving it from any image that had it).
    fn tag_image(&self, id: &str, name: &str) -> Result<()>;
    /// Removes a name from an image.
    fn untag_image(&self, id: &str, name: &str) -> Result<()>;
    /// Mounts an image's layers read-only; returns the mount point.
    fn mount_image(&self, id: &str) -> Result<PathBuf>;
    /// Unmounts an image.
    fn unmount_image(&self, id: &str, force: bool) -> Result<()>;
    /// Every layer.
    fn layers(&self) -> Result<Vec<LayerRecord>>;

    /// Creates a container's read-write layer over `image` and its record.
    fn create_container(&self, id: &str, name: &str, image: &str) -> Result<StorageContainer>;
    /// Mounts a container's root filesystem (reference counted); returns the path.
    fn mount_container(&self, id: &str) -> Result<PathBuf>;
    /// Drops one mount reference (all with `force`); unmounts at zero.
    fn unmount_container(&self, id: &str, force: bool) -> Result<()>;
    /// Deletes a container's layer and record (unmounting first).
    fn delete_container(&self, id: &str) -> Result<()>;
    /// Deletes a layer that no image, container or other layer uses (an
    /// orphan left by an interrupted commit or import). A layer still in
    /// use is refused with `InvalidArg`. The default supports no removal.
    fn remove_layer(&self, id: &str) -> Result<()> {
        Err(Error::InvalidArg.context(format!("layer {id}: this store cannot remove layers")))
    }
    /// Deletes the layers and records of the containers with these IDs, as
    /// `delete_container` does for each, writing the store's indexes once.
    /// IDs the store does not know are skipped. A container whose layer
    /// cannot be deleted keeps its record; the first such error is returned
    /// after the others are deleted.
    fn delete_containers(&self, ids: &[String]) -> Result<()>;
    /// Every storage container.
    fn containers(&self) -> Result<Vec<StorageContainer>>;
    /// True when the container's root filesystem is mounted (by anyone:
    /// the engine, `mount`, or another tool sharing the store); an error
    /// for an unknown ID or name.
    fn container_mounted(&self, id: &str) -> Result<bool>;
    /// The per-container directory of a container the store holds (an
    /// error for an unknown ID).
    fn container_dir(&self, id: &str) -> Result<PathBuf>;
    /// The per-container run directory of a container the store holds (an
    /// error for an unknown ID).
    fn container_run_dir(&self, id: &str) -> Result<PathBuf>;
    /// The directories for container `id`'s own files, whether or not the
    /// store holds a record for it (a `--rootfs` container has none). Pure:
    /// nothing is created or checked; for a container the store holds they
    /// are [`Storage::container_dir`] and [`Storage::container_run_dir`].
    fn container_dirs(&self, id: &str) -> ContainerDirs;
    /// Changes of a container's read-write layer against its image.
    fn container_changes(&self, id: &str) -> Result<Vec<Change>>;
    /// Bytes the container's read-write layer adds over its image: the
    /// sizes of the non-directory files it added or changed, each inode
    /// counted once.
    fn container_rw_size(&self, id: &str) -> Result<u64>;
    /// Writes the container's whole root filesystem as a tar.
    fn export_container(&self, id: &str, out: &mut dyn Write) -> Result<()>;
    /// Makes a new image from the container's image plus its read-write layer.
    fn commit_container(
        &self,
        id: &str,
        opts: &ImportOptions,
        config: serde_json::Value,
    ) -> Result<ImageRecord>;
    /// Releases the store's resources (unmounting with `force`).
    fn shutdown(&self, force: bool) -> Result<()>;
}

/// Labels of an image config, or empty.
pub fn image_labels(config: &serde_json::Value) -> BTreeMap<String, String> {
    config["config"]["Labels"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_string())))
                .collect()
        })
        .unwrap_or_default()
}
