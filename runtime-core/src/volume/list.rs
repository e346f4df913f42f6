//! `volume ls` filters, `volume inspect`'s report and `volume prune`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::image::LabelFilter;
use crate::image::PruneReport;
use crate::runtime::Runtime;
use crate::system::PruneFilters;

use super::VolumeRecord;

/// One `volume ls --filter` condition. Conditions of different keys must
/// all hold; several values of one key are alternatives, as in Podman.
#[derive(Debug, Clone)]
pub enum VolumeFilter {
    /// `name=REGEX`: the name matches the regular expression.
    Name(regex::Regex),
    /// `driver=NAME`.
    Driver(String),
    /// `scope=local`.
    Scope(String),
    /// `label=KEY[=VALUE]` / `label!=...`.
    Label(LabelFilter),
    /// `opt=KEY[=VALUE]`: an option with that key (and value).
    Opt(String, Option<String>),
    /// `until=TIME`: created before.
    Until(DateTime<Utc>),
    /// `dangling=true|false`: used by no container (or used).
    Dangling(bool),
}

/// Parsed `volume ls --filter` values, grouped by key.
#[derive(Debug, Clone, Default)]
pub struct VolumeFilters {
    groups: BTreeMap<String, Vec<VolumeFilter>>,
}

impl VolumeFilters {
    /// Parses `KEY=VALUE` specs with Podman's keys and messages; `now`
    /// anchors `until=<duration>`.
    pub fn parse(specs: &[String], now: DateTime<Utc>) -> Result<VolumeFilters> {
        let mut out = VolumeFilters::default();
        for spec in specs {
            let Some((key, value)) = spec.split_once('=') else {
                return Err(Error::msg(format!("invalid filter {spec:?}")));
            };
            let f = match key {
                "name" => VolumeFilter::Name(
                    regex::Regex::new(value).map_err(|e| Error::msg(e.to_string()))?,
                ),
                "driver" => VolumeFilter::Driver(value.to_string()),
                "scope" => VolumeFilter::Scope(value.to_string()),
                "label" => VolumeFilter::Label(LabelFilter::parse(value, false)),
                "label!" => VolumeFilter::Label(LabelFilter::parse(value, true)),
                "opt" => {
                    let (k, v) = value.split_once('=').unwrap_or((value, ""));
                    VolumeFilter::Opt(k.to_string(), (!v.is_empty()).then(|| v.to_string()))
                }
                "until" => VolumeFilter::Until(crate::time::parse_input_time(value, now).map_err(
                    |_| {
                        Error::msg(format!(
                            "failed to parse value as time or duration: {value:?}"
                        ))
                    },
                )?),
                "dangling" => match value.to_ascii_lowercase().as_str() {
                    "true" | "1" => VolumeFilter::Dangling(true),
                    "false" | "0" => VolumeFilter::Dangling(false),
                    _ => {
                        return Err(Error::msg(format!(
                            "{value:?} is not a valid value for the \"dangling\" filter - must be true or false"
                        )));
                    }
                },
                _ => return Err(Error::msg(format!("{key:?} is an invalid volume filter"))),
            };
            out.groups.entry(key.to_string()).or_default().push(f);
        }
        Ok(out)
    }

    fn passes(&self, v: &VolumeRecord, users: usize) -> bool {
        self.groups.values().all(|alts| {
            alts.iter().any(|f| match f {
                VolumeFilter::Name(re) => re.is_match(&v.config.name),
                VolumeFilter::Driver(d) => &v.config.driver == d,
                VolumeFilter::Scope(s) => s == "local",
                VolumeFilter::Label(l) => l.passes(&v.config.labels),
                VolumeFilter::Opt(k, val) => v
                    .config
                    .options
                    .get(k)
                    .is_some_and(|have| val.as_ref().is_none_or(|want| want == have)),
                VolumeFilter::Until(t) => v.config.created_at < *t,
                VolumeFilter::Dangling(d) => (users == 0) == *d,
            })
        })
    }
}

