//! A container's network: what `create` asks for (`--network`, `-p`,
//! `--ip`, `--dns` ...), the namespace the engine makes and attaches at
//! init, and its teardown at cleanup.
//!
//! Setup steps (durable effect after each): namespace file pinned
//! (`<tmp>/netns/netns-<id>`, named from the ID so it is always findable)
//! → its path saved in the container's state → addresses leased and
//! netavark run (veth, bridge, firewall rules, DNS entry) → the status
//! saved. Teardown runs the same steps backwards and keeps going past
//! failures; cleanup runs it whenever a namespace or lease may exist.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use super::{Container, ContainerConfig};
use crate::error::{Error, Result};
use crate::network::{PerNetworkOptions, PortMapping, SetupOptions, StatusBlock, ports};
use crate::runtime::Runtime;

/// How the container gets its network namespace (`--network`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum NetworkRequest {
    /// No flag: containers.conf's `netns` (Podman's `private`: the default
    /// network when a backend is compiled in).
    #[default]
    Default,
    /// Its own namespace attached to these networks (empty: the default
    /// network). `bridge` and `private` mean the default network.
    Networks(BTreeMap<String, PerNetworkOptions>),
    /// Its own namespace with loopback only (`none`).
    None,
    /// The host's namespace (`host`).
    Host,
    /// The namespace of another container (`container:NAME|ID`): the
    /// engine-level "join that container's network" used by pods.
    Container(String),
    /// An existing namespace file (`ns:PATH`).
    Path(String),
}

/// Everything about a container's network that `create` takes.
#[derive(Debug, Clone, Default)]
pub struct ContainerNetworking {
    /// `--network`.
    pub mode: NetworkRequest,
    /// `-p`/`--publish`, parsed ([`ports::parse_publish`]); host port 0 is
    /// a random free port, chosen at create.
    pub publish: Vec<PortMapping>,
    /// `-P`: the image's exposed ports are published on random host ports
    /// (the caller adds `--expose` ports to `publish` itself).
    pub publish_all: bool,
    /// `--ip` and `--ip6` (need exactly one network).
    pub static_ips: Vec<String>,
    /// `--mac-address` (needs exactly one network).
    pub mac_address: String,
    /// `--network-alias`.
    pub aliases: Vec<String>,
    /// `--dns`.
    pub dns_servers: Vec<String>,
    /// `--dns-search`.
    pub dns_search: Vec<String>,
    /// `--dns-option`.
    pub dns_options: Vec<String>,
    /// `--add-host name:ip`.
    pub add_hosts: Vec<String>,
    /// `--no-hosts`.
    pub no_hosts: bool,
}

/// `--network` values in Podman's forms: a mode (`bridge`, `none`, `host`,
/// `private`, `container:ID`, `ns:PATH`), or network names, each
/// optionally with `:alias=A,ip=IP,mac=MAC,interface_name=NAME`; names may
/// also be comma-separated.
pub fn parse_network_flag(values: &[String]) -> Result<NetworkRequest> {
    let mut nets = BTreeMap::new();
    for v in values {
        let single = |r: NetworkRequest| -> Result<NetworkRequest> {
            if values.len() > 1 {
                return Err(Error::InvalidArg.context(format!(
                    "can only set extra network names, selected mode {v} conflicts with bridge"
                )));
            }
            Ok(r)
        };
        match v.as_str() {
            "none" => return single(NetworkRequest::None),
            "host" => return single(NetworkRequest::Host),
            "" => continue,
            _ => {}
        }
        if let Some(c) = v.strip_prefix("container:") {
            return single(NetworkRequest::Container(c.to_string()));
        }
        if let Some(p) = v.strip_prefix("ns:") {
            return single(NetworkRequest::Path(p.to_string()));
        }
        let (names, opts) = match v.split_once(':') {
            Some((n, o)) => (vec![n.to_string()], Some(o)),
            None => (v.split(',').map(String::from).collect(), None),
        };
        for name in names {
            let mut per = PerNetworkOptions::default();
            if let Some(o) = opts {
                for kv in o.split(',') {
                    let (k, val) = kv.split_once('=').ok_or_else(|| {
                        Error::InvalidArg
                            .context(format!("invalid option {kv:?} for network {name}"))
                    })?;
                    match k {
                        "alias" => per.aliases.push(val.into()),
                        "ip" | "ip6" => per.static_ips.push(val.into()),
                        "mac" => per.static_mac = val.into(),
                        "interface_name" => per.interface_name = val.into(),
                        _ => {
                            return Err(
                                Error::InvalidArg.context(format!("unknown network option {k:?}"))
                            );
                        }
                    }
                }
            }
            // `bridge` and `private` stand for the default network.
            let key = if matches!(name.as_str(), "bridge" | "private") {
                String::new()
            } else {
                name
            };
            nets.insert(key, per);
        }
    }
    if nets.is_empty() {
        return Ok(NetworkRequest::Default);
    }
    Ok(NetworkRequest::Networks(nets))
}

