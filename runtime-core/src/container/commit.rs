//! `commit`: a new image from a container's root filesystem, its config
//! built from the container's image config and the container's command.

use serde_json::{Value, json};

use super::Container;
use crate::error::Result;
use crate::events::EventStatus;
use crate::storage::{ImageRecord, ImportOptions};

/// Options of `commit`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CommitOptions {
    /// Name of the new image (none: a dangling image).
    pub name: Option<String>,
    /// Dockerfile-style config changes (`CMD`, `ENV`, `LABEL`, ...), applied
    /// after the merge.
    pub changes: Vec<String>,
    /// Commit message (history comment).
    pub message: String,
}

/// The image config a commit starts from: the `config` section of the
/// container's image (`None` or a config without one: empty), with `Cmd`
/// set to the container's command unless the image has an entrypoint
/// (whose arguments the command already holds). Returned as
/// `{"config": {...}}`.
pub fn commit_config(image_config: Option<&Value>, command: &[String]) -> Value {
    let mut section = image_config
        .map(|c| c["config"].clone())
        .filter(Value::is_object)
        .unwrap_or_else(|| json!({}));
    let has_entrypoint = section["Entrypoint"]
        .as_array()
        .is_some_and(|a| !a.is_empty());
    if !command.is_empty()
        && !has_entrypoint
        && let Value::Object(m) = &mut section
    {
        m.insert("Cmd".into(), json!(command));
    }
    json!({ "config": section })
}

impl Container {
    /// Makes an image of the container's root filesystem (its image plus
    /// its read-write layer) and emits `commit`; returns the new image.
    pub fn commit(&self, opts: &CommitOptions) -> Result<ImageRecord> {
        let storage = self.rt.storage_or_err()?;
        let cfg = &self.rec.config;
        let image_config = if cfg.rootfs_image_id.is_empty() {
            None
        } else {
            storage.image_config(&cfg.rootfs_image_id).ok()
        };
        let config = commit_config(image_config.as_ref(), &cfg.command);
        let import = ImportOptions {
            names: opts.name.iter().cloned().collect(),
            changes: opts.changes.clone(),
            message: opts.message.clone(),
        };
        let rec = storage.commit_container(self.id(), &import, config)?;
        self.rt.emit(self.event(EventStatus::Commit));
        Ok(rec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(words: &[&str]) -> Vec<String> {
        words.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_command_becomes_cmd() {
        let image = json!({"config": {"Env": ["A=1"], "Cmd": ["sh"]}});
        let c = commit_config(Some(&image), &cmd(&["top", "-b"]));
        assert_eq!(c, json!({"config": {"Env": ["A=1"], "Cmd": ["top", "-b"]}}));
    }

    #[test]
    fn an_entrypoint_keeps_the_images_cmd() {
        let image = json!({"config": {"Entrypoint": ["/init"], "Cmd": ["x"]}});
        let c = commit_config(Some(&image), &cmd(&["/init", "y"]));
        assert_eq!(c["config"]["Cmd"], json!(["x"]));
    }

    #[test]
    fn no_image_config_starts_empty() {
        assert_eq!(
            commit_config(None, &cmd(&["true"])),
            json!({"config": {"Cmd": ["true"]}})
        );
        assert_eq!(
            commit_config(Some(&json!({"config": null})), &[]),
            json!({"config": {}})
        );
    }
}
