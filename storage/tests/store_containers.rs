//! Store containers end to end: commit, diff, export, image mounts, mount
//! reference counts and deleting many containers at once (overlay and vfs).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

mod common;

use std::collections::BTreeSet;

use common::{busybox_rootfs, docker_archive, mounts_under, store};
use rpod_runtime_core::storage::{ImportOptions, Storage};

fn commit_diff_export(driver: &str) {
    let (d, s) = store(driver);
    s.load_images(&mut docker_archive(&[busybox_rootfs()], &["bb"]).as_slice())
        .unwrap();
    let id = "b2".repeat(32);
    s.create_container(&id, "ctr", "bb").unwrap();
    let root = s.mount_container(&id).unwrap();
    std::fs::write(root.join("etc/new"), b"n").unwrap();
    std::fs::write(root.join("etc/hostname"), b"changed\n").unwrap();
    std::fs::remove_file(root.join("bin/sh")).unwrap();
    let ch: BTreeSet<(char, String)> = s
        .container_changes(&id)
        .unwrap()
        .into_iter()
        .map(|c| (c.kind, c.path))
        .collect();
    for want in [
        ('A', "/etc/new"),
        ('C', "/etc/hostname"),
        ('D', "/bin/sh"),
        ('C', "/etc"),
    ] {
        assert!(
            ch.contains(&(want.0, want.1.to_string())),
            "{want:?} missing from {ch:?}"
        );
    }
    let mut exp = Vec::new();
    s.export_container(&id, &mut exp).unwrap();
    let names: BTreeSet<String> = tar::Archive::new(exp.as_slice())
        .entries()
        .unwrap()
        .map(|e| {
            e.unwrap()
                .path()
                .unwrap()
                .display()
                .to_string()
                .trim_end_matches('/')
                .to_string()
        })
        .collect();
    assert!(
        names.contains("etc/new") && names.contains("bin/busybox") && !names.contains("bin/sh"),
        "{names:?}"
    );
    let img = s
        .commit_container(
            &id,
            &ImportOptions {
                names: vec!["committed".into()],
                changes: vec!["USER 7".into()],
                message: "m".into(),
            },
            serde_json::Value::Null,
        )
        .unwrap();
    s.unmount_container(&id, false).unwrap();
    let cfg = s.image_config(&img.id).unwrap();
    assert_eq!(cfg["rootfs"]["diff_ids"].as_array().unwrap().len(), 2);
    assert_eq!(cfg["config"]["User"], "7");
    assert_eq!(
        cfg["history"].as_array().unwrap().last().unwrap()["comment"],
        "m"
    );
    let id2 = "c3".repeat(32);
    s.create_container(&id2, "ctr2", "committed").unwrap();
    let r2 = s.mount_container(&id2).unwrap();
    assert_eq!(std::fs::read(r2.join("etc/new")).unwrap(), b"n");
    assert_eq!(
        std::fs::read(r2.join("etc/hostname")).unwrap(),
        b"changed\n"
    );
    assert!(std::fs::symlink_metadata(r2.join("bin/sh")).is_err());
    assert!(r2.join("bin/busybox").exists());
    s.unmount_container(&id2, false).unwrap();
    // Image mount.
    let im = s.mount_image("committed").unwrap();
    assert!(im.join("etc/new").exists());
    s.unmount_image("committed", false).unwrap();
    assert!(mounts_under(d.path()).is_empty());
}

#[test]
fn commit_diff_export_and_image_mount_overlay() {
    commit_diff_export("overlay");
}

#[test]
fn commit_diff_export_and_image_mount_vfs() {
    commit_diff_export("vfs");
}

#[test]
fn mounts_are_reference_counted_in_mountpoints_json() {
    let (d, s) = store("overlay");
    s.import_image(
        &mut busybox_rootfs().as_slice(),
        &ImportOptions {
            names: vec!["bb".into()],
            ..Default::default()
        },
    )
    .unwrap();
    let id = "d4".repeat(32);
    let c = s.create_container(&id, "m", "bb").unwrap();
    let p1 = s.mount_container(&id).unwrap();
    let p2 = s.mount_container(&id).unwrap();
    assert_eq!(p1, p2);
    assert!(p1.join("bin/busybox").exists());
    let mp: serde_json::Value =
        serde_json::from_slice(&std::fs::read(s.layout().mountpoints_json()).unwrap()).unwrap();
    assert_eq!(mp[0]["count"], 2);
    assert_eq!(mp[0]["id"], c.layer);
    s.unmount_container(&id, false).unwrap();
    assert_eq!(mounts_under(d.path()).len(), 1);
    s.unmount_container(&id, false).unwrap();
    assert!(mounts_under(d.path()).is_empty());
    s.mount_container(&id).unwrap();
    s.delete_container(&id).unwrap();
    assert!(mounts_under(d.path()).is_empty());
    assert!(s.containers().unwrap().is_empty());
}

fn deleting_many_containers(driver: &str) {
    let (d, s) = store(driver);
    s.import_image(
        &mut busybox_rootfs().as_slice(),
        &ImportOptions {
            names: vec!["bb".into()],
            ..Default::default()
        },
    )
    .unwrap();
    let ids: Vec<String> = (0..12).map(|n| format!("{n:02x}").repeat(32)).collect();
    let mut layers = Vec::new();
    for (n, id) in ids.iter().enumerate() {
        layers.push(
            s.create_container(id, &format!("c{n}"), "bb")
                .unwrap()
                .layer,
        );
    }
    // Two stay mounted, one of them twice: a forced delete unmounts.
    let mounted = s.mount_container(&ids[0]).unwrap();
    s.mount_container(&ids[0]).unwrap();
    s.mount_container(&ids[1]).unwrap();
    let image_layers = s.layers().unwrap().len() - ids.len();

    let keep = ids[11].clone();
    let mut doomed: Vec<String> = ids[..11].to_vec();
    doomed.push("ff".repeat(32)); // unknown: skipped
    s.delete_containers(&doomed).unwrap();

    let left: Vec<String> = s.containers().unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(left, vec![keep.clone()]);
    let left_layers: BTreeSet<String> = s.layers().unwrap().into_iter().map(|l| l.id).collect();
    assert_eq!(left_layers.len(), image_layers + 1);
    assert!(left_layers.contains(&layers[11]));
    for (id, layer) in ids[..11].iter().zip(&layers) {
        assert!(!left_layers.contains(layer));
        assert!(s.container_dir(id).is_err());
        let on_disk = d
            .path()
            .join("graph")
            .join(format!("{driver}-containers"))
            .join(id);
        assert!(!on_disk.exists(), "{} left behind", on_disk.display());
    }
    assert_eq!(mounts_under(d.path()), Vec::<String>::new());
    assert!(
        !mounted.exists(),
        "a deleted container's root is still there"
    );
    // The one left is intact, and deleting nothing changes nothing.
    s.mount_container(&keep).unwrap();
    s.unmount_container(&keep, false).unwrap();
    s.delete_containers(&[]).unwrap();
    assert_eq!(s.containers().unwrap().len(), 1);
}

#[test]
fn deleting_many_containers_overlay() {
    deleting_many_containers("overlay");
}

#[test]
fn deleting_many_containers_vfs() {
    deleting_many_containers("vfs");
}
