//! Container writes inside one transaction: registration with every
//! edge, renames, state saves and (checked or unchecked) removal.

use std::collections::BTreeSet;

use rpod_runtime_core::container::ContainerConfig;
use rpod_runtime_core::state::errors;
use rpod_runtime_core::{Error, Result};

use super::access::{
    bucket_at, delete_at, delete_bucket_at, existing_at, no_ctr, no_pod, no_vol, put_at,
};
use crate::engine::WriteTx;
use crate::layout as l;

use super::reader;

/// Writes a container's encoded state (`NoSuchCtr` if it is gone).
pub(super) fn save_state_in(tx: &mut WriteTx, id: &str, raw: &[u8]) -> Result<()> {
    let mut b = existing_at(tx, &[l::CTR, id.as_bytes()])?.ok_or_else(|| no_ctr(id))?;
    b.put(l::STATE, raw)?;
    Ok(())
}

/// Removes a container after checking that nothing depends on it and that it
/// has no exec sessions.
pub(super) fn remove_ctr_checked(tx: &mut WriteTx, id: &str) -> Result<()> {
    {
        let r = reader(tx);
        r.ctr(id)?;
        let users = r.ctr_sub_keys(id, l::DEPENDENCIES)?;
        if !users.is_empty() {
            return Err(errors::has_dependents(id, &users));
        }
        let mut has_exec = !r.ctr_sub_keys(id, l::EXEC)?.is_empty();
        if !has_exec && let Some(exec) = r.top(l::EXEC)? {
            for item in exec.iter()? {
                if item?.1.value() == Some(id.as_bytes()) {
                    has_exec = true;
                    break;
                }
            }
        }
        if has_exec {
            return Err(errors::has_exec_sessions(id));
        }
    }
    remove_ctr_unchecked(tx, id)
}

/// Unregisters every exec session of a container.
pub(super) fn remove_exec_sessions_of(tx: &mut WriteTx, ctr_id: &str) -> Result<()> {
    let mut sessions: BTreeSet<String> = {
        let r = reader(tx);
        r.ctr_sub_keys(ctr_id, l::EXEC)?.into_iter().collect()
    };
    if let Some(exec) = reader(tx).top(l::EXEC)? {
        for item in exec.iter()? {
            let (k, e) = item?;
            if e.value() == Some(ctr_id.as_bytes()) {
                sessions.insert(String::from_utf8_lossy(&k).into_owned());
            }
        }
    }
    for s in &sessions {
        delete_at(tx, &[l::EXEC], s)?;
    }
    delete_bucket_at(tx, &[l::CTR, ctr_id.as_bytes()], "exec")?;
    Ok(())
}

/// Removes a container and its edges without checks (the caller checked).
pub(super) fn remove_ctr_unchecked(tx: &mut WriteTx, id: &str) -> Result<()> {
    let (cfg, sessions, name) = {
        let r = reader(tx);
        let b = r.ctr(id)?;
        let cfg = r.ctr_config(id, &b)?;
        let sessions = r.ctr_sub_keys(id, l::EXEC)?;
        let name = cfg.name.clone();
        (cfg, sessions, name)
    };
    let pod_id = {
        let r = reader(tx);
        r.ctr(id)?
            .get(l::POD_ID)?
            .map(|p| String::from_utf8_lossy(&p).into_owned())
            .or_else(|| cfg.pod.clone())
    };
    delete_bucket_at(tx, &[l::CTR], id)?;
    delete_at(tx, &[l::ID_REGISTRY], id)?;
    delete_at(tx, &[l::NAME_REGISTRY], &name)?;
    delete_at(tx, &[l::NS_REGISTRY], id)?;
    delete_at(tx, &[l::ALL_CTRS], id)?;
    for dep in cfg.all_dependencies() {
        delete_at(tx, &[l::CTR, dep.as_bytes(), l::DEPENDENCIES], id)?;
    }
    for v in &cfg.named_volumes {
        delete_at(tx, &[l::VOL, v.name.as_bytes(), l::VOL_DEPENDENCIES], id)?;
    }
    if let Some(pod) = pod_id {
        delete_at(tx, &[l::POD, pod.as_bytes(), l::CONTAINERS], id)?;
    }
    // Exec index entries of this container, including strays.
    let mut stale: BTreeSet<String> = sessions.into_iter().collect();
    if let Some(exec) = reader(tx).top(l::EXEC)? {
        for item in exec.iter()? {
            let (k, e) = item?;
            if e.value() == Some(id.as_bytes()) {
                stale.insert(String::from_utf8_lossy(&k).into_owned());
            }
        }
    }
    for s in stale {
        delete_at(tx, &[l::EXEC], &s)?;
    }
    Ok(())
}

