//! `system migrate --migrate-db`: copies a BoltDB state into the SQLite
//! state in one go, then renames the BoltDB file aside.

use crate::commands::Ctx;
use crate::exit::CliError;

#[cfg(all(feature = "state-bolt", feature = "state-sqlite"))]
mod imp {
    use rpod_runtime_core::Error;
    use rpod_runtime_core::container::ContainerRecord;
    use rpod_runtime_core::state::{State, dependency_order};
    use rpod_state_bolt::BoltState;
    use rpod_state_sqlite::SqliteState;

    use crate::commands::Ctx;
    use crate::exit::CliError;

    fn copy(bolt: &BoltState, sqlite: &SqliteState) -> Result<usize, Error> {
        let export = bolt.export()?;
        if let Some(cfg) = &export.db_config {
            sqlite.init_db_config(cfg)?;
        }
        for v in &export.volumes {
            sqlite.add_volume(v)?;
        }
        for p in &export.pods {
            sqlite.add_pod(p)?;
        }
        let records: Vec<ContainerRecord> =
            export.containers.iter().map(|c| c.record.clone()).collect();
        let n = records.len();
        sqlite.add_containers(&dependency_order(records))?;
        for c in &export.containers {
            for (net, opts) in &c.networks {
                sqlite.network_connect(&c.record.config.id, net, opts)?;
            }
            for s in &c.exec_sessions {
                sqlite.add_exec_session(&c.record.config.id, s)?;
            }
        }
        for e in &export.exit_codes {
            sqlite.add_container_exit_code(&e.id, e.code)?;
        }
        Ok(n)
    }

    /// Runs the migration.
    pub fn run(ctx: &mut Ctx<'_>) -> Result<(), CliError> {
        // Open the runtime on SQLite only to learn the paths, then close it.
        let rt = ctx.builder().database_backend("sqlite").build()?;
        let static_dir = rt.paths()?.static_dir.clone();
        let state = rt.state()?;
        if !state.all_containers(false)?.is_empty()
            || !state.all_pods()?.is_empty()
            || !state.all_volumes()?.is_empty()
        {
            return Err(CliError::Usage(
                "the SQLite state is not empty: refusing to migrate the BoltDB state into it"
                    .into(),
            ));
        }
        rt.shutdown(false)?;
        let bolt_path = static_dir.join("bolt_state.db");
        if !bolt_path.exists() {
            return Err(CliError::Usage(format!(
                "no BoltDB database to migrate at {}",
                bolt_path.display()
            )));
        }
        let bolt = BoltState::open_read_only(&bolt_path)?;
        let sqlite = SqliteState::open(&static_dir)?;
        match copy(&bolt, &sqlite) {
            Ok(n) => {
                bolt.close()?;
                sqlite.close()?;
                let aside = static_dir.join("bolt_state.db-old");
                std::fs::rename(&bolt_path, &aside).map_err(|e| {
                    Error::io(&bolt_path, e).context("renaming the migrated BoltDB file")
                })?;
                tracing::info!("migrated {n} containers from {}", bolt_path.display());
                ctx.write(&format!("Migrated {n} containers from BoltDB to SQLite\n"))
            }
            Err(e) => {
                // Leave no half-filled SQLite state behind: it was empty before.
                let _ = sqlite.close();
                let db = sqlite.path().to_path_buf();
                let _ = std::fs::remove_file(&db);
                Err(e.context("migrating the BoltDB state to SQLite").into())
            }
        }
    }
}

/// Copies the BoltDB state into SQLite (both backends must be compiled in).
pub fn run(ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    #[cfg(all(feature = "state-bolt", feature = "state-sqlite"))]
    {
        imp::run(ctx)
    }
    #[cfg(not(all(feature = "state-bolt", feature = "state-sqlite")))]
    {
        let _ = ctx;
        Err(CliError::Usage(
            "--migrate-db needs the cargo features `state-bolt` and `state-sqlite`".into(),
        ))
    }
}
