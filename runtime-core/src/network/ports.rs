//! Published ports: parsing `-p`/`--publish` in Podman's forms, picking
//! random host ports, and checking that a host port is free.
//!
//! Forms: `[[hostip:][hostport[-end]]:]ctrport[-end][/proto[,proto]]`,
//! with `[v6addr]` for an IPv6 host address. A missing host port is a
//! random free one, chosen when the container is created.

use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, UdpSocket};

use super::PortMapping;
use crate::error::{Error, Result};

fn invalid(spec: &str, why: &str) -> Error {
    Error::InvalidArg.context(format!("invalid port format {spec:?}: {why}"))
}

/// A port or `start-end` range: (first, count).
fn parse_range(spec: &str, s: &str) -> Result<(u16, u16)> {
    let num = |p: &str| -> Result<u16> {
        p.parse::<u16>()
            .map_err(|_| invalid(spec, &format!("{p:?} is not a valid port number")))
    };
    match s.split_once('-') {
        Some((a, b)) => {
            let (a, b) = (num(a)?, num(b)?);
            if b < a {
                return Err(invalid(
                    spec,
                    "the end of a range must not be below its start",
                ));
            }
            Ok((a, b - a + 1))
        }
        None => Ok((num(s)?, 1)),
    }
}

/// Parses one `-p` value into one mapping per protocol. A host port of 0
/// means "pick one" ([`assign_random_host_ports`]).
pub fn parse_publish(spec: &str) -> Result<Vec<PortMapping>> {
    let (addr, protos) = match spec.rsplit_once('/') {
        Some((a, p)) => (a, p),
        None => (spec, "tcp"),
    };
    let mut protocols = Vec::new();
    for p in protos.split(',') {
        let p = p.to_ascii_lowercase();
        if !matches!(p.as_str(), "tcp" | "udp" | "sctp") {
            return Err(invalid(spec, &format!("unknown protocol {p:?}")));
        }
        if !protocols.contains(&p) {
            protocols.push(p);
        }
    }
    // An IPv6 host address is written in brackets.
    let (host_ip, rest) = if let Some(r) = addr.strip_prefix('[') {
        let (ip, rest) = r
            .split_once(']')
            .ok_or_else(|| invalid(spec, "unterminated IPv6 address"))?;
        let rest = rest
            .strip_prefix(':')
            .ok_or_else(|| invalid(spec, "expected ':' after the host address"))?;
        (Some(ip.to_string()), rest.to_string())
    } else {
        let parts: Vec<&str> = addr.split(':').collect();
        match parts.len() {
            1 | 2 => (None, addr.to_string()),
            3 => (
                Some(parts[0].to_string()),
                format!("{}:{}", parts[1], parts[2]),
            ),
            _ => return Err(invalid(spec, "too many colons")),
        }
    };
    let host_ip = host_ip.unwrap_or_default();
    if !host_ip.is_empty() && host_ip.parse::<IpAddr>().is_err() {
        return Err(invalid(spec, &format!("{host_ip:?} is not an IP address")));
    }
    let (host, ctr) = match rest.split_once(':') {
        Some((h, c)) => (h, c),
        None => ("", rest.as_str()),
    };
    if ctr.is_empty() {
        return Err(invalid(spec, "no container port"));
    }
    let (container_port, count) = parse_range(spec, ctr)?;
    if container_port == 0 {
        return Err(invalid(spec, "container port 0 is not allowed"));
    }
    let host_port = if host.is_empty() {
        0
    } else {
        let (h, hcount) = parse_range(spec, host)?;
        if hcount != count && h != 0 {
            return Err(invalid(
                spec,
                "host and container port ranges must be the same length",
            ));
        }
        h
    };
    Ok(protocols
        .into_iter()
        .map(|protocol| PortMapping {
            host_ip: host_ip.clone(),
            container_port,
            host_port,
            range: count,
            protocol,
        })
        .collect())
}

/// Gives every mapping without a host port free host ports: one port, or
/// a run of `range` free consecutive ones, taken from the kernel's
/// ephemeral choice.
pub fn assign_random_host_ports(maps: &mut [PortMapping]) -> Result<()> {
    for m in maps.iter_mut().filter(|m| m.host_port == 0) {
        let mut chosen = None;
        for _ in 0..100 {
            let first = random_port(&m.host_ip, &m.protocol)?;
            let Some(last) = first.checked_add(m.range.saturating_sub(1)) else {
                continue;
            };
            if (first..=last).all(|p| port_free(&m.host_ip, p, &m.protocol)) {
                chosen = Some(first);
                break;
            }
        }
        m.host_port = chosen.ok_or_else(|| {
            Error::Message(format!(
                "failed to find {} free consecutive host ports",
                m.range
            ))
        })?;
    }
    Ok(())
}

