//! Verbs front ends address by name, with their multi-container rules:
//! `rm` (looked up, then removed together) and `container cleanup`
//! (conmon's exit command).

use super::{Container, ExternalRemoval, RemoveOptions};
use crate::error::{Error, Result};
use crate::runtime::Runtime;

/// Options of `rm`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ContainerRmOptions {
    /// Every container (`-a`; no names then).
    pub all: bool,
    /// Stop running containers first (`-f`); also skips missing ones.
    pub force: bool,
    /// Skip missing containers (`-i`).
    pub ignore: bool,
    /// Remove anonymous volumes too (`-v`).
    pub volumes: bool,
    /// Seconds to wait for a stop (`-t`).
    pub timeout: Option<u32>,
}

/// The outcome of `rm` for one container.
#[derive(Debug)]
pub struct RmReport {
    /// The full ID, or the name given when the lookup failed.
    pub id: String,
    /// The name or ID as the caller gave it (empty with `all`): what
    /// Podman prints for a removed container.
    pub input: String,
    /// Why it was not removed.
    pub err: Option<Error>,
}

/// Options of `container cleanup`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CleanupOptions {
    /// Clean up this exec session instead of the container.
    pub exec: Option<String>,
    /// Remove the container afterwards (`--rm`; not with `exec`).
    pub remove: bool,
}

impl Runtime {
    /// Removes the containers `names` name (every one with `all`), all
    /// found ones in one batch ([`Container::remove_many`]); reports come
    /// in the order of the names. With `force` or `ignore`, missing
    /// containers, and ones removed by someone else meanwhile, are left
    /// out of the reports. A name the State does not know but the store
    /// does (an external container, [`Runtime::remove_external_container`])
    /// is removed from the store; `all` leaves external containers alone.
    pub fn remove_containers(
        &self,
        names: &[String],
        opts: &ContainerRmOptions,
    ) -> Result<Vec<RmReport>> {
        let skip_missing = opts.force || opts.ignore;
        let mut found: Vec<Container> = Vec::new();
        // Per target: the index into `found` with the name given, or a
        // finished report (a failed lookup, an external container removed).
        let mut outcomes: Vec<std::result::Result<(usize, String), RmReport>> = Vec::new();
        // With `all`, infra containers go with their pods, after the rest.
        let mut infras: Vec<Container> = Vec::new();
        let targets: Vec<(String, Result<Container>)> = if opts.all {
            let (infra, rest): (Vec<Container>, Vec<Container>) = self
                .containers()?
                .into_iter()
                .partition(|c| c.config().is_infra);
            infras = infra;
            rest.into_iter().map(|c| (String::new(), Ok(c))).collect()
        } else {
            names
                .iter()
                .map(|n| (n.clone(), self.lookup_container(n)))
                .collect()
        };
        for (name, target) in targets {
            // A name the State does not know may be an external container's
            // (Podman looks in the store first; the State wins a tie, as a
            // State container's storage is never external).
            let target = match target {
                Err(e) if e.is(&Error::NoSuchCtr) => {
                    match self.remove_external_container(&name, opts.force) {
                        Ok(ExternalRemoval::Removed) => {
                            outcomes.push(Err(RmReport {
                                id: name.clone(),
                                input: name,
                                err: None,
                            }));
                            continue;
                        }
                        Ok(ExternalRemoval::NotExternal) => Err(e),
                        Err(e) => Err(e),
                    }
                }
                other => other,
            };
            match target {
                Ok(c) => {
                    outcomes.push(Ok((found.len(), name)));
                    found.push(c);
                }
                Err(e) if skip_missing && e.is(&Error::NoSuchCtr) => {}
                Err(e) => outcomes.push(Err(RmReport {
                    id: name.clone(),
                    input: name,
                    err: Some(e),
                })),
            }
        }
        let remove = RemoveOptions {
            force: opts.force,
            volumes: opts.volumes,
            timeout: opts.timeout,
        };
        let mut results: Vec<Option<Result<()>>> = Container::remove_many(&mut found, remove)
            .into_iter()
            .map(Some)
            .collect();
        let mut reports = Vec::with_capacity(outcomes.len());
        for outcome in outcomes {
            let (i, input) = match outcome {
                Ok(found_at) => found_at,
                Err(report) => {
                    reports.push(report);
                    continue;
                }
            };
            let id = found[i].id().to_string();
            match results[i].take().unwrap_or(Ok(())) {
                Ok(()) => reports.push(RmReport {
                    id,
                    input,
                    err: None,
                }),
                // Removed by someone else since it was looked up.
                Err(e) if skip_missing && e.is(&Error::CtrRemoved) => {}
                Err(e) => reports.push(RmReport {
                    id,
                    input,
                    err: Some(e),
                }),
            }
        }
        reports.extend(self.remove_infra_pods(infras, opts));
        Ok(reports)
    }

