//! The paths a state database was created with, and the check that a runtime
//! opening it uses the same ones.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// The configuration stored in a state database on first open.
///
/// An empty field means "the default" and matches the default value.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DbConfig {
    /// Operating system (`linux`).
    pub os: String,
    /// libpod static dir (where the DB lives).
    pub static_dir: String,
    /// libpod tmp dir (exit files, events, alive file).
    pub tmp_dir: String,
    /// Storage graph root.
    pub graph_root: String,
    /// Storage run root.
    pub run_root: String,
    /// Storage driver name.
    pub graph_driver: String,
    /// Volume directory.
    pub volume_path: String,
}

/// Defaults against which an empty stored value compares equal.
#[derive(Debug, Clone, Default)]
pub struct DbConfigDefaults {
    /// The default graph root.
    pub graph_root: String,
    /// The default run root.
    pub run_root: String,
    /// The default storage driver.
    pub graph_driver: String,
}

/// Which fields the user set explicitly (those are not overridden by the DB).
#[derive(Debug, Clone, Copy, Default)]
pub struct ExplicitFields {
    /// `--root` / graphroot given.
    pub graph_root: bool,
    /// `--runroot` / runroot given.
    pub run_root: bool,
    /// `--storage-driver` given.
    pub graph_driver: bool,
    /// static_dir given.
    pub static_dir: bool,
    /// `--tmpdir` / tmp_dir given.
    pub tmp_dir: bool,
    /// `--volumepath` / volume_path given.
    pub volume_path: bool,
}

impl DbConfig {
    /// Fills every field the user did not set explicitly from the stored DB
    /// config (DB values win over defaults), as libpod does at start-up.
    pub fn merge_from_db(&mut self, db: &DbConfig, explicit: ExplicitFields) {
        let pairs: [(&mut String, &String, bool); 6] = [
            (&mut self.graph_root, &db.graph_root, explicit.graph_root),
            (&mut self.run_root, &db.run_root, explicit.run_root),
            (
                &mut self.graph_driver,
                &db.graph_driver,
                explicit.graph_driver,
            ),
            (&mut self.static_dir, &db.static_dir, explicit.static_dir),
            (&mut self.tmp_dir, &db.tmp_dir, explicit.tmp_dir),
            (&mut self.volume_path, &db.volume_path, explicit.volume_path),
        ];
        for (ours, theirs, is_explicit) in pairs {
            if !is_explicit && !theirs.is_empty() {
                ours.clone_from(theirs);
            }
        }
    }

    /// Compares the stored config `db` with ours; the first difference is
    /// Podman's `database <field> "<db>" does not match our <field> "<ours>"`
    /// error with the [`Error::DbMismatch`] sentinel.
    pub fn validate(&self, db: &DbConfig, defaults: &DbConfigDefaults) -> Result<()> {
        let checks: [(&str, &str, &str, Option<&str>, bool); 7] = [
            ("OS", &db.os, &self.os, None, false),
            (
                "libpod root directory (staticdir)",
                &db.static_dir,
                &self.static_dir,
                None,
                true,
            ),
            (
                "libpod temporary files directory (tmpdir)",
                &db.tmp_dir,
                &self.tmp_dir,
                None,
                true,
            ),
            (
                "storage graph root directory (graphroot)",
                &db.graph_root,
                &self.graph_root,
                Some(&defaults.graph_root),
                true,
            ),
            (
                "storage temporary directory (runroot)",
                &db.run_root,
                &self.run_root,
                Some(&defaults.run_root),
                true,
            ),
            (
                "storage graph driver",
                &db.graph_driver,
                &self.graph_driver,
                Some(&defaults.graph_driver),
                false,
            ),
            (
                "volume path",
                &db.volume_path,
                &self.volume_path,
                None,
                true,
            ),
        ];
        for (label, theirs, ours, default, is_path) in checks {
            if !field_matches(theirs, ours, default, is_path) {
                return Err(Error::DbMismatch.context(format!(
                    "database {label} {theirs:?} does not match our {label} {ours:?}"
                )));
            }
        }
        Ok(())
    }
}

fn clean(p: &str, is_path: bool) -> String {
    if !is_path || p.is_empty() {
        return p.to_string();
    }
    let trimmed = p.trim_end_matches('/');
    let trimmed = if trimmed.is_empty() { "/" } else { trimmed };
    // Resolve symlinks when the path exists (podman does too; ENOENT is fine).
    std::fs::canonicalize(Path::new(trimmed))
        .map(|c| c.to_string_lossy().into_owned())
        .unwrap_or_else(|_| trimmed.to_string())
}

fn field_matches(db: &str, ours: &str, default: Option<&str>, is_path: bool) -> bool {
    let (db, ours) = (clean(db, is_path), clean(ours, is_path));
    if db == ours {
        return true;
    }
    match default {
        Some(d) => {
            let d = clean(d, is_path);
            (db.is_empty() && ours == d) || (ours.is_empty() && db == d)
        }
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> DbConfig {
        DbConfig {
            os: "linux".into(),
            static_dir: "/nonexistent-rpod/a/libpod".into(),
            tmp_dir: "/nonexistent-rpod/t".into(),
            graph_root: "/nonexistent-rpod/a".into(),
            run_root: "/nonexistent-rpod/r".into(),
            graph_driver: String::new(),
            volume_path: "/nonexistent-rpod/a/volumes".into(),
        }
    }

    #[test]
    fn equal_and_default_equivalent_configs_match() {
        let defaults = DbConfigDefaults {
            graph_driver: "overlay".into(),
            ..Default::default()
        };
        let mut ours = cfg();
        ours.graph_driver = "overlay".into();
        ours.tmp_dir.push('/');
        ours.validate(&cfg(), &defaults).unwrap();
    }

    #[test]
    fn mismatch_uses_podman_text() {
        let mut ours = cfg();
        ours.graph_root = "/nonexistent-rpod/other".into();
        let e = ours
            .validate(&cfg(), &DbConfigDefaults::default())
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "database storage graph root directory (graphroot) \"/nonexistent-rpod/a\" does not match our storage graph root directory (graphroot) \"/nonexistent-rpod/other\": database configuration mismatch"
        );
        assert!(e.is(&Error::DbMismatch));
    }

    #[test]
    fn db_values_fill_only_unset_fields() {
        let mut ours = cfg();
        ours.graph_root = "/mine".into();
        ours.tmp_dir = "/default-tmp".into();
        let explicit = ExplicitFields {
            graph_root: true,
            ..Default::default()
        };
        ours.merge_from_db(&cfg(), explicit);
        assert_eq!(ours.graph_root, "/mine");
        assert_eq!(ours.tmp_dir, "/nonexistent-rpod/t");
    }
}
