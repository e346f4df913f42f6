//! Running containers from images: the image's config applies, the CLI
//! overrides it, its storage is mounted only while it runs, and real tools
//! (skopeo, Podman) share the store.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::path::PathBuf;
use std::process::Command;

use rpod_tests::TestEnv;

/// Imports a busybox image named `localhost/bb:latest` with a CMD, ENV,
/// WORKDIR and a VOLUME; returns the rootfs tarball path.
fn import_busybox(env: &TestEnv) -> PathBuf {
    let tar = env.busybox_rootfs_tar();
    let tar_s = tar.to_string_lossy().into_owned();
    let r = env.rpod(&[
        "import",
        "--change",
        "CMD [\"sh\", \"-c\", \"echo from image cmd $GREETING $(pwd)\"]",
        "--change",
        "ENV GREETING=hi",
        "--change",
        "WORKDIR /tmp",
        "--change",
        "VOLUME /data",
        &tar_s,
        "bb",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    tar
}

#[test]
fn the_image_config_applies_and_the_cli_overrides_it() {
    let env = TestEnv::new();
    import_busybox(&env);
    let r = env.rpod(&["run", "--rm", "bb"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "from image cmd hi /tmp\n");
    let r = env.rpod(&[
        "run",
        "--rm",
        "-e",
        "GREETING=yo",
        "-w",
        "/",
        "localhost/bb:latest",
        "sh",
        "-c",
        "echo $GREETING $(pwd)",
    ]);
    assert_eq!(r.stdout, "yo /\n", "{}", r.stderr);
    let r = env.rpod(&[
        "run",
        "--rm",
        "--entrypoint",
        "echo",
        "bb",
        "via",
        "entrypoint",
    ]);
    assert_eq!(r.stdout, "via entrypoint\n", "{}", r.stderr);
    // The image's VOLUME is an anonymous volume, removed with the container.
    let r = env.rpod(&[
        "run",
        "--rm",
        "bb",
        "sh",
        "-c",
        "grep -c ' /data ' /proc/mounts",
    ]);
    assert_eq!(r.stdout, "1\n", "{}", r.stderr);
    let vols: Vec<_> = std::fs::read_dir(env.path("root/volumes"))
        .map(|rd| rd.flatten().collect())
        .unwrap_or_default();
    assert!(vols.is_empty(), "anonymous volumes left: {vols:?}");
    let ps = env.rpod(&["ps", "-a", "-q"]).ok();
    assert_eq!(ps.stdout, "");
    assert!(env.mounts().is_empty(), "{:?}", env.mounts());

    let missing = env.rpod(&["run", "--rm", "nosuchimage"]);
    assert_eq!(missing.code, 125);
    assert!(
        missing.stderr.contains("nosuchimage: image not known"),
        "{}",
        missing.stderr
    );
}

#[test]
fn storage_is_mounted_only_while_the_container_runs_and_rmi_respects_users() {
    let env = TestEnv::new();
    import_busybox(&env);
    env.rpod(&["create", "--name", "c", "bb", "sleep", "30"])
        .ok();
    assert!(
        env.mounts().is_empty(),
        "created containers are not mounted: {:?}",
        env.mounts()
    );
    env.rpod(&["start", "c"]).ok();
    assert!(
        env.mounts().iter().any(|m| m.ends_with("/merged")),
        "{:?}",
        env.mounts()
    );
    let ps = env.rpod(&["ps", "--format", "{{.Image}}"]).ok();
    assert_eq!(ps.stdout, "localhost/bb:latest\n");

    let rmi = env.rpod(&["rmi", "bb"]);
    assert_ne!(rmi.code, 0);
    assert!(
        rmi.stderr.contains("image is in use by a container"),
        "{}",
        rmi.stderr
    );

    env.rpod(&["stop", "-t", "0", "c"]).ok();
    assert!(
        !env.mounts().iter().any(|m| m.ends_with("/merged")),
        "stopped containers are unmounted: {:?}",
        env.mounts()
    );
    env.rpod(&["rm", "c"]).ok();
    let rmi = env.rpod(&["rmi", "bb"]);
    assert_eq!(rmi.code, 0, "{}", rmi.stderr);
    assert_eq!(env.rpod(&["images", "-q"]).ok().stdout, "");
}

#[test]
fn rmi_force_removes_the_containers_using_the_image() {
    let env = TestEnv::new();
    import_busybox(&env);
    env.rpod(&["create", "--name", "user1", "bb", "true"]).ok();
    env.rpod(&[
        "run",
        "-d",
        "--name",
        "user2",
        "--stop-timeout",
        "1",
        "bb",
        "sleep",
        "60",
    ])
    .ok();
    let rmi = env.rpod(&["rmi", "-f", "bb"]);
    assert_eq!(rmi.code, 0, "{}", rmi.stderr);
    assert!(
        rmi.stdout.contains("Untagged: localhost/bb:latest"),
        "{}",
        rmi.stdout
    );
    assert_eq!(env.rpod(&["ps", "-a", "-q"]).ok().stdout, "");
    assert_eq!(env.rpod(&["images", "-q"]).ok().stdout, "");
    assert!(env.mounts().is_empty(), "{:?}", env.mounts());
}

#[test]
fn sixteen_concurrent_runs_of_one_image() {
    let env = TestEnv::new();
    import_busybox(&env);
    let children: Vec<_> = (0..16)
        .map(|i| {
            env.cmd(&["run", "--rm", "bb", "sh", "-c", &format!("echo run{i}")])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for (i, c) in children.into_iter().enumerate() {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "run {i}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stdout), format!("run{i}\n"));
    }
    assert_eq!(env.rpod(&["ps", "-a", "-q"]).ok().stdout, "");
    std::thread::sleep(std::time::Duration::from_millis(300));
    assert!(env.mounts().is_empty(), "stray mounts: {:?}", env.mounts());
}

#[test]
fn skopeo_fills_the_store_and_rpod_runs_the_image() {
    assert!(
        Command::new("skopeo").arg("--version").output().is_ok(),
        "skopeo is installed by `cargo xtask deps`"
    );
    let env = TestEnv::new();
    import_busybox(&env);
    // rpod saves, skopeo copies the archive back into the store under a new name.
    let archive = env.path("bb-docker.tar");
    let archive_s = archive.to_string_lossy().into_owned();
    env.rpod(&["save", "-o", &archive_s, "bb"]).ok();
    let dest = format!(
        "containers-storage:[overlay@{}+{}]localhost/x:1",
        env.path("root").display(),
        env.path("runroot").display()
    );
    let out = Command::new("skopeo")
        .args([
            "copy",
            "--quiet",
            &format!("docker-archive:{archive_s}"),
            &dest,
        ])
        .env("CONTAINERS_STORAGE_CONF", env.path("storage.conf"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let images = env
        .rpod(&["images", "--format", "{{.Repository}}:{{.Tag}}"])
        .ok();
    assert!(images.stdout.contains("localhost/x:1"), "{}", images.stdout);
    let r = env.rpod(&["run", "--rm", "localhost/x:1", "echo", "skopeo image runs"]);
    assert_eq!(r.stdout, "skopeo image runs\n", "{}", r.stderr);
}

/// Runs Podman 4.3.1 on the given store, touching nothing of the machine's
/// (file locks, its own tmp dir, no network).
fn podman(env: &TestEnv, store: &TestEnv, args: &[&str]) -> std::process::Output {
    let conf = env.path("podman.conf");
    if !conf.exists() {
        std::fs::write(
            &conf,
            "[engine]\nruntime = \"runc\"\nlock_type = \"file\"\nevents_logger = \"file\"\n[containers]\ndefault_ulimits = [\"nofile=20000:20000\", \"nproc=4096:4096\"]\n",
        )
        .unwrap();
    }
    let storage_conf = store.path("podman-storage.conf");
    std::fs::write(
        &storage_conf,
        format!(
            "[storage]\ndriver = \"overlay\"\ngraphroot = \"{}\"\nrunroot = \"{}\"\n",
            store.path("root").display(),
            store.path("runroot").display()
        ),
    )
    .unwrap();
    Command::new("podman")
        .arg("--root")
        .arg(store.path("root"))
        .arg("--runroot")
        .arg(store.path("runroot"))
        .arg("--tmpdir")
        .arg(store.path("podman-tmp"))
        .arg("--network-config-dir")
        .arg(store.path("podman-net"))
        .args(args)
        .env("CONTAINERS_CONF", &conf)
        .env("CONTAINERS_STORAGE_CONF", &storage_conf)
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

fn text(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn podman_reads_rpods_store_and_images_round_trip_between_them() {
    assert!(
        Command::new("podman").arg("--version").output().is_ok(),
        "podman is installed by `cargo xtask deps`"
    );
    let env = TestEnv::new();
    import_busybox(&env);
    let id = env
        .rpod(&["images", "-q", "--no-trunc"])
        .ok()
        .stdout
        .trim()
        .to_string();

    // Podman lists and runs the image rpod imported, in rpod's store.
    let images = podman(
        &env,
        &env,
        &["images", "--format", "{{.Repository}}:{{.Tag}} {{.ID}}"],
    );
    assert!(images.status.success(), "{}", text(&images));
    let listed = String::from_utf8_lossy(&images.stdout).to_string();
    assert!(listed.contains("localhost/bb:latest"), "{listed}");
    let ran = podman(
        &env,
        &env,
        &[
            "run",
            "--rm",
            "--network",
            "none",
            "localhost/bb",
            "echo",
            "podman ran it",
        ],
    );
    assert!(ran.status.success(), "{}", text(&ran));
    assert_eq!(String::from_utf8_lossy(&ran.stdout), "podman ran it\n");

    // rpod save -> podman load -> podman save -> rpod load: same image ID,
    // hence the same config and the same uncompressed layer digests.
    let a = env.path("rpod-saved.tar").to_string_lossy().into_owned();
    env.rpod(&["save", "-o", &a, "bb"]).ok();
    let other = TestEnv::new();
    let loaded = podman(&env, &other, &["load", "-i", &a]);
    assert!(loaded.status.success(), "{}", text(&loaded));
    let b = env.path("podman-saved.tar").to_string_lossy().into_owned();
    let saved = podman(&env, &other, &["save", "-o", &b, "localhost/bb:latest"]);
    assert!(saved.status.success(), "{}", text(&saved));
    let third = TestEnv::new();
    third.rpod(&["load", "-i", &b]).ok();
    let back = third
        .rpod(&["images", "-q", "--no-trunc"])
        .ok()
        .stdout
        .trim()
        .to_string();
    assert_eq!(back, id, "the image survived the round trip through Podman");
    let r = third.rpod(&["run", "--rm", "localhost/bb:latest", "echo", "back in rpod"]);
    assert_eq!(r.stdout, "back in rpod\n", "{}", r.stderr);
}

#[test]
fn commit_export_and_diff_of_a_container() {
    let env = TestEnv::new();
    import_busybox(&env);
    env.rpod(&[
        "run",
        "--name",
        "w",
        "bb",
        "sh",
        "-c",
        "echo made > /made.txt; rm /bin/wc",
    ])
    .ok();
    let diff = env.rpod(&["diff", "w"]).ok().stdout;
    assert!(diff.lines().any(|l| l == "A /made.txt"), "{diff}");
    assert!(diff.lines().any(|l| l == "D /bin/wc"), "{diff}");
    let out = env.path("w.tar").to_string_lossy().into_owned();
    env.rpod(&["export", "-o", &out, "w"]).ok();
    let listing = Command::new("tar").args(["-tf", &out]).output().unwrap();
    let listing = String::from_utf8_lossy(&listing.stdout).to_string();
    assert!(
        listing
            .lines()
            .any(|l| l.trim_start_matches("./") == "made.txt"),
        "{listing}"
    );
    let id = env.rpod(&["commit", "-q", "w", "committed"]).ok().stdout;
    assert!(!id.trim().is_empty());
    let r = env.rpod(&["run", "--rm", "committed", "cat", "/made.txt"]);
    assert_eq!(r.stdout, "made\n", "{}", r.stderr);
}

/// Creates `n` containers from `bb` named `<prefix>0..`; returns their IDs.
fn create_many(env: &TestEnv, prefix: &str, n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let name = format!("{prefix}{i}");
            let r = env.rpod(&["create", "--network", "none", "--name", &name, "bb", "true"]);
            assert_eq!(r.code, 0, "{}", r.stderr);
            r.stdout.trim().to_string()
        })
        .collect()
}

#[test]
fn rm_of_many_containers_reports_each_in_order_and_leaves_nothing() {
    let env = TestEnv::new();
    import_busybox(&env);
    // More than one removal step (64 containers each).
    let ids = create_many(&env, "m", 70);
    let r = env.rpod(&["run", "-d", "--name", "up", "bb", "sleep", "300"]);
    assert_eq!(r.code, 0, "{}", r.stderr);

    // Without -f: the running one is refused (exit 2), the others go, and
    // the names come out as given, in the order they were named.
    let r = env.rpod(&["rm", "m0", "up", &ids[1]]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert_eq!(r.stdout, format!("m0\n{}\n", ids[1]));
    assert!(r.stderr.contains("cannot remove container"), "{}", r.stderr);
    assert_eq!(env.rpod(&["container", "exists", "up"]).code, 0);

    // With -f: a missing name is ignored, the running one is stopped first.
    let mut args: Vec<String> = ["rm", "-f", "-t", "0", "no-such-ctr"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend((2..70).rev().map(|i| format!("m{i}")));
    args.push("up".into());
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    let r = env.rpod(&argv);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let mut want: Vec<String> = (2..70).rev().map(|i| format!("m{i}")).collect();
    want.push("up".into());
    assert_eq!(r.stdout.lines().collect::<Vec<_>>(), want);

    assert_eq!(env.rpod(&["ps", "-a", "-q"]).ok().stdout, "");
    for dir in ["root/overlay-containers", "runroot/overlay-containers"] {
        let left: Vec<_> = std::fs::read_dir(env.path(dir))
            .map(|d| d.filter_map(|e| e.ok()).map(|e| e.file_name()).collect())
            .unwrap_or_default();
        assert!(
            left.iter().all(|n| n.to_string_lossy().ends_with(".json")
                || n.to_string_lossy().ends_with(".lock")),
            "{dir}: {left:?}"
        );
    }
    let index =
        std::fs::read_to_string(env.path("root/overlay-containers/containers.json")).unwrap();
    assert_eq!(index.trim(), "[]", "storage still lists containers");
    let layers = std::fs::read_to_string(env.path("root/overlay-layers/layers.json")).unwrap();
    assert_eq!(
        layers.matches("\"id\"").count(),
        1,
        "only the image's layer is left: {layers}"
    );
    assert!(env.mounts().is_empty(), "{:?}", env.mounts());
}

#[test]
fn concurrent_rm_of_the_same_containers_in_opposite_orders_finishes() {
    let env = TestEnv::new();
    import_busybox(&env);
    create_many(&env, "c", 24);
    let forward: Vec<String> = (0..24).map(|i| format!("c{i}")).collect();
    let backward: Vec<String> = forward.iter().rev().cloned().collect();
    let spawn = |names: &[String]| {
        let mut args = vec!["rm", "-f"];
        args.extend(names.iter().map(String::as_str));
        env.cmd(&args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let a = spawn(&forward);
    let b = spawn(&backward);
    // A deadlock would hang here; the test harness's timeout catches it.
    let (a, b) = (a.wait_with_output().unwrap(), b.wait_with_output().unwrap());
    for out in [&a, &b] {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    // Every container was removed by exactly one of them.
    let mut reported: Vec<String> = [&a, &b]
        .iter()
        .flat_map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect();
    reported.sort();
    let mut want = forward.clone();
    want.sort();
    assert_eq!(reported, want);
    assert_eq!(env.rpod(&["ps", "-a", "-q"]).ok().stdout, "");
}
