//! `network connect`, `network disconnect` and `network reload` on a
//! container: the State's record of its networks changes always; a
//! running container's namespace is attached or detached at once and its
//! `hosts` and `resolv.conf` are written again.

use super::Container;
use super::ContainerStatus;
use crate::error::{Error, Result};
use crate::network::PerNetworkOptions;

impl Container {
    fn require_bridge(&self) -> Result<()> {
        if self.rec.config.create_net_ns {
            return Ok(());
        }
        Err(Error::InvalidArg.context(format!(
            "network mode {:?} is not supported: container {} must use bridge networking",
            self.rec.config.net_mode,
            self.id()
        )))
    }

    fn is_live(&self) -> bool {
        matches!(
            self.rec.state.state,
            ContainerStatus::Running | ContainerStatus::Paused | ContainerStatus::Created
        ) && !self.rec.state.net_ns.is_empty()
    }

    /// Rewrites `hosts` and `resolv.conf` from the current network status.
    fn rewrite_run_files(&self) -> Result<()> {
        let spec = self
            .rec
            .config
            .oci_spec()?
            .ok_or_else(|| Error::Internal.context("container has no OCI spec"))?;
        let files = self.network_files()?;
        super::spec::write_run_files_with(&self.run_file_options(&spec), &files)
    }

    /// Connects the container to network `name` with `opts`; a running
    /// one is attached at once.
    pub fn network_connect(&mut self, name: &str, opts: PerNetworkOptions) -> Result<()> {
        let _held = self.lock_and_sync()?;
        self.require_bridge()?;
        let rt = self.rt.clone();
        let name = rt.network_name(name)?;
        let state = rt.state()?;
        if state.networks(self.id())?.contains_key(&name) {
            return Err(Error::InvalidArg.context(format!(
                "container {} is already connected to network {name:?}",
                self.id()
            )));
        }
        let mut opts = opts;
        if opts.interface_name.is_empty() {
            let used: Vec<String> = state
                .networks(self.id())?
                .values()
                .map(|p| p.interface_name.clone())
                .collect();
            opts.interface_name = super::network::next_interface(&used);
        }
        state.network_connect(self.id(), &name, &opts)?;
        if !self.is_live() {
            return Ok(());
        }
        let mut setup = self.setup_options(self.rec.state.net_ns.clone().into())?;
        setup.networks.retain(|n, _| *n == name);
        setup.port_mappings.clear();
        match rt.network_backend()?.setup(&setup) {
            Ok(status) => {
                self.rec.state.network_status.extend(status);
                self.save()?;
                self.rewrite_run_files()
            }
            Err(e) => {
                let _ = state.network_disconnect(self.id(), &name);
                Err(e)
            }
        }
    }

    /// Disconnects the container from network `name`; a running one is
    /// detached at once.
    pub fn network_disconnect(&mut self, name: &str) -> Result<()> {
        let _held = self.lock_and_sync()?;
        self.require_bridge()?;
        let rt = self.rt.clone();
        let name = rt.network_name(name)?;
        let state = rt.state()?;
        if !state.networks(self.id())?.contains_key(&name) {
            return Err(Error::InvalidArg.context(format!(
                "container {} is not connected to network {name:?}",
                self.id()
            )));
        }
        let mut result = Ok(());
        if self.is_live() {
            let mut setup = self.setup_options(self.rec.state.net_ns.clone().into())?;
            setup.networks.retain(|n, _| *n == name);
            setup.port_mappings.clear();
            result = rt.network_backend()?.teardown(&setup);
            self.rec.state.network_status.remove(&name);
            self.save()?;
        }
        state.network_disconnect(self.id(), &name)?;
        if self.is_live() {
            self.rewrite_run_files()?;
        }
        result
    }

    /// `network reload`: sets a running container's networks up again
    /// with the same addresses (after a firewall flush, say).
    pub fn network_reload(&mut self) -> Result<()> {
        let _held = self.lock_and_sync()?;
        self.require_bridge()?;
        if !self.is_live() {
            return Err(
                Error::CtrStateInvalid.context(format!("container {} is not running", self.id()))
            );
        }
        let backend = self.rt.network_backend()?;
        let mut setup = self.setup_options(self.rec.state.net_ns.clone().into())?;
        // Keep the addresses the container has.
        for (name, per) in setup.networks.iter_mut() {
            if let Some(block) = self.rec.state.network_status.get(name) {
                for iface in block.interfaces.values() {
                    for a in &iface.subnets {
                        let ip = a.ipnet.split('/').next().unwrap_or_default().to_string();
                        if !ip.is_empty() && !per.static_ips.contains(&ip) {
                            per.static_ips.push(ip);
                        }
                    }
                }
            }
        }
        if let Err(e) = backend.teardown(&setup) {
            tracing::debug!("reload teardown: {e}");
        }
        let status = backend.setup(&setup)?;
        self.rec.state.network_status = status;
        self.save()
    }
}
