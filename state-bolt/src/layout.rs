//! libpod's bucket and key names (Podman 4.3 `boltdb_state_internal.go`).

/// ID → name of every container and pod.
pub const ID_REGISTRY: &[u8] = b"id-registry";
/// Name → ID of every container and pod.
pub const NAME_REGISTRY: &[u8] = b"name-registry";
/// ID → libpod namespace (only for objects that have one).
pub const NS_REGISTRY: &[u8] = b"ns-registry";
/// One sub-bucket per container.
pub const CTR: &[u8] = b"ctr";
/// Container ID → name.
pub const ALL_CTRS: &[u8] = b"all-ctrs";
/// One sub-bucket per pod.
pub const POD: &[u8] = b"pod";
/// Pod ID → name.
pub const ALL_PODS: &[u8] = b"allPods";
/// One sub-bucket per volume.
pub const VOL: &[u8] = b"vol";
/// Volume name → name.
pub const ALL_VOLS: &[u8] = b"allVolumes";
/// Exec session ID → container ID.
pub const EXEC: &[u8] = b"exec";
/// The DB config keys.
pub const RUNTIME_CONFIG: &[u8] = b"runtime-config";
/// Container ID → decimal exit code.
pub const EXIT_CODE: &[u8] = b"exit-code";
/// Container ID → RFC 3339 time the exit code was written.
pub const EXIT_CODE_TIME_STAMP: &[u8] = b"exit-code-time-stamp";
/// Storage container ID → volume name.
pub const VOLUME_CTRS: &[u8] = b"volume-ctrs";

/// Every top-level bucket, created when missing (as Podman does on open).
pub const TOP_LEVEL: [&[u8]; 14] = [
    ID_REGISTRY,
    NAME_REGISTRY,
    NS_REGISTRY,
    CTR,
    ALL_CTRS,
    POD,
    ALL_PODS,
    VOL,
    ALL_VOLS,
    EXEC,
    RUNTIME_CONFIG,
    EXIT_CODE,
    EXIT_CODE_TIME_STAMP,
    VOLUME_CTRS,
];

/// Config JSON (containers, pods, volumes).
pub const CONFIG: &[u8] = b"config";
/// State JSON (containers, pods, volumes).
pub const STATE: &[u8] = b"state";
/// Reverse dependency edges: dependent container ID → its name.
pub const DEPENDENCIES: &[u8] = b"dependencies";
/// Containers using a volume: ID → ID.
pub const VOL_DEPENDENCIES: &[u8] = b"vol-dependencies";
/// A container's network namespace path.
pub const NETNS: &[u8] = b"netns";
/// A pod's members: container ID → name.
pub const CONTAINERS: &[u8] = b"containers";
/// The pod a container belongs to.
pub const POD_ID: &[u8] = b"pod-id";
/// An object's libpod namespace.
pub const NAMESPACE: &[u8] = b"namespace";
/// A container's networks: name → PerNetworkOptions JSON.
pub const NETWORKS: &[u8] = b"networks";

/// DB config key: operating system.
pub const OS: &[u8] = b"os";
/// DB config key: libpod static dir.
pub const STATIC_DIR: &[u8] = b"static-dir";
/// DB config key: libpod tmp dir.
pub const TMP_DIR: &[u8] = b"tmp-dir";
/// DB config key: storage run root.
pub const RUN_ROOT: &[u8] = b"run-root";
/// DB config key: storage graph root.
pub const GRAPH_ROOT: &[u8] = b"graph-root";
/// DB config key: storage driver.
pub const GRAPH_DRIVER: &[u8] = b"graph-driver-name";
/// DB config key: volume path.
pub const VOLUME_PATH: &[u8] = b"volume-path";
