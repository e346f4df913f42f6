//! Address allocation (host-local IPAM): which address of which network
//! belongs to which container, in one JSON file under the network run
//! directory, changed only under its lock file. A container keeps the
//! addresses it has until they are released, so a setup retried after a
//! crash gets the same ones.

use std::collections::BTreeMap;
use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;

use ipnet::IpNet;
use rpod_runtime_core::error::IoResultExt;
use rpod_runtime_core::lockfile::LockFile;
use rpod_runtime_core::network::{Network, PerNetworkOptions};
use rpod_runtime_core::{Error, Result};

/// network name → address → container ID.
type Leases = BTreeMap<String, BTreeMap<String, String>>;

/// The allocation database.
#[derive(Debug, Clone)]
pub(crate) struct Ipam {
    pub(crate) dir: PathBuf,
}

impl Ipam {
    fn file(&self) -> PathBuf {
        self.dir.join("rpod-ipam.json")
    }

    /// Runs `f` on the leases under the lock and writes them back when it
    /// returns `Ok` with `true`.
    fn with<T>(&self, f: impl FnOnce(&mut Leases) -> Result<(T, bool)>) -> Result<T> {
        std::fs::create_dir_all(&self.dir).at(&self.dir)?;
        let lock = LockFile::open(self.dir.join("rpod-ipam.lock"))?;
        let _held = lock.lock()?;
        let path = self.file();
        let mut leases: Leases = match std::fs::read(&path) {
            Ok(b) if b.is_empty() => Leases::new(),
            Ok(b) => serde_json::from_slice(&b)?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Leases::new(),
            Err(e) => return Err(Error::io(&path, e)),
        };
        let (out, dirty) = f(&mut leases)?;
        if dirty {
            leases.retain(|_, m| !m.is_empty());
            let tmp = self
                .dir
                .join(format!(".rpod-ipam.json.tmp-{}", std::process::id()));
            let mut file = std::fs::File::create(&tmp).at(&tmp)?;
            file.write_all(&serde_json::to_vec(&leases)?).at(&tmp)?;
            file.sync_all().at(&tmp)?;
            drop(file);
            std::fs::rename(&tmp, &path).at(&path)?;
        }
        Ok(out)
    }

    /// One address per subnet of `net` for container `id`: the ones it
    /// asked for, the ones it already holds, else the next free ones.
    pub(crate) fn allocate(
        &self,
        net: &Network,
        id: &str,
        opts: &PerNetworkOptions,
    ) -> Result<Vec<String>> {
        if net
            .ipam_options
            .get("driver")
            .is_some_and(|d| d == "none" || d == "dhcp")
        {
            return Ok(Vec::new());
        }
        self.with(|leases| {
            let mine = leases.entry(net.name.clone()).or_default();
            let held: Vec<String> = mine
                .iter()
                .filter(|(_, c)| *c == id)
                .map(|(ip, _)| ip.clone())
                .collect();
            let mut out = Vec::new();
            for s in &net.subnets {
                let subnet: IpNet = s
                    .subnet
                    .parse()
                    .map_err(|_| Error::InvalidArg.context(format!("invalid subnet {}", s.subnet)))?;
                let wanted = opts
                    .static_ips
                    .iter()
                    .filter_map(|ip| ip.parse::<IpAddr>().ok())
                    .find(|ip| subnet.contains(ip));
                if let Some(ip) = wanted {
                    let key = ip.to_string();
                    if ip.to_string() == s.gateway || ip == subnet.network() {
                        return Err(Error::InvalidArg.context(format!(
                            "requested ip address {ip} is not usable in subnet {subnet}"
                        )));
                    }
                    match mine.get(&key) {
                        Some(owner) if owner != id => {
                            return Err(Error::InvalidArg.context(format!(
                                "IPAM error: requested ip address {ip} is already allocated to container ID {owner}"
                            )));
                        }
                        _ => {}
                    }
                    mine.insert(key.clone(), id.to_string());
                    out.push(key);
                    continue;
                }
                if let Some(ip) = held
                    .iter()
                    .find(|ip| ip.parse::<IpAddr>().is_ok_and(|a| subnet.contains(&a)))
                {
                    out.push(ip.clone());
                    continue;
                }
                let range = s.lease_range.as_ref();
                let start = range.and_then(|r| r.start_ip.parse::<IpAddr>().ok());
                let end = range.and_then(|r| r.end_ip.parse::<IpAddr>().ok());
                let last = subnet.broadcast();
                let free = subnet.hosts().find(|ip| {
                    start.is_none_or(|s| *ip >= s)
                        && end.is_none_or(|e| *ip <= e)
                        && ip.to_string() != s.gateway
                        && (*ip != last || matches!(subnet, IpNet::V6(_)))
                        && !mine.contains_key(&ip.to_string())
                });
                let ip = free.ok_or_else(|| {
                    Error::Message(format!(
                        "IPAM error: failed to find free IP in range: {subnet}"
                    ))
                })?;
                mine.insert(ip.to_string(), id.to_string());
                out.push(ip.to_string());
            }
            Ok((out, true))
        })
    }

    /// The addresses container `id` holds on network `name`.
    pub(crate) fn assigned(&self, name: &str, id: &str) -> Result<Vec<String>> {
        self.with(|leases| {
            let ips = leases
                .get(name)
                .map(|m| {
                    m.iter()
                        .filter(|(_, c)| *c == id)
                        .map(|(ip, _)| ip.clone())
                        .collect()
                })
                .unwrap_or_default();
            Ok((ips, false))
        })
    }

    /// Frees what container `id` holds on network `name`.
    pub(crate) fn release(&self, name: &str, id: &str) -> Result<()> {
        self.with(|leases| {
            let mut dirty = false;
            if let Some(m) = leases.get_mut(name) {
                let before = m.len();
                m.retain(|_, c| c != id);
                dirty = m.len() != before;
            }
            Ok(((), dirty))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rpod_runtime_core::network::Subnet;

    fn net() -> Network {
        Network {
            name: "n".into(),
            subnets: vec![Subnet {
                subnet: "10.201.9.0/29".into(),
                gateway: "10.201.9.1".into(),
                lease_range: None,
            }],
            ..Default::default()
        }
    }

    #[test]
    fn allocates_skips_gateway_and_reuses_and_frees() {
        let d = tempfile::tempdir().unwrap();
        let ipam = Ipam {
            dir: d.path().to_path_buf(),
        };
        let none = PerNetworkOptions::default();
        assert_eq!(ipam.allocate(&net(), "a", &none).unwrap(), ["10.201.9.2"]);
        assert_eq!(ipam.allocate(&net(), "a", &none).unwrap(), ["10.201.9.2"]);
        assert_eq!(ipam.allocate(&net(), "b", &none).unwrap(), ["10.201.9.3"]);
        let want = PerNetworkOptions {
            static_ips: vec!["10.201.9.3".into()],
            ..Default::default()
        };
        let e = ipam.allocate(&net(), "c", &want).unwrap_err();
        assert!(e.to_string().contains("already allocated"), "{e}");
        for c in ["c", "d", "e"] {
            ipam.allocate(&net(), c, &none).unwrap();
        }
        // .2-.6 are taken and .7 is the broadcast address.
        assert!(ipam.allocate(&net(), "f", &none).is_err());
        ipam.release("n", "a").unwrap();
        assert_eq!(ipam.assigned("n", "a").unwrap(), Vec::<String>::new());
        assert_eq!(ipam.allocate(&net(), "f", &none).unwrap(), ["10.201.9.2"]);
    }
}
