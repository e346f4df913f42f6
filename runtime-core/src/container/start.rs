//! `init` (create in the OCI runtime) and `start`.

use chrono::Utc;

use super::spec;
use super::workdir;
use super::{Container, ContainerStatus};
use crate::error::{Error, IoResultExt, Result, ResultExt};
use crate::events::EventStatus;
use crate::failpoint;
use crate::intent::{self, Intent, IntentOp};

/// Files conmon leaves in the bundle that must go before a new `create`.
const CONMON_FILES: [&str; 4] = ["attach", "ctl", "winsz", "oom"];

impl Container {
    /// What the run files (`hostname`, `hosts`, `resolv.conf`, `.containerenv`) depend on.
    pub(crate) fn run_file_options(&self, spec: &oci_spec::runtime::Spec) -> spec::SpecOptions {
        let cfg = &self.rec.config;
        spec::SpecOptions {
            id: cfg.id.clone(),
            name: cfg.name.clone(),
            rootfs: spec
                .root()
                .as_ref()
                .map(|r| r.path().clone())
                .unwrap_or_default(),
            bundle: self.bundle_dir(),
            run_dir: self.run_dir(),
            entrypoint: Vec::new(),
            settings: spec::ContainerSettings {
                command: cfg.command.clone(),
                hostname: spec.hostname().clone().unwrap_or_default(),
                privileged: cfg.privileged,
                network: match cfg.net_mode.as_str() {
                    "none" => spec::NetworkMode::None,
                    "host" => spec::NetworkMode::Host,
                    _ => spec::NetworkMode::Private,
                },
                ..Default::default()
            },
            cgroup_parent: String::new(),
            cgroup_manager: String::new(),
            annotations: Default::default(),
            stop_signal: cfg.stop_signal,
            created: cfg.created_time,
        }
    }

    /// Writes `config.json` and the run files, mounts `/dev/shm`, and creates
    /// the container in the OCI runtime (state `Created`). The caller holds
    /// the lock and has synced.
    pub(crate) fn init_locked(&mut self) -> Result<()> {
        match self.rec.state.state {
            ContainerStatus::Configured | ContainerStatus::Exited => {}
            ContainerStatus::Stopped => self.cleanup_runtime()?,
            _ => {
                return Err(self
                    .improper("container must be in Created or Stopped state to be initialized"));
            }
        }
        self.start_dependencies()?;
        // A start that died after the runtime made the container left it
        // (and its conmon) behind: clear them before making a new one.
        let intents = intent::intents_dir(&self.rt.paths()?.static_dir);
        if intent::is_abandoned(&intents, IntentOp::Init, self.id()) {
            self.clear_runtime_leftovers()?;
        }
        let journal = Intent::begin(&intents, IntentOp::Init, self.id(), self.name())?;
        let result = self.init_journaled();
        if result.is_ok()
            || matches!(
                self.rec.state.state,
                ContainerStatus::Configured | ContainerStatus::Exited
            )
        {
            journal.finish()?;
        }
        result
    }

    /// Deletes a runtime container and conmon this container's ID still has.
    fn clear_runtime_leftovers(&self) -> Result<()> {
        let oci = self.oci()?;
        let under = match self.rt.storage()? {
            Some(s) => s.graph_root(),
            None => self.rt.paths()?.static_dir.clone(),
        };
        for l in oci
            .list_leftovers(&under)?
            .into_iter()
            .filter(|l| l.id == self.id())
        {
            oci.remove_leftover(&l)?;
        }
        Ok(())
    }

