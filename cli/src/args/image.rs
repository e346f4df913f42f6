//! Arguments of the image commands (`rpod image ...`, `rpod images`,
//! `rpod rmi` ...) and of the container commands that work on a
//! container's storage (`mount`, `unmount`, `diff`, `export`, `commit`).

use std::path::PathBuf;

use clap::{Args, Subcommand};

/// `rpod image ...`.
#[derive(Debug, Subcommand)]
pub enum ImageCommand {
    /// Import a tarball to create a filesystem image.
    Import(ImportArgs),
    /// Load image(s) from a tar archive.
    Load(LoadArgs),
    /// Save image(s) to an archive.
    Save(SaveArgs),
    /// List images in local storage.
    #[command(visible_alias = "list")]
    Ls(ImagesArgs),
    /// Display the configuration of an image.
    Inspect(ImageInspectArgs),
    /// Show history of a specified image.
    History(HistoryArgs),
    /// Add an additional name to a local image.
    Tag(TagArgs),
    /// Remove a name from a local image.
    Untag(UntagArgs),
    /// Remove one or more images from local storage.
    Rm(RmiArgs),
    /// Remove unused images.
    Prune(ImagePruneArgs),
    /// Check if an image exists in local storage.
    Exists(ImageExistsArgs),
    /// Mount an image's root filesystem.
    Mount(ImageMountArgs),
    /// Unmount an image's root filesystem.
    #[command(visible_alias = "umount")]
    Unmount(ImageUnmountArgs),
    /// Inspect changes to the image's file systems.
    Diff(ImageDiffArgs),
}

/// The image commands at the top level (`rpod images`, `rpod rmi` ...).
#[derive(Debug, Subcommand)]
pub enum TopImageCommand {
    /// List images in local storage.
    Images(ImagesArgs),
    /// Import a tarball to create a filesystem image.
    Import(ImportArgs),
    /// Load image(s) from a tar archive.
    Load(LoadArgs),
    /// Save image(s) to an archive.
    Save(SaveArgs),
    /// Add an additional name to a local image.
    Tag(TagArgs),
    /// Remove a name from a local image.
    Untag(UntagArgs),
    /// Remove one or more images from local storage.
    Rmi(RmiArgs),
    /// Show history of a specified image.
    History(HistoryArgs),
}

/// Container commands that work on the container's storage: under
/// `rpod container` and, with the other container commands, at the top level.
#[derive(Debug, Subcommand)]
pub enum ContainerStorageCommand {
    /// Mount a working container's root filesystem.
    Mount(MountArgs),
    /// Unmount working container's root filesystem.
    #[command(visible_alias = "umount")]
    Unmount(UnmountArgs),
    /// Display the changes to the object's file system.
    Diff(DiffArgs),
    /// Export container's filesystem contents as a tar archive.
    Export(ExportArgs),
    /// Create new image based on the changed container.
    Commit(CommitArgs),
}

/// `rpod import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Apply the following possible instructions to the created image (CMD | ENTRYPOINT | ENV | EXPOSE | LABEL | STOPSIGNAL | USER | VOLUME | WORKDIR).
    #[arg(short = 'c', long = "change", value_name = "CHANGE")]
    pub changes: Vec<String>,
    /// Set commit message for imported image.
    #[arg(short, long)]
    pub message: Option<String>,
    /// Suppress output.
    #[arg(short, long)]
    pub quiet: bool,
    /// The tarball (`-` for standard input).
    #[arg(value_name = "PATH")]
    pub path: String,
    /// The name to give the image.
    #[arg(value_name = "REFERENCE")]
    pub reference: Option<String>,
}

/// `rpod load`.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Read from specified archive file (default: stdin).
    #[arg(short, long, value_name = "FILE")]
    pub input: Option<PathBuf>,
    /// Suppress the output.
    #[arg(short, long)]
    pub quiet: bool,
}

/// `rpod save`.
#[derive(Debug, Args)]
pub struct SaveArgs {
    /// Write to a specified file (default: stdout, which must be redirected).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Save image to oci-archive, oci-dir (directory with oci manifest type), docker-archive.
    #[arg(long, default_value = "docker-archive", value_name = "FORMAT")]
    pub format: String,
    /// Suppress the output.
    #[arg(short, long)]
    pub quiet: bool,
    /// Interpret additional arguments as images not tags (always the case here).
    #[arg(short = 'm', long = "multi-image-archive")]
    pub multi_image_archive: bool,
    /// Images.
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<String>,
}

/// `rpod images` / `rpod image ls`.
#[derive(Debug, Args)]
pub struct ImagesArgs {
    /// Show all images (default hides intermediate images).
    #[arg(short, long)]
    pub all: bool,
    /// Display only image IDs.
    #[arg(short, long)]
    pub quiet: bool,
    /// Do not truncate output.
    #[arg(long = "no-trunc")]
    pub no_trunc: bool,
    /// Show digests.
    #[arg(long)]
    pub digests: bool,
    /// Do not print column headings.
    #[arg(short = 'n', long = "noheading")]
    pub noheading: bool,
    /// Change the output format to JSON or a Go template.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Filter output based on conditions provided.
    #[arg(short, long = "filter", value_name = "FILTER")]
    pub filters: Vec<String>,
    /// Sort by created, id, repository, size or tag.
    #[arg(long, default_value = "created")]
    pub sort: String,
    /// Only list images matching this reference.
    #[arg(value_name = "IMAGE")]
    pub reference: Option<String>,
}

