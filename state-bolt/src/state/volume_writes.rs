//! Volume writes inside one transaction: registration and removal.

use rpod_runtime_core::state::errors;
use rpod_runtime_core::volume::VolumeRecord;
use rpod_runtime_core::{Error, Result};

use super::access::{bucket_at, delete_at, delete_bucket_at, put_at};
use crate::engine::WriteTx;
use crate::layout as l;

use super::reader;

/// Checks that a new volume's name is free, then registers it.
pub(super) fn insert_volume(
    tx: &mut WriteTx,
    name: &str,
    vol: &VolumeRecord,
    config_json: &[u8],
    state_json: &[u8],
) -> Result<()> {
    {
        let r = reader(tx);
        if r.get(l::ALL_VOLS, name)?.is_some() || r.sub(l::VOL, name)?.is_some() {
            return Err(errors::name_in_use(Error::VolumeExists, name));
        }
    }
    {
        let mut vols = bucket_at(tx, &[l::VOL])?;
        let mut b = vols.create_bucket(name.as_bytes())?;
        b.create_bucket(l::VOL_DEPENDENCIES)?;
        b.put(l::CONFIG, config_json)?;
        b.put(l::STATE, state_json)?;
    }
    if !vol.config.storage_id.is_empty() {
        put_at(
            tx,
            &[l::VOLUME_CTRS],
            &vol.config.storage_id,
            name.as_bytes(),
        )?;
    }
    put_at(tx, &[l::ALL_VOLS], name, name.as_bytes())?;
    Ok(())
}

/// Removes a volume no container uses.
pub(super) fn remove_volume_in(tx: &mut WriteTx, name: &str) -> Result<()> {
    let (vol, users) = {
        let r = reader(tx);
        (r.volume(name)?, r.volume_users(name)?)
    };
    if !users.is_empty() {
        return Err(errors::volume_in_use(name, &users));
    }
    delete_at(tx, &[l::ALL_VOLS], name)?;
    delete_bucket_at(tx, &[l::VOL], name)?;
    if !vol.config.storage_id.is_empty() {
        delete_at(tx, &[l::VOLUME_CTRS], &vol.config.storage_id)?;
    }
    Ok(())
}
