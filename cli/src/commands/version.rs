//! `rpod version`.

use serde_json::json;

use rpod_runtime_core::runtime::{VERSION, go_arch, version_report};

use crate::args::VersionArgs;
use crate::commands::Ctx;
use crate::exit::CliError;
use crate::output::{self, OutputFormat};

/// Prints the version, Podman's way (`Version:`, `API Version:` ...).
pub fn run(args: &VersionArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let os_arch = format!("{}/{}", std::env::consts::OS, go_arch());
    let client = version_report();
    let data = json!({ "Client": client });
    let text = match OutputFormat::parse(args.format.as_deref())? {
        OutputFormat::Default => format!(
            "Version:      {VERSION}\nAPI Version:  {VERSION}\nRust Version: {}\nOS/Arch:      {os_arch}\n",
            env!("CARGO_PKG_RUST_VERSION")
        ),
        OutputFormat::Json => output::pretty_json(&data)?,
        OutputFormat::Template(t) => output::execute(&t, &data)?,
    };
    ctx.write(&text)
}
