//! The on-disk layout: tables, the schema version, opening and migrating.
//!
//! The layout follows Podman 5's `db.sql`: a singleton `DBConfig` row that
//! carries the schema version and the DB config; one `IDNamespace` shared by
//! containers and pods; config and state as JSON columns with Podman's field
//! names; dependency, container-volume, exec-session, network and exit-code
//! tables. rpod adds `NameNamespace`, which makes names unique across
//! containers and pods (Podman checks that only in its name generator), and
//! (version 2) `ContainerListing`, the config of each container without its
//! OCI spec, which `ps` reads instead of the large config rows.
//!
//! The file header's application ID marks the file as rpod's, so a foreign
//! SQLite file (Podman's own `db.sql`, say) is refused instead of misread.
//!
//! Opening is cheap when the schema is current: one header read and one
//! `SELECT`. Creating the schema, and migrating an older one forward, each
//! happen in one exclusive transaction, so concurrent first opens and crashes
//! mid-migration are safe. A database newer than this build is refused.

use rusqlite::{Connection, OptionalExtension, TransactionBehavior};

use crate::error::{DbError, DbResult};
use rpod_runtime_core::Error;

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: i64 = 2;

/// `PRAGMA application_id` of an rpod state database (ASCII `rpod`).
pub const APPLICATION_ID: i32 = 0x7270_6f64;

/// Tables and indexes of schema version 1. A new database gets these and
/// then [`LISTING_V2`].
const SCHEMA_V1: &str = r#"
CREATE TABLE DBConfig (
    ID            INTEGER PRIMARY KEY NOT NULL CHECK (ID IN (1)),
    SchemaVersion INTEGER NOT NULL,
    OS            TEXT,
    StaticDir     TEXT,
    TmpDir        TEXT,
    GraphRoot     TEXT,
    RunRoot       TEXT,
    GraphDriver   TEXT,
    VolumeDir     TEXT
);

CREATE TABLE IDNamespace (
    ID TEXT PRIMARY KEY NOT NULL
) WITHOUT ROWID;

CREATE TABLE NameNamespace (
    Name TEXT PRIMARY KEY NOT NULL
) WITHOUT ROWID;

