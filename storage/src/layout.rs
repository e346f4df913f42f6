//! Where containers/storage keeps each file, for one driver: every path of
//! the store is built here and nowhere else.

use std::path::{Path, PathBuf};

/// The store's paths for one graph root, run root and driver.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Graph root.
    pub graph: PathBuf,
    /// Run root.
    pub run: PathBuf,
    /// Driver name (`overlay`, `vfs`): the prefix of the `*-layers` dirs.
    pub driver: String,
}

impl Layout {
    /// A layout for `driver` under the two roots.
    pub fn new(graph: &Path, run: &Path, driver: &str) -> Self {
        Layout {
            graph: graph.to_path_buf(),
            run: run.to_path_buf(),
            driver: driver.to_string(),
        }
    }
    /// `<graph>/storage.lock`.
    pub fn storage_lock(&self) -> PathBuf {
        self.graph.join("storage.lock")
    }
    /// The driver's own directory (`<graph>/overlay`, `<graph>/vfs`).
    pub fn driver_home(&self) -> PathBuf {
        self.graph.join(&self.driver)
    }
    /// `<graph>/<driver>-layers`.
    pub fn layers_dir(&self) -> PathBuf {
        self.graph.join(format!("{}-layers", self.driver))
    }
    /// `layers.json`.
    pub fn layers_json(&self) -> PathBuf {
        self.layers_dir().join("layers.json")
    }
    /// `layers.lock`.
    pub fn layers_lock(&self) -> PathBuf {
        self.layers_dir().join("layers.lock")
    }
    /// `<layer>.tar-split.gz`.
    pub fn tar_split(&self, layer: &str) -> PathBuf {
        self.layers_dir().join(format!("{layer}.tar-split.gz"))
    }
    /// `<run>/<driver>-layers`.
    pub fn run_layers_dir(&self) -> PathBuf {
        self.run.join(format!("{}-layers", self.driver))
    }
    /// `mountpoints.json` (run root).
    pub fn mountpoints_json(&self) -> PathBuf {
        self.run_layers_dir().join("mountpoints.json")
    }
    /// `mountpoints.lock` (run root).
    pub fn mountpoints_lock(&self) -> PathBuf {
        self.run_layers_dir().join("mountpoints.lock")
    }
    /// `<graph>/<driver>-images`.
    pub fn images_dir(&self) -> PathBuf {
        self.graph.join(format!("{}-images", self.driver))
    }
    /// `images.json`.
    pub fn images_json(&self) -> PathBuf {
        self.images_dir().join("images.json")
    }
    /// `images.lock`.
    pub fn images_lock(&self) -> PathBuf {
        self.images_dir().join("images.lock")
    }
    /// An image's big-data directory.
    pub fn image_dir(&self, id: &str) -> PathBuf {
        self.images_dir().join(id)
    }
    /// `<graph>/<driver>-containers`.
    pub fn containers_dir(&self) -> PathBuf {
        self.graph.join(format!("{}-containers", self.driver))
    }
    /// `containers.json`.
    pub fn containers_json(&self) -> PathBuf {
        self.containers_dir().join("containers.json")
    }
    /// `containers.lock`.
    pub fn containers_lock(&self) -> PathBuf {
        self.containers_dir().join("containers.lock")
    }
    /// `<graph>/<driver>-containers/<id>/userdata`.
    pub fn container_dir(&self, id: &str) -> PathBuf {
        self.containers_dir().join(id).join("userdata")
    }
    /// `<run>/<driver>-containers/<id>/userdata`.
    pub fn container_run_dir(&self, id: &str) -> PathBuf {
        self.run
            .join(format!("{}-containers", self.driver))
            .join(id)
            .join("userdata")
    }
    /// Both of a container's directories, as the engine asks for them.
    pub fn container_dirs(&self, id: &str) -> rpod_runtime_core::storage::ContainerDirs {
        rpod_runtime_core::storage::ContainerDirs {
            dir: self.container_dir(id),
            run_dir: self.container_run_dir(id),
        }
    }
    /// `<graph>/tmp` (scratch space for load and commit).
    pub fn tmp_dir(&self) -> PathBuf {
        self.graph.join("tmp")
    }
}

/// The file name containers/storage gives a big-data key: the key itself
/// when it is made only of `[0-9a-z.]`, else `=` + standard base64 of it.
pub fn big_data_file_name(key: &str) -> String {
    if !key.is_empty()
        && key
            .bytes()
            .all(|b| b.is_ascii_digit() || b.is_ascii_lowercase() || b == b'.')
    {
        key.to_string()
    } else {
        format!("={}", crate::digest::base64(key.as_bytes()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn container_dirs_follow_the_driver() {
        let l = Layout::new(Path::new("/g"), Path::new("/r"), "vfs");
        let d = l.container_dirs("abc");
        assert_eq!(d.dir, Path::new("/g/vfs-containers/abc/userdata"));
        assert_eq!(d.run_dir, Path::new("/r/vfs-containers/abc/userdata"));
    }

    #[test]
    fn big_data_names_follow_containers_storage() {
        assert_eq!(big_data_file_name("manifest"), "manifest");
        assert_eq!(big_data_file_name("sha256:abc"), "=c2hhMjU2OmFiYw==");
        assert_eq!(big_data_file_name("Manifest"), "=TWFuaWZlc3Q=");
    }
}
