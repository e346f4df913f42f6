//! End-to-end tests of `--format` as every command applies it: a field the
//! report does not have fails with exit code 125 and a message naming the
//! report's Go type (as Podman's does), a missing key of a real map prints
//! `<no value>`, and table formats print Podman's headers.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rpod_tests::{Run, TestEnv};

/// An environment with one image (`fmt-img`, labelled) and one created
/// container (`fmt-ctr`, labelled) made from it.
fn env_with_image_and_container() -> TestEnv {
    let env = TestEnv::new();
    let tar = env.busybox_rootfs_tar();
    env.rpod(&[
        "import",
        "--change",
        "LABEL origin=test",
        tar.to_str().unwrap(),
        "fmt-img",
    ])
    .ok();
    env.rpod(&[
        "create", "--name", "fmt-ctr", "--label", "tier=web", "fmt-img", "true",
    ])
    .ok();
    env
}

fn assert_field_error(run: &Run, message: &str) {
    assert_eq!(run.code, 125, "{run:?}");
    assert_eq!(
        run.stderr.trim_end(),
        format!("Error: {message}"),
        "{run:?}"
    );
    assert_eq!(run.stdout, "", "{run:?}");
}

#[test]
fn an_unknown_field_fails_with_the_reports_go_type() {
    let env = env_with_image_and_container();
    let typo = "{{.Typo}}";
    let cases: &[(&[&str], &str)] = &[
        (
            &["ps", "-a"],
            "template: ps:1:13: executing \"ps\" at <.Typo>: can't evaluate field Typo in type containers.psReporter",
        ),
        (
            &["images"],
            "template: images:1:13: executing \"images\" at <.Typo>: can't evaluate field Typo in type images.imageReporter",
        ),
        (
            &["history", "fmt-img"],
            "template: history:1:13: executing \"history\" at <.Typo>: can't evaluate field Typo in type images.historyReporter",
        ),
        (
            &["inspect", "fmt-ctr"],
            "inspecting object: printing inspect output: template: inspect:1:13: executing \"inspect\" at <.Typo>: can't evaluate field Typo in type interface {}",
        ),
        (
            &["image", "inspect", "fmt-img"],
            "inspecting object: printing inspect output: template: inspect:1:13: executing \"inspect\" at <.Typo>: can't evaluate field Typo in type interface {}",
        ),
        (
            &["version"],
            "template: version:1:2: executing \"version\" at <.Typo>: can't evaluate field Typo in type *define.Version",
        ),
        (
            &["info"],
            "template: info:1:2: executing \"info\" at <.Typo>: can't evaluate field Typo in type *define.Info",
        ),
    ];
    for (args, message) in cases {
        let mut argv = args.to_vec();
        argv.extend(["--format", typo]);
        assert_field_error(&env.rpod(&argv), message);
    }
}

#[test]
fn nested_structs_fail_but_map_keys_print_no_value() {
    let env = env_with_image_and_container();
    let run = env.rpod(&["inspect", "--format", "{{.State.Typo}}", "fmt-ctr"]);
    assert_field_error(
        &run,
        "inspecting object: printing inspect output: template: inspect:1:19: executing \"inspect\" at <.State.Typo>: can't evaluate field Typo in type *define.InspectContainerState",
    );
    let out = env
        .rpod(&[
            "inspect",
            "--format",
            "{{.Config.Labels.tier}} {{.Config.Labels.nope}}",
            "fmt-ctr",
        ])
        .ok();
    assert_eq!(out.stdout, "web <no value>\n");
    let out = env
        .rpod(&["ps", "-a", "--format", "{{.Labels.tier}}|{{.Labels.nope}}"])
        .ok();
    assert_eq!(out.stdout, "web|<no value>\n");
    let out = env
        .rpod(&["images", "--format", "{{.Labels.origin}}|{{.Labels.nope}}"])
        .ok();
    assert_eq!(out.stdout, "test|<no value>\n");
    // Every field of Podman's image rows is there (a missing one would fail).
    let out = env
        .rpod(&[
            "images",
            "--format",
            "{{.RepoTags}}|{{.Names}}|{{.History}}",
        ])
        .ok();
    assert_eq!(
        out.stdout,
        "[localhost/fmt-img:latest]|[localhost/fmt-img:latest]|localhost/fmt-img:latest\n"
    );
    // A template that does not parse names the command, as Podman's does.
    let run = env.rpod(&["ps", "--format", "{{.Typo"]);
    assert_field_error(&run, "template: ps:1: bad character U+007B '{'");
}

