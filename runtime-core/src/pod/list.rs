//! `pod ps`: which pods a listing shows, each with its containers and
//! aggregate state (Podman's `ListPodsReport`). Filters of one key are
//! alternatives, filters of different keys must all pass.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::Pod;
use crate::container::ContainerStatus;
use crate::error::{Error, Result};
use crate::image::LabelFilter;
use crate::runtime::Runtime;

/// One container of a listed pod.
#[derive(Debug, Clone, Serialize)]
pub struct ListedPodContainer {
    /// Full ID.
    #[serde(rename = "Id")]
    pub id: String,
    /// Name.
    #[serde(rename = "Names")]
    pub names: String,
    /// State word (`running`, `exited` ...).
    #[serde(rename = "Status")]
    pub status: String,
}

/// One row of `pod ps`, with Podman's JSON keys.
#[derive(Debug, Clone, Serialize)]
pub struct ListedPod {
    /// The pod's cgroup parent.
    #[serde(rename = "Cgroup")]
    pub cgroup: String,
    /// Its containers, the infra container first.
    #[serde(rename = "Containers")]
    pub containers: Vec<ListedPodContainer>,
    /// Creation time.
    #[serde(rename = "Created")]
    pub created: DateTime<Utc>,
    /// Full ID.
    #[serde(rename = "Id")]
    pub id: String,
    /// Infra container's full ID (empty without one).
    #[serde(rename = "InfraId")]
    pub infra_id: String,
    /// Name.
    #[serde(rename = "Name")]
    pub name: String,
    /// libpod namespace.
    #[serde(rename = "Namespace")]
    pub namespace: String,
    /// Networks of the infra container.
    #[serde(rename = "Networks")]
    pub networks: Vec<String>,
    /// Aggregate state (`Running`, `Degraded` ...).
    #[serde(rename = "Status")]
    pub status: String,
    /// Labels.
    #[serde(rename = "Labels")]
    pub labels: std::collections::BTreeMap<String, String>,
}

/// Pod statuses a `status=` filter accepts.
const POD_STATUSES: [&str; 7] = [
    "stopped", "running", "paused", "exited", "dead", "created", "degraded",
];

/// Container statuses a `ctr-status=` filter accepts.
const CTR_STATUSES: [&str; 6] = [
    "created", "running", "paused", "stopped", "exited", "unknown",
];

/// One `pod ps` filter (`key=value`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PodFilter {
    /// `id=PREFIX`.
    Id(String),
    /// `name=PART`.
    Name(String),
    /// `status=STATUS` (the aggregate state, lower case).
    Status(String),
    /// `label=KEY[=VALUE]`.
    Label(LabelFilter),
    /// `ctr-names=PART`: a container's name contains it.
    CtrNames(String),
    /// `ctr-ids=PREFIX`.
    CtrIds(String),
    /// `ctr-number=N`: exactly N containers.
    CtrNumber(Option<usize>),
    /// `ctr-status=STATUS`: a container is in it.
    CtrStatus(String),
}

impl PodFilter {
    /// Parses `key=value` with Podman's messages.
    pub fn parse(spec: &str) -> Result<PodFilter> {
        let (k, v) = spec.split_once('=').ok_or_else(|| {
            Error::msg(format!(
                "filter input must be in the form of filter=value: {spec} is invalid"
            ))
        })?;
        let value = v.to_string();
        Ok(match k {
            "id" => PodFilter::Id(value),
            "name" => PodFilter::Name(value),
            "status" if POD_STATUSES.contains(&v) => PodFilter::Status(value),
            "status" => return Err(Error::msg(format!("{v} is not a valid pod status"))),
            "label" => PodFilter::Label(LabelFilter::parse(v, false)),
            "ctr-names" => PodFilter::CtrNames(value),
            "ctr-ids" => PodFilter::CtrIds(value),
            "ctr-number" => PodFilter::CtrNumber(v.parse().ok()),
            "ctr-status" if CTR_STATUSES.contains(&v) => PodFilter::CtrStatus(value),
            "ctr-status" => return Err(Error::msg(format!("{v} is not a valid status"))),
            other => return Err(Error::msg(format!("{other} is an invalid filter"))),
        })
    }