/// Checks that a new container's ID and name are free and that its pod,
/// dependencies and volumes exist, then registers it and every edge.
pub(super) fn insert_container(
    tx: &mut WriteTx,
    cfg: &ContainerConfig,
    config_json: &[u8],
    state_json: &[u8],
) -> Result<()> {
    let deps = cfg.all_dependencies();
    {
        let r = reader(tx);
        if r.get(l::ID_REGISTRY, &cfg.id)?.is_some() || r.has_ctr(&cfg.id)? || r.has_pod(&cfg.id)? {
            return Err(errors::id_in_use(Error::CtrExists, &cfg.id));
        }
        if r.get(l::NAME_REGISTRY, &cfg.name)?.is_some() {
            return Err(errors::name_in_use(Error::CtrExists, &cfg.name));
        }
        if let Some(pod) = &cfg.pod
            && !r.has_pod(pod)?
        {
            return Err(no_pod(pod));
        }
        for dep in &deps {
            if dep == &cfg.id {
                return Err(errors::self_dependency());
            }
            let Some(d) = r.sub(l::CTR, dep)? else {
                return Err(errors::missing_dependency(&cfg.id, dep));
            };
            let dep_pod = match d.get(l::POD_ID)? {
                Some(p) => Some(String::from_utf8_lossy(&p).into_owned()),
                None => r.ctr_config(dep, &d)?.pod,
            };
            if dep_pod != cfg.pod {
                return Err(errors::dependency_outside_pod(&cfg.id, dep));
            }
        }
        for v in &cfg.named_volumes {
            if r.sub(l::VOL, &v.name)?.is_none() {
                return Err(no_vol(&v.name));
            }
        }
    }
    let (id, name) = (cfg.id.as_str(), cfg.name.as_str());
    put_at(tx, &[l::ID_REGISTRY], id, name.as_bytes())?;
    put_at(tx, &[l::NAME_REGISTRY], name, id.as_bytes())?;
    if !cfg.namespace.is_empty() {
        put_at(tx, &[l::NS_REGISTRY], id, cfg.namespace.as_bytes())?;
    }
    put_at(tx, &[l::ALL_CTRS], id, name.as_bytes())?;
    {
        let mut ctrs = bucket_at(tx, &[l::CTR])?;
        let mut b = ctrs.create_bucket(id.as_bytes())?;
        b.put(l::CONFIG, config_json)?;
        b.put(l::STATE, state_json)?;
        if !cfg.namespace.is_empty() {
            b.put(l::NAMESPACE, cfg.namespace.as_bytes())?;
        }
        if let Some(pod) = &cfg.pod {
            b.put(l::POD_ID, pod.as_bytes())?;
        }
        b.create_bucket(l::NETWORKS)?;
        b.create_bucket(l::DEPENDENCIES)?;
    }
    for dep in &deps {
        put_at(
            tx,
            &[l::CTR, dep.as_bytes(), l::DEPENDENCIES],
            id,
            name.as_bytes(),
        )?;
    }
    if let Some(pod) = &cfg.pod {
        put_at(
            tx,
            &[l::POD, pod.as_bytes(), l::CONTAINERS],
            id,
            name.as_bytes(),
        )?;
    }
    for v in &cfg.named_volumes {
        put_at(
            tx,
            &[l::VOL, v.name.as_bytes(), l::VOL_DEPENDENCIES],
            id,
            id.as_bytes(),
        )?;
    }
    Ok(())
}

