//! Volumes end to end: the `volume` commands with Podman's output and exit
//! codes, containers sharing data through them, copy-up from the root
//! filesystem, anonymous volumes, `--mount`, `--volumes-from`, lock
//! accounting, and Podman-written volumes read through the Bolt backend.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::os::unix::fs::symlink;
use std::process::Command;

use rpod_tests::TestEnv;

/// A busybox root filesystem with `/data` (owned 5:6, mode 0750) holding
/// a file owned 12:34 and an absolute symlink to the host's shadow file.
fn rootfs_with_data(env: &TestEnv) -> String {
    let root = env.busybox_rootfs();
    for applet in ["awk", "stat"] {
        symlink("busybox", root.join("bin").join(applet)).unwrap();
    }
    let data = root.join("data");
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(data.join("f"), "from image\n").unwrap();
    std::os::unix::fs::lchown(data.join("f"), Some(12), Some(34)).unwrap();
    symlink("/etc/shadow", data.join("link")).unwrap();
    std::os::unix::fs::lchown(&data, Some(5), Some(6)).unwrap();
    std::fs::set_permissions(&data, std::os::unix::fs::PermissionsExt::from_mode(0o750)).unwrap();
    root.to_string_lossy().into_owned()
}

#[test]
fn volume_commands_print_and_fail_as_podman() {
    let env = TestEnv::new();
    let r = env
        .rpod(&["volume", "create", "--label", "app=web", "v1"])
        .ok();
    assert_eq!(r.stdout, "v1\n");
    env.rpod(&["volume", "create", "-o", "o=uid=1000,gid=1000", "v2"])
        .ok();
    let dup = env.rpod(&["volume", "create", "v1"]);
    assert_eq!(dup.code, 125);
    assert_eq!(
        dup.stderr,
        "Error: volume with name v1 already exists: volume already exists\n"
    );
    assert_eq!(
        env.rpod(&["volume", "create", "--ignore", "v1"])
            .ok()
            .stdout,
        "v1\n"
    );
    for bad in ["a/b", "../x", ".x", "a b"] {
        let r = env.rpod(&["volume", "create", bad]);
        assert_eq!(r.code, 125, "{bad}");
        assert_eq!(
            r.stderr,
            "Error: running volume create option: names must match [a-zA-Z0-9][a-zA-Z0-9_.-]*: invalid argument\n"
        );
    }
    assert!(!env.path("root/volumes/a").exists());
    let r = env.rpod(&["volume", "create", "-o", "foo=bar", "v3"]);
    assert_eq!(
        r.stderr,
        "Error: invalid mount option foo for driver 'local': invalid argument\n"
    );

    let ls = env.rpod(&["volume", "ls"]).ok();
    assert_eq!(
        ls.stdout,
        "DRIVER      VOLUME NAME\nlocal       v1\nlocal       v2\n"
    );
    assert_eq!(env.rpod(&["volume", "ls", "-q"]).ok().stdout, "v1\nv2\n");
    let by_label = env.rpod(&["volume", "ls", "-q", "--filter", "label=app=web"]);
    assert_eq!(by_label.ok().stdout, "v1\n");
    let by_name = env.rpod(&[
        "volume",
        "ls",
        "--filter",
        "name=2$",
        "--format",
        "{{.Name}} {{.Driver}}",
    ]);
    assert_eq!(by_name.ok().stdout, "v2 local\n");
    let bad = env.rpod(&["volume", "ls", "--filter", "foo=bar"]);
    assert_eq!(bad.stderr, "Error: \"foo\" is an invalid volume filter\n");

    let insp = env.rpod(&["volume", "inspect", "v2"]).ok();
    let v: serde_json::Value = serde_json::from_str(&insp.stdout).unwrap();
    assert_eq!(v[0]["Name"], "v2");
    assert_eq!(v[0]["UID"], 1000);
    assert_eq!(v[0]["Options"]["o"], "uid=1000,gid=1000");
    assert_eq!(
        v[0]["Mountpoint"],
        env.path("root/volumes/v2/_data").to_string_lossy().as_ref()
    );
    let meta = std::fs::metadata(env.path("root/volumes/v2/_data")).unwrap();
    assert_eq!(std::os::unix::fs::MetadataExt::uid(&meta), 1000);
    let tmpl = env.rpod(&[
        "volume",
        "inspect",
        "--format",
        "{{.Name}}:{{.Labels.app}}",
        "v1",
    ]);
    assert_eq!(tmpl.ok().stdout, "v1:web\n");
    let missing = env.rpod(&["volume", "inspect", "nope"]);
    assert_eq!(missing.code, 125);
    assert_eq!(
        missing.stderr,
        "Error: inspecting object: no such volume nope\n"
    );

    assert_eq!(env.rpod(&["volume", "exists", "v1"]).code, 0);
    assert_eq!(env.rpod(&["volume", "exists", "nope"]).code, 1);
    let gone = env.rpod(&["volume", "rm", "nope"]);
    assert_eq!(gone.code, 1);
    assert_eq!(
        gone.stderr,
        "Error: no volume with name \"nope\" found: no such volume\n"
    );
    assert_eq!(env.rpod(&["volume", "rm", "-f", "nope"]).code, 0);
    let usage = env.rpod(&["volume", "rm"]);
    assert_eq!(
        usage.stderr,
        "Error: choose either one or more volumes or all\n"
    );
    assert_eq!(env.rpod(&["volume", "rm", "v1"]).ok().stdout, "v1\n");
    assert!(!env.path("root/volumes/v1").exists());
    let pruned = env.rpod(&["volume", "prune", "-f"]).ok();
    assert_eq!(pruned.stdout, "v2\n");
    assert_eq!(env.rpod(&["volume", "ls", "-q"]).ok().stdout, "");
}

