//! Command-line mistakes in Podman's words: unknown commands (with its
//! "Did you mean this?" suggestions), unknown flags, flags missing their
//! value and missing subcommands, each naming the command it happened in.

use std::ffi::OsString;

use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Command, CommandFactory};

use crate::args::Cli;

/// How far (in edits) a mistyped top-level command may be from a real one
/// to be suggested. Below the top level only prefixes are suggested, as in
/// Podman.
const ROOT_SUGGESTION_DISTANCE: usize = 2;

/// What a mistake message says, and the command it happened in.
#[derive(Debug, PartialEq, Eq)]
pub struct UsageError {
    /// The message after `Error: ` (may span lines).
    pub message: String,
    /// The line after it (`See 'rpod ps --help'`), if any.
    pub hint: Option<String>,
    /// Help text to print on stdout first (a missing subcommand).
    pub help: Option<String>,
}

/// Where the words of `argv` lead in the command tree.
struct Walk {
    /// The command path (`rpod container rm`) at the point of interest.
    path: Vec<String>,
    /// The first word that named no subcommand, where one was expected.
    unknown: Option<String>,
}

fn find_long<'a>(cmd: &'a Command, name: &str) -> Option<&'a clap::Arg> {
    cmd.get_arguments().find(|a| {
        a.get_long() == Some(name) || a.get_all_aliases().is_some_and(|al| al.contains(&name))
    })
}

fn takes_value(arg: &clap::Arg) -> bool {
    arg.get_action().takes_values()
}

/// Follows `argv` (program name first) through the subcommands of `root`,
/// skipping flags and their values, and stops at the argument `stop_at`
/// (an unknown flag) when given.
fn walk(root: &Command, argv: &[String], stop_at: Option<&str>) -> Walk {
    let mut cur = root;
    let mut path = vec![root.get_name().to_string()];
    let mut i = 1;
    while i < argv.len() {
        let a = argv[i].as_str();
        i += 1;
        if stop_at == Some(a) || a == "--" {
            break;
        }
        if let Some(long) = a.strip_prefix("--") {
            if !long.contains('=') && find_long(cur, long).is_some_and(takes_value) {
                i += 1;
            }
            continue;
        }
        if let Some(shorts) = a.strip_prefix('-').filter(|s| !s.is_empty()) {
            for (at, c) in shorts.char_indices() {
                let arg = cur.get_arguments().find(|x| x.get_short() == Some(c));
                if arg.is_some_and(takes_value) {
                    if at + c.len_utf8() == shorts.len() {
                        i += 1;
                    }
                    break;
                }
            }
            continue;
        }
        if !cur.has_subcommands() {
            break;
        }
        match cur.find_subcommand(a) {
            Some(sub) => {
                path.push(sub.get_name().to_string());
                cur = sub;
            }
            None => {
                return Walk {
                    path,
                    unknown: Some(a.to_string()),
                };
            }
        }
    }
    Walk {
        path,
        unknown: None,
    }
}

/// The subcommand at `path` (below the root).
fn command_at<'a>(root: &'a Command, path: &[String]) -> &'a Command {
    path.iter()
        .skip(1)
        .fold(root, |c, name| c.find_subcommand(name).unwrap_or(c))
}

/// Edit distance between two strings (insertions, deletions, changes).
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut row = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            row[j + 1] = if ca == *cb {
                prev[j]
            } else {
                1 + prev[j].min(prev[j + 1]).min(row[j])
            };
        }
        prev = row;
    }
    prev[b.len()]
}

/// The visible subcommands of `cmd` that `typed` may have meant: those it
/// starts (ignoring case) and, at the top level, those within
/// [`ROOT_SUGGESTION_DISTANCE`] edits.
fn suggestions(cmd: &Command, typed: &str, top_level: bool) -> Vec<String> {
    let typed = typed.to_lowercase();
    cmd.get_subcommands()
        .filter(|s| !s.is_hide_set())
        .map(|s| s.get_name().to_string())
        .filter(|name| {
            let lower = name.to_lowercase();
            lower.starts_with(&typed)
                || (top_level && edit_distance(&typed, &lower) <= ROOT_SUGGESTION_DISTANCE)
        })
        .collect()
}

