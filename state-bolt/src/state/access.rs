//! Reading and writing libpod's bucket layout: typed lookups over a
//! snapshot, and path-wise puts and deletes inside a write transaction.

use chrono::{DateTime, Utc};
use rpod_runtime_core::container::{ContainerConfig, ContainerRecord, ContainerState};
use rpod_runtime_core::names::{LookupCandidates, ObjectKind};
use rpod_runtime_core::pod::{PodConfig, PodRecord, PodState};
use rpod_runtime_core::state::DbConfig;
use rpod_runtime_core::volume::{VolumeConfig, VolumeRecord, VolumeState};
use rpod_runtime_core::{Error, Result};
use serde::de::DeserializeOwned;

use crate::engine::{BoltError, Bucket, BucketMut, WriteTx};
use crate::layout as l;

impl From<BoltError> for Error {
    fn from(e: BoltError) -> Self {
        match e {
            BoltError::Io { path, source } => Error::io(path, source),
            BoltError::Corrupt { path, detail } => Error::io(
                path,
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("invalid BoltDB file: {detail}"),
                ),
            ),
            other => Error::Internal.context(format!("boltdb: {other}")),
        }
    }
}

pub(crate) use rpod_runtime_core::state::errors::{no_ctr, no_pod, no_vol};

/// Decodes a JSON record (runtime-core's records accept Go's `null`s and
/// Podman's field names).
pub(crate) fn decode<T: DeserializeOwned>(
    bytes: &[u8],
    what: impl FnOnce() -> String,
) -> Result<T> {
    serde_json::from_slice(bytes)
        .map_err(|e| Error::Json(e).context(format!("unmarshalling {}", what())))
}

pub(crate) fn encode<T: serde::Serialize>(v: &T) -> Result<Vec<u8>> {
    Ok(serde_json::to_vec(v)?)
}

fn utf8(bytes: Vec<u8>) -> String {
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

/// Parses Go's `MarshalText` time (any offset).
pub(crate) fn parse_go_time(raw: &[u8], id: &str) -> Result<DateTime<Utc>> {
    let s = std::str::from_utf8(raw).map_err(|_| bad_stamp(raw, id))?;
    rpod_runtime_core::time::parse_rfc3339(s).ok_or_else(|| bad_stamp(raw, id))
}

fn bad_stamp(raw: &[u8], id: &str) -> Error {
    Error::Internal.context(format!(
        "converting raw time stamp {:?} of container {id} from DB",
        String::from_utf8_lossy(raw)
    ))
}

/// Typed reads over a snapshot's root bucket.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    pub root: Bucket<'a>,
}

