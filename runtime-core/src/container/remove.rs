//! `rm`.

use super::handle::HeldLock;
use super::{Container, ContainerStatus};
use crate::error::{Error, Result};
use crate::events::EventStatus;
use std::collections::BTreeSet;

/// How many containers one removal step takes with their locks held: each
/// step is one State transaction and one write of the storage indexes.
/// Bounded so that a huge `rm -a` holds a bounded number of locks (and, with
/// file locks, open files) at a time.
pub const REMOVAL_BATCH: usize = 64;

/// Options of `rm`.
#[derive(Debug, Clone, Copy, Default)]
pub struct RemoveOptions {
    /// Stop a running container first (`-f`).
    pub force: bool,
    /// Remove anonymous volumes too (`-v`).
    pub volumes: bool,
    /// Seconds to wait for a stop (`-t`); the container's timeout when `None`.
    pub timeout: Option<u32>,
}

/// Which pass of a removal a step belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// Checks every container; stopped ones are removed.
    First,
    /// Removes the running containers the first pass stopped.
    AfterStop,
}

/// What [`Container::check_removable`] decided.
enum Removable {
    /// Remove it in this step.
    Now,
    /// Running: stop it, then remove it in the second pass.
    AfterStop,
    /// Someone else removed it meanwhile.
    AlreadyGone,
}

impl Container {
    /// Removes the anonymous volumes the container used (`rm -v`); one still
    /// in use elsewhere is kept.
    fn remove_anonymous_volumes(&self) {
        let Ok(state) = self.rt.state() else { return };
        for nv in &self.rec.config.named_volumes {
            let Ok(v) = state.volume(&nv.name) else {
                continue;
            };
            if !v.config.is_anon {
                continue;
            }
            if let Err(e) = self.rt.remove_volume_if_unused(&nv.name) {
                tracing::warn!("removing volume {}: {e}", nv.name);
            }
        }
    }

    /// Removes the infra container of a pod being removed (its members
    /// are gone), stopping it first.
    pub(crate) fn remove_infra(&mut self) -> Result<()> {
        self.pod_removal = true;
        self.remove(RemoveOptions {
            force: true,
            volumes: true,
            timeout: Some(0),
        })
    }

    /// Removes the container: refuses a running one without `force` and one
    /// that others depend on; stops and cleans up, deletes its directories,
    /// its State record, then frees its lock; emits `remove` last.
    pub fn remove(&mut self, opts: RemoveOptions) -> Result<()> {
        Container::remove_many(std::slice::from_mut(self), opts)
            .into_iter()
            .next()
            .unwrap_or(Ok(()))
    }

    /// Removes each container as [`Container::remove`] does and returns
    /// the results in the same order. Containers are handled in steps of up
    /// to `REMOVAL_BATCH` whose locks are all held (taken in lock-ID
    /// order, so concurrent removals cannot deadlock), with one State
    /// transaction and one write of the storage indexes per step. Running
    /// containers (with `force`) are stopped after the first pass, one at a
    /// time, and removed in a second.
    pub fn remove_many(ctrs: &mut [Container], opts: RemoveOptions) -> Vec<Result<()>> {
        let mut results: Vec<Option<Result<()>>> = ctrs.iter().map(|_| None).collect();
        let mut order: Vec<usize> = (0..ctrs.len()).collect();
        order.sort_by_key(|&i| ctrs[i].lock.id());
        let mut to_stop = Vec::new();
        for step in order.chunks(REMOVAL_BATCH) {
            to_stop.extend(Container::remove_step(
                ctrs,
                step,
                opts,
                Pass::First,
                &mut results,
            ));
        }
        for &i in &to_stop {
            // A paused container is killed at once, as Podman does: its
            // process could not act on the stop signal before the timeout.
            let timeout = if ctrs[i].rec.state.state == ContainerStatus::Paused {
                Some(0)
            } else {
                opts.timeout
            };
            match ctrs[i].stop(timeout) {
                Ok(()) => {}
                Err(e) if e.is(&Error::CtrStopped) || e.is(&Error::CtrRemoved) => {}
                Err(e) => results[i] = Some(Err(e)),
            }
        }
        to_stop.retain(|&i| results[i].is_none());
        for step in to_stop.chunks(REMOVAL_BATCH) {
            Container::remove_step(ctrs, step, opts, Pass::AfterStop, &mut results);
        }
        results.into_iter().map(|r| r.unwrap_or(Ok(()))).collect()
    }

