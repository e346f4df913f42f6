//! Template functions: Go's built-ins (`and or not len index slice eq ne
//! lt le gt ge print printf println`) and Podman's additions from
//! `pkg/report` (`join json lower pad split title truncate upper`).
//!
//! Argument checking follows Go's rules: an argument of the wrong Go
//! type is reported as a [`FuncError::Type`], which the evaluator words
//! as Go does for that argument's node (`expected integer; found "x"`,
//! `wrong type for value; expected string; got int`). Leniencies: `join`
//! joins any list by its elements' `%v` text (and a null list to ""), and
//! numeric comparisons mix integers and floats.

use std::cmp::Ordering;

use serde_json::Value;

use super::printf::{sprint, sprintf, sprintln};
use super::value::{as_int, lookup, to_v, truth, type_name};

/// Largest string a function may build (the output cap).
pub(crate) const MAX_STRING: usize = super::MAX_OUTPUT;

/// Most elements `split` may return (each costs far more memory than
/// its bytes of output).
const MAX_PARTS: usize = 1 << 20;

/// Why a function call failed.
#[derive(Debug, PartialEq)]
pub(crate) enum FuncError {
    /// Bad arguments (their number); reported as is, at the function's
    /// name.
    Arg(String),
    /// Argument `index` (the pipeline's value counting as the last) is not
    /// of the Go type `want` the function's parameter has; the evaluator
    /// words it as Go does for the argument's node.
    Type {
        /// Which argument.
        index: usize,
        /// The parameter's Go type (`string`, `int`, `[]string`).
        want: &'static str,
    },
    /// The function itself failed; reported as `error calling NAME: ...`.
    Call(String),
}

const NAMES: &[&str] = &[
    "and", "or", "not", "len", "index", "slice", "eq", "ne", "lt", "le", "gt", "ge", "print",
    "printf", "println", "join", "json", "lower", "pad", "split", "title", "truncate", "upper",
];

/// Whether `name` is a template function.
pub(crate) fn is_defined(name: &str) -> bool {
    NAMES.contains(&name)
}

fn want(name: &str, n: usize, args: &[&Value]) -> Result<(), FuncError> {
    if args.len() != n {
        return Err(FuncError::Arg(format!(
            "wrong number of args for {name}: want {n} got {}",
            args.len()
        )));
    }
    Ok(())
}

fn want_at_least(name: &str, n: usize, got: usize) -> Result<(), FuncError> {
    if got < n {
        return Err(FuncError::Arg(format!(
            "wrong number of args for {name}: want at least {n} got {got}"
        )));
    }
    Ok(())
}

/// Checks the argument count of `and`/`or`, which the evaluator runs
/// lazily itself.
pub(crate) fn check_and_or(name: &str, got: usize) -> Result<(), FuncError> {
    want_at_least(name, 1, got)
}

/// Argument `index` as a Go `string`.
fn string_arg<'v>(args: &[&'v Value], index: usize) -> Result<&'v str, FuncError> {
    match args[index] {
        Value::String(s) => Ok(s),
        _ => Err(FuncError::Type {
            index,
            want: "string",
        }),
    }
}

/// Argument `index` as a Go `int`.
fn int_arg(args: &[&Value], index: usize) -> Result<i64, FuncError> {
    let wrong = FuncError::Type { index, want: "int" };
    match args[index] {
        Value::Number(n) => as_int(n).and_then(|i| i64::try_from(i).ok()).ok_or(wrong),
        _ => Err(wrong),
    }
}

fn checked(s: String) -> Result<Value, FuncError> {
    if s.len() > MAX_STRING {
        return Err(FuncError::Call(
            "result exceeds the 16 MiB output limit".into(),
        ));
    }
    Ok(Value::String(s))
}

/// Calls function `name` (never `and`/`or`) with evaluated arguments.
pub(crate) fn call(name: &str, args: &[&Value]) -> Result<Value, FuncError> {
    match name {
        "not" => {
            want(name, 1, args)?;
            Ok(Value::Bool(!truth(args[0])))
        }
        "len" => {
            want(name, 1, args)?;
            length(args[0])
        }
        "index" => {
            want_at_least(name, 1, args.len())?;
            index(args[0], &args[1..])
        }
        "slice" => {
            want_at_least(name, 1, args.len())?;
            slice(args[0], &args[1..])
        }
        "eq" => {
            want_at_least(name, 1, args.len())?;
            eq(args[0], &args[1..]).map(Value::Bool)
        }
        "ne" => {
            want(name, 2, args)?;
            eq(args[0], &args[1..]).map(|b| Value::Bool(!b))
        }
        "lt" | "le" | "gt" | "ge" => {
            want(name, 2, args)?;
            let ord = compare(args[0], args[1])?;
            Ok(Value::Bool(match name {
                "lt" => ord == Ordering::Less,
                "le" => ord != Ordering::Greater,
                "gt" => ord == Ordering::Greater,
                _ => ord != Ordering::Less,
            }))
        }
        "print" => checked(sprint(args)),
        "println" => checked(sprintln(args)),
        "printf" => {
            want_at_least(name, 1, args.len())?;
            let f = string_arg(args, 0)?;
            checked(sprintf(f, &args[1..]))
        }
        _ => podman(name, args),
    }
}

