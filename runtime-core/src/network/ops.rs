//! The engine's network verbs (`network create`, `ls`, `inspect`, `rm`,
//! `prune`, `exists`): what concerns containers is decided here, the
//! definitions themselves are the backend's.

use std::collections::BTreeMap;

use super::{LeaseRange, Network, NetworkBackend, Subnet, no_such_network};
use crate::container::{Container, RemoveOptions};
use crate::error::{Error, Result};
use crate::runtime::Runtime;

/// What `network create` asks for (Podman's flags, before defaults).
#[derive(Debug, Clone, Default)]
pub struct NetworkCreateRequest {
    /// Name (empty: the next free `podmanN`).
    pub name: String,
    /// Driver (empty: `bridge`).
    pub driver: String,
    /// `--subnet`, in order.
    pub subnets: Vec<String>,
    /// `--gateway`, paired with the subnets by position.
    pub gateways: Vec<String>,
    /// `--ip-range`, paired with the subnets by position.
    pub ip_ranges: Vec<String>,
    /// `--internal`.
    pub internal: bool,
    /// `--disable-dns`.
    pub disable_dns: bool,
    /// `--ipv6`.
    pub ipv6: bool,
    /// `--label`.
    pub labels: BTreeMap<String, String>,
    /// `--opt`.
    pub options: BTreeMap<String, String>,
    /// `--interface-name`.
    pub interface_name: String,
    /// `--ignore`: an existing network of that name is returned as it is.
    pub ignore_existing: bool,
}

/// `network ls --filter`: every given key must match (values of one key
/// are alternatives).
#[derive(Debug, Clone, Default)]
pub struct NetworkListFilter {
    /// `key=value` filters, as typed.
    pub filters: Vec<String>,
}

/// What `network rm` did for one network.
#[derive(Debug, Clone, Default)]
pub struct NetworkRemoveReport {
    /// The network's name.
    pub name: String,
    /// Containers removed with it (`-f`).
    pub removed_containers: Vec<String>,
}

/// `start-end` of an `--ip-range` given as a CIDR (`10.89.0.128/25`).
fn lease_range(range: &str) -> Result<LeaseRange> {
    let (addr, bits) = range
        .split_once('/')
        .ok_or_else(|| Error::InvalidArg.context(format!("invalid ip range {range:?}")))?;
    let ip: std::net::Ipv4Addr = addr
        .parse()
        .map_err(|_| Error::InvalidArg.context(format!("invalid ip range {range:?}")))?;
    let bits: u32 = bits
        .parse()
        .ok()
        .filter(|b| *b <= 32)
        .ok_or_else(|| Error::InvalidArg.context(format!("invalid ip range {range:?}")))?;
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    let start = u32::from(ip) & mask;
    let end = start | !mask;
    // Network and broadcast addresses are never handed out.
    let (start, end) = if bits < 31 {
        (start + 1, end - 1)
    } else {
        (start, end)
    };
    Ok(LeaseRange {
        start_ip: std::net::Ipv4Addr::from(start).to_string(),
        end_ip: std::net::Ipv4Addr::from(end).to_string(),
    })
}

impl NetworkCreateRequest {
    /// The network definition this asks for, before the backend's defaults.
    fn to_network(&self) -> Result<Network> {
        if !self.gateways.is_empty() && self.gateways.len() > self.subnets.len() {
            return Err(
                Error::InvalidArg.context("cannot set more gateways than subnets".to_string())
            );
        }
        if self.ip_ranges.len() > self.subnets.len() {
            return Err(
                Error::InvalidArg.context("cannot set more ranges than subnets".to_string())
            );
        }
        let mut subnets = Vec::new();
        for (i, s) in self.subnets.iter().enumerate() {
            let lease = self.ip_ranges.get(i).map(|r| lease_range(r)).transpose()?;
            subnets.push(Subnet {
                subnet: s.clone(),
                gateway: self.gateways.get(i).cloned().unwrap_or_default(),
                lease_range: lease,
            });
        }
        let mut ipam = BTreeMap::new();
        if let Some(d) = self.options.get("ipam-driver") {
            ipam.insert("driver".to_string(), d.clone());
        }
        Ok(Network {
            name: self.name.clone(),
            driver: if self.driver.is_empty() {
                "bridge".into()
            } else {
                self.driver.clone()
            },
            network_interface: self.interface_name.clone(),
            subnets,
            ipv6_enabled: self.ipv6,
            internal: self.internal,
            dns_enabled: !self.disable_dns,
            labels: self.labels.clone(),
            options: self
                .options
                .iter()
                .filter(|(k, _)| k.as_str() != "ipam-driver")
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            ipam_options: ipam,
            ..Default::default()
        })
    }
}

