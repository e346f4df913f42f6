//! `system check [--repair] [--force]`: finds what crashes and other tools
//! leave inconsistent between the State, the store, the lock manager and the
//! OCI runtime, and repairs it.
//!
//! What is repaired with `--repair`: operations that died half-way (their
//! intent records, see [`crate::intent`]), runtime containers and conmons no
//! record accounts for, locks no object owns, locks two objects share,
//! records whose storage is gone (their removal is finished), and
//! unreferenced layers older than `--max`. With `--force` also (lossy):
//! storage containers without a record that no intent explains (they may
//! belong to another tool). A damaged database is only reported.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::{DateTime, Duration, Utc};

use crate::container::{ContainerStatus, ExternalOrigin};
use crate::error::{Error, Result};
use crate::intent::{self, Abandoned, IntentOp};
use crate::oci::RuntimeLeftover;
use crate::runtime::Runtime;

/// Options of `system check`.
#[derive(Debug, Clone, Copy)]
pub struct CheckOptions {
    /// Repair what can be repaired without losing data (`--repair`).
    pub repair: bool,
    /// Also remove objects whose data may be someone else's (`--force`).
    pub force: bool,
    /// Skip the slow checks (the database's integrity check) (`--quick`).
    pub quick: bool,
    /// Unreferenced layers younger than this are left alone (`--max`; a
    /// pull or commit in progress makes such layers).
    pub max_age: Duration,
}

impl Default for CheckOptions {
    fn default() -> Self {
        CheckOptions {
            repair: false,
            force: false,
            quick: false,
            max_age: Duration::hours(24),
        }
    }
}

/// One kind of damage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Damage {
    /// A `create` died: it may have left a storage container, a lock and
    /// directories, and no State record.
    InterruptedCreate {
        /// Container ID.
        id: String,
        /// The name it was to have.
        name: String,
    },
    /// An `init`/`start` died after the runtime may have made the container.
    InterruptedInit {
        /// Container ID.
        id: String,
    },
    /// A storage container with no State record and no intent explaining it.
    StorageOnlyContainer {
        /// Container ID.
        id: String,
        /// Its name in the store.
        name: String,
        /// Who made it, as far as can be told.
        origin: ExternalOrigin,
    },
    /// A container record whose storage container is gone.
    MissingStorage {
        /// Container ID.
        id: String,
        /// Its name.
        name: String,
    },
    /// A runtime container or conmon that no live record accounts for.
    RuntimeLeftover(RuntimeLeftover),
    /// An allocated lock that no container, pod or volume owns.
    LeakedLock(u32),
    /// A lock that several objects own.
    SharedLock {
        /// The lock.
        lock: u32,
        /// The owners (`container NAME`, `pod NAME`, `volume NAME`).
        owners: Vec<String>,
    },
    /// A layer no image, container or other layer uses.
    OrphanLayer {
        /// Layer ID.
        id: String,
    },
    /// The State database failed its own integrity check.
    Database(String),
}

impl Damage {
    /// One line saying what is wrong.
    pub fn describe(&self) -> String {
        match self {
            Damage::InterruptedCreate { id, name } => {
                format!("Interrupted create of container {id} ({name})")
            }
            Damage::InterruptedInit { id } => format!("Interrupted start of container {id}"),
            Damage::StorageOnlyContainer { id, name, origin } => format!(
                "Container {id} ({name}) is in storage ({}) but has no record",
                origin.as_str()
            ),
            Damage::MissingStorage { id, name } => {
                format!("Container {id} ({name}) has a record but its storage is gone")
            }
            Damage::RuntimeLeftover(l) => {
                let mut what = Vec::new();
                if l.in_runtime {
                    what.push("runtime container".to_string());
                }
                if let Some(p) = l.monitor_pid {
                    what.push(format!("conmon (PID {p})"));
                }
                format!(
                    "Container {} has a leftover {} and no live record",
                    l.id,
                    what.join(" and ")
                )
            }
            Damage::LeakedLock(n) => format!("Lock {n} is allocated but no object owns it"),
            Damage::SharedLock { lock, owners } => {
                format!("Lock {lock} is shared by {}", owners.join(", "))
            }
            Damage::OrphanLayer { id } => {
                format!("Layer {id} is not used by any image or container")
            }
            Damage::Database(p) => format!("Database: {p}"),
        }
    }

    /// Whether `opts` allow repairing it.
    fn allowed(&self, opts: &CheckOptions) -> bool {
        match self {
            Damage::Database(_) => false,
            Damage::StorageOnlyContainer { .. } => opts.force,
            _ => opts.repair || opts.force,
        }
    }
}

