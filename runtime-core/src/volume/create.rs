//! `volume create`: the `local` driver's options, the volume's directories,
//! its lock and its State record.
//!
//! Steps, under the volume-path lock file: (1) `<volume_path>/<name>/_data`
//! is made (an existing directory no record owns is reused, as Podman
//! does); (2) a lock is allocated; (3) the record is added; (4) `create` is
//! emitted. A failure undoes what was done; a kill leaves at most an unowned
//! directory (reused by the next create of that name) and, between (2) and
//! (3), an allocated lock that `system renumber` reclaims.

use std::collections::BTreeMap;
use std::os::unix::fs::DirBuilderExt;
use std::path::Path;

use crate::error::{Error, IoResultExt, Result};
use crate::events::{Event, EventStatus, EventType};
use crate::lockfile::LockFile;
use crate::names::generate_id;
use crate::runtime::Runtime;

use super::{VolumeConfig, VolumeRecord, VolumeState};

/// The only driver rpod has.
pub const LOCAL_DRIVER: &str = "local";

/// What a new volume is made from (`volume create` and the volumes a
/// container's `-v`/`--mount`/image `VOLUME` need).
#[derive(Debug, Clone, Default)]
pub struct NewVolume {
    /// Name; a random 64-hex name (an anonymous volume) when empty.
    pub name: String,
    /// Driver (`""` means `local`).
    pub driver: String,
    /// Driver options as given (`--opt KEY=VALUE`).
    pub options: BTreeMap<String, String>,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Return the existing volume instead of failing when the name is
    /// taken (`--ignore`).
    pub ignore_existing: bool,
    /// Mark the volume anonymous even though it has a name.
    pub anonymous: bool,
}

/// Volume names as Podman accepts them: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
pub fn validate_volume_name(name: &str) -> Result<()> {
    let mut chars = name.chars();
    let ok = chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(Error::InvalidArg
            .context("names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*")
            .context("running volume create option"))
    }
}

/// The options a volume stores, and the owner its data directory gets,
/// from what the user gave: Podman's rules (`o=uid=N,gid=N` also recorded
/// as `UID`/`GID`, `o=noquota` as `NOQUOTA`; unknown keys refused).
#[derive(Debug, Default, PartialEq)]
pub(crate) struct ParsedOptions {
    pub options: BTreeMap<String, String>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

pub(crate) fn parse_options(given: &BTreeMap<String, String>) -> Result<ParsedOptions> {
    let mut out = ParsedOptions::default();
    for (key, value) in given {
        match key.to_ascii_lowercase().as_str() {
            "o" => {
                let mut kept = Vec::new();
                for o in value.split(',').filter(|o| !o.is_empty()) {
                    let (k, v) = o.split_once('=').unwrap_or((o, ""));
                    match k.to_ascii_lowercase().as_str() {
                        "uid" | "gid" => {
                            let n: u32 = v.parse().map_err(|_| {
                                Error::msg(format!(
                                    "cannot convert {} {v} to integer",
                                    k.to_ascii_uppercase()
                                ))
                            })?;
                            if k.eq_ignore_ascii_case("uid") {
                                out.uid = Some(n);
                                out.options.insert("UID".into(), v.into());
                            } else {
                                out.gid = Some(n);
                                out.options.insert("GID".into(), v.into());
                            }
                            kept.push(o.to_string());
                        }
                        "size" | "inodes" => {
                            return Err(Error::msg(
                                "volume options size and inodes not supported. Filesystem does not support Project Quota",
                            ));
                        }
                        "noquota" => {
                            out.options.insert("NOQUOTA".into(), "true".into());
                        }
                        _ => kept.push(o.to_string()),
                    }
                }
                if !kept.is_empty() {
                    out.options.insert(key.clone(), kept.join(","));
                }
            }
            "type" | "copy" | "nocopy" => {
                out.options.insert(key.clone(), value.clone());
            }
            "device" => {
                if given
                    .get("type")
                    .is_some_and(|t| t.eq_ignore_ascii_case("bind"))
                    && let Err(e) = std::fs::metadata(value)
                {
                    return Err(Error::InvalidArg.context(format!(
                        "invalid volume option {key} for driver 'local': stat {value}: {}",
                        crate::error::io_text(&e)
                    )));
                }
                out.options.insert(key.clone(), value.clone());
            }
            _ => {
                return Err(Error::InvalidArg
                    .context(format!("invalid mount option {key} for driver 'local'")));
            }
        }
    }
    Ok(out)
}

impl Runtime {
    /// The lock file serialising the creation and removal of volume
    /// directories, so a create never clears a directory another process
    /// is filling in.
    pub(crate) fn volume_dir_lock(&self) -> Result<LockFile> {
        let dir = &self.paths()?.tmp_dir;
        std::fs::create_dir_all(dir).at(dir)?;
        LockFile::open(dir.join("volumes.lock"))
    }

