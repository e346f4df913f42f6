//! `rpod network create|ls|inspect|rm|prune|exists`.

use std::collections::BTreeMap;
use std::io::BufRead;

use rpod_runtime_core::Error;
use rpod_runtime_core::network::{Network, NetworkCreateRequest, NetworkListFilter};
use serde_json::{Value, json};

use crate::args::{
    NetworkCommand, NetworkConnectArgs, NetworkCreateArgs, NetworkDisconnectArgs,
    NetworkExistsArgs, NetworkInspectArgs, NetworkLsArgs, NetworkPruneArgs, NetworkReloadArgs,
    NetworkRmArgs,
};
use crate::commands::Ctx;
use crate::commands::image::print_error;
use crate::exit::CliError;
use crate::format;
use crate::output::{OutputFormat, write_inspect, write_list};

/// `network ls`'s default table.
const DEFAULT_TABLE: &str = "table {{.ID}}\t{{.Name}}\t{{.Driver}}";
/// `network ls`'s headers.
const HEADERS: &[(&str, &str)] = &[
    ("ID", "NETWORK ID"),
    ("Name", "NAME"),
    ("Driver", "DRIVER"),
    ("NetworkInterface", "NETWORK INTERFACE"),
    ("Created", "CREATED"),
    ("Subnets", "SUBNETS"),
    ("IPv6Enabled", "IPV6 ENABLED"),
    ("Internal", "INTERNAL"),
    ("DNSEnabled", "DNS ENABLED"),
    ("Labels", "LABELS"),
    ("Options", "OPTIONS"),
    ("IPAMOptions", "IPAM OPTIONS"),
];

/// Runs one network command.
pub fn dispatch(command: &NetworkCommand, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    match command {
        NetworkCommand::Create(a) => create(a, ctx),
        NetworkCommand::Ls(a) => ls(a, ctx),
        NetworkCommand::Inspect(a) => inspect(a, ctx),
        NetworkCommand::Rm(a) => rm(a, ctx),
        NetworkCommand::Prune(a) => prune(a, ctx),
        NetworkCommand::Exists(a) => exists(a, ctx),
        NetworkCommand::Connect(a) => connect(a, ctx),
        NetworkCommand::Disconnect(a) => disconnect(a, ctx),
        NetworkCommand::Reload(a) => reload(a, ctx),
    }
}

fn key_values(items: &[String], what: &str) -> Result<BTreeMap<String, String>, CliError> {
    let mut out = BTreeMap::new();
    for i in items {
        let (k, v) = i.split_once('=').unwrap_or((i.as_str(), ""));
        if k.is_empty() {
            return Err(CliError::Usage(format!("invalid {what} {i:?}")));
        }
        out.insert(k.to_string(), v.to_string());
    }
    Ok(out)
}

fn create(a: &NetworkCreateArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let mut options = key_values(&a.opt, "option")?;
    if let Some(d) = &a.ipam_driver {
        options.insert("ipam-driver".into(), d.clone());
    }
    let req = NetworkCreateRequest {
        name: a.name.clone().unwrap_or_default(),
        driver: a.driver.clone(),
        subnets: a.subnet.clone(),
        gateways: a.gateway.clone(),
        ip_ranges: a.ip_range.clone(),
        internal: a.internal,
        disable_dns: a.disable_dns,
        ipv6: a.ipv6,
        labels: key_values(&a.label, "label")?,
        options,
        interface_name: a.interface_name.clone().unwrap_or_default(),
        ignore_existing: a.ignore,
    };
    let rt = ctx.runtime()?;
    let net = rt.network_create(&req)?;
    ctx.write(&format!("{}\n", net.name))
}

/// A network as templates see it (Go's field names); `ls` shows labels as
/// one `k=v,...` string, as Podman's list report does.
fn template_value(n: &Network, listing: bool, no_trunc: bool) -> Value {
    let subnets: Vec<Value> = n
        .subnets
        .iter()
        .map(|s| {
            json!({
                "Subnet": s.subnet,
                "Gateway": s.gateway,
                "LeaseRange": s.lease_range.as_ref().map(|r| json!({"StartIP": r.start_ip, "EndIP": r.end_ip})),
            })
        })
        .collect();
    let labels = if listing {
        json!(
            n.labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        )
    } else {
        json!(n.labels)
    };
    let id = if listing && !no_trunc {
        n.id.chars().take(12).collect()
    } else {
        n.id.clone()
    };
    json!({
        "Name": n.name,
        "ID": id,
        "Driver": n.driver,
        "NetworkInterface": n.network_interface,
        "Created": rpod_runtime_core::time::rfc3339_nano(&n.created),
        "Subnets": subnets,
        "IPv6Enabled": n.ipv6_enabled,
        "Internal": n.internal,
        "DNSEnabled": n.dns_enabled,
        "Labels": labels,
        "Options": n.options,
        "IPAMOptions": n.ipam_options,
    })
}

