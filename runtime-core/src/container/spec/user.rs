//! The user a process runs as: `user[:group]` resolved in the rootfs's
//! `/etc/passwd` and `/etc/group`, and the OCI `process.user` it becomes.

use std::path::Path;

use oci_spec::runtime::{User, UserBuilder};

use super::oci_error;
use crate::confined::{ConfinedRoot, is_not_found};
use crate::error::{Error, Result};

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
///
/// The files are read through a [`ConfinedRoot`], so a symlink in the
/// image resolves inside the root filesystem, never to a host file.
pub(crate) fn resolve_user(rootfs: &Path, spec: &str) -> Result<ExecUser> {
    let (passwd, groups) = match ConfinedRoot::open(rootfs) {
        Ok(root) => (
            root.read_to_string("/etc/passwd")?
                .map(|t| parse_passwd(&t))
                .unwrap_or_default(),
            root.read_to_string("/etc/group")?
                .map(|t| parse_group(&t))
                .unwrap_or_default(),
        ),
        Err(e) if is_not_found(&e) => (Vec::new(), Vec::new()),
        Err(e) => return Err(e),
    };
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
pub(crate) fn oci_user(spec: &str, user: &ExecUser, umask: u32) -> Result<User> {
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
    let mut b = UserBuilder::default()
        .uid(user.uid)
        .gid(user.gid)
        .umask(umask);
    if !gids.is_empty() {
        b = b.additional_gids(gids);
    }
    b.build().map_err(oci_error)
}

#[cfg(test)]
mod tests {
    use super::super::tests::busybox_rootfs;
    use super::*;

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
    fn a_passwd_symlink_in_the_image_never_reads_the_host() {
        let d = tempfile::tempdir().unwrap();
        // A host file that would give "hostonly" uid 4711 if it were read.
        let host = d.path().join("host-passwd");
        std::fs::write(&host, "hostonly:x:4711:4711::/h:/bin/sh\n").unwrap();
        let rootfs = d.path().join("rootfs");
        std::fs::create_dir_all(rootfs.join("etc")).unwrap();
        for (name, target) in [
            ("passwd", host.clone()),
            ("group", "../../host-passwd".into()),
        ] {
            std::os::unix::fs::symlink(&target, rootfs.join("etc").join(name)).unwrap();
        }
        let e = resolve_user(&rootfs, "hostonly").unwrap_err();
        assert!(
            e.to_string().contains("unable to find user hostonly"),
            "{e}"
        );
        // The same link resolved inside the root reads the image's own file.
        let inside = rootfs.join(host.strip_prefix("/").unwrap());
        std::fs::create_dir_all(inside.parent().unwrap()).unwrap();
        std::fs::write(&inside, "img:x:7:8::/img:/bin/sh\n").unwrap();
        assert_eq!(resolve_user(&rootfs, "img").unwrap().uid, 7);
    }

    #[test]
    fn explicit_users_list_their_primary_group() {
        let d = tempfile::tempdir().unwrap();
        let rootfs = busybox_rootfs(d.path());
        let alice = resolve_user(&rootfs, "alice").unwrap();
        let u = oci_user("alice", &alice, 0o22).unwrap();
        assert_eq!(u.additional_gids().as_deref(), Some(&[1000, 10, 29][..]));
        let u = oci_user(
            "alice:wheel",
            &resolve_user(&rootfs, "alice:wheel").unwrap(),
            0o22,
        )
        .unwrap();
        assert_eq!(u.additional_gids().as_deref(), Some(&[10][..]));
        let root = oci_user("", &resolve_user(&rootfs, "").unwrap(), 0o22).unwrap();
        assert_eq!(
            serde_json::to_value(root).unwrap(),
            serde_json::json!({"uid": 0, "gid": 0, "umask": 18})
        );
    }
}
