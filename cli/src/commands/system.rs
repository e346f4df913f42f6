//! `rpod system renumber|migrate|reset|prune|df`.

use std::io::BufRead;
use std::path::PathBuf;

use serde_json::json;

use rpod_runtime_core::system::{
    CheckOptions, CheckReport, DfReport, PruneFilters, ResetOptions, SystemPruneOptions,
};

use crate::args::{CheckArgs, DfArgs, MigrateArgs, ResetArgs, SystemPruneArgs};
use crate::commands::Ctx;
use crate::commands::util::human_duration;
use crate::exit::CliError;
use crate::output;

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
    #[allow(clippy::disallowed_methods)]
    let protected = std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    rt.reset(&ResetOptions { protected })?;
    Ok(())
}

/// Go's `units.HumanSize` (four significant digits), which Podman's
/// `system df` and `system prune` print sizes with.
fn go_human_size(n: u64) -> String {
    rpod_runtime_core::config::human_size(n as f64, 4)
}

/// The warning `system prune` shows before asking, as Podman words it.
fn prune_warning(all: bool, volumes: bool) -> String {
    let volumes = if volumes {
        "\n\t- all volumes not used by at least one container"
    } else {
        ""
    };
    let (images, cache) = if all {
        (
            "all images without at least one container associated with them",
            "all build cache",
        )
    } else {
        ("all dangling images", "all dangling build cache")
    };
    format!(
        "WARNING! This command removes:\n\t- all stopped containers\n\t- all networks not used by at least one container{volumes}\n\t- {images}\n\t- {cache}\n\nAre you sure you want to continue? [y/N] "
    )
}

/// Prints `prompt` on stdout and reads the answer: true when it starts with
/// `y`/`Y`; end of input is an error (`EOF`), as in Podman.
fn ask(ctx: &mut Ctx<'_>, prompt: &str) -> Result<bool, CliError> {
    ctx.write(prompt)?;
    let mut line = String::new();
    let n = std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    if n == 0 {
        return Err(CliError::Usage("EOF".into()));
    }
    Ok(line.starts_with(['y', 'Y']))
}

/// Removes stopped containers, dangling (with `-a` all unused) images and,
/// with `--volumes`, unused volumes; prints each section and the total.
pub fn prune(args: &SystemPruneArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    if !args.force && !ask(ctx, &prune_warning(args.all, args.volumes))? {
        return Ok(());
    }
    let filters = PruneFilters::parse(&args.filters, chrono::Utc::now())?;
    let rt = ctx.runtime()?;
    let report = rt.system_prune(&SystemPruneOptions {
        all: args.all,
        volumes: args.volumes,
        filters,
    })?;
    let mut text = String::new();
    for (title, reports) in [
        ("Deleted Containers", &report.container_prune_reports),
        ("Deleted Volumes", &report.volume_prune_reports),
        ("Deleted Images", &report.image_prune_reports),
    ] {
        if !reports.is_empty() {
            text.push_str(title);
            text.push('\n');
            for r in reports {
                text.push_str(&r.id);
                text.push('\n');
            }
        }
    }
    text.push_str(&format!(
        "Total reclaimed space: {}\n",
        go_human_size(report.reclaimed_space)
    ));
    ctx.write(&text)
}

/// Shows disk usage by images, containers and volumes: the summary (with
/// `--format`, a template or `json` over it), or with `-v` every object.
pub fn df(args: &DfArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let json = output::check_list_format(args.format.as_deref(), "df")?;
    let rt = ctx.runtime()?;
    let report = rt.df()?;
    if args.verbose {
        return df_verbose(&report, ctx);
    }
    if json {
        let rows = output::to_value(&report.rows())?;
        return ctx.write(&output::pretty_json(&rows)?);
    }
    let rows: Vec<serde_json::Value> = report
        .rows()
        .iter()
        .map(|r| {
            json!({
                "Type": r.kind,
                "Total": r.total,
                "Active": r.active,
                "Size": go_human_size(r.size),
                "Reclaimable": format!("{} ({}%)", go_human_size(r.reclaimable), r.reclaimable_percent()),
                "RawSize": r.size,
                "RawReclaimable": r.reclaimable,
            })
        })
        .collect();
    let src = match args.format.as_deref() {
        Some(src) if !src.is_empty() => src,
        _ => "table {{.Type}}\t{{.Total}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}",
    };
    output::write_list(ctx, "df", src, &rows, Some(&[]), &crate::format::DF)
}

