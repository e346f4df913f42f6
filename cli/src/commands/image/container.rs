//! `rpod mount`, `unmount`, `diff`, `export` and `commit`: a container's
//! root filesystem in storage (the storage container's ID is the
//! container's ID), and `rpod image diff`.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};

use serde_json::{Value, json};

use rpod_runtime_core::Error;
use rpod_runtime_core::container::{CommitOptions, Container};
use rpod_runtime_core::runtime::Runtime;
use rpod_runtime_core::storage::Change;

use crate::args::{CommitArgs, DiffArgs, ExportArgs, ImageDiffArgs, MountArgs, UnmountArgs};
use crate::commands::Ctx;
use crate::commands::image::{inspect_json, print_error, short_id, storage};
use crate::exit::CliError;

/// An I/O error's text without Rust's ` (os error N)` suffix.
pub(crate) fn io_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => {
            let t = &s[..i];
            let mut cs = t.chars();
            cs.next()
                .map(|f| f.to_lowercase().collect::<String>() + cs.as_str())
                .unwrap_or_default()
        }
        None => s,
    }
}

fn targets(
    rt: &Runtime,
    names: &[String],
    all: bool,
) -> Result<Vec<(String, Container)>, CliError> {
    if all {
        return Ok(rt
            .containers()?
            .into_iter()
            .map(|c| (c.id().to_string(), c))
            .collect());
    }
    names
        .iter()
        .map(|n| Ok((n.clone(), rt.lookup_container(n)?)))
        .collect()
}

/// Mounts containers' root filesystems and prints the mount points.
pub fn mount(args: &MountArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    storage(&rt)?;
    let list = targets(&rt, &args.containers, args.all)?;
    let single = list.len() == 1 && !args.all;
    let mut text = String::new();
    let mut last: Option<CliError> = None;
    for (_, c) in &list {
        match c.mount() {
            Ok(path) => {
                if single {
                    text.push_str(&format!("{}\n", path.display()));
                } else {
                    let id = if args.no_trunc {
                        c.id()
                    } else {
                        short_id(c.id())
                    };
                    text.push_str(&format!("{id}\t{}\n", path.display()));
                }
            }
            Err(e) => {
                if let Some(prev) = last.replace(e.into()) {
                    print_error(&prev);
                }
            }
        }
    }
    ctx.write(&crate::format::align(&text))?;
    last.map_or(Ok(()), Err)
}

/// Unmounts containers' root filesystems and prints the names given.
pub fn unmount(args: &UnmountArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    if args.containers.is_empty() && !args.all {
        return Err(CliError::Usage(
            "container ID must be specified or --all".into(),
        ));
    }
    let rt = ctx.runtime()?;
    storage(&rt)?;
    let list = targets(&rt, &args.containers, args.all)?;
    let mut text = String::new();
    let mut last: Option<CliError> = None;
    for (given, c) in &list {
        match c.unmount(args.force || args.all) {
            Ok(()) => {
                text.push_str(&format!("{given}\n"));
            }
            Err(e) if args.all && e.is(&Error::NoSuchCtr) => {}
            Err(e) => {
                if let Some(prev) = last.replace(e.into()) {
                    print_error(&prev);
                }
            }
        }
    }
    ctx.write(&text)?;
    last.map_or(Ok(()), Err)
}

fn write_changes(
    ctx: &mut Ctx<'_>,
    changes: &[Change],
    format: Option<&str>,
) -> Result<(), CliError> {
    match format {
        Some("json") => {
            let pick = |k: char| -> Vec<&str> {
                changes
                    .iter()
                    .filter(|c| c.kind == k)
                    .map(|c| c.path.as_str())
                    .collect()
            };
            let mut m = serde_json::Map::new();
            for (key, kind) in [("changed", 'C'), ("added", 'A'), ("deleted", 'D')] {
                let v = pick(kind);
                if !v.is_empty() {
                    m.insert(key.into(), json!(v));
                }
            }
            ctx.write(&inspect_json(&Value::Object(m))?)
        }
        Some(other) if !other.is_empty() => Err(CliError::Usage(
            "only supported value for '--format' is 'json'".into(),
        )),
        _ => {
            let s: String = changes
                .iter()
                .map(|c| format!("{} {}\n", c.kind, c.path))
                .collect();
            ctx.write(&s)
        }
    }
}

