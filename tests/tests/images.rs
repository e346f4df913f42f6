//! End-to-end tests of the image commands: import, images, inspect,
//! history, tag/untag, save/load, rmi, prune and exists, each in its own
//! graph root.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;

use rpod_tests::TestEnv;

/// A tarball of a fresh busybox root filesystem inside `env`.
fn rootfs_tar(env: &TestEnv) -> PathBuf {
    env.busybox_rootfs_tar()
}

/// Imports `tar` (with extra args) and returns the 64-hex image ID printed.
fn import(env: &TestEnv, extra: &[&str], tar: &std::path::Path) -> String {
    let mut args = vec!["import"];
    args.extend_from_slice(extra);
    let t = tar.to_str().unwrap();
    args.insert(1, t);
    let out = env.rpod(&args).ok().stdout;
    let id = out
        .trim()
        .strip_prefix("sha256:")
        .unwrap_or_else(|| panic!("import printed {out:?}"))
        .to_string();
    assert_eq!(id.len(), 64, "{out:?}");
    assert!(id.bytes().all(|b| b.is_ascii_hexdigit()));
    id
}

fn inspect(env: &TestEnv, name: &str) -> serde_json::Value {
    let out = env.rpod(&["image", "inspect", name]).ok().stdout;
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v[0].clone()
}

#[test]
fn import_with_changes_shows_in_images_and_inspect() {
    let env = TestEnv::new();
    let tar = rootfs_tar(&env);
    let id = import(
        &env,
        &[
            "--change",
            "CMD=/bin/sh",
            "-c",
            "LABEL=colour=blue",
            "-m",
            "from a test",
            "imp1",
        ],
        &tar,
    );

    let out = env.rpod(&["images"]).ok().stdout;
    let mut lines = out.lines();
    let header: Vec<&str> = lines
        .next()
        .unwrap()
        .split("  ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .collect();
    assert_eq!(header, ["REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE"]);
    let row: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    assert_eq!(row[0], "localhost/imp1");
    assert_eq!(row[1], "latest");
    assert_eq!(row[2], &id[..12]);
    assert!(out.contains(" ago "), "{out}");
    assert!(out.trim_end().ends_with("MB"), "{out}");

    let rec = inspect(&env, "imp1");
    for key in [
        "Id",
        "Digest",
        "RepoTags",
        "RepoDigests",
        "Parent",
        "Comment",
        "Created",
        "Config",
        "Version",
        "Author",
        "Architecture",
        "Os",
        "Size",
        "VirtualSize",
        "GraphDriver",
        "RootFS",
        "Labels",
        "Annotations",
        "ManifestType",
        "User",
        "History",
        "NamesHistory",
    ] {
        assert!(rec.get(key).is_some(), "missing {key} in {rec}");
    }
    assert_eq!(rec["Id"], id.as_str());
    assert_eq!(rec["RepoTags"][0], "localhost/imp1:latest");
    assert_eq!(rec["Comment"], "from a test");
    assert_eq!(
        rec["Config"]["Cmd"],
        serde_json::json!(["/bin/sh", "-c", "/bin/sh"])
    );
    assert_eq!(rec["Labels"]["colour"], "blue");
    assert_eq!(rec["RootFS"]["Layers"].as_array().unwrap().len(), 1);

    let t = env
        .rpod(&["image", "inspect", "--format", "{{.Id}} {{.Os}}", "imp1"])
        .ok()
        .stdout;
    assert_eq!(t, format!("{id} linux\n"));

    let hist = env.rpod(&["history", "imp1"]).ok().stdout;
    assert!(hist.starts_with("ID "), "{hist}");
    assert!(hist.contains("CREATED BY"), "{hist}");
    assert!(
        hist.contains(&id[..12]) && hist.contains("from a test"),
        "{hist}"
    );

    // Filters.
    let q = |f: &str| {
        env.rpod(&["images", "-q", "--filter", f])
            .ok()
            .stdout
            .trim()
            .to_string()
    };
    assert_eq!(q("dangling=false"), &id[..12]);
    assert_eq!(q("dangling=true"), "");
    assert_eq!(q("reference=imp*"), &id[..12]);
    assert_eq!(q("reference=other"), "");
    assert_eq!(q("label=colour=blue"), &id[..12]);
    assert_eq!(q("label=colour=red"), "");

    // A missing image: `[]` and Podman's error.
    let r = env.rpod(&["image", "inspect", "nothere"]);
    assert_eq!(r.code, 125);
    assert_eq!(r.stdout.trim(), "[]");
    assert!(
        r.stderr
            .contains("Error: inspecting object: nothere: image not known"),
        "{}",
        r.stderr
    );
}

#[test]
fn import_from_stdin_without_a_name_is_dangling() {
    let env = TestEnv::new();
    let tar = rootfs_tar(&env);
    let out = env
        .cmd(&["import", "-"])
        .stdin(std::fs::File::open(&tar).unwrap())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let id = String::from_utf8_lossy(&out.stdout)
        .trim()
        .trim_start_matches("sha256:")
        .to_string();
    assert_eq!(id.len(), 64);
    let ls = env.rpod(&["images"]).ok().stdout;
    let row: Vec<&str> = ls.lines().nth(1).unwrap().split_whitespace().collect();
    assert_eq!(&row[..3], ["<none>", "<none>", &id[..12]]);
    let json = env.rpod(&["images", "--format", "json"]).ok().stdout;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[0]["Id"], id.as_str());
    assert_eq!(v[0]["Dangling"], true);
    for key in [
        "ParentId",
        "RepoTags",
        "RepoDigests",
        "Size",
        "SharedSize",
        "VirtualSize",
        "Labels",
        "Containers",
        "Digest",
        "Created",
        "CreatedAt",
    ] {
        assert!(v[0].get(key).is_some(), "missing {key} in {v}");
    }
}

