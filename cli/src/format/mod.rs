//! `--format`: the Go `text/template` subset Podman users write, evaluated
//! against `serde_json::Value`, plus Podman's table and YAML output.
//!
//! - [`Template`] parses and executes one template: field paths
//!   (`{{.Host.Arch}}`), `{{json .}}`, `if`/`else if`/`with`/`range`
//!   (with `break`/`continue`), variables, pipelines, comments, trim
//!   markers, Go's built-in functions and Podman's (`join json lower pad
//!   split title truncate upper`).
//! - [`render_each`] and [`render_table`] do what Podman's
//!   `pkg/report` does with a list command's `--format`: unescape
//!   `\t`/`\n`, add the final newline, wrap the template in
//!   `{{range .}}...{{end -}}` (so error columns count that prefix, as
//!   Podman's do), and for `table ...` print a header row and align
//!   columns with a tab writer. Templates are named after the command
//!   (`template: ps:1:13: ...`).
//! - [`to_yaml`] prints a value the way `podman info` does by default.
//!
//! Field lookup tries the exact key, then a key equal ignoring ASCII case,
//! so Go field names (`.Host.Arch`) find JSON keys (`host`/`arch`). What a
//! missing field does depends on the Go type Podman has there, which the
//! command's [`Schema`] tells: a struct lacking the field (the item itself,
//! `.Config` of an inspected container...) is an execution error naming
//! the Go type, as in Podman (`can't evaluate field Typo in type
//! containers.psReporter`); a map lacking the key (`.Labels.foo`), or a
//! value the schema does not describe, yields null, which prints as
//! `<no value>`. A field of a null value is null too, except where the
//! schema names a pointer type, which fails as Go's nil pointer does.
//!
//! Deliberate differences from Go: `define`/`template`/`block` are not
//! supported; `html`, `js`, `urlquery` and `call` are not defined; numbers
//! holding integral values print as integers; `join` joins any list by its
//! elements' `%v` text; a single value's template (`version`, `info`,
//! `events`) prints nothing when it fails, where Podman keeps what it wrote
//! (list renders do keep it: [`RenderError::printed`]). Execution is
//! bounded ([`MAX_OUTPUT`], [`MAX_STEPS`], nesting depth 100) and never
//! panics.

mod ast;
mod eval;
mod fields;
mod funcs;
mod json;
mod lexer;
mod parser;
mod printf;
mod schema;
mod table;
mod value;
mod yaml;

#[cfg(test)]
mod tests;
mod token;
#[cfg(test)]
mod typed_tests;

use serde_json::Value;

pub use schema::{
    CONTAINER_INSPECT, DF, EVENTS, HISTORY, IMAGE_INSPECT, IMAGES, INFO, NETWORK_INSPECT, NETWORKS,
    PS, Schema, VERSION, VERSION_REPORT, VOLUME,
};
pub use table::{
    NormalizedFormat, RenderError, align, check_list_template, fields_read, is_json_keyword,
    is_table, normalize, render_each, render_table, table_headers,
};
pub use yaml::{sort_keys_like_go_yaml, to_yaml};

/// Largest output one template execution may produce (16 MiB).
pub const MAX_OUTPUT: usize = 16 * 1024 * 1024;

/// Most evaluation steps (nodes, commands, loop iterations) one execution
/// may take before it is stopped.
pub const MAX_STEPS: u64 = 5_000_000;

/// Name Podman-style error messages give a template.
pub const DEFAULT_NAME: &str = "output";

/// Why a template could not be parsed or executed. Messages follow Go's
/// `text/template` texts and are one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// The template is malformed.
    #[error("template: {name}:{line}: {msg}")]
    Parse {
        /// Template name.
        name: String,
        /// 1-based line of the error.
        line: usize,
        /// What is wrong.
        msg: String,
    },
    /// Execution failed at a node.
    #[error("template: {name}:{line}:{col}: executing \"{name}\" at <{context}>: {msg}")]
    Exec {
        /// Template name.
        name: String,
        /// 1-based line of the node.
        line: usize,
        /// Byte offset of the node within its line.
        col: usize,
        /// The node, in template syntax (shortened to 20 bytes).
        context: String,
        /// What went wrong.
        msg: String,
    },
    /// The output grew past the limit.
    #[error("template: {name}: output exceeds the limit of {limit} bytes")]
    OutputLimit {
        /// Template name.
        name: String,
        /// The limit in bytes.
        limit: usize,
    },
    /// Execution took too many steps.
    #[error("template: {name}: execution exceeds the limit of {limit} steps")]
    StepLimit {
        /// Template name.
        name: String,
        /// The limit.
        limit: u64,
    },
}

