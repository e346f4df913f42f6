//! The store end to end: layers and whiteouts, images, containers, mounts,
//! load/save, crash safety and concurrency (overlay and vfs).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use common::{E, busybox_rootfs, docker_archive, mounts_under, store, tar_of};
use rpod_runtime_core::storage::{ArchiveFormat, ImportOptions, Storage};
use rpod_storage::Store;

fn three_layers() -> Vec<Vec<u8>> {
    vec![
        tar_of(&[
            E::Dir("a/"),
            E::File("a/x", b"1"),
            E::File("a/y", b"1"),
            E::Dir("b/"),
            E::File("b/old", b"1"),
            E::Dir("b/sub/"),
            E::File("b/sub/deep", b"1"),
            E::File("f", b"1"),
            E::File("g", b"1"),
        ]),
        tar_of(&[
            E::File(".wh.f", b""),
            E::File("a/.wh.x", b""),
            E::Dir("b/"),
            E::File("b/.wh..wh..opq", b""),
            E::File("b/new", b"2"),
            E::File("h", b"2"),
        ]),
        tar_of(&[
            E::File("f", b"3"),
            E::File(".wh.g", b""),
            E::Dir("b/"),
            E::File("b/third", b"3"),
            E::File("a/z", b"3"),
        ]),
    ]
}

fn tree(root: &Path) -> BTreeSet<String> {
    rpod_storage::treetar::walk(root)
        .unwrap()
        .into_iter()
        .map(|p| p.display().to_string())
        .collect()
}

fn whiteouts_merge(driver: &str) {
    let (d, s) = store(driver);
    let imgs = s
        .load_images(&mut docker_archive(&three_layers(), &["localhost/wh:1"]).as_slice())
        .unwrap();
    assert_eq!(imgs.len(), 1);
    assert_eq!(s.driver_name(), driver);
    let c = s.create_container(&"c".repeat(64), "wh", "wh:1").unwrap();
    let root = s.mount_container(&c.id).unwrap();
    let want: BTreeSet<String> = ["a", "a/y", "a/z", "b", "b/new", "b/third", "f", "h"]
        .iter()
        .map(|x| x.to_string())
        .collect();
    assert_eq!(tree(&root), want);
    assert_eq!(std::fs::read(root.join("f")).unwrap(), b"3");
    s.unmount_container(&c.id, false).unwrap();
    assert!(mounts_under(d.path()).is_empty());
    // The image's own layers keep their whiteouts in the driver's format.
    if driver == "overlay" {
        let top = &s.layers().unwrap();
        let l2 = top
            .iter()
            .find(|l| l.diff_digest == rpod_storage::digest::sha256_digest(&three_layers()[1]))
            .unwrap();
        let diff = s.layer_root(&l2.id);
        let m = std::fs::symlink_metadata(diff.join("f")).unwrap();
        assert!(rpod_storage::whiteout::is_overlay_whiteout(&m));
        assert!(rpod_storage::whiteout::is_opaque(&diff.join("b")));
        assert!(!diff.join(".wh.f").exists() && !diff.join("b/.wh..wh..opq").exists());
    }
}

#[test]
fn whiteouts_and_opaque_dirs_across_three_layers_overlay() {
    whiteouts_merge("overlay");
}

#[test]
fn whiteouts_and_opaque_dirs_across_three_layers_vfs() {
    whiteouts_merge("vfs");
}

