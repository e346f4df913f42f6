//! `rpod volume ...`: parses flags, calls the engine's volume operations,
//! prints what Podman prints.

use std::collections::BTreeMap;
use std::io::BufRead;

use serde_json::Value;

use rpod_runtime_core::Error;
use rpod_runtime_core::runtime::{NewVolume, Runtime};
use rpod_runtime_core::system::PruneFilters;
use rpod_runtime_core::volume::{VolumeFilters, VolumeInspect, VolumeRemoveOptions};

use crate::args::{
    VolumeCommand, VolumeCreateArgs, VolumeExistsArgs, VolumeExportArgs, VolumeImportArgs,
    VolumeInspectArgs, VolumeLsArgs, VolumeNamesArgs, VolumePruneArgs, VolumeRmArgs,
};
use crate::commands::Ctx;
use crate::exit::CliError;
use crate::format;
use crate::output;

const DEFAULT_TABLE: &str = "table {{.Driver}}\t{{.Name}}";
const HEADERS: &[(&str, &str)] = &[("Name", "VOLUME NAME")];

/// Runs one `volume` subcommand.
pub fn dispatch(cmd: &VolumeCommand, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    match cmd {
        VolumeCommand::Create(a) => create(a, ctx),
        VolumeCommand::Ls(a) => ls(a, ctx),
        VolumeCommand::Inspect(a) => inspect(a, ctx),
        VolumeCommand::Rm(a) => rm(a, ctx),
        VolumeCommand::Prune(a) => prune(a, ctx),
        VolumeCommand::Exists(a) => exists(a, ctx),
        VolumeCommand::Export(a) => export(a, ctx),
        VolumeCommand::Import(a) => import(a, ctx),
        VolumeCommand::Mount(a) => mount(a, ctx),
        VolumeCommand::Unmount(a) => unmount(a, ctx),
        // No volume plugins: nothing to add or remove.
        VolumeCommand::Reload => Ok(()),
    }
}

