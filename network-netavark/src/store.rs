//! Network definitions on disk: one `<name>.json` per network in the
//! network config directory, Podman's format (5-space indented JSON), under
//! Podman's `netavark.lock`. The default network exists in memory only,
//! unless a file defines it.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use rpod_runtime_core::error::IoResultExt;
use rpod_runtime_core::lockfile::LockFile;
use rpod_runtime_core::network::{Network, Subnet, no_such_network, valid_name};
use rpod_runtime_core::{Error, Result};
use serde::Serialize;

/// The default network's ID (Podman's, never changes).
pub(crate) const DEFAULT_NETWORK_ID: &str =
    "2f259bab93aaaaa2542ba43ef33eb990d0999ee1b9924b557b7be53c0b7a1bb9";

/// Where the definitions live and what the default network is.
#[derive(Debug, Clone)]
pub(crate) struct Store {
    pub(crate) dir: PathBuf,
    pub(crate) default_name: String,
    pub(crate) default_subnet: String,
}

impl Store {
    /// Takes Podman's lock on the definitions (creating the directory).
    pub(crate) fn lock(&self) -> Result<LockFile> {
        std::fs::create_dir_all(&self.dir).at(&self.dir)?;
        LockFile::open(self.dir.join("netavark.lock"))
    }

    /// Every valid definition by name, the default network added when no
    /// file defines it. Unreadable or invalid files are skipped with a
    /// warning, as Podman does.
    pub(crate) fn load(&self) -> Result<BTreeMap<String, Network>> {
        let mut out = BTreeMap::new();
        let entries = match std::fs::read_dir(&self.dir) {
            Ok(e) => Some(e),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
            Err(e) => return Err(Error::io(&self.dir, e)),
        };
        for entry in entries.into_iter().flatten().flatten() {
            let path = entry.path();
            let Some(stem) = path
                .file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_suffix(".json"))
            else {
                continue;
            };
            match read_definition(&path) {
                Ok(net) if net.name == stem && valid_name(&net.name) && net.id.len() == 64 => {
                    out.insert(net.name.clone(), net);
                }
                Ok(net) => tracing::warn!(
                    "network config {} (name {:?}) does not match its file name or is invalid, skipping",
                    path.display(),
                    net.name
                ),
                Err(e) => {
                    tracing::warn!("error reading network config file {}: {e}", path.display())
                }
            }
        }
        if !out.contains_key(&self.default_name) {
            out.insert(self.default_name.clone(), self.default_network()?);
        }
        Ok(out)
    }

    /// The in-memory default network (Podman's values).
    fn default_network(&self) -> Result<Network> {
        let subnet: ipnet::IpNet = self.default_subnet.parse().map_err(|_| {
            Error::InvalidArg.context(format!(
                "failed to parse default subnet {:?}",
                self.default_subnet
            ))
        })?;
        let gateway = crate::create::first_host(&subnet.trunc())
            .map(|ip| ip.to_string())
            .unwrap_or_default();
        Ok(Network {
            name: self.default_name.clone(),
            id: DEFAULT_NETWORK_ID.into(),
            driver: "bridge".into(),
            network_interface: "podman0".into(),
            created: chrono::Utc::now(),
            subnets: vec![Subnet {
                subnet: subnet.trunc().to_string(),
                gateway,
                lease_range: None,
            }],
            ipv6_enabled: false,
            internal: false,
            dns_enabled: false,
            ipam_options: BTreeMap::from([("driver".to_string(), "host-local".to_string())]),
            ..Default::default()
        })
    }

    /// Writes a definition atomically.
    pub(crate) fn write(&self, net: &Network) -> Result<()> {
        let path = self.dir.join(format!("{}.json", net.name));
        let tmp = self
            .dir
            .join(format!(".{}.json.tmp-{}", net.name, std::process::id()));
        let mut buf = Vec::new();
        let fmt = serde_json::ser::PrettyFormatter::with_indent(b"     ");
        let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
        net.serialize(&mut ser)?;
        let mut f = std::fs::File::create(&tmp).at(&tmp)?;
        f.write_all(&buf).at(&tmp)?;
        f.sync_all().at(&tmp)?;
        drop(f);
        std::fs::rename(&tmp, &path).at(&path)
    }

    /// Removes a definition's file (gone already is fine).
    pub(crate) fn remove(&self, name: &str) -> Result<()> {
        let path = self.dir.join(format!("{name}.json"));
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(Error::io(&path, e)),
        }
    }
}

fn read_definition(path: &Path) -> Result<Network> {
    let text = std::fs::read(path).at(path)?;
    Ok(serde_json::from_slice(&text)?)
}

/// One network by name, then by full ID or unique ID prefix.
pub(crate) fn lookup(nets: &BTreeMap<String, Network>, name_or_id: &str) -> Result<Network> {
    if let Some(n) = nets.get(name_or_id) {
        return Ok(n.clone());
    }
    let mut found = nets.values().filter(|n| n.id.starts_with(name_or_id));
    match (found.next(), found.next()) {
        (Some(n), None) if !name_or_id.is_empty() => Ok(n.clone()),
        (Some(_), Some(_)) if !name_or_id.is_empty() => {
            Err(Error::InvalidArg
                .context(format!("more than one result for network ID {name_or_id}")))
        }
        _ => Err(no_such_network(name_or_id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store(dir: &Path) -> Store {
        Store {
            dir: dir.to_path_buf(),
            default_name: "podman".into(),
            default_subnet: "10.88.0.0/16".into(),
        }
    }

    #[test]
    fn default_network_is_in_memory() {
        let d = tempfile::tempdir().unwrap();
        let s = store(&d.path().join("nets"));
        let nets = s.load().unwrap();
        let p = &nets["podman"];
        assert_eq!(p.id, DEFAULT_NETWORK_ID);
        assert_eq!(p.network_interface, "podman0");
        assert_eq!(p.subnets[0].gateway, "10.88.0.1");
        assert!(!d.path().join("nets").exists(), "listing writes nothing");
    }

    #[test]
    fn written_definitions_load_back_and_bad_ones_are_skipped() {
        let d = tempfile::tempdir().unwrap();
        let s = store(d.path());
        let net = Network {
            name: "n1".into(),
            id: "a".repeat(64),
            driver: "bridge".into(),
            ..Default::default()
        };
        s.write(&net).unwrap();
        let text = std::fs::read_to_string(d.path().join("n1.json")).unwrap();
        assert!(text.contains("\n     \"name\": \"n1\""), "{text}");
        std::fs::write(d.path().join("bad.json"), "{").unwrap();
        std::fs::write(d.path().join("other.json"), text.replace("n1", "n2")).unwrap();
        let nets = s.load().unwrap();
        assert_eq!(nets.keys().collect::<Vec<_>>(), ["n1", "podman"]);
        assert_eq!(lookup(&nets, "aaaa").unwrap().name, "n1");
        assert!(lookup(&nets, "zz").unwrap_err().is(&Error::NoSuchNetwork));
        s.remove("n1").unwrap();
        s.remove("n1").unwrap();
    }
}
