//! `rpod info`.

use crate::args::InfoArgs;
use crate::commands::Ctx;
use crate::exit::CliError;
use crate::format;
use crate::output::{self, OutputFormat};

/// Prints the runtime's info: YAML-like by default, JSON, or a template.
pub fn run(args: &InfoArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let fmt = OutputFormat::parse(args.format.as_deref(), "info")?;
    let rt = ctx.runtime()?;
    let info = rt.info()?;
    let text = match fmt {
        // Podman prints info through a YAML encoder that sorts keys.
        OutputFormat::Default => format::to_yaml(&format::sort_keys_like_go_yaml(&info)),
        OutputFormat::Json => output::pretty_json(&info)?,
        OutputFormat::Template(t) => output::execute(&t, &info, &format::INFO)?,
    };
    ctx.write(&text)
}