/// What `create` decided about the network.
#[derive(Debug, Clone, Default)]
pub(crate) struct ResolvedNetwork {
    /// The spec's view of it.
    pub(crate) spec_mode: super::spec::NetworkMode,
    /// `rpodNetMode`.
    pub(crate) net_mode: String,
    /// Networks to record in the State.
    pub(crate) networks: BTreeMap<String, PerNetworkOptions>,
    /// Container whose namespace is joined.
    pub(crate) net_ns_ctr: String,
}

impl Runtime {
    /// Resolves a container's network request against containers.conf and
    /// the networks that exist; chooses random host ports.
    pub(crate) fn resolve_network(&self, net: &mut ContainerNetworking) -> Result<ResolvedNetwork> {
        use super::spec::NetworkMode as M;
        let mut mode = net.mode.clone();
        if mode == NetworkRequest::Default {
            let netns = self.config()?.conf.containers.netns;
            mode = match netns.as_str() {
                "none" => NetworkRequest::None,
                "host" => NetworkRequest::Host,
                _ if self.network()?.is_some() => NetworkRequest::Networks(BTreeMap::new()),
                _ => NetworkRequest::Default,
            };
        }
        let single = |what: &str| {
            Error::InvalidArg.context(format!(
                "{what} can only be used with a single network namespace of its own"
            ))
        };
        let own_net = matches!(mode, NetworkRequest::Networks(_));
        if !own_net && !net.publish.is_empty() {
            tracing::warn!(
                "Port mappings have been discarded as one of the Host, Container, Pod, and None network modes are in use"
            );
            net.publish.clear();
        }
        let mut out = ResolvedNetwork::default();
        match mode {
            NetworkRequest::Default => {
                out.spec_mode = M::Private;
                out.net_mode = "private".into();
            }
            NetworkRequest::None => {
                out.spec_mode = M::None;
                out.net_mode = "none".into();
            }
            NetworkRequest::Host => {
                out.spec_mode = M::Host;
                out.net_mode = "host".into();
            }
            NetworkRequest::Container(c) => {
                let dep = self.lookup_container(&c)?;
                out.spec_mode = M::Private;
                out.net_mode = "container".into();
                out.net_ns_ctr = dep.id().to_string();
            }
            NetworkRequest::Path(p) => {
                if !Path::new(&p).exists() {
                    return Err(Error::InvalidArg
                        .context(format!("network namespace {p:?} does not exist")));
                }
                out.spec_mode = M::Private;
                out.net_mode = format!("ns:{p}");
            }
            NetworkRequest::Networks(mut nets) => {
                let backend = self.network_backend()?;
                if let Some(per) = nets.remove("") {
                    nets.entry(backend.default_network()).or_insert(per);
                }
                let mut resolved = BTreeMap::new();
                for (name, per) in nets {
                    resolved.insert(self.network_name(&name)?, per);
                }
                if !net.static_ips.is_empty() || !net.mac_address.is_empty() {
                    if resolved.len() != 1 {
                        return Err(single("--ip, --ip6 and --mac-address"));
                    }
                    if let Some(per) = resolved.values_mut().next() {
                        per.static_ips.extend(net.static_ips.iter().cloned());
                        if !net.mac_address.is_empty() {
                            per.static_mac.clone_from(&net.mac_address);
                        }
                    }
                }
                let mut used: Vec<String> = resolved
                    .values()
                    .map(|p| p.interface_name.clone())
                    .filter(|n| !n.is_empty())
                    .collect();
                for per in resolved.values_mut() {
                    per.aliases.extend(net.aliases.iter().cloned());
                    if per.interface_name.is_empty() {
                        per.interface_name = next_interface(&used);
                        used.push(per.interface_name.clone());
                    }
                }
                ports::assign_random_host_ports(&mut net.publish)?;
                out.spec_mode = M::Private;
                out.net_mode = "bridge".into();
                out.networks = resolved;
            }
        }
        Ok(out)
    }
}