/// A parsed template.
#[derive(Debug, Clone)]
pub struct Template {
    name: String,
    src: String,
    root: ast::List,
    limits: eval::Limits,
}

impl Template {
    /// Parses `src` as a Go template named [`DEFAULT_NAME`]. No Podman
    /// munging is applied: see [`normalize`] for that.
    pub fn parse(src: &str) -> Result<Template, FormatError> {
        Template::parse_named(DEFAULT_NAME, src)
    }

    /// Parses `src` as a Go template called `name` (the name appears in
    /// error messages, as Podman passes its command name).
    pub fn parse_named(name: &str, src: &str) -> Result<Template, FormatError> {
        let root = parser::parse(name, src)?;
        Ok(Template {
            name: name.to_string(),
            src: src.to_string(),
            root,
            limits: eval::Limits::default(),
        })
    }

    /// Executes the template with `data` as dot and `$`, appending to
    /// `out`. On error `out` is left as it was.
    /// Every object acts as a Go map (a missing field prints `<no value>`).
    pub fn execute(&self, data: &Value, out: &mut String) -> Result<(), FormatError> {
        self.run(
            data,
            out,
            eval::Typing {
                schema: None,
                list: false,
                keep_partial: false,
            },
        )
    }

    /// Executes the template with `data`, one item of the Go type `schema`
    /// describes, as dot: a field the item's struct lacks is an error. On
    /// error `out` is left as it was.
    pub fn execute_item(
        &self,
        data: &Value,
        schema: &Schema,
        out: &mut String,
    ) -> Result<(), FormatError> {
        self.run(
            data,
            out,
            eval::Typing {
                schema: Some(schema),
                list: false,
                keep_partial: false,
            },
        )
    }

    /// Executes the template with `items`, a list of items of the Go type
    /// `schema` describes, as dot (what Podman's `{{range .}}` wrapper
    /// ranges over). On error `out` keeps what was written before it, as
    /// Podman's output does.
    pub fn execute_list(
        &self,
        items: &Value,
        schema: &Schema,
        out: &mut String,
    ) -> Result<(), FormatError> {
        self.run(
            items,
            out,
            eval::Typing {
                schema: Some(schema),
                list: true,
                keep_partial: true,
            },
        )
    }

    /// Runs the parsed template over `data` with the given typing rules.
    fn run(
        &self,
        data: &Value,
        out: &mut String,
        typing: eval::Typing<'_>,
    ) -> Result<(), FormatError> {
        eval::execute(
            &self.name,
            &self.src,
            &self.root,
            data,
            out,
            self.limits,
            typing,
        )
    }

    /// Convenience: executes into a new string.
    pub fn render(&self, data: &Value) -> Result<String, FormatError> {
        let mut out = String::new();
        self.execute(data, &mut out)?;
        Ok(out)
    }

    /// The template's source text.
    pub fn source(&self) -> &str {
        &self.src
    }

    /// The names of the fields of dot this template can read (every name
    /// of every `.A.B` path), or `None` when it can see dot as a whole (a
    /// bare `.` or a variable). Callers may build only these fields.
    pub fn fields_read(&self) -> Option<std::collections::BTreeSet<String>> {
        fields::fields_read(&self.root)
    }

    pub(crate) fn root(&self) -> &ast::List {
        &self.root
    }

    #[cfg(test)]
    pub(crate) fn set_limits(&mut self, max_output: usize, max_steps: u64) {
        self.limits = eval::Limits {
            max_output,
            max_steps,
        };
    }
}
