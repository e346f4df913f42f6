//! Store crash safety and concurrency: threads and processes creating and
//! mounting at once, and an import killed half-way.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

mod common;

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use common::{E, busybox_rootfs, mounts_under, store, tar_of};
use rpod_runtime_core::storage::{ImportOptions, Storage};
use rpod_storage::Store;

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