/// One finding and what became of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What is wrong.
    pub damage: Damage,
    /// It was repaired.
    pub repaired: bool,
    /// Why a repair that was attempted failed.
    pub error: Option<String>,
}

/// Everything one `system check` found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CheckReport {
    /// The findings, in the order they were checked.
    pub findings: Vec<Finding>,
}

impl CheckReport {
    /// True when some damage is still there (not repaired).
    pub fn damaged(&self) -> bool {
        self.findings.iter().any(|f| !f.repaired)
    }
}

impl Runtime {
    /// Checks (and with `repair`/`force`, repairs) the engine's stores.
    pub fn system_check(&self, opts: &CheckOptions) -> Result<CheckReport> {
        let mut report = CheckReport::default();
        let intents_dir = intent::intents_dir(&self.paths()?.static_dir);
        let scan = intent::scan(&intents_dir)?;
        let live: HashSet<String> = scan.live.iter().cloned().collect();

        // 1. Operations that died half-way.
        for a in scan.abandoned {
            let damage = match a.record.op {
                IntentOp::Create => Damage::InterruptedCreate {
                    id: a.record.id.clone(),
                    name: a.record.name.clone(),
                },
                IntentOp::Init => Damage::InterruptedInit {
                    id: a.record.id.clone(),
                },
            };
            let done = self.finished(&a)?;
            if done {
                // Completed before the process died: only the record is left.
                let _ = a.resolve();
                continue;
            }
            let res = damage.allowed(opts).then(|| self.undo_interrupted(a));
            report.push(damage, res);
        }

        // 2. Runtime containers and conmons that no live record explains.
        for l in self.runtime_leftovers(&live)? {
            let oci = self.oci_for("")?;
            let damage = Damage::RuntimeLeftover(l.clone());
            let res = damage.allowed(opts).then(|| oci.remove_leftover(&l));
            report.push(damage, res);
        }

        // 3. Storage containers without records, records without storage.
        self.check_storage_links(opts, &live, &mut report)?;

        // 4. Locks: leaked and shared (after the repairs above freed theirs).
        if live.is_empty() {
            self.check_locks(opts, &mut report)?;
        }

        // 5. Unreferenced layers older than max_age.
        self.check_layers(opts, &mut report)?;

        // 6. The database itself.
        if !opts.quick {
            for p in self.state()?.check_integrity()? {
                report.push(Damage::Database(p), None);
            }
        }
        Ok(report)
    }

    /// Whether the operation an abandoned record names actually completed.
    fn finished(&self, a: &Abandoned) -> Result<bool> {
        let state = self.state()?;
        match a.record.op {
            IntentOp::Create => state.has_container(&a.record.id),
            IntentOp::Init => Ok(match state.container(&a.record.id) {
                Ok(rec) => !matches!(
                    rec.state.state,
                    ContainerStatus::Configured | ContainerStatus::Exited
                ),
                Err(e) if e.is(&Error::NoSuchCtr) => false,
                Err(e) => return Err(e),
            }),
        }
    }

    /// Undoes what an interrupted operation may have made, then drops its
    /// record.
    fn undo_interrupted(&self, a: Abandoned) -> Result<()> {
        let id = a.record.id.clone();
        match a.record.op {
            IntentOp::Create => {
                if let Some(store) = self.storage()?
                    && store.containers()?.iter().any(|c| c.id == id)
                {
                    store.delete_container(&id)?;
                }
                let dirs = self.container_dirs(&id)?;
                for d in [dirs.dir.parent(), dirs.run_dir.parent()]
                    .into_iter()
                    .flatten()
                {
                    if d.file_name().is_some_and(|n| n == id.as_str()) {
                        remove_dir_quietly(d)?;
                    }
                }
                if let Some(n) = a.record.lock
                    && !self.lock_owners()?.contains_key(&n)
                {
                    let _ = self.lock_manager()?.retrieve(n)?.free();
                }
            }
            IntentOp::Init => {
                let oci = self.oci_for("")?;
                let under = self.storage_root()?;
                for l in oci
                    .list_leftovers(&under)?
                    .into_iter()
                    .filter(|l| l.id == id)
                {
                    oci.remove_leftover(&l)?;
                }
                if self.state()?.has_container(&id)? {
                    // Unmounts /dev/shm and the root filesystem it mounted.
                    let mut ctr = self.lookup_container(&id)?;
                    ctr.cleanup()?;
                }
            }
        }
        a.resolve()
    }