    /// Creates a volume: validates name, driver and options, makes
    /// `<volume_path>/<name>/_data` (owned by `o=uid=,gid=` when given),
    /// allocates its lock, records it and emits `create`. A failure leaves
    /// nothing behind.
    pub fn new_volume(&self, spec: NewVolume) -> Result<VolumeRecord> {
        self.check_valid()?;
        let anon = spec.name.is_empty() || spec.anonymous;
        let name = if spec.name.is_empty() {
            generate_id()?
        } else {
            validate_volume_name(&spec.name)?;
            spec.name.clone()
        };
        let driver = if spec.driver.is_empty() {
            LOCAL_DRIVER
        } else {
            spec.driver.as_str()
        };
        if driver != LOCAL_DRIVER {
            return Err(Error::InvalidArg.context(format!(
                "volume {name} uses volume plugin {driver} but it could not be retrieved: no volume plugin found with name {driver}"
            )));
        }
        let parsed = parse_options(&spec.options)?;
        let state = self.state()?;
        let exists = |state: &dyn crate::state::State| -> Result<Option<VolumeRecord>> {
            if !state.has_volume(&name)? {
                return Ok(None);
            }
            if spec.ignore_existing {
                return state.volume(&name).map(Some);
            }
            Err(Error::VolumeExists.context(format!("volume with name {name} already exists")))
        };
        if let Some(v) = exists(state)? {
            return Ok(v);
        }

        let volume_path = self.paths()?.volume_path.clone();
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&volume_path)
            .at(&volume_path)?;
        let dirs = self.volume_dir_lock()?;
        let _held = dirs.lock()?;
        // Checked again under the lock: a concurrent create may have won.
        if let Some(v) = exists(state)? {
            return Ok(v);
        }
        let dir = volume_path.join(&name);
        // A directory no record owns is what a killed create or rm left
        // (or another engine's volume sharing this path): it is reused as
        // Podman does, never deleted, and not undone on failure.
        let reused = std::fs::symlink_metadata(&dir).is_ok();
        if reused {
            tracing::warn!(
                "volume directory {} already exists; reusing it",
                dir.display()
            );
        }
        let data = dir.join("_data");
        let undo = |dir: &std::path::Path| {
            if !reused {
                let _ = std::fs::remove_dir_all(dir);
            }
        };
        if let Err(e) = make_dirs(&dir, &data, parsed.uid, parsed.gid) {
            undo(&dir);
            return Err(e);
        }
        let lock = match self.lock_manager()?.allocate() {
            Ok(l) => l,
            Err(e) => {
                undo(&dir);
                return Err(e.context("allocating lock for new volume"));
            }
        };
        let mut cfg = VolumeConfig::new(&name, lock.id(), data.to_string_lossy());
        cfg.labels = spec.labels;
        cfg.is_anon = anon;
        cfg.options = parsed.options;
        cfg.uid = parsed.uid.unwrap_or(0);
        cfg.gid = parsed.gid.unwrap_or(0);
        let mut vstate = VolumeState::default();
        // An explicit owner is kept: the first mount does not chown.
        if parsed.uid.is_some() || parsed.gid.is_some() {
            vstate.not_yet_chowned = false;
        }
        let rec = VolumeRecord {
            config: cfg,
            state: vstate,
        };
        if let Err(e) = state.add_volume(&rec) {
            let _ = lock.free();
            undo(&dir);
            return Err(e.context("adding volume to state"));
        }
        let mut ev = Event::new(EventType::Volume, EventStatus::Create);
        ev.name = name;
        self.emit(ev);
        Ok(rec)
    }
}

/// `<name>` (0700) and `<name>/_data` (0755), both owned by `uid:gid`
/// when given.
fn make_dirs(dir: &Path, data: &Path, uid: Option<u32>, gid: Option<u32>) -> Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .at(dir)?;
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(data)
        .at(data)?;
    if uid.is_some() || gid.is_some() {
        let (u, g) = (
            uid.map(nix::unistd::Uid::from_raw),
            gid.map(nix::unistd::Gid::from_raw),
        );
        for d in [dir, data] {
            nix::unistd::chown(d, u, g).map_err(|e| Error::io(d, e.into()))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn uid_and_gid_are_recorded_as_podman_does() {
        let p = parse_options(&opts(&[("o", "uid=1000,gid=1001")])).unwrap();
        assert_eq!(p.uid, Some(1000));
        assert_eq!(p.gid, Some(1001));
        assert_eq!(
            p.options,
            opts(&[("GID", "1001"), ("UID", "1000"), ("o", "uid=1000,gid=1001")])
        );
    }

    #[test]
    fn unknown_keys_and_bad_names_are_refused() {
        let e = parse_options(&opts(&[("foo", "bar")])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "invalid mount option foo for driver 'local': invalid argument"
        );
        for bad in ["a/b", "..", "-x", "", "a b", "ä"] {
            let e = validate_volume_name(bad).unwrap_err();
            assert_eq!(
                e.to_string(),
                "running volume create option: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument"
            );
        }
        validate_volume_name("a.b_c-1").unwrap();
        let e =
            parse_options(&opts(&[("type", "bind"), ("device", "/nonexistent/x")])).unwrap_err();
        assert!(
            e.to_string().contains("invalid volume option device"),
            "{e}"
        );
    }
}
