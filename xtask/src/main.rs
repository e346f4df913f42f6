//! cargo xtask — rpod's project tasks, plain Rust run through a cargo alias.
//!
//! USAGE:
//!     cargo xtask deps            install the system packages rpod needs (apt), when missing
//!     cargo xtask lint            cargo fmt --check, clippy --all-targets -D warnings, api (docs too)
//!     cargo xtask api [--bless]   check (or rewrite) the public-API snapshots in api/
//!     cargo xtask test [--no-lint]
//!                                 deps, lint, feature builds, then every workspace test
//!     cargo xtask features        build the rpod binary with each backend feature alone
//!     cargo xtask demo            deps, build rpod, and show it working
//!     cargo xtask bench [--quick] [--only KEY,...]
//!                                 rpod and Podman side by side (target/bench/)
//!
//! Every task prints the commands it runs. A failing step stops the task
//! with that step's exit status.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod api;
mod bench;
mod stress;

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
    "iptables",
    "tmux",
    // Podman's own system tests, the acceptance check (../shared/podman-tests).
    "bats",
    "jq",
    "buildah",
    "docker-registry",
    // Kill-at-a-syscall sweeps (cargo xtask stress).
    "strace",
];

/// Feature sets the rpod binary must build with (each backend alone, and none).
const FEATURE_SETS: &[&str] = &[
    "",
    "events",
    "events,lock-file",
    "state-sqlite",
    "state-bolt",
    "lock-shm",
    "lock-file",
    "oci-conmon",
    "storage",
    "network-netavark",
];

type Result<T = ()> = std::result::Result<T, String>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("deps") => deps(),
        Some("lint") => lint(),
        Some("api") => api::run_api(&args[1..]),
        Some("test") => test(&args[1..]),
        Some("features") => features(),
        Some("demo") => demo(),
        Some("bench") => bench::run(&args[1..]),
        Some("stress") => stress::run(&args[1..]),
        Some("fuzz") => fuzz(&args[1..]),
        _ => {
            eprintln!(
                "usage: cargo xtask <deps|lint|api [--bless]|test [--no-lint]|features|demo|bench [--quick]|stress [--only OPS] [--step N] [--parallel N]|fuzz [TARGET...] [--time SECS]>"
            );
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
    ]))?;
    api::run_api(&[])
}

/// Where the feature builds go, apart from the main build (the end-to-end
/// tests use the `events,lock-file` one from here).
const FEATURES_TARGET_DIR: &str = "target/features";

/// The feature set whose binary the end-to-end tests run (it must be built,
/// not only checked).
const MINIMAL_FEATURES: &str = "events,lock-file";

fn features() -> Result {
    for set in FEATURE_SETS {
        // Type-checking proves each combination compiles; only the minimal
        // binary the tests run needs code generation and linking.
        let verb = if *set == MINIMAL_FEATURES {
            "build"
        } else {
            "check"
        };
        let mut c = cargo();
        c.args([
            verb,
            "--quiet",
            "-p",
            "rpod-cli",
            "--no-default-features",
            "--target-dir",
            FEATURES_TARGET_DIR,
        ]);
        if !set.is_empty() {
            c.args(["--features", set]);
        }
        run(&mut c)?;
    }
    // Leave the default build in place for the tests that drive the binary.
    run(cargo().args(["build", "--quiet", "-p", "rpod-cli"]))
}

fn test(args: &[String]) -> Result {
    deps()?;
    if !args.iter().any(|a| a == "--no-lint") {
        lint()?;
    }
    features()?;
    let workspace = run(cargo().args(["test", "--workspace", "--no-fail-fast"]));
    // The fuzz targets' brief deterministic run (fixed seeds and budget),
    // without libFuzzer, sharing the workspace's build directory.
    let fuzz = run(cargo().args([
        "test",
        "--manifest-path",
        "fuzz/Cargo.toml",
        "--no-default-features",
        "--target-dir",
        "target",
    ]));
    workspace.and(fuzz)
}

