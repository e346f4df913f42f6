//! A minimal JSON writer for `target/bench/results.json` (xtask stays free
//! of dependencies).

use std::fmt::Write as _;

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json {
    /// `null`.
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// A number; NaN and infinities are written as `null`.
    Num(f64),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<Json>),
    /// An object, keys in the order given.
    Obj(Vec<(String, Json)>),
}

impl Json {
    /// An object from `(key, value)` pairs.
    pub(crate) fn obj<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Json)>) -> Json {
        Json::Obj(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// A string value.
    pub(crate) fn str(s: impl Into<String>) -> Json {
        Json::Str(s.into())
    }

    /// A number, or `null` for `None`.
    pub(crate) fn opt_num(n: Option<f64>) -> Json {
        n.map_or(Json::Null, Json::Num)
    }

    /// The value as indented JSON text (two spaces per level; arrays of
    /// scalars stay on one line), ending in a newline.
    pub(crate) fn pretty(&self) -> String {
        let mut out = String::new();
        self.write(&mut out, 0);
        out.push('\n');
        out
    }

    fn is_scalar(&self) -> bool {
        !matches!(self, Json::Arr(_) | Json::Obj(_))
    }

    fn write(&self, out: &mut String, level: usize) {
        match self {
            Json::Null => out.push_str("null"),
            Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Json::Num(n) => write_num(out, *n),
            Json::Str(s) => write_str(out, s),
            Json::Arr(items) if items.is_empty() => out.push_str("[]"),
            Json::Arr(items) if items.iter().all(Json::is_scalar) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    v.write(out, level);
                }
                out.push(']');
            }
            Json::Arr(items) => {
                out.push('[');
                for (i, v) in items.iter().enumerate() {
                    out.push_str(if i > 0 { ",\n" } else { "\n" });
                    indent(out, level + 1);
                    v.write(out, level + 1);
                }
                out.push('\n');
                indent(out, level);
                out.push(']');
            }
            Json::Obj(pairs) if pairs.is_empty() => out.push_str("{}"),
            Json::Obj(pairs) => {
                out.push('{');
                for (i, (k, v)) in pairs.iter().enumerate() {
                    out.push_str(if i > 0 { ",\n" } else { "\n" });
                    indent(out, level + 1);
                    write_str(out, k);
                    out.push_str(": ");
                    v.write(out, level + 1);
                }
                out.push('\n');
                indent(out, level);
                out.push('}');
            }
        }
    }
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn write_num(out: &mut String, n: f64) {
    if !n.is_finite() {
        out.push_str("null");
    } else if n.fract() == 0.0 && n.abs() < 1e15 {
        let _ = write!(out, "{}", n as i64);
    } else {
        // Microsecond resolution is plenty for wall times in milliseconds.
        let s = format!("{n:.3}");
        out.push_str(s.trim_end_matches('0').trim_end_matches('.'));
    }
}

fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_escaped() {
        let v = Json::str("a\"b\\c\nd\te\u{1}é");
        assert_eq!(v.pretty(), "\"a\\\"b\\\\c\\nd\\te\\u0001é\"\n");
    }

    #[test]
    fn numbers_integers_fractions_and_non_finite() {
        let v = Json::Arr(vec![
            Json::Num(3.0),
            Json::Num(-2.5),
            Json::Num(1.0 / 3.0),
            Json::Num(45.0001),
            Json::Num(-0.0004),
            Json::Num(f64::NAN),
            Json::Num(f64::INFINITY),
            Json::opt_num(None),
        ]);
        assert_eq!(v.pretty(), "[3, -2.5, 0.333, 45, -0, null, null, null]\n");
    }

    #[test]
    fn nested_objects_are_indented_and_keep_key_order() {
        let v = Json::obj([
            ("z", Json::Bool(true)),
            (
                "a",
                Json::obj([("samples", Json::Arr(vec![Json::Num(1.0), Json::Num(2.0)]))]),
            ),
            ("rows", Json::Arr(vec![Json::obj([("k", Json::Null)])])),
            ("empty", Json::Arr(vec![])),
            ("none", Json::Obj(vec![])),
        ]);
        let want = "{\n  \"z\": true,\n  \"a\": {\n    \"samples\": [1, 2]\n  },\n  \"rows\": [\n    {\n      \"k\": null\n    }\n  ],\n  \"empty\": [],\n  \"none\": {}\n}\n";
        assert_eq!(v.pretty(), want);
    }
}
