//! `cp`: files between a container and the host (or a tar stream), or
//! between two containers, with Podman's rules for naming the result.
//!
//! Every path inside a container is resolved by a [`ConfinedRoot`]: for a
//! running container its `/proc/PID/root`, so volumes, bind mounts and
//! tmpfs mounts are seen as the container sees them; for a stopped one its
//! root filesystem, or the source of the volume or bind mount that covers
//! the path. A symlink in the container therefore never reaches the host,
//! and a host destination is itself a confinement root for the archive's
//! entries.

use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};

use super::{Container, ContainerStatus};
use crate::confined::{ConfinedRoot, UnpackOptions};
use crate::error::{Error, Result};
use crate::runtime::Runtime;

/// One end of a copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CopyEnd {
    /// A path on the host.
    Host(PathBuf),
    /// A path in a container (relative paths start at its working dir).
    Container {
        /// Name or ID.
        container: String,
        /// Path as given.
        path: String,
    },
}

/// Options of `cp`.
#[derive(Debug, Clone, Copy, Default)]
pub struct CopyOptions {
    /// Give what lands in a container its user's UID and GID (`--archive`,
    /// Podman's default); otherwise keep the archive's owners.
    pub chown: bool,
    /// Allow replacing a directory by a non-directory and the reverse.
    pub overwrite: bool,
}

/// Parses a `cp` argument: `CONTAINER:PATH`, or a host path (one with a
/// `/` or `.` before any `:`), or `-`.
pub fn parse_copy_end(arg: &str) -> CopyEnd {
    if let Some((c, p)) = arg.split_once(':')
        && !c.is_empty()
        && !c.contains('/')
        && !c.starts_with('.')
    {
        return CopyEnd::Container {
            container: c.to_string(),
            path: p.to_string(),
        };
    }
    CopyEnd::Host(PathBuf::from(arg))
}

/// A resolved place: a confinement root and a path inside it.
struct Place {
    root: ConfinedRoot,
    path: PathBuf,
}

