//! The spec's `process`: arguments, user, environment, capabilities and
//! rlimits.

use caps::Capability;
use oci_spec::runtime::{
    PosixRlimit, PosixRlimitBuilder, PosixRlimitType, Process, ProcessBuilder,
};

use super::capabilities::{merge_caps, parse_cap_names, process_capabilities};
use super::user::{oci_user, resolve_user};
use super::{Host, INIT_PATH_IN_CONTAINER, SpecOptions, effective_hostname, oci_error, oci_word};
use crate::config::{Config, Ulimit};
use crate::error::{Error, Result};

/// `RLimitDefaultValue`: NOFILE and NPROC when nothing is configured.
const RLIMIT_DEFAULT: u64 = 1_048_576;

/// The default `PATH` when neither containers.conf nor the image sets one.
const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Merges `K=V` entries: a later value replaces an earlier one in place,
/// new keys are appended. Entries without `=` are skipped.
pub(crate) fn merge_env(into: &mut Vec<String>, entries: &[String]) {
    for e in entries {
        let Some((k, _)) = e.split_once('=') else {
            tracing::warn!("ignoring environment entry {e:?}: expected KEY=VALUE");
            continue;
        };
        if k.is_empty() {
            tracing::warn!("ignoring environment entry {e:?}: empty name");
            continue;
        }
        match into
            .iter_mut()
            .find(|x| x.split_once('=').is_some_and(|(xk, _)| xk == k))
        {
            Some(slot) => slot.clone_from(e),
            None => into.push(e.clone()),
        }
    }
}

/// True when `env` sets `key`.
pub(crate) fn env_has(env: &[String], key: &str) -> bool {
    env.iter()
        .any(|e| e.split_once('=').is_some_and(|(k, _)| k == key))
}

/// The rlimits: containers.conf's `default_ulimits`, then `--ulimit` by
/// name; NOFILE and NPROC default to 1048576. Every limit is capped at the
/// host's hard limit.
pub(crate) fn rlimits(config: &Config, opts: &SpecOptions) -> Result<Vec<PosixRlimit>> {
    let mut limits: Vec<Ulimit> = Vec::new();
    for s in config
        .conf
        .containers
        .default_ulimits
        .iter()
        .chain(opts.settings.ulimits.iter())
    {
        let u: Ulimit = s.parse()?;
        match limits.iter_mut().find(|l| l.resource == u.resource) {
            Some(slot) => *slot = u,
            None => limits.push(u),
        }
    }
    for (resource, name) in [
        (libc::RLIMIT_NOFILE, "RLIMIT_NOFILE"),
        (libc::RLIMIT_NPROC, "RLIMIT_NPROC"),
    ] {
        if !limits.iter().any(|l| l.resource == resource) {
            limits.push(Ulimit {
                resource,
                name,
                soft: RLIMIT_DEFAULT,
                hard: RLIMIT_DEFAULT,
            });
        }
    }
    limits
        .into_iter()
        .map(|u| {
            let u = u.capped_to_host();
            let typ: PosixRlimitType = oci_word(u.name).ok_or_else(|| {
                Error::Internal.context(format!("{} is unknown to the OCI spec types", u.name))
            })?;
            PosixRlimitBuilder::default()
                .typ(typ)
                .hard(u.hard)
                .soft(u.soft)
                .build()
                .map_err(oci_error)
        })
        .collect()
}

fn parse_umask(s: &str) -> Result<u32> {
    if s.is_empty() {
        return Ok(0o022);
    }
    u32::from_str_radix(s, 8)
        .ok()
        .filter(|m| *m <= 0o777)
        .ok_or_else(|| Error::InvalidArg.context(format!("invalid umask {s:?}")))
}

/// The built `process` and its bounding set (seccomp filters on it).
#[derive(Debug)]
pub(crate) struct BuiltProcess {
    /// The OCI `process`.
    pub process: Process,
    /// `capabilities.bounding`.
    pub bounding: Vec<Capability>,
}

