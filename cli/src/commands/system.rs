//! `rpod system renumber|migrate|reset|prune|df`.

use std::io::BufRead;
use std::path::{Path, PathBuf};

use serde_json::json;

use rpod_runtime_core::Error;
use rpod_runtime_core::container::{Container, ContainerStatus, RemoveOptions};

use crate::args::{DfArgs, MigrateArgs, ResetArgs, SystemPruneArgs};
use crate::commands::Ctx;
use crate::commands::util::{dir_size, human_size};
use crate::exit::CliError;
use crate::output::{self, OutputFormat};

/// Reallocates every lock (the work happens while the runtime starts).
pub fn renumber(ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.builder().renumber(true).build()?;
    rt.shutdown(false)?;
    Ok(())
}

/// Stops running containers and optionally moves them to another OCI runtime.
pub fn migrate(args: &MigrateArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    if args.migrate_db {
        super::migrate_db::run(ctx)?;
    }
    let rt = ctx
        .builder()
        .migrate(true, args.new_runtime.clone())
        .build()?;
    rt.shutdown(false)?;
    Ok(())
}

/// Asks on the terminal; true for `y`/`yes`.
fn confirm(prompt: &str) -> bool {
    use std::io::Write;
    let mut err = std::io::stderr();
    let _ = write!(err, "{prompt}");
    let _ = err.flush();
    let mut line = String::new();
    let _ = std::io::stdin().lock().read_line(&mut line);
    matches!(line.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// Refuses paths reset must never delete.
fn safe_to_delete(p: &Path) -> bool {
    #[allow(clippy::disallowed_methods)]
    let xdg = std::env::var_os("XDG_RUNTIME_DIR").map(PathBuf::from);
    let canon = std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf());
    !(canon.as_os_str().is_empty()
        || canon == Path::new("/")
        || canon.parent().is_none()
        || xdg.is_some_and(|x| std::fs::canonicalize(&x).unwrap_or(x) == canon)
        || [
            "/home", "/root", "/usr", "/etc", "/var", "/run", "/tmp", "/var/lib",
        ]
        .iter()
        .any(|d| canon == Path::new(d)))
}

/// Removes every container, pod and volume rpod owns, then its directories.
pub fn reset(args: &ResetArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    if !args.force
        && !confirm(
            "WARNING! This will remove:\n        - all containers\n        - all pods\n        - all images\n        - all networks\n        - all build cache\n        - all machines\n        - all volumes\nAre you sure you want to continue? [y/N] ",
        )
    {
        return Ok(());
    }
    let rt = ctx.builder().reset(true).build()?;
    let mut all = rt.containers()?;
    let opts = RemoveOptions {
        force: true,
        volumes: true,
        timeout: Some(0),
    };
    let results = Container::remove_many(&mut all, opts);
    for (c, r) in all.iter().zip(results) {
        match r {
            Ok(()) => {}
            Err(e) if e.is(&Error::CtrRemoved) => {}
            Err(e) => tracing::error!("removing container {}: {e}", c.id()),
        }
    }
    let state = rt.state()?;
    for pod in state.all_pods()? {
        if let Err(e) = state.remove_pod(&pod.config.id) {
            tracing::error!("removing pod {}: {e}", pod.config.id);
        }
    }
    for vol in state.all_volumes()? {
        if let Err(e) = state.remove_volume(&vol.config.name) {
            tracing::error!("removing volume {}: {e}", vol.config.name);
        }
    }
    if let Some(storage) = rt.storage()? {
        for img in storage.images()? {
            if img.read_only {
                continue;
            }
            if let Err(e) = storage.remove_image(&img.id) {
                tracing::error!("removing image {}: {e}", img.id);
            }
        }
    }
    rt.lock_manager()?.free_all()?;
    let paths = rt.paths()?.clone();
    rt.shutdown(true)?;
    let mut dirs = vec![
        paths.graph_root.clone(),
        paths.run_root.clone(),
        paths.tmp_dir.clone(),
        paths.static_dir.clone(),
        paths.volume_path.clone(),
    ];
    dirs.dedup();
    for d in dirs {
        if !safe_to_delete(&d) {
            tracing::error!("refusing to remove {}", d.display());
            continue;
        }
        match std::fs::remove_dir_all(&d) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Error::io(&d, e).context("removing").into()),
        }
    }
    Ok(())
}