/// The first `ethN` not in `used`.
pub(crate) fn next_interface(used: &[String]) -> String {
    (0..)
        .map(|i| format!("eth{i}"))
        .find(|n| !used.contains(n))
        .unwrap_or_default()
}

/// Applies what `create` decided to the container's configuration.
pub(crate) fn apply_to_config(
    cfg: &mut ContainerConfig,
    net: &ContainerNetworking,
    resolved: &ResolvedNetwork,
) {
    cfg.net_mode.clone_from(&resolved.net_mode);
    cfg.create_net_ns = resolved.net_mode == "bridge";
    cfg.port_mappings.clone_from(&net.publish);
    cfg.dns_server.clone_from(&net.dns_servers);
    cfg.dns_search.clone_from(&net.dns_search);
    cfg.dns_option.clone_from(&net.dns_options);
    cfg.hosts_add.clone_from(&net.add_hosts);
    cfg.use_image_hosts = net.no_hosts;
    if !resolved.net_ns_ctr.is_empty() {
        cfg.net_ns_ctr.clone_from(&resolved.net_ns_ctr);
    }
}

impl Container {
    /// The published ports.
    pub fn port_mappings(&self) -> &[PortMapping] {
        &self.rec.config.port_mappings
    }

    /// What each network gave the container at its last setup.
    pub fn network_status(&self) -> &BTreeMap<String, StatusBlock> {
        &self.rec.state.network_status
    }

    /// The networks the container is attached to, with its options.
    pub fn networks(&self) -> Result<BTreeMap<String, PerNetworkOptions>> {
        self.rt.state()?.networks(self.id())
    }

    /// The setup document for the container's namespace at `netns`.
    pub(crate) fn setup_options(&self, netns: PathBuf) -> Result<SetupOptions> {
        let mut networks = self.networks()?;
        let short: String = self.id().chars().take(12).collect();
        for per in networks.values_mut() {
            if !per.aliases.contains(&short) {
                per.aliases.push(short.clone());
            }
        }
        Ok(SetupOptions {
            container_id: self.id().to_string(),
            container_name: self.name().to_string(),
            netns_path: netns,
            networks,
            port_mappings: self.rec.config.port_mappings.clone(),
        })
    }

    /// Makes the container's namespace and attaches it (when the engine
    /// owns its network); returns the namespace path to put in the spec.
    /// On failure nothing is left behind.
    pub(crate) fn setup_network(&mut self) -> Result<Option<String>> {
        if !self.rec.config.create_net_ns {
            return self.joined_netns_path();
        }
        let rt = self.rt.clone();
        let backend = rt.network_backend()?;
        self.check_ports()?;
        if !self.rec.state.net_ns.is_empty() {
            // A namespace from an earlier run that cleanup did not get to.
            self.teardown_network()?;
        }
        let path = backend.create_netns(self.id())?;
        self.rec.state.net_ns = path.to_string_lossy().into_owned();
        self.save()?;
        let opts = self.setup_options(path.clone())?;
        match backend.setup(&opts) {
            Ok(status) => {
                self.rec.state.network_status = status;
                self.save()?;
                Ok(Some(self.rec.state.net_ns.clone()))
            }
            Err(e) => {
                if let Err(r) = backend.remove_netns(&path) {
                    tracing::warn!("removing network namespace {}: {r}", path.display());
                }
                self.rec.state.net_ns.clear();
                self.rec.state.network_status.clear();
                let _ = self.save();
                Err(e.context("setting up network"))
            }
        }
    }

