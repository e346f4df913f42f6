//! How JSON values behave as Go values: printing (`fmt.Print` / `%v`
//! text), truthiness, Go type names for error messages, and field lookup
//! by Go field name.
//!
//! A JSON value stands in for what Podman would hand its templates:
//! integers print as Go `int`s, other numbers like `float64`, arrays like
//! `[]interface {}` (`[a b c]`), objects like `map[string]interface {}`
//! (`map[k:v]`, keys sorted as Go's `fmt` does). `null` stands in for both a
//! nil value and a missing map entry: as the whole value of an action it
//! prints `<no value>`, nested inside a composite it prints `<nil>`.

use serde_json::{Map, Value};

/// Go's type name for a value, as used in error messages.
pub(crate) fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "<nil>",
        Value::Bool(_) => "bool",
        Value::Number(n) if as_int(n).is_some() => "int",
        Value::Number(_) => "float64",
        Value::String(_) => "string",
        Value::Array(_) => "[]interface {}",
        Value::Object(_) => "map[string]interface {}",
    }
}

/// Go's notion of truth in `if`, `with`, `and`, `or`, `not`.
pub(crate) fn truth(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// Prints the value of an action, as `text/template` does.
pub(crate) fn print_action(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("<no value>"),
        Value::String(s) => out.push_str(s),
        other => write_v(other, out),
    }
}

/// Formats like Go's `%v` (and `fmt.Sprint` of one operand).
pub(crate) fn write_v(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("<nil>"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => write_number(n, out),
        Value::String(s) => out.push_str(s),
        Value::Array(a) => {
            out.push('[');
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                write_v(e, out);
            }
            out.push(']');
        }
        Value::Object(m) => {
            out.push_str("map[");
            for (i, (k, e)) in sorted_entries(m).into_iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                out.push_str(k);
                out.push(':');
                write_v(e, out);
            }
            out.push(']');
        }
    }
}

/// `%v` of a value as a new string.
pub(crate) fn to_v(v: &Value) -> String {
    let mut s = String::new();
    write_v(v, &mut s);
    s
}

/// Entries of an object in Go's map order (sorted by key).
pub(crate) fn sorted_entries(m: &Map<String, Value>) -> Vec<(&String, &Value)> {
    let mut entries: Vec<_> = m.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    entries
}

/// Writes a number: integers as integers; floats that hold an integral
/// value below 2^63 also as integers (what Podman's `int` fields print);
/// other floats like Go's `%v` of a `float64`.
pub(crate) fn write_number(n: &serde_json::Number, out: &mut String) {
    if let Some(i) = n.as_i64() {
        out.push_str(&i.to_string());
    } else if let Some(u) = n.as_u64() {
        out.push_str(&u.to_string());
    } else if let Some(f) = n.as_f64() {
        write_float(f, out);
    }
}

/// Writes an `f64` as described on [`write_number`].
pub(crate) fn write_float(f: f64, out: &mut String) {
    if f.fract() == 0.0 && f.abs() < 9.2e18 {
        if f == 0.0 && f.is_sign_negative() {
            out.push_str("-0");
        } else {
            // Exact: integral and in range.
            out.push_str(&format!("{f:.0}"));
        }
    } else {
        out.push_str(&go_g(f, None));
    }
}

/// Go's `%g` (`prec = None` is the shortest representation, as `%v`).
pub(crate) fn go_g(f: f64, prec: Option<usize>) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "+Inf" } else { "-Inf" }.into();
    }
    let sci = match prec {
        None => format!("{f:e}"),
        Some(p) => format!("{:.*e}", p.max(1) - 1, f),
    };
    let (mant, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (neg, mant) = match mant.strip_prefix('-') {
        Some(m) => (true, m),
        None => (false, mant),
    };
    let mut digits: String = mant.chars().filter(char::is_ascii_digit).collect();
    if prec.is_some() {
        while digits.len() > 1 && digits.ends_with('0') {
            digits.pop();
        }
    }
    let eprec = match prec {
        None => 6,
        Some(p) => {
            let p = p.max(1) as i32;
            let nd = digits.len() as i32;
            if p > nd && nd > exp { nd } else { p }
        }
    };
    let mut s = String::new();
    if neg {
        s.push('-');
    }
    if exp < -4 || exp >= eprec {
        s.push_str(&digits[..1]);
        if digits.len() > 1 {
            s.push('.');
            s.push_str(&digits[1..]);
        }
        s.push('e');
        s.push(if exp < 0 { '-' } else { '+' });
        s.push_str(&format!("{:02}", exp.unsigned_abs()));
    } else if exp < 0 {
        s.push_str("0.");
        for _ in 0..(-exp - 1) {
            s.push('0');
        }
        s.push_str(&digits);
    } else {
        let int_len = exp as usize + 1;
        if digits.len() <= int_len {
            s.push_str(&digits);
            for _ in digits.len()..int_len {
                s.push('0');
            }
        } else {
            s.push_str(&digits[..int_len]);
            s.push('.');
            s.push_str(&digits[int_len..]);
        }
    }
    s
}