/// The container's environment: `TERM=xterm` (with or without a terminal,
/// as Podman), `container=podman`,
/// containers.conf's, the caller's, then `PATH`, `HOSTNAME` and `HOME`
/// defaults for what is still unset.
fn environment(opts: &SpecOptions, config: &Config, home: &str) -> Vec<String> {
    let set = &opts.settings;
    let mut env = vec!["TERM=xterm".to_string(), "container=podman".to_string()];
    merge_env(&mut env, &config.conf.containers.env);
    merge_env(&mut env, &set.env);
    if !env_has(&env, "PATH") {
        env.insert(2, DEFAULT_PATH.to_string());
    }
    if !env_has(&env, "HOSTNAME") {
        env.push(format!("HOSTNAME={}", effective_hostname(opts)));
    }
    if !env_has(&env, "HOME") && !home.is_empty() {
        env.push(format!("HOME={home}"));
    }
    env
}

/// Builds the container's `process`.
pub(crate) fn build(opts: &SpecOptions, config: &Config, host: &Host) -> Result<BuiltProcess> {
    let set = &opts.settings;
    let mut args: Vec<String> = opts
        .entrypoint
        .iter()
        .chain(set.command.iter())
        .cloned()
        .collect();
    if args.is_empty() {
        return Err(Error::InvalidArg
            .context("no command or entrypoint provided, and no CMD or ENTRYPOINT from image"));
    }
    if set.init {
        args.splice(0..0, [INIT_PATH_IN_CONTAINER.to_string(), "--".to_string()]);
    }

    let user = resolve_user(&opts.rootfs, &set.user)?;
    let umask = parse_umask(&config.conf.containers.umask)?;
    let env = environment(opts, config, &user.home);

    let available = &host.grantable;
    let caps = if set.privileged {
        available.clone()
    } else {
        let defaults = parse_cap_names(&config.conf.containers.default_capabilities)?;
        merge_caps(&defaults, &set.cap_add, &set.cap_drop, available)?
    };
    let user_added = if user.uid != 0 {
        merge_caps(&[], &set.cap_add, &[], available)?
    } else {
        Vec::new()
    };

    let cwd = if set.workdir.is_empty() {
        "/"
    } else {
        set.workdir.as_str()
    };
    if !cwd.starts_with('/') {
        return Err(Error::InvalidArg.context(format!("workdir {cwd:?} must be an absolute path")));
    }
    let mut process = ProcessBuilder::default()
        .user(oci_user(&set.user, &user, umask)?)
        .args(args)
        .env(env)
        .cwd(cwd)
        .capabilities(process_capabilities(&caps, user.uid, &user_added)?)
        .rlimits(rlimits(config, opts)?)
        .build()
        .map_err(oci_error)?;
    // The builder starts from oci-spec's defaults (a terminal flag and
    // noNewPrivileges); Podman writes each only when it is set.
    process.set_terminal(set.terminal.then_some(true));
    process.set_no_new_privileges(set.no_new_privileges.then_some(true));
    Ok(BuiltProcess {
        process,
        bounding: caps,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::super::tests::{test_config, test_host, test_opts};
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    fn process_json(p: &BuiltProcess) -> Value {
        super::super::shape::process_to_json(&p.process).unwrap()
    }

    #[test]
    fn non_root_keeps_bounding_only_unless_caps_are_added() {
        let d = tempfile::tempdir().unwrap();
        let mut opts = test_opts(d.path());
        opts.settings.user = "1000".into();
        let p = process_json(&build(&opts, &test_config(), &test_host()).unwrap());
        let caps = p["capabilities"].as_object().unwrap();
        assert_eq!(caps.keys().collect::<Vec<_>>(), ["bounding"]);
        assert_eq!(caps["bounding"].as_array().unwrap().len(), 11);
        assert_eq!(
            p["user"],
            json!({"uid": 1000, "gid": 1000, "umask": 18, "additionalGids": [1000, 10, 29]})
        );

        opts.settings.cap_add = parse_cap_names(&["NET_ADMIN"]).unwrap();
        let p = process_json(&build(&opts, &test_config(), &test_host()).unwrap());
        let caps = &p["capabilities"];
        assert_eq!(caps["effective"], json!(["CAP_NET_ADMIN"]));
        assert_eq!(caps["permitted"], json!(["CAP_NET_ADMIN"]));
        assert_eq!(caps["ambient"], json!(["CAP_NET_ADMIN"]));
        assert_eq!(caps["bounding"].as_array().unwrap().len(), 12);
    }

    #[test]
    fn default_capabilities_are_parsed_like_cap_add() {
        let d = tempfile::tempdir().unwrap();
        let opts = test_opts(d.path());
        let mut config = test_config();
        config.conf.containers.default_capabilities = s(&["cap_kill", "Net_Raw"]);
        let p = build(&opts, &config, &test_host()).unwrap();
        assert_eq!(p.bounding, [Capability::CAP_KILL, Capability::CAP_NET_RAW]);
        config.conf.containers.default_capabilities = s(&["KILL", "BOGUS"]);
        let e = build(&opts, &config, &test_host()).unwrap_err();
        assert_eq!(e.to_string(), "\"CAP_BOGUS\": unknown capability");
    }

    #[test]
    fn env_has_podmans_defaults_and_overrides() {
        let d = tempfile::tempdir().unwrap();
        let mut opts = test_opts(d.path());
        opts.settings.terminal = true;
        opts.settings.env = s(&["FOO=1", "PATH=/bin", "FOO=2", "bogus"]);
        opts.settings.hostname = "box".into();
        let p = process_json(&build(&opts, &test_config(), &test_host()).unwrap());
        assert_eq!(
            p["env"],
            json!([
                "TERM=xterm",
                "container=podman",
                "PATH=/bin",
                "FOO=2",
                "HOSTNAME=box",
                "HOME=/root"
            ])
        );

        // TERM without a terminal too; PATH from containers.conf when the image sets none.
        opts.settings.terminal = false;
        opts.settings.env = s(&["HOME=/x", "HOSTNAME=mine"]);
        let mut config = test_config();
        config.conf.containers.env = s(&["A=b"]);
        let p = process_json(&build(&opts, &config, &test_host()).unwrap());
        assert_eq!(
            p["env"],
            json!([
                "TERM=xterm",
                "container=podman",
                DEFAULT_PATH,
                "A=b",
                "HOME=/x",
                "HOSTNAME=mine"
            ])
        );
    }

    #[test]
    fn rlimits_are_capped_to_the_host() {
        let (_, nofile_hard) =
            nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NOFILE).unwrap();
        let (_, nproc_hard) =
            nix::sys::resource::getrlimit(nix::sys::resource::Resource::RLIMIT_NPROC).unwrap();
        let d = tempfile::tempdir().unwrap();
        let mut opts = test_opts(d.path());
        let config = test_config();
        let r = serde_json::to_value(rlimits(&config, &opts).unwrap()).unwrap();
        let r = r.as_array().unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0]["type"], "RLIMIT_NOFILE");
        assert_eq!(r[0]["hard"], RLIMIT_DEFAULT.min(nofile_hard));
        assert_eq!(r[1]["type"], "RLIMIT_NPROC");
        assert_eq!(r[1]["hard"], RLIMIT_DEFAULT.min(nproc_hard));

        let mut config = test_config();
        config.conf.containers.default_ulimits = s(&["nofile=500:600", "core=0:0"]);
        opts.settings.ulimits = s(&["nofile=100:200", "nproc=-1"]);
        let r = serde_json::to_value(rlimits(&config, &opts).unwrap()).unwrap();
        let r = r.as_array().unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(
            r[0],
            json!({"type": "RLIMIT_NOFILE", "hard": 200, "soft": 100})
        );
        assert_eq!(r[1]["type"], "RLIMIT_CORE");
        assert_eq!(r[2]["type"], "RLIMIT_NPROC");
        assert_eq!(r[2]["hard"], nproc_hard);
        for l in r {
            assert!(l["soft"].as_u64() <= l["hard"].as_u64());
        }

        opts.settings.ulimits = s(&["nofile=x"]);
        assert!(rlimits(&config, &opts).is_err());
    }

    #[test]
    fn umask_and_workdir() {
        assert_eq!(parse_umask("0022").unwrap(), 18);
        assert_eq!(parse_umask("077").unwrap(), 0o77);
        assert!(parse_umask("999").is_err());
        let d = tempfile::tempdir().unwrap();
        let mut opts = test_opts(d.path());
        opts.settings.workdir = "/srv".into();
        let p = build(&opts, &test_config(), &test_host()).unwrap();
        assert_eq!(p.process.cwd(), std::path::Path::new("/srv"));
        opts.settings.workdir = "srv".into();
        assert!(build(&opts, &test_config(), &test_host()).is_err());
    }
}
