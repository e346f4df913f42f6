//! rpod's network backend: Podman's network definitions (one JSON file per
//! network in the network config directory, the default network in
//! memory), host-local address allocation, network namespaces pinned to
//! files, and the real `netavark` (which starts `aardvark-dns` for networks
//! with DNS) to attach them.
//!
//! Contract kept with Podman: the definition files, their lock
//! (`netavark.lock`) and netavark's own state (`--config`, the run
//! directory: aardvark-dns configs, firewall bookkeeping) are the ones
//! Podman uses when both point at the same directories. Address leases are
//! rpod's own file in the run directory.

#![deny(missing_docs)]

mod create;
mod exec;
mod ipam;
mod netns;
mod store;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rpod_runtime_core::backend::{BackendContext, BackendRegistry};
use rpod_runtime_core::network::{
    Network, NetworkBackend, SetupOptions, StatusBlock, no_such_network,
};
use rpod_runtime_core::{Error, Result};

/// The name this backend is registered under.
pub const BACKEND_NAME: &str = "netavark";

/// netavark's run directory when containers.conf names none (Podman's).
pub const DEFAULT_RUN_DIR: &str = "/run/containers/networks";

/// Registers the `netavark` network backend.
pub fn register(registry: &mut BackendRegistry) {
    registry.register_network(
        BACKEND_NAME,
        Arc::new(|ctx: &BackendContext| {
            Ok(Box::new(NetavarkBackend::new(ctx)) as Box<dyn NetworkBackend>)
        }),
    );
}

/// The netavark network backend. Building it touches nothing on disk.
#[derive(Debug, Clone)]
pub struct NetavarkBackend {
    store: store::Store,
    ipam: ipam::Ipam,
    run_dir: PathBuf,
    netns_dir: PathBuf,
}

impl NetavarkBackend {
    /// The backend for a runtime: definitions in containers.conf's
    /// `network_config_dir`, netavark's state in `network_run_dir` (rpod's
    /// key; Podman's `/run/containers/networks` by default), namespaces
    /// under `<tmp dir>/netns`.
    pub fn new(ctx: &BackendContext) -> Self {
        let n = &ctx.config.conf.network;
        let run_dir = if n.network_run_dir.is_empty() {
            PathBuf::from(DEFAULT_RUN_DIR)
        } else {
            PathBuf::from(&n.network_run_dir)
        };
        NetavarkBackend {
            store: store::Store {
                dir: PathBuf::from(&n.network_config_dir),
                default_name: n.default_network.clone(),
                default_subnet: n.default_subnet.clone(),
            },
            ipam: ipam::Ipam {
                dir: run_dir.clone(),
            },
            run_dir,
            netns_dir: ctx.tmp_dir.join("netns"),
        }
    }

    fn netavark(&self) -> Result<exec::Netavark> {
        Ok(exec::Netavark {
            binary: exec::find_helper("netavark")?,
            aardvark: exec::find_helper("aardvark-dns")?,
            run_dir: self.run_dir.clone(),
        })
    }

    /// The definitions of the networks `opts` names, with their addresses
    /// filled in (allocated when `allocate`, else as held).
    fn input_for<'a>(
        &self,
        opts: &'a SetupOptions,
        allocate: bool,
    ) -> Result<exec::NetavarkInput<'a>> {
        let nets = self.store.load()?;
        let mut networks = BTreeMap::new();
        let mut info = BTreeMap::new();
        for (name, per) in &opts.networks {
            let net = nets
                .get(name)
                .cloned()
                .ok_or_else(|| no_such_network(name))?;
            let mut per = per.clone();
            per.static_ips = if allocate {
                self.ipam.allocate(&net, &opts.container_id, &per)?
            } else {
                self.ipam.assigned(name, &opts.container_id)?
            };
            if per.interface_name.is_empty() {
                per.interface_name = format!("eth{}", networks.len());
            }
            networks.insert(name.clone(), per);
            info.insert(name.clone(), net);
        }
        Ok(exec::NetavarkInput {
            container_id: &opts.container_id,
            container_name: &opts.container_name,
            port_mappings: &opts.port_mappings,
            networks,
            network_info: info,
        })
    }

    fn release_all(&self, opts: &SetupOptions, errors: &mut Vec<String>) {
        for name in opts.networks.keys() {
            if let Err(e) = self.ipam.release(name, &opts.container_id) {
                errors.push(e.to_string());
            }
        }
    }
}

impl NetworkBackend for NetavarkBackend {
    fn name(&self) -> &'static str {
        BACKEND_NAME
    }

    fn default_network(&self) -> String {
        self.store.default_name.clone()
    }

    fn create(&self, net: &Network) -> Result<Network> {
        let lock = self.store.lock()?;
        let _held = lock.lock()?;
        let nets = self.store.load()?;
        let used = create::InUse::collect(&nets);
        let net = create::complete(net, &nets, &used)?;
        self.store.write(&net)?;
        Ok(net)
    }

    fn list(&self) -> Result<Vec<Network>> {
        Ok(self.store.load()?.into_values().collect())
    }

    fn inspect(&self, name_or_id: &str) -> Result<Network> {
        store::lookup(&self.store.load()?, name_or_id)
    }

    fn remove(&self, name_or_id: &str) -> Result<()> {
        let lock = self.store.lock()?;
        let _held = lock.lock()?;
        let net = store::lookup(&self.store.load()?, name_or_id)?;
        if net.name == self.store.default_name {
            return Err(Error::InvalidArg
                .context(format!("default network {} cannot be removed", net.name)));
        }
        self.store.remove(&net.name)
    }

    fn netns_path(&self, container_id: &str) -> PathBuf {
        self.netns_dir.join(format!("netns-{container_id}"))
    }

    fn create_netns(&self, container_id: &str) -> Result<PathBuf> {
        netns::create(&self.netns_dir, &format!("netns-{container_id}"))
    }

    fn remove_netns(&self, path: &Path) -> Result<()> {
        netns::remove(path)
    }

    fn setup(&self, opts: &SetupOptions) -> Result<BTreeMap<String, StatusBlock>> {
        if opts.networks.is_empty() {
            return Ok(BTreeMap::new());
        }
        let tool = self.netavark()?;
        let input = match self.input_for(opts, true) {
            Ok(i) => i,
            Err(e) => {
                let mut ignored = Vec::new();
                self.release_all(opts, &mut ignored);
                return Err(e);
            }
        };
        match tool.setup(&opts.netns_path, &input) {
            Ok(status) => Ok(status),
            Err(e) => {
                // Leave nothing half-configured.
                if let Err(t) = tool.teardown(&opts.netns_path, &input) {
                    tracing::debug!("teardown after failed setup: {t}");
                }
                let mut ignored = Vec::new();
                self.release_all(opts, &mut ignored);
                Err(e)
            }
        }
    }

    fn teardown(&self, opts: &SetupOptions) -> Result<()> {
        if opts.networks.is_empty() {
            return Ok(());
        }
        let mut errors = Vec::new();
        if netns::is_pinned(&opts.netns_path) {
            match self
                .netavark()
                .and_then(|tool| Ok((tool, self.input_for(opts, false)?)))
            {
                Ok((tool, input)) => {
                    if let Err(e) = tool.teardown(&opts.netns_path, &input) {
                        errors.push(e.to_string());
                    }
                }
                Err(e) => errors.push(e.to_string()),
            }
        }
        self.release_all(opts, &mut errors);
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Message(errors.join("; ")))
        }
    }
}
