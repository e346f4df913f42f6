//! `create`: a new container record from a root filesystem (or, once image
//! storage exists, an image), with its OCI spec generated up front.

use std::collections::BTreeMap;
use std::os::unix::fs::DirBuilderExt;
use std::path::PathBuf;

use super::image::ImageSetup;
use super::log_config::{self, LogSettings};
use super::network::{ContainerNetworking, NetworkRequest, ResolvedNetwork, apply_to_config};
use super::spec::{self, ContainerSettings, NetworkMode, SpecOptions};
use super::{Container, ContainerConfig, ContainerRecord, ContainerState};
use crate::error::{Error, IoResultExt, Result, ResultExt};
use crate::events::EventStatus;
use crate::failpoint;
use crate::intent::{self, Intent, IntentOp};
use crate::names::generate_id;
use crate::runtime::Runtime;
use crate::storage::ContainerDirs;

/// Everything `create`/`run` can set.
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    /// Name; generated when empty.
    pub name: String,
    /// Root filesystem directory (`--rootfs`).
    pub rootfs: PathBuf,
    /// Image name as typed (recorded; image storage resolves it).
    pub image: String,
    /// Entrypoint (`None`: the image's; `Some` replaces it and drops the
    /// image's CMD). Not in [`ContainerSettings`]: it needs the `None` the
    /// spec, which gets the merged list, has no use for.
    pub entrypoint: Option<Vec<String>>,
    /// Keep stdin open (`-i`).
    pub stdin: bool,
    /// The settings the spec takes as they are, once the image's config is
    /// merged in.
    pub settings: ContainerSettings,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Stop signal number (`None`: the image's, else 15).
    pub stop_signal: Option<u32>,
    /// Stop timeout seconds (default from containers.conf).
    pub stop_timeout: Option<u32>,
    /// `--rm`.
    pub auto_remove: bool,
    /// `--log-driver` and `--log-opt` (containers.conf fills the gaps).
    pub log: LogSettings,
    /// OCI runtime name or path (default: the runtime's).
    pub runtime: String,
    /// The command line that created it.
    pub create_command: Vec<String>,
    /// `-v`, `--mount` and `--tmpfs` requests: binds, tmpfs mounts and
    /// named or anonymous volumes (made when missing).
    pub mounts: Vec<super::MountRequest>,
    /// `--volumes-from CTR[:ro|rw]`: that container's volumes and binds.
    pub volumes_from: Vec<String>,
    /// `--image-volume`: what an image's `VOLUME` becomes: `bind` (an
    /// anonymous volume, the default when empty), `tmpfs` or `ignore`.
    pub image_volume: String,
    /// `--network`, `-p`, `--ip`, `--dns` ...: the network it gets.
    pub networking: ContainerNetworking,
    /// The pod to join (name, ID or unique ID prefix): the container
    /// joins the namespaces the pod shares, held by its infra container.
    pub pod: Option<String>,
}

/// What membership in a pod sets in a container's config.
#[derive(Debug, Clone, Default)]
struct PodJoin {
    pod_id: String,
    is_infra: bool,
    net: String,
    ipc: String,
    uts: String,
    pid: String,
    cgroup: String,
}

impl PodJoin {
    fn apply(&self, cfg: &mut ContainerConfig) {
        if self.pod_id.is_empty() {
            return;
        }
        cfg.pod = Some(self.pod_id.clone());
        cfg.is_infra = self.is_infra;
        cfg.net_ns_ctr.clone_from(&self.net);
        cfg.ipc_ns_ctr.clone_from(&self.ipc);
        cfg.uts_ns_ctr.clone_from(&self.uts);
        cfg.pid_ns_ctr.clone_from(&self.pid);
        cfg.cgroup_ns_ctr.clone_from(&self.cgroup);
    }
}

impl Runtime {
    /// Where container `id` keeps its own files: the store decides (the
    /// layout is its business); without a store, `containers/<id>/userdata`
    /// under the static dir and under the tmp dir.
    pub fn container_dirs(&self, id: &str) -> Result<ContainerDirs> {
        if let Some(storage) = self.storage()? {
            return Ok(storage.container_dirs(id));
        }
        let paths = self.paths()?;
        let own = |root: &std::path::Path| root.join("containers").join(id).join("userdata");
        Ok(ContainerDirs {
            dir: own(&paths.static_dir),
            run_dir: own(&paths.tmp_dir),
        })
    }