/// Removes stopped containers (and with `--volumes`, unused volumes).
pub fn prune(args: &SystemPruneArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    if !args.force
        && !confirm(
            "WARNING! This command removes:\n        - all stopped containers\n        - all networks not used by at least one container\n        - all dangling images\n        - all dangling build cache\n\nAre you sure you want to continue? [y/N] ",
        )
    {
        return Ok(());
    }
    let rt = ctx.runtime()?;
    let removed = super::container::remove_stopped(&rt)?;
    let mut text = String::new();
    if !removed.is_empty() {
        text.push_str("Deleted Containers\n");
        for id in &removed {
            text.push_str(id);
            text.push('\n');
        }
    }
    if args.volumes {
        let state = rt.state()?;
        let mut vols = Vec::new();
        for v in state.all_volumes()? {
            if state.volume_in_use(&v.config.name)?.is_empty() {
                state.remove_volume(&v.config.name)?;
                let dir = rt.paths()?.volume_path.join(&v.config.name);
                let _ = std::fs::remove_dir_all(dir);
                vols.push(v.config.name);
            }
        }
        if !vols.is_empty() {
            text.push_str("Deleted Volumes\n");
            for v in vols {
                text.push_str(&v);
                text.push('\n');
            }
        }
    }
    text.push_str("Total reclaimed space: 0B\n");
    ctx.write(&text)
}

/// Shows disk usage by images, containers and volumes.
pub fn df(args: &DfArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let fmt = OutputFormat::parse(args.format.as_deref())?;
    let rt = ctx.runtime()?;
    let ctrs = rt.containers()?;
    let active = ctrs
        .iter()
        .filter(|c| {
            matches!(
                c.state().state,
                ContainerStatus::Running | ContainerStatus::Paused
            )
        })
        .count();
    let ctr_size: u64 = ctrs.iter().map(|c| dir_size(&c.bundle_dir())).sum();
    let (img_total, img_size) = match rt.storage()? {
        Some(s) => {
            let imgs = s.images()?;
            (imgs.len(), imgs.iter().map(|i| i.size).sum())
        }
        None => (0, 0),
    };
    let state = rt.state()?;
    let vols = state.all_volumes()?;
    let vol_active = vols
        .iter()
        .filter(|v| {
            state
                .volume_in_use(&v.config.name)
                .is_ok_and(|u| !u.is_empty())
        })
        .count();
    let vol_size: u64 = vols
        .iter()
        .map(|v| dir_size(Path::new(&v.config.mount_point)))
        .sum();
    let rows = vec![
        json!({"Type": "Images", "Total": img_total, "Active": 0, "Size": human_size(img_size), "Reclaimable": human_size(img_size)}),
        json!({"Type": "Containers", "Total": ctrs.len(), "Active": active, "Size": human_size(ctr_size), "Reclaimable": human_size(ctr_size)}),
        json!({"Type": "Local Volumes", "Total": vols.len(), "Active": vol_active, "Size": human_size(vol_size), "Reclaimable": human_size(vol_size)}),
    ];
    let text = match fmt {
        OutputFormat::Json => output::pretty_json(&serde_json::Value::Array(rows))?,
        OutputFormat::Template(t) => {
            let mut s = String::new();
            for r in &rows {
                s.push_str(&output::execute(&t, r)?);
            }
            s
        }
        OutputFormat::Default => crate::format::render_table(
            "table {{.Type}}\t{{.Total}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
            &rows,
            Some(&[]),
        )
        .map_err(|e| CliError::Usage(e.to_string()))?,
    };
    ctx.write(&text)
}
