//! `rpod tag`, `untag`, `rmi`, `image prune`, `image exists`, `image mount`
//! and `image unmount`.

use std::io::BufRead;

use rpod_runtime_core::Error;
use rpod_runtime_core::events::EventStatus;
use rpod_runtime_core::image::{ImagePruneOptions, LabelFilter, image_summaries};
use rpod_runtime_core::storage::{ImageRecord, Storage};

use crate::args::{
    ImageExistsArgs, ImageMountArgs, ImagePruneArgs, ImageUnmountArgs, RmiArgs, TagArgs, UntagArgs,
};
use crate::commands::Ctx;
use crate::commands::image::list::parse_filters;
use crate::commands::image::{
    emit, is_image_in_use, is_image_unknown, print_error, refers_by_id, storage,
};
use crate::exit::CliError;

/// The stored form of a name for messages (`x` → `localhost/x:latest`).
fn normalized(name: &str) -> String {
    let (first, _) = name.split_once('/').unwrap_or(("", name));
    let mut full = if first.contains('.') || first.contains(':') || first == "localhost" {
        name.to_string()
    } else {
        format!("localhost/{name}")
    };
    let last = full.rsplit('/').next().unwrap_or("");
    if !last.contains(':') && !full.contains('@') {
        full.push_str(":latest");
    }
    full
}

/// Adds names to an image.
pub fn tag(args: &TagArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    let store = storage(&rt)?;
    let img = store.lookup_image(&args.image)?;
    for n in &args.names {
        store.tag_image(&img.id, n)?;
        emit(&rt, EventStatus::Tag, &img.id, &normalized(n));
    }
    Ok(())
}

/// Removes names from an image (all of them when none is given).
pub fn untag(args: &UntagArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    let store = storage(&rt)?;
    let img = store.lookup_image(&args.image)?;
    let names = if args.names.is_empty() {
        img.names.clone()
    } else {
        args.names.clone()
    };
    for n in &names {
        store.untag_image(&img.id, n).map_err(|e| {
            if e.to_string().ends_with("tag not known") {
                CliError::Usage(format!("{}: tag not known", normalized(n)))
            } else {
                e.into()
            }
        })?;
        emit(&rt, EventStatus::Untag, &img.id, &normalized(n));
    }
    Ok(())
}

/// The stored name a reference picked (for `Untagged:` lines).
fn matched_name(reference: &str, img: &ImageRecord) -> Option<String> {
    let full = normalized(reference);
    if img.names.iter().any(|n| *n == reference) {
        return Some(reference.to_string());
    }
    if img.names.contains(&full) {
        return Some(full);
    }
    let tagged = if reference
        .rsplit('/')
        .next()
        .is_some_and(|l| l.contains(':'))
    {
        reference.to_string()
    } else {
        format!("{reference}:latest")
    };
    img.names
        .iter()
        .find(|n| n.ends_with(&format!("/{tagged}")))
        .cloned()
}

/// Why one image could not be removed.
enum RmError {
    Unknown(Error),
    InUse(Error),
    Other(CliError),
}

impl RmError {
    fn text(&self) -> String {
        match self {
            RmError::Unknown(e) | RmError::InUse(e) => e.to_string(),
            RmError::Other(e) => e.to_string(),
        }
    }
}

fn classify(e: Error) -> RmError {
    if is_image_unknown(&e) {
        RmError::Unknown(e)
    } else if is_image_in_use(&e) {
        RmError::InUse(e)
    } else {
        RmError::Other(e.into())
    }
}

