//! How a command prints: the default human form, `json`, or a Go template.

use serde_json::Value;

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
    /// Parses a `--format` value; a bad template is an error (exit 125).
    pub fn parse(format: Option<&str>) -> Result<Self, CliError> {
        match format {
            None | Some("") => Ok(OutputFormat::Default),
            Some(f) if format::is_json_keyword(f) => Ok(OutputFormat::Json),
            Some(f) => Template::parse(f)
                .map(|t| OutputFormat::Template(Box::new(t)))
                .map_err(|e| CliError::Usage(e.to_string())),
        }
    }
}

/// Runs `template` on `data`, adding the trailing newline Podman prints.
pub fn execute(template: &Template, data: &Value) -> Result<String, CliError> {
    let mut out = String::new();
    template
        .execute(data, &mut out)
        .map_err(|e| CliError::Usage(e.to_string()))?;
    if !out.ends_with('\n') {
        out.push('\n');
    }
    Ok(out)
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
