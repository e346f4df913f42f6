//! Named failpoints: places in a multi-step operation where a test can make
//! the process fail, panic or die, to prove that the next command (or
//! `system check --repair`) finds the object fully present or fully gone.
//!
//! The names are the step names of the crash table in ARCHITECTURE.md, and
//! [`NAMES`] lists every one. Failpoints are armed by the environment
//! variable [`ENV`] (`name=action[,name=action...]`, actions `kill`, `panic`
//! and `error`). They exist in debug builds and in builds with the cargo
//! feature `failpoints`; in a release build [`hit`] is an empty inline
//! function and the variable is ignored.

use crate::error::Result;

/// The environment variable that arms failpoints.
pub const ENV: &str = "RPOD_FAILPOINTS";

/// Every failpoint, in operation order. Each is the name of a row step in
/// ARCHITECTURE.md's crash table.
pub const NAMES: &[&str] = &[
    "create.intent",
    "create.storage",
    "create.lock",
    "create.dirs",
    "create.record",
    "init.mounts",
    "init.oci-created",
    "start.oci-started",
    "rm.cleanup",
    "rm.storage",
    "rm.record",
    "commit.layer",
    "import.layer",
];

/// What an armed failpoint does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// SIGKILL the process on the spot (no destructors, no unwinding).
    Kill,
    /// Panic (unwinds; the CLI reports it and exits non-zero).
    Panic,
    /// Return an error from the step, as a failing syscall would.
    Error,
}

impl Action {
    fn parse(s: &str) -> Option<Action> {
        match s {
            "kill" => Some(Action::Kill),
            "panic" => Some(Action::Panic),
            "error" => Some(Action::Error),
            _ => None,
        }
    }
}

/// The action armed for `name` in a `name=action,...` list.
pub fn armed_in(spec: &str, name: &str) -> Option<Action> {
    spec.split(',')
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .and_then(|(_, a)| Action::parse(a.trim()))
}

/// Passes the failpoint `name`: does nothing unless [`ENV`] arms it (in a
/// build that has failpoints), else kills, panics or returns an error.
#[cfg(any(debug_assertions, feature = "failpoints"))]
pub fn hit(name: &str) -> Result<()> {
    use std::sync::OnceLock;
    static SPEC: OnceLock<Option<String>> = OnceLock::new();
    debug_assert!(NAMES.contains(&name), "failpoint {name} is not in NAMES");
    let Some(spec) = SPEC.get_or_init(|| std::env::var(ENV).ok()) else {
        return Ok(());
    };
    match armed_in(spec, name) {
        None => Ok(()),
        Some(Action::Kill) => {
            tracing::warn!("failpoint {name}: killing the process");
            let _ = nix::sys::signal::raise(nix::sys::signal::Signal::SIGKILL);
            // SIGKILL cannot be caught; this line is never reached.
            std::process::abort()
        }
        Some(Action::Panic) => panic!("failpoint {name}"),
        Some(Action::Error) => Err(crate::error::Error::msg(format!("failpoint {name}"))),
    }
}

/// Release builds without the `failpoints` feature: nothing to do.
#[cfg(not(any(debug_assertions, feature = "failpoints")))]
#[inline(always)]
pub fn hit(_name: &str) -> Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_arm_only_the_named_point() {
        let spec = "create.lock=kill, rm.record=error,bogus";
        assert_eq!(armed_in(spec, "create.lock"), Some(Action::Kill));
        assert_eq!(armed_in(spec, "rm.record"), Some(Action::Error));
        assert_eq!(armed_in(spec, "create.dirs"), None);
        assert_eq!(armed_in("create.lock=explode", "create.lock"), None);
    }

    #[test]
    fn names_are_unique_and_in_the_crash_table() {
        let table = include_str!("../../ARCHITECTURE.md");
        for (i, n) in NAMES.iter().enumerate() {
            assert!(!NAMES[..i].contains(n), "{n} listed twice");
            assert!(
                table.contains(&format!("`{n}`")),
                "{n} missing from ARCHITECTURE.md"
            );
        }
    }

    #[test]
    fn every_name_is_passed_somewhere_in_the_workspace() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut sources = String::new();
        for dir in ["runtime-core/src", "storage/src", "oci-conmon/src"] {
            collect(&root.join(dir), &mut sources);
        }
        for n in NAMES {
            assert!(
                sources.contains(&format!("hit(\"{n}\")")),
                "no hit(\"{n}\") in the sources"
            );
        }
    }

    fn collect(dir: &std::path::Path, out: &mut String) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                collect(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") && !p.ends_with("failpoint.rs") {
                out.push_str(&std::fs::read_to_string(&p).unwrap());
            }
        }
    }
}
