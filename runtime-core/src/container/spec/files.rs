//! The per-container run files the spec bind-mounts: `hostname` (no
//! trailing newline), `hosts`, `resolv.conf` (not with `--network none`) and
//! `.containerenv`, all mode 0644, each replaced atomically.

use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use oci_spec::runtime::{LinuxNamespaceType, Spec};

use super::annotations::PRIVILEGED_ANNOTATION;
use super::{NetworkMode, SpecOptions, effective_hostname};
use crate::container::ContainerConfig;
use crate::error::{Error, IoResultExt, Result};

/// The mode of every run file.
const RUN_FILE_MODE: u32 = 0o644;

/// Nameservers used when the host has none usable.
const FALLBACK_NAMESERVERS: [&str; 2] = ["8.8.8.8", "8.8.4.4"];

/// Where the host's files are read from (tests point these elsewhere).
#[derive(Debug, Clone)]
struct HostFiles {
    hosts: PathBuf,
    resolv_conf: PathBuf,
    /// systemd-resolved's upstream list, used when resolv.conf only names its stub.
    resolved_upstream: PathBuf,
}

impl Default for HostFiles {
    fn default() -> Self {
        HostFiles {
            hosts: "/etc/hosts".into(),
            resolv_conf: "/etc/resolv.conf".into(),
            resolved_upstream: "/run/systemd/resolve/resolv.conf".into(),
        }
    }
}

/// What the container's networks and its DNS and hosts flags add to its
/// `hosts` and `resolv.conf`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NetworkFiles {
    /// Name servers its networks provide (aardvark-dns), listed first.
    pub network_dns: Vec<String>,
    /// Search domains its networks provide (`dns.podman`), listed first.
    pub network_search: Vec<String>,
    /// `--dns`: replaces the host's name servers.
    pub user_dns: Vec<String>,
    /// `--dns-search`: replaces the host's search domains (`.`: none).
    pub user_search: Vec<String>,
    /// `--dns-option`: replaces the host's options.
    pub user_options: Vec<String>,
    /// `--add-host name:ip` entries, listed first in `hosts`.
    pub add_hosts: Vec<String>,
    /// The container's own addresses: its names point there instead of
    /// 127.0.0.1.
    pub own_ips: Vec<String>,
    /// The address `host.containers.internal` names (empty: no entry).
    pub host_gateway: String,
    /// Every network is internal: the host's name servers are unreachable
    /// and left out.
    pub no_host_resolvers: bool,
    /// `--no-hosts`.
    pub no_hosts: bool,
}

/// What the run files say about one container.
#[derive(Debug, Clone)]
struct RunFiles {
    run_dir: PathBuf,
    hostname: String,
    name: String,
    id: String,
    image: String,
    image_id: String,
    network: NetworkMode,
    privileged: bool,
    net: NetworkFiles,
}

/// Writes the run files for a container about to be created.
pub fn write_run_files(opts: &SpecOptions) -> Result<()> {
    write_run_files_with(opts, &NetworkFiles::default())
}

/// [`write_run_files`] with what the container's networks add.
pub fn write_run_files_with(opts: &SpecOptions, net: &NetworkFiles) -> Result<()> {
    RunFiles {
        run_dir: opts.run_dir.clone(),
        hostname: effective_hostname(opts),
        name: opts.name.clone(),
        id: opts.id.clone(),
        image: String::new(),
        image_id: String::new(),
        network: opts.settings.network,
        privileged: opts.settings.privileged,
        net: net.clone(),
    }
    .write(&HostFiles::default())
}

/// Writes the run files again from a stored spec (at every init): the
/// network mode and privilege are read back from the spec, the name and
/// image from the container's configuration.
pub fn write_run_files_from_spec(
    spec: &Spec,
    config: &ContainerConfig,
    run_dir: &Path,
) -> Result<()> {
    run_files_from_spec(spec, config, run_dir)?.write(&HostFiles::default())
}

