//! `pod create`: the pod record, then its infra container (which holds the
//! shared namespaces), then the pod state naming it, then the `create`
//! event — libpod's `NewPod` + `AddInfra` order.

use std::collections::BTreeMap;

use super::{Pod, PodConfig, PodRecord, PodState};
use crate::container::CreateOptions;
use crate::container::log_config::LogSettings;
use crate::container::spec::NetworkMode;
use crate::error::{Error, Result};
use crate::events::EventStatus;
use crate::names::generate_id;
use crate::runtime::Runtime;

/// Which namespaces the members share with the infra container.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SharedNamespaces {
    /// Network namespace.
    pub net: bool,
    /// IPC namespace (and `/dev/shm`).
    pub ipc: bool,
    /// UTS namespace (the hostname).
    pub uts: bool,
    /// PID namespace.
    pub pid: bool,
    /// Cgroup namespace.
    pub cgroup: bool,
}

impl SharedNamespaces {
    /// Podman's default: `net,ipc,uts`.
    pub const DEFAULT: SharedNamespaces = SharedNamespaces {
        net: true,
        ipc: true,
        uts: true,
        pid: false,
        cgroup: false,
    };

    /// Parses `--share`: a comma list of `cgroup`, `ipc`, `net`, `pid`,
    /// `uts` (`user` is accepted and ignored, `none` shares nothing); a
    /// leading `+` adds to the default set.
    pub fn parse(spec: &str) -> Result<SharedNamespaces> {
        let (mut out, list) = match spec.strip_prefix('+') {
            Some(rest) => (SharedNamespaces::DEFAULT, rest),
            None => (SharedNamespaces::default(), spec),
        };
        for word in list.split(',') {
            match word {
                "cgroup" => out.cgroup = true,
                "net" => out.net = true,
                "pid" => out.pid = true,
                "ipc" => out.ipc = true,
                "uts" => out.uts = true,
                "user" | "" => {}
                "none" => return Ok(SharedNamespaces::default()),
                "mnt" => {
                    return Err(Error::msg(
                        "mount sharing functionality not supported on pod level",
                    ));
                }
                other => {
                    return Err(Error::msg(format!(
                        "invalid kernel namespace to share: {other}. Options are: cgroup, ipc, net, pid, uts or none"
                    )));
                }
            }
        }
        Ok(out)
    }

    /// True when any namespace is shared.
    pub fn any(&self) -> bool {
        self.net || self.ipc || self.uts || self.pid || self.cgroup
    }

    /// The shared namespaces by Podman's names, in its order
    /// (`cgroup,ipc,net,pid,uts`).
    pub fn names(&self) -> Vec<&'static str> {
        [
            (self.cgroup, "cgroup"),
            (self.ipc, "ipc"),
            (self.net, "net"),
            (self.pid, "pid"),
            (self.uts, "uts"),
        ]
        .into_iter()
        .filter_map(|(on, n)| on.then_some(n))
        .collect()
    }
}

/// Everything `pod create` can set.
#[derive(Debug, Clone, Default)]
pub struct PodCreateOptions {
    /// Name; generated when empty.
    pub name: String,
    /// Labels.
    pub labels: BTreeMap<String, String>,
    /// Hostname of the pod (members sharing UTS get it); the pod's name
    /// when empty.
    pub hostname: String,
    /// Namespaces the members share.
    pub share: SharedNamespaces,
    /// Create an infra container (`--infra`, Podman's default).
    pub infra: bool,
    /// Image of the infra container; containers.conf's `infra_image` or
    /// the local pause image when empty.
    pub infra_image: String,
    /// Entrypoint of the infra container (`--infra-command`); the
    /// image's when `None`.
    pub infra_command: Option<Vec<String>>,
    /// Name of the infra container; `<short pod ID>-infra` when empty.
    pub infra_name: String,
    /// `continue` (or empty) or `stop`.
    pub exit_policy: String,
    /// The infra container's network namespace, which members sharing
    /// the network join.
    pub network: NetworkMode,
    /// The command line that created the pod.
    pub create_command: Vec<String>,
}

impl PodConfig {
    /// The namespaces this pod's members share.
    pub fn shared(&self) -> SharedNamespaces {
        SharedNamespaces {
            net: self.shares_net,
            ipc: self.shares_ipc,
            uts: self.shares_uts,
            pid: self.shares_pid,
            cgroup: self.shares_cgroupns,
        }
    }
}

