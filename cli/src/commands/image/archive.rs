//! `rpod import`, `rpod load` and `rpod save`: images in and out of tarballs.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Read, Write};

use rpod_runtime_core::storage::{ArchiveFormat, ImportOptions};

use crate::args::{ImportArgs, LoadArgs, SaveArgs};
use crate::commands::Ctx;
use crate::commands::image::progress::Progress;
use crate::commands::image::storage;
use crate::exit::CliError;

/// Opens `path` for reading with Podman's wording for a missing file.
fn open_input(path: &std::path::Path) -> Result<(File, u64), CliError> {
    let f = File::open(path).map_err(|e| {
        CliError::Usage(format!(
            "stat {}: {}",
            path.display(),
            crate::commands::image::container::io_text(&e)
        ))
    })?;
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    Ok((f, len))
}

/// Imports a root filesystem tarball as an image and prints its ID.
pub fn import(args: &ImportArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    storage(&rt)?;
    let opts = ImportOptions {
        names: args.reference.iter().cloned().collect(),
        changes: args.changes.clone(),
        message: args.message.clone().unwrap_or_default(),
    };
    let rec = if args.path == "-" {
        let p = Progress::new(args.quiet, None, "Importing");
        let mut r = p.reader(std::io::stdin().lock());
        let rec = rt.import_image(&mut r, &opts);
        p.finish();
        rec?
    } else {
        let (f, len) = open_input(std::path::Path::new(&args.path))?;
        let p = Progress::new(args.quiet, Some(len), "Importing");
        let mut r = p.reader(f);
        let rec = rt.import_image(&mut r, &opts);
        p.finish();
        rec?
    };
    ctx.write(&format!("sha256:{}\n", rec.id))
}

/// Loads images from a docker-archive or oci-archive and prints their names.
pub fn load(args: &LoadArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let input: (Box<dyn Read>, Option<u64>) = match &args.input {
        Some(p) => {
            let (f, len) = open_input(p)?;
            (Box::new(f), Some(len))
        }
        None => {
            if std::io::stdin().is_terminal() {
                return Err(CliError::Usage(
                    "cannot read from terminal, use command-line redirection or the --input flag"
                        .into(),
                ));
            }
            (Box::new(std::io::stdin().lock()), None)
        }
    };
    let rt = ctx.runtime()?;
    storage(&rt)?;
    let p = Progress::new(args.quiet, input.1, "Loading");
    let mut r = p.reader(input.0);
    let recs = rt.load_images(&mut r);
    p.finish();
    let recs = recs?;
    let mut text = String::new();
    for rec in &recs {
        if rec.names.is_empty() {
            text.push_str(&format!("Loaded image: sha256:{}\n", rec.id));
        }
        for n in &rec.names {
            text.push_str(&format!("Loaded image: {n}\n"));
        }
    }
    ctx.write(&text)
}

fn archive_format(s: &str) -> Result<ArchiveFormat, CliError> {
    match s {
        "docker-archive" => Ok(ArchiveFormat::DockerArchive),
        "oci-archive" => Ok(ArchiveFormat::OciArchive),
        "oci-dir" => Ok(ArchiveFormat::OciDir),
        "docker-dir" => Err(CliError::Usage(
            "format docker-dir is not supported by this build's storage".into(),
        )),
        _ => Err(CliError::Usage(
            "format value must be one of oci-dir oci-archive docker-dir docker-archive".into(),
        )),
    }
}

/// Writes images to an archive (a file, a directory, or standard output).
pub fn save(args: &SaveArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let format = archive_format(&args.format)?;
    if args.output.is_none() {
        if format == ArchiveFormat::OciDir {
            return Err(CliError::Usage(
                "--output is required with --format oci-dir".into(),
            ));
        }
        if std::io::stdout().is_terminal() {
            return Err(CliError::Usage(
                "refusing to save to terminal. Use -o flag or redirect".into(),
            ));
        }
    }
    let rt = ctx.runtime()?;
    storage(&rt)?;
    let sel = rt.save_selection(&args.images)?;
    let quiet = args.quiet || args.output.is_none();
    let result = match (&args.output, format) {
        (Some(dir), ArchiveFormat::OciDir) => {
            rt.save_images(&sel, format, &mut std::io::sink(), Some(dir))
        }
        (Some(path), _) => {
            let f = File::create(path)
                .map_err(|e| CliError::Usage(format!("creating {}: {e}", path.display())))?;
            let p = Progress::new(quiet, None, "Saving");
            let mut w = p.writer(BufWriter::new(f));
            let r = rt
                .save_images(&sel, format, &mut w, None)
                .and_then(|()| w.flush().map_err(|e| rpod_runtime_core::Error::io(path, e)));
            p.finish();
            if r.is_err() {
                let _ = std::fs::remove_file(path);
            }
            r
        }
        (None, _) => {
            let mut w = BufWriter::new(&mut *ctx.out);
            rt.save_images(&sel, format, &mut w, None).and_then(|()| {
                w.flush()
                    .map_err(|e| rpod_runtime_core::Error::msg(format!("writing output: {e}")))
            })
        }
    };
    result?;
    Ok(())
}