/// Removes one image (or one of its names); returns the output lines.
fn remove_one(
    rt: &rpod_runtime_core::runtime::Runtime,
    store: &dyn Storage,
    reference: &str,
    force: bool,
) -> Result<Vec<String>, RmError> {
    let img = store.lookup_image(reference).map_err(classify)?;
    let by_id = refers_by_id(reference, &img.id);
    let mut lines = Vec::new();
    if !by_id
        && img.names.len() > 1
        && let Some(name) = matched_name(reference, &img)
    {
        store.untag_image(&img.id, &name).map_err(classify)?;
        emit(rt, EventStatus::Untag, &img.id, &name);
        lines.push(format!("Untagged: {name}"));
        return Ok(lines);
    }
    if by_id && img.names.len() > 1 && !force {
        return Err(RmError::Other(CliError::Usage(format!(
            "unable to delete image {:?} by ID with more than one tag ([{}]): please force removal",
            img.id,
            img.names.join(" ")
        ))));
    }
    if force {
        // Podman's `rmi -f` removes the containers that use the image first.
        let users = rt
            .containers_for_listing()
            .map_err(|e| RmError::Other(e.into()))?
            .into_iter()
            .filter(|c| c.config().rootfs_image_id == img.id);
        for mut c in users {
            let opts = rpod_runtime_core::container::RemoveOptions {
                force: true,
                volumes: false,
                timeout: None,
            };
            match c.remove(opts) {
                Ok(()) => {}
                Err(e) if e.is(&rpod_runtime_core::Error::CtrRemoved) => {}
                Err(e) => return Err(RmError::Other(e.into())),
            }
        }
    }
    store.remove_image(&img.id).map_err(classify)?;
    for n in &img.names {
        emit(rt, EventStatus::Untag, &img.id, n);
        lines.push(format!("Untagged: {n}"));
    }
    emit(
        rt,
        EventStatus::Remove,
        &img.id,
        img.names.first().map(String::as_str).unwrap_or(""),
    );
    lines.push(format!("Deleted: {}", img.id));
    Ok(lines)
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
    let store = storage(&rt)?;
    let targets: Vec<String> = if args.all {
        let mut all = image_summaries(store)?;
        // Children before parents.
        all.sort_by_key(|l| std::cmp::Reverse(l.rec.created));
        all.into_iter().map(|l| l.rec.id).collect()
    } else {
        args.images.clone()
    };
    let ignore = args.ignore || args.force;
    let mut errors: Vec<RmError> = Vec::new();
    let mut untagged = Vec::new();
    let mut deleted = Vec::new();
    for t in &targets {
        match remove_one(&rt, store, t, args.force) {
            Ok(lines) => {
                for l in lines {
                    if l.starts_with("Untagged:") {
                        untagged.push(l);
                    } else {
                        deleted.push(l);
                    }
                }
            }
            Err(RmError::Unknown(_)) if ignore => {}
            Err(e) => errors.push(e),
        }
    }
    let mut text = String::new();
    for l in untagged.iter().chain(deleted.iter()) {
        text.push_str(l);
        text.push('\n');
    }
    ctx.write(&text)?;
    if errors.is_empty() {
        return Ok(());
    }
    let in_use = errors.iter().any(|e| matches!(e, RmError::InUse(_)));
    let all_unknown = errors.iter().all(|e| matches!(e, RmError::Unknown(_)));
    let code = if in_use {
        2
    } else if all_unknown {
        1
    } else {
        125
    };
    for e in &errors {
        print_error(&e.text());
    }
    Err(CliError::Exit(code))
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
        let img = store.lookup_image(n)?;
        let path = store.mount_image(&img.id)?;
        emit(&rt, EventStatus::Mount, &img.id, n);
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
        let img = store.lookup_image(n)?;
        store.unmount_image(&img.id, args.force || args.all)?;
        emit(&rt, EventStatus::Unmount, &img.id, n);
        if !args.all {
            text.push_str(&format!("{}\n", img.id));
        }
    }
    ctx.write(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_normalize_for_messages() {
        assert_eq!(normalized("x"), "localhost/x:latest");
        assert_eq!(normalized("bar:v1"), "localhost/bar:v1");
        assert_eq!(normalized("quay.io/a/b"), "quay.io/a/b:latest");
        assert_eq!(normalized("localhost:5000/x:1"), "localhost:5000/x:1");
    }
}
