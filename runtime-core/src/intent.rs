//! Intent records: the journal that makes multi-step operations crash
//! consistent.
//!
//! Before the first step that leaves something behind (a storage container,
//! a lock, a runtime container), an operation writes an intent record naming
//! what it is about to make, and holds an exclusive `flock` on it for as long
//! as it runs. When the operation ends, successfully or after undoing its
//! steps, it deletes the record. A record whose lock nobody holds therefore
//! belongs to a process that died mid-operation: `system check --repair`
//! (and the next `start` of the same container) finishes or undoes what it
//! names. A record that is still locked is an operation in progress, and is
//! left alone.
//!
//! Records live in `<static dir>/intents/<op>-<id>.json`, mode 0600.

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use nix::fcntl::{Flock, FlockArg};
use serde::{Deserialize, Serialize};

use crate::error::{Error, IoResultExt, Result};

/// The operations that keep intent records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum IntentOp {
    /// `create`: a storage container, a lock and directories before the
    /// State record.
    Create,
    /// `init`/`start`: mounts and a runtime container (plus its monitor)
    /// before the State says `Created`.
    Init,
}

impl IntentOp {
    fn as_str(self) -> &'static str {
        match self {
            IntentOp::Create => "create",
            IntentOp::Init => "init",
        }
    }
}

/// What an intent record says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntentRecord {
    /// The operation.
    pub op: IntentOp,
    /// The container's ID.
    pub id: String,
    /// The container's name.
    #[serde(default)]
    pub name: String,
    /// The lock the operation allocated, once it has one.
    #[serde(default)]
    pub lock: Option<u32>,
    /// The process that wrote it.
    #[serde(default)]
    pub pid: u32,
    /// When the operation began.
    pub started: DateTime<Utc>,
}

/// An open intent: the record plus the flock that marks it as in progress.
/// Call [`Intent::finish`] once the operation has completed or been undone;
/// dropping it without that leaves the record for repair.
#[derive(Debug)]
pub struct Intent {
    path: PathBuf,
    file: Flock<File>,
    record: IntentRecord,
}

/// The directory of intent records under a static dir.
pub fn intents_dir(static_dir: &Path) -> PathBuf {
    static_dir.join("intents")
}

fn record_path(dir: &Path, op: IntentOp, id: &str) -> PathBuf {
    dir.join(format!("{}-{id}.json", op.as_str()))
}

impl Intent {
    /// Writes and locks the record of `op` on container `id`. A leftover
    /// record of the same operation (from a process that died) is taken
    /// over; one still locked by a live operation is `CtrStateInvalid`.
    pub fn begin(dir: &Path, op: IntentOp, id: &str, name: &str) -> Result<Intent> {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .at(dir)?;
        let path = record_path(dir, op, id);
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .open(&path)
            .at(&path)?;
        let file = Flock::lock(file, FlockArg::LockExclusiveNonblock).map_err(|(_, e)| {
            Error::CtrStateInvalid.context(format!(
                "another process is running {} on container {id}: {e}",
                op.as_str()
            ))
        })?;
        let mut intent = Intent {
            path,
            file,
            record: IntentRecord {
                op,
                id: id.to_string(),
                name: name.to_string(),
                lock: None,
                pid: std::process::id(),
                started: Utc::now(),
            },
        };
        intent.write()?;
        Ok(intent)
    }

    /// Notes the lock the operation allocated, so repair can free it.
    pub fn record_lock(&mut self, lock: u32) -> Result<()> {
        self.record.lock = Some(lock);
        self.write()
    }

    /// The record as written.
    pub fn record(&self) -> &IntentRecord {
        &self.record
    }

    fn write(&mut self) -> Result<()> {
        let bytes = serde_json::to_vec(&self.record)?;
        let f: &mut File = &mut self.file;
        f.set_len(0).at(&self.path)?;
        std::io::Seek::rewind(f).at(&self.path)?;
        f.write_all(&bytes).at(&self.path)
    }

    /// The operation is complete (or fully undone): deletes the record.
    pub fn finish(self) -> Result<()> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(&self.path, e)),
            _ => Ok(()),
        }
    }
}

/// An intent record left by a process that died, with the flock now held
/// by the caller (so two repairs never work on it at once).
#[derive(Debug)]
pub struct Abandoned {
    /// What the record says (`None` when the process died while writing it:
    /// then only the operation and ID from its file name are known).
    pub record: IntentRecord,
    path: PathBuf,
    _lock: Flock<File>,
}

