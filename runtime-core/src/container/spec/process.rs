//! The spec's `process`: arguments, user (resolved in the rootfs's
//! `/etc/passwd` and `/etc/group`), environment, capabilities and rlimits.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{Map, Value, json};

use super::{Host, INIT_PATH_IN_CONTAINER, SpecOptions, effective_hostname};
use crate::config::{Config, Ulimit};
use crate::error::{Error, Result};

/// Linux capability names, indexed by capability number.
pub const CAPABILITY_NAMES: [&str; 41] = [
    "CAP_CHOWN",
    "CAP_DAC_OVERRIDE",
    "CAP_DAC_READ_SEARCH",
    "CAP_FOWNER",
    "CAP_FSETID",
    "CAP_KILL",
    "CAP_SETGID",
    "CAP_SETUID",
    "CAP_SETPCAP",
    "CAP_LINUX_IMMUTABLE",
    "CAP_NET_BIND_SERVICE",
    "CAP_NET_BROADCAST",
    "CAP_NET_ADMIN",
    "CAP_NET_RAW",
    "CAP_IPC_LOCK",
    "CAP_IPC_OWNER",
    "CAP_SYS_MODULE",
    "CAP_SYS_RAWIO",
    "CAP_SYS_CHROOT",
    "CAP_SYS_PTRACE",
    "CAP_SYS_PACCT",
    "CAP_SYS_ADMIN",
    "CAP_SYS_BOOT",
    "CAP_SYS_NICE",
    "CAP_SYS_RESOURCE",
    "CAP_SYS_TIME",
    "CAP_SYS_TTY_CONFIG",
    "CAP_MKNOD",
    "CAP_LEASE",
    "CAP_AUDIT_WRITE",
    "CAP_AUDIT_CONTROL",
    "CAP_SETFCAP",
    "CAP_MAC_OVERRIDE",
    "CAP_MAC_ADMIN",
    "CAP_SYSLOG",
    "CAP_WAKE_ALARM",
    "CAP_BLOCK_SUSPEND",
    "CAP_AUDIT_READ",
    "CAP_PERFMON",
    "CAP_BPF",
    "CAP_CHECKPOINT_RESTORE",
];

/// `RLimitDefaultValue`: NOFILE and NPROC when nothing is configured.
const RLIMIT_DEFAULT: u64 = 1_048_576;

/// The default `PATH` when neither containers.conf nor the image sets one.
const DEFAULT_PATH: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The `CapBnd` mask from the text of `/proc/<pid>/status`.
pub(crate) fn parse_cap_bnd(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("CapBnd:"))
        .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
}

/// `net_admin`, `CAP_NET_ADMIN`, `Net_Admin` → `CAP_NET_ADMIN`; `all` → `ALL`.
pub(crate) fn normalize_cap(name: &str) -> Result<String> {
    let up = name.trim().to_ascii_uppercase();
    if up == "ALL" {
        return Ok(up);
    }
    let full = if up.starts_with("CAP_") {
        up
    } else {
        format!("CAP_{up}")
    };
    if CAPABILITY_NAMES.contains(&full.as_str()) {
        Ok(full)
    } else {
        Err(Error::InvalidArg.context(format!("unknown capability {name:?}")))
    }
}

fn normalize_all(names: &[String]) -> Result<Vec<String>> {
    names.iter().map(|n| normalize_cap(n)).collect()
}

/// Podman's capability merge: `defaults` plus `add` minus `drop`, with `ALL`
/// on either side, restricted to `available` (what the host can grant), sorted.
pub(crate) fn merge_caps(
    defaults: &[String],
    add: &[String],
    drop: &[String],
    available: &[String],
) -> Result<Vec<String>> {
    let defaults = normalize_all(defaults)?;
    let add = normalize_all(add)?;
    let drop = normalize_all(drop)?;
    let all = |v: &[String]| v.iter().any(|c| c == "ALL");
    let keep = |v: Vec<String>| -> Vec<String> {
        let set: BTreeSet<String> = v
            .into_iter()
            .filter(|c| c != "ALL" && available.contains(c))
            .collect();
        set.into_iter().collect()
    };
    if all(&drop) {
        if all(&add) {
            return Err(
                Error::InvalidArg.context("adding all caps and removing all caps not allowed")
            );
        }
        return Ok(keep(add));
    }
    let (base, add) = if all(&add) {
        (available.to_vec(), Vec::new())
    } else {
        if let Some(c) = add.iter().find(|c| drop.contains(c)) {
            return Err(
                Error::InvalidArg.context(format!("capability {c:?} cannot be dropped and added"))
            );
        }
        (defaults, add)
    };
    let mut caps: Vec<String> = base.into_iter().filter(|c| !drop.contains(c)).collect();
    caps.extend(add);
    Ok(keep(caps))
}