/// The first 12 characters of an ID (all of a shorter one).
fn short(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// One `df -v` section: its title, table template, rows and header names.
type DfSection<'a> = (
    &'a str,
    &'a str,
    &'a [serde_json::Value],
    &'a [(&'a str, &'a str)],
);

/// `df -v`: the images, containers and volumes sections, each a table.
fn df_verbose(report: &DfReport, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let now = chrono::Utc::now();
    let since = |t: &chrono::DateTime<chrono::Utc>| human_duration((now - *t).num_seconds());
    let images: Vec<serde_json::Value> = report
        .image_rows
        .iter()
        .map(|i| {
            json!({
                "Repository": i.repository,
                "Tag": i.tag,
                "ImageID": short(&i.image_id),
                "Created": since(&i.created),
                "Size": go_human_size(i.size),
                "SharedSize": go_human_size(i.shared_size),
                "UniqueSize": go_human_size(i.unique_size),
                "Containers": i.containers,
            })
        })
        .collect();
    let containers: Vec<serde_json::Value> = report
        .container_rows
        .iter()
        .map(|c| {
            json!({
                "ContainerID": short(&c.container_id),
                "Image": short(&c.image),
                "Command": c.command.join(" "),
                "LocalVolumes": c.local_volumes,
                "RWSize": go_human_size(c.rw_size),
                "Created": since(&c.created),
                "Status": c.status,
                "Names": c.names,
            })
        })
        .collect();
    let volumes: Vec<serde_json::Value> = report
        .volume_rows
        .iter()
        .map(|v| {
            json!({
                "VolumeName": v.volume_name,
                "Links": v.links,
                "Size": go_human_size(v.size),
            })
        })
        .collect();
    let sections: [DfSection<'_>; 3] = [
        (
            "Images space usage:\n\n",
            "table {{.Repository}}\t{{.Tag}}\t{{.ImageID}}\t{{.Created}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}",
            &images,
            &[
                ("ImageID", "IMAGE ID"),
                ("SharedSize", "SHARED SIZE"),
                ("UniqueSize", "UNIQUE SIZE"),
            ],
        ),
        (
            "\nContainers space usage:\n\n",
            "table {{.ContainerID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.RWSize}}\t{{.Created}}\t{{.Status}}\t{{.Names}}",
            &containers,
            &[
                ("ContainerID", "CONTAINER ID"),
                ("LocalVolumes", "LOCAL VOLUMES"),
                ("RWSize", "SIZE"),
            ],
        ),
        (
            "\nLocal Volumes space usage:\n\n",
            "table {{.VolumeName}}\t{{.Links}}\t{{.Size}}",
            &volumes,
            &[("VolumeName", "VOLUME NAME")],
        ),
    ];
    for (title, src, rows, headers) in sections {
        ctx.write(title)?;
        output::write_list(ctx, "df", src, rows, Some(headers), &crate::format::DF)?;
    }
    Ok(())
}

/// `system check`: prints each problem found (and, with `--repair` or
/// `--force`, what was done), then checks again after a repair. Exits 125
/// when damage is left, as Podman does.
pub fn check(args: &CheckArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let max_age = rpod_runtime_core::time::parse_go_duration(&args.max)?;
    let opts = CheckOptions {
        repair: args.repair,
        force: args.force,
        quick: args.quick,
        max_age,
    };
    let rt = ctx.runtime()?;
    let report = rt.system_check(&opts)?;
    ctx.write(&check_text(&report))?;
    if !args.repair && !args.force {
        if report.damaged() {
            return Err(CliError::Usage("damage detected in local storage".into()));
        }
        return Ok(());
    }
    let again = rt.system_check(&CheckOptions {
        repair: false,
        force: false,
        ..opts
    })?;
    if again.damaged() {
        return Err(CliError::Usage(
            "damage in local storage still present after repair attempt".into(),
        ));
    }
    Ok(())
}

/// One line per finding, and one per repair.
fn check_text(report: &CheckReport) -> String {
    let mut text = String::new();
    for f in &report.findings {
        text.push_str(&f.damage.describe());
        text.push('\n');
        if f.repaired {
            text.push_str("  repaired\n");
        } else if let Some(e) = &f.error {
            text.push_str(&format!("  repair failed: {e}\n"));
        }
    }
    text
}