/// Checks an exit policy as Podman spells it.
pub(crate) fn check_exit_policy(policy: &str) -> Result<()> {
    match policy {
        "" | "continue" | "stop" => Ok(()),
        other => Err(Error::InvalidArg.context(format!("invalid pod exit policy: {other:?}"))),
    }
}

impl Runtime {
    /// Creates a pod: the record, then (unless `infra` is off) its infra
    /// container, then the state naming the infra container and the
    /// `create` event. On failure what was made is removed again.
    pub fn create_pod(&self, opts: PodCreateOptions) -> Result<Pod> {
        check_exit_policy(&opts.exit_policy)?;
        if !opts.infra && opts.share.any() {
            return Err(Error::msg(
                "Pods must have an infra container to share namespaces",
            ));
        }
        // The image first: a missing one leaves nothing behind.
        let image = if opts.infra {
            Some(self.infra_image(&opts.infra_image)?)
        } else {
            None
        };
        let name = self.pick_name(&opts.name)?;
        let lock = self.lock_manager()?.allocate()?;
        let mut cfg = PodConfig::new(generate_id()?, &name, lock.id());
        cfg.labels = opts.labels.clone();
        cfg.hostname = opts.hostname.clone();
        cfg.exit_policy = if opts.exit_policy.is_empty() {
            "continue".to_string()
        } else {
            opts.exit_policy.clone()
        };
        cfg.create_command = opts.create_command.clone();
        let share = opts.share;
        cfg.shares_net = share.net;
        cfg.shares_ipc = share.ipc;
        cfg.shares_uts = share.uts;
        cfg.shares_pid = share.pid;
        cfg.shares_cgroupns = share.cgroup;
        cfg.has_infra = opts.infra;
        let rec = PodRecord {
            config: cfg,
            state: PodState::default(),
        };
        if let Err(e) = self.state()?.add_pod(&rec) {
            let _ = lock.free();
            return Err(e.context("adding pod to state"));
        }
        let mut pod = Pod::from_record(self, rec)?;
        if let Some(image) = image
            && let Err(e) = self.add_infra(&mut pod, &opts, image)
        {
            let _ = self.state().and_then(|s| s.remove_pod(pod.id()));
            let _ = pod.lock.free();
            return Err(e);
        }
        self.emit(pod.event(EventStatus::Create));
        Ok(pod)
    }

    /// Creates the infra container and records it in the pod's state.
    fn add_infra(&self, pod: &mut Pod, opts: &PodCreateOptions, image: String) -> Result<()> {
        let short: String = pod.id().chars().take(12).collect();
        let hostname = if opts.hostname.is_empty() {
            pod.name().to_string()
        } else {
            opts.hostname.clone()
        };
        let mut create = CreateOptions {
            name: if opts.infra_name.is_empty() {
                format!("{short}-infra")
            } else {
                opts.infra_name.clone()
            },
            image,
            entrypoint: opts.infra_command.clone(),
            log: LogSettings::default(),
            ..Default::default()
        };
        create.settings.hostname = hostname;
        create.settings.network = opts.network;
        let infra = self.create_infra_container(create, pod.id())?;
        pod.rec.state.infra_container_id = infra.id().to_string();
        if let Err(e) = pod.save() {
            let mut infra = infra;
            let _ = infra.remove_infra();
            return Err(e);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_parses_as_podman() {
        let s = SharedNamespaces::parse("net,ipc,uts").unwrap();
        assert_eq!(s, SharedNamespaces::DEFAULT);
        let s = SharedNamespaces::parse("+pid").unwrap();
        assert!(s.pid && s.net && s.ipc && s.uts && !s.cgroup);
        assert_eq!(SharedNamespaces::parse("none").unwrap(), Default::default());
        assert_eq!(SharedNamespaces::parse("").unwrap(), Default::default());
        assert_eq!(
            SharedNamespaces::parse("ipc,bogus")
                .unwrap_err()
                .to_string(),
            "invalid kernel namespace to share: bogus. Options are: cgroup, ipc, net, pid, uts or none"
        );
        assert_eq!(
            SharedNamespaces::parse("cgroup,uts").unwrap().names(),
            vec!["cgroup", "uts"]
        );
    }

    #[test]
    fn exit_policies() {
        assert!(check_exit_policy("stop").is_ok());
        assert!(check_exit_policy("").is_ok());
        assert_eq!(
            check_exit_policy("bogus").unwrap_err().to_string(),
            "invalid pod exit policy: \"bogus\": invalid argument"
        );
    }
}