/// Podman's functions (`go.podman.io/common/pkg/report`).
fn podman(name: &str, args: &[&Value]) -> Result<Value, FuncError> {
    match name {
        "join" => {
            want(name, 2, args)?;
            let parts: Vec<String> = match args[0] {
                Value::Array(a) => a.iter().map(to_v).collect(),
                // A nil slice joins to "" (JSON cannot tell it from a
                // missing value, which Go would reject).
                Value::Null => Vec::new(),
                _ => {
                    return Err(FuncError::Type {
                        index: 0,
                        want: "[]string",
                    });
                }
            };
            let sep = string_arg(args, 1)?;
            checked(parts.join(sep))
        }
        "json" => {
            want(name, 1, args)?;
            checked(super::json::to_go_json(args[0]))
        }
        "lower" | "upper" | "title" => {
            want(name, 1, args)?;
            let s = string_arg(args, 0)?;
            Ok(Value::String(match name {
                "lower" => s.to_lowercase(),
                "upper" => s.to_uppercase(),
                _ => title(s),
            }))
        }
        "pad" => {
            want(name, 3, args)?;
            let s = string_arg(args, 0)?;
            let (pre, post) = (int_arg(args, 1)?, int_arg(args, 2)?);
            if pre < 0 || post < 0 {
                return Err(FuncError::Call("strings: negative Repeat count".into()));
            }
            if s.is_empty() {
                return Ok(Value::String(String::new()));
            }
            let total = (pre as u64)
                .saturating_add(post as u64)
                .saturating_add(s.len() as u64);
            if total > MAX_STRING as u64 {
                return Err(FuncError::Call(
                    "result exceeds the 16 MiB output limit".into(),
                ));
            }
            let (pre, post) = (pre as usize, post as usize);
            checked(format!("{}{s}{}", " ".repeat(pre), " ".repeat(post)))
        }
        "split" => {
            want(name, 2, args)?;
            let (s, sep) = (string_arg(args, 0)?, string_arg(args, 1)?);
            let count = if sep.is_empty() {
                s.chars().count()
            } else {
                s.matches(sep).count() + 1
            };
            if count > MAX_PARTS {
                return Err(FuncError::Call(format!(
                    "result has more than {MAX_PARTS} parts"
                )));
            }
            let parts: Vec<Value> = if sep.is_empty() {
                s.chars().map(|c| Value::String(c.to_string())).collect()
            } else {
                s.split(sep).map(|p| Value::String(p.to_string())).collect()
            };
            Ok(Value::Array(parts))
        }
        "truncate" => {
            want(name, 2, args)?;
            let s = string_arg(args, 0)?;
            let n = int_arg(args, 1)?;
            if n < 0 {
                return Err(FuncError::Call(format!(
                    "runtime error: slice bounds out of range [:{n}]"
                )));
            }
            let mut n = usize::try_from(n).unwrap_or(usize::MAX);
            if s.len() < n {
                return Ok(Value::String(s.to_string()));
            }
            // Go cuts bytes; cut at the char boundary at or before n.
            while !s.is_char_boundary(n) {
                n -= 1;
            }
            Ok(Value::String(s[..n].to_string()))
        }
        _ => Err(FuncError::Arg(format!("function {name:?} not defined"))),
    }
}

/// Go's deprecated `strings.Title`: upper-cases the first letter of each
/// word, words being separated by spaces and ASCII punctuation.
fn title(s: &str) -> String {
    let is_sep = |c: char| {
        if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else if c.is_alphanumeric() {
            false
        } else {
            c.is_whitespace()
        }
    };
    let mut prev = ' ';
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if is_sep(prev) {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev = c;
    }
    out
}

fn length(v: &Value) -> Result<Value, FuncError> {
    let n = match v {
        Value::String(s) => s.len(),
        Value::Array(a) => a.len(),
        Value::Object(o) => o.len(),
        Value::Null => return Err(FuncError::Call("len of nil pointer".into())),
        o => return Err(FuncError::Call(format!("len of type {}", type_name(o)))),
    };
    Ok(Value::from(n))
}

