//! External containers: ones the store holds but the State has no record
//! of (made by buildah or another tool sharing the store, or left behind
//! by a removal that died half-way). `ps --external` lists them and `rm`
//! deletes them by name or ID, as Podman does.

use std::collections::HashSet;

use chrono::{DateTime, Utc};

use crate::error::{Error, Result};
use crate::runtime::Runtime;
use crate::storage::{Storage, StorageContainer};

/// The file buildah keeps in a working container's directory: its presence
/// marks the container as buildah's.
const BUILDAH_MARKER: &str = "buildah.json";

/// Who made an external container, as far as the engine can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExternalOrigin {
    /// A buildah working container.
    Buildah,
    /// Something else (or a leftover of the engine itself).
    Storage,
}

impl ExternalOrigin {
    /// The word listings show in the command column: `buildah` or `storage`.
    pub fn as_str(self) -> &'static str {
        match self {
            ExternalOrigin::Buildah => "buildah",
            ExternalOrigin::Storage => "storage",
        }
    }
}

/// A storage container without a State record, as a listing shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalContainer {
    /// Full ID.
    pub id: String,
    /// Its first name in the store, or `unknown` when it has none.
    pub name: String,
    /// The image's ID (empty for a container made from scratch).
    pub image_id: String,
    /// The image's first name; `scratch` for a buildah container without
    /// an image; empty when the image has no name.
    pub image_name: String,
    /// When the store made it (the Unix epoch when the record does not say).
    pub created: DateTime<Utc>,
    /// Who made it.
    pub origin: ExternalOrigin,
}

impl ExternalContainer {
    /// The listing's state word: always `storage`.
    pub const STATE: &'static str = "storage";
}

/// What `rm` did with a name that might be an external container.
#[derive(Debug)]
pub enum ExternalRemoval {
    /// It named an external container, which is now gone.
    Removed,
    /// It names no external container (maybe an engine container): the
    /// caller goes on with the State.
    NotExternal,
}

/// The store's container `name_or_id` names: an exact ID or name first, then
/// a unique ID prefix.
fn find<'a>(all: &'a [StorageContainer], name_or_id: &str) -> Option<&'a StorageContainer> {
    if name_or_id.is_empty() {
        return None;
    }
    if let Some(c) = all
        .iter()
        .find(|c| c.id == name_or_id || c.names.iter().any(|n| n == name_or_id))
    {
        return Some(c);
    }
    let mut prefixed = all.iter().filter(|c| c.id.starts_with(name_or_id));
    match (prefixed.next(), prefixed.next()) {
        (Some(c), None) => Some(c),
        _ => None,
    }
}

fn origin(store: &dyn Storage, id: &str) -> ExternalOrigin {
    match store.container_dir(id) {
        Ok(dir) if dir.join(BUILDAH_MARKER).exists() => ExternalOrigin::Buildah,
        _ => ExternalOrigin::Storage,
    }
}

impl Runtime {
    /// The store's containers that have no State record (none when the
    /// runtime has no store), in the store's order.
    fn storage_only(&self) -> Result<Vec<StorageContainer>> {
        let Some(store) = self.storage()? else {
            return Ok(Vec::new());
        };
        let known: HashSet<String> = self
            .state()?
            .all_containers(false)?
            .into_iter()
            .map(|r| r.config.id)
            .collect();
        Ok(store
            .containers()?
            .into_iter()
            .filter(|c| !known.contains(&c.id))
            .collect())
    }

    /// Every external container, newest first, with what a listing shows.
    pub fn external_containers(&self) -> Result<Vec<ExternalContainer>> {
        let Some(store) = self.storage()? else {
            return Ok(Vec::new());
        };
        let mut list: Vec<ExternalContainer> = self
            .storage_only()?
            .into_iter()
            .map(|c| {
                let origin = origin(store, &c.id);
                let image_name = if c.image.is_empty() {
                    match origin {
                        ExternalOrigin::Buildah => "scratch".to_string(),
                        ExternalOrigin::Storage => String::new(),
                    }
                } else {
                    store
                        .lookup_image(&c.image)
                        .ok()
                        .and_then(|i| i.names.into_iter().next())
                        .unwrap_or_default()
                };
                ExternalContainer {
                    name: c.names.first().cloned().unwrap_or_else(|| "unknown".into()),
                    created: c.created.unwrap_or(DateTime::UNIX_EPOCH),
                    image_id: c.image,
                    image_name,
                    origin,
                    id: c.id,
                }
            })
            .collect();
        list.sort_by_key(|c| std::cmp::Reverse(c.created));
        Ok(list)
    }

    /// True when `name_or_id` (ID, name or unique ID prefix) names an
    /// external container (`container exists --external`).
    pub fn external_container_exists(&self, name_or_id: &str) -> Result<bool> {
        Ok(find(&self.storage_only()?, name_or_id).is_some())
    }

    /// Removes the external container `name_or_id` names (ID, name or
    /// unique ID prefix) from the store, freeing its name. A mounted one
    /// is refused (`CtrStateInvalid`) unless `force`, which unmounts it.
    /// Returns [`ExternalRemoval::NotExternal`] when the name is no
    /// external container's, so the caller can look in the State.
    pub fn remove_external_container(
        &self,
        name_or_id: &str,
        force: bool,
    ) -> Result<ExternalRemoval> {
        let Some(store) = self.storage()? else {
            return Ok(ExternalRemoval::NotExternal);
        };
        let all = self.storage_only()?;
        let Some(c) = find(&all, name_or_id) else {
            return Ok(ExternalRemoval::NotExternal);
        };
        if !force && store.container_mounted(&c.id)? {
            return Err(Error::CtrStateInvalid.context(format!(
                "container {name_or_id:?} is mounted and cannot be removed without using force"
            )));
        }
        store
            .delete_container(&c.id)
            .map_err(|e| e.context(format!("removing storage for container {name_or_id:?}")))?;
        tracing::debug!("removed external container {}", c.id);
        Ok(ExternalRemoval::Removed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctr(id: &str, names: &[&str]) -> StorageContainer {
        StorageContainer {
            id: id.into(),
            names: names.iter().map(|n| n.to_string()).collect(),
            image: String::new(),
            layer: String::new(),
            metadata: String::new(),
            created: None,
        }
    }

    #[test]
    fn names_ids_and_unique_prefixes_find_a_container() {
        let all = [ctr("abc123", &["web"]), ctr("abd456", &[])];
        assert_eq!(find(&all, "web").map(|c| c.id.as_str()), Some("abc123"));
        assert_eq!(find(&all, "abd456").map(|c| c.id.as_str()), Some("abd456"));
        assert_eq!(find(&all, "abc").map(|c| c.id.as_str()), Some("abc123"));
        // Ambiguous prefix, unknown name, empty string: nothing.
        assert!(find(&all, "ab").is_none());
        assert!(find(&all, "db").is_none());
        assert!(find(&all, "").is_none());
    }

    #[test]
    fn origin_words_are_podmans() {
        assert_eq!(ExternalOrigin::Buildah.as_str(), "buildah");
        assert_eq!(ExternalOrigin::Storage.as_str(), "storage");
        assert_eq!(ExternalContainer::STATE, "storage");
    }
}
