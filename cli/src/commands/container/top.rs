//! `rpod top`.

use crate::args::TopArgs;
use crate::commands::Ctx;
use crate::exit::CliError;

/// Prints the container's processes as a table.
pub fn top(args: &TopArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let rt = ctx.runtime()?;
    let mut c = rt.lookup_container(&args.container)?;
    let descriptors: Vec<String> = args
        .descriptors
        .iter()
        .flat_map(|d| d.split(',').map(str::to_string).collect::<Vec<_>>())
        .filter(|d| !d.is_empty())
        .collect();
    let (headers, rows) = c.top(&descriptors)?;
    let mut text = headers.join("\t");
    text.push('\n');
    for r in rows {
        text.push_str(&r.join("\t"));
        text.push('\n');
    }
    ctx.write(&crate::format::align(&text))
}