fn run_files_from_spec(spec: &Spec, config: &ContainerConfig, run_dir: &Path) -> Result<RunFiles> {
    let has_netns = spec
        .linux()
        .as_ref()
        .and_then(|l| l.namespaces().as_ref())
        .is_some_and(|ns| ns.iter().any(|n| n.typ() == LinuxNamespaceType::Network));
    let has_resolv = spec.mounts().as_ref().is_some_and(|ms| {
        ms.iter()
            .any(|m| m.destination() == Path::new("/etc/resolv.conf"))
    });
    let network = match (has_netns, has_resolv) {
        (false, _) => NetworkMode::Host,
        (true, false) => NetworkMode::None,
        (true, true) => NetworkMode::Private,
    };
    let hostname = spec
        .hostname()
        .clone()
        .unwrap_or_else(|| config.id.chars().take(12).collect());
    if hostname.is_empty() {
        return Err(Error::Internal.context("the container's OCI spec has no hostname"));
    }
    Ok(RunFiles {
        run_dir: run_dir.to_path_buf(),
        hostname,
        name: config.name.clone(),
        id: config.id.clone(),
        image: if config.rootfs_image_name.is_empty() {
            config.raw_image_name.clone()
        } else {
            config.rootfs_image_name.clone()
        },
        image_id: config.rootfs_image_id.clone(),
        network,
        privileged: spec
            .annotations()
            .as_ref()
            .and_then(|a| a.get(PRIVILEGED_ANNOTATION))
            .is_some_and(|v| v == "TRUE"),
        net: NetworkFiles::default(),
    })
}

/// Writes `contents` to `path` with mode 0644, replacing it atomically.
fn write_file(path: &Path, contents: &str) -> Result<()> {
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{file_name}.tmp-{}", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(RUN_FILE_MODE)
        .open(&tmp)
        .at(&tmp)?;
    f.write_all(contents.as_bytes()).at(&tmp)?;
    f.set_permissions(std::fs::Permissions::from_mode(RUN_FILE_MODE))
        .at(&tmp)?;
    drop(f);
    std::fs::rename(&tmp, path).at(path)
}

/// Hosts entries (address, names) of a hosts file; comments and
/// address-only lines dropped.
fn parse_hosts(text: &str) -> Vec<(String, Vec<String>)> {
    text.lines()
        .filter_map(|l| {
            let l = l.split('#').next().unwrap_or("");
            let mut f = l.split_whitespace();
            let ip = f.next()?;
            let names: Vec<String> = f.map(String::from).collect();
            (!names.is_empty()).then(|| (ip.to_string(), names))
        })
        .collect()
}

fn host_line(ip: &str, names: &[String]) -> String {
    format!("{ip}\t{}\n", names.join(" "))
}

/// The container's `/etc/hosts`: the host's entries, then `localhost` and
/// the container's own names on 127.0.0.1 unless already present. With the
/// host's network the host's file is copied as it is.
fn hosts_contents(f: &RunFiles, host_hosts: &Path) -> Result<String> {
    let base = match std::fs::read_to_string(host_hosts) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(Error::io(host_hosts, e)),
    };
    if f.network == NetworkMode::Host {
        return Ok(base);
    }
    let entries = parse_hosts(&base);
    let mut out = String::new();
    // Names of the host's file win; the added entries do not shadow each other.
    let mut seen: Vec<String> = Vec::new();
    for entry in &f.net.add_hosts {
        if let Some((name, ip)) = entry.split_once(':') {
            out.push_str(&host_line(ip, &[name.to_string()]));
            seen.push(name.to_string());
        }
    }
    for (ip, names) in &entries {
        out.push_str(&host_line(ip, names));
        seen.extend(names.iter().cloned());
    }
    let mut own = vec![f.hostname.clone()];
    if f.name != f.hostname {
        own.push(f.name.clone());
    }
    let mut extra: Vec<(&str, Vec<String>)> = vec![
        ("127.0.0.1", vec!["localhost".to_string()]),
        ("::1", vec!["localhost".to_string()]),
    ];
    if f.net.own_ips.is_empty() {
        extra.push(("127.0.0.1", own));
    } else {
        for ip in &f.net.own_ips {
            extra.push((ip.as_str(), own.clone()));
        }
    }
    if !f.net.host_gateway.is_empty() {
        extra.push((
            f.net.host_gateway.as_str(),
            vec!["host.containers.internal".to_string()],
        ));
    }
    for (ip, names) in extra {
        let free: Vec<String> = names.into_iter().filter(|n| !seen.contains(n)).collect();
        if !free.is_empty() {
            out.push_str(&host_line(ip, &free));
        }
    }
    Ok(out)
}