impl<'a> Reader<'a> {
    pub fn top(&self, name: &[u8]) -> Result<Option<Bucket<'a>>> {
        Ok(self.root.bucket(name)?)
    }

    pub fn get(&self, bucket: &[u8], key: &str) -> Result<Option<Vec<u8>>> {
        match self.top(bucket)? {
            Some(b) => Ok(b.get(key.as_bytes())?),
            None => Ok(None),
        }
    }

    pub fn keys(&self, bucket: &[u8]) -> Result<Vec<String>> {
        match self.top(bucket)? {
            Some(b) => Ok(b.keys()?.into_iter().map(utf8).collect()),
            None => Ok(Vec::new()),
        }
    }

    pub fn sub(&self, bucket: &[u8], key: &str) -> Result<Option<Bucket<'a>>> {
        match self.top(bucket)? {
            Some(b) => Ok(b.bucket(key.as_bytes())?),
            None => Ok(None),
        }
    }

    pub fn ctr(&self, id: &str) -> Result<Bucket<'a>> {
        self.sub(l::CTR, id)?.ok_or_else(|| no_ctr(id))
    }

    pub fn has_ctr(&self, id: &str) -> Result<bool> {
        Ok(!id.is_empty() && self.sub(l::CTR, id)?.is_some())
    }

    pub fn has_pod(&self, id: &str) -> Result<bool> {
        Ok(!id.is_empty() && self.sub(l::POD, id)?.is_some())
    }

    pub fn ctr_config(&self, id: &str, b: &Bucket<'a>) -> Result<ContainerConfig> {
        let raw = b.get(l::CONFIG)?.ok_or_else(|| {
            Error::Internal.context(format!("container {id} missing config key in DB"))
        })?;
        decode(&raw, || format!("container {id} config"))
    }

    pub fn ctr_state(&self, id: &str, b: &Bucket<'a>) -> Result<ContainerState> {
        let raw = b.get(l::STATE)?.ok_or_else(|| {
            Error::Internal.context(format!("container {id} missing state key in DB"))
        })?;
        decode(&raw, || format!("container {id} state"))
    }

    pub fn container(&self, id: &str, load_state: bool) -> Result<ContainerRecord> {
        let b = self.ctr(id)?;
        Ok(ContainerRecord {
            config: self.ctr_config(id, &b)?,
            state: if load_state {
                self.ctr_state(id, &b)?
            } else {
                ContainerState::default()
            },
        })
    }

    /// IDs listed in a container's sub-bucket `name` (dependencies, exec, networks).
    pub fn ctr_sub_keys(&self, id: &str, name: &[u8]) -> Result<Vec<String>> {
        match self.ctr(id)?.bucket(name)? {
            Some(b) => Ok(b.keys()?.into_iter().map(utf8).collect()),
            None => Ok(Vec::new()),
        }
    }

    pub fn ctr_ids(&self) -> Result<Vec<String>> {
        self.keys(l::CTR)
    }

    pub fn pod(&self, id: &str) -> Result<PodRecord> {
        let b = self.sub(l::POD, id)?.ok_or_else(|| no_pod(id))?;
        let raw = b.get(l::CONFIG)?.ok_or_else(|| {
            Error::Internal.context(format!("pod {id} is missing configuration key in DB"))
        })?;
        let config: PodConfig = decode(&raw, || format!("pod {id} config"))?;
        let state: PodState = match b.get(l::STATE)? {
            Some(raw) => decode(&raw, || format!("pod {id} state"))?,
            None => PodState::default(),
        };
        Ok(PodRecord { config, state })
    }

    pub fn pod_members(&self, id: &str) -> Result<Vec<String>> {
        let b = self.sub(l::POD, id)?.ok_or_else(|| no_pod(id))?;
        match b.bucket(l::CONTAINERS)? {
            Some(c) => Ok(c.keys()?.into_iter().map(utf8).collect()),
            None => Ok(Vec::new()),
        }
    }

    pub fn volume(&self, name: &str) -> Result<VolumeRecord> {
        let b = self.sub(l::VOL, name)?.ok_or_else(|| no_vol(name))?;
        let raw = b.get(l::CONFIG)?.ok_or_else(|| {
            Error::Internal.context(format!("volume {name} is missing configuration key in DB"))
        })?;
        let config: VolumeConfig = decode(&raw, || format!("volume {name} config"))?;
        let state: VolumeState = match b.get(l::STATE)? {
            Some(raw) => decode(&raw, || format!("volume {name} state"))?,
            None => VolumeState::default(),
        };
        Ok(VolumeRecord { config, state })
    }

    /// Containers (that still exist) using a volume.
    pub fn volume_users(&self, name: &str) -> Result<Vec<String>> {
        let b = self.sub(l::VOL, name)?.ok_or_else(|| no_vol(name))?;
        let mut out = Vec::new();
        if let Some(deps) = b.bucket(l::VOL_DEPENDENCIES)? {
            for id in deps.keys()?.into_iter().map(utf8) {
                if self.has_ctr(&id)? {
                    out.push(id);
                }
            }
        }
        Ok(out)
    }

    /// Up to two keys of `bucket` that start with `prefix`.
    pub fn prefixed(&self, bucket: &[u8], prefix: &str) -> Result<Vec<String>> {
        let Some(b) = self.top(bucket)? else {
            return Ok(Vec::new());
        };
        let mut c = b.range_from(prefix.as_bytes())?;
        let mut out = Vec::new();
        while out.len() < 2 {
            match c.next_key()? {
                Some(k) if k.starts_with(prefix.as_bytes()) => out.push(utf8(k)),
                _ => break,
            }
        }
        Ok(out)
    }

    pub fn candidates(&self, kind: ObjectKind, input: &str) -> Result<LookupCandidates> {
        let mut c = LookupCandidates::default();
        if input.is_empty() {
            return Ok(c);
        }
        let (mine, theirs) = match kind {
            ObjectKind::Container => (l::CTR, l::POD),
            ObjectKind::Pod => (l::POD, l::CTR),
        };
        if self.sub(mine, input)?.is_some() {
            c.exact_id = Some(input.to_string());
        }
        let named = self.get(l::NAME_REGISTRY, input)?.map(utf8);
        if let Some(id) = &named
            && self.sub(mine, id)?.is_some()
        {
            c.exact_name = Some(id.clone());
        }
        c.other_kind_match = self.sub(theirs, input)?.is_some()
            || match &named {
                Some(id) => self.sub(theirs, id)?.is_some(),
                None => false,
            };
        c.prefix_ids = self.prefixed(mine, input)?;
        Ok(c)
    }

    pub fn db_config(&self) -> Result<Option<DbConfig>> {
        let Some(b) = self.top(l::RUNTIME_CONFIG)? else {
            return Ok(None);
        };
        if b.is_empty()? {
            return Ok(None);
        }
        let get = |k: &[u8]| -> Result<String> { Ok(b.get(k)?.map(utf8).unwrap_or_default()) };
        Ok(Some(DbConfig {
            os: get(l::OS)?,
            static_dir: get(l::STATIC_DIR)?,
            tmp_dir: get(l::TMP_DIR)?,
            graph_root: get(l::GRAPH_ROOT)?,
            run_root: get(l::RUN_ROOT)?,
            graph_driver: get(l::GRAPH_DRIVER)?,
            volume_path: get(l::VOLUME_PATH)?,
        }))
    }

    pub fn exit_code(&self, id: &str) -> Result<Option<i32>> {
        match self.get(l::EXIT_CODE, id)? {
            None => Ok(None),
            Some(raw) => std::str::from_utf8(&raw)
                .ok()
                .and_then(|s| s.trim().parse::<i32>().ok())
                .map(Some)
                .ok_or_else(|| {
                    Error::Internal.context(format!(
                        "converting raw exit code {:?} of container {id}",
                        String::from_utf8_lossy(&raw)
                    ))
                }),
        }
    }

    pub fn exit_code_time(&self, id: &str) -> Result<Option<DateTime<Utc>>> {
        match self.get(l::EXIT_CODE_TIME_STAMP, id)? {
            None => Ok(None),
            Some(raw) => parse_go_time(&raw, id).map(Some),
        }
    }
}

