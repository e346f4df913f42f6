//! The part of Go's `fmt` that templates reach: `printf`, `print`,
//! `println` and `strconv.Quote`. Verbs `%v %s %q %d %b %o %x %X %c %U
//! %e %E %f %F %g %G %t %%`, flags `- + # 0 space`, width and precision
//! (digits or `*`). Mistakes print inline as Go does (`%!d(string=x)`,
//! `%!s(MISSING)`, `%!(EXTRA int=1)`); widths above 10^6 give
//! `%!(BADWIDTH)` like Go, which also keeps memory bounded.

use serde_json::Value;

use super::value::{as_int, go_g, to_v, type_name, write_v};

/// Go's `strconv.Quote`.
pub(crate) fn go_quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\x7f' => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `fmt.Sprint`: operands concatenated, with a space between two operands
/// when neither is a string.
pub(crate) fn sprint(args: &[&Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 && !a.is_string() && !args[i - 1].is_string() {
            out.push(' ');
        }
        write_v(a, &mut out);
    }
    out
}

/// `fmt.Sprintln`: operands separated by spaces, then a newline.
pub(crate) fn sprintln(args: &[&Value]) -> String {
    let mut out = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write_v(a, &mut out);
    }
    out.push('\n');
    out
}

#[derive(Default, Clone, Copy)]
struct Spec {
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

const TOO_LARGE: usize = 1_000_000;

/// `fmt.Sprintf`.
pub(crate) fn sprintf(format: &str, args: &[&Value]) -> String {
    let mut out = String::new();
    let mut next = 0usize;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut spec = Spec::default();
        while let Some(&f) = chars.peek() {
            match f {
                '-' => spec.minus = true,
                '+' => spec.plus = true,
                '#' => spec.sharp = true,
                ' ' => spec.space = true,
                '0' => spec.zero = true,
                _ => break,
            }
            chars.next();
        }
        let mut bad_width = false;
        spec.width = read_num(&mut chars, args, &mut next, &mut bad_width, &mut spec.minus);
        if chars.peek() == Some(&'.') {
            chars.next();
            let mut bad = false;
            let mut ignore = false;
            spec.prec =
                Some(read_num(&mut chars, args, &mut next, &mut bad, &mut ignore).unwrap_or(0));
            if bad {
                out.push_str("%!(BADPREC)");
                spec.prec = None;
            }
        }
        if bad_width {
            out.push_str("%!(BADWIDTH)");
            spec.width = None;
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(next) else {
            out.push_str(&format!("%!{verb}(MISSING)"));
            continue;
        };
        next += 1;
        format_one(&mut out, verb, spec, arg);
    }
    if next < args.len() {
        out.push_str("%!(EXTRA ");
        for (i, a) in args[next..].iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            out.push_str(&bad_arg_desc(a));
        }
        out.push(')');
    }
    out
}

/// Reads a width or precision: digits, or `*` taking an int argument.
fn read_num(
    chars: &mut std::iter::Peekable<std::str::Chars<'_>>,
    args: &[&Value],
    next: &mut usize,
    bad: &mut bool,
    minus: &mut bool,
) -> Option<usize> {
    if chars.peek() == Some(&'*') {
        chars.next();
        let n = args.get(*next).and_then(|a| match a {
            Value::Number(n) => as_int(n),
            _ => None,
        });
        *next += 1;
        return match n {
            Some(n) if n.unsigned_abs() <= TOO_LARGE as u128 => {
                if n < 0 {
                    *minus = true;
                }
                Some(n.unsigned_abs() as usize)
            }
            _ => {
                *bad = true;
                None
            }
        };
    }
    let mut n: Option<usize> = None;
    while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
        chars.next();
        let v = n.unwrap_or(0).saturating_mul(10).saturating_add(d as usize);
        n = Some(v);
    }
    if n.is_some_and(|n| n > TOO_LARGE) {
        *bad = true;
        return None;
    }
    n
}

/// `%!verb(type=value)`.
fn bad_verb(verb: char, arg: &Value) -> String {
    match arg {
        Value::Null => format!("%!{verb}(<nil>)"),
        a => format!("%!{verb}({})", bad_arg_desc(a)),
    }
}