    fn key(&self) -> &'static str {
        match self {
            PodFilter::Id(_) => "id",
            PodFilter::Name(_) => "name",
            PodFilter::Status(_) => "status",
            PodFilter::Label(_) => "label",
            PodFilter::CtrNames(_) => "ctr-names",
            PodFilter::CtrIds(_) => "ctr-ids",
            PodFilter::CtrNumber(_) => "ctr-number",
            PodFilter::CtrStatus(_) => "ctr-status",
        }
    }

    fn matches(&self, row: &ListedPod) -> bool {
        match self {
            PodFilter::Id(p) => row.id.starts_with(p.as_str()),
            PodFilter::Name(p) => row.name.contains(p.as_str()),
            PodFilter::Status(s) => row.status.to_ascii_lowercase() == *s,
            PodFilter::Label(f) => f.passes(&row.labels),
            PodFilter::CtrNames(p) => row.containers.iter().any(|c| c.names.contains(p.as_str())),
            PodFilter::CtrIds(p) => row.containers.iter().any(|c| c.id.starts_with(p.as_str())),
            PodFilter::CtrNumber(n) => *n == Some(row.containers.len()),
            PodFilter::CtrStatus(s) => {
                let want = if s == "stopped" { "exited" } else { s.as_str() };
                row.containers.iter().any(|c| c.status == want)
            }
        }
    }
}

impl Pod {
    /// This pod as a listing row (container states synced).
    pub fn listed(&self) -> Result<ListedPod> {
        let states = self.container_states()?;
        let status = super::aggregate_status(&states.iter().map(|(_, s)| *s).collect::<Vec<_>>());
        let cfg = &self.rec.config;
        Ok(ListedPod {
            cgroup: cfg.cgroup_parent.clone(),
            containers: states
                .iter()
                .map(|(c, s)| ListedPodContainer {
                    id: c.id().to_string(),
                    names: c.name().to_string(),
                    // Podman's words: a configured container is created,
                    // a stopped one exited.
                    status: match s {
                        ContainerStatus::Configured => "created",
                        ContainerStatus::Stopped => "exited",
                        other => other.as_str(),
                    }
                    .to_string(),
                })
                .collect(),
            created: cfg.created,
            id: cfg.id.clone(),
            infra_id: self.infra_id().unwrap_or_default().to_string(),
            name: cfg.name.clone(),
            namespace: cfg.namespace.clone(),
            networks: Vec::new(),
            status: status.to_string(),
            labels: cfg.labels.clone(),
        })
    }
}

impl Runtime {
    /// `pod ps`: every pod passing `filters` (for each key, one of its
    /// filters), newest first.
    pub fn list_pods(&self, filters: &[PodFilter]) -> Result<Vec<ListedPod>> {
        let mut rows = Vec::new();
        for pod in self.pods()? {
            let row = match pod.listed() {
                Ok(r) => r,
                Err(e) if e.is(&Error::NoSuchPod) || e.is(&Error::PodRemoved) => continue,
                Err(e) => return Err(e),
            };
            let pass = filters.iter().all(|f| {
                filters
                    .iter()
                    .filter(|g| g.key() == f.key())
                    .any(|g| g.matches(&row))
            });
            if pass {
                rows.push(row);
            }
        }
        rows.sort_by_key(|r| std::cmp::Reverse(r.created));
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_parse_with_podmans_messages() {
        assert_eq!(
            PodFilter::parse("status=bogus").unwrap_err().to_string(),
            "bogus is not a valid pod status"
        );
        assert_eq!(
            PodFilter::parse("frob=1").unwrap_err().to_string(),
            "frob is an invalid filter"
        );
        assert_eq!(
            PodFilter::parse("name=x").unwrap(),
            PodFilter::Name("x".into())
        );
        assert_eq!(
            PodFilter::parse("ctr-number=2").unwrap(),
            PodFilter::CtrNumber(Some(2))
        );
    }
}