impl Abandoned {
    /// The repair is done: deletes the record.
    pub fn resolve(self) -> Result<()> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(Error::io(&self.path, e)),
            _ => Ok(()),
        }
    }
}

/// What [`scan`] found in an intents directory.
#[derive(Debug, Default)]
pub struct IntentScan {
    /// Records of operations that died, each locked for the caller.
    pub abandoned: Vec<Abandoned>,
    /// Container IDs with an operation in progress right now (their records
    /// are locked by a live process): repair leaves those containers alone.
    pub live: Vec<String>,
}

/// Every record in `dir` whose operation is no longer running (nobody
/// holds its flock), locked for the caller. Records of live operations are
/// skipped.
pub fn abandoned(dir: &Path) -> Result<Vec<Abandoned>> {
    scan(dir).map(|s| s.abandoned)
}

/// The records in `dir`: abandoned ones (locked for the caller) and the
/// IDs of live ones.
pub fn scan(dir: &Path) -> Result<IntentScan> {
    let rd = match std::fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(IntentScan::default()),
        Err(e) => return Err(Error::io(dir, e)),
    };
    let mut out = IntentScan::default();
    for ent in rd {
        let ent = ent.at(dir)?;
        let path = ent.path();
        let Some(stem) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".json"))
        else {
            continue;
        };
        let Some((op, id)) = stem.split_once('-') else {
            continue;
        };
        let op = match op {
            "create" => IntentOp::Create,
            "init" => IntentOp::Init,
            _ => continue,
        };
        let file = match File::open(&path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(Error::io(&path, e)),
        };
        let Ok(lock) = Flock::lock(file, FlockArg::LockExclusiveNonblock) else {
            out.live.push(id.to_string()); // a live operation holds it
            continue;
        };
        let record = std::fs::read(&path)
            .ok()
            .and_then(|b| serde_json::from_slice::<IntentRecord>(&b).ok())
            .filter(|r| r.id == id && r.op == op)
            .unwrap_or_else(|| IntentRecord {
                op,
                id: id.to_string(),
                name: String::new(),
                lock: None,
                pid: 0,
                started: DateTime::<Utc>::UNIX_EPOCH,
            });
        out.abandoned.push(Abandoned {
            record,
            path,
            _lock: lock,
        });
    }
    Ok(out)
}

/// True when `dir` holds an abandoned `op` record for container `id`.
pub fn is_abandoned(dir: &Path, op: IntentOp, id: &str) -> bool {
    let path = record_path(dir, op, id);
    File::open(&path)
        .ok()
        .is_some_and(|f| Flock::lock(f, FlockArg::LockExclusiveNonblock).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_live_intent_is_not_abandoned_and_a_dropped_one_is() {
        let d = tempfile::tempdir().unwrap();
        let dir = intents_dir(d.path());
        let mut live = Intent::begin(&dir, IntentOp::Create, "abc", "web").unwrap();
        live.record_lock(7).unwrap();
        assert!(abandoned(&dir).unwrap().is_empty(), "locked record listed");
        assert!(!is_abandoned(&dir, IntentOp::Create, "abc"));
        // A second process may not begin the same operation meanwhile.
        let e = Intent::begin(&dir, IntentOp::Create, "abc", "web").unwrap_err();
        assert!(e.is(&Error::CtrStateInvalid), "{e}");
        let mode = std::fs::metadata(dir.join("create-abc.json")).unwrap();
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
            0o600
        );

        drop(live); // as if the process died: the record stays, unlocked
        assert!(is_abandoned(&dir, IntentOp::Create, "abc"));
        let found = abandoned(&dir).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].record.lock, Some(7));
        assert_eq!(found[0].record.name, "web");
        // While a repair holds it, no other repair sees it.
        assert!(abandoned(&dir).unwrap().is_empty());
        found.into_iter().for_each(|a| a.resolve().unwrap());
        assert!(!dir.join("create-abc.json").exists());
    }

    #[test]
    fn finish_removes_the_record_and_a_torn_record_is_still_repairable() {
        let d = tempfile::tempdir().unwrap();
        let dir = intents_dir(d.path());
        Intent::begin(&dir, IntentOp::Init, "x1", "n")
            .unwrap()
            .finish()
            .unwrap();
        assert!(abandoned(&dir).unwrap().is_empty());
        std::fs::write(dir.join("init-x2.json"), b"{\"op\":").unwrap();
        let found = abandoned(&dir).unwrap();
        assert_eq!(found.len(), 1);
        assert_eq!(
            (found[0].record.op, found[0].record.id.as_str()),
            (IntentOp::Init, "x2")
        );
    }
}