#[test]
fn data_outlives_containers_and_copy_up_keeps_owners_and_links() {
    let env = TestEnv::new();
    let rootfs = rootfs_with_data(&env);
    let first = env.rpod(&[
        "run", "--rm", "-v", "store:/data", "--rootfs", &rootfs, "sh", "-c",
        "ls -ln /data | tail -n +2 | awk '{print $3\":\"$4, $NF}'; stat -c '%u:%g %a' /data; echo written > /data/new",
    ]);
    assert_eq!(first.ok().stdout, "12:34 f\n0:0 /etc/shadow\n5:6 750\n");
    // The next container sees what the first wrote; no second copy-up.
    let second = env.rpod(&[
        "run",
        "--rm",
        "-v",
        "store:/srv",
        "--rootfs",
        &rootfs,
        "sh",
        "-c",
        "cat /srv/new; ls /srv",
    ]);
    assert_eq!(second.ok().stdout, "written\nf\nlink\nnew\n");
    // The image's link stayed a link inside the volume, pointing nowhere
    // on the host.
    let data = env.path("root/volumes/store/_data");
    assert_eq!(
        std::fs::read_link(data.join("link")).unwrap(),
        std::path::Path::new("/etc/shadow")
    );
    let insp = env.rpod(&[
        "volume",
        "inspect",
        "--format",
        "{{.NeedsCopyUp}} {{.NeedsChown}}",
        "store",
    ]);
    assert_eq!(insp.ok().stdout, "false false\n");
    // nocopy: a new volume stays empty.
    let r = env.rpod(&[
        "run",
        "--rm",
        "-v",
        "empty:/data:nocopy",
        "--rootfs",
        &rootfs,
        "ls",
        "-A",
        "/data",
    ]);
    assert_eq!(r.ok().stdout, "");
}

