//! Compact JSON as Podman's `json` template function writes it: Go's
//! `encoding/json` encoder with HTML escaping off. Object keys stay in the
//! value's order; floats use Go's number text (`2`, `0.5`, `1e-7`,
//! `1e+21`); U+2028 and U+2029 are escaped as Go does.

use serde_json::Value;

/// Encodes `v` as compact JSON in Go's style.
pub(crate) fn to_go_json(v: &Value) -> String {
    let mut out = String::new();
    write(v, &mut out);
    out
}

fn write(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => write_float(f, out),
            _ => out.push_str(&n.to_string()),
        },
        Value::String(s) => write_str(s, out),
        Value::Array(a) => {
            out.push('[');
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(e, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push('{');
            for (i, (k, e)) in m.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(k, out);
                out.push(':');
                write(e, out);
            }
            out.push('}');
        }
    }
}

fn write_float(f: f64, out: &mut String) {
    let abs = f.abs();
    if abs != 0.0 && !(1e-6..1e21).contains(&abs) {
        // Go: exponent form with at least one exponent digit and a sign.
        let s = format!("{f:e}");
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let (sign, digits) = match e.strip_prefix('-') {
            Some(d) => ('-', d),
            None => ('+', e),
        };
        out.push_str(&format!("{m}e{sign}{digits}"));
    } else {
        // Rust's Display is the shortest round-trip text without exponent.
        out.push_str(&format!("{f}"));
    }
}

fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn compact_and_ordered() {
        let v = json!({"z": 1, "a": [true, null, "x<y>&"], "m": {}});
        assert_eq!(to_go_json(&v), r#"{"z":1,"a":[true,null,"x<y>&"],"m":{}}"#);
    }

    #[test]
    fn numbers_and_escapes() {
        assert_eq!(to_go_json(&json!(2.0)), "2");
        assert_eq!(to_go_json(&json!(0.5)), "0.5");
        assert_eq!(to_go_json(&json!(1e-7)), "1e-7");
        assert_eq!(to_go_json(&json!(1e21)), "1e+21");
        assert_eq!(to_go_json(&json!(-3)), "-3");
        assert_eq!(
            to_go_json(&json!("a\"\\\n\u{1}\u{2028}")),
            r#""a\"\\\n\u0001\u2028""#
        );
    }
}