/// `path` with `.` and `..` applied lexically (an absolute result).
fn lexical(path: &Path) -> PathBuf {
    let mut out = PathBuf::from("/");
    for c in path.components() {
        match c {
            Component::Normal(n) => out.push(n),
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

/// True when `given` ends with `/.`, or is `.`: "the content of".
fn names_contents(given: &str) -> bool {
    given == "." || given.ends_with("/.")
}

/// The last name of `given` (after dropping a trailing `/.` or `/`).
fn base_name(given: &Path) -> PathBuf {
    lexical(given)
        .file_name()
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/"))
}

/// A container kept ready for a copy: its root filesystem mounted (and
/// unmounted again on drop if the copy mounted it).
struct Prepared {
    ctr: Container,
    mounted_here: bool,
}

impl Drop for Prepared {
    fn drop(&mut self) {
        if self.mounted_here
            && let Err(e) = self.ctr.unmount_storage()
        {
            tracing::warn!("unmounting container {} after cp: {e}", self.ctr.id());
        }
    }
}

impl Prepared {
    fn new(rt: &Runtime, name: &str) -> Result<Prepared> {
        let mut ctr = rt.lookup_container(name)?;
        let running = matches!(
            ctr.rec.state.state,
            ContainerStatus::Running | ContainerStatus::Paused
        ) && ctr.rec.state.pid > 0;
        let mut mounted_here = false;
        if !running && ctr.uses_storage() && !ctr.rec.state.mounted {
            ctr.mount_storage()?;
            mounted_here = true;
        }
        Ok(Prepared { ctr, mounted_here })
    }

    fn running_pid(&self) -> Option<i32> {
        let st = &self.ctr.rec.state;
        (matches!(st.state, ContainerStatus::Running | ContainerStatus::Paused) && st.pid > 0)
            .then_some(st.pid)
    }

    /// The container path `given` as an absolute path (relative ones start
    /// at the working directory).
    fn absolute(&self, given: &str) -> PathBuf {
        if given.starts_with('/') {
            return PathBuf::from(given);
        }
        let workdir = self
            .ctr
            .rec
            .config
            .oci_spec()
            .ok()
            .flatten()
            .and_then(|s| s.process().as_ref().map(|p| p.cwd().clone()))
            .unwrap_or_else(|| PathBuf::from("/"));
        workdir.join(given)
    }

    /// Where `path` (absolute, in the container) is: in a running
    /// container its own view; in a stopped one the volume or bind mount
    /// covering it, else the root filesystem.
    fn place(&self, path: &Path) -> Result<Place> {
        if let Some(pid) = self.running_pid() {
            return Ok(Place {
                root: ConfinedRoot::open(format!("/proc/{pid}/root"))?,
                path: path.to_path_buf(),
            });
        }
        let clean = lexical(path);
        let mut best: Option<(PathBuf, PathBuf)> = None;
        let mut consider = |dest: &Path, source: PathBuf| {
            if clean.starts_with(dest)
                && best
                    .as_ref()
                    .is_none_or(|(d, _)| dest.components().count() > d.components().count())
            {
                best = Some((dest.to_path_buf(), source));
            }
        };
        let state = self.ctr.rt.state()?;
        for nv in &self.ctr.rec.config.named_volumes {
            if let Ok(v) = state.volume(&nv.name) {
                consider(Path::new(&nv.dest), PathBuf::from(&v.config.mount_point));
            }
        }
        if let Some(spec) = self.ctr.rec.config.oci_spec()? {
            for m in spec.mounts().iter().flatten() {
                let dest = m.destination();
                if m.typ().as_deref() != Some("bind")
                    || super::is_engine_mount_point(&dest.to_string_lossy())
                {
                    continue;
                }
                if let Some(src) = m.source()
                    && src.is_dir()
                {
                    consider(dest, src.clone());
                }
            }
        }
        match best {
            Some((dest, source)) => Ok(Place {
                root: ConfinedRoot::open(&source)?,
                path: Path::new("/").join(clean.strip_prefix(&dest).unwrap_or(Path::new(""))),
            }),
            None => Ok(Place {
                root: ConfinedRoot::open(self.ctr.rootfs_path())?,
                path: clean,
            }),
        }
    }

    /// The UID and GID of the container's user.
    fn user_ids(&self) -> (u32, u32) {
        self.ctr
            .rec
            .config
            .oci_spec()
            .ok()
            .flatten()
            .and_then(|s| {
                s.process()
                    .as_ref()
                    .map(|p| (p.user().uid(), p.user().gid()))
            })
            .unwrap_or((0, 0))
    }
}

impl Runtime {
    /// Copies `src` to `dst` as `podman cp` does: a directory (or its
    /// content, for a path ending in `/.`) or a file, renamed when the
    /// destination does not exist yet.
    pub fn copy(&self, src: &CopyEnd, dst: &CopyEnd, opts: CopyOptions) -> Result<()> {
        // The source side: where it is and what it is called.
        let src_ctr = match src {
            CopyEnd::Container { container, .. } => Some(Prepared::new(self, container)?),
            CopyEnd::Host(_) => None,
        };
        let (src_place, given) = match (src, &src_ctr) {
            (CopyEnd::Container { container, path }, Some(p)) => {
                let abs = p.absolute(path);
                let place = p.place(&abs)?;
                if place.root.metadata(&place.path)?.is_none() {
                    return Err(Error::msg(format!(
                        "{path:?} could not be found on container {container}: no such file or directory"
                    )));
                }
                (place, path.clone())
            }
            (CopyEnd::Host(path), _) => {
                let real = std::fs::canonicalize(path).map_err(|_| {
                    Error::msg(format!(
                        "{:?} could not be found on the host: no such file or directory",
                        absolute_host(path).display()
                    ))
                })?;
                let parent = real.parent().unwrap_or(Path::new("/")).to_path_buf();
                let name = real.file_name().map(PathBuf::from).unwrap_or_default();
                let place = if name.as_os_str().is_empty() {
                    Place {
                        root: ConfinedRoot::open("/")?,
                        path: PathBuf::from("/"),
                    }
                } else {
                    Place {
                        root: ConfinedRoot::open(&parent)?,
                        path: Path::new("/").join(name),
                    }
                };
                (place, path.to_string_lossy().into_owned())
            }
            _ => return Err(Error::Internal.context("copy source without its container")),
        };
        let src_is_dir = src_place
            .root
            .metadata(&src_place.path)?
            .is_some_and(|m| m.is_dir());
        let contents = src_is_dir && names_contents(&given);
        let src_base = base_name(Path::new(&given));

        let dst_ctr = match dst {
            CopyEnd::Container { container, .. } => Some(Prepared::new(self, container)?),
            CopyEnd::Host(_) => None,
        };
        let reader_writer = std::io::pipe().map_err(|e| Error::io("pipe", e))?;
        let (reader, writer) = reader_writer;
        match (dst, &dst_ctr) {
            (CopyEnd::Container { container, path }, Some(p)) => {
                let abs = p.absolute(path);
                let not_found = || {
                    Error::msg(format!(
                        "{path:?} could not be found on container {container}: no such file or directory"
                    ))
                };
                let (dir, name) = destination(
                    &|q: &Path| {
                        let pl = p.place(q)?;
                        Ok(pl.root.metadata(&pl.path)?.map(|m| m.is_dir()))
                    },
                    &abs,
                    path.ends_with('/'),
                    src_is_dir,
                    contents,
                    &src_base,
                    not_found,
                )?;
                let place = p.place(&dir)?;
                let unpack = UnpackOptions {
                    chown: opts.chown.then(|| p.user_ids()),
                    keep_dir_kinds: !opts.overwrite,
                };
                run_copy(&src_place, &name, &place, &unpack, reader, writer)
            }
            (CopyEnd::Host(path), _) => {
                let abs = absolute_host(path);
                let not_found = || {
                    Error::msg(format!(
                        "{:?} could not be found on the host: no such file or directory",
                        path.display()
                    ))
                };
                let (dir, name) = destination(
                    &|q: &Path| Ok(std::fs::metadata(q).ok().map(|m| m.is_dir())),
                    &abs,
                    path.to_string_lossy().ends_with('/'),
                    src_is_dir,
                    contents,
                    &src_base,
                    not_found,
                )?;
                let real = std::fs::canonicalize(&dir).map_err(|e| Error::io(&dir, e))?;
                let place = Place {
                    root: ConfinedRoot::open(&real)?,
                    path: PathBuf::from("/"),
                };
                let unpack = UnpackOptions {
                    chown: Some((
                        nix::unistd::getuid().as_raw(),
                        nix::unistd::getgid().as_raw(),
                    )),
                    keep_dir_kinds: !opts.overwrite,
                };
                run_copy(&src_place, &name, &place, &unpack, reader, writer)
            }
            _ => Err(Error::Internal.context("copy destination without its container")),
        }
    }

    /// `cp CONTAINER:PATH -`: writes a tar of the path (named by its last
    /// component; the content only for a path ending in `/.`) to `out`.
    pub fn copy_to_stream<W: Write>(&self, container: &str, path: &str, out: W) -> Result<W> {
        let p = Prepared::new(self, container)?;
        let abs = p.absolute(path);
        let place = p.place(&abs)?;
        let Some(meta) = place.root.metadata(&place.path)? else {
            return Err(Error::msg(format!(
                "{path:?} could not be found on container {container}: no such file or directory"
            )));
        };
        let name = if meta.is_dir() && names_contents(path) {
            PathBuf::new()
        } else {
            base_name(Path::new(path))
        };
        place.root.pack(&place.path, &name, out)
    }

    /// `cp - CONTAINER:DIR`: extracts the tar stream `input` into the
    /// directory `path` of the container, which must exist.
    pub fn copy_from_stream<R: Read>(
        &self,
        container: &str,
        path: &str,
        input: R,
        opts: CopyOptions,
    ) -> Result<()> {
        let p = Prepared::new(self, container)?;
        let abs = p.absolute(path);
        let place = p.place(&abs)?;
        match place.root.metadata(&place.path)? {
            Some(m) if m.is_dir() => {}
            Some(_) => {
                return Err(Error::msg(
                    "destination must be a directory when copying from stdin",
                ));
            }
            None => {
                return Err(Error::msg(format!(
                    "{path:?} could not be found on container {container}: no such file or directory"
                )));
            }
        }
        let unpack = UnpackOptions {
            chown: opts.chown.then(|| p.user_ids()),
            keep_dir_kinds: !opts.overwrite,
        };
        place
            .root
            .unpack(&place.path, input, &unpack)
            .map_err(|e| e.context("copying to container"))
    }
}

fn absolute_host(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(p))
            .unwrap_or_else(|_| p.to_path_buf())
    }
}

/// Where a copy lands: the directory to extract into and the name the
/// source takes there (empty: its content goes straight in). `is_dir`
/// tells what a destination path is (`None`: missing).
fn destination(
    is_dir: &dyn Fn(&Path) -> Result<Option<bool>>,
    dst: &Path,
    trailing_slash: bool,
    src_is_dir: bool,
    contents: bool,
    src_base: &Path,
    not_found: impl Fn() -> Error,
) -> Result<(PathBuf, PathBuf)> {
    match is_dir(dst)? {
        Some(true) => {
            let name = if contents {
                PathBuf::new()
            } else {
                src_base.to_path_buf()
            };
            Ok((dst.to_path_buf(), name))
        }
        Some(false) => {
            if src_is_dir {
                return Err(Error::msg(
                    "destination must be a directory when copying a directory",
                ));
            }
            let parent = dst.parent().unwrap_or(Path::new("/")).to_path_buf();
            Ok((parent, base_name(dst)))
        }
        None => {
            if trailing_slash {
                return Err(not_found());
            }
            let parent = lexical(dst)
                .parent()
                .unwrap_or(Path::new("/"))
                .to_path_buf();
            if is_dir(&parent)? != Some(true) {
                return Err(not_found());
            }
            Ok((parent, base_name(dst)))
        }
    }
}

/// Packs `src` (named `name`) on one thread and unpacks it into `dst` on
/// this one.
fn run_copy(
    src: &Place,
    name: &Path,
    dst: &Place,
    opts: &UnpackOptions,
    reader: std::io::PipeReader,
    writer: std::io::PipeWriter,
) -> Result<()> {
    std::thread::scope(|s| {
        let packer = s.spawn(move || src.root.pack(&src.path, name, writer).map(drop));
        let unpacked = dst.root.unpack(&dst.path, reader, opts);
        let packed = packer
            .join()
            .unwrap_or_else(|_| Err(Error::Internal.context("copy thread panicked")));
        unpacked.and(packed)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arguments_name_a_container_or_the_host() {
        assert_eq!(
            parse_copy_end("ctr:/etc"),
            CopyEnd::Container {
                container: "ctr".into(),
                path: "/etc".into()
            }
        );
        assert_eq!(parse_copy_end("./a:b"), CopyEnd::Host("./a:b".into()));
        assert_eq!(parse_copy_end("/x:y"), CopyEnd::Host("/x:y".into()));
        assert_eq!(parse_copy_end("-"), CopyEnd::Host("-".into()));
    }

    #[test]
    fn destinations_follow_podmans_rules() {
        let dirs = |p: &Path| -> Result<Option<bool>> {
            Ok(match p.to_str().unwrap() {
                "/" | "/tmp" | "/srv" => Some(true),
                "/etc/os-release" => Some(false),
                _ => None,
            })
        };
        let nf = || Error::msg("not found");
        let d = |dst: &str, slash: bool, src_dir: bool, contents: bool| {
            destination(
                &dirs,
                Path::new(dst),
                slash,
                src_dir,
                contents,
                Path::new("f"),
                nf,
            )
        };
        assert_eq!(
            d("/tmp", false, false, false).unwrap(),
            ("/tmp".into(), "f".into())
        );
        assert_eq!(
            d("/tmp", false, true, true).unwrap(),
            ("/tmp".into(), "".into())
        );
        assert_eq!(
            d("/new", false, true, true).unwrap(),
            ("/".into(), "new".into())
        );
        assert_eq!(
            d("/tmp/x.txt", false, false, false).unwrap(),
            ("/tmp".into(), "x.txt".into())
        );
        assert!(d("/nope/", true, false, false).is_err());
        assert!(d("/nope/x", false, false, false).is_err());
        let e = d("/etc/os-release", false, true, false).unwrap_err();
        assert_eq!(
            e.to_string(),
            "destination must be a directory when copying a directory"
        );
    }
}
