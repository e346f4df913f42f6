//! Containers that join other containers' namespaces (a pod's members join
//! its infra container's): the containers they depend on are started
//! first, and at init the spec's namespaces point at `/proc/<pid>/ns/<x>`
//! of the container holding each, as libpod's `generateSpec` does.

use std::path::PathBuf;

use oci_spec::runtime::{LinuxNamespaceType, Spec};

use super::{Container, ContainerStatus};
use crate::error::{Error, Result};

impl Container {
    /// Starts every container this one depends on that is not running
    /// (each under its own lock, its own dependencies first). The caller
    /// holds this container's lock, as libpod's `startDependencies` does.
    pub(crate) fn start_dependencies(&self) -> Result<()> {
        for dep in self.rec.config.all_dependencies() {
            let mut d = self.rt.lookup_container(&dep)?;
            let _held = d.lock_and_sync()?;
            match d.rec.state.state {
                ContainerStatus::Running => {}
                ContainerStatus::Paused => {
                    return Err(Error::CtrStateInvalid.context(format!(
                        "container {} depends on container {dep} which is paused",
                        self.id()
                    )));
                }
                _ => {
                    d.start_dependencies()?;
                    d.start_locked().map_err(|e| {
                        e.context(format!(
                            "starting dependency {dep} of container {}",
                            self.id()
                        ))
                    })?;
                }
            }
        }
        Ok(())
    }

    /// The namespaces this container joins: (type, holder's ID, `/proc` name).
    fn joined_namespaces(&self) -> Vec<(LinuxNamespaceType, &str, &'static str)> {
        let c = &self.rec.config;
        [
            (LinuxNamespaceType::Network, c.net_ns_ctr.as_str(), "net"),
            (LinuxNamespaceType::Ipc, c.ipc_ns_ctr.as_str(), "ipc"),
            (LinuxNamespaceType::Uts, c.uts_ns_ctr.as_str(), "uts"),
            (LinuxNamespaceType::Pid, c.pid_ns_ctr.as_str(), "pid"),
            (
                LinuxNamespaceType::Cgroup,
                c.cgroup_ns_ctr.as_str(),
                "cgroup",
            ),
        ]
        .into_iter()
        .filter(|(_, holder, _)| !holder.is_empty())
        .collect()
    }

    /// True when `/dev/shm` comes from the container holding the IPC
    /// namespace (so this one mounts none of its own).
    pub(crate) fn shares_shm(&self) -> bool {
        !self.rec.config.ipc_ns_ctr.is_empty()
    }

    /// Points the spec's namespaces at the containers holding them, and
    /// `/dev/shm` at the IPC holder's. Each holder must be running.
    pub(crate) fn join_namespaces(&self, spec: &mut Spec) -> Result<()> {
        let joined = self.joined_namespaces();
        if joined.is_empty() {
            return Ok(());
        }
        let state = self.rt.state()?;
        let mut paths = Vec::new();
        for (typ, holder, proc_name) in joined {
            let rec = state.container(holder)?;
            if rec.state.pid <= 0
                || !matches!(
                    rec.state.state,
                    ContainerStatus::Running | ContainerStatus::Paused
                )
            {
                return Err(Error::CtrStateInvalid.context(format!(
                    "cannot join the {proc_name} namespace of container {holder}: it is not running"
                )));
            }
            paths.push((
                typ,
                PathBuf::from(format!("/proc/{}/ns/{proc_name}", rec.state.pid)),
            ));
            if typ == LinuxNamespaceType::Ipc {
                let shm = PathBuf::from(&rec.config.static_dir).join("shm");
                if let Some(mounts) = spec.mounts_mut() {
                    for m in mounts.iter_mut() {
                        if m.destination() == &PathBuf::from("/dev/shm") {
                            m.set_source(Some(shm.clone()));
                        }
                    }
                }
            }
        }
        let Some(linux) = spec.linux_mut() else {
            return Ok(());
        };
        let mut namespaces = linux.namespaces().clone().unwrap_or_default();
        for (typ, path) in paths {
            match namespaces.iter_mut().find(|n| n.typ() == typ) {
                Some(n) => {
                    n.set_path(Some(path));
                }
                None => {
                    let mut n = oci_spec::runtime::LinuxNamespace::default();
                    n.set_typ(typ);
                    n.set_path(Some(path));
                    namespaces.push(n);
                }
            }
        }
        linux.set_namespaces(Some(namespaces));
        Ok(())
    }
}