/// The `process.capabilities` object: root gets the set in bounding,
/// effective and permitted; another user keeps only bounding, plus its
/// `--cap-add` capabilities in every set.
pub(crate) fn capabilities_json(
    caps: &[String],
    uid: u32,
    user_added: &[String],
) -> Map<String, Value> {
    let mut m = Map::new();
    m.insert("bounding".into(), json!(caps));
    if uid == 0 {
        m.insert("effective".into(), json!(caps));
        m.insert("permitted".into(), json!(caps));
    } else if !user_added.is_empty() {
        for k in ["effective", "inheritable", "permitted", "ambient"] {
            m.insert(k.into(), json!(user_added));
        }
    }
    m
}

/// One `/etc/passwd` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
struct PasswdEntry {
    name: String,
    uid: u32,
    gid: u32,
    home: String,
}

/// One `/etc/group` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
struct GroupEntry {
    name: String,
    gid: u32,
    members: Vec<String>,
}

fn parse_passwd(text: &str) -> Vec<PasswdEntry> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some(PasswdEntry {
                name: f.first()?.to_string(),
                uid: f.get(2)?.parse().ok()?,
                gid: f.get(3)?.parse().ok()?,
                home: f.get(5).map(|s| s.to_string()).unwrap_or_default(),
            })
        })
        .collect()
}

fn parse_group(text: &str) -> Vec<GroupEntry> {
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split(':').collect();
            Some(GroupEntry {
                name: f.first()?.to_string(),
                gid: f.get(2)?.parse().ok()?,
                members: f
                    .get(3)
                    .map(|m| {
                        m.split(',')
                            .map(str::trim)
                            .filter(|s| !s.is_empty())
                            .map(String::from)
                            .collect()
                    })
                    .unwrap_or_default(),
            })
        })
        .collect()
}

/// A user resolved in the container's files.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct ExecUser {
    /// User ID.
    pub uid: u32,
    /// Primary group ID.
    pub gid: u32,
    /// Supplementary groups from `/etc/group` membership (implicit form only).
    pub sgids: Vec<u32>,
    /// Home directory from `/etc/passwd` (empty when unknown).
    pub home: String,
}

/// Resolves `user[:group]` (names or numbers) against the rootfs's
/// `/etc/passwd` and `/etc/group`, as runc's `GetExecUser` does. Missing
/// files are fine for numeric IDs.
pub(crate) fn resolve_user(rootfs: &Path, spec: &str) -> Result<ExecUser> {
    let passwd = std::fs::read_to_string(rootfs.join("etc/passwd"))
        .map(|t| parse_passwd(&t))
        .unwrap_or_default();
    let groups = std::fs::read_to_string(rootfs.join("etc/group"))
        .map(|t| parse_group(&t))
        .unwrap_or_default();
    let (user_arg, group_arg) = match spec.split_once(':') {
        Some((u, g)) => (u, g),
        None => (spec, ""),
    };
    let uid_num: Option<u32> = user_arg.parse().ok();
    let found = passwd.iter().find(|p| match (user_arg, uid_num) {
        ("", _) => p.uid == 0,
        (_, Some(n)) => p.uid == n,
        (name, None) => p.name == name,
    });
    let mut user = ExecUser::default();
    let mut matched_name = None;
    match found {
        Some(p) => {
            user.uid = p.uid;
            user.gid = p.gid;
            user.home = p.home.clone();
            matched_name = Some(p.name.clone());
        }
        None if user_arg.is_empty() => {}
        None => match uid_num {
            Some(n) => user.uid = n,
            None => {
                return Err(Error::InvalidArg.context(format!(
                    "unable to find user {user_arg}: no matching entries in passwd file"
                )));
            }
        },
    }
    if !group_arg.is_empty() {
        let gid_num: Option<u32> = group_arg.parse().ok();
        match groups.iter().find(|g| match gid_num {
            Some(n) => g.gid == n,
            None => g.name == group_arg,
        }) {
            Some(g) => user.gid = g.gid,
            None => match gid_num {
                Some(n) => user.gid = n,
                None => {
                    return Err(Error::InvalidArg.context(format!(
                        "unable to find group {group_arg}: no matching entries in group file"
                    )));
                }
            },
        }
    } else if let Some(name) = matched_name {
        user.sgids = groups
            .iter()
            .filter(|g| g.members.contains(&name))
            .map(|g| g.gid)
            .collect();
    }
    Ok(user)
}

