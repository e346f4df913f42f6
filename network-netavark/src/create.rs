//! `network create`: validating a requested definition and filling in what
//! Podman fills in (name, ID, bridge name, a free subnet, gateways).

use std::collections::BTreeMap;
use std::net::IpAddr;

use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use rpod_runtime_core::network::{Network, Subnet, network_exists, valid_name};
use rpod_runtime_core::{Error, Result};

/// Bridge options netavark knows.
const BRIDGE_OPTIONS: [&str; 4] = ["mtu", "vlan", "isolate", "metric"];
/// macvlan/ipvlan options netavark knows.
const VLAN_OPTIONS: [&str; 3] = ["mtu", "mode", "metric"];

/// What is already in use: other networks' subnets and bridges, and the
/// host's interfaces and addresses.
#[derive(Debug, Default, Clone)]
pub(crate) struct InUse {
    pub(crate) subnets: Vec<IpNet>,
    pub(crate) interfaces: Vec<String>,
}

impl InUse {
    /// Collects what `nets` and the host use.
    pub(crate) fn collect(nets: &BTreeMap<String, Network>) -> InUse {
        let mut u = InUse::default();
        for n in nets.values() {
            u.interfaces.push(n.network_interface.clone());
            for s in &n.subnets {
                if let Ok(net) = s.subnet.parse::<IpNet>() {
                    u.subnets.push(net);
                }
            }
        }
        if let Ok(addrs) = nix::ifaddrs::getifaddrs() {
            for a in addrs {
                if !u.interfaces.contains(&a.interface_name) {
                    u.interfaces.push(a.interface_name.clone());
                }
                let (Some(addr), Some(mask)) = (a.address, a.netmask) else {
                    continue;
                };
                let host = match (addr.as_sockaddr_in(), mask.as_sockaddr_in()) {
                    (Some(a), Some(m)) => Ipv4Net::with_netmask(a.ip(), m.ip()).ok().map(IpNet::V4),
                    _ => match (addr.as_sockaddr_in6(), mask.as_sockaddr_in6()) {
                        (Some(a), Some(m)) => {
                            Ipv6Net::with_netmask(a.ip(), m.ip()).ok().map(IpNet::V6)
                        }
                        _ => None,
                    },
                };
                // Loopback and link-local ranges never clash with a bridge.
                if let Some(h) = host
                    && !h.addr().is_loopback()
                    && !matches!(h, IpNet::V6(v) if v.addr().segments()[0] & 0xffc0 == 0xfe80)
                {
                    u.subnets.push(h.trunc());
                }
            }
        }
        u
    }

    fn overlaps(&self, net: &IpNet) -> bool {
        self.subnets
            .iter()
            .any(|s| s.contains(&net.network()) || net.contains(&s.network()))
    }
}

/// The first usable address of a subnet (the default gateway).
pub(crate) fn first_host(net: &IpNet) -> Option<IpAddr> {
    net.hosts().next()
}

fn invalid(msg: String) -> Error {
    Error::InvalidArg.context(msg)
}

/// The next `podmanN` name (N from `first`) that `taken` does not hold.
fn next_podman_name(first: u32, taken: &dyn Fn(&str) -> bool) -> Result<String> {
    (first..100_000)
        .map(|i| format!("podman{i}"))
        .find(|n| !taken(n))
        .ok_or_else(|| Error::Message("could not find a free network name".into()))
}

/// A free /24 from Podman's default pools (10.89.0.0/16 upwards).
fn free_ipv4_subnet(used: &InUse) -> Result<IpNet> {
    for second in 89u8..=255 {
        for third in 0u8..=255 {
            let net = IpNet::V4(
                Ipv4Net::new(std::net::Ipv4Addr::new(10, second, third, 0), 24)
                    .map_err(|e| Error::Message(e.to_string()))?,
            );
            if !used.overlaps(&net) {
                return Ok(net);
            }
        }
    }
    Err(Error::Message(
        "could not find free subnet from subnet pools".into(),
    ))
}

