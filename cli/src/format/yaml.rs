//! YAML as `podman info` prints it by default (`sigs.k8s.io/yaml`, i.e.
//! go-yaml v2 in block style): `key: value`, nested maps indented by two
//! spaces, sequences at the same indent as their key (`- item`), `{}` and
//! `[]` for empty collections, `null`, and multi-line strings as literal
//! blocks (`|-`).
//!
//! Strings are plain when YAML allows it; double-quoted when a plain
//! scalar would read back as another type (`"39"`, `"true"`, `""`, `"~"`,
//! `"2024-01-02"`) or holds characters YAML must escape (tabs, control
//! characters); single-quoted when plain style is not allowed (leading or
//! trailing space, `: `, ` #`, a leading indicator such as `*&!|>'"%@` or
//! `- `). Long lines are not folded at 80 columns as go-yaml would.
//!
//! [`to_yaml`] keeps key order; go-yaml sorts map keys, which
//! [`sort_keys_like_go_yaml`] reproduces.

use std::cmp::Ordering;

use serde_json::{Map, Value};

use super::value::write_number;

/// Renders `value` as block YAML, ending with a newline.
pub fn to_yaml(value: &Value) -> String {
    let mut out = String::new();
    match value {
        Value::Object(m) if !m.is_empty() => write_map(m, 0, false, &mut out),
        Value::Array(a) if !a.is_empty() => write_seq(a, 0, false, &mut out),
        Value::String(s) if literal_allowed(s) => write_literal(s, 2, &mut out),
        v => {
            out.push_str(&inline(v));
            out.push('\n');
        }
    }
    out
}

fn indent(n: usize, out: &mut String) {
    out.extend(std::iter::repeat_n(' ', n));
}

/// Writes map entries at `ind`; with `inline_first` the first entry
/// continues the current line (after `- `).
fn write_map(m: &Map<String, Value>, ind: usize, inline_first: bool, out: &mut String) {
    for (i, (k, v)) in m.iter().enumerate() {
        if i > 0 || !inline_first {
            indent(ind, out);
        }
        out.push_str(&scalar(k));
        out.push(':');
        match v {
            Value::Object(inner) if !inner.is_empty() => {
                out.push('\n');
                write_map(inner, ind + 2, false, out);
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                write_seq(items, ind, false, out);
            }
            _ => write_item_value(v, ind + 2, out),
        }
    }
}

fn write_seq(items: &[Value], ind: usize, inline_first: bool, out: &mut String) {
    for (i, v) in items.iter().enumerate() {
        if i > 0 || !inline_first {
            indent(ind, out);
        }
        out.push('-');
        match v {
            Value::Object(m) if !m.is_empty() => {
                out.push(' ');
                write_map(m, ind + 2, true, out);
            }
            Value::Array(inner) if !inner.is_empty() => {
                out.push(' ');
                write_seq(inner, ind + 2, true, out);
            }
            _ => write_item_value(v, ind + 2, out),
        }
    }
}

/// Writes ` value\n` for a scalar or empty collection, or a literal block
/// whose lines are indented by `block_ind`.
fn write_item_value(v: &Value, block_ind: usize, out: &mut String) {
    out.push(' ');
    match v {
        Value::String(s) if literal_allowed(s) => write_literal(s, block_ind, out),
        v => {
            out.push_str(&inline(v));
            out.push('\n');
        }
    }
}

