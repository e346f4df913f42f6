//! Running containers from images: the image's config applies, the CLI
//! overrides it, its storage is mounted only while it runs, and real tools
//! (skopeo, Podman) share the store.

use std::path::PathBuf;
use std::process::Command;

use rpod_tests::TestEnv;

/// Imports a busybox image named `localhost/bb:latest` with a CMD, ENV,
/// WORKDIR and a VOLUME; returns the rootfs tarball path.
fn import_busybox(env: &TestEnv) -> PathBuf {
    let rootfs = env.busybox_rootfs();
    let tar = env.path("bb.tar");
    let ok = Command::new("tar")
        .arg("-C")
        .arg(&rootfs)
        .arg("-cf")
        .arg(&tar)
        .arg(".")
        .status()
        .unwrap()
        .success();
    assert!(ok);
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
