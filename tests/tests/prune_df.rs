//! `system prune` (what goes, sizes, sections, filters), `system df` and
//! `diff` as seen through the binary, each in its own environment.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "test code: a failed unwrap is a failed test"
)]

use std::io::Write;
use std::process::Stdio;

use rpod_tests::TestEnv;

/// Imports the busybox tarball; `name` empty leaves the image dangling.
/// Returns the image ID.
fn import(env: &TestEnv, name: &str) -> String {
    let tar = env.busybox_rootfs_tar();
    let tar = tar.to_string_lossy().into_owned();
    let mut args = vec!["import", "-q", tar.as_str()];
    if !name.is_empty() {
        args.push(name);
    }
    let id = env.rpod(&args).ok().stdout.trim().to_string();
    id.trim_start_matches("sha256:").to_string()
}

/// Runs `rpod system prune <args>` answering `answer` to the prompt.
fn prune_answering(env: &TestEnv, args: &[&str], answer: &str) -> (String, i32) {
    let mut all = vec!["system", "prune"];
    all.extend_from_slice(args);
    let mut child = env
        .cmd(&all)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(answer.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

#[test]
fn the_prompt_names_what_will_go_and_no_keeps_everything() {
    let env = TestEnv::new();
    let (out, code) = prune_answering(&env, &[], "n\n");
    assert_eq!(code, 0);
    assert!(out.contains("\t- all dangling images\n"), "{out}");
    assert!(!out.contains("volumes"), "{out}");
    assert!(
        out.ends_with("Are you sure you want to continue? [y/N] "),
        "{out}"
    );
    let (out, _) = prune_answering(&env, &["-a", "--volumes"], "n\n");
    assert!(
        out.contains("\t- all volumes not used by at least one container\n"),
        "{out}"
    );
    assert!(
        out.contains("\t- all images without at least one container associated with them\n"),
        "{out}"
    );
    assert!(out.contains("\t- all build cache\n"), "{out}");
    let (_, code) = prune_answering(&env, &[], "");
    assert_eq!(code, 125, "end of input is an error");
}

#[test]
fn prune_removes_stopped_containers_and_dangling_images_with_real_sizes() {
    let env = TestEnv::new();
    let named = import(&env, "bb");
    let dangling = import(&env, "");
    env.rpod(&[
        "run",
        "--name",
        "w",
        "bb",
        "sh",
        "-c",
        "touch /x; echo hello > /y",
    ])
    .ok();
    let ctr = env
        .rpod(&["inspect", "--format", "{{.Id}}", "w"])
        .ok()
        .stdout
        .trim()
        .to_string();
    let (out, code) = prune_answering(&env, &[], "y\n");
    assert_eq!(code, 0, "{out}");
    let body = out.split("[y/N] ").nth(1).unwrap_or_default();
    assert!(
        body.starts_with(&format!(
            "Deleted Containers\n{ctr}\nDeleted Images\n{dangling}\nTotal reclaimed space: "
        )),
        "{body}"
    );
    assert!(!body.ends_with("Total reclaimed space: 0B\n"), "{body}");
    let left = env.rpod(&["images", "-q", "--no-trunc"]).ok().stdout;
    assert!(left.contains(&named), "the tagged image stays: {left}");

    // A container's size is what its own layer holds: "hello\n" here.
    env.rpod(&[
        "run",
        "--name",
        "w2",
        "bb",
        "sh",
        "-c",
        "touch /x; echo hello > /y",
    ])
    .ok();
    let out = env.rpod(&["system", "prune", "-f"]).ok().stdout;
    assert!(out.ends_with("Total reclaimed space: 6B\n"), "{out}");

    // -a takes every image no container uses.
    let out = env.rpod(&["system", "prune", "-a", "-f"]).ok().stdout;
    assert!(out.starts_with("Deleted Images\n"), "{out}");
    assert!(out.contains(&named), "{out}");
    assert_eq!(env.rpod(&["images", "-q"]).ok().stdout, "");
}

#[test]
fn prune_filters_select_by_label_and_reject_unknown_keys() {
    let env = TestEnv::new();
    import(&env, "bb");
    env.rpod(&["create", "--name", "keep", "bb", "true"]).ok();
    env.rpod(&[
        "create", "--name", "drop", "--label", "gone=yes", "bb", "true",
    ])
    .ok();
    env.rpod(&["system", "prune", "-f", "--filter", "label=gone=yes"])
        .ok();
    let names = env
        .rpod(&["ps", "-a", "--format", "{{.Names}}"])
        .ok()
        .stdout;
    assert_eq!(names, "keep\n");
    let r = env.rpod(&["system", "prune", "-f", "--filter", "foo=bar"]);
    assert_eq!(r.code, 125);
    assert_eq!(r.stderr, "Error: foo is an invalid filter\n");
    let r = env.rpod(&["system", "prune", "-f", "--filter", "until=xyz"]);
    assert_eq!(
        r.stderr,
        "Error: failed to parse value as time or duration: \"xyz\"\n"
    );
    assert_eq!(
        env.rpod(&["ps", "-a", "--format", "{{.Names}}"])
            .ok()
            .stdout,
        "keep\n",
        "a rejected filter removes nothing"
    );
}

#[test]
fn diff_leaves_out_the_files_the_engine_mounts() {
    let env = TestEnv::new();
    import(&env, "bb");
    env.rpod(&["run", "--name", "t", "bb", "touch", "/x"]).ok();
    let diff = env.rpod(&["diff", "t"]).ok().stdout;
    assert_eq!(diff, "C /etc\nA /x\n");
    let latest = env
        .rpod(&["diff", "--latest", "--format", "json"])
        .ok()
        .stdout;
    let v: serde_json::Value = serde_json::from_str(&latest).unwrap();
    assert_eq!(v["changed"], serde_json::json!(["/etc"]), "{latest}");
    assert_eq!(v["added"], serde_json::json!(["/x"]), "{latest}");
    let both = env.rpod(&["diff", "-l", "t"]);
    assert_eq!(
        (both.code, both.stderr.as_str()),
        (
            125,
            "Error: --latest and containers cannot be used together\n"
        )
    );
    let none = env.rpod(&["diff"]);
    assert_eq!(
        (none.code, none.stderr.as_str()),
        (
            125,
            "Error: \"rpod diff\" requires a name, id, or the \"--latest\" flag\n"
        )
    );
}

#[test]
fn df_shows_reclaimable_shares_and_the_verbose_sections() {
    let env = TestEnv::new();
    import(&env, "bb");
    env.rpod(&["run", "--name", "w", "bb", "sh", "-c", "echo hello > /y"])
        .ok();
    let table = env.rpod(&["system", "df"]).ok().stdout;
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("TYPE"), "{table}");
    let cols = |l: &str| l.split_whitespace().map(str::to_string).collect::<Vec<_>>();
    let images = cols(lines[1]);
    assert_eq!(images[..3], ["Images", "1", "1"], "{table}");
    assert_eq!(images[4..], ["0B", "(0%)"], "the image is in use: {table}");
    assert_eq!(
        cols(lines[2]),
        ["Containers", "1", "0", "6B", "6B", "(100%)"],
        "{table}"
    );
    assert_eq!(
        cols(lines[3]),
        ["Local", "Volumes", "0", "0", "0B", "0B", "(0%)"]
    );

    let raw = env
        .rpod(&["system", "df", "--format", "{{.Type}}={{.RawSize}}"])
        .ok()
        .stdout;
    assert!(raw.contains("Containers=6\n"), "{raw}");
    let json = env.rpod(&["system", "df", "--format", "json"]).ok().stdout;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v[1]["Type"], "Containers");
    assert_eq!(v[1]["Reclaimable"], 6);

    let verbose = env.rpod(&["system", "df", "-v"]).ok().stdout;
    let heads: Vec<&str> = verbose
        .lines()
        .filter(|l| l.ends_with("space usage:"))
        .collect();
    assert_eq!(
        heads,
        [
            "Images space usage:",
            "Containers space usage:",
            "Local Volumes space usage:"
        ]
    );
    assert!(verbose.contains("REPOSITORY"), "{verbose}");
    assert!(verbose.contains("UNIQUE SIZE"), "{verbose}");
    assert!(verbose.contains("LOCAL VOLUMES"), "{verbose}");
    let row = verbose
        .lines()
        .find(|l| l.ends_with(" w"))
        .unwrap_or_default();
    assert!(row.contains("sh -c echo hello > /y"), "{verbose}");
    assert!(row.contains(" 6B "), "{verbose}");
    assert!(row.contains(" exited "), "{verbose}");
    assert!(
        verbose.ends_with("VOLUME NAME  LINKS       SIZE\n"),
        "{verbose}"
    );
}

#[test]
fn commit_reports_the_copy_on_stderr_unless_quiet() {
    let env = TestEnv::new();
    import(&env, "bb");
    env.rpod(&["run", "--name", "w", "bb", "touch", "/x"]).ok();
    let loud = env.rpod(&["commit", "w", "img1"]).ok();
    assert_eq!(loud.stdout.trim().len(), 64, "{}", loud.stdout);
    let lines: Vec<&str> = loud.stderr.lines().collect();
    assert_eq!(lines.first(), Some(&"Getting image source signatures"));
    assert!(
        lines.iter().any(|l| l.starts_with("Copying blob sha256:")),
        "{}",
        loud.stderr
    );
    assert!(
        loud.stderr
            .contains(&format!("Copying config sha256:{}", loud.stdout.trim())),
        "{}",
        loud.stderr
    );
    assert_eq!(lines.last(), Some(&"Storing signatures"));
    let quiet = env.rpod(&["commit", "-q", "w", "img2"]).ok();
    assert_eq!(quiet.stdout.trim().len(), 64, "{}", quiet.stdout);
    assert_eq!(quiet.stderr, "", "-q prints only the ID");
}