/// `cargo xtask fuzz [TARGET...] [--time SECS]`: the real coverage-guided
/// libFuzzer on each target (all by default) for SECS seconds each
/// (default 60), with cargo-fuzz (installed on first use) and no sanitizer,
/// which the pinned stable toolchain cannot build.
fn fuzz(args: &[String]) -> Result {
    let mut secs = "60".to_string();
    let mut targets: Vec<String> = Vec::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--time" => secs = it.next().cloned().ok_or("--time needs a value")?,
            t => targets.push(t.to_string()),
        }
    }
    let have_cargo_fuzz = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["fuzz", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !have_cargo_fuzz {
        run(cargo().args(["install", "--locked", "cargo-fuzz"]))?;
    }
    if targets.is_empty() {
        let listed = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
            .current_dir(root().join("fuzz"))
            .args(["fuzz", "list"])
            .output()
            .map_err(|e| format!("cargo fuzz list: {e}"))?;
        targets = String::from_utf8_lossy(&listed.stdout)
            .lines()
            .map(str::to_string)
            .collect();
    }
    for t in &targets {
        let mut c = cargo();
        c.current_dir(root().join("fuzz")).args([
            "fuzz",
            "run",
            t,
            "-s",
            "none",
            "--",
            &format!("-max_total_time={secs}"),
        ]);
        run(&mut c)?;
    }
    Ok(())
}

/// Applets linked in the demo's busybox root filesystem.
const APPLETS: &[&str] = &[
    "sh", "echo", "cat", "ls", "sleep", "true", "false", "id", "hostname", "env", "ps",
];

/// Builds a busybox root filesystem from the `busybox-static` package.
fn busybox_rootfs(dir: &Path) -> Result {
    for d in ["bin", "etc", "proc", "sys", "dev", "tmp", "root", "run"] {
        std::fs::create_dir_all(dir.join(d))
            .map_err(|e| format!("{}: {e}", dir.join(d).display()))?;
    }
    let bin = dir.join("bin/busybox");
    std::fs::copy("/bin/busybox", &bin).map_err(|e| format!("copying /bin/busybox: {e}"))?;
    for a in APPLETS {
        let link = dir.join("bin").join(a);
        if !link.exists() {
            std::os::unix::fs::symlink("busybox", &link)
                .map_err(|e| format!("{}: {e}", link.display()))?;
        }
    }
    std::fs::write(dir.join("etc/passwd"), "root:x:0:0:root:/root:/bin/sh\n")
        .map_err(|e| format!("writing passwd: {e}"))?;
    std::fs::write(dir.join("etc/group"), "root:x:0:\n").map_err(|e| format!("writing group: {e}"))
}

fn demo() -> Result {
    deps()?;
    run(cargo().args(["build", "--quiet", "-p", "rpod-cli"]))?;
    let rpod = root().join("target/debug/rpod");
    let rpod_cmd = |args: &[&str]| {
        let mut c = Command::new(&rpod);
        c.args(args);
        c
    };
    // A busybox image made from the busybox-static package, imported once.
    let image = "localhost/busybox-demo:latest";
    let exists = rpod_cmd(&["image", "exists", image])
        .status()
        .map_err(|e| format!("running rpod: {e}"))?;
    if !exists.success() {
        let rootfs = root().join("target/demo/busybox-rootfs");
        busybox_rootfs(&rootfs)?;
        let tarball = root().join("target/demo/busybox.tar");
        run(Command::new("tar")
            .arg("-C")
            .arg(&rootfs)
            .arg("-cf")
            .arg(&tarball)
            .arg("."))?;
        let tarball = tarball.to_string_lossy().into_owned();
        run(&mut rpod_cmd(&[
            "import",
            "--change",
            "CMD [\"sh\"]",
            &tarball,
            image,
        ]))?;
    }
    run(&mut rpod_cmd(&["images"]))?;
    run(&mut rpod_cmd(&[
        "run",
        "--rm",
        image,
        "echo",
        "hello from rpod",
    ]))?;
    run(&mut rpod_cmd(&[
        "run",
        "-d",
        "--name",
        "rpod-demo",
        image,
        "sleep",
        "30",
    ]))?;
    run(&mut rpod_cmd(&["ps", "-a"]))?;
    run(&mut rpod_cmd(&[
        "exec",
        "rpod-demo",
        "sh",
        "-c",
        "echo exec in $(hostname): pid 1 is $(cat /proc/1/comm)",
    ]))?;
    run(&mut rpod_cmd(&["rm", "-f", "-t", "0", "rpod-demo"]))?;
    run(&mut rpod_cmd(&["ps", "-a"]))?;
    run(&mut rpod_cmd(&[
        "info",
        "--format",
        "{{.Host.OCIRuntime.Name}} via {{.Host.Conmon.Path}}, state in {{.Host.DatabaseBackend}}, images in {{.Store.GraphDriverName}}",
    ]))
}