fn matches_filter(
    net: &Network,
    key: &str,
    values: &[&str],
    used: &dyn Fn(&str) -> bool,
) -> Result<bool> {
    Ok(match key {
        "name" => values.iter().any(|v| net.name.contains(v)),
        "id" => values.iter().any(|v| net.id.starts_with(v)),
        "driver" => values.iter().any(|v| net.driver == *v),
        "label" => values.iter().all(|v| match v.split_once('=') {
            Some((k, val)) => net.labels.get(k).is_some_and(|x| x == val),
            None => net.labels.contains_key(*v),
        }),
        "label!" => !values.iter().any(|v| match v.split_once('=') {
            Some((k, val)) => net.labels.get(k).is_some_and(|x| x == val),
            None => net.labels.contains_key(*v),
        }),
        "dangling" => {
            let want = match values.first().copied() {
                Some("true") | Some("1") => true,
                Some("false") | Some("0") => false,
                _ => {
                    return Err(Error::InvalidArg
                        .context(format!("invalid dangling filter value {values:?}")));
                }
            };
            used(&net.name) != want
        }
        _ => {
            return Err(Error::InvalidArg.context(format!("invalid filter {key:?}")));
        }
    })
}

impl Runtime {
    /// The network backend, or the error naming the cargo feature that
    /// provides it.
    pub fn network_backend(&self) -> Result<&dyn NetworkBackend> {
        self.network()?.ok_or(Error::BackendNotCompiled {
            kind: "network",
            name: "netavark".into(),
            feature: "network-netavark",
        })
    }

    /// `network create`.
    pub fn network_create(&self, req: &NetworkCreateRequest) -> Result<Network> {
        let net = self.network_backend()?;
        if req.ignore_existing
            && !req.name.is_empty()
            && let Ok(existing) = net.inspect(&req.name)
            && existing.name == req.name
        {
            return Ok(existing);
        }
        net.create(&req.to_network()?)
    }

    /// `network ls`: every network the filters select, sorted by name.
    pub fn network_list(&self, filter: &NetworkListFilter) -> Result<Vec<Network>> {
        let nets = self.network_backend()?.list()?;
        let mut by_key: BTreeMap<String, Vec<&str>> = BTreeMap::new();
        for f in &filter.filters {
            let (k, v) = f
                .split_once('=')
                .ok_or_else(|| Error::InvalidArg.context(format!("invalid filter {f:?}")))?;
            by_key.entry(k.to_string()).or_default().push(v);
        }
        let users = if by_key.contains_key("dangling") {
            self.network_users()?
        } else {
            BTreeMap::new()
        };
        let used = |name: &str| users.get(name).is_some_and(|u| !u.is_empty());
        let mut out = Vec::new();
        for n in nets {
            let mut keep = true;
            for (k, vs) in &by_key {
                if !matches_filter(&n, k, vs, &used)? {
                    keep = false;
                    break;
                }
            }
            if keep {
                out.push(n);
            }
        }
        Ok(out)
    }

    /// `network inspect` of one network.
    pub fn network_inspect(&self, name_or_id: &str) -> Result<Network> {
        self.network_backend()?.inspect(name_or_id)
    }

    /// `network exists`.
    pub fn network_exists(&self, name_or_id: &str) -> Result<bool> {
        match self.network_backend()?.inspect(name_or_id) {
            Ok(_) => Ok(true),
            Err(e) if e.is(&Error::NoSuchNetwork) => Ok(false),
            Err(e) => Err(e),
        }
    }