    /// Fails, with the error binding the port would give, when a host
    /// port is in use: by a process on the host, or published by another
    /// container with a network set up (netavark forwards ports with
    /// firewall rules, so no socket shows those).
    fn check_ports(&self) -> Result<()> {
        let mine = &self.rec.config.port_mappings;
        if mine.is_empty() {
            return Ok(());
        }
        let in_use = |m: &PortMapping, port: u16| {
            ports::check_port_free(&m.host_ip, port, &m.protocol).and_then(|()| {
                Err(Error::Message(format!(
                    "cannot listen on the {} port: listen {}4 {}:{port}: bind: address already in use",
                    m.protocol.to_ascii_uppercase(),
                    m.protocol,
                    m.host_ip
                )))
            })
        };
        let others = self.rt.state()?.all_containers(true)?;
        for m in mine {
            for i in 0..m.range.max(1) {
                let port = m.host_port.saturating_add(i);
                ports::check_port_free(&m.host_ip, port, &m.protocol)?;
                for o in &others {
                    if o.config.id == self.id() || o.state.net_ns.is_empty() {
                        continue;
                    }
                    let clash = o.config.port_mappings.iter().any(|p| {
                        p.protocol == m.protocol
                            && (p.host_ip.is_empty()
                                || m.host_ip.is_empty()
                                || p.host_ip == m.host_ip)
                            && port >= p.host_port
                            && u32::from(port) < u32::from(p.host_port) + u32::from(p.range.max(1))
                    });
                    if clash {
                        return in_use(m, port);
                    }
                }
            }
        }
        Ok(())
    }

    /// The namespace path of a container whose network this one joins.
    fn joined_netns_path(&self) -> Result<Option<String>> {
        let cfg = &self.rec.config;
        if let Some(p) = cfg.net_mode.strip_prefix("ns:") {
            return Ok(Some(p.to_string()));
        }
        if cfg.net_ns_ctr.is_empty() {
            return Ok(None);
        }
        let dep = self.rt.lookup_container(&cfg.net_ns_ctr)?;
        let st = dep.state();
        if !st.net_ns.is_empty() {
            return Ok(Some(st.net_ns.clone()));
        }
        if st.pid > 0 {
            return Ok(Some(format!("/proc/{}/ns/net", st.pid)));
        }
        Err(Error::CtrStateInvalid.context(format!(
            "cannot join the network namespace of container {}: it is not running",
            dep.id()
        )))
    }

    /// Detaches and removes the container's namespace, keeping going past
    /// failures; clears the state's record of it (the caller saves).
    pub(crate) fn teardown_network(&mut self) -> Result<()> {
        if !self.rec.config.create_net_ns {
            return Ok(());
        }
        let backend = self.rt.network_backend()?;
        let path = if self.rec.state.net_ns.is_empty() {
            let leftover = backend.netns_path(self.id());
            // Nothing was set up (or teardown already ran): leases are only
            // taken once the namespace is recorded.
            if !leftover.exists() {
                return Ok(());
            }
            leftover
        } else {
            PathBuf::from(&self.rec.state.net_ns)
        };
        let mut errors = Vec::new();
        match self.setup_options(path.clone()) {
            Ok(opts) => {
                if let Err(e) = backend.teardown(&opts) {
                    errors.push(e.to_string());
                }
            }
            Err(e) => errors.push(e.to_string()),
        }
        if let Err(e) = backend.remove_netns(&path) {
            errors.push(e.to_string());
        }
        self.rec.state.net_ns.clear();
        self.rec.state.network_status.clear();
        if errors.is_empty() {
            Ok(())
        } else {
            Err(Error::Message(format!(
                "tearing down network of container {}: {}",
                self.id(),
                errors.join("; ")
            )))
        }
    }