fn index_arg(idx: &Value, len: usize) -> Result<usize, FuncError> {
    let i = match idx {
        Value::Number(n) => as_int(n).ok_or_else(|| {
            FuncError::Call(format!(
                "cannot index slice/array with type {}",
                type_name(idx)
            ))
        })?,
        Value::Null => return Err(FuncError::Call("cannot index slice/array with nil".into())),
        o => {
            return Err(FuncError::Call(format!(
                "cannot index slice/array with type {}",
                type_name(o)
            )));
        }
    };
    if i < 0 || i > len as i128 {
        return Err(FuncError::Call(format!("index out of range: {i}")));
    }
    Ok(i as usize)
}

fn index(item: &Value, keys: &[&Value]) -> Result<Value, FuncError> {
    if item.is_null() {
        return Err(FuncError::Call("index of untyped nil".into()));
    }
    let out_of_range = |i| FuncError::Call(format!("index out of range: {i}"));
    let mut cur = item;
    for (n, key) in keys.iter().enumerate() {
        cur = match cur {
            Value::Array(a) => a
                .get(index_arg(key, a.len())?)
                .ok_or_else(|| out_of_range(a.len()))?,
            Value::String(s) => {
                let i = index_arg(key, s.len())?;
                let b = s.as_bytes().get(i).ok_or_else(|| out_of_range(i))?;
                // A byte ends the walk: a number cannot be indexed further.
                if n + 1 < keys.len() {
                    return Err(FuncError::Call("can't index item of type uint8".into()));
                }
                return Ok(Value::from(*b));
            }
            // Go map semantics (missing key: zero value), with the same
            // case-insensitive fallback as field access.
            Value::Object(m) => match key {
                Value::String(k) => lookup(m, k).unwrap_or(&Value::Null),
                o => {
                    return Err(FuncError::Call(format!(
                        "value has type {}; should be string",
                        type_name(o)
                    )));
                }
            },
            Value::Null => return Err(FuncError::Call("index of nil pointer".into())),
            o => {
                return Err(FuncError::Call(format!(
                    "can't index item of type {}",
                    type_name(o)
                )));
            }
        };
    }
    Ok(cur.clone())
}

fn slice(item: &Value, idx: &[&Value]) -> Result<Value, FuncError> {
    if idx.len() > 3 {
        return Err(FuncError::Call(format!(
            "too many slice indexes: {}",
            idx.len()
        )));
    }
    let len = match item {
        Value::Null => return Err(FuncError::Call("slice of untyped nil".into())),
        Value::String(s) => {
            if idx.len() == 3 {
                return Err(FuncError::Call("cannot 3-index slice a string".into()));
            }
            s.len()
        }
        Value::Array(a) => a.len(),
        o => {
            return Err(FuncError::Call(format!(
                "can't slice item of type {}",
                type_name(o)
            )));
        }
    };
    let mut bounds = [0, len, len];
    for (i, v) in idx.iter().enumerate() {
        bounds[i] = index_arg(v, len)?;
    }
    if bounds[0] > bounds[1] {
        return Err(FuncError::Call(format!(
            "invalid slice index: {} > {}",
            bounds[0], bounds[1]
        )));
    }
    if idx.len() == 3 && bounds[1] > bounds[2] {
        return Err(FuncError::Call(format!(
            "invalid slice index: {} > {}",
            bounds[1], bounds[2]
        )));
    }
    match item {
        Value::String(s) => s
            .get(bounds[0]..bounds[1])
            .map(|p| Value::String(p.to_string()))
            .ok_or_else(|| FuncError::Call("slice index splits a UTF-8 character".into())),
        Value::Array(a) => Ok(Value::Array(a[bounds[0]..bounds[1]].to_vec())),
        _ => Ok(Value::Null),
    }
}

const INCOMPATIBLE: &str = "incompatible types for comparison";

fn eq(a: &Value, others: &[&Value]) -> Result<bool, FuncError> {
    if others.is_empty() {
        return Err(FuncError::Call("missing argument for comparison".into()));
    }
    for b in others {
        let same = match (a, b) {
            (Value::Null, Value::Null) => true,
            (Value::Null, _) | (_, Value::Null) => false,
            (Value::Bool(x), Value::Bool(y)) => x == y,
            (Value::String(x), Value::String(y)) => x == y,
            (Value::Number(_), Value::Number(_)) => compare(a, b)? == Ordering::Equal,
            (Value::Array(_) | Value::Object(_), Value::Array(_) | Value::Object(_)) => {
                return Err(FuncError::Call(format!(
                    "non-comparable type {}: {}",
                    to_v(a),
                    type_name(a)
                )));
            }
            _ => return Err(FuncError::Call(INCOMPATIBLE.into())),
        };
        if same {
            return Ok(true);
        }
    }
    Ok(false)
}