#[test]
fn tag_and_untag() {
    let env = TestEnv::new();
    let tar = rootfs_tar(&env);
    let id = import(&env, &["first"], &tar);
    env.rpod(&["tag", "first", "second", "quay.io/a/b:v1"]).ok();
    let names = |env: &TestEnv| {
        let out = env
            .rpod(&["images", "--format", "{{.Repository}}:{{.Tag}}"])
            .ok()
            .stdout;
        let mut v: Vec<String> = out.lines().map(str::to_string).collect();
        v.sort();
        v
    };
    assert_eq!(
        names(&env),
        [
            "localhost/first:latest",
            "localhost/second:latest",
            "quay.io/a/b:v1"
        ]
    );
    assert_eq!(
        env.rpod(&["image", "exists", "quay.io/a/b:v1"]).code,
        0,
        "tagged name resolves"
    );
    env.rpod(&["untag", &id, "second"]).ok();
    assert_eq!(names(&env), ["localhost/first:latest", "quay.io/a/b:v1"]);
    let r = env.rpod(&["untag", "first", "nothere"]);
    assert_eq!(r.code, 125);
    assert!(
        r.stderr
            .contains("Error: localhost/nothere:latest: tag not known"),
        "{}",
        r.stderr
    );
    // No names: every name goes, the image stays.
    env.rpod(&["untag", "first"]).ok();
    assert_eq!(names(&env), ["<none>:<none>"]);
    assert_eq!(env.rpod(&["image", "exists", &id]).code, 0);
}

#[test]
fn save_then_load_into_another_store_keeps_the_id() {
    let src = TestEnv::new();
    let tar = rootfs_tar(&src);
    let id = import(&src, &["--change", "CMD=/bin/true", "moved"], &tar);
    let unnamed = import(&src, &["-m", "no name"], &tar);
    let archive = src.path("moved.tar");
    let a = archive.to_str().unwrap();
    let r = src.rpod(&["save", "-o", a, "moved"]).ok();
    assert_eq!(r.stdout, "");
    let by_id = src.path("unnamed.tar");
    src.rpod(&[
        "save",
        "--format",
        "docker-archive",
        "-o",
        by_id.to_str().unwrap(),
        &unnamed[..12],
    ])
    .ok();

    let dst = TestEnv::new();
    let out = dst.rpod(&["load", "-i", a]).ok().stdout;
    assert_eq!(out, "Loaded image: localhost/moved:latest\n");
    assert_eq!(inspect(&dst, "moved")["Id"], id.as_str());
    assert_eq!(
        inspect(&dst, "moved")["Config"]["Cmd"],
        serde_json::json!(["/bin/sh", "-c", "/bin/true"])
    );

    // Saved by ID: no name; loaded from standard input.
    let out = dst
        .cmd(&["load", "-q"])
        .stdin(std::fs::File::open(&by_id).unwrap())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("Loaded image: sha256:{unnamed}\n")
    );
    let ids = dst.rpod(&["images", "-q", "--no-trunc"]).ok().stdout;
    assert!(ids.contains(&format!("sha256:{unnamed}")), "{ids}");

    // Garbage is refused (exit 125) and nothing is loaded.
    let junk = dst.path("junk.tar");
    std::fs::write(&junk, "not an image archive at all\n".repeat(100)).unwrap();
    let before = dst.rpod(&["images", "-q"]).ok().stdout;
    let r = dst.rpod(&["load", "-i", junk.to_str().unwrap()]);
    assert_eq!(r.code, 125);
    assert!(
        r.stderr
            .starts_with("Error: payload does not match any of the supported image formats"),
        "{}",
        r.stderr
    );
    assert_eq!(dst.rpod(&["images", "-q"]).ok().stdout, before);
    let r = dst.rpod(&["load", "-i", dst.path("missing.tar").to_str().unwrap()]);
    assert_eq!(r.code, 125);
    assert!(
        r.stderr.contains("no such file or directory"),
        "{}",
        r.stderr
    );
}