    /// Creates a container in the `Configured` state: ID, name, lock, bundle
    /// and run directories, the OCI spec, the State record, a `create` event.
    /// On failure everything is undone.
    pub fn create_container(&self, opts: CreateOptions) -> Result<Container> {
        self.create_container_in(opts, None)
    }

    /// Creates the infra container of pod `pod_id` (which shares no
    /// namespace: it holds them).
    pub(crate) fn create_infra_container(
        &self,
        opts: CreateOptions,
        pod_id: &str,
    ) -> Result<Container> {
        self.create_container_in(opts, Some(pod_id))
    }

    /// What joining `opts.pod` (or being the infra container of `infra_of`)
    /// sets in the container's config; fills in the pod's hostname when
    /// the container shares its UTS namespace and asked for none.
    fn pod_membership(
        &self,
        opts: &mut CreateOptions,
        infra_of: Option<&str>,
    ) -> Result<Option<PodJoin>> {
        if let Some(pod_id) = infra_of {
            return Ok(Some(PodJoin {
                pod_id: pod_id.to_string(),
                is_infra: true,
                ..Default::default()
            }));
        }
        let Some(name) = &opts.pod else {
            return Ok(None);
        };
        let pod = self.state()?.lookup_pod(name)?;
        let mut join = PodJoin {
            pod_id: pod.config.id.clone(),
            ..Default::default()
        };
        let infra = pod.state.infra_container_id.clone();
        if infra.is_empty() {
            return Ok(Some(join));
        }
        let shared = pod.config.shared();
        let pick = |on: bool| if on { infra.clone() } else { String::new() };
        join.net = pick(shared.net);
        join.ipc = pick(shared.ipc);
        join.uts = pick(shared.uts);
        join.pid = pick(shared.pid);
        join.cgroup = pick(shared.cgroup);
        if shared.uts && !opts.settings.hostname.is_empty() {
            return Err(Error::msg(
                "invalid config provided: cannot set hostname when joining the pod UTS namespace: invalid configuration",
            ));
        }
        if shared.uts {
            opts.settings.hostname = if pod.config.hostname.is_empty() {
                pod.config.name.clone()
            } else {
                pod.config.hostname.clone()
            };
        }
        Ok(Some(join))
    }

    fn create_container_in(
        &self,
        mut opts: CreateOptions,
        infra_of: Option<&str>,
    ) -> Result<Container> {
        let join = self.pod_membership(&mut opts, infra_of)?;
        // libpod holds the pod's lock while a container joins it, so that
        // the pod cannot be removed meanwhile.
        let _pod_lock = match &join {
            Some(j) => {
                let pod = self.state()?.pod(&j.pod_id)?;
                let lock = self.lock_manager()?.retrieve(pod.config.lock_id)?;
                Some(super::HeldLock::take(&lock)?)
            }
            None => None,
        };
        let join = join.unwrap_or_default();
        let name = self.pick_name(&opts.name)?;
        if !opts.runtime.is_empty() {
            // Fails early for an unknown runtime.
            self.oci_for(&opts.runtime)?;
        }
        spec::check_add_drop(&opts.settings.cap_add, &opts.settings.cap_drop)?;
        let mut networking = std::mem::take(&mut opts.networking);
        if networking.mode == NetworkRequest::Default {
            // Callers that only set the spec's mode keep it.
            match opts.settings.network {
                NetworkMode::None => networking.mode = NetworkRequest::None,
                NetworkMode::Host => networking.mode = NetworkRequest::Host,
                NetworkMode::Private => {}
            }
        }
        let resolved = self.resolve_network(&mut networking)?;
        opts.settings.network = resolved.spec_mode;
        let id = generate_id()?;
        // The journal entry that lets `system check` undo a create that
        // dies between the storage container and the State record.
        let mut journal = Intent::begin(
            &intent::intents_dir(&self.paths()?.static_dir),
            IntentOp::Create,
            &id,
            &name,
        )?;
        let result =
            self.create_journaled(opts, id, name, (networking, resolved), &join, &mut journal);
        // Done, or undone (an undo that failed keeps the record for repair).
        match &result {
            Ok(_) | Err(CreateFailure::Undone(_)) => journal.finish()?,
            Err(CreateFailure::Left(_)) => drop(journal),
        }
        result.map_err(CreateFailure::into_error)
    }