    /// Where this engine's bundles live: runtime containers with bundles
    /// elsewhere belong to someone else.
    fn storage_root(&self) -> Result<std::path::PathBuf> {
        Ok(match self.storage()? {
            Some(s) => s.graph_root(),
            None => self.paths()?.static_dir.clone(),
        })
    }

    /// Runtime containers and conmons under this engine's storage that no
    /// live record explains (none, or one that says the runtime has
    /// nothing), skipping containers with an operation in progress.
    fn runtime_leftovers(&self, live: &HashSet<String>) -> Result<Vec<RuntimeLeftover>> {
        let oci = self.oci_for("")?;
        let under = self.storage_root()?;
        let state = self.state()?;
        let mut out = Vec::new();
        for l in oci.list_leftovers(&under)? {
            if live.contains(&l.id) {
                continue;
            }
            // Under the container's lock, so a cleanup or removal in
            // progress (conmon's exit command) finishes first.
            let held = match self.lookup_container(&l.id) {
                Ok(ctr) => Some((crate::container::HeldLock::take(&ctr.lock)?, ctr)),
                Err(e) if e.is(&Error::NoSuchCtr) => None,
                Err(e) => return Err(e),
            };
            let explained = match state.container(&l.id) {
                Ok(rec) => !matches!(
                    rec.state.state,
                    ContainerStatus::Configured | ContainerStatus::Exited
                ),
                Err(e) if e.is(&Error::NoSuchCtr) => false,
                Err(e) => return Err(e),
            };
            drop(held);
            if explained {
                continue;
            }
            // A conmon alone is usually on its way out (it exits once its
            // exit command has run): give it a moment.
            if !l.in_runtime
                && let Some(pid) = l.monitor_pid
                && exits_within(pid, std::time::Duration::from_secs(2))
            {
                continue;
            }
            out.push(l);
        }
        Ok(out)
    }

    fn check_storage_links(
        &self,
        opts: &CheckOptions,
        live: &HashSet<String>,
        report: &mut CheckReport,
    ) -> Result<()> {
        let Some(store) = self.storage()? else {
            return Ok(());
        };
        for ext in self.external_containers()? {
            if live.contains(&ext.id) {
                continue;
            }
            let damage = Damage::StorageOnlyContainer {
                id: ext.id.clone(),
                name: ext.name.clone(),
                origin: ext.origin,
            };
            let res = damage
                .allowed(opts)
                .then(|| store.delete_container(&ext.id));
            report.push(damage, res);
        }
        let in_store: HashSet<String> = store.containers()?.into_iter().map(|c| c.id).collect();
        for rec in self.state()?.all_containers(false)? {
            if rec.config.rootfs_image_id.is_empty()
                || in_store.contains(&rec.config.id)
                || live.contains(&rec.config.id)
            {
                continue;
            }
            let damage = Damage::MissingStorage {
                id: rec.config.id.clone(),
                name: rec.config.name.clone(),
            };
            // Its storage is already gone, so finishing the removal loses
            // nothing more: the normal `rm -f` path, under its lock (an
            // interrupted removal is finished, one in progress waited for).
            let res = damage
                .allowed(opts)
                .then(|| match self.lookup_container(&rec.config.id) {
                    Ok(mut ctr) => ctr
                        .remove(crate::container::RemoveOptions {
                            force: true,
                            timeout: Some(0),
                            ..Default::default()
                        })
                        .or_else(|e| {
                            if e.is(&Error::CtrRemoved) || e.is(&Error::NoSuchCtr) {
                                Ok(())
                            } else {
                                Err(e)
                            }
                        }),
                    Err(e) if e.is(&Error::NoSuchCtr) => Ok(()),
                    Err(e) => Err(e),
                });
            report.push(damage, res);
        }
        Ok(())
    }

    /// Lock ID → owners (`container NAME`, `pod NAME`, `volume NAME`).
    fn lock_owners(&self) -> Result<BTreeMap<u32, Vec<String>>> {
        let state = self.state()?;
        let mut owners: BTreeMap<u32, Vec<String>> = BTreeMap::new();
        for c in state.all_containers(false)? {
            owners
                .entry(c.config.lock_id)
                .or_default()
                .push(format!("container {}", c.config.name));
        }
        for p in state.all_pods()? {
            owners
                .entry(p.config.lock_id)
                .or_default()
                .push(format!("pod {}", p.config.name));
        }
        for v in state.all_volumes()? {
            owners
                .entry(v.config.lock_id)
                .or_default()
                .push(format!("volume {}", v.config.name));
        }
        Ok(owners)
    }

