//! Containers: configuration, state, the state machine, and the records the State stores.

mod attach;
mod by_name;
mod cleanup;
mod commit;
mod config;
mod copy;
mod create;
mod exec;
mod exit_watch;
mod external;
mod handle;
mod image;
mod inspect;
mod inspect_types;
mod list;
pub mod log_config;
mod log_reader;
pub mod logs;
mod mount_flags;
mod namespaces;
mod network;
mod network_connect;
mod pause;
mod remove;
mod rootfs;
mod shm;
pub mod spec;
mod start;
mod state;
mod status;
mod stop;
mod targets;
pub mod top;
mod volumes;
mod wait;
mod workdir;

pub use by_name::{CleanupOptions, ContainerRmOptions, RmReport};
pub use commit::{CommitOptions, commit_config};
pub use config::{ContainerConfig, NamedVolume};
pub use copy::{CopyEnd, CopyOptions, parse_copy_end};
pub use create::CreateOptions;
pub use external::{ExternalContainer, ExternalOrigin, ExternalRemoval};
pub use handle::Container;
pub(crate) use handle::HeldLock;
pub use inspect::{InspectContext, build_inspect};
pub use inspect_types::{
    ContainerInspect, InspectConfig, InspectGraphDriver, InspectGraphDriverData, InspectHealth,
    InspectHostConfig, InspectLogConfig, InspectMount, InspectNetworkSettings,
    InspectRestartPolicy, InspectState,
};
pub use list::{ContainerFilter, ContainerListOptions, ListedContainer, passes_filters};
pub use mount_flags::{MountRequest, parse_mount_flag, parse_volume_flag};
pub use network::{ContainerNetworking, NetworkRequest, parse_add_host, parse_network_flag};
pub use remove::RemoveOptions;
pub use rootfs::{ENGINE_MOUNT_POINTS, is_engine_mount_point};
pub use state::{ContainerState, ExecConfig, ExecSession};
pub use status::ContainerStatus;
pub use targets::{Target, TargetOptions, TargetScope};
pub(crate) use volumes::copy_up_marker;
pub use wait::WaitCondition;

/// A container as the State stores it: immutable config plus mutable state.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerRecord {
    /// Immutable configuration.
    pub config: ContainerConfig,
    /// Mutable state.
    pub state: ContainerState,
}

impl ContainerRecord {
    /// A new record in the `Configured` state.
    pub fn new(config: ContainerConfig) -> Self {
        ContainerRecord {
            config,
            state: ContainerState::default(),
        }
    }

    /// The container's full ID.
    pub fn id(&self) -> &str {
        &self.config.id
    }

    /// The container's name.
    pub fn name(&self) -> &str {
        &self.config.name
    }
}
