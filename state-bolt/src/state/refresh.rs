//! `refresh`: resetting runtime state after a reboot.

use rpod_runtime_core::Result;

use super::access::{bucket_at, clear_top, encode};
use crate::engine::WriteTx;
use crate::layout as l;

use super::reader;

/// Resets every container's, pod's and volume's runtime state and clears
/// the exec and exit-code indexes, as after a reboot.
pub(super) fn refresh_in(tx: &mut WriteTx) -> Result<()> {
    let (ctrs, pods, vols) = {
        let r = reader(tx);
        (r.ctr_ids()?, r.keys(l::POD)?, r.keys(l::VOL)?)
    };
    for id in &ctrs {
        let mut st = {
            let r = reader(tx);
            r.ctr_state(id, &r.ctr(id)?)?
        };
        st.reset_for_refresh();
        let raw = encode(&st)?;
        let mut b = bucket_at(tx, &[l::CTR, id.as_bytes()])?;
        b.delete(l::NETNS)?;
        b.put(l::STATE, &raw)?;
        if b.view().bucket(l::EXEC)?.is_some() {
            b.delete_bucket(l::EXEC)?;
        }
    }
    for id in &pods {
        let mut st = reader(tx).pod(id)?.state;
        st.reset_for_refresh();
        put_state(tx, &[l::POD, id.as_bytes()], &st)?;
    }
    for name in &vols {
        let mut st = reader(tx).volume(name)?.state;
        st.reset_for_refresh();
        put_state(tx, &[l::VOL, name.as_bytes()], &st)?;
    }
    clear_top(tx, l::EXEC)?;
    clear_top(tx, l::EXIT_CODE)?;
    clear_top(tx, l::EXIT_CODE_TIME_STAMP)?;
    Ok(())
}

/// Writes an object's encoded runtime state at `path`.
fn put_state<T: serde::Serialize>(tx: &mut WriteTx, path: &[&[u8]], state: &T) -> Result<()> {
    let raw = encode(state)?;
    bucket_at(tx, path)?.put(l::STATE, &raw)?;
    Ok(())
}
