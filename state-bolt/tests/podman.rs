//! A `bolt_state.db` written by the real Podman 4 (BoltDB era): this crate
//! reads exactly what Podman reports, and Podman keeps working on the file
//! after this crate wrote to it.
//!
//! Podman runs in a private root (`--root/--runroot/--tmpdir` in a temp
//! dir, file locks instead of the machine-wide shm segment, its own network
//! config dir, `--rootfs` instead of an image, pods without infra). The
//! test is skipped, with a printed reason, only when Podman is not found.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]
#![allow(clippy::print_stderr)]

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use rpod_runtime_core::state::State;
use rpod_state_bolt::BoltState;
use rpod_state_bolt::engine::Db;
use serde_json::Value;

fn find_podman() -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/bin")])
        .map(|d| d.join("podman"))
        .find(|p| p.is_file())
}

struct Podman {
    bin: PathBuf,
    dir: PathBuf,
}

impl Podman {
    fn new(bin: PathBuf, dir: &Path) -> Podman {
        std::fs::create_dir_all(dir.join("net")).unwrap();
        std::fs::write(
            dir.join("containers.conf"),
            format!(
                "[engine]\nruntime = \"runc\"\nlock_type = \"file\"\nnum_locks = 64\n\
                 [network]\nnetwork_config_dir = \"{}/net\"\n\
                 [containers]\ndefault_ulimits = [\"nofile=20000:20000\", \"nproc=4096:4096\"]\n",
                dir.display()
            ),
        )
        .unwrap();
        let rootfs = dir.join("rootfs/bin");
        std::fs::create_dir_all(&rootfs).unwrap();
        if Path::new("/bin/busybox").exists() {
            std::fs::copy("/bin/busybox", rootfs.join("busybox")).unwrap();
        }
        Podman {
            bin,
            dir: dir.to_path_buf(),
        }
    }

