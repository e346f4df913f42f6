//! `rpod inspect` / `rpod container inspect`: Podman's JSON shape for containers.

use serde_json::Value;

use rpod_runtime_core::Error;

use crate::args::InspectArgs;
use crate::commands::Ctx;
use crate::exit::CliError;
use crate::format;
use crate::output;

/// Prints Podman's inspect JSON (or a template per object). Unknown names
/// print `[]` then `Error: inspecting object: no such object: "x"`.
pub fn inspect(args: &InspectArgs, ctx: &mut Ctx<'_>) -> Result<(), CliError> {
    let json = output::check_list_format(args.format.as_deref(), "inspect")?;
    let rt = ctx.runtime()?;
    let mut names = args.names.clone();
    if args.latest {
        names = rt
            .latest_container()?
            .map(|c| vec![c.id().to_string()])
            .unwrap_or_default();
    }
    if names.is_empty() {
        return Err(CliError::Usage("no names or ids specified".into()));
    }
    let mut records = Vec::new();
    let mut not_containers: Vec<String> = Vec::new();
    for n in &names {
        match rt.lookup_container(n) {
            Ok(mut c) => records.push(output::to_value(&c.inspect()?)?),
            Err(e) if e.is(&Error::NoSuchCtr) => not_containers.push(n.clone()),
            Err(e) => return Err(e.into()),
        }
    }
    let found_containers = !records.is_empty();
    // Names that are not containers may be images (Podman's generic inspect).
    let missing = if not_containers.is_empty() {
        None
    } else if rt.storage()?.is_some() {
        let (images, missing) =
            crate::commands::image::inspect_image_records(&rt, &not_containers)?;
        records.extend(images);
        missing
    } else {
        not_containers.first().cloned()
    };
    let text = match args.format.as_deref() {
        Some(src) if !json && !src.is_empty() => {
            // Podman's generic inspect prints what it found: images when
            // no container matched.
            let schema = if found_containers {
                &format::CONTAINER_INSPECT
            } else {
                &format::IMAGE_INSPECT
            };
            output::write_inspect(ctx, src, &records, schema)?;
            String::new()
        }
        _ => {
            let mut buf = Vec::new();
            let fmt4 = serde_json::ser::PrettyFormatter::with_indent(b"    ");
            let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt4);
            serde::Serialize::serialize(&Value::Array(records), &mut ser)
                .map_err(|e| CliError::Usage(e.to_string()))?;
            String::from_utf8_lossy(&buf).into_owned() + "\n"
        }
    };
    ctx.write(&text)?;
    match missing {
        Some(n) => Err(CliError::Usage(format!(
            "inspecting object: no such object: {n:?}"
        ))),
        None => Ok(()),
    }
}
