//! `rpod tag`, `untag`, `rmi`, `image prune`, `image exists`, `image mount`
//! and `image unmount`.

use std::io::BufRead;

use rpod_runtime_core::image::{ImagePruneOptions, ImageRemoveOptions, LabelFilter};

use crate::args::{
    ImageExistsArgs, ImageMountArgs, ImagePruneArgs, ImageUnmountArgs, RmiArgs, TagArgs, UntagArgs,
};
use crate::commands::Ctx;
use crate::commands::image::list::parse_filters;
use crate::commands::image::{is_image_unknown, print_error, storage};
use crate::exit::CliError;

/// Adds names to an image.
pub fn tag(args: &TagArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    storage(&rt)?;
    rt.tag_image(&args.image, &args.names)?;
    Ok(())
}

/// Removes names from an image (all of them when none is given).
pub fn untag(args: &UntagArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    storage(&rt)?;
    rt.untag_image(&args.image, &args.names)?;
    Ok(())
}

/// Removes images: `Untagged:`/`Deleted:` lines; exit 1 when only missing
/// images failed, 2 when one is in use, 125 otherwise (Podman's codes).
pub fn rmi(args: &RmiArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    if args.images.is_empty() && !args.all {
        return Err(CliError::Usage("image name or ID must be specified".into()));
    }
    if !args.images.is_empty() && args.all {
        return Err(CliError::Usage(
            "when using the --all switch, you may not pass any images names or IDs".into(),
        ));
    }
    let rt = ctx.runtime()?;
    storage(&rt)?;
    let (report, errors) = rt.remove_images(
        &args.images,
        &ImageRemoveOptions {
            all: args.all,
            force: args.force,
            ignore: args.ignore,
        },
    )?;
    let mut text = String::new();
    for n in &report.untagged {
        text.push_str(&format!("Untagged: {n}\n"));
    }
    for id in &report.deleted {
        text.push_str(&format!("Deleted: {id}\n"));
    }
    ctx.write(&text)?;
    if errors.is_empty() {
        return Ok(());
    }
    for e in &errors {
        print_error(e);
    }
    Err(CliError::Exit(report.exit_code))
}

/// Asks Podman's prune question on the terminal; false when declined.
fn confirm(ctx: &mut Ctx<'_>, warning: &str) -> Result<bool, CliError> {
    ctx.write(&format!(
        "WARNING! {warning}\nAre you sure you want to continue? [y/N] "
    ))?;
    let mut line = String::new();
    let n = std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    if n == 0 {
        return Err(CliError::Usage("EOF".into()));
    }
    Ok(line.trim().eq_ignore_ascii_case("y"))
}

/// Removes dangling images (with `-a`, every image no container uses)
/// and prints their IDs.
pub fn prune(args: &ImagePruneArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let filters = parse_filters(&args.filters)?;
    for (k, _) in &filters {
        if k != "label" && k != "label!" {
            return Err(CliError::Usage(format!(
                "{k} is an invalid filter for image prune"
            )));
        }
    }
    if !args.force {
        let warning = if args.all {
            "This command removes all images without at least one container associated with them."
        } else {
            "This command removes all dangling images."
        };
        if !confirm(ctx, warning)? {
            return Ok(());
        }
    }
    let rt = ctx.runtime()?;
    storage(&rt)?;
    let removed = rt.prune_images(&ImagePruneOptions {
        all: args.all,
        labels: filters
            .iter()
            .map(|(k, v)| LabelFilter::parse(v, k == "label!"))
            .collect(),
        until: None,
    })?;
    let text: String = removed.iter().map(|r| format!("{}\n", r.id)).collect();
    ctx.write(&text)
}

/// Exit 0 when the image exists, 1 when it does not.
pub fn exists(args: &ImageExistsArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    let store = storage(&rt)?;
    match store.lookup_image(&args.image) {
        Ok(_) => Ok(()),
        Err(e) if is_image_unknown(&e) => Err(CliError::Exit(1)),
        Err(e) => Err(e.into()),
    }
}

/// Mounts images read-only and prints their mount points.
pub fn mount(args: &ImageMountArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    let store = storage(&rt)?;
    let names: Vec<String> = if args.all {
        store.images()?.into_iter().map(|i| i.id).collect()
    } else {
        args.images.clone()
    };
    let mut text = String::new();
    for n in &names {
        let (_, path) = rt.mount_image(n)?;
        if names.len() == 1 && !args.all {
            text.push_str(&format!("{}\n", path.display()));
        } else {
            text.push_str(&format!("{n}\t{}\n", path.display()));
        }
    }
    ctx.write(&crate::format::align(&text))
}

/// Unmounts images and prints their IDs.
pub fn unmount(args: &ImageUnmountArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    if args.images.is_empty() && !args.all {
        return Err(CliError::Usage(
            "when using the --all switch, you may not pass any image names or IDs".into(),
        ));
    }
    let rt = ctx.runtime()?;
    let store = storage(&rt)?;
    let names: Vec<String> = if args.all {
        store.images()?.into_iter().map(|i| i.id).collect()
    } else {
        args.images.clone()
    };
    let mut text = String::new();
    for n in &names {
        let id = rt.unmount_image(n, args.force || args.all)?;
        if !args.all {
            text.push_str(&format!("{id}\n"));
        }
    }
    ctx.write(&text)
}