fn round_trip(driver: &str) {
    let (_d, s) = store(driver);
    let layers = three_layers();
    s.load_images(&mut docker_archive(&layers, &["localhost/rt:1", "localhost/rt:2"]).as_slice())
        .unwrap();
    let img = s.lookup_image("rt:2").unwrap();
    assert_eq!(img.names, vec!["localhost/rt:1", "localhost/rt:2"]);
    // docker-archive: every layer tar comes back byte for byte.
    let mut out = Vec::new();
    s.save_images(
        &[(img.id.clone(), img.names.clone())],
        ArchiveFormat::DockerArchive,
        &mut out,
        None,
    )
    .unwrap();
    let mut ar = tar::Archive::new(out.as_slice());
    let mut got = std::collections::HashMap::new();
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let mut v = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut v).unwrap();
        got.insert(e.path().unwrap().display().to_string(), v);
    }
    for l in &layers {
        let name = format!("{}.tar", &rpod_storage::digest::sha256_digest(l)[7..]);
        assert_eq!(got.get(&name), Some(l), "{name} differs");
    }
    let m: serde_json::Value = serde_json::from_slice(&got["manifest.json"]).unwrap();
    assert_eq!(
        m[0]["RepoTags"],
        serde_json::json!(["localhost/rt:1", "localhost/rt:2"])
    );
    assert!(got.contains_key("repositories"));
    // Load it into a second store and save again: identical again.
    let (_d2, s2) = store(driver);
    s2.load_images(&mut out.as_slice()).unwrap();
    assert_eq!(s2.lookup_image("rt:1").unwrap().id, img.id);
    // oci-archive round trip.
    let mut oci = Vec::new();
    s.save_images(
        &[(img.id.clone(), vec!["localhost/rt:1".into()])],
        ArchiveFormat::OciArchive,
        &mut oci,
        None,
    )
    .unwrap();
    let (_d3, s3) = store(driver);
    let loaded = s3.load_images(&mut oci.as_slice()).unwrap();
    assert_eq!(loaded[0].id, img.id);
    assert_eq!(loaded[0].names, vec!["localhost/rt:1"]);
    let mut again = Vec::new();
    s3.save_images(
        &[(img.id.clone(), vec![])],
        ArchiveFormat::DockerArchive,
        &mut again,
        None,
    )
    .unwrap();
    let mut ar = tar::Archive::new(again.as_slice());
    let mut n = 0;
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        let p = e.path().unwrap().display().to_string();
        if p.ends_with(".tar") {
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut v).unwrap();
            assert!(layers.contains(&v));
            n += 1;
        }
    }
    assert_eq!(n, 3);
    // oci-dir.
    let od = tempfile::tempdir().unwrap();
    s.save_images(
        &[(img.id.clone(), vec!["localhost/rt:1".into()])],
        ArchiveFormat::OciDir,
        &mut std::io::sink(),
        Some(od.path()),
    )
    .unwrap();
    let idx: serde_json::Value =
        serde_json::from_slice(&std::fs::read(od.path().join("index.json")).unwrap()).unwrap();
    assert_eq!(
        idx["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"],
        "localhost/rt:1"
    );
    for l in &layers {
        let hex = &rpod_storage::digest::sha256_digest(l)[7..];
        assert_eq!(
            &std::fs::read(od.path().join("blobs/sha256").join(hex)).unwrap(),
            l
        );
    }
}

#[test]
fn load_save_round_trip_is_byte_identical_overlay() {
    round_trip("overlay");
}

#[test]
fn load_save_round_trip_is_byte_identical_vfs() {
    round_trip("vfs");
}