/// `KEY=VALUE` list (a bare `KEY` has an empty value) as a map.
fn key_values(items: &[String]) -> BTreeMap<String, String> {
    items
        .iter()
        .map(|l| {
            let (k, v) = l.split_once('=').unwrap_or((l.as_str(), ""));
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn create(args: &VolumeCreateArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    let v = rt.new_volume(NewVolume {
        name: args.name.clone().unwrap_or_default(),
        driver: args.driver.clone(),
        options: key_values(&args.opts),
        labels: key_values(&args.labels),
        ignore_existing: args.ignore,
        anonymous: false,
    })?;
    ctx.write(&format!("{}\n", v.config.name))
}

/// A volume as `volume ls`/`inspect` JSON shows it (empty fields left
/// out, as Go's `omitempty` does).
fn record(v: &rpod_runtime_core::volume::VolumeRecord) -> Result<Value, CliError> {
    output::to_value(&VolumeInspect::from(v))
}

/// A volume as templates see it: every field of Podman's struct, zero
/// values included.
fn template_record(v: &rpod_runtime_core::volume::VolumeRecord) -> Result<Value, CliError> {
    let mut r = record(v)?;
    if let Value::Object(m) = &mut r {
        for (k, zero) in [
            ("UID", Value::from(0)),
            ("GID", Value::from(0)),
            ("Anonymous", Value::Bool(false)),
            ("NeedsCopyUp", Value::Bool(false)),
            ("NeedsChown", Value::Bool(false)),
            ("Status", Value::Object(serde_json::Map::new())),
            ("Timeout", Value::from(0)),
            ("StorageID", Value::from("")),
        ] {
            m.entry(k).or_insert(zero);
        }
    }
    Ok(r)
}

/// JSON as Podman's `volume ls --format json` writes it: two-space indent,
/// an empty object spread over three lines.
fn ls_json(v: &Value) -> Result<String, CliError> {
    let text = serde_json::to_string_pretty(v).map_err(|e| CliError::Usage(e.to_string()))?;
    let mut out = String::new();
    for line in text.lines() {
        let indent = line.len() - line.trim_start().len();
        match line.strip_suffix("{},").or_else(|| line.strip_suffix("{}")) {
            Some(head) if head.ends_with("\": ") => {
                let comma = if line.ends_with(',') { "," } else { "" };
                out.push_str(&format!(
                    "{head}{{\n{}\n{}}}{comma}\n",
                    " ".repeat(indent + 2),
                    " ".repeat(indent)
                ));
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
    Ok(out)
}

fn ls(args: &VolumeLsArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let filters = VolumeFilters::parse(&args.filters, chrono::Utc::now())?;
    let json = output::check_list_format(args.format.as_deref(), "ls")?;
    let rt = ctx.runtime()?;
    let list = rt.list_volumes(&filters)?;
    if json {
        let rows = list.iter().map(record).collect::<Result<Vec<_>, _>>()?;
        return ctx.write(&ls_json(&Value::Array(rows))?);
    }
    let rows = list
        .iter()
        .map(template_record)
        .collect::<Result<Vec<_>, _>>()?;
    let src = match args.format.as_deref() {
        Some(f) if !f.is_empty() => f.to_string(),
        _ if args.quiet => "{{.Name}}\n".to_string(),
        _ => DEFAULT_TABLE.to_string(),
    };
    let headers = (!args.noheading).then_some(HEADERS);
    output::write_list(ctx, "ls", &src, &rows, headers, &format::VOLUME)
}

fn inspect(args: &VolumeInspectArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    if args.all != args.names.is_empty() {
        return Err(CliError::Usage(
            "provide one or more volume names or use --all".into(),
        ));
    }
    let json = output::check_list_format(args.format.as_deref(), "inspect")?;
    let rt = ctx.runtime()?;
    let mut records = Vec::new();
    let mut missing = None;
    let vols = if args.all {
        rt.list_volumes(&VolumeFilters::default())?
    } else {
        let mut found = Vec::new();
        for n in &args.names {
            match rt.lookup_volume(n) {
                Ok(v) => found.push(v),
                Err(e) if e.is(&Error::NoSuchVolume) => {
                    missing.get_or_insert_with(|| n.clone());
                }
                Err(e) => return Err(e.into()),
            }
        }
        found
    };
    let templated = matches!(args.format.as_deref(), Some(src) if !json && !src.is_empty());
    for v in &vols {
        records.push(if templated {
            template_record(v)?
        } else {
            record(v)?
        });
    }
    match args.format.as_deref() {
        Some(src) if templated => {
            output::write_inspect(ctx, src, &records, &format::VOLUME)?;
        }
        _ => ctx.write(&crate::commands::image::inspect_json(&Value::Array(
            records,
        ))?)?,
    }
    match missing {
        Some(n) => Err(CliError::Usage(format!(
            "inspecting object: no such volume {n}"
        ))),
        None => Ok(()),
    }
}

/// Podman's `volume rm` codes: 1 for a missing volume, 2 for one in use.
fn rm_code(e: &Error) -> i32 {
    if e.is(&Error::NoSuchVolume) {
        1
    } else if e.is(&Error::VolumeBeingUsed) {
        2
    } else {
        crate::exit::engine_exit_code(e)
    }
}

fn rm(args: &VolumeRmArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    if args.all != args.names.is_empty() {
        return Err(CliError::Usage(
            "choose either one or more volumes or all".into(),
        ));
    }
    if args.time.is_some() && !args.force {
        return Err(CliError::Usage(
            "--force option must be specified to use the --time option".into(),
        ));
    }
    let rt = ctx.runtime()?;
    let names: Vec<String> = if args.all {
        rt.list_volumes(&VolumeFilters::default())?
            .into_iter()
            .map(|v| v.config.name)
            .collect()
    } else {
        args.names.clone()
    };
    let opts = VolumeRemoveOptions {
        force: args.force,
        timeout: args.time,
    };
    let mut code = None;
    for n in &names {
        match rt.remove_volume(n, opts) {
            Ok(name) => ctx.write(&format!("{name}\n"))?,
            Err(e) if args.force && e.is(&Error::NoSuchVolume) => {}
            Err(e) => {
                let c = rm_code(&e);
                crate::report(&CliError::Engine(e), &mut std::io::stderr());
                code = Some(c);
            }
        }
    }
    code.map_or(Ok(()), |c| Err(CliError::Exit(c)))
}

fn prune(args: &VolumePruneArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let filters = PruneFilters::parse(&args.filters, chrono::Utc::now())?;
    let rt = ctx.runtime()?;
    if !args.force && !confirm_prune(&rt, &args.filters, ctx)? {
        return Ok(());
    }
    let removed = rt.prune_volumes_filtered(&filters)?;
    let text: String = removed.iter().map(|r| format!("{}\n", r.id)).collect();
    ctx.write(&text)
}

/// Lists what a prune would remove and asks; false when the answer is no
/// or nothing would go.
fn confirm_prune(rt: &Runtime, specs: &[String], ctx: &mut Ctx<'_>) -> Result<bool, CliError> {
    ctx.write(
        "WARNING! This will remove all volumes not used by at least one container. The following volumes will be removed:\n",
    )?;
    let mut all = specs.to_vec();
    all.push("dangling=true".into());
    let filters = VolumeFilters::parse(&all, chrono::Utc::now())?;
    let unused = rt.list_volumes(&filters)?;
    if unused.is_empty() {
        ctx.write("No dangling volumes found\n")?;
        return Ok(false);
    }
    let names: String = unused
        .iter()
        .map(|v| format!("{}\n", v.config.name))
        .collect();
    ctx.write(&names)?;
    ctx.write("Are you sure you want to continue? [y/N] ")?;
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

fn exists(args: &VolumeExistsArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    if rt.volume_exists(&args.name)? {
        Ok(())
    } else {
        Err(CliError::Exit(1))
    }
}

fn export(args: &VolumeExportArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    use std::io::IsTerminal;
    let rt = ctx.runtime()?;
    match &args.output {
        Some(path) => {
            let file = std::fs::File::create(path)
                .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?;
            rt.export_volume(&args.name, file)?;
        }
        None => {
            if std::io::stdout().is_terminal() {
                return Err(CliError::Usage(
                    "cannot write to terminal, use command-line redirection or the --output flag"
                        .into(),
                ));
            }
            rt.export_volume(&args.name, std::io::stdout().lock())?;
        }
    }
    Ok(())
}

fn import(args: &VolumeImportArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    if args.source == "-" {
        rt.import_volume(&args.name, std::io::stdin().lock())?;
    } else {
        let file = std::fs::File::open(&args.source)
            .map_err(|e| CliError::Usage(format!("{}: {e}", args.source)))?;
        rt.import_volume(&args.name, file)?;
    }
    Ok(())
}

fn mount(args: &VolumeNamesArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    for n in &args.names {
        let path = rt.mount_volume_by_user(n)?;
        ctx.write(&format!("{path}\n"))?;
    }
    Ok(())
}

fn unmount(args: &VolumeNamesArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    let names: Vec<String> = if args.all {
        rt.list_volumes(&VolumeFilters::default())?
            .into_iter()
            .map(|v| v.config.name)
            .collect()
    } else {
        args.names.clone()
    };
    for n in &names {
        rt.unmount_volume_by_user(n)?;
        if !args.all {
            ctx.write(&format!("{n}\n"))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ls_json_spreads_empty_objects_as_podman() {
        let v = serde_json::json!([{"Name": "v", "Labels": {}, "Options": {"a": "{}"}}]);
        assert_eq!(
            ls_json(&v).unwrap(),
            "[\n  {\n    \"Name\": \"v\",\n    \"Labels\": {\n      \n    },\n    \"Options\": {\n      \"a\": \"{}\"\n    }\n  }\n]\n"
        );
    }
}