    /// [`Runtime::create_container`] once its intent record is written.
    fn create_journaled(
        &self,
        mut opts: CreateOptions,
        id: String,
        name: String,
        (mut networking, resolved_net): (ContainerNetworking, ResolvedNetwork),
        join: &PodJoin,
        journal: &mut Intent,
    ) -> std::result::Result<Container, CreateFailure> {
        failpoint::hit("create.intent").map_err(CreateFailure::Undone)?;
        let resolved = self
            .resolve_mounts(&opts.mounts, &opts.volumes_from, &mut opts.settings)
            .map_err(CreateFailure::Undone)?;
        let image = match self.image_or_rootfs(&mut opts, &id, &name) {
            Ok(i) => i,
            Err(e) => {
                self.remove_created_volumes(&resolved.created);
                return Err(CreateFailure::Undone(e));
            }
        };
        // From here on a failure must also drop the image's storage container.
        let result = failpoint::hit("create.storage")
            .and_then(|()| self.publish_exposed(&mut networking, &resolved_net, image.as_ref()))
            .and_then(|()| {
                let net = (networking, resolved_net);
                let extras = Extras {
                    volumes: &resolved.named,
                    net: &net,
                    join,
                };
                self.create_with(opts, id.clone(), name, image.as_ref(), extras, journal)
            });
        let e = match result {
            Ok(c) => return Ok(c),
            Err(e) => e,
        };
        let storage_gone = match (&image, self.storage()) {
            (None, _) => true,
            (Some(_), Ok(Some(storage))) => storage.delete_container(&id).is_ok(),
            _ => false,
        };
        let mut made = resolved.created.clone();
        if let Some(img) = &image {
            made.extend(img.volumes.iter().map(|v| v.name.clone()));
        }
        self.remove_created_volumes(&made);
        Err(if storage_gone {
            CreateFailure::Undone(e)
        } else {
            CreateFailure::Left(e)
        })
    }

    /// `-P`: the image's exposed ports not published explicitly get random
    /// host ports (bridge networks only).
    fn publish_exposed(
        &self,
        networking: &mut ContainerNetworking,
        resolved: &ResolvedNetwork,
        image: Option<&ImageSetup>,
    ) -> Result<()> {
        let Some(img) = image else { return Ok(()) };
        if !networking.publish_all || resolved.net_mode != "bridge" {
            return Ok(());
        }
        let mut extra: Vec<_> = img
            .exposed_ports
            .iter()
            .filter(|e| {
                !networking
                    .publish
                    .iter()
                    .any(|p| p.protocol == e.protocol && p.container_port == e.container_port)
            })
            .cloned()
            .collect();
        crate::network::ports::assign_random_host_ports(&mut extra)?;
        networking.publish.extend(extra);
        Ok(())
    }

    /// Prepares the image (its config merged, storage made and mounted),
    /// or checks the `--rootfs` directory.
    fn image_or_rootfs(
        &self,
        opts: &mut CreateOptions,
        id: &str,
        name: &str,
    ) -> Result<Option<ImageSetup>> {
        let image = if opts.rootfs.as_os_str().is_empty() {
            if opts.image.is_empty() {
                return Err(Error::InvalidArg
                    .context("a root filesystem (--rootfs) or an image is required"));
            }
            Some(self.prepare_image(opts, id, name)?)
        } else {
            if !opts.rootfs.is_dir() {
                return Err(Error::InvalidArg.context(format!(
                    "rootfs {} is not a directory",
                    opts.rootfs.display()
                )));
            }
            None
        };
        Ok(image)
    }