#[test]
fn a_volume_in_use_is_refused_then_forced_and_volumes_from_shares_it() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    env.rpod(&[
        "create",
        "--name",
        "holder",
        "-v",
        "shared:/shared",
        "--mount",
        "type=tmpfs,dst=/scratch",
        "--rootfs",
        &rootfs,
        "sh",
        "-c",
        "echo from holder > /shared/msg",
    ])
    .ok();
    env.rpod(&["start", "-a", "holder"]).ok();
    let r = env.rpod(&["volume", "rm", "shared"]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("volume shared is being used by the following container(s): ")
            && r.stderr.ends_with(": volume is being used\n"),
        "{}",
        r.stderr
    );
    let pruned = env.rpod(&["volume", "prune", "-f"]).ok();
    assert_eq!(pruned.stdout, "", "prune keeps volumes in use");

    let ro = env.rpod(&[
        "run",
        "--rm",
        "--volumes-from",
        "holder:ro",
        "--rootfs",
        &rootfs,
        "sh",
        "-c",
        "cat /shared/msg; touch /shared/x 2>/dev/null || echo read-only",
    ]);
    assert_eq!(ro.ok().stdout, "from holder\nread-only\n");
    let mounted = env.rpod(&[
        "run",
        "--rm",
        "--mount",
        "type=volume,source=shared,target=/m,readonly",
        "--rootfs",
        &rootfs,
        "cat",
        "/m/msg",
    ]);
    assert_eq!(mounted.ok().stdout, "from holder\n");

    let forced = env.rpod(&["volume", "rm", "-f", "shared"]).ok();
    assert_eq!(forced.stdout, "shared\n");
    assert_eq!(
        env.rpod(&["ps", "-a", "-q"]).ok().stdout,
        "",
        "its user went too"
    );
    assert!(!env.path("root/volumes/shared").exists());
}

#[test]
fn anonymous_volumes_go_with_rm_v_and_run_rm() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    env.rpod(&[
        "run", "--rm", "-v", "/anon", "--rootfs", &rootfs, "touch", "/anon/x",
    ])
    .ok();
    assert_eq!(env.rpod(&["volume", "ls", "-q"]).ok().stdout, "");
    env.rpod(&[
        "run", "--name", "keep", "-v", "/anon", "--rootfs", &rootfs, "true",
    ])
    .ok();
    let anon = env.rpod(&["volume", "ls", "-q"]).ok().stdout;
    assert_eq!(anon.trim().len(), 64, "{anon}");
    let insp = env.rpod(&[
        "volume",
        "inspect",
        "--format",
        "{{.Anonymous}}",
        anon.trim(),
    ]);
    assert_eq!(insp.ok().stdout, "true\n");
    env.rpod(&["rm", "-v", "keep"]).ok();
    assert_eq!(env.rpod(&["volume", "ls", "-q"]).ok().stdout, "");
    // A named volume survives rm -v.
    env.rpod(&[
        "run", "--name", "n", "-v", "named:/d", "--rootfs", &rootfs, "true",
    ])
    .ok();
    env.rpod(&["rm", "-v", "n"]).ok();
    assert_eq!(env.rpod(&["volume", "ls", "-q"]).ok().stdout, "named\n");
}

#[test]
fn create_and_remove_cycles_leave_the_lock_count_unchanged() {
    let env = TestEnv::new();
    let free = || {
        env.rpod(&["info", "--format", "{{.Host.FreeLocks}}"])
            .ok()
            .stdout
    };
    env.rpod(&["volume", "create", "warmup"]).ok();
    let before = free();
    for i in 0..100 {
        let name = format!("cycle{i}");
        env.rpod(&["volume", "create", &name]).ok();
        env.rpod(&["volume", "rm", &name]).ok();
    }
    assert_eq!(free(), before);
    // system prune --volumes frees the locks of what it removes.
    for i in 0..3 {
        env.rpod(&["volume", "create", &format!("p{i}")]).ok();
    }
    env.rpod(&["system", "prune", "-f", "--volumes"]).ok();
    let after_prune: u64 = free().trim().parse().unwrap();
    let expected: u64 = before.trim().parse::<u64>().unwrap() + 1;
    assert_eq!(after_prune, expected, "warmup went too");
}