/// `rpod image inspect`.
#[derive(Debug, Args)]
pub struct ImageInspectArgs {
    /// Format the output to a Go template or json.
    #[arg(short, long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Images.
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<String>,
}

/// `rpod history`.
#[derive(Debug, Args)]
pub struct HistoryArgs {
    /// Display the numeric IDs only.
    #[arg(short, long)]
    pub quiet: bool,
    /// Do not truncate the output.
    #[arg(long = "no-trunc")]
    pub no_trunc: bool,
    /// Display sizes and dates in human readable format.
    #[arg(short = 'H', long, default_value_t = true, action = clap::ArgAction::Set, num_args = 0..=1, default_missing_value = "true", require_equals = true)]
    pub human: bool,
    /// Change the output to JSON or a Go template.
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// The image.
    #[arg(value_name = "IMAGE")]
    pub image: String,
}

/// `rpod tag`.
#[derive(Debug, Args)]
pub struct TagArgs {
    /// The image.
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// New names.
    #[arg(required = true, value_name = "TARGET_NAME")]
    pub names: Vec<String>,
}

/// `rpod untag`.
#[derive(Debug, Args)]
pub struct UntagArgs {
    /// The image.
    #[arg(value_name = "IMAGE")]
    pub image: String,
    /// Names to remove (all when none is given).
    #[arg(value_name = "NAME")]
    pub names: Vec<String>,
}

/// `rpod rmi`.
#[derive(Debug, Args)]
pub struct RmiArgs {
    /// Remove all images.
    #[arg(short, long)]
    pub all: bool,
    /// Force removal of the image and any containers using the image.
    #[arg(short, long)]
    pub force: bool,
    /// Ignore errors if a specified image does not exist.
    #[arg(short, long)]
    pub ignore: bool,
    /// Images.
    #[arg(value_name = "IMAGE")]
    pub images: Vec<String>,
}

/// `rpod image prune`.
#[derive(Debug, Args)]
pub struct ImagePruneArgs {
    /// Remove all images not in use by containers, not just dangling ones.
    #[arg(short, long)]
    pub all: bool,
    /// Do not prompt for confirmation.
    #[arg(short, long)]
    pub force: bool,
    /// Provide filter values (e.g. 'label=<key>=<value>').
    #[arg(long = "filter", value_name = "FILTER")]
    pub filters: Vec<String>,
}

/// `rpod image exists`.
#[derive(Debug, Args)]
pub struct ImageExistsArgs {
    /// The image.
    #[arg(value_name = "IMAGE")]
    pub image: String,
}

/// `rpod image mount`.
#[derive(Debug, Args)]
pub struct ImageMountArgs {
    /// Mount all images.
    #[arg(short, long)]
    pub all: bool,
    /// Print the mounted images in specified format (json).
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Images.
    #[arg(value_name = "IMAGE")]
    pub images: Vec<String>,
}

/// `rpod image unmount`.
#[derive(Debug, Args)]
pub struct ImageUnmountArgs {
    /// Unmount all of the currently mounted images.
    #[arg(short, long)]
    pub all: bool,
    /// Force the complete unmount of the specified mounted images.
    #[arg(short, long)]
    pub force: bool,
    /// Images.
    #[arg(value_name = "IMAGE")]
    pub images: Vec<String>,
}

/// `rpod mount`.
#[derive(Debug, Args)]
pub struct MountArgs {
    /// Mount all containers.
    #[arg(short, long)]
    pub all: bool,
    /// Print the mounted containers in specified format (json).
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Do not truncate output.
    #[arg(long = "no-trunc")]
    pub no_trunc: bool,
    /// Containers.
    #[arg(value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

/// `rpod unmount`.
#[derive(Debug, Args)]
pub struct UnmountArgs {
    /// Unmount all of the currently mounted containers.
    #[arg(short, long)]
    pub all: bool,
    /// Force the complete unmount of the specified mounted containers.
    #[arg(short, long)]
    pub force: bool,
    /// Containers.
    #[arg(value_name = "CONTAINER")]
    pub containers: Vec<String>,
}

/// `rpod diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Change the output format (json).
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// Act on the latest container.
    #[arg(short = 'l', long)]
    pub latest: bool,
    /// The container or image.
    #[arg(value_name = "CONTAINER|IMAGE")]
    pub name: Option<String>,
}

/// `rpod image diff`.
#[derive(Debug, Args)]
pub struct ImageDiffArgs {
    /// Change the output format (json).
    #[arg(long, value_name = "FORMAT")]
    pub format: Option<String>,
    /// The image.
    #[arg(value_name = "IMAGE")]
    pub name: String,
}

/// `rpod export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write to a specified file (default: stdout, which must be redirected).
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The container.
    #[arg(value_name = "CONTAINER")]
    pub container: String,
}

/// `rpod commit`.
#[derive(Debug, Args)]
pub struct CommitArgs {
    /// Apply the following possible instructions to the created image (CMD | ENTRYPOINT | ENV | EXPOSE | LABEL | STOPSIGNAL | USER | VOLUME | WORKDIR).
    #[arg(short = 'c', long = "change", value_name = "CHANGE")]
    pub changes: Vec<String>,
    /// Set commit message for imported image.
    #[arg(short, long)]
    pub message: Option<String>,
    /// Suppress output.
    #[arg(short, long)]
    pub quiet: bool,
    /// Pause container during commit (accepted; the container is not paused).
    #[arg(short, long)]
    pub pause: bool,
    /// The container.
    #[arg(value_name = "CONTAINER")]
    pub container: String,
    /// The new image's name.
    #[arg(value_name = "IMAGE")]
    pub image: Option<String>,
}
