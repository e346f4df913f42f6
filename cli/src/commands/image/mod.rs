//! The image commands (`rpod image ...` and their top-level forms) and the
//! container commands that work on a container's storage (`mount`,
//! `unmount`, `diff`, `export`, `commit`). Everything goes through the
//! runtime's [`Storage`] backend.

mod archive;
mod container;
mod inspect;
mod list;
mod manage;
mod progress;

pub use inspect::inspect_image_records;

use std::io::Write;

use rpod_runtime_core::runtime::Runtime;
use rpod_runtime_core::storage::Storage;

use crate::args::{ContainerStorageCommand, ImageCommand, TopImageCommand};
use crate::commands::Ctx;
use crate::commands::util::human_size;
use crate::exit::CliError;

/// Runs one `rpod image ...` command.
pub fn dispatch(command: &ImageCommand, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    use ImageCommand as I;
    match command {
        I::Import(a) => archive::import(a, ctx),
        I::Load(a) => archive::load(a, ctx),
        I::Save(a) => archive::save(a, ctx),
        I::Ls(a) => list::images(a, ctx),
        I::Inspect(a) => inspect::inspect(a, ctx),
        I::History(a) => inspect::history(a, ctx),
        I::Tag(a) => manage::tag(a, ctx),
        I::Untag(a) => manage::untag(a, ctx),
        I::Rm(a) => manage::rmi(a, ctx),
        I::Prune(a) => manage::prune(a, ctx),
        I::Exists(a) => manage::exists(a, ctx),
        I::Mount(a) => manage::mount(a, ctx),
        I::Unmount(a) => manage::unmount(a, ctx),
        I::Diff(a) => container::image_diff(a, ctx),
    }
}

/// Runs one top-level image command (`rpod images`, `rpod rmi` ...).
pub fn dispatch_top(command: &TopImageCommand, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    use TopImageCommand as T;
    match command {
        T::Images(a) => list::images(a, ctx),
        T::Import(a) => archive::import(a, ctx),
        T::Load(a) => archive::load(a, ctx),
        T::Save(a) => archive::save(a, ctx),
        T::Tag(a) => manage::tag(a, ctx),
        T::Untag(a) => manage::untag(a, ctx),
        T::Rmi(a) => manage::rmi(a, ctx),
        T::History(a) => inspect::history(a, ctx),
    }
}

/// Runs one container storage command (`mount`, `unmount`, `diff`,
/// `export`, `commit`); also meant for `rpod container <verb>`.
pub fn dispatch_container_storage(
    command: &ContainerStorageCommand,
    ctx: &mut Ctx<'_>,
) -> Result<(), CliError> {
    use ContainerStorageCommand as C;
    match command {
        C::Mount(a) => container::mount(a, ctx),
        C::Unmount(a) => container::unmount(a, ctx),
        C::Diff(a) => container::diff(a, ctx),
        C::Export(a) => container::export(a, ctx),
        C::Commit(a) => container::commit(a, ctx),
    }
}

/// The runtime's storage backend, or the error saying it is not compiled in.
pub(crate) fn storage(rt: &Runtime) -> Result<&dyn Storage, CliError> {
    rt.storage()?.ok_or_else(|| {
        CliError::Usage(
            "image storage is not compiled into this binary: rebuild with cargo feature `storage`"
                .into(),
        )
    })
}

/// The 12-hex short form of an ID.
pub(crate) fn short_id(id: &str) -> &str {
    id.get(..12).unwrap_or(id)
}

/// Podman's image size text: `units.HumanSizeWithPrecision(n, 3)` of
/// go-units 0.5 (`2 MB`, `4.1 kB`).
pub(crate) fn size_text(n: u64) -> String {
    let s = human_size(n);
    match s.find(|c: char| c.is_ascii_alphabetic()) {
        Some(i) => format!("{} {}", &s[..i], &s[i..]),
        None => s,
    }
}

pub(crate) use rpod_runtime_core::image::split_name;

pub(crate) use rpod_runtime_core::image::is_image_unknown;

/// Prints `Error: <e>` to standard error (for all failures but the last
/// of a multi-object command, as Podman does).
pub(crate) fn print_error(e: &dyn std::fmt::Display) {
    let _ = writeln!(std::io::stderr(), "Error: {e}");
}

/// Pretty JSON indented like Podman 4's inspect (five spaces).
pub(crate) fn inspect_json(v: &serde_json::Value) -> Result<String, CliError> {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"     ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    serde::Serialize::serialize(v, &mut ser).map_err(|e| CliError::Usage(e.to_string()))?;
    Ok(String::from_utf8_lossy(&buf).into_owned() + "\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_have_a_space_before_the_unit() {
        assert_eq!(size_text(1997911), "2 MB");
        assert_eq!(size_text(4096), "4.1 kB");
        assert_eq!(size_text(12), "12 B");
    }
}