/// A random unique-local /64 (`fdXX:XXXX:XXXX:XXXX::/64`).
fn free_ipv6_subnet(used: &InUse) -> Result<IpNet> {
    for _ in 0..100 {
        let mut b = [0u8; 7];
        rpod_runtime_core::names::random_bytes(&mut b)?;
        let seg = |hi: u8, lo: u8| u16::from(hi) << 8 | u16::from(lo);
        let addr = std::net::Ipv6Addr::new(
            seg(0xfd, b[0]),
            seg(b[1], b[2]),
            seg(b[3], b[4]),
            seg(b[5], b[6]),
            0,
            0,
            0,
            0,
        );
        let net = IpNet::V6(Ipv6Net::new(addr, 64).map_err(|e| Error::Message(e.to_string()))?);
        if !used.overlaps(&net) {
            return Ok(net);
        }
    }
    Err(Error::Message("could not find free ipv6 subnet".into()))
}

/// Validates one subnet and completes its gateway.
fn complete_subnet(s: &mut Subnet, add_gateway: bool, used: &InUse) -> Result<IpNet> {
    let net: IpNet = s
        .subnet
        .parse()
        .map_err(|_| invalid(format!("invalid subnet {:?}", s.subnet)))?;
    if net.addr() != net.network() {
        return Err(invalid(format!(
            "invalid subnet {:?}: the address must be the network's address ({})",
            s.subnet,
            net.trunc()
        )));
    }
    if used.overlaps(&net) {
        return Err(Error::Message(format!(
            "subnet {net} is already used on the host or by another config"
        )));
    }
    s.subnet = net.to_string();
    if s.gateway.is_empty() {
        if add_gateway {
            s.gateway = first_host(&net)
                .map(|g| g.to_string())
                .ok_or_else(|| invalid(format!("subnet {net} has no room for a gateway")))?;
        }
    } else {
        let gw: IpAddr = s
            .gateway
            .parse()
            .map_err(|_| invalid(format!("invalid gateway {:?}", s.gateway)))?;
        if !net.contains(&gw) {
            return Err(Error::Message(format!(
                "gateway ip {gw} not in subnet {net}"
            )));
        }
    }
    if let Some(r) = &s.lease_range {
        for ip in [&r.start_ip, &r.end_ip] {
            let ok = ip.parse::<IpAddr>().is_ok_and(|a| net.contains(&a));
            if !ok {
                return Err(invalid(format!("lease range ip {ip} not in subnet {net}")));
            }
        }
    }
    Ok(net)
}

