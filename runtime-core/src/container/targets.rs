//! Which containers a multi-container verb (`stop`, `kill`, `pause`,
//! `unpause`, `restart`) acts on, and how each is reported: every name is
//! looked up before anything is done, so a typo leaves the others alone,
//! and a container is reported by the name or ID as given (its full ID
//! with `all`).

use super::{Container, ContainerStatus};
use crate::error::{Error, Result};
use crate::runtime::Runtime;

/// Which containers `all` selects.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum TargetScope {
    /// Every container.
    #[default]
    Every,
    /// Running or paused ones (`stop`, `kill`, `pause`).
    Active,
    /// Paused ones (`unpause`).
    Paused,
}

impl TargetScope {
    /// Whether a container in `status` is selected.
    pub fn selects(self, status: ContainerStatus) -> bool {
        match self {
            TargetScope::Every => true,
            TargetScope::Active => {
                matches!(status, ContainerStatus::Running | ContainerStatus::Paused)
            }
            TargetScope::Paused => status == ContainerStatus::Paused,
        }
    }
}

/// How [`Runtime::resolve_targets`] picks containers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TargetOptions {
    /// Every container in `scope` instead of the names.
    pub all: bool,
    /// Which containers `all` selects.
    pub scope: TargetScope,
    /// Leave out names that match no container instead of failing.
    pub ignore_missing: bool,
}

/// A container a verb acts on.
#[derive(Debug)]
pub struct Target {
    /// What to print once the verb succeeded: the name or ID as the caller
    /// gave it, or the full ID with `all`.
    pub label: String,
    /// The container.
    pub container: Container,
}

impl Runtime {
    /// Looks up every name (or, with `all`, every container in `scope`)
    /// before the caller acts on any: the first name that matches no
    /// container fails the whole call (unless `ignore_missing`), as
    /// Podman does. Targets come in the order of the names.
    pub fn resolve_targets(&self, names: &[String], opts: &TargetOptions) -> Result<Vec<Target>> {
        if opts.all {
            return Ok(self
                .containers()?
                .into_iter()
                .filter(|c| opts.scope.selects(c.state().state))
                .map(|c| Target {
                    label: c.id().to_string(),
                    container: c,
                })
                .collect());
        }
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            match self.lookup_container(name) {
                Ok(container) => out.push(Target {
                    label: name.clone(),
                    container,
                }),
                Err(e) if opts.ignore_missing && e.is(&Error::NoSuchCtr) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_select_by_status() {
        use ContainerStatus as S;
        for s in [S::Created, S::Running, S::Paused, S::Exited, S::Stopped] {
            assert!(TargetScope::Every.selects(s));
            assert_eq!(
                TargetScope::Active.selects(s),
                matches!(s, S::Running | S::Paused)
            );
            assert_eq!(TargetScope::Paused.selects(s), s == S::Paused);
        }
    }
}