    /// What the run files say about the network.
    pub(crate) fn network_files(&self) -> Result<super::spec::NetworkFiles> {
        let cfg = &self.rec.config;
        let status = if cfg.net_ns_ctr.is_empty() {
            self.rec.state.network_status.clone()
        } else {
            self.rt
                .lookup_container(&cfg.net_ns_ctr)
                .map(|d| d.state().network_status.clone())
                .unwrap_or_default()
        };
        let mut f = super::spec::NetworkFiles {
            user_dns: cfg.dns_server.clone(),
            user_search: cfg.dns_search.clone(),
            user_options: cfg.dns_option.clone(),
            add_hosts: cfg.hosts_add.clone(),
            no_hosts: cfg.use_image_hosts,
            ..Default::default()
        };
        let mut any_external = false;
        let nets = if cfg.create_net_ns {
            self.rt.network_backend()?.list()?
        } else {
            Vec::new()
        };
        for (name, block) in &status {
            let internal = nets.iter().any(|n| &n.name == name && n.internal);
            any_external |= !internal;
            for s in &block.dns_server_ips {
                if !f.network_dns.contains(s) {
                    f.network_dns.push(s.clone());
                }
            }
            for s in &block.dns_search_domains {
                if !f.network_search.contains(s) {
                    f.network_search.push(s.clone());
                }
            }
            for iface in block.interfaces.values() {
                for a in &iface.subnets {
                    let ip = a.ipnet.split('/').next().unwrap_or_default().to_string();
                    if !ip.is_empty() {
                        f.own_ips.push(ip);
                    }
                    if f.host_gateway.is_empty() && !internal && !a.gateway.is_empty() {
                        f.host_gateway.clone_from(&a.gateway);
                    }
                }
            }
        }
        f.no_host_resolvers = !status.is_empty() && !any_external;
        Ok(f)
    }
}

/// Podman's `Ports`/`PortBindings`: `"80/tcp": [{"HostIp", "HostPort"}]`,
/// one key per port of a range.
pub(crate) fn inspect_ports(maps: &[PortMapping]) -> BTreeMap<String, serde_json::Value> {
    let mut out: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    for m in maps {
        for i in 0..m.range.max(1) {
            out.entry(format!(
                "{}/{}",
                m.container_port.saturating_add(i),
                m.protocol
            ))
            .or_default()
            .push(serde_json::json!({
                "HostIp": m.host_ip,
                "HostPort": m.host_port.saturating_add(i).to_string(),
            }));
        }
    }
    out.into_iter()
        .map(|(k, v)| (k, serde_json::Value::Array(v)))
        .collect()
}

/// Addresses, gateway and MAC of one network's status (Podman's
/// `InspectBasicNetworkConfig`, first address of each family).
fn basic_config(block: &StatusBlock) -> serde_json::Map<String, serde_json::Value> {
    let mut v4: Option<(String, u32, String)> = None;
    let mut v6: Option<(String, u32, String)> = None;
    let mut mac = String::new();
    for iface in block.interfaces.values() {
        for a in &iface.subnets {
            let (ip, len) = a.ipnet.split_once('/').unwrap_or((a.ipnet.as_str(), "0"));
            let entry = (ip.to_string(), len.parse().unwrap_or(0), a.gateway.clone());
            let slot = if ip.contains(':') { &mut v6 } else { &mut v4 };
            slot.get_or_insert(entry);
        }
        if mac.is_empty() {
            mac.clone_from(&iface.mac_address);
        }
    }
    let (ip, len, gw) = v4.unwrap_or_default();
    let (ip6, len6, gw6) = v6.unwrap_or_default();
    let mut m = serde_json::Map::new();
    m.insert("EndpointID".into(), "".into());
    m.insert("Gateway".into(), gw.into());
    m.insert("IPAddress".into(), ip.into());
    m.insert("IPPrefixLen".into(), len.into());
    m.insert("IPv6Gateway".into(), gw6.into());
    m.insert("GlobalIPv6Address".into(), ip6.into());
    m.insert("GlobalIPv6PrefixLen".into(), len6.into());
    m.insert("MacAddress".into(), mac.into());
    m
}