fn bind_addr(host_ip: &str, port: u16) -> SocketAddr {
    let ip = host_ip
        .parse::<IpAddr>()
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
    SocketAddr::new(ip, port)
}

fn random_port(host_ip: &str, protocol: &str) -> Result<u16> {
    let addr = bind_addr(host_ip, 0);
    let port = if protocol == "udp" {
        UdpSocket::bind(addr).and_then(|s| s.local_addr())
    } else {
        TcpListener::bind(addr).and_then(|s| s.local_addr())
    }
    .map_err(|e| Error::Message(format!("failed to find a free host port: {e}")))?
    .port();
    Ok(port)
}

fn port_free(host_ip: &str, port: u16, protocol: &str) -> bool {
    check_port_free(host_ip, port, protocol).is_ok()
}

/// Fails, in Podman's words, when `port` cannot be bound on `host_ip` for
/// `protocol` (some process already listens there). SCTP is not checked.
pub fn check_port_free(host_ip: &str, port: u16, protocol: &str) -> Result<()> {
    let addr = bind_addr(host_ip, port);
    let shown = if host_ip.is_empty() {
        format!(":{port}")
    } else {
        addr.to_string()
    };
    let res = match protocol {
        "udp" => UdpSocket::bind(addr).map(drop),
        "tcp" => TcpListener::bind(addr).map(drop),
        _ => Ok(()),
    };
    res.map_err(|e| {
        let family = if addr.is_ipv4() { "4" } else { "6" };
        Error::Message(format!(
            "cannot listen on the {} port: listen {protocol}{family} {shown}: bind: {}",
            protocol.to_ascii_uppercase(),
            e.kind()
                .to_string()
                .replace("address in use", "address already in use")
        ))
    })
}

/// The lines `rpod port` prints for one mapping: `80/tcp -> 0.0.0.0:8080`,
/// one per port of a range.
pub fn port_lines(m: &PortMapping) -> Vec<String> {
    let ip = if m.host_ip.is_empty() {
        "0.0.0.0"
    } else {
        m.host_ip.as_str()
    };
    (0..m.range.max(1))
        .map(|i| {
            format!(
                "{}/{} -> {ip}:{}",
                m.container_port.saturating_add(i),
                m.protocol,
                m.host_port.saturating_add(i)
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> PortMapping {
        let v = parse_publish(s).unwrap();
        assert_eq!(v.len(), 1, "{s}");
        v.into_iter().next().unwrap()
    }

    #[test]
    fn parses_podmans_forms() {
        let m = one("8080:80");
        assert_eq!((m.host_port, m.container_port, m.range), (8080, 80, 1));
        assert_eq!(m.protocol, "tcp");
        assert_eq!(one("80").host_port, 0);
        let m = one("127.0.0.1:8080:80/udp");
        assert_eq!(
            (m.host_ip.as_str(), m.protocol.as_str()),
            ("127.0.0.1", "udp")
        );
        let m = one("127.0.0.1::80");
        assert_eq!((m.host_ip.as_str(), m.host_port), ("127.0.0.1", 0));
        let m = one("8000-8002:80-82");
        assert_eq!((m.host_port, m.container_port, m.range), (8000, 80, 3));
        let m = one("[::1]:8080:80");
        assert_eq!(m.host_ip, "::1");
        assert_eq!(parse_publish("53:53/tcp,udp").unwrap().len(), 2);
    }

    #[test]
    fn rejects_bad_forms() {
        for bad in [
            "",
            "a:80",
            "80:",
            "8000-8001:80",
            "1.2.3:80:80",
            "80/icmp",
            "0",
            "1:2:3:4",
            "99999:80",
        ] {
            assert!(parse_publish(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn random_ports_are_free_and_consecutive() {
        let mut m = parse_publish("127.0.0.1::80-81").unwrap();
        assign_random_host_ports(&mut m).unwrap();
        assert_ne!(m[0].host_port, 0);
        assert!(check_port_free("127.0.0.1", m[0].host_port + 1, "tcp").is_ok());
    }

    #[test]
    fn a_port_in_use_is_reported() {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = l.local_addr().unwrap().port();
        let e = check_port_free("127.0.0.1", port, "tcp").unwrap_err();
        assert!(e.to_string().contains("address already in use"), "{e}");
    }

    #[test]
    fn port_lines_cover_ranges() {
        let m = one("8000-8001:80-81");
        assert_eq!(
            port_lines(&m),
            ["80/tcp -> 0.0.0.0:8000", "81/tcp -> 0.0.0.0:8001"]
        );
    }
}
