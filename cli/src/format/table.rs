//! What Podman's `pkg/report` does around a user's `--format`: the `json`
//! keyword, `table` detection, unescaping `\t` / `\n`, one line per row,
//! and tables with a header row aligned like Go's `text/tabwriter` as
//! `report.NewWriterDefault` configures it (minwidth 12, tabwidth 2,
//! padding 2, pad with spaces).
//!
//! Podman unescapes `\t`/`\n` (and, for tables, turns spaces into column
//! breaks) with a plain string replacer over the whole template, which
//! also rewrites string literals inside actions (`{{join .Names ", "}}`
//! becomes a tab). Here only text outside actions is rewritten, so
//! literals keep their meaning; everything else matches.
//!
//! Header names: Podman executes the row template against a map from Go
//! field name to header text. Here the header row is derived from the
//! template itself: each action or control structure prints the header of
//! the first field it uses (`{{.Names}}` → `NAMES`, `{{.Host.Arch}}` →
//! `ARCH`, `{{.CreatedAt}}` → `CREATED AT`), text stays as written, the
//! caller's overrides (Podman's per-command header maps) take precedence,
//! and a name that is not a field of the item's Go struct (a method such
//! as images' `CreatedAt`, or a typo) prints `<no value>`, as the lookup
//! in Podman's map does.

use std::io::Write as _;

use serde_json::Value;
use tabwriter::TabWriter;

use super::ast::{Arg, Node, Pipe};
use super::{DEFAULT_NAME, FormatError, Schema, Template};

/// A `--format` string after Podman's munging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NormalizedFormat {
    /// The template text to parse.
    pub text: String,
    /// Whether the format started with `table `.
    pub is_table: bool,
}

/// Whether `--format` asks for JSON output instead of a template: Podman's
/// `report.IsJSON`, i.e. `json`, `{{json}}` or `{{ json . }}`, with optional
/// surrounding whitespace. Matching is case-sensitive, as in Podman.
pub fn is_json_keyword(s: &str) -> bool {
    let is_ws = |c: char| matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c');
    let s = s.trim_matches(is_ws);
    if s == "json" {
        return true;
    }
    let Some(inner) = s.strip_prefix("{{").and_then(|r| r.strip_suffix("}}")) else {
        return false;
    };
    let Some(rest) = inner.trim_start_matches(is_ws).strip_prefix("json") else {
        return false;
    };
    let rest = rest.trim_start_matches(' ');
    let rest = rest.strip_prefix('.').unwrap_or(rest);
    rest.chars().all(is_ws)
}

/// Whether a `--format` string is a table (`table ` prefix).
pub fn is_table(src: &str) -> bool {
    src.starts_with("table ")
}

/// Applies Podman's `NormalizeFormat`: drops the `table ` prefix, turns
/// `\t` and `\n` written as two characters into a tab and a newline (and,
/// for tables, spaces into tabs) in the text between actions, and ends the
/// template with a newline.
pub fn normalize(src: &str) -> NormalizedFormat {
    let is_table = is_table(src);
    let body = if is_table {
        &src["table ".len()..]
    } else {
        src
    };
    let mut text = String::with_capacity(body.len() + 1);
    for (is_action, part) in split_actions(body) {
        if is_action {
            text.push_str(part);
            continue;
        }
        let mut unescaped = part.replace("\\t", "\t").replace("\\n", "\n");
        if is_table {
            unescaped = unescaped.replace(' ', "\t");
        }
        text.push_str(&unescaped);
    }
    if !text.ends_with('\n') {
        text.push('\n');
    }
    NormalizedFormat { text, is_table }
}

/// Splits a template into text runs and `{{...}}` actions (quoted strings
/// and comments inside actions are skipped over). An unclosed action runs
/// to the end.
fn split_actions(src: &str) -> Vec<(bool, &str)> {
    let mut parts = Vec::new();
    let mut rest = src;
    while let Some(open) = rest.find("{{") {
        if open > 0 {
            parts.push((false, &rest[..open]));
        }
        let action = &rest[open..];
        let end = action_end(action);
        parts.push((true, &action[..end]));
        rest = &action[end..];
    }
    if !rest.is_empty() {
        parts.push((false, rest));
    }
    parts
}

