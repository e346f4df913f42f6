//! Store layers end to end: whiteouts and opaque dirs across layers,
//! byte-identical load/save round trips, compressed layers (overlay and vfs).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

mod common;

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use common::{E, busybox_rootfs, docker_archive, mounts_under, store, tar_of};
use rpod_runtime_core::storage::{ArchiveFormat, ImportOptions, Storage};

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
