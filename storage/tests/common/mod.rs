//! Helpers shared by the storage tests: temp stores and hand-built tars.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use rpod_storage::Store;
use rpod_storage::digest::sha256_digest;
use serde_json::json;

/// A store in fresh temp dirs (kept alive by the returned TempDir).
pub fn store(driver: &str) -> (tempfile::TempDir, Store) {
    let d = tempfile::tempdir().unwrap();
    let s = Store::open(&d.path().join("graph"), &d.path().join("run"), driver).unwrap();
    (d, s)
}

pub fn roots(d: &tempfile::TempDir) -> (PathBuf, PathBuf) {
    (d.path().join("graph"), d.path().join("run"))
}

/// One tar entry to build.
#[derive(Debug)]
pub enum E<'a> {
    Dir(&'a str),
    File(&'a str, &'a [u8]),
    Mode(&'a str, &'a [u8], u32),
    Sym(&'a str, &'a str),
    Hard(&'a str, &'a str),
}

pub fn tar_of(entries: &[E]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_gnu();
        h.set_mtime(1_700_000_000);
        h.set_uid(0);
        h.set_gid(0);
        match e {
            E::Dir(p) => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                h.set_size(0);
                set_name(&mut h, p);
                h.set_cksum();
                b.append(&h, std::io::empty()).unwrap();
            }
            E::File(p, data) | E::Mode(p, data, _) => {
                let mode = if let E::Mode(_, _, m) = e { *m } else { 0o644 };
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(mode);
                h.set_size(data.len() as u64);
                set_name(&mut h, p);
                h.set_cksum();
                b.append(&h, *data).unwrap();
            }
            E::Sym(p, t) | E::Hard(p, t) => {
                h.set_entry_type(if matches!(e, E::Sym(..)) {
                    tar::EntryType::Symlink
                } else {
                    tar::EntryType::Link
                });
                h.set_mode(0o777);
                h.set_size(0);
                set_name(&mut h, p);
                let tb = t.as_bytes();
                h.as_old_mut().linkname[..tb.len()].copy_from_slice(tb);
                h.set_cksum();
                b.append(&h, std::io::empty()).unwrap();
            }
        }
    }
    b.into_inner().unwrap()
}

/// Writes the raw name bytes (no normalisation, so `..` and `/x` survive).
fn set_name(h: &mut tar::Header, p: &str) {
    let nb = p.as_bytes();
    let old = h.as_old_mut();
    old.name = [0; 100];
    old.name[..nb.len()].copy_from_slice(nb);
}

/// A busybox root filesystem tar: bin/busybox and bin/sh -> busybox.
pub fn busybox_rootfs() -> Vec<u8> {
    let bb = std::fs::read("/bin/busybox").unwrap();
    tar_of(&[
        E::Dir("bin/"),
        E::Mode("bin/busybox", &bb, 0o755),
        E::Sym("bin/sh", "busybox"),
        E::Dir("etc/"),
        E::File("etc/hostname", b"x\n"),
    ])
}

/// A docker-archive of `layers` (uncompressed tars) named `tags`.
pub fn docker_archive(layers: &[Vec<u8>], tags: &[&str]) -> Vec<u8> {
    let diff_ids: Vec<String> = layers.iter().map(|l| sha256_digest(l)).collect();
    let config = serde_json::to_vec(&json!({
        "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
        "config": {"Cmd": ["/bin/sh"]},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": diff_ids.iter().map(|_| json!({"created_by": "test"})).collect::<Vec<_>>(),
    }))
    .unwrap();
    let cfg_name = format!("{}.json", &sha256_digest(&config)[7..]);
    let mut b = tar::Builder::new(Vec::new());
    let mut add = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_gnu();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, name, data).unwrap();
    };
    add(&cfg_name, &config);
    let mut names = Vec::new();
    for (l, d) in layers.iter().zip(&diff_ids) {
        let n = format!("{}.tar", &d[7..]);
        add(&n, l);
        names.push(n);
    }
    let manifest = json!([{"Config": cfg_name, "RepoTags": tags, "Layers": names}]);
    add("manifest.json", &serde_json::to_vec(&manifest).unwrap());
    b.into_inner().unwrap()
}

/// Mount points below `dir` in this process's mount table.
pub fn mounts_under(dir: &Path) -> Vec<String> {
    let d = dir.to_string_lossy().into_owned();
    std::fs::read_to_string("/proc/self/mountinfo")
        .unwrap()
        .lines()
        .filter_map(|l| l.split(' ').nth(4).map(str::to_string))
        .filter(|m| m.starts_with(&d))
        .collect()
}

/// Unmounts every mount point below a directory when dropped, so that a
/// test that fails half-way (skopeo and Podman mount the overlay home on
/// itself) leaves no mount behind. Declare it after the directory's
/// `TempDir`, so it runs first.
pub struct UnmountOnDrop(pub PathBuf);

impl Drop for UnmountOnDrop {
    fn drop(&mut self) {
        for m in mounts_under(&self.0).into_iter().rev() {
            let _ = nix::mount::umount2(m.as_str(), nix::mount::MntFlags::MNT_DETACH);
        }
    }
}
