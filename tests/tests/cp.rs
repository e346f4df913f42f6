//! `rpod cp` end to end: both directions, tar streams, Podman's naming
//! rules, volumes of stopped and running containers, and symlink traps
//! that must neither read nor write anything on the host.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::io::Write;
use std::os::unix::fs::symlink;
use std::path::Path;
use std::process::Stdio;

use rpod_tests::TestEnv;

/// A busybox root with `/srv` as working directory content and traps: an
/// absolute link to a host secret file, a link to the host directory that
/// holds it, and a relative link climbing out.
fn trapped_rootfs(env: &TestEnv, host_dir: &Path) -> String {
    let root = env.busybox_rootfs();
    std::fs::create_dir_all(root.join("srv/sub")).unwrap();
    std::fs::write(root.join("srv/sub/inner"), "inner\n").unwrap();
    std::fs::write(root.join("srv/file"), "in container\n").unwrap();
    symlink(host_dir.join("secret"), root.join("srv/abs-secret")).unwrap();
    symlink(
        "../../../../../../../../secret",
        root.join("srv/rel-secret"),
    )
    .unwrap();
    symlink(host_dir, root.join("srv/hostdir")).unwrap();
    root.to_string_lossy().into_owned()
}

fn host_dir(env: &TestEnv) -> std::path::PathBuf {
    let d = env.path("host");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join("secret"), "HOST SECRET\n").unwrap();
    d
}

