//! cargo xtask — rpod's project tasks, plain Rust run through a cargo alias.
//!
//! USAGE:
//!     cargo xtask deps            install the system packages rpod needs (apt), when missing
//!     cargo xtask lint            cargo fmt --check and clippy --all-targets -D warnings
//!     cargo xtask test [--no-lint]
//!                                 deps, lint, feature builds, then every workspace test
//!     cargo xtask features        build the rpod binary with each backend feature alone
//!     cargo xtask demo            deps, build rpod, and show it working
//!
//! Every task prints the commands it runs. A failing step stops the task
//! with that step's exit status.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Debian packages the project needs: the OCI runtime stack and networking
/// that rpod drives, images and tools for tests, and Podman for interop
/// tests and benchmarks.
const PACKAGES: &[&str] = &[
    "conmon",
    "runc",
    "crun",
    "netavark",
    "aardvark-dns",
    "golang-github-containers-common",
    "busybox-static",
    "uidmap",
    "skopeo",
    "podman",
    "catatonit",
    "iproute2",
];

/// Feature sets the rpod binary must build with (each backend alone, and none).
const FEATURE_SETS: &[&str] = &[
    "",
    "events",
    "state-sqlite",
    "lock-shm",
    "lock-file",
    "oci-conmon",
];

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("deps") => deps(),
        Some("lint") => lint(),
        Some("test") => test(&args[1..]),
        Some("features") => features(),
        Some("demo") => demo(),
        _ => {
            eprintln!("usage: cargo xtask <deps|lint|test [--no-lint]|features|demo>");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn cargo() -> Command {
    let mut c = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()));
    c.current_dir(root());
    c
}

fn run(cmd: &mut Command) -> Result {
    eprintln!("+ {}", shown(cmd));
    let status = cmd
        .status()
        .map_err(|e| format!("running {}: {e}", shown(cmd)))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{} failed: {status}", shown(cmd)))
    }
}

fn shown(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

fn installed(pkg: &str) -> bool {
    Command::new("dpkg-query")
        .args(["-W", "-f=${Status}", pkg])
        .output()
        .is_ok_and(|o| {
            o.status.success()
                && String::from_utf8_lossy(&o.stdout).contains("install ok installed")
        })
}

fn deps() -> Result {
    let missing: Vec<&str> = PACKAGES.iter().copied().filter(|p| !installed(p)).collect();
    if missing.is_empty() {
        eprintln!("xtask deps: all {} packages are installed", PACKAGES.len());
        return Ok(());
    }
    eprintln!("xtask deps: installing {}", missing.join(" "));
    let sudo = !is_root();
    let apt = |args: &[&str]| {
        let mut c = if sudo {
            Command::new("sudo")
        } else {
            Command::new("apt-get")
        };
        if sudo {
            c.arg("apt-get");
        }
        c.args(args).env("DEBIAN_FRONTEND", "noninteractive");
        c
    };
    run(&mut apt(&["update", "-q"]))?;
    let mut install = apt(&["install", "-y", "-q", "--no-install-recommends"]);
    install.args(&missing);
    run(&mut install)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn lint() -> Result {
    run(cargo().args(["fmt", "--all", "--", "--check"]))?;
    run(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))
}

fn features() -> Result {
    for set in FEATURE_SETS {
        let mut c = cargo();
        c.args(["build", "--quiet", "-p", "rpod", "--no-default-features"]);
        if !set.is_empty() {
            c.args(["--features", set]);
        }
        run(&mut c)?;
    }
    // Leave the default build in place for the tests that drive the binary.
    run(cargo().args(["build", "--quiet", "-p", "rpod"]))
}

fn test(args: &[String]) -> Result {
    deps()?;
    if !args.iter().any(|a| a == "--no-lint") {
        lint()?;
    }
    features()?;
    run(cargo().args(["test", "--workspace", "--no-fail-fast"]))
}

fn demo() -> Result {
    deps()?;
    run(cargo().args(["build", "--quiet", "-p", "rpod"]))?;
    let rpod = root().join("target/debug/rpod");
    let mut info = Command::new(&rpod);
    info.arg("info");
    run(&mut info)?;
    let mut events = Command::new(&rpod);
    events.args(["events", "--stream=false", "--filter", "type=system"]);
    run(&mut events)
}