    fn create_with(
        &self,
        opts: CreateOptions,
        id: String,
        name: String,
        image: Option<&ImageSetup>,
        extras: Extras<'_>,
        journal: &mut Intent,
    ) -> Result<Container> {
        let config = self.config()?;
        let ContainerDirs {
            dir: bundle,
            run_dir,
        } = self.container_dirs(&id)?;

        let log = log_config::resolve(&opts.log, &config.conf.containers, &bundle)?;
        if log.driver == log_config::JOURNALD {
            log_config::init_journal(&id)?;
        }
        let stop_signal = opts.stop_signal.unwrap_or(15);
        let spec_opts = SpecOptions {
            id: id.clone(),
            name: name.clone(),
            rootfs: opts.rootfs.clone(),
            bundle: bundle.clone(),
            run_dir: run_dir.clone(),
            entrypoint: opts.entrypoint.clone().unwrap_or_default(),
            settings: opts.settings.clone(),
            cgroup_parent: String::new(),
            cgroup_manager: config.conf.engine.cgroup_manager.clone(),
            annotations: BTreeMap::new(),
            stop_signal,
            created: chrono::Utc::now(),
        };
        let spec = spec::generate(&spec_opts, &config).context("generating OCI spec");
        if let (Some(_), Ok(Some(storage))) = (image, self.storage()) {
            // The spec needed the image's /etc/passwd; init mounts again.
            let _ = storage.unmount_container(&id, false);
        }
        let spec = spec?;

        let lock = self.lock_manager()?.allocate()?;
        let mut cfg = ContainerConfig::new(&id, &name, lock.id());
        cfg.created_time = spec_opts.created;
        match image {
            Some(img) => {
                cfg.rootfs_image_id.clone_from(&img.id);
                cfg.rootfs_image_name.clone_from(&img.name);
                cfg.raw_image_name.clone_from(&opts.image);
            }
            None => cfg.rootfs = opts.rootfs.to_string_lossy().into_owned(),
        }
        cfg.static_dir = bundle.to_string_lossy().into_owned();
        cfg.log_path = log.path;
        cfg.log_driver = log.driver;
        cfg.log_tag = log.tag;
        cfg.log_size = log.size;
        cfg.oci_runtime = if opts.runtime.is_empty() {
            self.oci_runtimes()?.default_name.clone()
        } else {
            opts.runtime.clone()
        };
        cfg.labels = opts.labels.clone();
        cfg.stop_signal = stop_signal;
        cfg.stop_timeout = opts.stop_timeout.unwrap_or(config.conf.engine.stop_timeout);
        cfg.stdin = opts.stdin;
        cfg.auto_remove = opts.auto_remove;
        cfg.privileged = opts.settings.privileged;
        cfg.create_working_dir = opts.settings.workdir_from_image;
        apply_to_config(&mut cfg, &extras.net.0, &extras.net.1);
        cfg.create_command = opts.create_command.clone();
        extras.join.apply(&mut cfg);
        cfg.named_volumes = extras.volumes.to_vec();
        if let Some(img) = image {
            cfg.named_volumes.extend(img.volumes.iter().cloned());
        }
        cfg.command = spec
            .process()
            .as_ref()
            .and_then(|p| p.args().clone())
            .unwrap_or_default();
        cfg.set_oci_spec(&spec)?;
        let rec = ContainerRecord {
            config: cfg,
            state: ContainerState {
                run_dir: run_dir.to_string_lossy().into_owned(),
                config_path: bundle.join("config.json").to_string_lossy().into_owned(),
                ..Default::default()
            },
        };

        let undo = |lock: &dyn crate::lock::Locker| {
            let _ = lock.free();
            if let Some(d) = bundle.parent() {
                let _ = std::fs::remove_dir_all(d);
            }
            if let Some(d) = run_dir.parent() {
                let _ = std::fs::remove_dir_all(d);
            }
        };
        let made = (|| -> Result<()> {
            journal.record_lock(lock.id())?;
            failpoint::hit("create.lock")?;
            for d in [&bundle, &run_dir] {
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(d)
                    .at(d)?;
            }
            failpoint::hit("create.dirs")
        })();
        if let Err(e) = made {
            undo(lock.as_ref());
            return Err(e);
        }
        if let Err(e) = self.state()?.add_container(&rec) {
            undo(lock.as_ref());
            if e.is(&Error::CtrExists) {
                return Err(Error::CtrExists.context(format!(
                    "creating container storage: the container name {name:?} is already in use by {}. You have to remove that container to be able to reuse that name: that name is already in use",
                    self.state()?.lookup_container_id(&name).unwrap_or_default()
                )));
            }
            return Err(e);
        }
        for (network, per) in &extras.net.1.networks {
            if let Err(e) = self.state()?.network_connect(&id, network, per) {
                let _ = self.state()?.remove_container(&id);
                undo(lock.as_ref());
                return Err(e);
            }
        }
        // Past the commit point: an error here is only a warning.
        if let Err(e) = failpoint::hit("create.record") {
            tracing::warn!("{e}");
        }
        let ctr = Container::from_record(self, rec)?;
        self.emit(ctr.event(EventStatus::Create));
        Ok(ctr)
    }
}

/// What a container is made with besides its options: the volumes it
/// mounts, its resolved network and its pod.
struct Extras<'a> {
    volumes: &'a [super::NamedVolume],
    net: &'a (ContainerNetworking, ResolvedNetwork),
    join: &'a PodJoin,
}

/// How a create failed: with everything it made undone, or with something
/// left that the intent record must keep for `system check`.
enum CreateFailure {
    Undone(Error),
    Left(Error),
}

impl CreateFailure {
    fn into_error(self) -> Error {
        match self {
            CreateFailure::Undone(e) | CreateFailure::Left(e) => e,
        }
    }
}
