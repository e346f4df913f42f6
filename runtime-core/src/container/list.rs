//! `ps`: which containers a listing shows. Filters of one key are
//! alternatives, filters of different keys must all pass (Podman's rule).

use chrono::{DateTime, Utc};

use super::external::ExternalContainer;
use super::{Container, ContainerRecord, ContainerStatus};
use crate::error::{Error, Result};
use crate::image::LabelFilter;
use crate::runtime::Runtime;

/// The statuses a `status=` filter accepts.
const STATUSES: [&str; 10] = [
    "created",
    "configured",
    "initialized",
    "exited",
    "paused",
    "running",
    "stopped",
    "stopping",
    "removing",
    "unknown",
];

/// One container filter (`key=value`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ContainerFilter {
    /// `id=PREFIX`.
    Id(String),
    /// `name=PART`: the name contains it.
    Name(String),
    /// `status=STATUS`.
    Status(String),
    /// `label=KEY[=VALUE]`.
    Label(LabelFilter),
    /// `exited=CODE`: exited with that code (a value that is no number
    /// matches nothing).
    Exited(Option<i32>),
    /// `ancestor=PART`: made from an image whose name contains it.
    Ancestor(String),
    /// `pod=ID`: in the pod with this full ID or ID prefix (a front end
    /// resolves pod names to IDs first).
    Pod(String),
}

impl ContainerFilter {
    /// Parses `key=value` (key case-insensitive), with Podman's messages.
    pub fn parse(spec: &str) -> Result<ContainerFilter> {
        let (k, v) = spec
            .split_once('=')
            .ok_or_else(|| Error::msg(format!("invalid filter {spec:?}")))?;
        let value = v.to_string();
        Ok(match k.to_ascii_lowercase().as_str() {
            "id" => ContainerFilter::Id(value),
            "name" => ContainerFilter::Name(value),
            "status" if STATUSES.contains(&v) => ContainerFilter::Status(value),
            "status" => return Err(Error::msg(format!("{v} is not a valid status"))),
            "label" => ContainerFilter::Label(LabelFilter::parse(v, false)),
            "exited" => ContainerFilter::Exited(v.parse().ok()),
            "ancestor" => ContainerFilter::Ancestor(value),
            "pod" => ContainerFilter::Pod(value),
            other => return Err(Error::msg(format!("{other} is an invalid filter"))),
        })
    }

    /// The filter's key: filters of one key are alternatives.
    pub fn key(&self) -> &'static str {
        match self {
            ContainerFilter::Id(_) => "id",
            ContainerFilter::Name(_) => "name",
            ContainerFilter::Status(_) => "status",
            ContainerFilter::Label(_) => "label",
            ContainerFilter::Exited(_) => "exited",
            ContainerFilter::Ancestor(_) => "ancestor",
            ContainerFilter::Pod(_) => "pod",
        }
    }

    /// True when the container passes this filter.
    pub fn matches(&self, rec: &ContainerRecord) -> bool {
        let (cfg, st) = (&rec.config, &rec.state);
        match self {
            ContainerFilter::Id(p) => cfg.id.starts_with(p.as_str()),
            ContainerFilter::Name(p) => cfg.name.contains(p.as_str()),
            ContainerFilter::Status(s) => {
                // Podman's names: a configured container counts as
                // created, and stopped is another word for exited.
                let state = match st.state {
                    ContainerStatus::Configured => "created",
                    ContainerStatus::Stopped => "exited",
                    other => other.as_str(),
                };
                state == if s == "stopped" { "exited" } else { s.as_str() }
            }
            ContainerFilter::Label(f) => f.passes(&cfg.labels),
            ContainerFilter::Exited(code) => st.exited && *code == Some(st.exit_code),
            ContainerFilter::Ancestor(p) => {
                !cfg.rootfs_image_name.is_empty() && cfg.rootfs_image_name.contains(p.as_str())
            }
            ContainerFilter::Pod(p) => cfg
                .pod
                .as_deref()
                .is_some_and(|id| !p.is_empty() && id.starts_with(p.as_str())),
        }
    }
}

/// True when `rec` passes `filters`: for each key, at least one filter.
pub fn passes_filters(rec: &ContainerRecord, filters: &[ContainerFilter]) -> bool {
    filters.iter().all(|f| {
        filters
            .iter()
            .filter(|g| g.key() == f.key())
            .any(|g| g.matches(rec))
    })
}

/// Options of `ps`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContainerListOptions {
    /// Every container, not only running ones (also implied by a positive
    /// `last`, by `latest` and by a `status=` filter).
    pub all: bool,
    /// Only the newest this many.
    pub last: Option<usize>,
    /// Only the newest one.
    pub latest: bool,
    /// Filters every container shown passes.
    pub filters: Vec<ContainerFilter>,
    /// Also the store's containers the State has no record of
    /// ([`ExternalContainer`]), whatever `all` and the filters say.
    pub external: bool,
}