/// `volume inspect`'s record, with Podman's keys (`define.InspectVolumeData`).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct VolumeInspect {
    /// Name.
    #[serde(rename = "Name")]
    pub name: String,
    /// Driver.
    #[serde(rename = "Driver")]
    pub driver: String,
    /// Data directory on the host.
    #[serde(rename = "Mountpoint")]
    pub mountpoint: String,
    /// Creation time, RFC 3339 with nanoseconds.
    #[serde(rename = "CreatedAt")]
    pub created_at: String,
    /// Labels.
    #[serde(rename = "Labels")]
    pub labels: BTreeMap<String, String>,
    /// Always `local`.
    #[serde(rename = "Scope")]
    pub scope: String,
    /// Driver options.
    #[serde(rename = "Options")]
    pub options: BTreeMap<String, String>,
    /// Owner UID, when set.
    #[serde(rename = "UID", skip_serializing_if = "is_zero")]
    pub uid: u32,
    /// Owner GID, when set.
    #[serde(rename = "GID", skip_serializing_if = "is_zero")]
    pub gid: u32,
    /// An anonymous volume.
    #[serde(rename = "Anonymous", skip_serializing_if = "is_false")]
    pub anonymous: bool,
    /// Users that have it mounted.
    #[serde(rename = "MountCount")]
    pub mount_count: u32,
    /// The image's content is still to be copied in on first use.
    #[serde(rename = "NeedsCopyUp", skip_serializing_if = "is_false")]
    pub needs_copy_up: bool,
    /// The owner is still to be set on first use.
    #[serde(rename = "NeedsChown", skip_serializing_if = "is_false")]
    pub needs_chown: bool,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl From<&VolumeRecord> for VolumeInspect {
    fn from(v: &VolumeRecord) -> Self {
        VolumeInspect {
            name: v.config.name.clone(),
            driver: v.config.driver.clone(),
            mountpoint: v.config.mount_point.clone(),
            created_at: crate::time::rfc3339_nano(&v.config.created_at),
            labels: v.config.labels.clone(),
            scope: "local".into(),
            options: v.config.options.clone(),
            uid: v.config.uid,
            gid: v.config.gid,
            anonymous: v.config.is_anon,
            mount_count: v.state.mount_count,
            needs_copy_up: v.state.not_yet_mounted,
            needs_chown: v.state.not_yet_chowned,
        }
    }
}

impl Runtime {
    /// The volumes passing `filters`, sorted by name.
    pub fn list_volumes(&self, filters: &VolumeFilters) -> Result<Vec<VolumeRecord>> {
        let state = self.state()?;
        let mut out = Vec::new();
        for v in state.all_volumes()? {
            let users = if filters.groups.contains_key("dangling") {
                state.volume_in_use(&v.config.name)?.len()
            } else {
                0
            };
            if filters.passes(&v, users) {
                out.push(v);
            }
        }
        out.sort_by(|a, b| a.config.name.cmp(&b.config.name));
        Ok(out)
    }

    /// The volume `name` (exact name or unique prefix).
    pub fn lookup_volume(&self, name: &str) -> Result<VolumeRecord> {
        self.state()?.lookup_volume(name)
    }

    /// True when a volume has exactly this name.
    pub fn volume_exists(&self, name: &str) -> Result<bool> {
        self.state()?.has_volume(name)
    }

    /// Removes every volume no container uses: its record, its directory
    /// and its lock; emits `remove` for each. Reports carry the volume's
    /// name and the size of its data.
    pub fn prune_volumes(&self) -> Result<Vec<PruneReport>> {
        self.prune_volumes_filtered(&PruneFilters::default())
    }

    /// [`Runtime::prune_volumes`], limited to the volumes whose labels and
    /// creation time pass `filters`.
    pub fn prune_volumes_filtered(&self, filters: &PruneFilters) -> Result<Vec<PruneReport>> {
        let state = self.state()?;
        let mut removed = Vec::new();
        for v in state.all_volumes()? {
            let name = v.config.name.clone();
            if !filters.passes(&v.config.labels, v.config.created_at)
                || !state.volume_in_use(&name)?.is_empty()
            {
                continue;
            }
            let size = crate::system::dir_size(std::path::Path::new(&v.config.mount_point));
            if self.remove_volume_if_unused(&name)? {
                removed.push(PruneReport { id: name, size });
            }
        }
        Ok(removed)
    }
}
