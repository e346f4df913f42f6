//! Composes the backends this binary was built with (cargo features) into
//! the registry the runtime chooses from. A backend left out by its feature
//! is reported by name with the feature to enable.

use rpod_runtime_core::backend::BackendRegistry;

/// The registry with every compiled-in backend.
pub fn registry() -> BackendRegistry {
    #[allow(unused_mut)]
    let mut r = BackendRegistry::new();
    #[cfg(feature = "events")]
    rpod_events::register(&mut r);
    #[cfg(feature = "state-sqlite")]
    rpod_state_sqlite::register(&mut r);
    #[cfg(feature = "state-bolt")]
    rpod_state_bolt::register(&mut r);
    #[cfg(feature = "lock-shm")]
    rpod_lock_shm::register(&mut r);
    #[cfg(feature = "lock-file")]
    rpod_lock_file::register(&mut r);
    #[cfg(feature = "oci-conmon")]
    rpod_oci_conmon::register(&mut r);
    #[cfg(feature = "storage")]
    rpod_storage::register(&mut r);
    r
}