fn inline(v: &Value) -> String {
    match v {
        Value::Null => "null".into(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => {
            let mut s = String::new();
            write_number(n, &mut s);
            s
        }
        Value::String(s) => scalar(s),
        Value::Array(_) => "[]".into(),
        Value::Object(_) => "{}".into(),
    }
}

fn write_literal(s: &str, ind: usize, out: &mut String) {
    out.push('|');
    if s.starts_with([' ', '\n']) {
        out.push('2');
    }
    let body = match s.strip_suffix('\n') {
        Some(b) if b.ends_with('\n') => {
            out.push('+');
            b
        }
        Some(b) => b,
        None => {
            out.push('-');
            s
        }
    };
    out.push('\n');
    for line in body.split('\n') {
        if !line.is_empty() {
            indent(ind, out);
            out.push_str(line);
        }
        out.push('\n');
    }
}

/// libyaml's notion of a printable character (tab is not).
fn printable(c: char) -> bool {
    matches!(c, '\n' | ' '..='~' | '\u{85}')
        || (('\u{a0}'..='\u{fffd}').contains(&c) && c != '\u{feff}')
        || c >= '\u{10000}'
}

fn literal_allowed(s: &str) -> bool {
    s.contains('\n')
        && s.chars().all(printable)
        && !s.ends_with(' ')
        && !s.contains(" \n")
        && resolves_to_str(s)
}

/// Formats a string scalar (key or value) in the style go-yaml picks.
fn scalar(s: &str) -> String {
    if !resolves_to_str(s) || s.contains('\n') || !s.chars().all(printable) {
        return double_quoted(s);
    }
    if plain_allowed(s) {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

fn plain_allowed(s: &str) -> bool {
    let chars: Vec<char> = s.chars().collect();
    let Some(&first) = chars.first() else {
        return false;
    };
    if first == ' ' || s.ends_with(' ') {
        return false;
    }
    if s.starts_with("---") || s.starts_with("...") {
        return false;
    }
    let ws_after = |i: usize| chars.get(i + 1).is_none_or(|c| *c == ' ');
    if "#,[]{}&*!|>'\"%@`".contains(first) {
        return false;
    }
    if matches!(first, '?' | ':' | '-') && ws_after(0) {
        return false;
    }
    for i in 1..chars.len() {
        match chars[i] {
            ':' if ws_after(i) => return false,
            '#' if chars[i - 1] == ' ' => return false,
            _ => {}
        }
    }
    true
}

fn double_quoted(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '\0' => out.push_str("\\0"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\x0b' => out.push_str("\\v"),
            '\x0c' => out.push_str("\\f"),
            '\r' => out.push_str("\\r"),
            '\x1b' => out.push_str("\\e"),
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{85}' => out.push_str("\\N"),
            '\u{a0}' => out.push_str("\\_"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if printable(c) => out.push(c),
            c if (c as u32) <= 0xff => out.push_str(&format!("\\x{:02X}", c as u32)),
            c if (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push_str(&format!("\\U{:08X}", c as u32)),
        }
    }
    out.push('"');
    out
}

/// Whether a plain scalar `s` would read back as a string in go-yaml v2
/// (not null, bool, int, float, timestamp or sexagesimal number).
fn resolves_to_str(s: &str) -> bool {
    const WORDS: &[&str] = &[
        "", "~", "null", "Null", "NULL", "y", "Y", "yes", "Yes", "YES", "on", "On", "ON", "n", "N",
        "no", "No", "NO", "off", "Off", "OFF", "true", "True", "TRUE", "false", "False", "FALSE",
        ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF", "-.inf", "-.Inf", "-.INF", ".nan",
        ".NaN", ".NAN", "<<",
    ];
    if WORDS.contains(&s) {
        return false;
    }
    if !s.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '+' | '-' | '.')) {
        return true;
    }
    let plain: String = s.chars().filter(|&c| c != '_').collect();
    !(is_go_int(&plain) || is_yaml_float(&plain) || is_timestamp(s) || is_base60(s))
}

fn is_go_int(s: &str) -> bool {
    let body = s.strip_prefix(['+', '-']).unwrap_or(s);
    let lower = body.to_ascii_lowercase();
    let (digits, radix) = if let Some(h) = lower.strip_prefix("0x") {
        (h, 16)
    } else if let Some(b) = lower.strip_prefix("0b") {
        (b, 2)
    } else if let Some(o) = lower.strip_prefix("0o") {
        (o, 8)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (&lower[1..], 8)
    } else {
        (lower.as_str(), 10)
    };
    !digits.is_empty() && digits.chars().all(|c| c.is_digit(radix))
}

/// `^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$`
fn is_yaml_float(s: &str) -> bool {
    let b = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (mant, exp) = match b.find(['e', 'E']) {
        Some(i) => (&b[..i], Some(&b[i + 1..])),
        None => (b, None),
    };
    let digits = |x: &str| !x.is_empty() && x.bytes().all(|c| c.is_ascii_digit());
    let mant_ok = match mant.split_once('.') {
        Some(("", frac)) => digits(frac),
        Some((int, frac)) => digits(int) && (frac.is_empty() || digits(frac)),
        None => digits(mant),
    };
    let exp_ok = exp.is_none_or(|e| digits(e.strip_prefix(['+', '-']).unwrap_or(e)));
    mant_ok && exp_ok
}

/// `YYYY-M-D`, optionally followed by `T`/`t`/space and a time.
fn is_timestamp(s: &str) -> bool {
    let b = s.as_bytes();
    if b.len() < 8 || !b[..4].iter().all(u8::is_ascii_digit) || b[4] != b'-' {
        return false;
    }
    let num = |x: &str, max: usize| {
        !x.is_empty() && x.len() <= max && x.bytes().all(|c| c.is_ascii_digit())
    };
    let (date, time) = match s.find(['T', 't', ' ']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let parts: Vec<&str> = date[5..].split('-').collect();
    if parts.len() != 2 || !num(parts[0], 2) || !num(parts[1], 2) {
        return false;
    }
    match time {
        None => true,
        Some(t) => {
            let t = t.trim_end_matches('Z');
            let t = t.split(['+', '-']).next().unwrap_or(t);
            let hms: Vec<&str> = t.split(':').collect();
            hms.len() == 3
                && num(hms[0], 2)
                && num(hms[1], 2)
                && hms[2]
                    .split_once('.')
                    .map_or(num(hms[2], 2), |(sec, frac)| num(sec, 2) && num(frac, 9))
        }
    }
}

/// `^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$`
fn is_base60(s: &str) -> bool {
    let b = s.strip_prefix(['+', '-']).unwrap_or(s);
    let (main, frac) = match b.split_once('.') {
        Some((m, f)) => (m, Some(f)),
        None => (b, None),
    };
    let mut parts = main.split(':');
    let head = parts.next().unwrap_or("");
    let head_ok = head.starts_with(|c: char| c.is_ascii_digit())
        && head.bytes().all(|c| c.is_ascii_digit() || c == b'_');
    let rest: Vec<&str> = parts.collect();
    let rest_ok = !rest.is_empty()
        && rest.iter().all(|p| {
            let d = p.as_bytes();
            match d.len() {
                1 => d[0].is_ascii_digit(),
                2 => (b'0'..=b'5').contains(&d[0]) && d[1].is_ascii_digit(),
                _ => false,
            }
        });
    let frac_ok = frac.is_none_or(|f| f.bytes().all(|c| c.is_ascii_digit() || c == b'_'));
    head_ok && rest_ok && frac_ok
}

/// Returns `value` with every object's keys in go-yaml v2's order:
/// character by character, letters by code point, runs of digits by
/// numeric value.
pub fn sort_keys_like_go_yaml(value: &Value) -> Value {
    match value {
        Value::Object(m) => {
            let mut entries: Vec<(&String, &Value)> = m.iter().collect();
            merge_sort(&mut entries, &|a, b| key_less(a.0, b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sort_keys_like_go_yaml(v)))
                    .collect(),
            )
        }
        Value::Array(a) => Value::Array(a.iter().map(sort_keys_like_go_yaml).collect()),
        v => v.clone(),
    }
}

/// A stable merge sort that tolerates any comparison (std's sort may
/// panic if a comparison is not a total order).
fn merge_sort<T: Copy>(v: &mut [T], less: &dyn Fn(&T, &T) -> bool) {
    if v.len() < 2 {
        return;
    }
    let mid = v.len() / 2;
    merge_sort(&mut v[..mid], less);
    merge_sort(&mut v[mid..], less);
    let mut merged = Vec::with_capacity(v.len());
    let (mut i, mut j) = (0, mid);
    while i < mid && j < v.len() {
        if less(&v[j], &v[i]) {
            merged.push(v[j]);
            j += 1;
        } else {
            merged.push(v[i]);
            i += 1;
        }
    }
    merged.extend_from_slice(&v[i..mid]);
    merged.extend_from_slice(&v[j..]);
    v.copy_from_slice(&merged);
}

fn key_less(a: &str, b: &str) -> bool {
    let (ar, br): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut digits = false;
    for i in 0..ar.len().min(br.len()) {
        if ar[i] == br[i] {
            digits = ar[i].is_numeric();
            continue;
        }
        let (al, bl) = (ar[i].is_alphabetic(), br[i].is_alphabetic());
        if al && bl {
            return ar[i] < br[i];
        }
        if al || bl {
            return if digits { al } else { bl };
        }
        let run = |r: &[char]| -> (usize, u128) {
            let mut n = 0u128;
            let mut k = i;
            while k < r.len() && r[k].is_ascii_digit() {
                n = n
                    .saturating_mul(10)
                    .saturating_add(u128::from(r[k] as u8 - b'0'));
                k += 1;
            }
            (k, n)
        };
        let (ai, mut an) = run(&ar);
        let (bi, mut bn) = run(&br);
        if (ar[i] == '0' || br[i] == '0')
            && ar[..i]
                .iter()
                .rev()
                .take_while(|c| c.is_ascii_digit())
                .any(|c| *c != '0')
        {
            an = 1;
            bn = 1;
        }
        if an != bn {
            return an < bn;
        }
        if ai != bi {
            return ai < bi;
        }
        return ar[i] < br[i];
    }
    ar.len().cmp(&br.len()) == Ordering::Less
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn podman_info_shape() {
        let v = json!({
            "host": {
                "arch": "amd64",
                "cgroupControllers": ["cpuset", "cpu"],
                "conmon": {"path": "/usr/bin/conmon", "version": "conmon version 2.1.8, commit: "},
                "distribution": {"version": "39", "variant": ""},
                "idMappings": {"gidmap": [{"container_id": 0, "host_id": 1000, "size": 1}]},
                "cpuUtilization": {"idlePercent": 97.99},
                "ociRuntime": {"version": "crun version 1.12\ncommit: abc"},
                "security": {"rootless": true},
                "empty": [],
                "nothing": {},
                "none": null
            },
            "plugins": {"authorization": null, "log": ["k8s-file"]}
        });
        let expected = "\
host:
  arch: amd64
  cgroupControllers:
  - cpuset
  - cpu
  conmon:
    path: /usr/bin/conmon
    version: 'conmon version 2.1.8, commit: '
  distribution:
    version: \"39\"
    variant: \"\"
  idMappings:
    gidmap:
    - container_id: 0
      host_id: 1000
      size: 1
  cpuUtilization:
    idlePercent: 97.99
  ociRuntime:
    version: |-
      crun version 1.12
      commit: abc
  security:
    rootless: true
  empty: []
  nothing: {}
  none: null
plugins:
  authorization: null
  log:
  - k8s-file
";
        assert_eq!(to_yaml(&v), expected);
    }

    #[test]
    fn string_styles() {
        let s = scalar;
        assert_eq!(s("plain text"), "plain text");
        assert_eq!(s(""), "\"\"");
        assert_eq!(s("true"), "\"true\"");
        assert_eq!(s("yes"), "\"yes\"");
        assert_eq!(s("1.5"), "\"1.5\"");
        assert_eq!(s("0x1F"), "\"0x1F\"");
        assert_eq!(s("4.8.3"), "4.8.3");
        assert_eq!(s("null"), "\"null\"");
        assert_eq!(s("2024-01-02"), "\"2024-01-02\"");
        assert_eq!(s("2024-01-02T03:04:05Z"), "\"2024-01-02T03:04:05Z\"");
        assert_eq!(s("1:20"), "\"1:20\"");
        assert_eq!(s(" lead"), "' lead'");
        assert_eq!(s("*star"), "'*star'");
        assert_eq!(s("- dash"), "'- dash'");
        assert_eq!(s("-dash"), "-dash");
        assert_eq!(s("a # b"), "'a # b'");
        assert_eq!(s("a#b"), "a#b");
        assert_eq!(s("it's: x"), "'it''s: x'");
        assert_eq!(s("tab\there"), "\"tab\\there\"");
        assert_eq!(s("http://x:80/y"), "http://x:80/y");
        assert_eq!(s("Backing Filesystem"), "Backing Filesystem");
    }

    #[test]
    fn sequences_and_literals() {
        assert_eq!(
            to_yaml(&json!([[1, 2], [], {"a": 1, "b": [3]}])),
            "- - 1\n  - 2\n- []\n- a: 1\n  b:\n  - 3\n"
        );
        assert_eq!(to_yaml(&json!({"k": "a\nb\n"})), "k: |\n  a\n  b\n");
        assert_eq!(
            to_yaml(&json!({"k": "a\n\nb\n\n"})),
            "k: |+\n  a\n\n  b\n\n"
        );
        assert_eq!(to_yaml(&json!({"k": " a\nb"})), "k: |2-\n   a\n  b\n");
        assert_eq!(to_yaml(&json!({"k": "a \nb"})), "k: \"a \\nb\"\n");
        assert_eq!(to_yaml(&json!(["x\ny"])), "- |-\n  x\n  y\n");
        assert_eq!(to_yaml(&json!({})), "{}\n");
        assert_eq!(to_yaml(&json!(null)), "null\n");
        assert_eq!(
            to_yaml(&json!({"num": 1e-7, "i": -3})),
            "num: 1e-07\ni: -3\n"
        );
        // YAML 1.1 reads a bare n as a boolean, so go-yaml quotes it.
        assert_eq!(to_yaml(&json!({"n": 1})), "\"n\": 1\n");
    }

    #[test]
    fn go_yaml_key_order() {
        let v = json!({"version": 1, "cpus": 2, "cpuUtilization": 3, "a10": 4, "a9": 5, "B": 6});
        let sorted = sort_keys_like_go_yaml(&v);
        let keys: Vec<&String> = sorted.as_object().unwrap().keys().collect();
        assert_eq!(
            keys,
            ["B", "a9", "a10", "cpuUtilization", "cpus", "version"]
        );
    }
}