fn compare(a: &Value, b: &Value) -> Result<Ordering, FuncError> {
    match (a, b) {
        (Value::String(x), Value::String(y)) => Ok(x.as_bytes().cmp(y.as_bytes())),
        (Value::Number(x), Value::Number(y)) => match (as_int(x), as_int(y)) {
            (Some(i), Some(j)) => Ok(i.cmp(&j)),
            _ => {
                let (f, g) = (x.as_f64().unwrap_or(0.0), y.as_f64().unwrap_or(0.0));
                Ok(f.partial_cmp(&g).unwrap_or(Ordering::Equal))
            }
        },
        (Value::String(_) | Value::Number(_), Value::String(_) | Value::Number(_)) => {
            Err(FuncError::Call(INCOMPATIBLE.into()))
        }
        _ => Err(FuncError::Call("invalid type for comparison".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn c(name: &str, args: Value) -> Result<Value, FuncError> {
        let refs: Vec<&Value> = args.as_array().unwrap().iter().collect();
        call(name, &refs)
    }

    #[test]
    fn podman_functions() {
        assert_eq!(c("join", json!([["a", "b"], ","])), Ok(json!("a,b")));
        assert_eq!(c("join", json!([null, ","])), Ok(json!("")));
        assert_eq!(c("lower", json!(["AbC"])), Ok(json!("abc")));
        assert_eq!(c("upper", json!(["AbC"])), Ok(json!("ABC")));
        assert_eq!(
            c("title", json!(["hello wide-world_x"])),
            Ok(json!("Hello Wide-World_x"))
        );
        assert_eq!(
            c("split", json!(["a:b:c", ":"])),
            Ok(json!(["a", "b", "c"]))
        );
        assert_eq!(c("split", json!(["ab", ""])), Ok(json!(["a", "b"])));
        assert_eq!(c("truncate", json!(["abcdef", 3])), Ok(json!("abc")));
        assert_eq!(c("truncate", json!(["ab", 12])), Ok(json!("ab")));
        assert_eq!(c("truncate", json!(["éé", 3])), Ok(json!("é")));
        assert_eq!(c("pad", json!(["x", 2, 1])), Ok(json!("  x ")));
        assert_eq!(c("pad", json!(["", 2, 1])), Ok(json!("")));
        assert!(matches!(
            c("pad", json!(["x", 1_000_000_000_000i64, 0])),
            Err(FuncError::Call(_))
        ));
        assert_eq!(
            c("json", json!([{"a": [1, "x"]}])),
            Ok(json!(r#"{"a":[1,"x"]}"#))
        );
    }

    #[test]
    fn argument_errors_use_go_words() {
        assert_eq!(
            c("lower", json!([3])),
            Err(FuncError::Type {
                index: 0,
                want: "string"
            })
        );
        // Podman's join is Go's strings.Join: the list comes first.
        assert_eq!(
            c("join", json!([",", ["a", "b"]])),
            Err(FuncError::Type {
                index: 0,
                want: "[]string"
            })
        );
        assert_eq!(
            c("truncate", json!(["abc", 2.5])),
            Err(FuncError::Type {
                index: 1,
                want: "int"
            })
        );
        assert_eq!(
            c("not", json!([])),
            Err(FuncError::Arg(
                "wrong number of args for not: want 1 got 0".into()
            ))
        );
    }

    #[test]
    fn builtins() {
        assert_eq!(c("len", json!([[1, 2, 3]])), Ok(json!(3)));
        assert_eq!(c("len", json!(["héllo"])), Ok(json!(6)));
        assert_eq!(c("index", json!([{"a": [5, 6]}, "a", 1])), Ok(json!(6)));
        assert_eq!(c("index", json!([{"a": 1}, "zz"])), Ok(Value::Null));
        assert_eq!(
            c("index", json!([[1], 5])),
            Err(FuncError::Call("index out of range: 5".into()))
        );
        assert_eq!(c("slice", json!(["hello", 1, 3])), Ok(json!("el")));
        assert_eq!(c("slice", json!([[1, 2, 3], 1])), Ok(json!([2, 3])));
        assert_eq!(c("eq", json!([1, 2, 1])), Ok(json!(true)));
        assert_eq!(c("eq", json!(["a", "b"])), Ok(json!(false)));
        assert_eq!(c("eq", json!([null, "b"])), Ok(json!(false)));
        assert_eq!(c("ne", json!([1, 1.0])), Ok(json!(false)));
        assert_eq!(c("lt", json!([1, 2.5])), Ok(json!(true)));
        assert_eq!(c("ge", json!(["b", "a"])), Ok(json!(true)));
        assert_eq!(
            c("eq", json!([1, "1"])),
            Err(FuncError::Call(INCOMPATIBLE.into()))
        );
        assert_eq!(
            c("lt", json!([true, false])),
            Err(FuncError::Call("invalid type for comparison".into()))
        );
        assert_eq!(c("printf", json!(["%s=%d", "a", 1])), Ok(json!("a=1")));
        assert_eq!(c("not", json!([""])), Ok(json!(true)));
    }
}