/// The integer held by a number: integers, and floats with an integral
/// value below 2^63 (see [`write_number`]).
pub(crate) fn as_int(n: &serde_json::Number) -> Option<i128> {
    if let Some(i) = n.as_i64() {
        return Some(i128::from(i));
    }
    if let Some(u) = n.as_u64() {
        return Some(i128::from(u));
    }
    let f = n.as_f64()?;
    // Exact: integral and within range.
    (f.fract() == 0.0 && f.abs() < 9.2e18).then_some(f as i128)
}

/// Podman's Go field names whose JSON keys differ by more than case: a
/// template names the Go field, the report holds the JSON key.
const GO_FIELD_JSON_KEYS: [(&str, &str); 2] = [
    // define.HostInfo
    ("CgroupsVersion", "cgroupVersion"),
    // define.SecurityInfo
    ("DefaultCapabilities", "capabilities"),
];

/// Looks a field up in an object: the exact key first, then the first key
/// equal to `name` ignoring ASCII case (Go field `Arch` finds JSON `arch`),
/// then the JSON key of a Go field whose tag differs from its name.
pub(crate) fn lookup<'v>(m: &'v Map<String, Value>, name: &str) -> Option<&'v Value> {
    let by_name = |name: &str| {
        m.get(name).or_else(|| {
            m.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v)
        })
    };
    by_name(name).or_else(|| {
        GO_FIELD_JSON_KEYS
            .iter()
            .find(|(go, _)| go.eq_ignore_ascii_case(name))
            .and_then(|(_, key)| m.get(*key))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn v(x: &Value) -> String {
        to_v(x)
    }

    #[test]
    fn go_field_names_find_their_json_tags() {
        let host = json!({"cgroupVersion": "v1", "arch": "amd64"});
        let m = host.as_object().unwrap();
        assert_eq!(lookup(m, "CgroupsVersion"), Some(&json!("v1")));
        assert_eq!(lookup(m, "Arch"), Some(&json!("amd64")));
        assert_eq!(lookup(m, "Typo"), None);
    }

    #[test]
    fn composites_print_like_go() {
        assert_eq!(v(&json!(["a", 1, true, null])), "[a 1 true <nil>]");
        assert_eq!(v(&json!({"b": 2, "a": [1, 2]})), "map[a:[1 2] b:2]");
        assert_eq!(v(&json!([])), "[]");
        assert_eq!(v(&json!({})), "map[]");
    }

    #[test]
    fn floats_print_like_go() {
        assert_eq!(v(&json!(2.0)), "2");
        assert_eq!(v(&json!(97.99)), "97.99");
        assert_eq!(v(&json!(0.00001)), "1e-05");
        assert_eq!(v(&json!(1234567.5)), "1.2345675e+06");
        assert_eq!(v(&json!(-0.5)), "-0.5");
        assert_eq!(v(&json!(1e300)), "1e+300");
        assert_eq!(go_g(1.23456, Some(3)), "1.23");
        assert_eq!(go_g(1234.0, Some(2)), "1.2e+03");
        assert_eq!(go_g(100.0, Some(6)), "100");
    }

    #[test]
    fn action_printing_and_truth() {
        let mut s = String::new();
        print_action(&Value::Null, &mut s);
        print_action(&json!("x"), &mut s);
        assert_eq!(s, "<no value>x");
        assert!(!truth(&json!(0)));
        assert!(!truth(&json!("")));
        assert!(!truth(&json!([])));
        assert!(truth(&json!({"a": 1})));
        assert!(truth(&json!(0.1)));
    }

    #[test]
    fn lookup_prefers_exact_then_ignores_case() {
        let m = json!({"arch": "x86_64", "Arch": "exact", "os": "linux"});
        let m = m.as_object().unwrap();
        assert_eq!(lookup(m, "Arch"), Some(&json!("exact")));
        assert_eq!(lookup(m, "OS"), Some(&json!("linux")));
        assert_eq!(lookup(m, "Kernel"), None);
    }
}
