//! Pod writes inside one transaction: registration and removal of a pod
//! or of all its containers.

use std::collections::BTreeSet;

use rpod_runtime_core::pod::PodConfig;
use rpod_runtime_core::state::errors;
use rpod_runtime_core::{Error, Result};

use super::access::{bucket_at, delete_at, delete_bucket_at, put_at};
use crate::engine::WriteTx;
use crate::layout as l;

use super::container_writes::remove_ctr_unchecked;
use super::reader;

/// Checks that a new pod's ID and name are free, then registers it.
pub(super) fn insert_pod(
    tx: &mut WriteTx,
    cfg: &PodConfig,
    config_json: &[u8],
    state_json: &[u8],
) -> Result<()> {
    {
        let r = reader(tx);
        if r.get(l::ID_REGISTRY, &cfg.id)?.is_some() || r.has_ctr(&cfg.id)? || r.has_pod(&cfg.id)? {
            return Err(errors::id_in_use(Error::PodExists, &cfg.id));
        }
        if r.get(l::NAME_REGISTRY, &cfg.name)?.is_some() {
            return Err(errors::name_in_use(Error::PodExists, &cfg.name));
        }
    }
    let (id, name) = (cfg.id.as_str(), cfg.name.as_str());
    {
        let mut pods = bucket_at(tx, &[l::POD])?;
        let mut b = pods.create_bucket(id.as_bytes())?;
        b.create_bucket(l::CONTAINERS)?;
        b.put(l::CONFIG, config_json)?;
        b.put(l::STATE, state_json)?;
        if !cfg.namespace.is_empty() {
            b.put(l::NAMESPACE, cfg.namespace.as_bytes())?;
        }
    }
    if !cfg.namespace.is_empty() {
        put_at(tx, &[l::NS_REGISTRY], id, cfg.namespace.as_bytes())?;
    }
    put_at(tx, &[l::ID_REGISTRY], id, name.as_bytes())?;
    put_at(tx, &[l::NAME_REGISTRY], name, id.as_bytes())?;
    put_at(tx, &[l::ALL_PODS], id, name.as_bytes())?;
    Ok(())
}

/// Removes an empty pod (its infra container goes with it) and its names.
pub(super) fn remove_pod_in(tx: &mut WriteTx, id: &str) -> Result<()> {
    let (pod, members) = {
        let r = reader(tx);
        (r.pod(id)?, r.pod_members(id)?)
    };
    let infra = pod.state.infra_container_id.clone();
    if members.iter().any(|m| *m != infra) {
        return Err(errors::pod_not_empty(id));
    }
    if !infra.is_empty() && reader(tx).has_ctr(&infra)? {
        remove_ctr_unchecked(tx, &infra)?;
    }
    delete_bucket_at(tx, &[l::POD], id)?;
    delete_at(tx, &[l::ID_REGISTRY], id)?;
    delete_at(tx, &[l::NAME_REGISTRY], &pod.config.name)?;
    delete_at(tx, &[l::NS_REGISTRY], id)?;
    delete_at(tx, &[l::ALL_PODS], id)?;
    Ok(())
}

/// Removes every container of a pod, refusing when a container outside
/// the pod depends on one of them.
pub(super) fn remove_pod_containers_in(tx: &mut WriteTx, pod_id: &str) -> Result<()> {
    let members: BTreeSet<String> = reader(tx).pod_members(pod_id)?.into_iter().collect();
    {
        let r = reader(tx);
        for m in &members {
            if !r.has_ctr(m)? {
                continue;
            }
            if let Some(outside) = r
                .ctr_sub_keys(m, l::DEPENDENCIES)?
                .into_iter()
                .find(|d| !members.contains(d))
            {
                return Err(errors::outside_dependent(&outside, m, pod_id));
            }
        }
    }
    for m in &members {
        if reader(tx).has_ctr(m)? {
            remove_ctr_unchecked(tx, m)?;
        }
    }
    delete_bucket_at(tx, &[l::POD, pod_id.as_bytes()], "containers")?;
    bucket_at(tx, &[l::POD, pod_id.as_bytes(), l::CONTAINERS])?;
    Ok(())
}
