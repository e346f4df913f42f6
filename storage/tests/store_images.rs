//! Store images end to end: import with config changes and history, and
//! image removal refused while a container uses it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

mod common;

use common::{busybox_rootfs, store};
use rpod_runtime_core::storage::{ImportOptions, Storage};

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
        // The cheap digest answer is the full record's.
        let digest = s.image_digest(q).unwrap();
        assert!(digest.starts_with("sha256:"), "{digest}");
        assert_eq!(digest, s.lookup_image(q).unwrap().digest, "{q}");
    }
    assert!(s.image_digest("nope").is_err());
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