/// `rpod diff`: a container's changes, or an image's.
pub fn diff(args: &DiffArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let name = match (args.latest, &args.name) {
        (true, Some(_)) => {
            return Err(CliError::Usage(
                "--latest and containers cannot be used together".into(),
            ));
        }
        (false, None) => {
            return Err(CliError::Usage(
                "\"rpod diff\" requires a name, id, or the \"--latest\" flag".into(),
            ));
        }
        (_, Some(n)) => n.clone(),
        (true, None) => String::new(),
    };
    let rt = ctx.runtime()?;
    storage(&rt)?;
    let found = if args.latest {
        rt.latest_container()?.ok_or(Error::NoSuchCtr)
    } else {
        rt.lookup_container(&name)
    };
    let changes = match found {
        Ok(c) => c.changes()?,
        Err(e) if e.is(&Error::NoSuchCtr) && !args.latest => match rt.image_changes(&name) {
            Ok(ch) => ch,
            Err(ie) if super::is_image_unknown(&ie) => {
                return Err(CliError::Usage(format!(
                    "{name} not found: layer not known"
                )));
            }
            Err(e) => return Err(e.into()),
        },
        Err(e) => return Err(e.into()),
    };
    write_changes(ctx, &changes, args.format.as_deref())
}

/// `rpod image diff`.
pub fn image_diff(args: &ImageDiffArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    storage(&rt)?;
    let changes = rt.image_changes(&args.name)?;
    write_changes(ctx, &changes, args.format.as_deref())
}

/// Writes a container's root filesystem as a tar (to `-o` or standard output).
pub fn export(args: &ExportArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    if args.output.is_none() && std::io::stdout().is_terminal() {
        return Err(CliError::Usage(
            "refusing to export to terminal. Use -o flag or redirect".into(),
        ));
    }
    let rt = ctx.runtime()?;
    storage(&rt)?;
    let c = rt.lookup_container(&args.container)?;
    match &args.output {
        Some(path) => {
            let f = File::create(path).map_err(|e| {
                CliError::Usage(format!("creating {}: {}", path.display(), io_text(&e)))
            })?;
            let mut w = BufWriter::new(f);
            let r = c
                .export(&mut w)
                .and_then(|()| w.flush().map_err(|e| Error::io(path, e)));
            if r.is_err() {
                let _ = std::fs::remove_file(path);
            }
            r?;
        }
        None => {
            let mut w = BufWriter::new(&mut *ctx.out);
            c.export(&mut w)?;
            w.flush()
                .map_err(|e| CliError::Usage(format!("writing output: {e}")))?;
        }
    }
    Ok(())
}

/// Makes an image of a container's root filesystem; prints its ID (and,
/// without `-q`, Podman's copy report on standard error first).
pub fn commit(args: &CommitArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    storage(&rt)?;
    let c = rt.lookup_container(&args.container)?;
    let rec = c.commit(&CommitOptions {
        name: args.image.clone(),
        changes: args.changes.clone(),
        message: args.message.clone().unwrap_or_default(),
    })?;
    if !args.quiet {
        let blobs = rt.image_layer_digests(&rec.id)?;
        let mut err = std::io::stderr().lock();
        for line in rpod_runtime_core::image::copy_report(&blobs, &rec.id) {
            let _ = writeln!(err, "{line}");
        }
    }
    ctx.write(&format!("{}\n", rec.id))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_errors_read_like_go() {
        let e = std::io::Error::from_raw_os_error(libc::ENOENT);
        assert_eq!(io_text(&e), "no such file or directory");
    }
}
