//! Image and container storage: the `Storage` trait, implemented by the
//! `rpod-storage` crate in containers/storage's on-disk layout.

use std::collections::BTreeMap;
use std::fmt::Debug;
use std::io::Read;
use std::path::PathBuf;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::error::Result;

/// An image as the store records it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageRecord {
    /// 64-hex image ID (the config digest).
    pub id: String,
    /// Names (`localhost/busybox:latest`, ...).
    pub names: Vec<String>,
    /// Digest of the manifest.
    pub digest: String,
    /// The top layer's ID.
    pub top_layer: String,
    /// Creation time.
    pub created: DateTime<Utc>,
    /// Total size in bytes.
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
    /// Digest of the uncompressed tar.
    pub diff_digest: String,
    /// Size of the uncompressed tar.
    pub diff_size: u64,
}

/// A container's root filesystem record in the store.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StorageContainer {
    /// The engine's container ID.
    pub id: String,
    /// Names.
    pub names: Vec<String>,
    /// Image ID it was created from (empty for `--rootfs`).
    pub image: String,
    /// Its read-write layer.
    pub layer: String,
    /// Free-form metadata.
    pub metadata: String,
}

/// Options for importing an image.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportOptions {
    /// Names to give the image.
    pub names: Vec<String>,
    /// Image config changes (`CMD`, `ENV`, ...), Dockerfile syntax.
    pub changes: Vec<String>,
    /// Commit message.
    pub message: String,
    /// Extra labels.
    pub labels: BTreeMap<String, String>,
}

/// The image and container store. Object-safe.
pub trait Storage: Send + Sync + Debug {
    /// The driver's name (`overlay`, `vfs`).
    fn driver_name(&self) -> &str;
    /// The graph root.
    fn graph_root(&self) -> PathBuf;
    /// The run root.
    fn run_root(&self) -> PathBuf;
    /// Driver status lines for `info` (`Backing Filesystem`, ...).
    fn driver_status(&self) -> Vec<(String, String)>;
    /// Every image.
    fn images(&self) -> Result<Vec<ImageRecord>>;
    /// One image by full name, short name, ID or unique ID prefix.
    fn lookup_image(&self, name_or_id: &str) -> Result<ImageRecord>;
    /// Imports a root filesystem tarball (plain, gzip or zstd) as a new image.
    fn import_image(&self, tar: &mut dyn Read, opts: &ImportOptions) -> Result<ImageRecord>;
    /// Removes an image (fails while containers use it).
    fn remove_image(&self, id: &str) -> Result<()>;
    /// Adds a name to an image.
    fn tag_image(&self, id: &str, name: &str) -> Result<()>;
    /// Removes a name from an image.
    fn untag_image(&self, id: &str, name: &str) -> Result<()>;
    /// Every layer.
    fn layers(&self) -> Result<Vec<LayerRecord>>;
    /// Creates a container's read-write layer over `image` (empty for none).
    fn create_container(&self, id: &str, name: &str, image: &str) -> Result<StorageContainer>;
    /// Mounts a container's root filesystem (reference counted); returns the path.
    fn mount_container(&self, id: &str) -> Result<PathBuf>;
    /// Drops one mount reference (all with `force`); unmounts at zero.
    fn unmount_container(&self, id: &str, force: bool) -> Result<()>;
    /// Deletes a container's layer and record.
    fn delete_container(&self, id: &str) -> Result<()>;
    /// Every storage container.
    fn containers(&self) -> Result<Vec<StorageContainer>>;
    /// Releases the store's resources.
    fn shutdown(&self, force: bool) -> Result<()>;
}