    /// Network name → IDs of the containers connected to it.
    pub fn network_users(&self) -> Result<BTreeMap<String, Vec<String>>> {
        let state = self.state()?;
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for rec in state.all_containers(false)? {
            for name in state.networks(&rec.config.id)?.into_keys() {
                out.entry(name).or_default().push(rec.config.id.clone());
            }
        }
        Ok(out)
    }

    /// `network rm`: refuses a network containers use unless `force`, which
    /// removes those containers first (stopping them, waiting `timeout`).
    /// The default network cannot be removed.
    pub fn network_remove(
        &self,
        name_or_id: &str,
        force: bool,
        timeout: Option<u32>,
    ) -> Result<NetworkRemoveReport> {
        let backend = self.network_backend()?;
        let net = backend.inspect(name_or_id)?;
        if net.name == backend.default_network() {
            return Err(Error::InvalidArg
                .context(format!("default network {} cannot be removed", net.name)));
        }
        let users = self.network_users()?.remove(&net.name).unwrap_or_default();
        let mut report = NetworkRemoveReport {
            name: net.name.clone(),
            removed_containers: Vec::new(),
        };
        if !users.is_empty() {
            if !force {
                return Err(Error::NetworkInUse.context(format!(
                    "{:?} has associated containers with it. Use -f to forcibly delete containers and pods",
                    net.name
                )));
            }
            let mut ctrs = Vec::new();
            for id in &users {
                match self.lookup_container(id) {
                    Ok(c) => ctrs.push(c),
                    Err(e) if e.is(&Error::NoSuchCtr) => {}
                    Err(e) => return Err(e),
                }
            }
            let opts = RemoveOptions {
                force: true,
                volumes: false,
                timeout,
            };
            let ids: Vec<String> = ctrs.iter().map(|c| c.id().to_string()).collect();
            for (id, r) in ids.into_iter().zip(Container::remove_many(&mut ctrs, opts)) {
                r?;
                report.removed_containers.push(id);
            }
        }
        backend.remove(&net.name)?;
        Ok(report)
    }

    /// `network prune`: removes every network no container uses, except the
    /// default one, and returns their names. `filters` as for `ls`.
    pub fn network_prune(&self, filter: &NetworkListFilter) -> Result<Vec<String>> {
        let backend = self.network_backend()?;
        let default = backend.default_network();
        let users = self.network_users()?;
        let mut removed = Vec::new();
        for n in self.network_list(filter)? {
            if n.name == default || users.get(&n.name).is_some_and(|u| !u.is_empty()) {
                continue;
            }
            backend.remove(&n.name)?;
            removed.push(n.name);
        }
        Ok(removed)
    }

    /// Resolves a network name or ID to its name (`NoSuchNetwork` with
    /// Podman's text when none matches).
    pub fn network_name(&self, name_or_id: &str) -> Result<String> {
        match self.network_backend()?.inspect(name_or_id) {
            Ok(n) => Ok(n.name),
            Err(e) if e.is(&Error::NoSuchNetwork) => Err(no_such_network(name_or_id)),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_range_becomes_a_lease_range() {
        let r = lease_range("10.201.0.128/25").unwrap();
        assert_eq!(
            (r.start_ip.as_str(), r.end_ip.as_str()),
            ("10.201.0.129", "10.201.0.254")
        );
        assert!(lease_range("nonsense").is_err());
    }

    #[test]
    fn request_pairs_gateways_with_subnets() {
        let req = NetworkCreateRequest {
            name: "n".into(),
            subnets: vec!["10.201.1.0/24".into()],
            gateways: vec!["10.201.1.254".into()],
            disable_dns: true,
            ..Default::default()
        };
        let n = req.to_network().unwrap();
        assert_eq!(n.driver, "bridge");
        assert_eq!(n.subnets[0].gateway, "10.201.1.254");
        assert!(!n.dns_enabled);
        let bad = NetworkCreateRequest {
            gateways: vec!["10.0.0.1".into()],
            ..Default::default()
        };
        assert!(bad.to_network().is_err());
    }
}