    /// `rm --all` of infra containers: each goes by removing its pod (whose
    /// other containers were removed first); reported under the infra
    /// container's ID.
    fn remove_infra_pods(
        &self,
        infras: Vec<Container>,
        opts: &ContainerRmOptions,
    ) -> Vec<RmReport> {
        let mut reports = Vec::new();
        for infra in infras {
            let id = infra.id().to_string();
            let Some(pod_id) = infra.config().pod.clone() else {
                continue;
            };
            let removed = self.lookup_pod(&pod_id).and_then(|mut pod| {
                pod.remove(crate::pod::PodRmOptions {
                    force: opts.force,
                    timeout: opts.timeout,
                })
            });
            match removed {
                Ok(()) => reports.push(RmReport {
                    id,
                    input: String::new(),
                    err: None,
                }),
                Err(e) if e.is(&Error::NoSuchPod) || e.is(&Error::PodRemoved) => {}
                Err(e) => reports.push(RmReport {
                    id,
                    input: String::new(),
                    err: Some(e),
                }),
            }
        }
        reports
    }

    /// conmon's exit command for the container `name`: cleans it up (or
    /// one exec session) and, with `remove`, removes it. Returns the
    /// container's ID when the container itself was cleaned up, `None`
    /// when it was already gone or only an exec session was cleaned.
    pub fn cleanup_container(&self, name: &str, opts: &CleanupOptions) -> Result<Option<String>> {
        let mut c = match self.lookup_container(name) {
            Ok(c) => c,
            // Already removed (e.g. by `run --rm`): nothing to do.
            Err(e) if e.is(&Error::NoSuchCtr) => return Ok(None),
            Err(e) => return Err(e),
        };
        let cleaned = match &opts.exec {
            Some(session) => c.cleanup_exec(session),
            None => c.cleanup(),
        };
        match cleaned {
            Ok(()) => {}
            Err(e) if e.is(&Error::CtrRemoved) => return Ok(None),
            Err(e) => return Err(e),
        }
        if opts.exec.is_some() {
            return Ok(None);
        }
        if opts.remove {
            let remove = RemoveOptions {
                force: true,
                volumes: true,
                timeout: Some(0),
            };
            match c.remove(remove) {
                Ok(()) => {}
                Err(e) if e.is(&Error::CtrRemoved) || e.is(&Error::NoSuchCtr) => {}
                Err(e) => return Err(e),
            }
        }
        self.apply_pod_exit_policy(&c);
        Ok(Some(c.id().to_string()))
    }

    /// After a pod member exited: the pod's exit policy may stop the pod.
    /// Problems are logged; the member's cleanup succeeded regardless.
    fn apply_pod_exit_policy(&self, c: &Container) {
        let cfg = c.config();
        let Some(pod_id) = cfg.pod.as_deref() else {
            return;
        };
        if cfg.is_infra {
            return;
        }
        let stopped = self
            .lookup_pod(pod_id)
            .and_then(|mut pod| pod.stop_if_only_infra_remains(c.id()));
        match stopped {
            Ok(()) => {}
            Err(e) if e.is(&Error::NoSuchPod) || e.is(&Error::PodRemoved) => {}
            Err(e) => tracing::warn!("applying the exit policy of pod {pod_id}: {e}"),
        }
    }
}
