//! Store driver choice: the vfs fallback on overlayfs, and backend registration.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

mod common;

use rpod_runtime_core::storage::Storage;
use rpod_storage::Store;

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