/// Opens the bucket at `path` (each part created when missing).
pub(crate) fn bucket_at<'t>(tx: &'t mut WriteTx, path: &[&[u8]]) -> Result<BucketMut<'t>> {
    let Some((first, rest)) = path.split_first() else {
        return Ok(tx.root());
    };
    let mut b = tx.create_bucket_if_not_exists(first)?;
    for p in rest {
        b = b.into_create_bucket_if_not_exists(p)?;
    }
    Ok(b)
}

/// Opens the existing bucket at `path`, or `None`.
pub(crate) fn existing_at<'t>(
    tx: &'t mut WriteTx,
    path: &[&[u8]],
) -> Result<Option<BucketMut<'t>>> {
    let Some((first, rest)) = path.split_first() else {
        return Ok(Some(tx.root()));
    };
    let Some(mut b) = tx.bucket_mut(first)? else {
        return Ok(None);
    };
    for p in rest {
        match b.into_bucket_mut(p)? {
            Some(c) => b = c,
            None => return Ok(None),
        }
    }
    Ok(Some(b))
}

/// Puts `key` = `value` in the bucket at `path` (created when missing).
pub(crate) fn put_at(tx: &mut WriteTx, path: &[&[u8]], key: &str, value: &[u8]) -> Result<()> {
    bucket_at(tx, path)?.put(key.as_bytes(), value)?;
    Ok(())
}

/// Deletes `key` from the bucket at `path`, if both exist.
pub(crate) fn delete_at(tx: &mut WriteTx, path: &[&[u8]], key: &str) -> Result<()> {
    if let Some(mut b) = existing_at(tx, path)? {
        b.delete(key.as_bytes())?;
    }
    Ok(())
}

/// Deletes the bucket `key` inside the bucket at `path`, if both exist.
pub(crate) fn delete_bucket_at(tx: &mut WriteTx, path: &[&[u8]], key: &str) -> Result<()> {
    if let Some(mut b) = existing_at(tx, path)?
        && b.view().bucket(key.as_bytes())?.is_some()
    {
        b.delete_bucket(key.as_bytes())?;
    }
    Ok(())
}

/// Empties a top-level bucket.
pub(crate) fn clear_top(tx: &mut WriteTx, name: &[u8]) -> Result<()> {
    let mut root = tx.root();
    if root.view().bucket(name)?.is_some() {
        root.delete_bucket(name)?;
    }
    root.create_bucket(name)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn go_time_text_round_trips() {
        let t = Utc.with_ymd_and_hms(2026, 11, 28, 12, 40, 17).unwrap()
            + chrono::Duration::nanoseconds(17_097_170);
        let text = rpod_runtime_core::time::rfc3339_nano(&t);
        assert_eq!(parse_go_time(text.as_bytes(), "x").unwrap(), t);
        let local = parse_go_time(b"2026-11-28T13:40:17.01709717+01:00", "x").unwrap();
        assert_eq!(local, t);
    }
}