    fn check_locks(&self, opts: &CheckOptions, report: &mut CheckReport) -> Result<()> {
        let manager = self.lock_manager()?;
        let owners = self.lock_owners()?;
        if let Some(allocated) = manager.allocated_ids()? {
            for n in allocated.into_iter().filter(|n| !owners.contains_key(n)) {
                let damage = Damage::LeakedLock(n);
                let res = damage
                    .allowed(opts)
                    .then(|| manager.retrieve(n).and_then(|l| l.free()));
                report.push(damage, res);
            }
        }
        for (lock, names) in owners.into_iter().filter(|(_, o)| o.len() > 1) {
            let damage = Damage::SharedLock {
                lock,
                owners: names,
            };
            let res = damage.allowed(opts).then(|| self.unshare_lock(lock));
            report.push(damage, res);
        }
        Ok(())
    }

    /// Gives every container but the first that owns `lock` a lock of its
    /// own (pods and volumes sharing a lock are reported, not changed).
    fn unshare_lock(&self, lock: u32) -> Result<()> {
        let state = self.state()?;
        let sharing: Vec<_> = state
            .all_containers(false)?
            .into_iter()
            .filter(|c| c.config.lock_id == lock)
            .skip(1)
            .collect();
        for mut c in sharing {
            let fresh = self.lock_manager()?.allocate()?;
            c.config.lock_id = fresh.id();
            if let Err(e) = state.rewrite_container_config(&c.config) {
                let _ = fresh.free();
                return Err(e);
            }
        }
        Ok(())
    }

    fn check_layers(&self, opts: &CheckOptions, report: &mut CheckReport) -> Result<()> {
        let Some(store) = self.storage()? else {
            return Ok(());
        };
        let layers = store.layers()?;
        let parent_of: BTreeMap<&str, &str> = layers
            .iter()
            .map(|l| (l.id.as_str(), l.parent.as_str()))
            .collect();
        let mut used: BTreeSet<&str> = BTreeSet::new();
        let images = store.images()?;
        let ctrs = store.containers()?;
        let tops = images
            .iter()
            .map(|i| i.top_layer.as_str())
            .chain(ctrs.iter().map(|c| c.layer.as_str()));
        for top in tops {
            let mut cur = top;
            while !cur.is_empty() && used.insert(cur) {
                cur = parent_of.get(cur).copied().unwrap_or("");
            }
        }
        let cutoff: DateTime<Utc> = Utc::now() - opts.max_age;
        // Children before parents, so a chain of orphans goes in one run.
        let mut orphans: Vec<&crate::storage::LayerRecord> = layers
            .iter()
            .filter(|l| !used.contains(l.id.as_str()))
            .filter(|l| l.created.is_none_or(|t| t <= cutoff))
            .collect();
        let depth = |id: &str| {
            let mut d = 0;
            let mut cur = id;
            while let Some(p) = parent_of.get(cur).filter(|p| !p.is_empty()) {
                d += 1;
                cur = p;
            }
            d
        };
        orphans.sort_by_key(|l| std::cmp::Reverse(depth(&l.id)));
        for l in orphans {
            let damage = Damage::OrphanLayer { id: l.id.clone() };
            let res = damage.allowed(opts).then(|| store.remove_layer(&l.id));
            report.push(damage, res);
        }
        Ok(())
    }
}

impl CheckReport {
    /// Records a finding; `repair` is the repair's outcome when one was
    /// attempted.
    fn push(&mut self, damage: Damage, repair: Option<Result<()>>) {
        let (repaired, error) = match repair {
            None => (false, None),
            Some(Ok(())) => (true, None),
            Some(Err(e)) => (false, Some(e.to_string())),
        };
        self.findings.push(Finding {
            damage,
            repaired,
            error,
        });
    }
}

/// Waits up to `limit` for process `pid` to exit; true when it did.
fn exits_within(pid: i32, limit: std::time::Duration) -> bool {
    let until = std::time::Instant::now() + limit;
    loop {
        if !crate::process::is_alive(pid, 0) {
            return true;
        }
        if std::time::Instant::now() >= until {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn remove_dir_quietly(d: &std::path::Path) -> Result<()> {
    match std::fs::remove_dir_all(d) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(d, e)),
        _ => Ok(()),
    }
}