CREATE TABLE PodConfig (
    ID   TEXT PRIMARY KEY NOT NULL
         REFERENCES IDNamespace (ID) DEFERRABLE INITIALLY DEFERRED,
    Name TEXT UNIQUE NOT NULL,
    JSON TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE PodState (
    ID               TEXT PRIMARY KEY NOT NULL
                     REFERENCES PodConfig (ID) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    InfraContainerID TEXT,
    JSON             TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE ContainerConfig (
    ID    TEXT PRIMARY KEY NOT NULL
          REFERENCES IDNamespace (ID) DEFERRABLE INITIALLY DEFERRED,
    Name  TEXT UNIQUE NOT NULL,
    PodID TEXT REFERENCES PodConfig (ID) DEFERRABLE INITIALLY DEFERRED,
    JSON  TEXT NOT NULL
);
CREATE INDEX ContainerConfigPodID ON ContainerConfig (PodID);

CREATE TABLE ContainerState (
    ID       TEXT PRIMARY KEY NOT NULL
             REFERENCES ContainerConfig (ID) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    State    INTEGER NOT NULL,
    ExitCode INTEGER NOT NULL,
    JSON     TEXT NOT NULL
);

CREATE TABLE ContainerDependency (
    ID           TEXT NOT NULL
                 REFERENCES ContainerConfig (ID) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    DependencyID TEXT NOT NULL
                 REFERENCES ContainerConfig (ID) DEFERRABLE INITIALLY DEFERRED,
    PRIMARY KEY (ID, DependencyID),
    CHECK (ID <> DependencyID)
) WITHOUT ROWID;
CREATE INDEX ContainerDependencyDependencyID ON ContainerDependency (DependencyID);

CREATE TABLE ContainerNetwork (
    ContainerID TEXT NOT NULL
                REFERENCES ContainerConfig (ID) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    Network     TEXT NOT NULL,
    JSON        TEXT NOT NULL,
    PRIMARY KEY (ContainerID, Network)
) WITHOUT ROWID;

CREATE TABLE ContainerExecSession (
    ID          TEXT PRIMARY KEY NOT NULL,
    ContainerID TEXT NOT NULL
                REFERENCES ContainerConfig (ID) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED
) WITHOUT ROWID;
CREATE INDEX ContainerExecSessionContainerID ON ContainerExecSession (ContainerID);

-- No foreign key: exit codes outlive their container. Timestamp is Unix
-- nanoseconds.
CREATE TABLE ContainerExitCode (
    ID        TEXT PRIMARY KEY NOT NULL,
    Timestamp INTEGER NOT NULL,
    ExitCode  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE VolumeConfig (
    Name      TEXT PRIMARY KEY NOT NULL,
    StorageID TEXT,
    JSON      TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX VolumeConfigStorageID ON VolumeConfig (StorageID);

CREATE TABLE VolumeState (
    Name TEXT PRIMARY KEY NOT NULL
         REFERENCES VolumeConfig (Name) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    JSON TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE ContainerVolume (
    ContainerID TEXT NOT NULL
                REFERENCES ContainerConfig (ID) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    VolumeName  TEXT NOT NULL
                REFERENCES VolumeConfig (Name) DEFERRABLE INITIALLY DEFERRED,
    PRIMARY KEY (ContainerID, VolumeName)
) WITHOUT ROWID;
CREATE INDEX ContainerVolumeVolumeName ON ContainerVolume (VolumeName);
"#;

/// SQL for the listing copy of the config JSON in column `$json`: the JSON
/// without its top-level `spec`, or the text unchanged when it is not JSON.
macro_rules! listing_of {
    ($json:literal) => {
        concat!(
            "CASE WHEN json_valid(",
            $json,
            ") THEN json_remove(",
            $json,
            ", '$.spec') ELSE ",
            $json,
            " END"
        )
    };
}

/// What schema version 2 adds: `ContainerListing`, each container's config
/// JSON without `spec`, kept equal to `ContainerConfig.JSON` by SQLite itself.
///
/// A config row is about 11 KB, 10 KB of it the OCI spec, so it spans
/// overflow pages; a listing that reads it (and cuts the spec out with
/// `json_remove`) pays for the whole spec. The listing row is about 1 KB.
///
/// - A rowid table, not `WITHOUT ROWID`: in a `WITHOUT ROWID` table (an index
///   b-tree) a row stays on its page only up to about 1,000 bytes with 4 KB
///   pages, which a 1 KB listing row often passes; a rowid table keeps rows
///   up to about 4,000 bytes on the page, so a scan reads each page once.
/// - The triggers write the copy in the statement that writes the config, so
///   no write path (add, config rewrite, rename, or one added later) can
///   forget it, and it is derived by one expression, the same that fills it
///   on migration. A config that is not valid JSON (only possible by editing
///   the file by hand) is copied whole, so the listing reports the same
///   decoding error as a full read instead of failing the write.
/// - `ON DELETE CASCADE` removes the copy with its config row on every
///   removal path, like `ContainerState`.
const LISTING_V2: &str = concat!(
    "
CREATE TABLE ContainerListing (
    ID   TEXT PRIMARY KEY NOT NULL
         REFERENCES ContainerConfig (ID) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
    JSON TEXT NOT NULL
);

CREATE TRIGGER ContainerListingOnInsert AFTER INSERT ON ContainerConfig BEGIN
    INSERT OR REPLACE INTO ContainerListing (ID, JSON) VALUES (NEW.ID, ",
    listing_of!("NEW.JSON"),
    ");
END;

CREATE TRIGGER ContainerListingOnUpdate AFTER UPDATE OF JSON ON ContainerConfig BEGIN
    INSERT OR REPLACE INTO ContainerListing (ID, JSON) VALUES (NEW.ID, ",
    listing_of!("NEW.JSON"),
    ");
END;
"
);

/// One forward migration: from `from` to `from + 1`, run inside the
/// migration's exclusive transaction.
struct Migration {
    from: i64,
    run: fn(&Connection) -> DbResult<()>,
}

/// Every migration, in order. Version 0 is Podman 5's layout: names were
/// unique only among containers and among pods, not across both. Version 1
/// had no `ContainerListing`.
const MIGRATIONS: &[Migration] = &[
    Migration {
        from: 0,
        run: migrate_0_to_1,
    },
    Migration {
        from: 1,
        run: migrate_1_to_2,
    },
];

fn migrate_0_to_1(conn: &Connection) -> DbResult<()> {
    let clash: Option<String> = conn
        .query_row(
            "SELECT c.Name FROM ContainerConfig c JOIN PodConfig p ON p.Name = c.Name
             ORDER BY c.Name LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?;
    if let Some(name) = clash {
        return Err(Error::msg(format!(
            "name {name:?} is used by both a container and a pod; rename one of them with an older rpod first"
        ))
        .into());
    }
    conn.execute_batch(
        "CREATE TABLE NameNamespace (Name TEXT PRIMARY KEY NOT NULL) WITHOUT ROWID;
         INSERT INTO NameNamespace (Name) SELECT Name FROM ContainerConfig;
         INSERT INTO NameNamespace (Name) SELECT Name FROM PodConfig;",
    )?;
    Ok(())
}

/// Creates `ContainerListing` and its triggers, and fills it from every
/// config with the triggers' own expression. The config rows are only read.
fn migrate_1_to_2(conn: &Connection) -> DbResult<()> {
    conn.execute_batch(LISTING_V2)?;
    conn.execute_batch(concat!(
        "INSERT INTO ContainerListing (ID, JSON) SELECT ID, ",
        listing_of!("JSON"),
        " FROM ContainerConfig;"
    ))?;
    Ok(())
}

/// What [`check`] found in the file header and `DBConfig`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Found {
    /// No tables at all: a new (empty) file.
    Empty,
    /// An rpod database at this schema version.
    Version(i64),
    /// rpod's application ID, but no schema version row.
    NoVersionRow,
    /// Another program's application ID.
    ForeignId(i32),
    /// No application ID, but tables: another program's database.
    ForeignTables,
}

impl Found {
    /// The verdict as an error, for everything but a usable database.
    fn refusal(self) -> DbResult<()> {
        match self {
            Found::Empty => Ok(()),
            Found::Version(v) => refuse_version(v),
            Found::NoVersionRow => Err(Error::msg("the schema version row is missing").into()),
            Found::ForeignId(id) => Err(Error::msg(format!(
                "not an rpod state database (application ID {id:#010x})"
            ))
            .into()),
            Found::ForeignTables => Err(Error::msg(
                "not an rpod state database (it holds tables of another program)",
            )
            .into()),
        }
    }
}

/// Reads the application ID and schema version without writing anything.
///
/// Its reads are several statements: run it inside a transaction, so that
/// they all see one snapshot. Outside one, each statement takes its own, and
/// another opener that creates the schema between the header read and the
/// table count makes a new file look like another program's.
fn check(conn: &Connection) -> DbResult<Found> {
    let app_id: i32 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    if app_id == APPLICATION_ID {
        let v: Option<i64> = conn
            .query_row("SELECT SchemaVersion FROM DBConfig WHERE ID = 1", [], |r| {
                r.get(0)
            })
            .optional()?;
        return Ok(v.map_or(Found::NoVersionRow, Found::Version));
    }
    if app_id != 0 {
        return Ok(Found::ForeignId(app_id));
    }
    let tables: i64 = conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))?;
    Ok(if tables == 0 {
        Found::Empty
    } else {
        Found::ForeignTables
    })
}

/// [`check`] in a read transaction of its own.
fn check_snapshot(conn: &mut Connection) -> DbResult<Found> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Deferred)?;
    let found = check(&tx)?;
    tx.commit()?;
    Ok(found)
}

fn refuse_version(v: i64) -> DbResult<()> {
    if v > SCHEMA_VERSION {
        return Err(Error::msg(format!(
            "database has schema version {v} while this rpod only supports version {SCHEMA_VERSION}; use a newer rpod"
        ))
        .into());
    }
    if v < 0 {
        return Err(Error::msg(format!("database has invalid schema version {v}")).into());
    }
    Ok(())
}

/// Makes sure the database holds the current schema: creates it in an empty
/// file, migrates an older one forward, refuses a newer or foreign one.
///
/// The fast path (schema current) only reads. Safe when several processes
/// open one new file at once: exactly one creates the schema, in one
/// exclusive transaction, and the others use it. Only a verdict reached
/// under the exclusive lock refuses a file, so a file is never judged while
/// another opener is halfway through making it.
pub(crate) fn ensure(conn: &mut Connection) -> DbResult<()> {
    match check_snapshot(conn)? {
        Found::Version(SCHEMA_VERSION) => return Ok(()),
        Found::Version(v) => refuse_version(v)?,
        // Empty, or looking foreign: look again under the exclusive lock.
        _ => {}
    }
    let tx = conn.transaction_with_behavior(TransactionBehavior::Exclusive)?;
    // Another process may have created or migrated it meanwhile: look again
    // under the exclusive lock, where no writer is halfway through.
    let found = check(&tx)?;
    match found {
        Found::Empty => {
            tx.execute_batch(SCHEMA_V1)?;
            tx.execute_batch(LISTING_V2)?;
            tx.pragma_update(None, "application_id", APPLICATION_ID)?;
            tx.execute(
                "INSERT INTO DBConfig (ID, SchemaVersion) VALUES (1, ?1)",
                [SCHEMA_VERSION],
            )?;
            tracing::debug!("created state database schema version {SCHEMA_VERSION}");
        }
        Found::Version(SCHEMA_VERSION) => {}
        Found::Version(v) => {
            refuse_version(v)?;
            migrate(&tx, v)?;
        }
        refused => refused.refusal()?,
    }
    tx.commit()?;
    Ok(())
}

/// Runs every migration from version `v` on, then records the current
/// version; inside the caller's exclusive transaction.
fn migrate(tx: &Connection, v: i64) -> DbResult<()> {
    for m in MIGRATIONS.iter().filter(|m| m.from >= v) {
        (m.run)(tx).map_err(|e| {
            let cause = match e {
                DbError::Core(c) => c,
                DbError::Sqlite(s) => Error::msg(s.to_string()),
                DbError::Json(j) => Error::Json(j),
            };
            DbError::Core(cause.context(format!(
                "migrating from schema version {} to {}",
                m.from,
                m.from + 1
            )))
        })?;
        tracing::info!(
            "migrated state database from schema version {} to {}",
            m.from,
            m.from + 1
        );
    }
    tx.execute(
        "UPDATE DBConfig SET SchemaVersion = ?1 WHERE ID = 1",
        [SCHEMA_VERSION],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use rusqlite::Connection;

    use super::{SCHEMA_V1, SCHEMA_VERSION, ensure};

    fn layout(c: &Connection) -> Vec<(String, String, Option<String>)> {
        let mut stmt = c
            .prepare("SELECT type, name, sql FROM sqlite_schema ORDER BY type, name")
            .unwrap();
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    /// Version 2 is version 1 plus `ContainerListing` and its two triggers,
    /// and nothing else: dropping those gives exactly the version-1 layout.
    /// (The migration tests build version-1 files that way.)
    #[test]
    fn version_2_is_version_1_plus_the_listing() {
        let mut current = Connection::open_in_memory().unwrap();
        ensure(&mut current).unwrap();
        let version: i64 = current
            .query_row("SELECT SchemaVersion FROM DBConfig", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
        let added: Vec<String> = layout(&current)
            .into_iter()
            .filter(|(_, _, sql)| {
                sql.as_deref()
                    .is_some_and(|s| s.contains("ContainerListing"))
            })
            .map(|(kind, name, _)| format!("{kind} {name}"))
            .collect();
        assert_eq!(
            added,
            [
                "table ContainerListing",
                "trigger ContainerListingOnInsert",
                "trigger ContainerListingOnUpdate",
            ]
        );
        current
            .execute_batch(
                "DROP TRIGGER ContainerListingOnInsert;
                 DROP TRIGGER ContainerListingOnUpdate;
                 DROP TABLE ContainerListing;",
            )
            .unwrap();
        let v1 = Connection::open_in_memory().unwrap();
        v1.execute_batch(SCHEMA_V1).unwrap();
        assert_eq!(layout(&current), layout(&v1));
    }
}
