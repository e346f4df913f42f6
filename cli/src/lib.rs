//! The `rpod` command line as a library: argument structs (`args`), one file
//! per verb (`commands`), output formatting (`format`, `output`), the error
//! to exit-code mapping (`exit`) and backend composition (`backends`).
//! `main.rs` only calls [`run`].

#![recursion_limit = "512"]

pub mod args;
pub mod backends;
pub mod commands;
pub mod exit;
pub mod format;
pub mod logging;
pub mod output;

use std::ffi::OsString;
use std::io::Write;

use clap::Parser;
use clap::error::{ContextKind, ContextValue, ErrorKind};

use crate::args::Cli;
use crate::commands::Ctx;
use crate::exit::{CliError, ENGINE_ERROR};

/// Turns a clap error into Podman's wording (`Error: unknown flag: --x`).
fn usage_error(e: &clap::Error) -> String {
    let arg = match e.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(s)) => s.clone(),
        _ => String::new(),
    };
    match e.kind() {
        ErrorKind::UnknownArgument if arg.starts_with('-') => format!("unknown flag: {arg}"),
        ErrorKind::InvalidSubcommand => format!("unrecognized command `rpod {arg}`"),
        _ => {
            let text = e.kind().as_str().unwrap_or("invalid arguments").to_string();
            let detail = e.to_string();

            detail
                .lines()
                .next()
                .unwrap_or(&text)
                .trim_start_matches("error: ")
                .to_string()
        }
    }
}

/// Runs `rpod` with `argv`, writing to `out` and `err`; returns the exit code.
pub fn run<I, T>(argv: I, out: &mut dyn Write, err: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(argv) {
        Ok(c) => c,
        Err(e) => match e.kind() {
            ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                let _ = write!(out, "{}", e.render());
                return 0;
            }
            _ => {
                let _ = writeln!(err, "Error: {}", usage_error(&e));
                let _ = writeln!(err, "See 'rpod --help'");
                return ENGINE_ERROR;
            }
        },
    };
    let result = logging::parse_level(&cli.global.log_level).and_then(|level| {
        logging::init(level);
        let mut ctx = Ctx {
            global: &cli.global,
            out,
        };
        commands::dispatch(&cli.command, &mut ctx)
    });
    match result {
        Ok(()) => 0,
        Err(e) => report(&e, err),
    }
}

/// Prints `Error: <chain>` (unless the error already printed) and returns its code.
pub fn report(e: &CliError, err: &mut dyn Write) -> i32 {
    if e.prints() {
        let _ = writeln!(err, "Error: {e}");
    }
    e.exit_code()
}