#[test]
fn a_podman_created_volume_reads_through_the_bolt_backend() {
    let env = TestEnv::new();
    // Podman writes its bolt_state.db in the same directories rpod uses.
    let conf = env.path("podman.conf");
    std::fs::write(
        &conf,
        "[engine]\nlock_type = \"file\"\nevents_logger = \"file\"\n",
    )
    .unwrap();
    let podman = Command::new("podman")
        .arg("--root")
        .arg(env.path("root"))
        .arg("--runroot")
        .arg(env.path("runroot"))
        .arg("--tmpdir")
        .arg(env.path("tmp"))
        .args(["volume", "create", "--label", "by=podman", "pv"])
        .env("CONTAINERS_CONF", &conf)
        .output()
        .unwrap();
    assert!(
        podman.status.success(),
        "{}",
        String::from_utf8_lossy(&podman.stderr)
    );
    let bolt = ["--db-backend", "boltdb"];
    let ls = env
        .rpod(&[&bolt[..], &["volume", "ls", "-q"]].concat())
        .ok();
    assert_eq!(ls.stdout, "pv\n");
    let insp = env
        .rpod(
            &[
                &bolt[..],
                &[
                    "volume",
                    "inspect",
                    "--format",
                    "{{.Labels.by}} {{.Mountpoint}}",
                    "pv",
                ],
            ]
            .concat(),
        )
        .ok();
    assert_eq!(
        insp.stdout,
        format!("podman {}\n", env.path("root/volumes/pv/_data").display())
    );
}

#[test]
fn image_volumes_follow_image_volume_and_u_chowns_to_the_user() {
    let env = TestEnv::new();
    let root = std::path::PathBuf::from(rootfs_with_data(&env));
    let tar = env.path("rootfs.tar");
    let status = Command::new("tar")
        .arg("-C")
        .arg(&root)
        .args(["-cf"])
        .arg(&tar)
        .arg(".")
        .status()
        .unwrap();
    assert!(status.success());
    let tar_s = tar.to_string_lossy().into_owned();
    env.rpod(&["import", "--change", "VOLUME /data", &tar_s, "withvol"])
        .ok();
    let mounts = |extra: &[&str]| {
        let mut args = vec!["run", "--rm"];
        args.extend_from_slice(extra);
        args.extend_from_slice(&[
            "withvol",
            "sh",
            "-c",
            "grep ' /data ' /proc/mounts | cut -d' ' -f3; cat /data/f",
        ]);
        env.rpod(&args).ok().stdout
    };
    // Default: an anonymous volume (a bind of its directory), filled
    // from the image; tmpfs: a tmpfs with the image's content copied up;
    // ignore: the image's directory itself.
    let default = mounts(&[]);
    assert!(
        default.ends_with("\nfrom image\n") && !default.starts_with("tmpfs"),
        "{default}"
    );
    assert_eq!(mounts(&["--image-volume", "tmpfs"]), "tmpfs\nfrom image\n");
    assert_eq!(mounts(&["--image-volume", "ignore"]), "from image\n");
    assert_eq!(env.rpod(&["volume", "ls", "-q"]).ok().stdout, "");

    // :U gives the volume's content to the container's user.
    let r = env.rpod(&[
        "run",
        "--rm",
        "--user",
        "65534:65534",
        "-v",
        "owned:/data:U",
        "withvol",
        "sh",
        "-c",
        "stat -c '%u:%g' /data /data/f",
    ]);
    assert_eq!(r.ok().stdout, "65534:65534\n65534:65534\n");
}

