//! skopeo and Podman read and fill rpod's store (real binaries, temp roots).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

mod common;

use std::process::Command;

use common::{UnmountOnDrop, busybox_rootfs, docker_archive, store};
use rpod_runtime_core::storage::{ImportOptions, Storage};

fn isolated(cmd: &mut Command, d: &tempfile::TempDir) {
    let conf = d.path().join("containers.conf");
    std::fs::write(
        &conf,
        "[engine]\nruntime = \"runc\"\nlock_type = \"file\"\n[containers]\ndefault_ulimits = [\"nofile=20000:20000\", \"nproc=4096:4096\"]\n",
    )
    .unwrap();
    let sconf = d.path().join("storage.conf");
    // Only our roots: none of the host's storage options apply.
    std::fs::write(
        &sconf,
        format!(
            "[storage]\ndriver = \"overlay\"\ngraphroot = \"{}\"\nrunroot = \"{}\"\n",
            d.path().join("graph").display(),
            d.path().join("run").display()
        ),
    )
    .unwrap();
    cmd.env("CONTAINERS_CONF", &conf)
        .env("CONTAINERS_STORAGE_CONF", &sconf);
}

#[test]
fn skopeo_copies_into_the_store_and_rpod_runs_from_it() {
    let (d, s) = store("overlay");
    let _unmount = UnmountOnDrop(d.path().to_path_buf());
    let (graph, run) = common::roots(&d);
    let archive = d.path().join("bb.tar");
    std::fs::write(
        &archive,
        docker_archive(&[busybox_rootfs()], &["busybox:latest"]),
    )
    .unwrap();
    let mut cmd = Command::new("skopeo");
    cmd.args([
        "--insecure-policy",
        "copy",
        "-q",
        &format!("docker-archive:{}", archive.display()),
        &format!(
            "containers-storage:[overlay@{}+{}]localhost/x:1",
            graph.display(),
            run.display()
        ),
    ]);
    isolated(&mut cmd, &d);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "skopeo: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let imgs = s.images().unwrap();
    assert_eq!(imgs.len(), 1);
    assert_eq!(imgs[0].names, vec!["localhost/x:1"]);
    assert_eq!(s.lookup_image("x:1").unwrap().id, imgs[0].id);
    let id = "9".repeat(64);
    s.create_container(&id, "fromskopeo", "localhost/x:1")
        .unwrap();
    let root = s.mount_container(&id).unwrap();
    assert!(root.join("bin/busybox").is_file());
    s.unmount_container(&id, false).unwrap();
    s.delete_container(&id).unwrap();
    // containers/storage itself bind-mounts `<graph>/overlay` private; no
    // layer may stay mounted.
    let left: Vec<String> = common::mounts_under(d.path())
        .into_iter()
        .filter(|m| m.ends_with("/merged"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    // And skopeo reads the image back out of our store after we touched it.
    let back = d.path().join("back.tar");
    let mut cmd = Command::new("skopeo");
    cmd.args([
        "--insecure-policy",
        "copy",
        "-q",
        &format!(
            "containers-storage:[overlay@{}+{}]localhost/x:1",
            graph.display(),
            run.display()
        ),
        &format!("docker-archive:{}", back.display()),
    ]);
    isolated(&mut cmd, &d);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "skopeo back: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn podman_lists_an_image_rpod_imported() {
    let (d, s) = store("overlay");
    let _unmount = UnmountOnDrop(d.path().to_path_buf());
    let (graph, run) = common::roots(&d);
    let img = s
        .import_image(
            &mut busybox_rootfs().as_slice(),
            &ImportOptions {
                names: vec!["rpodimg".into()],
                ..Default::default()
            },
        )
        .unwrap();
    let tmp = d.path().join("podman-tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let mut cmd = Command::new("podman");
    cmd.arg("--root")
        .arg(&graph)
        .arg("--runroot")
        .arg(&run)
        .arg("--tmpdir")
        .arg(&tmp);
    cmd.args(["--storage-driver", "overlay", "images", "--format", "json"]);
    isolated(&mut cmd, &d);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "podman: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = v.as_array().unwrap();
    assert_eq!(list.len(), 1, "{v}");
    assert_eq!(list[0]["Id"], img.id);
    assert_eq!(
        list[0]["Names"],
        serde_json::json!(["localhost/rpodimg:latest"])
    );
    // skopeo rebuilds the layer from rpod's tar-split: byte-identical.
    let back = d.path().join("back.tar");
    let mut cmd = Command::new("skopeo");
    cmd.args([
        "--insecure-policy",
        "copy",
        "-q",
        &format!(
            "containers-storage:[overlay@{}+{}]localhost/rpodimg:latest",
            graph.display(),
            run.display()
        ),
        &format!("docker-archive:{}", back.display()),
    ]);
    isolated(&mut cmd, &d);
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "skopeo: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want_name = format!(
        "{}.tar",
        &rpod_storage::digest::sha256_digest(&busybox_rootfs())[7..]
    );
    let mut found = false;
    let mut ar = tar::Archive::new(std::fs::File::open(&back).unwrap());
    for e in ar.entries().unwrap() {
        let mut e = e.unwrap();
        if e.path().unwrap().display().to_string() == want_name {
            let mut v = Vec::new();
            std::io::Read::read_to_end(&mut e, &mut v).unwrap();
            assert_eq!(v, busybox_rootfs());
            found = true;
        }
    }
    assert!(found, "layer {want_name} missing from skopeo's archive");
}