    /// Running, paused or stopping.
    fn is_active(&self) -> bool {
        matches!(
            self.rec.state.state,
            ContainerStatus::Running | ContainerStatus::Paused | ContainerStatus::Stopping
        )
    }

    /// One step: takes the locks of `ctrs[i]` for `i` in `step` (sorted by
    /// lock ID), checks each, and removes those that may go, filling in
    /// their results. Returns the running containers that must be stopped
    /// first (only in the first pass, only with `force`).
    fn remove_step(
        ctrs: &mut [Container],
        step: &[usize],
        opts: RemoveOptions,
        pass: Pass,
        results: &mut [Option<Result<()>>],
    ) -> Vec<usize> {
        let mut to_stop = Vec::new();
        let Some(&first) = step.first() else {
            return to_stop;
        };
        let rt = ctrs[first].rt.clone();
        let mut held: Vec<HeldLock> = Vec::with_capacity(step.len());
        let mut held_ids: BTreeSet<u32> = BTreeSet::new();
        // Containers to remove, each with the first cleanup problem seen
        // (reported as a warning: the removal goes on, as in Podman).
        let mut doomed: Vec<(usize, Option<Error>)> = Vec::with_capacity(step.len());
        for &i in step {
            let c = &mut ctrs[i];
            // A lock ID shared by two records (a damaged database) is taken
            // once: taking it twice would wait on ourselves.
            if held_ids.insert(c.lock.id()) {
                match HeldLock::take(&c.lock) {
                    Ok(h) => held.push(h),
                    Err(e) => {
                        results[i] = Some(Err(e));
                        continue;
                    }
                }
            }
            match c.check_removable(opts, pass) {
                Ok(Removable::Now) => {}
                Ok(Removable::AfterStop) => {
                    to_stop.push(i);
                    continue;
                }
                Ok(Removable::AlreadyGone) => {
                    results[i] = Some(Ok(()));
                    continue;
                }
                Err(e) => {
                    results[i] = Some(Err(e));
                    continue;
                }
            }
            // libpod saves a `Removing` state here; rpod skips that write:
            // every step below is idempotent, so a removal killed half-way
            // is finished by the next `rm`, which finds the container in its
            // last real state.
            let problem = c.cleanup_locked().err();
            doomed.push((i, problem));
        }
        if let Err(e) = crate::failpoint::hit("rm.cleanup") {
            for (i, _) in &doomed {
                results[*i] = Some(Err(Error::msg(e.to_string())));
            }
            return to_stop;
        }

        let in_storage: Vec<String> = doomed
            .iter()
            .filter(|(i, _)| ctrs[*i].uses_storage())
            .map(|(i, _)| ctrs[*i].id().to_string())
            .collect();
        if !in_storage.is_empty()
            && let Err(e) = rt
                .storage_or_err()
                .and_then(|s| s.delete_containers(&in_storage))
        {
            tracing::warn!("deleting the storage of removed containers: {e}");
        }
        if let Err(e) = crate::failpoint::hit("rm.storage") {
            for (i, _) in &doomed {
                results[*i] = Some(Err(Error::msg(e.to_string())));
            }
            return to_stop;
        }
        for (i, problem) in &mut doomed {
            let c = &ctrs[*i];
            for dir in [c.bundle_dir(), c.run_dir()] {
                if let Some(ctr_dir) = dir.parent()
                    && let Err(e) = std::fs::remove_dir_all(ctr_dir)
                    && e.kind() != std::io::ErrorKind::NotFound
                {
                    problem.get_or_insert(Error::io(ctr_dir, e));
                }
            }
        }

        let removed = Container::remove_records(&rt, ctrs, &doomed, results);
        if !removed.is_empty()
            && let Err(e) = crate::failpoint::hit("rm.record")
        {
            tracing::warn!("{e}");
        }
        for (i, problem) in doomed {
            if !removed.contains(&i) {
                continue;
            }
            let c = &ctrs[i];
            if opts.volumes {
                c.remove_anonymous_volumes();
            }
            let mut problem = problem;
            if let Err(e) = c.lock.free()
                && !e.is(&Error::LockNotAllocated(0))
            {
                problem.get_or_insert(e);
            }
            c.rt.emit(c.event(EventStatus::Remove));
            if let Some(e) = problem {
                tracing::warn!("cleaning up container {}: {e}", c.id());
            }
            results[i] = Some(Ok(()));
        }
        drop(held);
        to_stop
    }