/// Length of the action starting at `s` (which starts with `{{`).
fn action_end(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 2;
    while i < b.len() {
        match b[i] {
            b'}' if b.get(i + 1) == Some(&b'}') => return i + 2,
            q @ (b'"' | b'\'' | b'`') => {
                i += 1;
                while i < b.len() && b[i] != q && !(q != b'`' && b[i] == b'\n') {
                    if b[i] == b'\\' && q != b'`' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'/' if b.get(i + 1) == Some(&b'*') => match s[i + 2..].find("*/") {
                Some(e) => i += e + 3,
                None => return s.len(),
            },
            _ => {}
        }
        i += 1;
    }
    s.len()
}

/// Parses a list command's `--format` as [`render_each`] and
/// [`render_table`] will, to report a bad template early.
pub fn check_list_template(name: &str, src: &str) -> Result<(), FormatError> {
    parse_list(name, src, &normalize(src).text).map(|_| ())
}

/// Parses the loop-wrapped `text` (the normalized `src`). Like Podman,
/// when that fails the raw `src` is tried the same way, and its result
/// (error or template) is the one that counts.
fn parse_list(name: &str, src: &str, text: &str) -> Result<Template, FormatError> {
    Template::parse_named(name, &with_range(text))
        .or_else(|_| Template::parse_named(name, &with_range(src)))
}

/// Whether the template loops over the rows itself: Podman's
/// `EnforceRange` test for `{{range .}}...{{end}}`.
fn has_range_over_dot(text: &str) -> bool {
    let Some(start) = find_action(text, 0, |a| a == "range." || a == "range.-") else {
        return false;
    };
    find_action(text, start, |a| a == "end" || a == "end-").is_some()
}

/// Finds an action whose content, with all whitespace removed, satisfies
/// `pred`; returns the offset after it.
fn find_action(text: &str, from: usize, pred: impl Fn(&str) -> bool) -> Option<usize> {
    let mut at = from;
    while let Some(open) = text[at..].find("{{") {
        let start = at + open;
        let close = text[start..].find("}}")? + start;
        let inner: String = text[start + 2..close]
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect();
        if pred(&inner) {
            return Some(close + 2);
        }
        at = start + 2;
    }
    None
}

/// The fields of a row that the `--format` `src` can read, as
/// [`Template::fields_read`] after Podman's normalization; `None` (every
/// field) when it reads a row as a whole or does not parse (rendering then
/// reports the error).
pub fn fields_read(src: &str) -> Option<std::collections::BTreeSet<String>> {
    Template::parse_named(DEFAULT_NAME, &normalize(src).text)
        .ok()?
        .fields_read()
}

/// A list that failed to render: what had been printed before the error
/// (Podman's output keeps it) and the error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{error}")]
pub struct RenderError {
    /// Output written before the error (aligned, for tables).
    pub printed: String,
    /// What went wrong.
    pub error: FormatError,
}

impl From<FormatError> for RenderError {
    fn from(error: FormatError) -> Self {
        RenderError {
            printed: String::new(),
            error,
        }
    }
}

/// Renders a non-table `--format` for each row, one line per row, as
/// Podman does: the format is normalized (so each row ends in a newline)
/// and, unless it contains its own `{{range .}}...{{end}}`, wrapped in
/// `{{range .}}...{{end -}}`; the result runs once over the list of rows,
/// each of the Go type `schema` describes. Error messages name the
/// template `name` (Podman passes the command's name) and count columns
/// in the wrapped text, as Podman's do. A `table` format is rendered by
/// [`render_table`] with derived headers.
pub fn render_each(
    name: &str,
    src: &str,
    rows: &[Value],
    schema: &Schema,
) -> Result<String, RenderError> {
    let norm = normalize(src);
    if norm.is_table {
        return render_table(name, src, rows, Some(&[]), schema);
    }
    let tmpl = parse_list(name, src, &norm.text)?;
    let mut out = String::new();
    match tmpl.execute_list(&Value::Array(rows.to_vec()), schema, &mut out) {
        Ok(()) => Ok(out),
        Err(error) => Err(RenderError {
            printed: out,
            error,
        }),
    }
}

/// Podman's `EnforceRange`: the template loops over the list itself, or is
/// wrapped in a loop over it.
fn with_range(text: &str) -> String {
    if has_range_over_dot(text) {
        text.to_string()
    } else {
        format!("{{{{range .}}}}{text}{{{{end -}}}}")
    }
}

/// Renders `rows` through a `table` format (with or without the `table `
/// prefix): a header row unless `headers` is `None` (`--noheading`), then
/// one line per row, columns aligned. `headers` maps Go field names (or
/// dotted paths) to header text, like Podman's per-command header maps;
/// other headers are derived from the field names (`CreatedAt` →
/// `CREATED AT`), except that a name that is not a field of the item
/// heads its column with `<no value>`, as Podman's map of headers does.
/// Whether it is a field comes from the schema's struct fields, or, when
/// it lists none, from the first row. Rows run as in [`render_each`].
pub fn render_table(
    name: &str,
    src: &str,
    rows: &[Value],
    headers: Option<&[(&str, &str)]>,
    schema: &Schema,
) -> Result<String, RenderError> {
    let norm = if is_table(src) {
        normalize(src)
    } else {
        normalize(&format!("table {src}"))
    };
    let tmpl = parse_list(name, src, &norm.text)?;
    let mut text = String::new();
    if let Some(overrides) = headers {
        let body = Template::parse_named(name, &norm.text)?;
        let known = Known {
            schema: Some(schema),
            row: rows.first().and_then(Value::as_object),
        };
        header_list(body.root(), overrides, &known, &mut text);
    }
    match tmpl.execute_list(&Value::Array(rows.to_vec()), schema, &mut text) {
        Ok(()) => Ok(align(&text)),
        Err(error) => Err(RenderError {
            printed: align(&text),
            error,
        }),
    }
}

/// Aligns tab-separated cells like `report.NewWriterDefault`. Go's
/// minwidth counts the padding, the crate's does not: 10 + 2 = 12.
pub fn align(text: &str) -> String {
    let mut tw = TabWriter::new(Vec::with_capacity(text.len()))
        .minwidth(10)
        .padding(2);
    // Writing to a Vec cannot fail.
    let _ = tw.write_all(text.as_bytes());
    match tw.into_inner() {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(_) => text.to_string(),
    }
}

/// The column headers a table format would print, split at tabs.
pub fn table_headers(src: &str, overrides: &[(&str, &str)]) -> Result<Vec<String>, FormatError> {
    let norm = normalize(src);
    let tmpl = Template::parse_named(DEFAULT_NAME, &norm.text)?;
    let mut line = String::new();
    let known = Known {
        schema: None,
        row: None,
    };
    header_list(tmpl.root(), overrides, &known, &mut line);
    let line = line.trim_end_matches('\n');
    Ok(line.split('\t').map(str::to_string).collect())
}

/// What tells a field of the item from other names, for headers.
struct Known<'a> {
    schema: Option<&'a Schema>,
    /// A row, whose keys are the item's fields.
    row: Option<&'a serde_json::Map<String, Value>>,
}

impl Known<'_> {
    fn is_field(&self, name: &str) -> bool {
        match self.schema.and_then(|s| s.has_struct_field(name)) {
            Some(known) => known,
            None => self
                .row
                .is_none_or(|row| super::value::lookup(row, name).is_some()),
        }
    }
}