fn is_localhost(ns: &str) -> bool {
    ns.starts_with("127.") || ns == "::1" || ns == "0:0:0:0:0:0:0:1"
}

/// The container's `resolv.conf`: the host's search, options and
/// nameservers, without localhost nameservers unless the container shares
/// the host's network; 8.8.8.8 and 8.8.4.4 when none remain.
fn resolv_contents(f: &RunFiles, host: &HostFiles) -> Result<String> {
    let read = |p: &Path| match std::fs::read_to_string(p) {
        Ok(t) => Ok(Some(t)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(p, e)),
    };
    let mut text = read(&host.resolv_conf)?.unwrap_or_default();
    let nameservers = |t: &str| -> Vec<String> {
        t.lines()
            .filter_map(|l| {
                let mut w = l.split_whitespace();
                (w.next() == Some("nameserver")).then(|| w.next().map(String::from))?
            })
            .collect()
    };
    let ns = nameservers(&text);
    if !ns.is_empty()
        && ns.iter().all(|n| n == "127.0.0.53")
        && let Some(up) = read(&host.resolved_upstream)?
    {
        text = up;
    }
    let mut search = Vec::new();
    let mut options = Vec::new();
    for l in text.lines() {
        let mut w = l.split_whitespace();
        match w.next() {
            Some("search") | Some("domain") => {
                search = w.map(String::from).collect();
            }
            Some("options") => options.extend(w.map(String::from)),
            _ => {}
        }
    }
    let mut ns = nameservers(&text);
    if f.network != NetworkMode::Host {
        ns.retain(|n| !is_localhost(n));
    }
    if ns.is_empty() {
        ns = FALLBACK_NAMESERVERS.iter().map(|s| s.to_string()).collect();
    }
    let net = &f.net;
    if !net.user_dns.is_empty() {
        ns.clone_from(&net.user_dns);
    } else if net.no_host_resolvers {
        ns.clear();
    }
    ns.splice(0..0, net.network_dns.iter().cloned());
    if !net.user_search.is_empty() {
        search = net
            .user_search
            .iter()
            .filter(|s| *s != ".")
            .cloned()
            .collect();
    }
    search.splice(0..0, net.network_search.iter().cloned());
    if !net.user_options.is_empty() {
        options.clone_from(&net.user_options);
    }
    let mut out = String::new();
    if !search.is_empty() {
        out.push_str(&format!("search {}\n", search.join(" ")));
    }
    for n in ns {
        out.push_str(&format!("nameserver {n}\n"));
    }
    if !options.is_empty() {
        out.push_str(&format!("options {}\n", options.join(" ")));
    }
    Ok(out)
}

/// `.containerenv`: empty, except for privileged containers.
fn containerenv_contents(f: &RunFiles) -> String {
    if !f.privileged {
        return String::new();
    }
    let rootless = u8::from(!nix::unistd::geteuid().is_root());
    format!(
        "engine=\"rpod-{}\"\nname={:?}\nid={:?}\nimage={:?}\nimageid={:?}\nrootless={rootless}\n",
        env!("CARGO_PKG_VERSION"),
        f.name,
        f.id,
        f.image,
        f.image_id
    )
}

impl RunFiles {
    fn write(&self, host: &HostFiles) -> Result<()> {
        std::fs::create_dir_all(&self.run_dir).at(&self.run_dir)?;
        let dir = &self.run_dir;
        write_file(&dir.join("hostname"), &self.hostname)?;
        write_file(&dir.join("hosts"), &hosts_contents(self, &host.hosts)?)?;
        let resolv = dir.join("resolv.conf");
        if self.network == NetworkMode::None {
            match std::fs::remove_file(&resolv) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&resolv, e)),
            }
        } else {
            write_file(&resolv, &resolv_contents(self, host)?)?;
        }
        write_file(&dir.join(".containerenv"), &containerenv_contents(self))
    }
}

#[cfg(test)]
mod tests {
    use std::os::unix::fs::MetadataExt;

    use super::super::tests::{test_config, test_host, test_opts};
    use super::*;