#[test]
fn copies_both_ways_with_podmans_naming_rules() {
    let env = TestEnv::new();
    let host = host_dir(&env);
    let rootfs = trapped_rootfs(&env, &host);
    env.rpod(&[
        "create", "--name", "c", "-w", "/srv", "--rootfs", &rootfs, "sleep", "60",
    ])
    .ok();
    let h = |p: &str| host.join(p).to_string_lossy().into_owned();
    std::fs::write(host.join("up"), "from host\n").unwrap();

    // Into a directory, to a new name, relative to the working directory.
    env.rpod(&["cp", &h("up"), "c:/tmp"]).ok();
    env.rpod(&["cp", &h("up"), "c:/tmp/renamed"]).ok();
    env.rpod(&["cp", &h("up"), "c:sub"]).ok();
    let root = Path::new(&rootfs);
    assert_eq!(
        std::fs::read_to_string(root.join("tmp/up")).unwrap(),
        "from host\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("tmp/renamed")).unwrap(),
        "from host\n"
    );
    assert_eq!(
        std::fs::read_to_string(root.join("srv/sub/up")).unwrap(),
        "from host\n"
    );

    // Out: a file, a directory, a directory's content (`/.`).
    let out = env.path("out");
    std::fs::create_dir_all(&out).unwrap();
    let o = |p: &str| out.join(p).to_string_lossy().into_owned();
    env.rpod(&["cp", "c:file", &o("")]).ok();
    assert_eq!(
        std::fs::read_to_string(out.join("file")).unwrap(),
        "in container\n"
    );
    env.rpod(&["cp", "c:/srv/sub", &o("newdir")]).ok();
    assert_eq!(
        std::fs::read_to_string(out.join("newdir/inner")).unwrap(),
        "inner\n"
    );
    env.rpod(&["cp", "c:/srv/sub/.", &o("")]).ok();
    assert!(out.join("inner").is_file());

    // Podman's errors.
    let r = env.rpod(&["cp", &h("nope"), "c:/tmp"]);
    assert_eq!(r.code, 125);
    assert!(
        r.stderr
            .contains("/host/nope\" could not be found on the host"),
        "{}",
        r.stderr
    );
    let r = env.rpod(&["cp", &h("up"), "c:/IdoNotExist/"]);
    assert_eq!(
        r.stderr,
        "Error: \"/IdoNotExist/\" could not be found on container c: no such file or directory\n"
    );
    let r = env.rpod(&["cp", &h(""), "c:/srv/file"]);
    assert_eq!(
        r.stderr,
        "Error: destination must be a directory when copying a directory\n"
    );

    // Tar streams both ways.
    let tar = env.cmd(&["cp", "c:/srv/sub", "-"]).output().unwrap();
    assert!(tar.status.success());
    let mut a = tar::Archive::new(&tar.stdout[..]);
    let names: Vec<String> = a
        .entries()
        .unwrap()
        .map(|e| e.unwrap().path().unwrap().to_string_lossy().into_owned())
        .collect();
    assert!(names.contains(&"sub/inner".to_string()), "{names:?}");

    let mut b = tar::Builder::new(Vec::new());
    let mut hd = tar::Header::new_gnu();
    hd.set_size(3);
    hd.set_mode(0o600);
    hd.set_uid(1042);
    hd.set_gid(1043);
    b.append_data(&mut hd, "a.txt", &b"abc"[..]).unwrap();
    let bytes = b.into_inner().unwrap();
    let mut child = env
        .cmd(&["cp", "-a=false", "-", "c:/tmp/"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    assert!(child.wait().unwrap().success());
    let m = std::fs::metadata(root.join("tmp/a.txt")).unwrap();
    use std::os::unix::fs::MetadataExt;
    assert_eq!(
        (m.uid(), m.gid()),
        (1042, 1043),
        "-a=false keeps the tar's owners"
    );
    env.rpod(&["rm", "-f", "c"]).ok();
}

#[test]
fn symlink_traps_and_escaping_archives_touch_nothing_on_the_host() {
    let env = TestEnv::new();
    let host = host_dir(&env);
    let rootfs = trapped_rootfs(&env, &host);
    env.rpod(&["create", "--name", "c", "--rootfs", &rootfs, "true"])
        .ok();
    let out = env.path("out");
    std::fs::create_dir_all(&out).unwrap();
    let o = |p: &str| out.join(p).to_string_lossy().into_owned();

    // Reading through the links resolves inside the container: nothing.
    for trap in [
        "c:/srv/abs-secret",
        "c:/srv/rel-secret",
        "c:/srv/hostdir/secret",
    ] {
        let r = env.rpod(&["cp", trap, &o("got")]);
        assert_eq!(r.code, 125, "{trap}: {}", r.stderr);
        assert!(
            r.stderr.contains("could not be found on container c"),
            "{}",
            r.stderr
        );
        assert!(!out.join("got").exists(), "{trap} copied something");
    }
    // A directory with the traps comes out as links, never as the secret.
    env.rpod(&["cp", "c:/srv", &o("srv")]).ok();
    assert!(
        std::fs::symlink_metadata(out.join("srv/abs-secret"))
            .unwrap()
            .file_type()
            .is_symlink()
    );

    // Writing through a link to a host directory lands inside the root.
    std::fs::write(host.join("payload"), "payload\n").unwrap();
    let payload = host.join("payload").to_string_lossy().into_owned();
    let r = env.rpod(&["cp", &payload, "c:/srv/hostdir/planted"]);
    assert_ne!(
        r.code, 0,
        "the link's target does not exist in the container"
    );
    assert!(!host.join("planted").exists(), "wrote on the host");
    std::fs::create_dir_all(Path::new(&rootfs).join(host.strip_prefix("/").unwrap())).unwrap();
    env.rpod(&["cp", &payload, "c:/srv/hostdir/planted"]).ok();
    assert!(!host.join("planted").exists(), "wrote on the host");
    assert!(
        Path::new(&rootfs)
            .join(host.strip_prefix("/").unwrap())
            .join("planted")
            .exists()
    );
    assert_eq!(
        std::fs::read_to_string(host.join("secret")).unwrap(),
        "HOST SECRET\n"
    );

    // An archive climbing out with `..` is refused.
    let mut raw = tar::Header::new_old();
    let name = b"../../../../../../../../escaped";
    raw.as_old_mut().name[..name.len()].copy_from_slice(name);
    raw.set_size(1);
    raw.set_mode(0o644);
    raw.set_entry_type(tar::EntryType::Regular);
    raw.set_cksum();
    let mut bytes = raw.as_bytes().to_vec();
    bytes.extend_from_slice(&[b'x'; 512]);
    bytes.extend_from_slice(&[0; 1024]);
    let mut child = env
        .cmd(&["cp", "-", "c:/tmp"])
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let done = child.wait_with_output().unwrap();
    assert_eq!(done.status.code(), Some(125));
    assert!(
        String::from_utf8_lossy(&done.stderr).contains("escapes the destination"),
        "{}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(!Path::new("/escaped").exists());

    // An archive that plants a link to the host, then writes through it,
    // extracted to the host, stays in the destination directory.
    let mut b = tar::Builder::new(Vec::new());
    let mut l = tar::Header::new_gnu();
    l.set_entry_type(tar::EntryType::Symlink);
    l.set_size(0);
    b.append_link(&mut l, "evil", &host).unwrap();
    let mut f = tar::Header::new_gnu();
    f.set_size(2);
    f.set_mode(0o644);
    b.append_data(&mut f, "evil/secret", &b"no"[..]).unwrap();
    let bytes = b.into_inner().unwrap();
    let mut child = env
        .cmd(&["cp", "-", "c:/tmp"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    assert!(child.wait().unwrap().success());
    env.rpod(&["cp", "c:/tmp/.", &o("")]).ok();
    assert_eq!(
        std::fs::read_to_string(host.join("secret")).unwrap(),
        "HOST SECRET\n"
    );
}

#[test]
fn paths_in_volumes_land_in_the_volume_running_or_not() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    let bind = env.path("bind");
    std::fs::create_dir_all(&bind).unwrap();
    let bind_arg = format!("{}:/bound", bind.display());
    env.rpod(&[
        "create",
        "--name",
        "c",
        "-v",
        "data:/data",
        "-v",
        &bind_arg,
        "--mount",
        "type=tmpfs,dst=/scratch",
        "--rootfs",
        &rootfs,
        "sleep",
        "60",
    ])
    .ok();
    let src = env.path("f");
    std::fs::write(&src, "payload\n").unwrap();
    let s = src.to_string_lossy().into_owned();
    // Stopped: the volume and the bind mount receive the files.
    env.rpod(&["cp", &s, "c:/data/stopped"]).ok();
    env.rpod(&["cp", &s, "c:/bound/stopped"]).ok();
    assert!(env.path("root/volumes/data/_data/stopped").is_file());
    assert!(bind.join("stopped").is_file());
    assert!(!Path::new(&rootfs).join("data/stopped").exists());
    // Running: the container's own view, tmpfs included.
    env.rpod(&["start", "c"]).ok();
    env.rpod(&["cp", &s, "c:/data/running"]).ok();
    env.rpod(&["cp", &s, "c:/scratch/running"]).ok();
    assert!(env.path("root/volumes/data/_data/running").is_file());
    let r = env.rpod(&["exec", "c", "cat", "/scratch/running", "/data/stopped"]);
    assert_eq!(r.ok().stdout, "payload\npayload\n");
    let back = env.path("back");
    env.rpod(&["cp", "c:/scratch/running", &back.to_string_lossy()])
        .ok();
    assert_eq!(std::fs::read_to_string(&back).unwrap(), "payload\n");
    env.rpod(&["rm", "-f", "-t", "0", "c"]).ok();
}