/// The typed argument a clap error is about (`--bogus` from
/// `--bogus <X>`).
fn invalid_arg(e: &clap::Error) -> String {
    match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => s.split_whitespace().next().unwrap_or("").to_string(),
        _ => String::new(),
    }
}

/// Podman's message for a clap parse error `e` on `argv`.
pub fn usage_error<T: Into<OsString> + Clone>(e: &clap::Error, argv: &[T]) -> UsageError {
    let argv: Vec<String> = argv
        .iter()
        .map(|a| a.clone().into().to_string_lossy().into_owned())
        .collect();
    let mut root = Cli::command();
    root.build();
    let see = |path: &[String]| Some(format!("See '{} --help'", path.join(" ")));
    let arg = invalid_arg(e);
    match e.kind() {
        ErrorKind::InvalidSubcommand | ErrorKind::UnknownArgument
            if !arg.starts_with('-') || e.kind() == ErrorKind::InvalidSubcommand =>
        {
            let w = walk(&root, &argv, None);
            let Some(typed) = w.unknown else {
                let cmd = command_at(&root, &w.path);
                if !cmd.get_positionals().any(|_| true) {
                    return UsageError {
                        message: format!("`{}` takes no arguments", w.path.join(" ")),
                        hint: None,
                        help: None,
                    };
                }
                return generic(e, see(&w.path));
            };
            let cmd = command_at(&root, &w.path);
            let here = w.path.join(" ");
            let found = suggestions(cmd, &typed, w.path.len() == 1);
            let mut message = format!("unrecognized command `{here} {typed}`");
            if !found.is_empty() {
                message.push_str(&format!(
                    "\n\nDid you mean this?\n\t{}\n",
                    found.join("\n\t")
                ));
            }
            UsageError {
                message,
                hint: Some(format!("Try '{here} --help' for more information")),
                help: None,
            }
        }
        ErrorKind::UnknownArgument => {
            let typed = argv
                .iter()
                .skip(1)
                .find(|a| *a == &arg || a.starts_with(&format!("{arg}=")) || short_holds(a, &arg))
                .cloned()
                .unwrap_or_else(|| arg.clone());
            let w = walk(&root, &argv, Some(&typed));
            let message = match arg.strip_prefix('-').filter(|_| !arg.starts_with("--")) {
                Some(c) => {
                    let rest = typed
                        .find(c)
                        .map_or(c.to_string(), |at| typed[at..].to_string());
                    format!("unknown shorthand flag: '{c}' in -{rest}")
                }
                None => format!("unknown flag: {arg}"),
            };
            UsageError {
                message,
                hint: see(&w.path),
                help: None,
            }
        }
        ErrorKind::InvalidValue if matches!(e.get(ContextKind::InvalidValue), Some(ContextValue::String(v)) if v.is_empty()) =>
        {
            let w = walk(&root, &argv, None);
            let last = argv.last().cloned().unwrap_or_default();
            let message = match last.strip_prefix('-').filter(|s| !s.starts_with('-')) {
                Some(shorts) if !shorts.is_empty() => {
                    let c = shorts.chars().last().unwrap_or('?');
                    format!("flag needs an argument: '{c}' in -{c}")
                }
                _ => format!("flag needs an argument: {arg}"),
            };
            UsageError {
                message,
                hint: see(&w.path),
                help: None,
            }
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand | ErrorKind::MissingSubcommand => {
            let w = walk(&root, &argv, None);
            let help = command_at(&root, &w.path).clone().render_help().to_string();
            UsageError {
                message: format!("missing command '{} COMMAND'", w.path.join(" ")),
                hint: None,
                help: Some(help),
            }
        }
        _ => {
            let w = walk(&root, &argv, None);
            generic(e, see(&w.path))
        }
    }
}

/// True when `word` is a cluster of short flags (`-aZ`) holding the short
/// flag `flag` (`-Z`).
fn short_holds(word: &str, flag: &str) -> bool {
    match (word.strip_prefix('-'), flag.strip_prefix('-')) {
        (Some(w), Some(f)) if !w.starts_with('-') && f.chars().count() == 1 => w.contains(f),
        _ => false,
    }
}

/// clap's own first line, without its `error: ` prefix.
fn generic(e: &clap::Error, hint: Option<String>) -> UsageError {
    let detail = e.to_string();
    let message = detail
        .lines()
        .next()
        .unwrap_or_else(|| e.kind().as_str().unwrap_or("invalid arguments"))
        .trim_start_matches("error: ")
        .to_string();
    UsageError {
        message,
        hint,
        help: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn err(line: &str) -> UsageError {
        let argv: Vec<&str> = line.split_whitespace().collect();
        let e = Cli::try_parse_from(&argv).unwrap_err();
        usage_error(&e, &argv)
    }

    #[test]
    fn unknown_commands_name_where_they_were_typed() {
        let e = err("rpod container frob");
        assert_eq!(e.message, "unrecognized command `rpod container frob`");
        assert_eq!(
            e.hint.as_deref(),
            Some("Try 'rpod container --help' for more information")
        );
        let e = err("rpod --root /tmp/x image frob extra");
        assert_eq!(e.message, "unrecognized command `rpod image frob`");
        let e = err("rpod frob");
        assert!(e.message.starts_with("unrecognized command `rpod frob`"));
        assert_eq!(
            e.hint.as_deref(),
            Some("Try 'rpod --help' for more information")
        );
    }

    #[test]
    fn suggestions_are_prefixes_below_the_top_and_near_names_at_it() {
        let e = err("rpod container star");
        assert!(
            e.message.ends_with("Did you mean this?\n\tstart\n"),
            "{}",
            e.message
        );
        // Two edits away: suggested only at the top level.
        let e = err("rpod container strt");
        assert!(!e.message.contains("Did you mean"), "{}", e.message);
        let e = err("rpod strt");
        assert!(e.message.contains("\n\tstart"), "{}", e.message);
        assert_eq!(edit_distance("foo", "top"), 2);
        assert_eq!(edit_distance("", "ab"), 2);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }

    #[test]
    fn unknown_flags_point_at_their_commands_help() {
        let e = err("rpod ps --bogus");
        assert_eq!(e.message, "unknown flag: --bogus");
        assert_eq!(e.hint.as_deref(), Some("See 'rpod ps --help'"));
        let e = err("rpod container rm --bogus=3 x");
        assert_eq!(e.message, "unknown flag: --bogus");
        assert_eq!(e.hint.as_deref(), Some("See 'rpod container rm --help'"));
        let e = err("rpod --bogus ps");
        assert_eq!(e.hint.as_deref(), Some("See 'rpod --help'"));
        let e = err("rpod ps -aZ");
        assert_eq!(e.message, "unknown shorthand flag: 'Z' in -Z");
        assert_eq!(e.hint.as_deref(), Some("See 'rpod ps --help'"));
        let e = err("rpod ps extra");
        assert_eq!(e.message, "`rpod ps` takes no arguments");
        assert_eq!(e.hint, None);
    }

    #[test]
    fn missing_values_and_subcommands() {
        let e = err("rpod ps --format");
        assert_eq!(e.message, "flag needs an argument: --format");
        assert_eq!(e.hint.as_deref(), Some("See 'rpod ps --help'"));
        let e = err("rpod ps -f");
        assert_eq!(e.message, "flag needs an argument: 'f' in -f");
        let e = err("rpod container");
        assert_eq!(e.message, "missing command 'rpod container COMMAND'");
        assert!(e.help.is_some_and(|h| h.contains("Usage: rpod container")));
        let e = err("rpod --root /tmp/x");
        assert_eq!(e.message, "missing command 'rpod COMMAND'");
        assert!(e.help.is_some_and(|h| h.contains("Usage: rpod")));
    }
}