fn bad_arg_desc(a: &Value) -> String {
    match a {
        Value::Null => "<nil>".into(),
        a => format!("{}={}", type_name(a), to_v(a)),
    }
}

fn format_one(out: &mut String, verb: char, spec: Spec, arg: &Value) {
    // Composites apply the verb element by element, as Go does.
    match arg {
        Value::Array(items) if verb != 'v' => {
            out.push('[');
            for (i, e) in items.iter().enumerate() {
                if i > 0 {
                    out.push(' ');
                }
                format_one(out, verb, spec, e);
            }
            out.push(']');
            return;
        }
        Value::Object(_) if verb != 'v' => {
            if let Value::Object(m) = arg {
                out.push_str("map[");
                for (i, (k, e)) in super::value::sorted_entries(m).into_iter().enumerate() {
                    if i > 0 {
                        out.push(' ');
                    }
                    format_one(out, verb, spec, &Value::String(k.clone()));
                    out.push(':');
                    format_one(out, verb, spec, e);
                }
                out.push(']');
            }
            return;
        }
        _ => {}
    }
    let body = match (verb, arg) {
        ('v', Value::String(s)) if spec.sharp => go_quote(s),
        ('v', a) => return pad(out, spec, &to_v(a), false),
        ('s', Value::String(s)) => truncate_prec(s, spec.prec),
        ('q', Value::String(s)) => {
            let s = truncate_prec(s, spec.prec);
            if spec.sharp && !s.contains('`') && !s.chars().any(char::is_control) {
                format!("`{s}`")
            } else {
                go_quote(&s)
            }
        }
        ('x' | 'X', Value::String(s)) => {
            let hex: String = s.bytes().map(|b| format!("{b:02x}")).collect();
            if verb == 'X' { hex.to_uppercase() } else { hex }
        }
        ('t', Value::Bool(b)) => b.to_string(),
        ('d' | 'b' | 'o' | 'x' | 'X' | 'c' | 'q' | 'U', Value::Number(n))
            if as_int(n).is_some() =>
        {
            let i = as_int(n).unwrap_or(0);
            return format_int(out, verb, spec, i);
        }
        ('e' | 'E' | 'f' | 'F' | 'g' | 'G', Value::Number(n)) => {
            let f = n.as_f64().unwrap_or(0.0);
            return pad(out, spec, &format_float(verb, spec, f), true);
        }
        (v, a) => bad_verb(v, a),
    };
    pad(out, spec, &body, false)
}

fn truncate_prec(s: &str, prec: Option<usize>) -> String {
    match prec {
        Some(p) => s.chars().take(p).collect(),
        None => s.to_string(),
    }
}

fn format_int(out: &mut String, verb: char, spec: Spec, i: i128) {
    let body = match verb {
        'c' | 'q' => {
            let c = u32::try_from(i)
                .ok()
                .and_then(char::from_u32)
                .unwrap_or('\u{fffd}');
            if verb == 'c' {
                c.to_string()
            } else {
                let q = go_quote(&c.to_string());
                let inner = &q[1..q.len() - 1];
                let inner = if inner == "\\\"" {
                    "\""
                } else if c == '\'' {
                    "\\'"
                } else {
                    inner
                };
                format!("'{inner}'")
            }
        }
        'U' => format!("U+{:04X}", i),
        _ => {
            let mag = i.unsigned_abs();
            let digits = match verb {
                'b' => format!("{mag:b}"),
                'o' => format!("{mag:o}"),
                'x' => format!("{mag:x}"),
                'X' => format!("{mag:X}"),
                _ => mag.to_string(),
            };
            let prefix = match (verb, spec.sharp) {
                ('b', true) => "0b",
                ('o', true) => "0",
                ('x', true) => "0x",
                ('X', true) => "0X",
                _ => "",
            };
            let digits = match spec.prec {
                Some(p) if digits.len() < p => format!("{}{digits}", "0".repeat(p - digits.len())),
                _ => digits,
            };
            let sign = if i < 0 {
                "-"
            } else if spec.plus {
                "+"
            } else if spec.space {
                " "
            } else {
                ""
            };
            format!("{sign}{prefix}{digits}")
        }
    };
    let numeric = !matches!(verb, 'c' | 'q' | 'U') && spec.prec.is_none();
    pad(out, spec, &body, numeric)
}

