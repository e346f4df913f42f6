//! `cargo xtask api [--bless]`: a snapshot of each library crate's public
//! API, so that API changes show up in review.
//!
//! rustdoc writes the crate's items as JSON (`--output-format json`, still
//! unstable, so it runs with `RUSTC_BOOTSTRAP=1` on the pinned stable
//! toolchain). This module walks that index from the crate root along
//! public paths only, and writes one line per reachable item — modules,
//! functions with their signatures, struct fields, enum variants, trait
//! items, inherent methods and the traits each type implements — sorted,
//! to `api/<crate>.txt`. `api` compares against the committed file and
//! fails with the difference; `api --bless` rewrites the file.
//!
//! rustdoc runs with `-D warnings`, so this is also the check that each
//! library crate's documentation builds without warnings.
//!
//! It stands in for `cargo semver-checks`, which would have to be compiled
//! on every fresh CI machine (about ten minutes on two cores).

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::Value;

use crate::{Result, cargo, root, run};

mod render;
mod walk;

/// The library crates whose public API is snapshotted: (package, crate name).
const CRATES: &[(&str, &str)] = &[
    ("rpod-runtime-core", "rpod_runtime_core"),
    ("rpod-events", "rpod_events"),
    ("rpod-state-sqlite", "rpod_state_sqlite"),
    ("rpod-state-bolt", "rpod_state_bolt"),
    ("rpod-lock-shm", "rpod_lock_shm"),
    ("rpod-lock-file", "rpod_lock_file"),
    ("rpod-oci-conmon", "rpod_oci_conmon"),
    ("rpod-storage", "rpod_storage"),
    ("rpod-network-netavark", "rpod_network_netavark"),
];

/// Where rustdoc's JSON goes, apart from the main build.
const DOC_TARGET_DIR: &str = "target/api";

/// Runs the snapshot check (or rewrites the snapshots with `--bless`).
pub fn run_api(args: &[String]) -> Result {
    let bless = args.iter().any(|a| a == "--bless");
    let mut changed = Vec::new();
    for (package, krate) in CRATES {
        let mut c = cargo();
        c.args([
            "rustdoc",
            "--quiet",
            "--lib",
            "-p",
            package,
            "--target-dir",
            DOC_TARGET_DIR,
            "--",
            "-Z",
            "unstable-options",
            "--output-format",
            "json",
            // The same run is the crate's documentation check: broken or
            // private intra-doc links fail it, as they fail `cargo doc`.
            "-D",
            "warnings",
        ])
        .env("RUSTC_BOOTSTRAP", "1");
        run(&mut c)?;
        let json_path = root()
            .join(DOC_TARGET_DIR)
            .join(format!("doc/{krate}.json"));
        let text = std::fs::read_to_string(&json_path)
            .map_err(|e| format!("{}: {e}", json_path.display()))?;
        let doc: Value =
            serde_json::from_str(&text).map_err(|e| format!("{}: {e}", json_path.display()))?;
        let lines = walk::public_api(&doc)?;
        let mut rendered = lines.into_iter().collect::<Vec<_>>().join("\n");
        rendered.push('\n');
        let snapshot = root().join("api").join(format!("{package}.txt"));
        let old = std::fs::read_to_string(&snapshot).unwrap_or_default();
        if old == rendered {
            continue;
        }
        if bless {
            write_snapshot(&snapshot, &rendered)?;
            eprintln!("xtask api: updated {}", snapshot.display());
        } else {
            report_difference(package, &old, &rendered);
            changed.push(*package);
        }
    }
    if changed.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "the public API of {} differs from api/*.txt: review the lines above, then run `cargo xtask api --bless` and commit the snapshot",
            changed.join(", ")
        ))
    }
}

fn write_snapshot(path: &Path, text: &str) -> Result {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Prints the lines only in the snapshot (`-`) and only in the new API (`+`).
fn report_difference(package: &str, old: &str, new: &str) {
    let old: BTreeSet<&str> = old.lines().collect();
    let new: BTreeSet<&str> = new.lines().collect();
    eprintln!("xtask api: {package}:");
    for gone in old.difference(&new) {
        eprintln!("  - {gone}");
    }
    for added in new.difference(&old) {
        eprintln!("  + {added}");
    }
}