/// Writes the header row for `list`.
fn header_list(list: &[Node], overrides: &[(&str, &str)], known: &Known<'_>, out: &mut String) {
    for node in list {
        match node {
            Node::Text(t) => out.push_str(t),
            Node::Action(p) if p.decl.is_empty() => {
                if let Some(path) = first_field(p) {
                    out.push_str(&header_name(&path, overrides, known));
                }
            }
            Node::Control(c) => match first_field(&c.pipe) {
                Some(path) => out.push_str(&header_name(&path, overrides, known)),
                None => header_list(&c.list, overrides, known, out),
            },
            _ => {}
        }
    }
}

/// The first non-empty field path a pipeline reads.
fn first_field(pipe: &Pipe) -> Option<Vec<String>> {
    fn in_arg(a: &Arg) -> Option<Vec<String>> {
        match a {
            Arg::Field { path, .. } | Arg::Variable { path, .. } if !path.is_empty() => {
                Some(path.clone())
            }
            Arg::Chain { node, path, .. } => in_arg(node).or_else(|| Some(path.clone())),
            Arg::Pipe(p) => first_field(p),
            _ => None,
        }
    }
    pipe.cmds.iter().flat_map(|c| &c.args).find_map(in_arg)
}

fn header_name(path: &[String], overrides: &[(&str, &str)], known: &Known<'_>) -> String {
    let full = path.join(".");
    let last = path.last().map_or("", String::as_str);
    let found = [full.as_str(), last].iter().find_map(|want| {
        overrides
            .iter()
            .find(|(k, _)| k == want)
            .or_else(|| overrides.iter().find(|(k, _)| k.eq_ignore_ascii_case(want)))
    });
    let first = path.first().map_or("", String::as_str);
    match found {
        Some((_, h)) => h.to_uppercase(),
        None if !known.is_field(first) => "<no value>".to_string(),
        None => camel_split(last).join(" ").to_uppercase(),
    }
}