#[test]
fn rmi_untags_deletes_and_reports_missing_images() {
    let env = TestEnv::new();
    let tar = rootfs_tar(&env);
    let id = import(&env, &["gone"], &tar);

    let r = env.rpod(&["rmi", "nothere"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(r.stderr.trim(), "Error: nothere: image not known");
    assert_eq!(env.rpod(&["rmi", "-i", "nothere"]).code, 0);

    env.rpod(&["tag", "gone", "also"]).ok();
    // By ID with two names: refused without --force.
    let r = env.rpod(&["rmi", &id[..12]]);
    assert_eq!(r.code, 125, "{r:?}");
    assert!(r.stderr.contains("please force removal"), "{}", r.stderr);
    // By one of two names: only that name goes.
    let r = env.rpod(&["rmi", "also"]).ok();
    assert_eq!(r.stdout, "Untagged: localhost/also:latest\n");
    // The last name: untagged and deleted; a missing one fails with exit 1.
    let r = env.rpod(&["rmi", "gone", "nothere"]);
    assert_eq!(r.code, 1, "{r:?}");
    assert_eq!(
        r.stdout,
        format!("Untagged: localhost/gone:latest\nDeleted: {id}\n")
    );
    assert_eq!(env.rpod(&["image", "exists", "gone"]).code, 1);
    assert_eq!(env.rpod(&["images", "-q"]).ok().stdout, "");
}

#[test]
fn prune_removes_only_dangling_images_unless_all() {
    let env = TestEnv::new();
    let tar = rootfs_tar(&env);
    let kept = import(&env, &["kept"], &tar);
    let dangling = import(&env, &["-m", "dangling"], &tar);

    // Without --force it asks; no answer on stdin is an error.
    let r = env.rpod(&["image", "prune"]);
    assert_eq!(r.code, 125);
    assert!(r.stdout.contains("removes all dangling images"), "{r:?}");
    assert_eq!(env.rpod(&["image", "exists", &dangling]).code, 0);

    let r = env.rpod(&["image", "prune", "-f"]).ok();
    assert_eq!(r.stdout, format!("{dangling}\n"));
    assert_eq!(env.rpod(&["image", "exists", &dangling]).code, 1);
    assert_eq!(env.rpod(&["image", "exists", "kept"]).code, 0);

    let r = env.rpod(&["image", "prune", "-a", "-f"]).ok();
    assert_eq!(r.stdout, format!("{kept}\n"));
    assert_eq!(env.rpod(&["image", "exists", "kept"]).code, 1);
}

#[test]
fn image_mount_and_diff_show_the_root_filesystem() {
    let env = TestEnv::new();
    let tar = rootfs_tar(&env);
    let id = import(&env, &["mnt"], &tar);
    let path = env.rpod(&["image", "mount", "mnt"]).ok().stdout;
    let path = PathBuf::from(path.trim());
    assert!(path.join("bin/busybox").exists(), "{}", path.display());
    let r = env.rpod(&["image", "unmount", "mnt"]).ok();
    assert_eq!(r.stdout, format!("{id}\n"));

    let diff = env.rpod(&["diff", "mnt"]).ok().stdout;
    assert!(diff.lines().any(|l| l == "A /bin/busybox"), "{diff}");
    assert!(diff.lines().any(|l| l == "A /etc/passwd"), "{diff}");
    let r = env.rpod(&["diff", "nothere"]);
    assert_eq!(r.code, 125);
    assert!(r.stderr.contains("nothere not found"), "{}", r.stderr);
}