    fn run(&self, args: &[&str]) -> String {
        let d = &self.dir;
        let out = Command::new(&self.bin)
            .env("CONTAINERS_CONF", d.join("containers.conf"))
            .env_remove("CONTAINER_HOST")
            .args(["--root", &format!("{}/root", d.display())])
            .args(["--runroot", &format!("{}/run", d.display())])
            .args(["--tmpdir", &format!("{}/tmp", d.display())])
            .args(["--events-backend", "none"])
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "podman {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    }

    fn rootfs(&self) -> String {
        self.dir.join("rootfs").display().to_string()
    }

    fn db(&self) -> PathBuf {
        self.dir.join("root/libpod/bolt_state.db")
    }

    /// (name, id, pod id) of every container, as `podman ps -a` reports them.
    fn ps(&self) -> BTreeSet<(String, String, String)> {
        let v: Value = serde_json::from_str(&self.run(&["ps", "-a", "--format", "json"])).unwrap();
        v.as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["Names"][0].as_str().unwrap().to_string(),
                    c["Id"].as_str().unwrap().to_string(),
                    c["Pod"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }
}

fn ours(s: &BoltState) -> BTreeSet<(String, String, String)> {
    s.all_containers(true)
        .unwrap()
        .into_iter()
        .map(|c| {
            (
                c.config.name.clone(),
                c.config.id.clone(),
                c.config.pod.clone().unwrap_or_default(),
            )
        })
        .collect()
}

#[test]
fn reads_and_writes_a_podman_4_database() {
    let Some(bin) = find_podman() else {
        eprintln!("SKIPPED: podman was not found in PATH or /usr/bin");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let p = Podman::new(bin, tmp.path());
    let rootfs = p.rootfs();
    p.run(&["volume", "create", "vol1"]);
    let pod_id = p
        .run(&["pod", "create", "--infra=false", "--name", "mypod"])
        .trim()
        .to_string();
    let c1 = p
        .run(&[
            "create",
            "--network",
            "none",
            "--name",
            "c1",
            "-v",
            "vol1:/data",
            "--label",
            "k=v",
            "--rootfs",
            &rootfs,
            "/bin/busybox",
            "true",
        ])
        .trim()
        .to_string();
    let c2 = p
        .run(&[
            "create",
            "--network",
            "none",
            "--pod",
            "mypod",
            "--name",
            "c2",
            "--rootfs",
            &rootfs,
            "/bin/busybox",
            "true",
        ])
        .trim()
        .to_string();
    let c3 = p
        .run(&[
            "create",
            "--network",
            "none",
            "--requires",
            "c1",
            "--name",
            "c3",
            "--rootfs",
            &rootfs,
            "/bin/busybox",
            "true",
        ])
        .trim()
        .to_string();
    let ps = p.ps();
    assert_eq!(ps.len(), 3);
    let info: Value = serde_json::from_str(&p.run(&["info", "--format", "json"])).unwrap();
    let store = &info["store"];

    // The raw file is a healthy bbolt file by our checker too.
    let stats = Db::open_existing(p.db()).unwrap().check().unwrap();
    assert!(stats.buckets > 14, "{stats:?}");

    let s = BoltState::open_read_only(&p.db()).unwrap();
    assert_eq!(
        ours(&s),
        ps,
        "names, IDs and pods as podman ps reports them"
    );
    assert_eq!(s.lookup_container_id("c1").unwrap(), c1);
    assert_eq!(s.lookup_container_id(&c2[..12]).unwrap(), c2);
    let rec = s.container(&c1).unwrap();
    assert_eq!(rec.config.labels.get("k").map(String::as_str), Some("v"));
    assert_eq!(rec.config.named_volumes[0].name, "vol1");
    assert!(rec.config.spec.is_some(), "the OCI spec is in the config");
    assert!(
        rec.config.extra.contains_key("ShmDir"),
        "unknown Podman fields survive"
    );
    let pod = s.lookup_pod("mypod").unwrap();
    assert_eq!(pod.config.id, pod_id);
    assert_eq!(s.pod_containers_by_id(&pod_id).unwrap(), vec![c2.clone()]);
    assert!(s.pod_has_container(&pod_id, &c2).unwrap());
    assert_eq!(s.volume_in_use("vol1").unwrap(), vec![c1.clone()]);
    assert_eq!(s.container_in_use(&c1).unwrap(), vec![c3.clone()]);
    let vol = s.lookup_volume("vol").unwrap();
    assert_eq!(vol.config.name, "vol1");
    assert_eq!(
        vol.config.mount_point,
        format!("{}/vol1/_data", store["volumePath"].as_str().unwrap())
    );
    let db = s.db_config().unwrap().unwrap();
    assert_eq!(db.graph_root, store["graphRoot"].as_str().unwrap());
    assert_eq!(db.run_root, store["runRoot"].as_str().unwrap());
    assert_eq!(db.volume_path, store["volumePath"].as_str().unwrap());
    let driver = store["graphDriverName"].as_str().unwrap();
    assert!(
        db.graph_driver.is_empty() || db.graph_driver == driver,
        "{db:?}"
    );
    assert_eq!(db.os, "linux");
    assert_eq!(db.static_dir, format!("{}/libpod", db.graph_root));
    assert_eq!(db.tmp_dir, format!("{}/tmp", p.dir.display()));

    let export = s.export().unwrap();
    assert_eq!(export.containers.len(), 3);
    assert_eq!(export.pods.len(), 1);
    assert_eq!(export.volumes.len(), 1);
    assert_eq!(export.db_config, Some(db));

    // Our writes leave a file Podman reads and changes in turn.
    let w = BoltState::open_file(&p.db()).unwrap();
    w.add_container_exit_code(&c1, 42).unwrap();
    let st = w.update_container(&c2).unwrap();
    w.save_container(&c2, &st).unwrap();
    w.add_exec_session(&c3, &"e".repeat(64)).unwrap();
    w.remove_exec_session(&"e".repeat(64)).unwrap();
    Db::open_existing(p.db()).unwrap().check().unwrap();
    assert_eq!(p.ps(), ps, "podman reads the file this crate wrote");
    let inspect: Value = serde_json::from_str(&p.run(&["inspect", "c2"])).unwrap();
    assert_eq!(inspect[0]["Id"], c2.as_str());
    p.run(&["rm", "c3"]);
    Db::open_existing(p.db()).unwrap().check().unwrap();
    assert!(
        !w.has_container(&c3).unwrap(),
        "podman's removal is visible"
    );
    assert!(w.container_in_use(&c1).unwrap().is_empty());
    assert_eq!(w.container_exit_code(&c1).unwrap(), 42);
}
