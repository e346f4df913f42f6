//! `rpod version`.

use serde_json::json;

use rpod_runtime_core::runtime::{VERSION, go_arch, version_report};

use crate::args::VersionArgs;
use crate::commands::Ctx;
use crate::exit::CliError;
use crate::format;
use crate::output::{self, OutputFormat};

/// Prints the version, Podman's way (`Version:`, `API Version:` ...).
pub fn run(args: &VersionArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let os_arch = format!("{}/{}", std::env::consts::OS, go_arch());
    let client = version_report();
    let data = json!({ "Client": client });
    let text = match OutputFormat::parse(args.format.as_deref(), "version")? {
        OutputFormat::Default => format!(
            "Version:      {VERSION}\nAPI Version:  {VERSION}\nRust Version: {}\nOS/Arch:      {os_arch}\n",
            env!("CARGO_PKG_RUST_VERSION")
        ),
        OutputFormat::Json => output::pretty_json(&data)?,
        // Podman runs the template on its report (`.Client.Version`, and
        // `.Server` which locally is the same), and when that fails, on the
        // client's version alone (`.Version`); the second error is the one
        // reported.
        OutputFormat::Template(t) => {
            let report = json!({ "Client": client, "Server": client });
            output::execute(&t, &report, &format::VERSION_REPORT)
                .or_else(|_| output::execute(&t, &client, &format::VERSION))?
        }
    };
    ctx.write(&text)
}