#[test]
fn an_interrupted_copy_up_is_redone_on_the_next_start() {
    let env = TestEnv::new();
    let rootfs = rootfs_with_data(&env);
    env.rpod(&["volume", "create", "v"]).ok();
    // What a kill -9 halfway through the first copy-up leaves: the marker
    // beside _data and part of the content.
    let data = env.path("root/volumes/v/_data");
    std::fs::write(data.join("partial"), "half").unwrap();
    std::fs::write(env.path("root/volumes/v/copyup-incomplete"), "").unwrap();
    let r = env.rpod(&[
        "run", "--rm", "-v", "v:/data", "--rootfs", &rootfs, "ls", "/data",
    ]);
    assert_eq!(r.ok().stdout, "f\nlink\n");
    assert!(!env.path("root/volumes/v/copyup-incomplete").exists());
    // Done once: later content stays.
    std::fs::write(data.join("later"), "kept").unwrap();
    let r = env.rpod(&[
        "run", "--rm", "-v", "v:/data", "--rootfs", &rootfs, "ls", "/data",
    ]);
    assert_eq!(r.ok().stdout, "f\nlater\nlink\n");
    // system df counts the volume and its user.
    env.rpod(&[
        "create", "--name", "user", "-v", "v:/data", "--rootfs", &rootfs, "true",
    ])
    .ok();
    let df = env.rpod(&[
        "system",
        "df",
        "--format",
        "{{.Type}} {{.Total}} {{.Active}}",
    ]);
    assert!(df.ok().stdout.contains("Local Volumes 1 1\n"));
}

#[test]
fn an_overlay_mount_leaves_its_source_unchanged() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    let lower = env.path("lower");
    std::fs::create_dir_all(&lower).unwrap();
    std::fs::write(lower.join("l"), "lower\n").unwrap();
    let arg = format!("{}:/o:O", lower.display());
    let script = "cat /o/l; echo changed > /o/l; touch /o/new; cat /o/l";
    let r = env.rpod(&[
        "run", "--name", "ov", "-v", &arg, "--rootfs", &rootfs, "sh", "-c", script,
    ]);
    assert_eq!(r.ok().stdout, "lower\nchanged\n");
    assert_eq!(std::fs::read_to_string(lower.join("l")).unwrap(), "lower\n");
    assert!(!lower.join("new").exists());
    // Each start sees the source as it is.
    let again = env.rpod(&["start", "-a", "ov"]);
    assert_eq!(again.ok().stdout, "lower\nchanged\n");
}

#[test]
fn a_tmpfs_volume_is_mounted_while_used_and_force_removal_stops_its_user() {
    let env = TestEnv::new();
    let rootfs = env.busybox_rootfs_arg();
    env.rpod(&[
        "volume",
        "create",
        "-o",
        "type=tmpfs",
        "-o",
        "device=tmpfs",
        "-o",
        "o=nr_inodes=1000",
        "tv",
    ])
    .ok();
    let data = env
        .path("root/volumes/tv/_data")
        .to_string_lossy()
        .into_owned();
    let mounted = || env.mounts().iter().filter(|m| m.contains(&data)).count();
    env.rpod(&[
        "run", "-d", "--name", "user", "-v", "tv:/t", "--rootfs", &rootfs, "sleep", "60",
    ])
    .ok();
    assert_eq!(mounted(), 1);
    let r = env.rpod(&[
        "exec",
        "user",
        "sh",
        "-c",
        "grep ' /t ' /proc/mounts | cut -d' ' -f3",
    ]);
    assert_eq!(r.ok().stdout, "tmpfs\n");
    // -f removes the running user first (taking the volume's lock only
    // after it), then the volume, its mount and its directory.
    let r = env.rpod(&["volume", "rm", "-f", "-t", "0", "tv"]).ok();
    assert_eq!(r.stdout, "tv\n");
    assert_eq!(mounted(), 0);
    assert_eq!(env.rpod(&["ps", "-a", "-q"]).ok().stdout, "");
    assert!(!env.path("root/volumes/tv").exists());
}
