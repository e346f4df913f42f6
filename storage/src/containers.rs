//! `containers.json` records (containers/storage's `Container`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// One container record.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Container {
    /// ID.
    pub id: String,
    /// Names.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
    /// Image ID.
    #[serde(default)]
    pub image: String,
    /// Read-write layer ID.
    #[serde(default)]
    pub layer: String,
    /// Metadata (a JSON string).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub metadata: String,
    /// Creation time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created: Option<DateTime<Utc>>,
    /// Flags.
    #[serde(default, skip_serializing_if = "Map::is_empty")]
    pub flags: Map<String, Value>,
    /// Keys this crate does not interpret, kept as they were.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Container {
    /// The trait's view of the record.
    pub fn to_storage(&self) -> rpod_runtime_core::storage::StorageContainer {
        rpod_runtime_core::storage::StorageContainer {
            id: self.id.clone(),
            names: self.names.clone(),
            image: self.image.clone(),
            layer: self.layer.clone(),
            metadata: self.metadata.clone(),
            created: self.created,
        }
    }
}
