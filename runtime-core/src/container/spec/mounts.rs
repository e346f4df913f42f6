//! The spec's `mounts`: Podman's default table in Podman's order, then the
//! user's bind and tmpfs mounts (plus `--read-only` tmpfs and the `--init`
//! binary) sorted by destination depth.

use std::path::{Component, Path, PathBuf};

use oci_spec::runtime::MountBuilder;

use super::{INIT_PATH_IN_CONTAINER, NetworkMode, SpecOptions, oci_error};
use crate::config::Config;
use crate::error::{Error, Result};

/// Where Podman looks for the init binary when containers.conf names none.
const INIT_CANDIDATES: [&str; 2] = ["/usr/bin/catatonit", "/usr/libexec/podman/catatonit"];

/// One OCI mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mount {
    /// Path in the container.
    pub destination: String,
    /// Filesystem type (`bind`, `tmpfs`, `proc`, ...).
    pub kind: String,
    /// Source (host path or pseudo-filesystem name).
    pub source: String,
    /// Mount options.
    pub options: Vec<String>,
}

impl Mount {
    fn new(destination: &str, kind: &str, source: impl Into<String>, options: &[&str]) -> Mount {
        Mount {
            destination: destination.to_string(),
            kind: kind.to_string(),
            source: source.into(),
            options: options.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// The mount as the OCI spec's type.
    pub(crate) fn to_oci(&self) -> Result<oci_spec::runtime::Mount> {
        MountBuilder::default()
            .destination(&self.destination)
            .typ(&self.kind)
            .source(&self.source)
            .options(self.options.clone())
            .build()
            .map_err(oci_error)
    }
}

fn path_str(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// The init binary `--init` mounts: containers.conf's `init_path`, else catatonit.
pub(crate) fn find_init_binary(config: &Config) -> Result<PathBuf> {
    let configured = &config.conf.containers.init_path;
    if !configured.is_empty() {
        let p = PathBuf::from(configured);
        return if p.exists() {
            Ok(p)
        } else {
            Err(Error::InvalidArg.context(format!(
                "container-init binary {configured} (init_path in containers.conf) not found on the host"
            )))
        };
    }
    INIT_CANDIDATES
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .ok_or_else(|| {
            Error::InvalidArg.context(format!(
                "container-init binary not found on the host (looked for {})",
                INIT_CANDIDATES.join(", ")
            ))
        })
}

/// Podman's default mounts, in its order.
fn defaults(opts: &SpecOptions) -> Vec<Mount> {
    let rw_or_ro = if opts.settings.privileged { "rw" } else { "ro" };
    let mut m = vec![
        Mount::new("/proc", "proc", "proc", &["nosuid", "noexec", "nodev"]),
        Mount::new(
            "/dev",
            "tmpfs",
            "tmpfs",
            &["nosuid", "noexec", "strictatime", "mode=755", "size=65536k"],
        ),
        Mount::new(
            "/sys",
            "sysfs",
            "sysfs",
            &["nosuid", "noexec", "nodev", rw_or_ro],
        ),
        Mount::new(
            "/dev/pts",
            "devpts",
            "devpts",
            &[
                "nosuid",
                "noexec",
                "newinstance",
                "ptmxmode=0666",
                "mode=0620",
                "gid=5",
            ],
        ),
        Mount::new(
            "/dev/mqueue",
            "mqueue",
            "mqueue",
            &["nosuid", "noexec", "nodev"],
        ),
    ];
    let bind = ["bind", "rprivate"];
    let run = |f: &str| path_str(&opts.run_dir.join(f));
    m.push(Mount::new("/etc/hostname", "bind", run("hostname"), &bind));
    if opts.settings.network != NetworkMode::None {
        m.push(Mount::new(
            "/etc/resolv.conf",
            "bind",
            run("resolv.conf"),
            &bind,
        ));
    }
    m.push(Mount::new("/etc/hosts", "bind", run("hosts"), &bind));
    m.push(Mount::new(
        "/dev/shm",
        "bind",
        path_str(&opts.bundle.join("shm")),
        &["bind", "rprivate", "nosuid", "noexec", "nodev"],
    ));
    m.push(Mount::new(
        "/run/.containerenv",
        "bind",
        run(".containerenv"),
        &bind,
    ));
    m.push(Mount::new(
        "/sys/fs/cgroup",
        "cgroup",
        "cgroup",
        &[
            "rprivate", "nosuid", "noexec", "nodev", "relatime", rw_or_ro,
        ],
    ));
    m
}

/// `noexec`/`nosuid`/`nodev` defaults of a bind source: those of the
/// filesystem it lives on. tmpfs mounts get `nosuid` and `nodev` but stay
/// executable, as Podman's do.
fn default_flags(source: Option<&Path>) -> Result<(bool, bool, bool)> {
    let Some(src) = source else {
        return Ok((false, true, true));
    };
    use nix::sys::statvfs::{FsFlags, statvfs};
    let st = statvfs(src)
        .map_err(|e| Error::io(src, e.into()).context("checking the source of a bind mount"))?;
    let f = st.flags();
    Ok((
        f.contains(FsFlags::ST_NOEXEC),
        f.contains(FsFlags::ST_NOSUID),
        f.contains(FsFlags::ST_NODEV),
    ))
}

/// Validates and completes mount options the way Podman's `ProcessOptions`
/// does: one of each pair, `rw` and `rprivate` by default, the source's
/// `noexec/nosuid/nodev`, `tmpcopyup` for tmpfs and `rbind` for binds.
/// SELinux relabel flags (`z`, `Z`) are accepted and dropped (no labelling).
pub(crate) fn process_options(options: &[String], source: Option<&Path>) -> Result<Vec<String>> {
    let tmpfs = source.is_none();
    let bad = |msg: String| Err(Error::InvalidArg.context(msg));
    let mut seen: Vec<&'static str> = Vec::new();
    let mut once = |group: &'static str, what: &str| -> Result<()> {
        if seen.contains(&group) {
            return Err(Error::InvalidArg.context(format!("duplicate mount option passed: {what}")));
        }
        seen.push(group);
        Ok(())
    };
    let mut out = Vec::new();
    for opt in options.iter().map(|o| o.trim()).filter(|o| !o.is_empty()) {
        let key = opt.split_once('=').map_or(opt, |(k, _)| k);
        match key {
            "exec" | "noexec" => once("exec", "only one of 'noexec' and 'exec' can be used")?,
            "suid" | "nosuid" => once("suid", "only one of 'nosuid' and 'suid' can be used")?,
            "dev" | "nodev" => once("dev", "only one of 'nodev' and 'dev' can be used")?,
            "rw" | "ro" => once("rw", "only one of 'rw' and 'ro' can be used")?,
            "private" | "rprivate" | "slave" | "rslave" | "shared" | "rshared" => {
                once("prop", "only one root propagation mode can be used")?
            }
            "size" | "mode" | "tmpcopyup" | "notmpcopyup" | "nr_inodes" if !tmpfs => {
                return bad(format!(
                    "invalid mount option: the {key:?} option is only allowed with tmpfs mounts"
                ));
            }
            "size" => once("size", "only one tmpfs size can be specified")?,
            "mode" => once("mode", "only one tmpfs mode can be specified")?,
            "nr_inodes" => once("nr_inodes", "only one tmpfs nr_inodes can be specified")?,
            "tmpcopyup" | "notmpcopyup" => {
                once(
                    "copyup",
                    "the 'tmpcopyup' or 'notmpcopyup' option can only be set once",
                )?;
                if key == "notmpcopyup" {
                    continue;
                }
            }
            "bind" | "rbind" if tmpfs => {
                return bad(
                    "invalid mount option: the 'bind' and 'rbind' options are not allowed with tmpfs mounts"
                        .into(),
                );
            }
            "bind" | "rbind" => once("bind", "only one of 'rbind' and 'bind' can be used")?,
            "z" | "Z" if tmpfs => {
                return bad(
                    "invalid mount option: the 'z' and 'Z' options are not allowed with tmpfs mounts"
                        .into(),
                );
            }
            "z" | "Z" => {
                once("z", "only one of 'z' and 'Z' can be used")?;
                continue;
            }
            _ => {
                return bad(format!(
                    "invalid mount option: unknown mount option {opt:?}"
                ));
            }
        }
        out.push(opt.to_string());
    }
    let has = |g: &str| seen.contains(&g);
    let (noexec, nosuid, nodev) = default_flags(source)?;
    let mut add = |cond: bool, o: &str| {
        if cond {
            out.push(o.to_string());
        }
    };
    add(!has("rw"), "rw");
    add(!has("prop"), "rprivate");
    add(!has("exec") && noexec, "noexec");
    add(!has("suid") && nosuid, "nosuid");
    add(!has("dev") && nodev, "nodev");
    add(tmpfs && !has("copyup"), "tmpcopyup");
    add(!tmpfs && !has("bind"), "rbind");
    Ok(out)
}

/// The number of components of an absolute destination (`/` is 0).
fn depth(dest: &str) -> usize {
    Path::new(dest)
        .components()
        .filter(|c| matches!(c, Component::Normal(_)))
        .count()
}

fn check_destination(dest: &str) -> Result<String> {
    if !dest.starts_with('/') {
        return Err(Error::InvalidArg.context(format!(
            "invalid container path {dest:?}, must be an absolute path"
        )));
    }
    let clean: PathBuf = Path::new(dest)
        .components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect();
    Ok(path_str(&clean))
}

/// Where the upper and work directories of the `i`th `:O` mount live:
/// the container's bundle, so they go with it.
pub(crate) fn overlay_dir(bundle: &Path, i: usize) -> PathBuf {
    bundle.join("overlay").join(i.to_string())
}

/// `-v SRC:DEST:O`: an overlay with the source as its read-only lower
/// layer; writes go to an upper directory of the container's, emptied at
/// every start (init), so the source never changes.
fn overlay_mount(
    opts: &SpecOptions,
    i: usize,
    b: &super::BindMount,
    destination: String,
) -> Result<Mount> {
    let dir = overlay_dir(&opts.bundle, i);
    let mut options = vec![format!(
        "lowerdir={},upperdir={},workdir={}",
        path_str(&b.source),
        path_str(&dir.join("upper")),
        path_str(&dir.join("work"))
    )];
    for o in &b.options {
        match o.as_str() {
            "O" | "z" | "Z" => {}
            "ro" | "rw" | "private" | "rprivate" | "nodev" | "nosuid" | "noexec" | "dev"
            | "suid" | "exec" => options.push(o.clone()),
            other => {
                return Err(Error::InvalidArg.context(format!(
                    "invalid mount option: {other:?} cannot be used with the overlay option 'O'"
                )));
            }
        }
    }
    if !options.iter().any(|o| o.ends_with("private")) {
        options.push("private".into());
    }
    Ok(Mount {
        destination,
        kind: "overlay".into(),
        source: "overlay".into(),
        options,
    })
}

/// All mounts of the container, in order.
pub(crate) fn build(opts: &SpecOptions, init_binary: Option<&Path>) -> Result<Vec<Mount>> {
    let mut user: Vec<Mount> = Vec::new();
    for (i, b) in opts.settings.binds.iter().enumerate() {
        let destination = check_destination(&b.destination)?;
        if b.options.iter().any(|o| o == "O") {
            user.push(overlay_mount(opts, i, b, destination)?);
            continue;
        }
        let options = process_options(&b.options, Some(&b.source))?;
        user.push(Mount {
            destination,
            kind: "bind".into(),
            source: path_str(&b.source),
            options,
        });
    }
    for (dest, options) in &opts.settings.tmpfs {
        let destination = check_destination(dest)?;
        let given: Vec<String> = options.split(',').map(String::from).collect();
        user.push(Mount {
            destination,
            kind: "tmpfs".into(),
            source: "tmpfs".into(),
            options: process_options(&given, None)?,
        });
    }
    if opts.settings.read_only {
        let base = ["rw", "rprivate", "nosuid", "nodev", "tmpcopyup"];
        for dest in ["/tmp", "/var/tmp", "/run"] {
            if user.iter().any(|m| m.destination == dest) {
                continue;
            }
            let mut o: Vec<&str> = base.to_vec();
            if dest == "/run" {
                o.extend(["noexec", "size=65536k"]);
            }
            user.push(Mount::new(dest, "tmpfs", "tmpfs", &o));
        }
    }
    if let Some(init) = init_binary {
        user.push(Mount::new(
            INIT_PATH_IN_CONTAINER,
            "bind",
            path_str(init),
            &["bind", "rprivate", "ro"],
        ));
    }
    for (i, m) in user.iter().enumerate() {
        if user[..i].iter().any(|o| o.destination == m.destination) {
            return Err(Error::InvalidArg
                .context(format!("{}: duplicate mount destination", m.destination)));
        }
    }
    user.sort_by_key(|m| depth(&m.destination));
    let mut all: Vec<Mount> = defaults(opts)
        .into_iter()
        .filter(|d| !user.iter().any(|u| u.destination == d.destination))
        .collect();
    all.extend(user);
    Ok(all)
}

#[cfg(test)]
mod tests {
    use super::super::tests::test_opts;
    use super::*;
    use crate::container::spec::BindMount;

    fn s(v: &[&str]) -> Vec<String> {
        v.iter().map(|x| x.to_string()).collect()
    }

    fn dests(m: &[Mount]) -> Vec<&str> {
        m.iter().map(|m| m.destination.as_str()).collect()
    }

    #[test]
    fn default_order_is_podmans() {
        let d = tempfile::tempdir().unwrap();
        let mut opts = test_opts(d.path());
        opts.settings.network = NetworkMode::Private;
        let m = build(&opts, None).unwrap();
        assert_eq!(
            dests(&m),
            [
                "/proc",
                "/dev",
                "/sys",
                "/dev/pts",
                "/dev/mqueue",
                "/etc/hostname",
                "/etc/resolv.conf",
                "/etc/hosts",
                "/dev/shm",
                "/run/.containerenv",
                "/sys/fs/cgroup"
            ]
        );
        assert_eq!(m[2].options, s(&["nosuid", "noexec", "nodev", "ro"]));
        assert_eq!(m[10].options.last().unwrap(), "ro");
        assert_eq!(m[6].source, path_str(&d.path().join("run/resolv.conf")));
        assert_eq!(m[5].options, s(&["bind", "rprivate"]));
    }

    #[test]
    fn user_mounts_follow_sorted_by_depth_and_replace_defaults() {
        let d = tempfile::tempdir().unwrap();
        let mut opts = test_opts(d.path());
        opts.settings.binds = vec![
            BindMount {
                source: d.path().into(),
                destination: "/a/b/c".into(),
                options: vec![],
            },
            BindMount {
                source: d.path().into(),
                destination: "/x".into(),
                options: s(&["ro", "z"]),
            },
            BindMount {
                source: d.path().into(),
                destination: "/etc/hosts".into(),
                options: vec![],
            },
        ];
        opts.settings.tmpfs = vec![("/a/b".into(), "size=1m,mode=1777".into())];
        let m = build(&opts, None).unwrap();
        let ds = dests(&m);
        assert_eq!(ds.iter().filter(|d| **d == "/etc/hosts").count(), 1);
        let n = ds.len();
        assert_eq!(&ds[n - 4..], ["/x", "/etc/hosts", "/a/b", "/a/b/c"]);
        let x = &m[n - 4];
        assert_eq!(x.kind, "bind");
        assert!(x.options.contains(&"ro".into()) && x.options.contains(&"rbind".into()));
        assert!(
            !x.options.contains(&"z".into()),
            "relabel flags are dropped"
        );
        assert!(x.options.contains(&"rprivate".into()));
        let t = &m[n - 2];
        assert_eq!(t.kind, "tmpfs");
        assert_eq!(
            t.options,
            s(&[
                "size=1m",
                "mode=1777",
                "rw",
                "rprivate",
                "nosuid",
                "nodev",
                "tmpcopyup"
            ])
        );
    }

    #[test]
    fn options_are_validated_like_podman() {
        let d = tempfile::tempdir().unwrap();
        let src = Some(d.path());
        assert!(process_options(&s(&["ro", "rw"]), src).is_err());
        assert!(process_options(&s(&["size=1m"]), src).is_err());
        assert!(process_options(&s(&["bind"]), None).is_err());
        assert!(process_options(&s(&["frob"]), src).is_err());
        assert!(process_options(&s(&["z", "Z"]), src).is_err());
        let o = process_options(&s(&["notmpcopyup", "exec"]), None).unwrap();
        assert_eq!(o, s(&["exec", "rw", "rprivate", "nosuid", "nodev"]));
        let o = process_options(&s(&["bind", "shared"]), src).unwrap();
        assert!(o.contains(&"bind".into()) && !o.contains(&"rbind".into()));
        assert!(!o.contains(&"rprivate".into()));
        // A missing bind source is an error naming it.
        let gone = d.path().join("gone");
        let e = process_options(&[], Some(&gone)).unwrap_err();
        assert!(e.to_string().contains("gone"), "{e}");
    }

    #[test]
    fn bad_destinations_are_rejected() {
        let d = tempfile::tempdir().unwrap();
        let mut opts = test_opts(d.path());
        opts.settings.tmpfs = vec![("relative".into(), String::new())];
        assert!(build(&opts, None).unwrap_err().is(&Error::InvalidArg));
        opts.settings.tmpfs = vec![("/t".into(), String::new()), ("/t/".into(), String::new())];
        assert!(build(&opts, None).is_err(), "duplicate destination");
    }

    #[test]
    fn read_only_tmpfs_keeps_user_mounts() {
        let d = tempfile::tempdir().unwrap();
        let mut opts = test_opts(d.path());
        opts.settings.read_only = true;
        opts.settings.tmpfs = vec![("/tmp".into(), "size=2m".into())];
        let m = build(&opts, None).unwrap();
        let tmp: Vec<&Mount> = m.iter().filter(|m| m.destination == "/tmp").collect();
        assert_eq!(tmp.len(), 1);
        assert!(tmp[0].options.contains(&"size=2m".into()));
        let run = m.iter().find(|m| m.destination == "/run").unwrap();
        assert!(run.options.contains(&"noexec".into()));
    }

    #[test]
    fn init_binary_lookup() {
        let d = tempfile::tempdir().unwrap();
        let mut config = crate::container::spec::tests::test_config();
        let f = d.path().join("init");
        std::fs::write(&f, "").unwrap();
        config.conf.containers.init_path = path_str(&f);
        assert_eq!(find_init_binary(&config).unwrap(), f);
        config.conf.containers.init_path = path_str(&d.path().join("nope"));
        assert!(find_init_binary(&config).is_err());
        config.conf.containers.init_path.clear();
        let found = find_init_binary(&config);
        assert_eq!(
            found.is_ok(),
            INIT_CANDIDATES.iter().any(|p| Path::new(p).exists())
        );
    }
}