    fn files(dir: &Path, network: NetworkMode) -> RunFiles {
        RunFiles {
            run_dir: dir.join("run"),
            hostname: "be36ab008b07".into(),
            name: "sleepy".into(),
            id: "be36ab008b07ffff".into(),
            image: "localhost/busybox:latest".into(),
            image_id: "abc".into(),
            network,
            privileged: false,
            net: NetworkFiles::default(),
        }
    }

    #[test]
    fn bridge_network_files() {
        let d = tempfile::tempdir().unwrap();
        let host = host_files(
            d.path(),
            "127.0.0.1 localhost\n",
            "search example.com\nnameserver 192.0.2.53\noptions ndots:2\n",
        );
        let mut f = files(d.path(), NetworkMode::Private);
        f.net = NetworkFiles {
            network_dns: vec!["10.201.0.1".into()],
            network_search: vec!["dns.podman".into()],
            own_ips: vec!["10.201.0.2".into()],
            host_gateway: "10.201.0.1".into(),
            add_hosts: vec!["db:10.9.9.9".into()],
            ..Default::default()
        };
        let hosts = hosts_contents(&f, &host.hosts).unwrap();
        assert!(hosts.starts_with("10.9.9.9\tdb\n"), "{hosts}");
        assert!(
            hosts.contains("10.201.0.2\tbe36ab008b07 sleepy\n"),
            "{hosts}"
        );
        assert!(
            hosts.contains("10.201.0.1\thost.containers.internal\n"),
            "{hosts}"
        );
        let resolv = resolv_contents(&f, &host).unwrap();
        assert_eq!(
            resolv,
            "search dns.podman example.com\nnameserver 10.201.0.1\nnameserver 192.0.2.53\noptions ndots:2\n"
        );
        f.net.no_host_resolvers = true;
        f.net.network_dns.clear();
        f.net.user_search = vec![".".into()];
        f.net.network_search.clear();
        let resolv = resolv_contents(&f, &host).unwrap();
        assert_eq!(resolv, "options ndots:2\n");
        f.net.user_dns = vec!["1.1.1.1".into()];
        f.net.user_options = vec!["edns0".into()];
        let resolv = resolv_contents(&f, &host).unwrap();
        assert_eq!(resolv, "nameserver 1.1.1.1\noptions edns0\n");
    }

    fn host_files(dir: &Path, hosts: &str, resolv: &str) -> HostFiles {
        let h = HostFiles {
            hosts: dir.join("hosts"),
            resolv_conf: dir.join("resolv.conf"),
            resolved_upstream: dir.join("upstream.conf"),
        };
        std::fs::write(&h.hosts, hosts).unwrap();
        std::fs::write(&h.resolv_conf, resolv).unwrap();
        h
    }

    fn read(p: PathBuf) -> String {
        std::fs::read_to_string(p).unwrap()
    }

    #[test]
    fn network_none_files() {
        let d = tempfile::tempdir().unwrap();
        let h = host_files(
            d.path(),
            "127.0.0.1 localhost # me\n127.0.0.1 runsc\n10.0.0.1\n# comment\n",
            "nameserver 10.255.255.53\n",
        );
        let f = files(d.path(), NetworkMode::None);
        std::fs::create_dir_all(&f.run_dir).unwrap();
        std::fs::write(f.run_dir.join("resolv.conf"), "stale").unwrap();
        f.write(&h).unwrap();
        let run = d.path().join("run");
        assert_eq!(read(run.join("hostname")), "be36ab008b07");
        assert_eq!(
            read(run.join("hosts")),
            "127.0.0.1\tlocalhost\n127.0.0.1\trunsc\n127.0.0.1\tbe36ab008b07 sleepy\n"
        );
        assert!(
            !run.join("resolv.conf").exists(),
            "no resolv.conf with --network none"
        );
        assert_eq!(read(run.join(".containerenv")), "");
        for n in ["hostname", "hosts", ".containerenv"] {
            let mode = std::fs::metadata(run.join(n)).unwrap().mode() & 0o7777;
            assert_eq!(mode, 0o644, "{n}");
        }
    }

