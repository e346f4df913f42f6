//! Everything in a BoltDB state, read in one snapshot, for migration into
//! another backend (`system migrate --migrate-db`).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use rpod_runtime_core::Result;
use rpod_runtime_core::container::ContainerRecord;
use rpod_runtime_core::network::PerNetworkOptions;
use rpod_runtime_core::pod::PodRecord;
use rpod_runtime_core::state::DbConfig;
use rpod_runtime_core::volume::VolumeRecord;

use crate::layout as l;
use crate::state::BoltState;
use crate::state::access::decode;

/// One container with everything the State keeps about it.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerExport {
    /// Config and state.
    pub record: ContainerRecord,
    /// Networks it is connected to.
    pub networks: BTreeMap<String, PerNetworkOptions>,
    /// IDs of its registered exec sessions.
    pub exec_sessions: Vec<String>,
}

/// A recorded exit code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExitCodeRecord {
    /// Container ID (the container may be gone).
    pub id: String,
    /// The exit code.
    pub code: i32,
    /// When it was recorded.
    pub timestamp: DateTime<Utc>,
}

/// The whole content of a BoltDB state.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Export {
    /// The DB config, if one was stored.
    pub db_config: Option<DbConfig>,
    /// Every container, in ID order.
    pub containers: Vec<ContainerExport>,
    /// Every pod, in ID order.
    pub pods: Vec<PodRecord>,
    /// Every volume, in name order.
    pub volumes: Vec<VolumeRecord>,
    /// Every exit code with its time stamp, in container-ID order.
    pub exit_codes: Vec<ExitCodeRecord>,
    /// The exec-session index: session ID → container ID.
    pub exec_sessions: BTreeMap<String, String>,
}

impl BoltState {
    /// Reads everything in one consistent snapshot. An exit code without a
    /// time stamp (or the other way round) is skipped, as Podman never
    /// writes one without the other.
    pub fn export(&self) -> Result<Export> {
        self.view(|r| {
            let mut out = Export {
                db_config: r.db_config()?,
                ..Default::default()
            };
            for id in r.ctr_ids()? {
                let record = r.container(&id, true)?;
                let mut networks = BTreeMap::new();
                if let Some(nets) = r.ctr(&id)?.bucket(l::NETWORKS)? {
                    for item in nets.iter()? {
                        let (k, e) = item?;
                        let name = String::from_utf8_lossy(&k).into_owned();
                        let raw = e.value().unwrap_or_default();
                        let opts = if raw == id.as_bytes() {
                            PerNetworkOptions::default()
                        } else {
                            decode(raw, || format!("network {name} options of container {id}"))?
                        };
                        networks.insert(name, opts);
                    }
                }
                out.containers.push(ContainerExport {
                    exec_sessions: r.ctr_sub_keys(&id, l::EXEC)?,
                    record,
                    networks,
                });
            }
            for id in r.keys(l::POD)? {
                out.pods.push(r.pod(&id)?);
            }
            for name in r.keys(l::VOL)? {
                out.volumes.push(r.volume(&name)?);
            }
            for id in r.keys(l::EXIT_CODE)? {
                if let (Some(code), Some(timestamp)) = (r.exit_code(&id)?, r.exit_code_time(&id)?) {
                    out.exit_codes.push(ExitCodeRecord {
                        id,
                        code,
                        timestamp,
                    });
                }
            }
            for session in r.keys(l::EXEC)? {
                if let Some(ctr) = r.get(l::EXEC, &session)? {
                    out.exec_sessions
                        .insert(session, String::from_utf8_lossy(&ctr).into_owned());
                }
            }
            Ok(out)
        })
    }
}
