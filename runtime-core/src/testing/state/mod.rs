//! The `State` conformance suite. Each function checks one rule of the
//! contract written on [`State`](crate::state::State).
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod config;
mod dependencies;
mod lookup;
mod runtime_state;

use std::sync::atomic::{AtomicU32, Ordering};

use crate::container::{ContainerConfig, ContainerRecord};
use crate::error::Error;
use crate::names::generate_id;
use crate::pod::{PodConfig, PodRecord, PodState};
use crate::volume::{VolumeConfig, VolumeRecord, VolumeState};

pub use config::{
    closed_db_errors, config_rewrites, db_config_round_trip, listings_differ_only_by_the_spec,
    rename_is_atomic, unknown_config_fields_survive,
};
pub use dependencies::{
    dependencies_block_removal, dependencies_must_exist_and_share_the_pod, pod_membership,
    remove_pod_containers_respects_outside_dependents, removing_many_containers_is_all_or_nothing,
    volume_dependencies,
};
pub use lookup::{
    add_and_get_container, exact_name_beats_id_prefix,
    ids_and_names_unique_across_containers_and_pods, lookup_order_and_errors, missing_objects,
    names_are_reusable_after_removal, volume_lookup,
};
pub use runtime_state::{
    container_networks, exec_session_index, exec_sessions_and_state_are_saved_together,
    exit_codes_outlive_the_container_and_are_pruned, refresh_rules, save_and_update_state,
};

static NEXT_LOCK: AtomicU32 = AtomicU32::new(0);

fn lock_id() -> u32 {
    NEXT_LOCK.fetch_add(1, Ordering::Relaxed)
}

/// A container record with a fresh ID.
pub fn ctr(name: &str) -> ContainerRecord {
    ctr_with_id(&generate_id().unwrap(), name)
}

/// A container record with a given ID.
pub fn ctr_with_id(id: &str, name: &str) -> ContainerRecord {
    let mut cfg = ContainerConfig::new(id, name, lock_id());
    cfg.labels.insert("test".into(), name.into());
    cfg.spec = Some(serde_json::json!({"ociVersion": "1.0.2", "process": {"args": ["true"]}}));
    ContainerRecord::new(cfg)
}

/// A pod record with a fresh ID.
pub fn pod(name: &str) -> PodRecord {
    PodRecord {
        config: PodConfig::new(generate_id().unwrap(), name, lock_id()),
        state: PodState::default(),
    }
}

/// A volume record.
pub fn vol(name: &str) -> VolumeRecord {
    VolumeRecord {
        config: VolumeConfig::new(name, lock_id(), format!("/volumes/{name}/_data")),
        state: VolumeState::default(),
    }
}

fn assert_err(r: crate::Result<impl std::fmt::Debug>, kind: Error) -> Error {
    match r {
        Ok(v) => panic!("expected {kind:?}, got Ok({v:?})"),
        Err(e) => {
            assert!(e.is(&kind), "expected {kind:?}, got {e:?} ({e})");
            e
        }
    }
}