#[test]
fn table_formats_print_podmans_headers() {
    let env = env_with_image_and_container();
    let out = env
        .rpod(&["ps", "-a", "--format", "table {{.ID}} {{.Names}}"])
        .ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    // An unknown field is headed `<no value>`; the header is printed
    // before the rows fail.
    let run = env.rpod(&["ps", "-a", "--format", "table {{.Typo}}"]);
    assert_eq!(run.code, 125, "{run:?}");
    assert_eq!(run.stdout, "<no value>\n");
    assert!(
        run.stderr
            .contains("can't evaluate field Typo in type containers.psReporter"),
        "{run:?}"
    );
    assert_eq!(lines[0], "CONTAINER ID  NAMES");
    assert!(lines[1].ends_with("  fmt-ctr"), "{lines:?}");
    let out = env
        .rpod(&["images", "--format", "table {{.Repository}}\t{{.Tag}}"])
        .ok();
    assert_eq!(
        out.stdout,
        "REPOSITORY         TAG\nlocalhost/fmt-img  latest\n"
    );
}

#[test]
fn template_functions_behave_as_in_podman() {
    let env = env_with_image_and_container();
    let out = env
        .rpod(&[
            "ps",
            "-a",
            "--format",
            "{{upper .Names}}|{{lower \"AbC\"}}|{{title \"hello world\"}}|{{len .Names}}|{{truncate .Names 3}}|{{split \"a,b\" \",\"}}|{{join (split \"a,b\" \",\") \"-\"}}|{{json .Labels}}|{{index .Labels \"tier\"}}|{{printf \"%5s\" \"x\"}}|{{eq .Names \"fmt-ctr\"}}",
        ])
        .ok();
    assert_eq!(
        out.stdout,
        "FMT-CTR|abc|Hello World|7|fmt|[a b]|a-b|{\"origin\":\"test\",\"tier\":\"web\"}|web|    x|true\n"
    );
    let run = env.rpod(&["ps", "-a", "--format", "{{table .Names}}"]);
    assert_field_error(&run, "template: ps:1: function \"table\" not defined");
    // Arguments of the wrong Go type are reported at the argument.
    let run = env.rpod(&["ps", "-a", "--format", "{{pad .Names 2 \"*\"}}"]);
    assert_field_error(
        &run,
        "template: ps:1:26: executing \"ps\" at <\"*\">: expected integer; found \"*\"",
    );
    let run = env.rpod(&["ps", "-a", "--format", "{{join .Names \",\"}}"]);
    assert_field_error(
        &run,
        "template: ps:1:18: executing \"ps\" at <.Names>: wrong type for value; expected []string; got string",
    );
    let run = env.rpod(&["ps", "-a", "--format", "{{len 3}}"]);
    assert_field_error(
        &run,
        "template: ps:1:13: executing \"ps\" at <len 3>: error calling len: len of type int",
    );
}

#[test]
fn diff_takes_only_json() {
    let env = env_with_image_and_container();
    for args in [&["diff", "fmt-ctr"][..], &["image", "diff", "fmt-img"][..]] {
        let mut argv = args.to_vec();
        argv.extend(["--format", "{{.Typo}}"]);
        assert_field_error(
            &env.rpod(&argv),
            "only supported value for '--format' is 'json'",
        );
    }
}