/// Rewrites a container's config, moving every name index entry when the
/// name changes (`old_name` and `new_name` must match the stored and new config).
pub(super) fn rename_container(
    tx: &mut WriteTx,
    old_name: &str,
    new_name: &str,
    cfg: &ContainerConfig,
    raw: &[u8],
) -> Result<()> {
    let old = reader(tx).container(&cfg.id, false)?.config;
    if old.name != old_name || cfg.name != new_name {
        return Err(errors::rename_mismatch());
    }
    let id = cfg.id.as_str();
    if old_name != new_name {
        if reader(tx).get(l::NAME_REGISTRY, new_name)?.is_some() {
            return Err(errors::name_in_use(Error::CtrExists, new_name));
        }
        delete_at(tx, &[l::NAME_REGISTRY], old_name)?;
        put_at(tx, &[l::NAME_REGISTRY], new_name, id.as_bytes())?;
        put_at(tx, &[l::ID_REGISTRY], id, new_name.as_bytes())?;
        put_at(tx, &[l::ALL_CTRS], id, new_name.as_bytes())?;
        if let Some(pod) = &old.pod {
            put_at(
                tx,
                &[l::POD, pod.as_bytes(), l::CONTAINERS],
                id,
                new_name.as_bytes(),
            )?;
        }
        for dep in old.all_dependencies() {
            put_at(
                tx,
                &[l::CTR, dep.as_bytes(), l::DEPENDENCIES],
                id,
                new_name.as_bytes(),
            )?;
        }
    }
    bucket_at(tx, &[l::CTR, id.as_bytes()])?.put(l::CONFIG, raw)?;
    Ok(())
}

/// Replaces a container's config when name, pod and dependencies are unchanged.
pub(super) fn rewrite_container_config_in(
    tx: &mut WriteTx,
    cfg: &ContainerConfig,
    raw: &[u8],
) -> Result<()> {
    let old = reader(tx).container(&cfg.id, false)?.config;
    if old.name != cfg.name
        || old.pod != cfg.pod
        || old.all_dependencies() != cfg.all_dependencies()
    {
        return Err(errors::ctr_rewrite_changes_identity());
    }
    bucket_at(tx, &[l::CTR, cfg.id.as_bytes()])?.put(l::CONFIG, raw)?;
    Ok(())
}

/// Adds a network (with its encoded options) to a container; an existing
/// connection is refused.
pub(super) fn connect_network(tx: &mut WriteTx, id: &str, network: &str, raw: &[u8]) -> Result<()> {
    let mut ctr = existing_at(tx, &[l::CTR, id.as_bytes()])?.ok_or_else(|| no_ctr(id))?;
    let mut nets = ctr.create_bucket_if_not_exists(l::NETWORKS)?;
    if nets.view().contains(network.as_bytes())? {
        return Err(errors::already_connected(id, network));
    }
    nets.put(network.as_bytes(), raw)?;
    Ok(())
}

/// Removes a container's network connection.
pub(super) fn disconnect_network(tx: &mut WriteTx, id: &str, network: &str) -> Result<()> {
    let mut ctr = existing_at(tx, &[l::CTR, id.as_bytes()])?.ok_or_else(|| no_ctr(id))?;
    let not_connected = || errors::not_connected(id, network);
    let mut nets = ctr.bucket_mut(l::NETWORKS)?.ok_or_else(not_connected)?;
    if !nets.view().contains(network.as_bytes())? {
        return Err(not_connected());
    }
    nets.delete(network.as_bytes())?;
    Ok(())
}