fn format_float(verb: char, spec: Spec, f: f64) -> String {
    let mut s = match verb {
        'e' | 'E' => {
            let p = spec.prec.unwrap_or(6);
            let raw = format!("{f:.p$e}");
            let (m, e) = raw.split_once('e').unwrap_or((&raw, "0"));
            let e: i32 = e.parse().unwrap_or(0);
            let sign = if e < 0 { '-' } else { '+' };
            format!("{m}e{sign}{:02}", e.unsigned_abs())
        }
        'f' | 'F' => format!("{:.*}", spec.prec.unwrap_or(6), f),
        _ => go_g(f, spec.prec),
    };
    if verb.is_ascii_uppercase() {
        s = s.to_uppercase();
    }
    if !s.starts_with('-') {
        if spec.plus {
            s.insert(0, '+');
        } else if spec.space {
            s.insert(0, ' ');
        }
    }
    s
}

/// Pads `body` to the width; `numeric` allows zero padding after a sign.
fn pad(out: &mut String, spec: Spec, body: &str, numeric: bool) {
    let len = body.chars().count();
    let width = spec.width.unwrap_or(0);
    if len >= width {
        out.push_str(body);
        return;
    }
    let fill = width - len;
    if spec.minus {
        out.push_str(body);
        out.extend(std::iter::repeat_n(' ', fill));
    } else if spec.zero && numeric {
        let (sign, rest) = match body.chars().next() {
            Some(c @ ('-' | '+' | ' ')) => (Some(c), &body[1..]),
            _ => (None, body),
        };
        if let Some(c) = sign {
            out.push(c);
        }
        out.extend(std::iter::repeat_n('0', fill));
        out.push_str(rest);
    } else {
        out.extend(std::iter::repeat_n(' ', fill));
        out.push_str(body);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refs(v: &Value) -> Vec<&Value> {
        v.as_array().unwrap().iter().collect()
    }

    fn f(fmt: &str, args: Value) -> String {
        sprintf(fmt, &refs(&args))
    }

    #[test]
    fn common_verbs() {
        assert_eq!(f("%s-%d-%v", json!(["a", 5, [1, 2]])), "a-5-[1 2]");
        assert_eq!(f("%q", json!(["a\"b\n"])), r#""a\"b\n""#);
        assert_eq!(f("[%-10s]", json!(["ab"])), "[ab        ]");
        assert_eq!(f("[%10s]", json!(["ab"])), "[        ab]");
        assert_eq!(f("[%05d]", json!([-42])), "[-0042]");
        assert_eq!(f("%x %X %o %b", json!([255, 255, 8, 5])), "ff FF 10 101");
        assert_eq!(f("%.2f %e", json!([1.23456, 1234.5])), "1.23 1.234500e+03");
        assert_eq!(f("%t %c %U", json!([true, 65, 65])), "true A U+0041");
        assert_eq!(f("%.3s|%5.1f", json!(["abcdef", 2.25])), "abc|  2.2");
        assert_eq!(f("100%%", json!([])), "100%");
        assert_eq!(f("%*d", json!([4, 7])), "   7");
        assert_eq!(f("%s", json!([["a", "b"]])), "[a b]");
    }

    #[test]
    fn mistakes_print_inline() {
        assert_eq!(f("%d", json!(["x"])), "%!d(string=x)");
        assert_eq!(f("%s %s", json!(["x"])), "x %!s(MISSING)");
        assert_eq!(f("%s", json!(["x", 1])), "x%!(EXTRA int=1)");
        assert_eq!(f("%", json!([])), "%!(NOVERB)");
        assert_eq!(f("%s", json!([null])), "%!s(<nil>)");
        assert_eq!(f("%9999999d", json!([1])), "%!(BADWIDTH)1");
    }

    #[test]
    fn print_and_println() {
        assert_eq!(sprint(&refs(&json!([1, 2, "a", 3]))), "1 2a3");
        assert_eq!(sprintln(&refs(&json!([1, "a"]))), "1 a\n");
    }

    #[test]
    fn quote_escapes() {
        assert_eq!(go_quote("a\tb\x01é"), "\"a\\tb\\x01é\"");
    }
}