/// The `NetworkSettings` of inspect, as Podman fills them: the ports, the
/// namespace path, per-network details, and the top-level address fields
/// when the container is on the default network only.
pub(crate) fn inspect_settings(
    rec: &super::ContainerRecord,
    ctx: &super::InspectContext,
) -> super::InspectNetworkSettings {
    let (net_ns, status) = match &ctx.joined_network {
        Some((ns, st)) => (ns, st),
        None => (&rec.state.net_ns, &rec.state.network_status),
    };
    let mut s = super::InspectNetworkSettings {
        ports: inspect_ports(&rec.config.port_mappings),
        sandbox_key: net_ns.clone(),
        ..Default::default()
    };
    for (name, opts) in &ctx.networks {
        let mut m = status.get(name).map(basic_config).unwrap_or_default();
        m.insert("NetworkID".into(), name.clone().into());
        m.insert("Aliases".into(), serde_json::json!(opts.aliases));
        s.networks
            .insert(name.clone(), serde_json::Value::Object(m));
    }
    if ctx.networks.len() == 1
        && ctx.networks.contains_key(&ctx.default_network)
        && let Some(block) = status.get(&ctx.default_network)
    {
        let b = basic_config(block);
        let text = |k: &str| {
            b.get(k)
                .and_then(|v| v.as_str())
                .unwrap_or_default()
                .to_string()
        };
        let num = |k: &str| b.get(k).and_then(|v| v.as_u64()).unwrap_or(0) as u32;
        s.gateway = text("Gateway");
        s.ip_address = text("IPAddress");
        s.ip_prefix_len = num("IPPrefixLen");
        s.ipv6_gateway = text("IPv6Gateway");
        s.global_ipv6_address = text("GlobalIPv6Address");
        s.global_ipv6_prefix_len = num("GlobalIPv6PrefixLen");
        s.mac_address = text("MacAddress");
    }
    s
}

/// Podman's `--add-host` check: `name:ip` with a valid address.
pub fn parse_add_host(entry: &str) -> Result<(String, String)> {
    let (name, ip) = entry
        .split_once(':')
        .ok_or_else(|| Error::InvalidArg.context(format!("invalid add-host {entry:?}")))?;
    if name.is_empty() || ip.parse::<std::net::IpAddr>().is_err() {
        return Err(Error::InvalidArg.context(format!("invalid IP address in add-host: {ip:?}")));
    }
    Ok((name.to_string(), ip.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn parses_network_flags() {
        assert_eq!(parse_network_flag(&[]).unwrap(), NetworkRequest::Default);
        assert_eq!(
            parse_network_flag(&v(&["none"])).unwrap(),
            NetworkRequest::None
        );
        assert_eq!(
            parse_network_flag(&v(&["container:abc"])).unwrap(),
            NetworkRequest::Container("abc".into())
        );
        let NetworkRequest::Networks(n) = parse_network_flag(&v(&["a,b"])).unwrap() else {
            panic!()
        };
        assert_eq!(n.keys().collect::<Vec<_>>(), ["a", "b"]);
        let NetworkRequest::Networks(n) =
            parse_network_flag(&v(&["a:ip=10.0.0.5,alias=web", "bridge"])).unwrap()
        else {
            panic!()
        };
        assert_eq!(n["a"].static_ips, ["10.0.0.5"]);
        assert_eq!(n["a"].aliases, ["web"]);
        assert!(n.contains_key(""));
        assert!(parse_network_flag(&v(&["none", "a"])).is_err());
        assert!(parse_network_flag(&v(&["a:bogus=1"])).is_err());
    }

    #[test]
    fn add_host_needs_an_address() {
        assert_eq!(
            parse_add_host("db:10.0.0.2").unwrap(),
            ("db".to_string(), "10.0.0.2".to_string())
        );
        assert!(parse_add_host("db").is_err());
        assert!(parse_add_host("db:nope").is_err());
    }
}