/// One row of a listing.
#[derive(Debug)]
pub enum ListedContainer {
    /// A container the engine manages.
    Engine(Box<Container>),
    /// A storage container without a State record (`--external`).
    External(ExternalContainer),
}

impl ListedContainer {
    /// Full ID.
    pub fn id(&self) -> &str {
        match self {
            ListedContainer::Engine(c) => c.id(),
            ListedContainer::External(e) => &e.id,
        }
    }

    /// When it was made.
    pub fn created(&self) -> DateTime<Utc> {
        match self {
            ListedContainer::Engine(c) => c.config().created_time,
            ListedContainer::External(e) => e.created,
        }
    }
}

impl Runtime {
    /// The containers `opts` selects, oldest first as Podman lists them
    /// (`last` and `latest` keep the newest), as listing handles
    /// ([`Runtime::containers_for_listing`]); those that should be running
    /// are synced first, so exits no cleanup recorded yet show. With
    /// `external`, the external containers join the list before `last`
    /// cuts it.
    pub fn list_containers(&self, opts: &ContainerListOptions) -> Result<Vec<ListedContainer>> {
        let mut ctrs = self.containers_for_listing()?;
        for c in ctrs.iter_mut() {
            if matches!(
                c.state().state,
                ContainerStatus::Running | ContainerStatus::Paused | ContainerStatus::Stopping
            ) && let Err(e) = c.refresh_state()
            {
                tracing::debug!("syncing container {} for a listing: {e}", c.id());
            }
        }
        // Podman's rule: only a status filter widens the listing past
        // running containers; other filters narrow what `all` selects.
        let all = opts.all
            || opts.last.is_some_and(|n| n > 0)
            || opts.latest
            || opts
                .filters
                .iter()
                .any(|f| matches!(f, ContainerFilter::Status(_)));
        let mut list: Vec<Container> = ctrs
            .into_iter()
            .filter(|c| all || c.state().state == ContainerStatus::Running)
            .filter(|c| passes_filters(c.record(), &opts.filters))
            .collect();
        list.sort_by_key(|c| std::cmp::Reverse(c.config().created_time));
        if opts.latest {
            list.truncate(1);
        }
        let mut rows: Vec<ListedContainer> = list
            .into_iter()
            .map(|c| ListedContainer::Engine(Box::new(c)))
            .collect();
        if opts.external {
            rows.extend(
                self.external_containers()?
                    .into_iter()
                    .map(ListedContainer::External),
            );
            rows.sort_by_key(|c| std::cmp::Reverse(c.created()));
        }
        if let Some(n) = opts.last.filter(|_| !opts.latest) {
            rows.truncate(n);
        }
        rows.reverse();
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::ContainerConfig;

    fn record(name: &str, status: ContainerStatus, code: i32) -> ContainerRecord {
        let mut rec = ContainerRecord::new(ContainerConfig::new(format!("{name}-id"), name, 1));
        rec.state.state = status;
        rec.state.exited = status == ContainerStatus::Exited;
        rec.state.exit_code = code;
        rec.config.labels.insert("tier".into(), "web".into());
        rec
    }

    fn parse(specs: &[&str]) -> Vec<ContainerFilter> {
        specs
            .iter()
            .map(|s| ContainerFilter::parse(s).unwrap())
            .collect()
    }

    #[test]
    fn one_key_is_any_of_several_keys_are_all_of() {
        let web = record("web", ContainerStatus::Running, 0);
        let db = record("db", ContainerStatus::Exited, 3);
        let names = parse(&["name=web", "name=db"]);
        assert!(passes_filters(&web, &names) && passes_filters(&db, &names));
        let both = parse(&["name=web", "status=exited"]);
        assert!(!passes_filters(&web, &both) && !passes_filters(&db, &both));
        assert!(passes_filters(&db, &parse(&["exited=3", "label=tier=web"])));
        assert!(!passes_filters(&db, &parse(&["exited=x"])));
        assert!(passes_filters(&web, &parse(&["ID=web"])));
    }

    #[test]
    fn status_filters_use_podmans_names() {
        let created = record("c", ContainerStatus::Configured, 0);
        let stopped = record("s", ContainerStatus::Stopped, 0);
        let exited = record("e", ContainerStatus::Exited, 0);
        assert!(passes_filters(&created, &parse(&["status=created"])));
        assert!(!passes_filters(&created, &parse(&["status=configured"])));
        for rec in [&stopped, &exited] {
            assert!(passes_filters(rec, &parse(&["status=stopped"])));
            assert!(passes_filters(rec, &parse(&["status=exited"])));
        }
    }

    #[test]
    fn bad_filters_say_why() {
        let msg = |s: &str| ContainerFilter::parse(s).unwrap_err().to_string();
        assert_eq!(msg("nokey"), "invalid filter \"nokey\"");
        assert_eq!(msg("colour=red"), "colour is an invalid filter");
        assert_eq!(msg("status=sleepy"), "sleepy is not a valid status");
    }
}