/// The `process.user` object: with an explicit user Podman also lists the
/// primary group in `additionalGids`, then the membership groups.
pub(crate) fn user_json(spec: &str, user: &ExecUser, umask: u32) -> Map<String, Value> {
    let mut gids: Vec<u32> = Vec::new();
    if !spec.is_empty() {
        gids.push(user.gid);
    }
    if !spec.contains(':') {
        for g in &user.sgids {
            if !gids.contains(g) {
                gids.push(*g);
            }
        }
    }
    let mut m = Map::new();
    m.insert("uid".into(), json!(user.uid));
    m.insert("gid".into(), json!(user.gid));
    m.insert("umask".into(), json!(umask));
    if !gids.is_empty() {
        m.insert("additionalGids".into(), json!(gids));
    }
    m
}

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
pub(crate) fn rlimits(config: &Config, opts: &SpecOptions) -> Result<Vec<Value>> {
    let mut limits: Vec<Ulimit> = Vec::new();
    for s in config
        .conf
        .containers
        .default_ulimits
        .iter()
        .chain(opts.ulimits.iter())
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
    Ok(limits
        .into_iter()
        .map(|u| {
            let u = u.capped_to_host();
            json!({"type": u.name, "hard": u.hard, "soft": u.soft})
        })
        .collect())
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

/// The built `process` object and the bounding set (seccomp filters on it).
#[derive(Debug)]
pub(crate) struct Process {
    /// The `process` JSON.
    pub json: Map<String, Value>,
    /// `capabilities.bounding`.
    pub bounding: Vec<String>,
}

/// Builds the container's `process`.
pub(crate) fn build(opts: &SpecOptions, config: &Config, host: &Host) -> Result<Process> {
    let mut args: Vec<String> = opts
        .entrypoint
        .iter()
        .chain(opts.command.iter())
        .cloned()
        .collect();
    if args.is_empty() {
        return Err(Error::InvalidArg
            .context("no command or entrypoint provided, and no CMD or ENTRYPOINT from image"));
    }
    if opts.init {
        args.splice(0..0, [INIT_PATH_IN_CONTAINER.to_string(), "--".to_string()]);
    }

    let user = resolve_user(&opts.rootfs, &opts.user)?;
    let umask = parse_umask(&config.conf.containers.umask)?;

    let mut env = Vec::new();
    if opts.terminal {
        env.push("TERM=xterm".to_string());
    }
    env.push("container=podman".to_string());
    merge_env(&mut env, &config.conf.containers.env);
    merge_env(&mut env, &opts.env);
    if !env_has(&env, "PATH") {
        env.insert(usize::from(opts.terminal) + 1, DEFAULT_PATH.to_string());
    }
    if !env_has(&env, "HOSTNAME") {
        env.push(format!("HOSTNAME={}", effective_hostname(opts)));
    }
    if !env_has(&env, "HOME") && !user.home.is_empty() {
        env.push(format!("HOME={}", user.home));
    }

    let available = host.all_caps();
    let caps = if opts.privileged {
        available.clone()
    } else {
        merge_caps(
            &config.conf.containers.default_capabilities,
            &opts.cap_add,
            &opts.cap_drop,
            &available,
        )?
    };
    let user_added = if user.uid != 0 {
        merge_caps(&[], &opts.cap_add, &[], &available)?
    } else {
        Vec::new()
    };

    let mut p = Map::new();
    if opts.terminal {
        p.insert("terminal".into(), Value::Bool(true));
    }
    p.insert(
        "user".into(),
        Value::Object(user_json(&opts.user, &user, umask)),
    );
    p.insert("args".into(), json!(args));
    p.insert("env".into(), json!(env));
    let cwd = if opts.workdir.is_empty() {
        "/"
    } else {
        opts.workdir.as_str()
    };
    if !cwd.starts_with('/') {
        return Err(Error::InvalidArg.context(format!("workdir {cwd:?} must be an absolute path")));
    }
    p.insert("cwd".into(), json!(cwd));
    p.insert(
        "capabilities".into(),
        Value::Object(capabilities_json(&caps, user.uid, &user_added)),
    );
    p.insert("rlimits".into(), Value::Array(rlimits(config, opts)?));
    if opts.no_new_privileges {
        p.insert("noNewPrivileges".into(), Value::Bool(true));
    }
    Ok(Process {
        json: p,
        bounding: caps,
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::{busybox_rootfs, test_config, test_host, test_opts};
    use super::*;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    #[test]
    fn capability_table_matches_oci_spec_and_the_kernel() {
        let unique: BTreeSet<&str> = CAPABILITY_NAMES.iter().copied().collect();
        assert_eq!(unique.len(), CAPABILITY_NAMES.len());
        for name in CAPABILITY_NAMES {
            assert!(
                serde_json::from_value::<oci_spec::runtime::Capability>(json!(name)).is_ok(),
                "{name} unknown to oci-spec"
            );
        }
        // The numbering: this process's bounding set is a subset of the table.
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let bnd = parse_cap_bnd(&status).unwrap();
        assert!(
            bnd >> CAPABILITY_NAMES.len() == 0,
            "kernel knows caps the table lacks"
        );
        let last: usize = std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        assert!(last < CAPABILITY_NAMES.len());
    }

    #[test]
    fn cap_bnd_parses() {
        assert_eq!(
            parse_cap_bnd("Name:\tx\nCapBnd:\t000001fffeffffff\n"),
            Some(0x1fffeffffff)
        );
        assert_eq!(parse_cap_bnd("Name: x\n"), None);
    }

    #[test]
    fn cap_names_normalize() {
        assert_eq!(normalize_cap("net_admin").unwrap(), "CAP_NET_ADMIN");
        assert_eq!(normalize_cap("CAP_SYS_ADMIN").unwrap(), "CAP_SYS_ADMIN");
        assert_eq!(normalize_cap("Cap_Kill").unwrap(), "CAP_KILL");
        assert_eq!(normalize_cap("all").unwrap(), "ALL");
        assert!(normalize_cap("flying").unwrap_err().is(&Error::InvalidArg));
    }

    #[test]
    fn merging_caps_follows_podman() {
        let avail = test_host().all_caps();
        let defaults: Vec<String> = crate::config::DEFAULT_CAPABILITIES
            .iter()
            .map(|c| c.to_string())
            .collect();
        let base = merge_caps(&defaults, &[], &[], &avail).unwrap();
        assert_eq!(base.len(), 11);
        assert!(base.windows(2).all(|w| w[0] < w[1]), "sorted");

        let c = merge_caps(&defaults, &s(&["net_admin"]), &s(&["CHOWN"]), &avail).unwrap();
        assert!(c.contains(&"CAP_NET_ADMIN".into()) && !c.contains(&"CAP_CHOWN".into()));
        assert_eq!(c.len(), 11);

        let c = merge_caps(&defaults, &s(&["ALL"]), &s(&["sys_admin"]), &avail).unwrap();
        assert_eq!(c.len(), avail.len() - 1);
        assert!(!c.contains(&"CAP_SYS_ADMIN".into()));

        let c = merge_caps(&defaults, &s(&["kill"]), &s(&["all"]), &avail).unwrap();
        assert_eq!(c, s(&["CAP_KILL"]));

        assert!(merge_caps(&defaults, &s(&["ALL"]), &s(&["ALL"]), &avail).is_err());
        assert!(merge_caps(&defaults, &s(&["KILL"]), &s(&["kill"]), &avail).is_err());

        // A capability the host cannot grant is left out.
        let mut host = test_host();
        host.bounding &= !(1u64 << 24);
        let c = merge_caps(&defaults, &s(&["SYS_RESOURCE"]), &[], &host.all_caps()).unwrap();
        assert!(!c.contains(&"CAP_SYS_RESOURCE".into()));
    }

    #[test]
    fn non_root_keeps_bounding_only_unless_caps_are_added() {
        let d = tempfile::tempdir().unwrap();
        let mut opts = test_opts(d.path());
        opts.user = "1000".into();
        let p = build(&opts, &test_config(), &test_host()).unwrap();
        let caps = p.json["capabilities"].as_object().unwrap();
        assert_eq!(caps.keys().collect::<Vec<_>>(), ["bounding"]);
        assert_eq!(caps["bounding"].as_array().unwrap().len(), 11);
        assert_eq!(
            p.json["user"],
            json!({"uid": 1000, "gid": 1000, "umask": 18, "additionalGids": [1000, 10, 29]})
        );

        opts.cap_add = s(&["NET_ADMIN"]);
        let p = build(&opts, &test_config(), &test_host()).unwrap();
        let caps = &p.json["capabilities"];
        assert_eq!(caps["effective"], json!(["CAP_NET_ADMIN"]));
        assert_eq!(caps["permitted"], json!(["CAP_NET_ADMIN"]));
        assert_eq!(caps["ambient"], json!(["CAP_NET_ADMIN"]));
        assert_eq!(caps["bounding"].as_array().unwrap().len(), 12);
    }

    #[test]
    fn users_resolve_in_the_rootfs() {
        let d = tempfile::tempdir().unwrap();
        let rootfs = busybox_rootfs(d.path());
        let root = resolve_user(&rootfs, "").unwrap();
        assert_eq!((root.uid, root.gid, root.home.as_str()), (0, 0, "/root"));
        let a = resolve_user(&rootfs, "alice").unwrap();
        assert_eq!((a.uid, a.gid), (1000, 1000));
        assert_eq!(a.sgids, vec![10, 29]);
        let a = resolve_user(&rootfs, "alice:wheel").unwrap();
        assert_eq!((a.uid, a.gid), (1000, 10));
        assert!(
            a.sgids.is_empty(),
            "explicit group: no supplementary groups"
        );
        let n = resolve_user(&rootfs, "4242:77").unwrap();
        assert_eq!((n.uid, n.gid, n.home.as_str()), (4242, 77, ""));
        let e = resolve_user(&rootfs, "bob").unwrap_err();
        assert!(e.is(&Error::InvalidArg));
        assert_eq!(
            e.to_string(),
            "unable to find user bob: no matching entries in passwd file: invalid argument"
        );
        assert!(resolve_user(&rootfs, "alice:nosuch").is_err());

        // No /etc/passwd at all: numbers still work, names do not.
        let bare = d.path().join("bare");
        std::fs::create_dir_all(&bare).unwrap();
        assert_eq!(resolve_user(&bare, "5:6").unwrap().uid, 5);
        assert_eq!(resolve_user(&bare, "").unwrap(), ExecUser::default());
        assert!(resolve_user(&bare, "alice").is_err());
    }

    #[test]
    fn env_has_podmans_defaults_and_overrides() {
        let d = tempfile::tempdir().unwrap();
        let mut opts = test_opts(d.path());
        opts.terminal = true;
        opts.env = s(&["FOO=1", "PATH=/bin", "FOO=2", "bogus"]);
        opts.hostname = "box".into();
        let p = build(&opts, &test_config(), &test_host()).unwrap();
        assert_eq!(
            p.json["env"],
            json!([
                "TERM=xterm",
                "container=podman",
                "PATH=/bin",
                "FOO=2",
                "HOSTNAME=box",
                "HOME=/root"
            ])
        );

        // No TERM without a terminal; PATH from containers.conf when the image sets none.
        opts.terminal = false;
        opts.env = s(&["HOME=/x", "HOSTNAME=mine"]);
        let mut config = test_config();
        config.conf.containers.env = s(&["A=b"]);
        let p = build(&opts, &config, &test_host()).unwrap();
        assert_eq!(
            p.json["env"],
            json!([
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
        let r = rlimits(&config, &opts).unwrap();
        assert_eq!(r.len(), 2);
        assert_eq!(r[0]["type"], "RLIMIT_NOFILE");
        assert_eq!(r[0]["hard"], RLIMIT_DEFAULT.min(nofile_hard));
        assert_eq!(r[1]["type"], "RLIMIT_NPROC");
        assert_eq!(r[1]["hard"], RLIMIT_DEFAULT.min(nproc_hard));

        let mut config = test_config();
        config.conf.containers.default_ulimits = s(&["nofile=500:600", "core=0:0"]);
        opts.ulimits = s(&["nofile=100:200", "nproc=-1"]);
        let r = rlimits(&config, &opts).unwrap();
        assert_eq!(r.len(), 3);
        assert_eq!(
            r[0],
            json!({"type": "RLIMIT_NOFILE", "hard": 200, "soft": 100})
        );
        assert_eq!(r[1]["type"], "RLIMIT_CORE");
        assert_eq!(r[2]["type"], "RLIMIT_NPROC");
        assert_eq!(r[2]["hard"], nproc_hard);
        for l in &r {
            assert!(l["soft"].as_u64() <= l["hard"].as_u64());
        }

        opts.ulimits = s(&["nofile=x"]);
        assert!(rlimits(&config, &opts).is_err());
    }

    #[test]
    fn umask_and_workdir() {
        assert_eq!(parse_umask("0022").unwrap(), 18);
        assert_eq!(parse_umask("077").unwrap(), 0o77);
        assert!(parse_umask("999").is_err());
        let d = tempfile::tempdir().unwrap();
        let mut opts = test_opts(d.path());
        opts.workdir = "/srv".into();
        assert_eq!(
            build(&opts, &test_config(), &test_host()).unwrap().json["cwd"],
            "/srv"
        );
        opts.workdir = "srv".into();
        assert!(build(&opts, &test_config(), &test_host()).is_err());
    }
}
