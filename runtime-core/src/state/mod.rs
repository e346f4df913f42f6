//! The `State`: the database every `rpod` process shares.
//!
//! A backend stores containers, pods and volumes (immutable config plus
//! mutable state, both as Podman's JSON), the exec-session index, exit codes
//! and the DB config. Its contract, checked by the conformance suite in
//! `crate::testing` (cargo feature `testing`):
//!
//! * IDs are one name space across containers and pods; so are names.
//!   Volumes have their own name space.
//! * Lookups go exact ID, exact name, unique ID prefix
//!   ([`crate::names::resolve`] gives the error texts).
//! * Adding a container checks that its dependencies exist and are in the
//!   same pod (or none), that its named volumes exist, and records the
//!   reverse edges; removing a container that others depend on fails with
//!   [`Error::DepExists`](crate::Error::DepExists).
//! * Exit codes are keyed by container ID, outlive the container, and are
//!   pruned 5 minutes after they were written.
//! * Every mutation is atomic: after a crash the database holds either all
//!   or nothing of it. Every method fails with
//!   [`Error::DbClosed`](crate::Error::DbClosed) after [`State::close`].

mod db_config;
pub mod errors;
pub mod memory;
mod order;

use std::collections::BTreeMap;
use std::fmt::Debug;

use chrono::{DateTime, Utc};

pub use db_config::{DbConfig, DbConfigDefaults, ExplicitFields};
pub use order::dependency_order;

use crate::container::{ContainerConfig, ContainerRecord, ContainerState};
use crate::error::Result;
use crate::network::PerNetworkOptions;
use crate::pod::{PodConfig, PodRecord, PodState};
use crate::volume::{VolumeConfig, VolumeRecord, VolumeState};

/// How long exit codes are kept after they are written.
pub const EXIT_CODE_RETENTION: chrono::Duration = chrono::Duration::minutes(5);

/// The shared state database. Object-safe; backends are chosen at run time.
pub trait State: Send + Sync + Debug {
    /// The backend's name (`sqlite`, `boltdb`, `memory`).
    fn name(&self) -> &'static str;

    /// Closes the database; every later call fails with `DbClosed`.
    fn close(&self) -> Result<()>;

    /// Resets every object after a reboot, in one transaction: containers go
    /// back to `Configured` unless `Exited` ([`ContainerState::reset_for_refresh`]),
    /// pods and volumes are reset likewise, and the exec-session index and all
    /// exit codes are deleted.
    fn refresh(&self) -> Result<()>;

    /// The stored DB config, or `None` when none was stored yet.
    fn db_config(&self) -> Result<Option<DbConfig>>;

    /// The database's own consistency check (SQLite's `integrity_check`):
    /// one line per problem, empty when the database is sound or the
    /// backend has no such check.
    fn check_integrity(&self) -> Result<Vec<String>> {
        Ok(Vec::new())
    }

    /// Stores `cfg` when no DB config exists yet and returns what is stored
    /// afterwards (the existing one, unchanged, if there was one). Atomic.
    fn init_db_config(&self, cfg: &DbConfig) -> Result<DbConfig>;

    // ---- names -------------------------------------------------------------

    /// The name of the container with this full ID.
    fn container_name(&self, id: &str) -> Result<String>;

    /// The name of the pod with this full ID.
    fn pod_name(&self, id: &str) -> Result<String>;

    // ---- containers --------------------------------------------------------

    /// The container with this full ID (`NoSuchCtr` otherwise).
    fn container(&self, id: &str) -> Result<ContainerRecord>;

    /// Resolves a full ID, name or unique ID prefix to a container's full ID.
    fn lookup_container_id(&self, id_or_name: &str) -> Result<String>;

    /// Resolves like [`State::lookup_container_id`] and loads the container.
    fn lookup_container(&self, id_or_name: &str) -> Result<ContainerRecord> {
        let id = self.lookup_container_id(id_or_name)?;
        self.container(&id)
    }

    /// True when a container with this full ID exists.
    fn has_container(&self, id: &str) -> Result<bool>;

    /// Adds a container (config and initial state). Fails with `CtrExists`
    /// if the ID or name is taken by a container or pod, `NoSuchCtr` for a
    /// missing dependency, `NoSuchPod` for a missing pod, `NoSuchVolume` for
    /// a missing named volume, `InvalidArg` for a dependency in another pod.
    fn add_container(&self, ctr: &ContainerRecord) -> Result<()>;