    /// Under the lock: syncs and decides whether the container may be
    /// removed now. A running container needs `force` (then it is stopped
    /// first); one that others depend on is refused.
    fn check_removable(&mut self, opts: RemoveOptions, pass: Pass) -> Result<Removable> {
        match self.sync() {
            Ok(()) => {}
            // Removed while we stopped it (e.g. by `cleanup --rm`): done.
            Err(e) if pass == Pass::AfterStop && e.is(&Error::CtrRemoved) => {
                return Ok(Removable::AlreadyGone);
            }
            Err(e) => return Err(e),
        }
        if pass == Pass::AfterStop {
            if matches!(
                self.rec.state.state,
                ContainerStatus::Running | ContainerStatus::Paused
            ) {
                return Err(Error::CtrStateInvalid.context(format!(
                    "container {} was restarted while being removed",
                    self.id()
                )));
            }
            return Ok(Removable::Now);
        }
        if self.rec.config.is_infra && !self.pod_removal {
            return Err(Error::msg(format!(
                "container {} is the infra container of pod {} and cannot be removed without removing the pod",
                self.id(),
                self.rec.config.pod.as_deref().unwrap_or_default()
            )));
        }
        if !opts.force && self.is_active() {
            return Err(Error::CtrStateInvalid.context(format!(
                "cannot remove container {} as it is running - running or paused containers cannot be removed without force",
                self.id()
            )));
        }
        let users = self.rt.state()?.container_in_use(self.id())?;
        if !users.is_empty() {
            return Err(Error::CtrExists.context(format!(
                "container {} has dependent containers which must be removed before it: {}",
                self.id(),
                users.join(", ")
            )));
        }
        Ok(if self.is_active() {
            Removable::AfterStop
        } else {
            Removable::Now
        })
    }

    /// Removes the State records of `doomed` in one transaction; if that
    /// fails, one at a time so that each container gets its own error.
    /// Returns the indexes of the containers whose record is gone.
    fn remove_records(
        rt: &crate::runtime::Runtime,
        ctrs: &[Container],
        doomed: &[(usize, Option<Error>)],
        results: &mut [Option<Result<()>>],
    ) -> BTreeSet<usize> {
        let state = match rt.state() {
            Ok(s) => s,
            Err(e) => {
                let text = e.to_string();
                let mut first = Some(e);
                for (i, _) in doomed {
                    let e = first.take().unwrap_or_else(|| Error::msg(text.clone()));
                    results[*i] = Some(Err(e));
                }
                return BTreeSet::new();
            }
        };
        let ids: Vec<String> = doomed
            .iter()
            .map(|(i, _)| ctrs[*i].id().to_string())
            .collect();
        match state.remove_containers(&ids) {
            Ok(()) => return doomed.iter().map(|(i, _)| *i).collect(),
            Err(e) => tracing::debug!("removing {} containers at once: {e}", ids.len()),
        }
        let mut removed = BTreeSet::new();
        for (i, _) in doomed {
            // The same transaction for one container: sessions and record
            // go together or not at all.
            match state.remove_containers(std::slice::from_ref(&ctrs[*i].rec.config.id)) {
                Ok(()) => {
                    removed.insert(*i);
                }
                Err(e) => results[*i] = Some(Err(e)),
            }
        }
        removed
    }
}
