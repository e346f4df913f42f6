//! External containers: ones the store holds that rpod has no record of
//! (as buildah leaves them). `ps --external` shows them, `container exists
//! --external` finds them, and `rm` deletes them by name or ID, which frees
//! the name for a new container.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rpod_runtime_core::storage::Storage;
use rpod_storage::Store;
use rpod_tests::TestEnv;

/// Imports a busybox image named `base` and returns its ID.
fn base_image(env: &TestEnv) -> String {
    let tar = env.busybox_rootfs_tar();
    let out = env
        .rpod(&["import", tar.to_str().unwrap(), "base"])
        .ok()
        .stdout;
    out.trim().trim_start_matches("sha256:").to_string()
}

/// The same store rpod uses in `env`, opened directly (as another tool
/// sharing it would).
fn store(env: &TestEnv) -> Store {
    Store::open(&env.path("root"), &env.path("runroot"), "").unwrap()
}

/// A 64-hex container ID made of one repeated digit.
fn fake_id(digit: char) -> String {
    std::iter::repeat_n(digit, 64).collect()
}

const ROW: &str = "{{.ID}}|{{.Image}}|{{.Command}}|{{.Status}}|{{.Names}}";

#[test]
fn ps_external_lists_storage_only_containers_and_rm_frees_their_names() {
    let env = TestEnv::new();
    let image = base_image(&env);
    env.rpod(&["create", "--name", "managed", "base", "true"])
        .ok();
    let ext = fake_id('a');
    let s = store(&env);
    s.create_container(&ext, "outsider", &image).unwrap();
    // A buildah working container: its directory holds buildah's marker.
    let built = fake_id('b');
    s.create_container(&built, "builder", &image).unwrap();
    std::fs::write(s.container_dir(&built).unwrap().join("buildah.json"), "{}").unwrap();

    // Without --external only rpod's own containers show, with or without -a.
    let plain = env.rpod(&["ps", "-a", "--format", "{{.Names}}"]).ok();
    assert_eq!(plain.stdout, "managed\n");
    let running = env.rpod(&["ps", "--format", "{{.Names}}"]).ok();
    assert_eq!(running.stdout, "");

    // --external alone adds the storage ones (not the stopped managed one).
    let rows = env.rpod(&["ps", "--external", "--format", ROW]).ok().stdout;
    let mut lines: Vec<&str> = rows.lines().collect();
    lines.sort_unstable();
    assert_eq!(
        lines,
        [
            "aaaaaaaaaaaa|localhost/base:latest|storage|Storage|outsider",
            "bbbbbbbbbbbb|localhost/base:latest|buildah|Storage|builder",
        ],
        "{rows}"
    );
    let all = env.rpod(&["ps", "-a", "--external"]).ok().stdout;
    assert_eq!(all.lines().count(), 4, "{all}");
    assert!(all.lines().next().unwrap().contains("STATUS"), "{all}");
    let row = all.lines().find(|l| l.contains("outsider")).unwrap();
    assert!(row.contains(" Storage "), "{row}");
    let json = env
        .rpod(&["ps", "--external", "--format", "json"])
        .ok()
        .stdout;
    let recs: serde_json::Value = serde_json::from_str(&json).unwrap();
    let outsider = recs
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["Names"][0] == "outsider")
        .unwrap();
    assert_eq!(outsider["State"], "storage");
    assert_eq!(outsider["Id"], ext.as_str());
    assert_eq!(outsider["ImageID"], image.as_str());

    // exists sees them only with --external.
    assert_eq!(env.rpod(&["container", "exists", "outsider"]).code, 1);
    env.rpod(&["container", "exists", "--external", "outsider"])
        .ok();
    env.rpod(&["container", "exists", "--external", "managed"])
        .ok();

    // rm -a is for rpod's containers only.
    env.rpod(&["rm", "-a"]).ok();
    let left = env.rpod(&["ps", "-a", "--external", "-q"]).ok().stdout;
    assert_eq!(left.lines().count(), 2, "{left}");

    // A mounted one needs -f; the report names it as given.
    s.mount_container(&ext).unwrap();
    let refused = env.rpod(&["rm", "outsider"]);
    assert_eq!(refused.code, 2, "{}", refused.stderr);
    assert_eq!(
        refused.stderr,
        "Error: container \"outsider\" is mounted and cannot be removed without using force: container state improper\n"
    );
    let forced = env.rpod(&["rm", "-f", "outsider"]).ok();
    assert_eq!(forced.stdout, "outsider\n");
    // By a short ID, without -f (not mounted); --storage is accepted.
    let by_id = env.rpod(&["rm", "--storage", "bbbbbbbbbbbb"]).ok();
    assert_eq!(by_id.stdout, "bbbbbbbbbbbb\n");
    assert_eq!(env.rpod(&["ps", "-a", "--external", "-q"]).ok().stdout, "");
    assert!(store(&env).containers().unwrap().is_empty());

    // The names are free again.
    env.rpod(&["create", "--name", "outsider", "base", "true"])
        .ok();
    env.rpod(&["create", "--name", "builder", "base", "true"])
        .ok();
    let missing = env.rpod(&["rm", "nobody"]);
    assert_eq!(missing.code, 1, "{}", missing.stderr);
}

#[test]
fn rm_prints_each_container_as_it_was_named() {
    let env = TestEnv::new();
    base_image(&env);
    let id = env
        .rpod(&["create", "--name", "by-name", "base", "true"])
        .ok()
        .stdout
        .trim()
        .to_string();
    let other = env
        .rpod(&["create", "--name", "by-id", "base", "true"])
        .ok()
        .stdout
        .trim()
        .to_string();
    let r = env.rpod(&["rm", "by-name", &other[..12]]).ok();
    assert_eq!(r.stdout, format!("by-name\n{}\n", &other[..12]));
    assert!(!r.stdout.contains(&id));
    // -a has no names to echo: full IDs.
    let last = env
        .rpod(&["create", "--name", "last", "base", "true"])
        .ok()
        .stdout;
    assert_eq!(env.rpod(&["rm", "-a"]).ok().stdout, last);
}
