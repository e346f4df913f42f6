//! Every tar escape attempt is refused and touches nothing outside the layer.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

mod common;

use std::path::Path;

use common::{E, tar_of};
use rpod_storage::tar_apply::{Target, apply_layer};

/// Applies `tar` into `<tmp>/layer`, expects a refusal, and checks that
/// nothing appeared beside the layer.
fn refused(tar: Vec<u8>) -> String {
    for target in [Target::Overlay, Target::Vfs] {
        let d = tempfile::tempdir().unwrap();
        let root = d.path().join("a/b/layer");
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(d.path().join("a/victim"), b"keep").unwrap();
        let err = apply_layer(&mut tar.as_slice(), &root, target)
            .unwrap_err()
            .to_string();
        assert!(err.contains("refusing tar entry"), "{err}");
        let outside: Vec<_> = walk(d.path())
            .into_iter()
            .filter(|p| !p.starts_with(&root))
            .collect();
        let mut names: Vec<String> = outside
            .iter()
            .map(|p| p.strip_prefix(d.path()).unwrap().display().to_string())
            .collect();
        names.sort();
        assert_eq!(
            names,
            vec!["a", "a/b", "a/victim"],
            "something was written outside the layer"
        );
        assert_eq!(std::fs::read(d.path().join("a/victim")).unwrap(), b"keep");
        if target == Target::Vfs {
            return err;
        }
    }
    unreachable!()
}

fn walk(p: &Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(p).unwrap() {
        let e = e.unwrap().path();
        out.push(e.clone());
        if std::fs::symlink_metadata(&e).unwrap().is_dir() {
            out.extend(walk(&e));
        }
    }
    out
}

#[test]
fn dotdot_names_are_refused() {
    let e = refused(tar_of(&[E::File("../../victim2", b"x")]));
    assert!(e.contains(".."), "{e}");
}

#[test]
fn dotdot_in_the_middle_is_refused() {
    refused(tar_of(&[E::Dir("d/"), E::File("d/../../../x", b"x")]));
}

#[test]
fn absolute_names_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let target = d.path().join("abs-victim");
    let name = target.to_string_lossy().into_owned();
    let e = refused(tar_of(&[E::File(&name, b"x")]));
    assert!(e.contains("absolute"), "{e}");
    assert!(!target.exists());
}

#[test]
fn writing_through_an_earlier_symlink_is_refused() {
    // evil -> the directory above the layer; then evil/owned.
    let e = refused(tar_of(&[E::Sym("evil", "/"), E::File("evil/owned", b"x")]));
    assert!(e.contains("symlink"), "{e}");
}

#[test]
fn writing_through_a_symlinked_directory_deeper_is_refused() {
    refused(tar_of(&[
        E::Dir("d/"),
        E::Sym("d/up", "/tmp"),
        E::File("d/up/x/y", b"x"),
    ]));
}

#[test]
fn relative_symlinks_climbing_out_are_refused() {
    let e = refused(tar_of(&[E::Dir("d/"), E::Sym("d/out", "../../victim")]));
    assert!(e.contains("outside"), "{e}");
}

#[test]
fn hardlinks_to_outside_are_refused() {
    refused(tar_of(&[E::Hard("h", "../../victim")]));
}

#[test]
fn absolute_hardlink_targets_are_refused() {
    refused(tar_of(&[E::Hard("h", "/etc/passwd")]));
}

#[test]
fn hardlinks_through_a_symlink_are_refused() {
    refused(tar_of(&[E::Sym("s", "/etc"), E::Hard("h", "s/passwd")]));
}

#[test]
fn whiteouts_through_a_symlink_are_refused() {
    // Would delete (vfs) or replace (overlay) a file outside.
    refused(tar_of(&[E::Sym("s", "/"), E::File("s/.wh.victim", b"")]));
}

#[test]
fn replacing_a_symlink_with_a_file_does_not_follow_it() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("layer");
    std::fs::create_dir_all(&root).unwrap();
    let victim = d.path().join("victim");
    std::fs::write(&victim, b"keep").unwrap();
    let tar = tar_of(&[E::Sym("f", victim.to_str().unwrap()), E::File("f", b"new")]);
    apply_layer(&mut tar.as_slice(), &root, Target::Vfs).unwrap();
    assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
    assert_eq!(std::fs::read(root.join("f")).unwrap(), b"new");
}

#[test]
fn setuid_bits_and_xattrs_are_kept() {
    let d = tempfile::tempdir().unwrap();
    let root = d.path().join("layer");
    std::fs::create_dir_all(&root).unwrap();
    let mut b = tar::Builder::new(Vec::new());
    b.append_pax_extensions([("SCHILY.xattr.user.test", b"v1".as_slice())])
        .unwrap();
    let mut h = tar::Header::new_gnu();
    h.set_mode(0o4755);
    h.set_uid(0);
    h.set_gid(0);
    h.set_size(2);
    b.append_data(&mut h, "suid", b"hi".as_slice()).unwrap();
    let tar = b.into_inner().unwrap();
    apply_layer(&mut tar.as_slice(), &root, Target::Overlay).unwrap();
    use std::os::unix::fs::PermissionsExt;
    let m = std::fs::metadata(root.join("suid")).unwrap();
    assert_eq!(m.permissions().mode() & 0o7777, 0o4755);
    let out = std::process::Command::new("getfattr")
        .args(["-n", "user.test", "--only-values"])
        .arg(root.join("suid"))
        .output();
    if let Ok(o) = out
        && o.status.success()
    {
        assert_eq!(o.stdout, b"v1");
    }
}