    /// Removes a container, its exec-session index and its volume and
    /// dependency edges. Fails with `DepExists` while others depend on it,
    /// `ExecSessionExists` while exec sessions are registered.
    fn remove_container(&self, id: &str) -> Result<()>;

    /// Removes several containers in one transaction: for each, in order,
    /// what `remove_container_exec_sessions` and then `remove_container`
    /// would do. All or nothing: if any step fails (`NoSuchCtr`,
    /// `DepExists` for a dependent that is not removed earlier in `ids`, …)
    /// that error is returned and no container is removed. Removing many
    /// containers this way costs one commit instead of one per container.
    fn remove_containers(&self, ids: &[String]) -> Result<()>;

    /// Reloads a container's state from the database (`NoSuchCtr` if gone).
    fn update_container(&self, id: &str) -> Result<ContainerState>;

    /// Writes a container's state (`NoSuchCtr` if gone).
    fn save_container(&self, id: &str, state: &ContainerState) -> Result<()>;

    /// IDs of the containers that depend on this one.
    fn container_in_use(&self, id: &str) -> Result<Vec<String>>;

    /// Every container; with `load_state == false` the states may be defaults.
    fn all_containers(&self, load_state: bool) -> Result<Vec<ContainerRecord>>;

    /// Every container with its state, for listings (`ps`): identical to
    /// `all_containers(true)` except that the config's `spec` may be `None`,
    /// which lets a backend skip decoding the largest part of each record.
    fn all_containers_for_listing(&self) -> Result<Vec<ContainerRecord>> {
        self.all_containers(true)
    }

    /// A container's config by full ID.
    fn container_config(&self, id: &str) -> Result<ContainerConfig> {
        Ok(self.container(id)?.config)
    }

    /// Replaces a container's config. ID, name, pod and dependencies must
    /// not change (`InvalidArg`). Used by renumber and migrate.
    fn rewrite_container_config(&self, cfg: &ContainerConfig) -> Result<()>;

    /// Replaces a container's config and renames it from `old_name` to
    /// `new_name` atomically (`CtrExists` if the new name is taken).
    fn safe_rewrite_container_config(
        &self,
        old_name: &str,
        new_name: &str,
        cfg: &ContainerConfig,
    ) -> Result<()>;

    // ---- container networks -----------------------------------------------

    /// The networks a container is connected to, by name.
    fn networks(&self, id: &str) -> Result<BTreeMap<String, PerNetworkOptions>>;

    /// Connects a container to a network (`InvalidArg` if already connected).
    fn network_connect(&self, id: &str, network: &str, opts: &PerNetworkOptions) -> Result<()>;

    /// Disconnects a container from a network (`InvalidArg` if not connected).
    fn network_disconnect(&self, id: &str, network: &str) -> Result<()>;

    // ---- exit codes ---------------------------------------------------------

    /// Records a container's exit code, stamped with the current time.
    fn add_container_exit_code(&self, id: &str, code: i32) -> Result<()>;

    /// A recorded exit code (`NoSuchExitCode` otherwise).
    fn container_exit_code(&self, id: &str) -> Result<i32>;

    /// When an exit code was recorded (`NoSuchExitCode` otherwise).
    fn container_exit_code_timestamp(&self, id: &str) -> Result<DateTime<Utc>>;

    /// Deletes exit codes recorded more than [`EXIT_CODE_RETENTION`] before `now`.
    fn prune_container_exit_codes(&self, now: DateTime<Utc>) -> Result<()>;

    // ---- exec sessions (index only) ---------------------------------------

    /// Registers exec session `session_id` for container `ctr_id`
    /// (`ExecSessionExists` if the ID is registered, `NoSuchCtr` if the
    /// container is gone).
    fn add_exec_session(&self, ctr_id: &str, session_id: &str) -> Result<()>;

    /// The container of an exec session (`NoSuchExecSession` otherwise).
    fn exec_session(&self, session_id: &str) -> Result<String>;

    /// Unregisters an exec session (`NoSuchExecSession` otherwise).
    fn remove_exec_session(&self, session_id: &str) -> Result<()>;