/// Splits a Go identifier at case changes and digit runs:
/// `CreatedAt` → `Created At`, `IPAddress` → `IP Address`, `Port80` →
/// `Port 80`.
fn camel_split(s: &str) -> Vec<String> {
    #[derive(PartialEq, Clone, Copy)]
    enum Class {
        Lower,
        Upper,
        Digit,
        Other,
    }
    let class = |c: char| {
        if c.is_lowercase() {
            Class::Lower
        } else if c.is_uppercase() {
            Class::Upper
        } else if c.is_numeric() {
            Class::Digit
        } else {
            Class::Other
        }
    };
    let mut runs: Vec<(Class, Vec<char>)> = Vec::new();
    for c in s.chars() {
        let k = class(c);
        match runs.last_mut() {
            Some((last, chars)) if *last == k => chars.push(c),
            _ => runs.push((k, vec![c])),
        }
    }
    for i in 0..runs.len().saturating_sub(1) {
        if runs[i].0 == Class::Upper
            && runs[i + 1].0 == Class::Lower
            && let Some(c) = runs[i].1.pop()
        {
            runs[i + 1].1.insert(0, c);
        }
    }
    runs.into_iter()
        .filter(|(_, c)| !c.is_empty())
        .map(|(_, c)| c.into_iter().collect())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_keyword_matches_podman() {
        for yes in ["json", " json\n", "{{json}}", "{{ json . }}", "{{json .}}"] {
            assert!(is_json_keyword(yes), "{yes:?}");
        }
        for no in ["JSON", "{{json .ID}}", "jsonx", "{{.}}", ""] {
            assert!(!is_json_keyword(no), "{no:?}");
        }
    }

    #[test]
    fn normalize_like_podman() {
        let n = normalize(r"{{.ID}}\t{{.Names}}");
        assert_eq!(n.text, "{{.ID}}\t{{.Names}}\n");
        assert!(!n.is_table);
        let n = normalize("table {{.ID}} {{ .Names }}");
        assert_eq!(n.text, "{{.ID}}\t{{ .Names }}\n");
        assert!(n.is_table);
        let n = normalize(r#"{{join .Names "\n"}}\n"#);
        assert_eq!(n.text, "{{join .Names \"\\n\"}}\n");
        assert_eq!(normalize("x\n").text, "x\n");
    }

    #[test]
    fn camel_case_headers() {
        assert_eq!(camel_split("CreatedAt"), vec!["Created", "At"]);
        assert_eq!(camel_split("IPAddress"), vec!["IP", "Address"]);
        assert_eq!(camel_split("ID"), vec!["ID"]);
        assert_eq!(camel_split("Port80"), vec!["Port", "80"]);
        assert_eq!(camel_split("Fieldb"), vec!["Fieldb"]);
    }

    #[test]
    fn headers_from_template() {
        let h = table_headers(
            "table {{.ID}}\t{{.Names}}\t{{.Host.Arch}}\t{{.CreatedAt}}\t{{truncate .Image 5}}",
            &[("Image", "repository")],
        )
        .unwrap();
        assert_eq!(h, vec!["ID", "NAMES", "ARCH", "CREATED AT", "REPOSITORY"]);
        let h = table_headers("table {{range .Mounts}}{{.Src}}{{end}}\tx", &[]).unwrap();
        assert_eq!(h, vec!["MOUNTS", "x"]);
    }

    #[test]
    fn range_detection() {
        assert!(has_range_over_dot("{{range .}}{{.ID}}{{end}}"));
        assert!(has_range_over_dot("{{ range . }}x{{ end -}}"));
        assert!(!has_range_over_dot("{{range .Items}}x{{end}}"));
        assert!(!has_range_over_dot("{{.ID}}"));
    }

    const ROW: Schema = Schema {
        root: "test.row",
        fields: &[],
        struct_fields: &[],
    };

    #[test]
    fn render_each_adds_newline_per_row() {
        let rows = [json!({"ID": "a"}), json!({"ID": "b"})];
        let each = |src: &str| render_each("t", src, &rows, &ROW).unwrap();
        assert_eq!(each("{{.ID}}"), "a\nb\n");
        assert_eq!(each("{{range .}}{{.ID}} {{end}}"), "a b \n");
        assert_eq!(each(r"{{.ID}}\t!"), "a\t!\nb\t!\n");
    }
}