    /// [`Container::init_locked`] once its intent record is written.
    fn init_journaled(&mut self) -> Result<()> {
        let bundle = self.bundle_dir();
        for f in CONMON_FILES {
            let p = bundle.join(f);
            if let Err(e) = std::fs::remove_file(&p)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                return Err(Error::io(&p, e));
            }
        }
        let exit_file = self.rt.paths()?.exits_dir().join(self.id());
        let _ = std::fs::remove_file(&exit_file);
        let mut spec = self
            .rec
            .config
            .oci_spec()?
            .ok_or_else(|| Error::Internal.context("container has no OCI spec"))?;
        self.join_namespaces(&mut spec)?;
        let run_dir = self.run_dir();
        std::fs::create_dir_all(&run_dir).at(&run_dir)?;
        std::fs::create_dir_all(&bundle).at(&bundle)?;
        if !self.shares_shm() {
            self.mount_shm()?;
        }
        reset_overlay_dirs(&spec, &bundle)?;
        self.mount_storage()?;
        if let Err(e) = self.mount_volumes() {
            let _ = self.unmount_shm();
            let _ = self.unmount_storage();
            return Err(e);
        }
        if let Err(e) = failpoint::hit("init.mounts") {
            let _ = self.unmount_shm();
            let _ = self.unmount_volumes();
            let _ = self.unmount_storage();
            return Err(e);
        }
        // The storage mount may have moved the root: check the spec as it is now.
        let mounted = self.rec.config.oci_spec()?;
        let current = mounted.as_ref().unwrap_or(&spec);
        if let Err(e) = workdir::check(current, self.id(), self.rec.config.create_working_dir) {
            let _ = self.unmount_shm();
            let _ = self.unmount_volumes();
            let _ = self.unmount_storage();
            return Err(e);
        }
        let mut spec = spec;
        if let Err(e) = self.prepare_network(&mut spec) {
            let _ = self.unmount_shm();
            let _ = self.unmount_volumes();
            let _ = self.unmount_storage();
            return Err(e);
        }
        let cfg_path = bundle.join("config.json");
        if let Err(e) = spec::write_config_json(&spec, &cfg_path) {
            let _ = self.teardown_network();
            let _ = self.unmount_shm();
            let _ = self.unmount_volumes();
            let _ = self.unmount_storage();
            let _ = self.save();
            return Err(e);
        }

        let oci = self.oci()?;
        let created = match oci
            .create(&self.rec)
            .and_then(|c| failpoint::hit("init.oci-created").map(|()| c))
        {
            Ok(c) => c,
            Err(e) => {
                // The runtime may have made the container before failing.
                let _ = oci.delete(&self.rec);
                if let Err(t) = self.teardown_network() {
                    tracing::warn!("{t}");
                }
                let _ = self.unmount_shm();
                let _ = self.unmount_volumes();
                let _ = self.unmount_storage();
                let _ = self.save();
                return Err(e);
            }
        };
        let st = &mut self.rec.state;
        st.pid = created.pid;
        st.conmon_pid = created.conmon_pid;
        st.pid_start_ticks = crate::process::start_ticks(created.pid).unwrap_or(0);
        st.conmon_start_ticks = crate::process::start_ticks(created.conmon_pid).unwrap_or(0);
        st.state = ContainerStatus::Created;
        st.exit_code = 0;
        st.exited = false;
        st.oom_killed = false;
        st.stopped_by_user = false;
        st.restart_policy_match = false;
        st.exec_sessions.clear();
        st.config_path = cfg_path.to_string_lossy().into_owned();
        self.save()?;
        self.rt.emit(self.event(EventStatus::Init));
        Ok(())
    }

    /// Sets up the container's network, puts its namespace in `spec`, and
    /// writes the run files; on failure nothing of the network is left.
    fn prepare_network(&mut self, spec: &mut oci_spec::runtime::Spec) -> Result<()> {
        let netns = self.setup_network()?;
        let done = (|| -> Result<()> {
            if let Some(path) = &netns {
                set_netns_path(spec, path)?;
            }
            if self.rec.config.use_image_hosts
                && let Some(mounts) = spec.mounts_mut()
            {
                mounts.retain(|m| m.destination() != std::path::Path::new("/etc/hosts"));
            }
            let files = self.network_files()?;
            spec::write_run_files_with(&self.run_file_options(spec), &files)
                .context("writing container run files")
        })();
        if let Err(e) = done {
            if let Err(t) = self.teardown_network() {
                tracing::warn!("{t}");
            }
            let _ = self.save();
            return Err(e);
        }
        Ok(())
    }

    /// `init`: creates the container in the OCI runtime without starting it.
    pub fn init(&mut self) -> Result<()> {
        let _held = self.lock_and_sync()?;
        self.init_locked()
    }

    /// Starts a created container (state `Running`); the caller holds the lock.
    pub(crate) fn start_locked(&mut self) -> Result<()> {
        match self.rec.state.state {
            ContainerStatus::Running => return Ok(()),
            ContainerStatus::Created => {}
            ContainerStatus::Configured | ContainerStatus::Stopped | ContainerStatus::Exited => {
                self.init_locked()?;
            }
            _ => {
                return Err(Error::CtrStateInvalid.context(format!(
                    "container {} must be in Created or Stopped state to be started",
                    self.id()
                )));
            }
        }
        let oci = self.oci()?;
        let started = match oci.start(&self.rec) {
            Ok(()) => failpoint::hit("start.oci-started"),
            // A start killed after the runtime started the container left
            // the record at Created: the runtime's word wins.
            Err(e) => match oci.state(&self.rec) {
                Ok(s) if s.status == "running" => {
                    tracing::info!("container {} was already started: adopting it", self.id());
                    Ok(())
                }
                _ => Err(e),
            },
        };
        if let Err(e) = started {
            // Leave a state the next command can work with.
            let _ = self.sync();
            let _ = self.cleanup_runtime();
            return Err(e);
        }
        self.rec.state.state = ContainerStatus::Running;
        self.rec.state.started_time = Utc::now();
        self.save()?;
        self.rt.emit(self.event(EventStatus::Start));
        Ok(())
    }

    /// `start`: initializes the container if needed and starts it. Starting a
    /// running container does nothing.
    pub fn start(&mut self) -> Result<()> {
        let _held = self.lock_and_sync()?;
        self.start_locked()
    }
}

