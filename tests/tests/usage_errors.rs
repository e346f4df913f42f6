//! Command-line mistakes through the built binary: the words, streams and
//! exit code Podman uses, naming the command where the mistake was made.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use rpod_tests::TestEnv;

#[test]
fn unknown_commands_say_where_and_suggest() {
    let env = TestEnv::new();
    let nested = env.rpod(&["container", "nosuchverb"]);
    assert_eq!(nested.code, 125);
    assert_eq!(nested.stdout, "");
    assert_eq!(
        nested.stderr,
        "Error: unrecognized command `rpod container nosuchverb`\n\
         Try 'rpod container --help' for more information\n"
    );
    let near = env.rpod(&["image", "histor"]);
    assert_eq!(near.code, 125);
    assert_eq!(
        near.stderr,
        "Error: unrecognized command `rpod image histor`\n\n\
         Did you mean this?\n\thistory\n\n\
         Try 'rpod image --help' for more information\n"
    );
    let top = env.rpod(&["stpo"]);
    assert_eq!(top.code, 125);
    assert!(
        top.stderr
            .starts_with("Error: unrecognized command `rpod stpo`\n"),
        "{}",
        top.stderr
    );
    assert!(top.stderr.contains("\n\tstop\n"), "{}", top.stderr);
}

#[test]
fn flag_mistakes_point_at_the_commands_help() {
    let env = TestEnv::new();
    let long = env.rpod(&["container", "ps", "--bogus"]);
    assert_eq!(long.code, 125);
    assert_eq!(
        long.stderr,
        "Error: unknown flag: --bogus\nSee 'rpod container ps --help'\n"
    );
    let short = env.rpod(&["rm", "-aQ"]);
    assert_eq!(
        short.stderr,
        "Error: unknown shorthand flag: 'Q' in -Q\nSee 'rpod rm --help'\n"
    );
    let valueless = env.rpod(&["ps", "--format"]);
    assert_eq!(valueless.code, 125);
    assert_eq!(
        valueless.stderr,
        "Error: flag needs an argument: --format\nSee 'rpod ps --help'\n"
    );
    let extra = env.rpod(&["ps", "oops"]);
    assert_eq!(extra.stderr, "Error: `rpod ps` takes no arguments\n");
}

#[test]
fn a_missing_subcommand_prints_help_and_fails() {
    let env = TestEnv::new();
    let run = env.rpod(&["image"]);
    assert_eq!(run.code, 125);
    assert!(run.stdout.contains("Usage: rpod image"), "{}", run.stdout);
    assert_eq!(run.stderr, "Error: missing command 'rpod image COMMAND'\n");
}