    #[test]
    fn resolv_conf_filters_localhost_and_falls_back() {
        let d = tempfile::tempdir().unwrap();
        let h = host_files(
            d.path(),
            "",
            "search example.com lab\nnameserver 127.0.0.1\nnameserver 1.1.1.1\nnameserver ::1\noptions ndots:2\n",
        );
        let f = files(d.path(), NetworkMode::Private);
        f.write(&h).unwrap();
        assert_eq!(
            read(d.path().join("run/resolv.conf")),
            "search example.com lab\nnameserver 1.1.1.1\noptions ndots:2\n"
        );
        // Hosts with an empty base: localhost lines and our names.
        assert_eq!(
            read(d.path().join("run/hosts")),
            "127.0.0.1\tlocalhost\n::1\tlocalhost\n127.0.0.1\tbe36ab008b07 sleepy\n"
        );

        std::fs::write(&h.resolv_conf, "nameserver 127.0.0.1\n").unwrap();
        f.write(&h).unwrap();
        assert_eq!(
            read(d.path().join("run/resolv.conf")),
            "nameserver 8.8.8.8\nnameserver 8.8.4.4\n"
        );

        // systemd-resolved's stub: its upstream list is used.
        std::fs::write(&h.resolv_conf, "nameserver 127.0.0.53\n").unwrap();
        std::fs::write(&h.resolved_upstream, "nameserver 9.9.9.9\n").unwrap();
        f.write(&h).unwrap();
        assert_eq!(
            read(d.path().join("run/resolv.conf")),
            "nameserver 9.9.9.9\n"
        );
    }

    #[test]
    fn host_network_copies_the_host() {
        let d = tempfile::tempdir().unwrap();
        let h = host_files(
            d.path(),
            "127.0.0.1 localhost\n# hi\n",
            "nameserver 127.0.0.1\n",
        );
        let f = files(d.path(), NetworkMode::Host);
        f.write(&h).unwrap();
        assert_eq!(
            read(d.path().join("run/hosts")),
            "127.0.0.1 localhost\n# hi\n"
        );
        assert_eq!(
            read(d.path().join("run/resolv.conf")),
            "nameserver 127.0.0.1\n",
            "host network keeps localhost resolvers"
        );
    }

    #[test]
    fn privileged_containerenv() {
        let d = tempfile::tempdir().unwrap();
        let h = host_files(d.path(), "", "");
        let mut f = files(d.path(), NetworkMode::None);
        f.privileged = true;
        f.write(&h).unwrap();
        let text = read(d.path().join("run/.containerenv"));
        let rootless = u8::from(!nix::unistd::geteuid().is_root());
        assert_eq!(
            text,
            format!(
                "engine=\"rpod-{}\"\nname=\"sleepy\"\nid=\"be36ab008b07ffff\"\nimage=\"localhost/busybox:latest\"\nimageid=\"abc\"\nrootless={rootless}\n",
                env!("CARGO_PKG_VERSION")
            )
        );
    }

    #[test]
    fn run_files_round_trip_through_the_spec() {
        let d = tempfile::tempdir().unwrap();
        let config = test_config();
        for (network, privileged) in [
            (NetworkMode::None, false),
            (NetworkMode::Private, true),
            (NetworkMode::Host, false),
        ] {
            let mut opts = test_opts(d.path());
            opts.settings.network = network;
            opts.settings.privileged = privileged;
            opts.settings.hostname = "named".into();
            let spec =
                crate::container::spec::generate_for_host(&opts, &config, &test_host()).unwrap();
            let mut cc = ContainerConfig::new(&opts.id, &opts.name, 0);
            cc.rootfs_image_name = "img".into();
            let f = run_files_from_spec(&spec, &cc, &opts.run_dir).unwrap();
            assert_eq!(f.network, network);
            assert_eq!(f.privileged, privileged);
            assert_eq!(f.hostname, "named");
            assert_eq!(f.image, "img");
        }
    }

    #[test]
    fn public_writer_uses_the_options() {
        let d = tempfile::tempdir().unwrap();
        let opts = test_opts(d.path());
        write_run_files(&opts).unwrap();
        assert_eq!(read(opts.run_dir.join("hostname")), "be36ab008b07");
        assert!(read(opts.run_dir.join("hosts")).ends_with("127.0.0.1\tbe36ab008b07 sleepy\n"));
    }
}