    /// `add_exec_session` and then `save_container(ctr_id, state)` in one
    /// transaction: both happen or neither.
    fn add_exec_session_and_save(
        &self,
        ctr_id: &str,
        session_id: &str,
        state: &ContainerState,
    ) -> Result<()>;

    /// Unregisters exec session `session_id` of container `ctr_id` and saves
    /// the container's `state`, in one transaction: both happen or neither.
    /// `NoSuchExecSession` if that container has no such session.
    fn remove_exec_session_and_save(
        &self,
        ctr_id: &str,
        session_id: &str,
        state: &ContainerState,
    ) -> Result<()>;

    /// The exec sessions registered for a container.
    fn container_exec_sessions(&self, ctr_id: &str) -> Result<Vec<String>>;

    /// Unregisters every exec session of a container.
    fn remove_container_exec_sessions(&self, ctr_id: &str) -> Result<()>;

    // ---- pods ---------------------------------------------------------------

    /// The pod with this full ID (`NoSuchPod` otherwise).
    fn pod(&self, id: &str) -> Result<PodRecord>;

    /// Resolves a full ID, name or unique ID prefix to a pod.
    fn lookup_pod(&self, id_or_name: &str) -> Result<PodRecord>;

    /// True when a pod with this full ID exists.
    fn has_pod(&self, id: &str) -> Result<bool>;

    /// True when the container belongs to the pod.
    fn pod_has_container(&self, pod_id: &str, ctr_id: &str) -> Result<bool>;

    /// IDs of a pod's containers.
    fn pod_containers_by_id(&self, pod_id: &str) -> Result<Vec<String>>;

    /// A pod's containers.
    fn pod_containers(&self, pod_id: &str) -> Result<Vec<ContainerRecord>>;

    /// Adds a pod (`PodExists` if its ID or name is taken by a pod or container).
    fn add_pod(&self, pod: &PodRecord) -> Result<()>;

    /// Removes an empty pod (`InvalidArg`: "pod ... is not empty" otherwise).
    fn remove_pod(&self, id: &str) -> Result<()>;

    /// Removes all of a pod's containers at once, ignoring dependencies
    /// inside the pod; fails with `DepExists` if a container outside the pod
    /// depends on one of them.
    fn remove_pod_containers(&self, pod_id: &str) -> Result<()>;

    /// Reloads a pod's state.
    fn update_pod(&self, id: &str) -> Result<PodState>;

    /// Writes a pod's state.
    fn save_pod(&self, id: &str, state: &PodState) -> Result<()>;

    /// Every pod.
    fn all_pods(&self) -> Result<Vec<PodRecord>>;

    /// Replaces a pod's config (ID and name must not change).
    fn rewrite_pod_config(&self, cfg: &PodConfig) -> Result<()>;

    // ---- volumes ------------------------------------------------------------

    /// The volume with this exact name (`NoSuchVolume` otherwise).
    fn volume(&self, name: &str) -> Result<VolumeRecord>;

    /// Resolves an exact name or unique name prefix to a volume.
    fn lookup_volume(&self, name: &str) -> Result<VolumeRecord>;

    /// True when the volume exists.
    fn has_volume(&self, name: &str) -> Result<bool>;

    /// IDs of the containers using the volume.
    fn volume_in_use(&self, name: &str) -> Result<Vec<String>>;

    /// Adds a volume (`VolumeExists` if the name is taken).
    fn add_volume(&self, vol: &VolumeRecord) -> Result<()>;

    /// Removes a volume (`VolumeBeingUsed` while containers use it).
    fn remove_volume(&self, name: &str) -> Result<()>;

    /// Reloads a volume's state.
    fn update_volume(&self, name: &str) -> Result<VolumeState>;

    /// Writes a volume's state.
    fn save_volume(&self, name: &str, state: &VolumeState) -> Result<()>;

    /// Every volume.
    fn all_volumes(&self) -> Result<Vec<VolumeRecord>>;

    /// Replaces a volume's config (the name must not change).
    fn rewrite_volume_config(&self, cfg: &VolumeConfig) -> Result<()>;

    /// True when `id` is the storage container backing a volume.
    fn container_id_is_volume(&self, id: &str) -> Result<bool>;
}