fn ls(a: &NetworkLsArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    let nets = rt.network_list(&NetworkListFilter {
        filters: a.filters.clone(),
    })?;
    if a.quiet {
        let text: String = nets.iter().map(|n| format!("{}\n", n.name)).collect();
        return ctx.write(&text);
    }
    if a.format.as_deref().is_some_and(format::is_json_keyword) {
        let v = serde_json::to_value(&nets).map_err(|e| CliError::Usage(e.to_string()))?;
        return ctx.write(&crate::output::pretty_json(&v)?);
    }
    let rows: Vec<Value> = nets
        .iter()
        .map(|n| template_value(n, true, a.no_trunc))
        .collect();
    let src = a.format.clone().unwrap_or_else(|| DEFAULT_TABLE.into());
    let headers = if a.noheading { None } else { Some(HEADERS) };
    write_list(ctx, "list", &src, &rows, headers, &format::NETWORKS)
}

fn inspect(a: &NetworkInspectArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    let mut found = Vec::new();
    let mut missing = None;
    for name in &a.networks {
        match rt.network_inspect(name) {
            Ok(n) => found.push(n),
            Err(e) if e.is(&Error::NoSuchNetwork) => {
                missing.get_or_insert(format!("no such network {name}"));
            }
            Err(e) => return Err(e.into()),
        }
    }
    match OutputFormat::parse(a.format.as_deref(), "inspect")? {
        OutputFormat::Template(_) => {
            let src = a.format.clone().unwrap_or_default();
            let recs: Vec<Value> = found
                .iter()
                .map(|n| template_value(n, false, true))
                .collect();
            write_inspect(ctx, &src, &recs, &format::NETWORK_INSPECT)?;
        }
        _ => {
            let v = serde_json::to_value(&found).map_err(|e| CliError::Usage(e.to_string()))?;
            ctx.write(&crate::output::pretty_json(&v)?)?;
        }
    }
    match missing {
        Some(m) => Err(CliError::Usage(m)),
        None => Ok(()),
    }
}

fn rm(a: &NetworkRmArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    let mut code = 0;
    for name in &a.networks {
        match rt.network_remove(name, a.force, a.time) {
            Ok(r) => ctx.write(&format!("{}\n", r.name))?,
            Err(e) => {
                // A missing network is exit 1, anything else 125.
                code = if e.is(&Error::NoSuchNetwork) && code != 125 {
                    1
                } else {
                    125
                };
                print_error(&e);
            }
        }
    }
    if code == 0 {
        Ok(())
    } else {
        Err(CliError::Exit(code))
    }
}

fn prune(a: &NetworkPruneArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    if !a.force {
        ctx.write(
            "WARNING! This will remove all networks not used by at least one container.\nAre you sure you want to continue? [y/N] ",
        )?;
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|e| CliError::Usage(e.to_string()))?;
        if !line.trim().eq_ignore_ascii_case("y") {
            return Ok(());
        }
    }
    let rt = ctx.runtime()?;
    let removed = rt.network_prune(&NetworkListFilter {
        filters: a.filters.clone(),
    })?;
    let text: String = removed.iter().map(|n| format!("{n}\n")).collect();
    ctx.write(&text)
}

fn exists(a: &NetworkExistsArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    if rt.network_exists(&a.network)? {
        Ok(())
    } else {
        Err(CliError::Exit(1))
    }
}

fn connect(a: &NetworkConnectArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    let mut c = rt.lookup_container(&a.container)?;
    let opts = rpod_runtime_core::network::PerNetworkOptions {
        static_ips: a.ip.iter().chain(a.ip6.iter()).cloned().collect(),
        aliases: a.alias.clone(),
        static_mac: a.mac_address.clone().unwrap_or_default(),
        interface_name: String::new(),
    };
    c.network_connect(&a.network, opts)?;
    Ok(())
}

fn disconnect(a: &NetworkDisconnectArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    let mut c = rt.lookup_container(&a.container)?;
    c.network_disconnect(&a.network)?;
    Ok(())
}

fn reload(a: &NetworkReloadArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    if a.all != a.containers.is_empty() {
        return Err(CliError::Usage(
            "either --all or at least one container must be given".into(),
        ));
    }
    let rt = ctx.runtime()?;
    let ctrs = if a.all {
        rt.containers()?
            .into_iter()
            .filter(|c| {
                c.config().create_net_ns
                    && c.state().state == rpod_runtime_core::container::ContainerStatus::Running
            })
            .collect()
    } else {
        a.containers
            .iter()
            .map(|n| rt.lookup_container(n))
            .collect::<Result<Vec<_>, _>>()?
    };
    let mut failed = false;
    for mut c in ctrs {
        match c.network_reload() {
            Ok(()) => ctx.write(&format!("{}\n", c.id()))?,
            Err(e) => {
                print_error(&e);
                failed = true;
            }
        }
    }
    if failed {
        Err(CliError::Exit(125))
    } else {
        Ok(())
    }
}
