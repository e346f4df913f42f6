//! How a command prints: the default human form, `json`, or a Go template.

use serde_json::Value;

use crate::commands::Ctx;
use crate::exit::CliError;
use crate::format::{self, Template};

/// The output a `--format` value asks for.
#[derive(Debug)]
pub enum OutputFormat {
    /// No `--format`: the command's own human form.
    Default,
    /// `--format json`.
    Json,
    /// A Go template.
    Template(Box<Template>),
}

impl OutputFormat {
    /// Parses the `--format` of a command that prints one value; a bad
    /// template is an error (exit 125) naming the template `name` (the
    /// command's name, as Podman's messages do).
    pub fn parse(format: Option<&str>, name: &str) -> Result<Self, CliError> {
        match format {
            None | Some("") => Ok(OutputFormat::Default),
            Some(f) if format::is_json_keyword(f) => Ok(OutputFormat::Json),
            Some(f) => Template::parse_named(name, f)
                .map(|t| OutputFormat::Template(Box::new(t)))
                .map_err(|e| CliError::Usage(e.to_string())),
        }
    }
}

/// Checks the `--format` of a command that prints a list as Podman parses
/// it (normalized, and wrapped in `{{range .}}...{{end}}` unless it has
/// that loop), so that a bad template fails before any work, with
/// Podman's message naming the template `name`. Returns whether the
/// format asks for JSON. The template is rendered later by
/// [`render_list`].
pub fn check_list_format(format: Option<&str>, name: &str) -> Result<bool, CliError> {
    match format {
        Some(f) if format::is_json_keyword(f) => Ok(true),
        Some(f) if !f.is_empty() => format::check_list_template(name, f)
            .map(|()| false)
            .map_err(|e| CliError::Usage(e.to_string())),
        _ => Ok(false),
    }
}

/// Runs `template` on `data`, one value of the Go type `schema` describes,
/// adding the trailing newline Podman prints.
pub fn execute(
    template: &Template,
    data: &Value,
    schema: &format::Schema,
) -> Result<String, CliError> {
    let mut out = String::new();
    template
        .execute_item(data, schema, &mut out)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
}

/// Prints inspect's `--format` over the inspected objects, as Podman's
/// inspect does: like a list command's (wrapped in a loop, the template
/// named `inspect`), errors prefixed `inspecting object: printing inspect
/// output:`, what was printed before an error kept. A `table` prefix is
/// only stripped (inspect prints no header).
pub fn write_inspect(
    ctx: &mut Ctx<'_>,
    src: &str,
    records: &[Value],
    schema: &format::Schema,
) -> Result<(), CliError> {
    let src = src.strip_prefix("table ").unwrap_or(src);
    match format::render_each("inspect", src, records, schema) {
        Ok(text) => ctx.write(&text),
        Err(e) => {
            ctx.write(&e.printed)?;
            Err(CliError::Usage(format!(
                "inspecting object: printing inspect output: {e}"
            )))
        }
    }
}

/// Renders a list command's `--format` (table or not) over `rows`, the
/// way [`format::render_each`] and [`format::render_table`] do.
pub fn render_list(
    name: &str,
    src: &str,
    rows: &[Value],
    headers: Option<&[(&str, &str)]>,
    schema: &format::Schema,
) -> Result<String, format::RenderError> {
    if format::is_table(src) {
        format::render_table(name, src, rows, headers, schema)
    } else {
        format::render_each(name, src, rows, schema)
    }
}

/// Prints a list command's `--format` over `rows` ([`render_list`]); on
/// an error, what was rendered before it is printed first, as Podman does.
pub fn write_list(
    ctx: &mut Ctx<'_>,
    name: &str,
    src: &str,
    rows: &[Value],
    headers: Option<&[(&str, &str)]>,
    schema: &format::Schema,
) -> Result<(), CliError> {
    match render_list(name, src, rows, headers, schema) {
        Ok(text) => ctx.write(&text),
        Err(e) => {
            ctx.write(&e.printed)?;
            Err(CliError::Usage(e.error.to_string()))
        }
    }
}

/// Pretty JSON with a trailing newline.
pub fn pretty_json(data: &Value) -> Result<String, CliError> {
    let mut s = serde_json::to_string_pretty(data)
        .map_err(|e| CliError::Usage(format!("encoding JSON: {e}")))?;
    s.push('\n');
    Ok(s)
}

/// A typed engine report as the value templates and JSON output work on
/// (keys and their order are the report's).
pub fn to_value(report: &impl serde::Serialize) -> Result<Value, CliError> {
    serde_json::to_value(report).map_err(|e| CliError::Usage(format!("encoding JSON: {e}")))
}
