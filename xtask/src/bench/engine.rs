//! The two engines under test, each with private state under
//! `target/bench/<engine>/`, and the one place that says what image they run.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::super::Result;

/// What both engines run, chosen in this one place: the same busybox
/// image, imported into each engine's own store from one tarball before
/// anything is timed.
pub(crate) struct Image {
    args: Vec<String>,
    shown: String,
}

impl Image {
    /// The image reference both engines import the tarball as.
    pub(crate) const REFERENCE: &'static str = "localhost/busybox:bench";

    /// The image imported as [`Image::REFERENCE`].
    pub(crate) fn imported() -> Image {
        Image {
            args: vec![Image::REFERENCE.into()],
            shown: "busybox".into(),
        }
    }

    /// The arguments that name the image on `create`/`run`.
    pub(crate) fn args(&self) -> &[String] {
        &self.args
    }

    /// How the image is named in the report.
    pub(crate) fn shown(&self) -> &str {
        &self.shown
    }
}

/// Which engine.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Debian's Podman 4.3.1, the reference.
    Podman,
    /// The release build of rpod.
    Rpod,
}

/// One engine with private roots and configuration files.
pub(crate) struct Engine {
    /// Which engine.
    pub kind: Kind,
    /// The binary.
    pub bin: PathBuf,
    /// `target/bench/<name>`: roots, configuration, everything it writes.
    pub dir: PathBuf,
}

impl Engine {
    /// Podman from `PATH`, state under `bench_dir/podman`.
    pub(crate) fn podman(bench_dir: &Path) -> Engine {
        Engine {
            kind: Kind::Podman,
            bin: PathBuf::from("podman"),
            dir: bench_dir.join("podman"),
        }
    }

    /// rpod's binary `bin`, state under `bench_dir/rpod`.
    pub(crate) fn rpod(bench_dir: &Path, bin: PathBuf) -> Engine {
        Engine {
            kind: Kind::Rpod,
            bin,
            dir: bench_dir.join("rpod"),
        }
    }

    /// The name used in the report and the JSON.
    pub(crate) fn name(&self) -> &'static str {
        match self.kind {
            Kind::Podman => "podman",
            Kind::Rpod => "rpod",
        }
    }

    /// Removes what an earlier, interrupted run left, then writes fresh
    /// configuration files.
    ///
    /// Both engines get the same settings: runc as the runtime (crun fails
    /// on this cgroup-v1 hybrid host), file locks (so Podman never touches
    /// the machine's `/dev/shm/libpod_lock`, and rpod uses the same lock
    /// backend for a like-for-like comparison), the file events logger,
    /// ulimits within the host's hard limits, a private network config
    /// directory (netavark is never run: every scenario uses
    /// `--network none`) and the overlay storage driver, both engines'
    /// default, with private roots (an empty storage.conf makes Podman 4.3
    /// fail with "runroot must be set"). Then the busybox `tarball` is
    /// imported as [`Image::REFERENCE`].
    pub(crate) fn prepare(&self, tarball: &Path) -> Result {
        if self.dir.exists() {
            self.destroy();
        }
        for d in ["root", "runroot", "tmp", "networks"] {
            mkdir(&self.dir.join(d))?;
        }
        let path = |d: &str| self.dir.join(d).to_string_lossy().into_owned();
        let containers_conf = format!(
            "[engine]\n\
             runtime = \"runc\"\n\
             lock_type = \"file\"\n\
             events_logger = \"file\"\n\
             [containers]\n\
             default_ulimits = [\"nofile=20000:20000\", \"nproc=4096:4096\"]\n\
             [network]\n\
             network_backend = \"netavark\"\n\
             network_config_dir = \"{}\"\n",
            path("networks")
        );
        write(&self.dir.join("containers.conf"), &containers_conf)?;
        let storage_conf = format!(
            "[storage]\ndriver = \"overlay\"\nrunroot = \"{}\"\ngraphroot = \"{}\"\n",
            path("runroot"),
            path("root")
        );
        write(&self.dir.join("storage.conf"), &storage_conf)?;
        let tarball = tarball.to_string_lossy().into_owned();
        super::quiet(&mut self.cmd(&["import", &tarball, Image::REFERENCE]))
    }

    /// The engine's command with its private global options and
    /// configuration, then `args`; stdin closed.
    pub(crate) fn cmd<S: AsRef<std::ffi::OsStr>>(&self, args: &[S]) -> Command {
        let mut c = Command::new(&self.bin);
        c.arg("--root")
            .arg(self.dir.join("root"))
            .arg("--runroot")
            .arg(self.dir.join("runroot"))
            .arg("--tmpdir")
            .arg(self.dir.join("tmp"))
            .args(["--runtime", "runc", "--cgroup-manager", "cgroupfs"])
            .args(args)
            .env("CONTAINERS_CONF", self.dir.join("containers.conf"))
            .env("CONTAINERS_STORAGE_CONF", self.dir.join("storage.conf"))
            .env_remove("CONTAINERS_CONF_OVERRIDE")
            .stdin(Stdio::null());
        c
    }

    /// `<verb> --network none <flags> <image> <command>`.
    pub(crate) fn container(
        &self,
        verb: &str,
        flags: &[&str],
        image: &Image,
        command: &[&str],
    ) -> Command {
        let mut args: Vec<String> = vec![verb.into(), "--network".into(), "none".into()];
        args.extend(flags.iter().map(|s| s.to_string()));
        args.extend(image.args().iter().cloned());
        args.extend(command.iter().map(|s| s.to_string()));
        self.cmd(&args)
    }

    /// `rm -a -f -t 0`: every container of this engine, gone.
    pub(crate) fn remove_all(&self) -> Result {
        super::quiet(&mut self.cmd(&["rm", "-a", "-f", "-t", "0"]))
    }

    /// Removes every container and then the engine's whole directory.
    /// Best effort: problems are printed, not returned.
    pub(crate) fn destroy(&self) {
        if self.dir.join("containers.conf").exists()
            && let Err(e) = self.remove_all()
        {
            eprintln!("bench: cleaning up {}: {e}", self.name());
        }
        if let Err(e) = std::fs::remove_dir_all(&self.dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            eprintln!("bench: removing {}: {e}", self.dir.display());
        }
    }

    /// `<bin> --version`, first line.
    pub(crate) fn version(&self) -> String {
        super::first_line_of(Command::new(&self.bin).arg("--version"))
    }
}

fn mkdir(d: &Path) -> Result {
    std::fs::create_dir_all(d).map_err(|e| format!("{}: {e}", d.display()))
}

fn write(path: &Path, text: &str) -> Result {
    std::fs::write(path, text).map_err(|e| format!("writing {}: {e}", path.display()))
}