#[test]
fn gzip_and_zstd_layers_are_decompressed_and_digests_recorded() {
    let (_d, s) = store("overlay");
    let plain = busybox_rootfs();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&plain).unwrap();
    let gz = gz.finish().unwrap();
    let l = s.put_layer("", &mut gz.as_slice()).unwrap();
    assert_eq!(l.diff_digest, rpod_storage::digest::sha256_digest(&plain));
    assert_eq!(
        l.compressed_diff_digest,
        rpod_storage::digest::sha256_digest(&gz)
    );
    assert_eq!(
        (l.diff_size, l.compressed_size, l.compression),
        (plain.len() as u64, gz.len() as u64, 2)
    );
    let zs = zstd::encode_all(plain.as_slice(), 3).unwrap();
    let img = s
        .import_image(
            &mut zs.as_slice(),
            &ImportOptions {
                names: vec!["zz".into()],
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(img.names, vec!["localhost/zz:latest"]);
    assert_eq!(img.top_layer, l.id, "same diff, same layer");
}

#[test]
fn import_builds_an_oci_config_with_changes_and_history() {
    let (_d, s) = store("overlay");
    let opts = ImportOptions {
        names: vec!["busybox".into()],
        changes: vec![
            "CMD [\"/bin/sh\"]".into(),
            "ENV A=1".into(),
            "WORKDIR /tmp".into(),
            "LABEL k=v".into(),
        ],
        message: "hello".into(),
    };
    let img = s
        .import_image(&mut busybox_rootfs().as_slice(), &opts)
        .unwrap();
    assert_eq!(img.names, vec!["localhost/busybox:latest"]);
    let cfg = s.image_config("busybox").unwrap();
    assert_eq!(cfg["config"]["Cmd"], serde_json::json!(["/bin/sh"]));
    assert_eq!(cfg["config"]["Env"], serde_json::json!(["A=1"]));
    assert_eq!(cfg["config"]["WorkingDir"], "/tmp");
    assert_eq!(rpod_runtime_core::storage::image_labels(&cfg)["k"], "v");
    assert_eq!(
        cfg["rootfs"]["diff_ids"][0],
        rpod_storage::digest::sha256_digest(&busybox_rootfs())
    );
    assert_eq!(cfg["os"], "linux");
    assert!(cfg["architecture"].is_string() && cfg["created"].is_string());
    let h = s.image_history(&img.id).unwrap();
    assert_eq!(h[0]["comment"], "hello");
    // The image ID is the config digest, and lookups work by every form.
    let raw = s.big_data(&img.id, &format!("sha256:{}", img.id)).unwrap();
    assert_eq!(rpod_storage::digest::sha256_hex(&raw), img.id);
    for q in [
        "busybox",
        "busybox:latest",
        "localhost/busybox",
        &img.id[..12],
        &format!("sha256:{}", img.id),
    ] {
        assert_eq!(s.lookup_image(q).unwrap().id, img.id, "{q}");
    }
    assert_eq!(
        s.lookup_image("nope").unwrap_err().to_string(),
        "nope: image not known"
    );
    s.tag_image(&img.id, "other:2").unwrap();
    assert_eq!(s.lookup_image("other:2").unwrap().id, img.id);
    s.untag_image(&img.id, "other:2").unwrap();
    assert!(s.lookup_image("other:2").is_err());
}

#[test]
fn removing_an_image_used_by_a_container_fails_like_podman() {
    let (_d, s) = store("overlay");
    let img = s
        .import_image(
            &mut busybox_rootfs().as_slice(),
            &ImportOptions {
                names: vec!["bb".into()],
                ..Default::default()
            },
        )
        .unwrap();
    let id = "a1".repeat(32);
    s.create_container(&id, "user", "bb").unwrap();
    let e = s.remove_image(&img.id).unwrap_err().to_string();
    assert_eq!(
        e,
        format!(
            "image used by {id}: image is in use by a container: consider listing external containers and force-removing image"
        )
    );
    s.delete_container(&id).unwrap();
    s.remove_image(&img.id).unwrap();
    assert!(s.images().unwrap().is_empty());
    assert!(
        s.layers().unwrap().is_empty(),
        "the image's layers went with it"
    );
}

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

#[test]
fn concurrent_create_and_mount_from_threads_and_processes() {
    let (d, s) = store("overlay");
    s.import_image(
        &mut busybox_rootfs().as_slice(),
        &ImportOptions {
            names: vec!["bb".into()],
            ..Default::default()
        },
    )
    .unwrap();
    let (graph, run) = common::roots(&d);
    // Child processes doing the same at the same time.
    let exe = std::env::current_exe().unwrap();
    let children: Vec<_> = (0..3)
        .map(|i| {
            std::process::Command::new(&exe)
                .args(["--exact", "child_helper", "--nocapture", "--test-threads=1"])
                .stdout(std::process::Stdio::null())
                .env(
                    "RPOD_STORAGE_CHILD",
                    format!("create:{}:{}:{i}", graph.display(), run.display()),
                )
                .spawn()
                .unwrap()
        })
        .collect();
    let shared = Arc::new(s);
    let threads: Vec<_> = (0..16)
        .map(|i| {
            let s = Arc::clone(&shared);
            let (g, r) = (graph.clone(), run.clone());
            std::thread::spawn(move || {
                // Half share one Store, half open their own.
                let own;
                let st: &Store = if i % 2 == 0 {
                    &s
                } else {
                    own = Store::open(&g, &r, "overlay").unwrap();
                    &own
                };
                let id = format!("{i:02}{}", "e".repeat(62));
                st.create_container(&id, &format!("t{i}"), "bb").unwrap();
                let root = st.mount_container(&id).unwrap();
                assert!(root.join("bin/busybox").exists());
                st.unmount_container(&id, false).unwrap();
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let cs = shared.containers().unwrap();
    assert_eq!(cs.len(), 16 + 3 * 4);
    assert!(mounts_under(d.path()).is_empty(), "stray mounts");
    let ms: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(shared.layout().mountpoints_json()).unwrap())
            .unwrap();
    assert!(ms.is_empty(), "{ms:?}");
    // Every container layer is recorded once.
    let layers = shared.layers().unwrap();
    assert_eq!(layers.len(), 1 + cs.len());
}

/// Runs as a child process in other tests (does nothing otherwise).
#[test]
fn child_helper() {
    let Ok(spec) = std::env::var("RPOD_STORAGE_CHILD") else {
        return;
    };
    let parts: Vec<&str> = spec.split(':').collect();
    let s = Store::open(Path::new(parts[1]), Path::new(parts[2]), "overlay").unwrap();
    match parts[0] {
        "create" => {
            for j in 0..4 {
                let id = format!("{}{j}{}", parts[3], "f".repeat(62));
                s.create_container(&id, &format!("p{}-{j}", parts[3]), "bb")
                    .unwrap();
                let root = s.mount_container(&id).unwrap();
                assert!(root.join("bin/busybox").exists());
                s.unmount_container(&id, false).unwrap();
            }
        }
        "import" => {
            let mut stdin = std::io::stdin().lock();
            let _ = s.import_image(
                &mut stdin,
                &ImportOptions {
                    names: vec!["killed".into()],
                    ..Default::default()
                },
            );
        }
        _ => panic!("unknown child mode"),
    }
}

#[test]
fn a_killed_import_leaves_no_half_registered_image() {
    let (d, _s) = store("overlay");
    let (graph, run) = common::roots(&d);
    let exe = std::env::current_exe().unwrap();
    let mut child = std::process::Command::new(&exe)
        .args(["--exact", "child_helper", "--nocapture", "--test-threads=1"])
        .env(
            "RPOD_STORAGE_CHILD",
            format!("import:{}:{}:0", graph.display(), run.display()),
        )
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Send part of a big tar, wait until the layer is being written, then kill.
    let big = vec![7u8; 8 << 20];
    let tar = tar_of(&[E::File("big1", &big), E::File("big2", &big)]);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&tar[..(10 << 20)]).unwrap();
    let layers_json = graph.join("overlay-layers/layers.json");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let txt = std::fs::read_to_string(&layers_json).unwrap_or_default();
        let staged = graph
            .join("overlay")
            .read_dir()
            .unwrap()
            .any(|e| e.unwrap().path().join("diff/big1").exists());
        if txt.contains("incomplete") && staged {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "child never started the layer"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    nix::sys::signal::kill(
        nix::unistd::Pid::from_raw(child.id() as i32),
        nix::sys::signal::Signal::SIGKILL,
    )
    .unwrap();
    let _ = child.wait();
    drop(stdin);
    assert!(
        std::fs::read_to_string(&layers_json)
            .unwrap()
            .contains("incomplete")
    );
    // The next open cleans the incomplete layer; no image was registered.
    let s = Store::open(&graph, &run, "overlay").unwrap();
    assert!(s.images().unwrap().is_empty());
    assert!(s.layers().unwrap().is_empty());
    assert!(
        !std::fs::read_to_string(&layers_json)
            .unwrap()
            .contains("incomplete")
    );
    let left: Vec<_> = std::fs::read_dir(graph.join("overlay"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert!(
        left.iter()
            .all(|n| n == "l" || n.to_string_lossy().starts_with('.')),
        "{left:?}"
    );
}

#[test]
fn default_driver_falls_back_to_vfs_on_overlayfs() {
    let d = tempfile::tempdir().unwrap();
    for x in ["lo", "up", "wk", "mnt"] {
        std::fs::create_dir(d.path().join(x)).unwrap();
    }
    let data = format!(
        "lowerdir={},upperdir={},workdir={}",
        d.path().join("lo").display(),
        d.path().join("up").display(),
        d.path().join("wk").display()
    );
    let mnt = d.path().join("mnt");
    nix::mount::mount(
        Some("overlay"),
        &mnt,
        Some("overlay"),
        nix::mount::MsFlags::empty(),
        Some(data.as_str()),
    )
    .unwrap();
    let res = std::panic::catch_unwind(|| {
        let s = Store::open(&mnt.join("graph"), &d.path().join("run"), "").unwrap();
        assert_eq!(s.driver_name(), "vfs");
        let st = s.driver_status();
        assert!(
            st.iter()
                .any(|(k, v)| k == "Fallback Reason" && v.contains("overlayfs")),
            "{st:?}"
        );
        let e = Store::open(&mnt.join("graph2"), &d.path().join("run2"), "overlay").unwrap_err();
        assert!(e.to_string().contains("overlay"), "{e}");
    });
    nix::mount::umount2(&mnt, nix::mount::MntFlags::MNT_DETACH).unwrap();
    res.unwrap();
}

#[test]
fn register_adds_overlay_and_vfs() {
    let mut r = rpod_runtime_core::backend::BackendRegistry::new();
    rpod_storage::register(&mut r);
    let d = tempfile::tempdir().unwrap();
    let ctx = rpod_runtime_core::backend::BackendContext {
        graph_root: d.path().join("g"),
        run_root: d.path().join("r"),
        ..Default::default()
    };
    assert_eq!(r.storage("overlay", &ctx).unwrap().driver_name(), "overlay");
    assert_eq!(r.storage("vfs", &ctx).unwrap().driver_name(), "vfs");
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