/// Points the spec's network namespace at `path`.
fn set_netns_path(spec: &mut oci_spec::runtime::Spec, path: &str) -> Result<()> {
    use oci_spec::runtime::{LinuxNamespaceBuilder, LinuxNamespaceType};
    let ns = spec
        .linux_mut()
        .as_mut()
        .and_then(|l| l.namespaces_mut().as_mut())
        .ok_or_else(|| Error::Internal.context("the container's OCI spec has no namespaces"))?;
    let entry = LinuxNamespaceBuilder::default()
        .typ(LinuxNamespaceType::Network)
        .path(path)
        .build()
        .map_err(|e| Error::Internal.context(format!("network namespace: {e}")))?;
    match ns
        .iter_mut()
        .find(|n| n.typ() == LinuxNamespaceType::Network)
    {
        Some(n) => *n = entry,
        None => ns.push(entry),
    }
    Ok(())
}

/// Empties (or makes) the upper and work directories of the spec's `:O`
/// overlay mounts, so each start sees the lower layer unchanged.
fn reset_overlay_dirs(spec: &oci_spec::runtime::Spec, bundle: &std::path::Path) -> Result<()> {
    let base = bundle.join("overlay");
    let overlays = spec
        .mounts()
        .iter()
        .flatten()
        .filter(|m| m.typ().as_deref() == Some("overlay"))
        .count();
    if overlays == 0 {
        return Ok(());
    }
    if let Err(e) = std::fs::remove_dir_all(&base)
        && e.kind() != std::io::ErrorKind::NotFound
    {
        return Err(Error::io(&base, e));
    }
    for m in spec.mounts().iter().flatten() {
        for o in m.options().iter().flatten() {
            for part in o.split(',') {
                if let Some(dir) = part
                    .strip_prefix("upperdir=")
                    .or_else(|| part.strip_prefix("workdir="))
                    && std::path::Path::new(dir).starts_with(&base)
                {
                    std::fs::create_dir_all(dir).at(dir)?;
                }
            }
        }
    }
    Ok(())
}
