//! Composes the backends this binary was built with (cargo features) into
//! the registry the runtime chooses from. A backend left out by its feature
//! is reported by name with the feature to enable.

use rpod_runtime_core::backend::BackendRegistry;

/// Every backend this binary knows of, with the cargo feature that compiles
/// it in: asking for one that was left out names the feature.
const FEATURES: [(&str, &str, &str); 11] = [
    ("database", "sqlite", "state-sqlite"),
    ("database", "boltdb", "state-bolt"),
    ("lock", "shm", "lock-shm"),
    ("lock", "file", "lock-file"),
    ("events", "file", "events"),
    ("events", "journald", "events"),
    ("events", "none", "events"),
    ("OCI runtime", "conmon", "oci-conmon"),
    ("storage", "overlay", "storage"),
    ("storage", "vfs", "storage"),
    ("network", "netavark", "network-netavark"),
];

/// The registry with every compiled-in backend.
pub fn registry() -> BackendRegistry {
    let mut r = BackendRegistry::new();
    for (kind, name, feature) in FEATURES {
        r.declare_feature(kind, name, feature);
    }
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
    #[cfg(feature = "network-netavark")]
    rpod_network_netavark::register(&mut r);
    r
}
