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
pub mod usage;

use std::ffi::OsString;
use std::io::Write;

use clap::Parser;
use clap::error::ErrorKind;

use crate::args::Cli;
use crate::commands::Ctx;
use crate::exit::{CliError, ENGINE_ERROR};

/// Runs `rpod` with `argv`, writing to `out` and `err`; returns the exit code.
pub fn run<I, T>(argv: I, out: &mut dyn Write, err: &mut dyn Write) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let argv: Vec<T> = argv.into_iter().collect();
    let cli = match Cli::try_parse_from(argv.iter().cloned()) {
        Ok(c) => c,
        Err(e) => match e.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                let _ = write!(out, "{}", e.render());
                return 0;
            }
            _ => {
                let u = usage::usage_error(&e, &argv);
                if let Some(help) = &u.help {
                    let _ = write!(out, "{help}");
                }
                let _ = writeln!(err, "Error: {}", u.message);
                if let Some(hint) = &u.hint {
                    let _ = writeln!(err, "{hint}");
                }
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
