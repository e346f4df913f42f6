//! The overlay driver's directories (`overlay/<id>/{diff,work,merged,link,lower,empty}`,
//! `overlay/l/<short>`) and its mounts.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

use nix::mount::{MntFlags, MsFlags, mount, umount2};
use rpod_runtime_core::error::IoResultExt;
use rpod_runtime_core::{Error, Result};

/// Creates `<home>/<id>/diff` for a layer being written.
pub fn create_staging(home: &Path, id: &str) -> Result<PathBuf> {
    let diff = home.join(id).join("diff");
    fs::create_dir_all(&diff).at(&diff)?;
    fs::set_permissions(&diff, fs::Permissions::from_mode(0o755)).at(&diff)?;
    Ok(diff)
}

/// Finishes a layer: renames `<tmp>` to `<id>` (when they differ) and
/// writes `link`, `l/<link>`, `lower` (or `empty/`), `work/` and `merged/`.
pub fn finalize(home: &Path, tmp: &str, id: &str, parent: &str) -> Result<()> {
    let dir = home.join(id);
    if tmp != id {
        fs::rename(home.join(tmp), &dir).at(&dir)?;
    }
    for (d, mode) in [("work", 0o700), ("merged", 0o700)] {
        let p = dir.join(d);
        fs::create_dir_all(&p).at(&p)?;
        fs::set_permissions(&p, fs::Permissions::from_mode(mode)).at(&p)?;
    }
    if parent.is_empty() {
        let p = dir.join("empty");
        fs::create_dir_all(&p).at(&p)?;
    } else {
        let plink = fs::read_to_string(home.join(parent).join("link")).at(home.join(parent))?;
        let mut lower = format!("l/{}", plink.trim());
        if let Ok(pl) = fs::read_to_string(home.join(parent).join("lower")) {
            lower.push(':');
            lower.push_str(pl.trim());
        }
        fs::write(dir.join("lower"), lower).at(dir.join("lower"))?;
    }
    let l = home.join("l");
    fs::create_dir_all(&l).at(&l)?;
    let link = crate::digest::random_link()?;
    std::os::unix::fs::symlink(format!("../{id}/diff"), l.join(&link)).at(l.join(&link))?;
    fs::write(dir.join("link"), &link).at(dir.join("link"))?;
    Ok(())
}

/// Removes a layer's directories and its short link.
pub fn remove(home: &Path, id: &str) -> Result<()> {
    let dir = home.join(id);
    if let Ok(link) = fs::read_to_string(dir.join("link")) {
        let link = link.trim();
        if !link.is_empty() && !link.contains('/') {
            let _ = fs::remove_file(home.join("l").join(link));
        }
    }
    let merged = dir.join("merged");
    if is_mounted(&merged) {
        let _ = umount2(&merged, MntFlags::MNT_DETACH);
    }
    match fs::remove_dir_all(&dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::io(&dir, e)),
    }
}

/// The layer's diff directory.
pub fn diff_dir(home: &Path, id: &str) -> PathBuf {
    home.join(id).join("diff")
}

/// Absolute lower directories of `id` (nearest parent first).
pub fn lowers(home: &Path, id: &str) -> Result<Vec<PathBuf>> {
    match fs::read_to_string(home.join(id).join("lower")) {
        Ok(s) => Ok(s
            .trim()
            .split(':')
            .filter(|x| !x.is_empty())
            .map(|x| home.join(x))
            .collect()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(e) => Err(Error::io(home.join(id).join("lower"), e)),
    }
}

/// True when something is mounted on `path` (its device differs from its parent's).
pub fn is_mounted(path: &Path) -> bool {
    let (Ok(a), Some(Ok(b))) = (fs::metadata(path), path.parent().map(fs::metadata)) else {
        return false;
    };
    a.dev() != b.dev() || a.ino() == b.ino()
}

/// Mounts the layer `id` on its `merged` dir: read-write with the layer's
/// diff as upper, or read-only with the diff as the top lower.
pub fn mount_layer(home: &Path, id: &str, read_only: bool) -> Result<PathBuf> {
    let dir = home.join(id);
    let merged = dir.join("merged");
    fs::create_dir_all(&merged).at(&merged)?;
    if is_mounted(&merged) {
        return Ok(merged);
    }
    let link = |id: &str| -> Result<String> {
        let l = fs::read_to_string(home.join(id).join("link")).at(home.join(id).join("link"))?;
        Ok(home.join("l").join(l.trim()).to_string_lossy().into_owned())
    };
    let mut lower: Vec<String> = lowers(home, id)?
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let data = if read_only {
        lower.insert(0, link(id)?);
        if lower.len() == 1 {
            lower.push(dir.join("empty").to_string_lossy().into_owned());
            fs::create_dir_all(dir.join("empty")).at(dir.join("empty"))?;
        }
        format!("lowerdir={}", lower.join(":"))
    } else {
        if lower.is_empty() {
            lower.push(dir.join("empty").to_string_lossy().into_owned());
            fs::create_dir_all(dir.join("empty")).at(dir.join("empty"))?;
        }
        let work = dir.join("work");
        fs::create_dir_all(&work).at(&work)?;
        format!(
            "lowerdir={},upperdir={},workdir={},index=off",
            lower.join(":"),
            dir.join("diff").display(),
            work.display()
        )
    };
    let page = 4096;
    if data.len() >= page {
        return Err(Error::msg(format!(
            "mounting layer {id}: mount data of {} bytes exceeds a page (too many layers)",
            data.len()
        )));
    }
    let flags = if read_only {
        MsFlags::MS_RDONLY
    } else {
        MsFlags::empty()
    };
    mount(
        Some("overlay"),
        &merged,
        Some("overlay"),
        flags,
        Some(data.as_str()),
    )
    .map_err(|e| Error::io(&merged, e.into()).context(format!("mounting overlay ({data})")))?;
    Ok(merged)
}

/// Unmounts a layer's `merged` dir (lazily, as containers/storage does).
pub fn unmount_layer(home: &Path, id: &str) -> Result<()> {
    let merged = home.join(id).join("merged");
    if is_mounted(&merged) {
        umount2(&merged, MntFlags::MNT_DETACH).map_err(|e| Error::io(&merged, e.into()))?;
    }
    Ok(())
}

/// Checks that overlay can be mounted under `home`; `Err(reason)` when not.
pub fn probe(home: &Path) -> std::result::Result<(), String> {
    if let Ok(st) = nix::sys::statfs::statfs(home)
        && st.filesystem_type() == nix::sys::statfs::OVERLAYFS_SUPER_MAGIC
    {
        return Err("'overlay' is not supported over overlayfs".into());
    }
    let id = rpod_runtime_core::names::generate_id().map_err(|e| e.to_string())?;
    let base = home.join(format!(".probe-{id}"));
    let res = (|| -> std::result::Result<(), String> {
        for d in ["lower1", "lower2", "upper", "work", "merged"] {
            fs::create_dir_all(base.join(d)).map_err(|e| e.to_string())?;
        }
        let data = format!(
            "lowerdir={}:{},upperdir={},workdir={}",
            base.join("lower1").display(),
            base.join("lower2").display(),
            base.join("upper").display(),
            base.join("work").display()
        );
        mount(
            Some("overlay"),
            &base.join("merged"),
            Some("overlay"),
            MsFlags::empty(),
            Some(data.as_str()),
        )
        .map_err(|e| format!("kernel does not support overlay fs: {e}"))?;
        let _ = umount2(&base.join("merged"), MntFlags::MNT_DETACH);
        Ok(())
    })();
    let _ = fs::remove_dir_all(&base);
    res
}