/// The definition `req` asks for, validated against `nets` and the host,
/// with every default filled in.
pub(crate) fn complete(
    req: &Network,
    nets: &BTreeMap<String, Network>,
    used: &InUse,
) -> Result<Network> {
    let mut net = req.clone();
    if net.name.is_empty() {
        net.name = next_podman_name(1, &|n| nets.contains_key(n))?;
    }
    if !valid_name(&net.name) {
        return Err(invalid(format!(
            "network name {} invalid: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*",
            net.name
        )));
    }
    if nets.contains_key(&net.name) {
        return Err(network_exists(&net.name));
    }
    if net.driver.is_empty() {
        net.driver = "bridge".into();
    }
    let known: &[&str] = match net.driver.as_str() {
        "bridge" => &BRIDGE_OPTIONS,
        "macvlan" | "ipvlan" => &VLAN_OPTIONS,
        other => {
            return Err(invalid(format!("unsupported driver {other}")));
        }
    };
    for (k, v) in &net.options {
        if !known.contains(&k.as_str()) {
            return Err(invalid(format!(
                "unsupported {} network option {k}",
                net.driver
            )));
        }
        if k == "mtu" && v.parse::<u32>().is_err() {
            return Err(invalid(format!("invalid mtu {v:?}")));
        }
    }
    if net.driver == "bridge" {
        if net.network_interface.is_empty() {
            net.network_interface =
                next_podman_name(0, &|n| used.interfaces.iter().any(|i| i == n))?;
        } else if nets
            .values()
            .any(|n| n.network_interface == net.network_interface)
        {
            return Err(invalid(format!(
                "bridge name {} already in use",
                net.network_interface
            )));
        }
    } else if !net.network_interface.is_empty() && !used.interfaces.contains(&net.network_interface)
    {
        return Err(invalid(format!(
            "parent interface {} does not exist",
            net.network_interface
        )));
    }
    let add_gateway = !net.internal || net.dns_enabled;
    let mut parsed = Vec::new();
    for s in &mut net.subnets {
        parsed.push(complete_subnet(s, add_gateway, used)?);
    }
    for (i, a) in parsed.iter().enumerate() {
        if parsed[i + 1..]
            .iter()
            .any(|b| a.contains(&b.network()) || b.contains(&a.network()))
        {
            return Err(invalid(format!("subnet {a} is given more than once")));
        }
    }
    if parsed.iter().any(|p| matches!(p, IpNet::V6(_))) {
        net.ipv6_enabled = true;
    }
    if net.driver == "bridge" {
        if !parsed.iter().any(|p| matches!(p, IpNet::V4(_))) {
            let v4 = free_ipv4_subnet(used)?;
            let mut s = Subnet {
                subnet: v4.to_string(),
                ..Default::default()
            };
            complete_subnet(&mut s, add_gateway, used)?;
            net.subnets.push(s);
        }
        if net.ipv6_enabled && !parsed.iter().any(|p| matches!(p, IpNet::V6(_))) {
            let v6 = free_ipv6_subnet(used)?;
            let mut s = Subnet {
                subnet: v6.to_string(),
                ..Default::default()
            };
            complete_subnet(&mut s, add_gateway, used)?;
            net.subnets.push(s);
        }
    }
    net.id = rpod_runtime_core::names::generate_id()?;
    net.created = chrono::Utc::now();
    net.ipam_options
        .entry("driver".into())
        .or_insert_with(|| "host-local".into());
    Ok(net)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(name: &str, subnet: &str) -> Network {
        Network {
            name: name.into(),
            driver: "bridge".into(),
            dns_enabled: true,
            subnets: if subnet.is_empty() {
                vec![]
            } else {
                vec![Subnet {
                    subnet: subnet.into(),
                    ..Default::default()
                }]
            },
            ..Default::default()
        }
    }

    #[test]
    fn fills_podmans_defaults() {
        let used = InUse {
            subnets: vec!["10.89.0.0/24".parse().unwrap()],
            interfaces: vec!["podman0".into(), "podman1".into()],
        };
        let n = complete(&req("", ""), &BTreeMap::new(), &used).unwrap();
        assert_eq!(n.name, "podman1");
        assert_eq!(n.network_interface, "podman2");
        assert_eq!(n.subnets[0].subnet, "10.89.1.0/24");
        assert_eq!(n.subnets[0].gateway, "10.89.1.1");
        assert_eq!(n.id.len(), 64);
        assert_eq!(n.ipam_options["driver"], "host-local");
    }

    #[test]
    fn rejects_bad_input() {
        let used = InUse {
            subnets: vec!["10.201.0.0/16".parse().unwrap()],
            interfaces: vec![],
        };
        let none = BTreeMap::new();
        let e = complete(&req("a", "10.201.3.0/24"), &none, &used).unwrap_err();
        assert!(e.to_string().contains("already used"), "{e}");
        for bad in ["10.1.2.3/24", "nonsense", "10.1.0.0/33"] {
            assert!(complete(&req("a", bad), &none, &used).is_err(), "{bad}");
        }
        assert!(complete(&req("a/b", ""), &none, &used).is_err());
        let mut gw = req("a", "10.5.0.0/24");
        gw.subnets[0].gateway = "10.6.0.1".into();
        assert!(complete(&gw, &none, &used).is_err());
        let mut drv = req("a", "");
        drv.driver = "weird".into();
        assert!(complete(&drv, &none, &used).is_err());
        let exists = BTreeMap::from([("a".to_string(), req("a", ""))]);
        let e = complete(&req("a", ""), &exists, &used).unwrap_err();
        assert!(e.is(&Error::NetworkExists), "{e}");
    }

    #[test]
    fn internal_without_dns_has_no_gateway() {
        let mut r = req("i", "10.7.0.0/24");
        r.internal = true;
        r.dns_enabled = false;
        let n = complete(&r, &BTreeMap::new(), &InUse::default()).unwrap();
        assert_eq!(n.subnets[0].gateway, "");
    }
}
