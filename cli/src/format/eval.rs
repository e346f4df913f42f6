//! Executes a parsed template against a `serde_json::Value`, with Go's
//! semantics for dot, variables, pipelines, `if`/`with`/`range` (maps
//! iterate in sorted key order, integers count up from 0, null iterates
//! zero times) and `break`/`continue`.
//!
//! Execution is bounded: output beyond [`Limits::max_output`] bytes and
//! more than [`Limits::max_steps`] evaluation steps stop with an error, so
//! no template can exhaust memory or run unbounded.

use std::borrow::Cow;
use std::fmt::Display;

use serde_json::Value;

use super::FormatError;
use super::ast::{Arg, Command, Control, ControlKind, Node, Number, Pipe};
use super::funcs::{self, FuncError};
use super::schema::{At, Schema, Shape};
use super::value::{lookup, print_action, truth, type_name};

static NULL: Value = Value::Null;

/// A value during execution, with where it sits in the data when it came
/// from there (field values, range elements), so that the schema can say
/// what Go type it has. Computed values (literals, function results) have
/// no position.
#[derive(Debug, Clone)]
struct Val<'a> {
    v: Cow<'a, Value>,
    at: Option<At>,
}

impl<'a> Val<'a> {
    fn computed(v: Value) -> Val<'a> {
        Val {
            v: Cow::Owned(v),
            at: None,
        }
    }

    fn null() -> Val<'a> {
        Val {
            v: Cow::Borrowed(&NULL),
            at: None,
        }
    }
}

impl std::ops::Deref for Val<'_> {
    type Target = Value;
    fn deref(&self) -> &Value {
        &self.v
    }
}

/// What the data is: its schema (none: every object acts as a map) and
/// where the value given as dot sits.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Typing<'s> {
    pub(crate) schema: Option<&'s Schema>,
    /// Whether dot is the list of items rather than one item.
    pub(crate) list: bool,
    /// Whether output written before an error stays (as it does on
    /// Podman's writer) rather than being removed.
    pub(crate) keep_partial: bool,
}

/// Resource bounds for one execution.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Limits {
    /// Most bytes one execution may write.
    pub(crate) max_output: usize,
    /// Most evaluation steps (nodes, commands, iterations).
    pub(crate) max_steps: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_output: super::MAX_OUTPUT,
            max_steps: super::MAX_STEPS,
        }
    }
}

#[derive(Debug, PartialEq, Eq)]
enum Flow {
    Normal,
    Break,
    Continue,
}

/// Execution state.
pub(crate) struct Exec<'a, 'o> {
    name: &'a str,
    schema: Option<&'a Schema>,
    src: &'a str,
    out: &'o mut String,
    start: usize,
    vars: Vec<(&'a str, Val<'a>)>,
    steps: u64,
    limits: Limits,
}

/// Runs `list` with `data` as dot and `$`, appending to `out`.
pub(crate) fn execute(
    name: &str,
    src: &str,
    list: &[Node],
    data: &Value,
    out: &mut String,
    limits: Limits,
    typing: Typing<'_>,
) -> Result<(), FormatError> {
    let start = out.len();
    let dot = Val {
        v: Cow::Borrowed(data),
        at: Some(if typing.list {
            At::List
        } else {
            At::Path(String::new())
        }),
    };
    let mut ex = Exec {
        name,
        schema: typing.schema,
        src,
        start,
        out,
        vars: vec![("$", dot.clone())],
        steps: 0,
        limits,
    };
    let res = ex.walk(&dot, list);
    if res.is_err() && !typing.keep_partial {
        ex.out.truncate(start);
    }
    res.map(|_| ())
}

impl<'a> Exec<'a, '_> {
    fn err(&self, pos: usize, context: &dyn Display, msg: impl Into<String>) -> FormatError {
        let before = &self.src[..pos.min(self.src.len())];
        let line = 1 + before.bytes().filter(|&b| b == b'\n').count();
        let col = match before.rfind('\n') {
            Some(nl) => before.len() - nl - 1,
            None => before.len(),
        };
        let mut context = context.to_string();
        if context.len() > 20 {
            let mut cut = 20;
            while !context.is_char_boundary(cut) {
                cut -= 1;
            }
            context.truncate(cut);
            context.push_str("...");
        }
        FormatError::Exec {
            name: self.name.to_string(),
            line,
            col,
            context,
            msg: msg.into(),
        }
    }

    fn step(&mut self) -> Result<(), FormatError> {
        self.steps += 1;
        if self.steps > self.limits.max_steps {
            return Err(FormatError::StepLimit {
                name: self.name.to_string(),
                limit: self.limits.max_steps,
            });
        }
        Ok(())
    }

    fn check_output(&self) -> Result<(), FormatError> {
        if self.out.len() - self.start > self.limits.max_output {
            return Err(FormatError::OutputLimit {
                name: self.name.to_string(),
                limit: self.limits.max_output,
            });
        }
        Ok(())
    }

    fn walk(&mut self, dot: &Val<'a>, list: &'a [Node]) -> Result<Flow, FormatError> {
        for node in list {
            self.step()?;
            match node {
                Node::Text(t) => {
                    self.out.push_str(t);
                    self.check_output()?;
                }
                Node::Action(pipe) => {
                    let v = self.eval_pipeline(dot, pipe)?;
                    if pipe.decl.is_empty() {
                        print_action(&v, self.out);
                        self.check_output()?;
                    }
                }
                Node::Control(c) => {
                    let flow = match c.kind {
                        ControlKind::Range => self.walk_range(dot, c)?,
                        _ => self.walk_if_with(dot, c)?,
                    };
                    if flow != Flow::Normal {
                        return Ok(flow);
                    }
                }
                Node::Break => return Ok(Flow::Break),
                Node::Continue => return Ok(Flow::Continue),
            }
        }
        Ok(Flow::Normal)
    }

    fn walk_if_with(&mut self, dot: &Val<'a>, c: &'a Control) -> Result<Flow, FormatError> {
        let mark = self.vars.len();
        let v = self.eval_pipeline(dot, &c.pipe)?;
        let flow = if truth(&v) {
            if c.kind == ControlKind::With {
                self.walk(&v, &c.list)?
            } else {
                self.walk(dot, &c.list)?
            }
        } else if let Some(e) = &c.else_list {
            self.walk(dot, e)?
        } else {
            Flow::Normal
        };
        self.vars.truncate(mark);
        Ok(flow)
    }

    fn walk_range(&mut self, dot: &Val<'a>, c: &'a Control) -> Result<Flow, FormatError> {
        let mark = self.vars.len();
        let v = self.eval_pipeline(dot, &c.pipe)?;
        let body_mark = self.vars.len();
        let mut iterations = 0u64;
        let mut flow = Flow::Normal;
        let elem_at = v.at.as_ref().map(At::element);
        let mut run =
            |ex: &mut Self, index: Value, elem: Cow<'a, Value>| -> Result<bool, FormatError> {
                let index = Val::computed(index);
                let elem = Val {
                    v: elem,
                    at: elem_at.clone(),
                };
                ex.step()?;
                iterations += 1;
                ex.bind_range_vars(&c.pipe, body_mark, index, elem.clone())?;
                let f = ex.walk(&elem, &c.list)?;
                ex.vars.truncate(body_mark);
                Ok(f == Flow::Break)
            };
        match v.v {
            Cow::Borrowed(Value::Array(items)) => {
                for (i, e) in items.iter().enumerate() {
                    if run(self, Value::from(i), Cow::Borrowed(e))? {
                        break;
                    }
                }
            }
            Cow::Owned(Value::Array(items)) => {
                for (i, e) in items.into_iter().enumerate() {
                    if run(self, Value::from(i), Cow::Owned(e))? {
                        break;
                    }
                }
            }
            Cow::Borrowed(Value::Object(m)) => {
                for (k, e) in super::value::sorted_entries(m) {
                    if run(self, Value::String(k.clone()), Cow::Borrowed(e))? {
                        break;
                    }
                }
            }
            Cow::Owned(Value::Object(m)) => {
                let mut entries: Vec<_> = m.into_iter().collect();
                entries.sort_by(|a, b| a.0.cmp(&b.0));
                for (k, e) in entries {
                    if run(self, Value::String(k), Cow::Owned(e))? {
                        break;
                    }
                }
            }
            Cow::Borrowed(Value::Null) | Cow::Owned(Value::Null) => {}
            ref n @ (Cow::Borrowed(Value::Number(_)) | Cow::Owned(Value::Number(_))) => {
                let count = match n.as_ref() {
                    Value::Number(num) => super::value::as_int(num),
                    _ => None,
                };
                let Some(count) = count else {
                    return Err(self.range_error(&c.pipe, n));
                };
                if c.pipe.decl.len() > 1 {
                    return Err(self.err(
                        c.pipe.pos,
                        &c.pipe,
                        format!("can't use {count} to iterate over more than one variable"),
                    ));
                }
                let mut i = 0i128;
                while i < count {
                    let iv = Value::from(i as i64);
                    if run(self, iv.clone(), Cow::Owned(iv))? {
                        break;
                    }
                    i += 1;
                }
            }
            other => return Err(self.range_error(&c.pipe, &other)),
        }
        if iterations == 0
            && let Some(e) = &c.else_list
        {
            flow = self.walk(dot, e)?;
        }
        self.vars.truncate(mark);
        Ok(flow)
    }

    fn range_error(&self, pipe: &Pipe, v: &Value) -> FormatError {
        self.err(
            pipe.pos,
            pipe,
            format!("range can't iterate over {}", super::value::to_v(v)),
        )
    }

    fn bind_range_vars(
        &mut self,
        pipe: &'a Pipe,
        body_mark: usize,
        index: Val<'a>,
        elem: Val<'a>,
    ) -> Result<(), FormatError> {
        match (pipe.decl.len(), pipe.is_assign) {
            (0, _) => {}
            (1, true) => self.set_var(&pipe.decl[0], elem, pipe)?,
            (_, true) => {
                self.set_var(&pipe.decl[0], index, pipe)?;
                self.set_var(&pipe.decl[1], elem, pipe)?;
            }
            (1, false) => self.vars[body_mark - 1].1 = elem,
            (_, false) => {
                self.vars[body_mark - 1].1 = elem;
                self.vars[body_mark - 2].1 = index;
            }
        }
        Ok(())
    }

    fn set_var(&mut self, name: &str, v: Val<'a>, pipe: &Pipe) -> Result<(), FormatError> {
        match self.vars.iter_mut().rev().find(|(n, _)| *n == name) {
            Some(slot) => {
                slot.1 = v;
                Ok(())
            }
            None => Err(self.err(pipe.pos, pipe, format!("undefined variable: {name}"))),
        }
    }

    fn eval_pipeline(&mut self, dot: &Val<'a>, pipe: &'a Pipe) -> Result<Val<'a>, FormatError> {
        let mut value: Option<Val<'a>> = None;
        for cmd in &pipe.cmds {
            value = Some(self.eval_command(dot, cmd, value)?);
        }
        let v = value.unwrap_or_else(Val::null);
        for name in &pipe.decl {
            if pipe.is_assign {
                self.set_var(name, v.clone(), pipe)?;
            } else {
                self.vars.push((name, v.clone()));
            }
        }
        Ok(v)
    }

    fn eval_command(
        &mut self,
        dot: &Val<'a>,
        cmd: &'a Command,
        last: Option<Val<'a>>,
    ) -> Result<Val<'a>, FormatError> {
        self.step()?;
        let first = &cmd.args[0];
        let has_args = cmd.args.len() > 1 || last.is_some();
        match first {
            Arg::Func { .. } => self.eval_call(dot, first, cmd.pos, cmd, &cmd.args[1..], last),
            Arg::Field { path, .. } if has_args => {
                let field = path.last().map_or("", String::as_str);
                Err(self.err(
                    first.pos(),
                    first,
                    format!("{field} is not a method but has arguments"),
                ))
            }
            _ if has_args => Err(self.err(
                first.pos(),
                first,
                format!("can't give argument to non-function {first}"),
            )),
            Arg::Nil { .. } => Err(self.err(first.pos(), first, "nil is not a command")),
            _ => self.eval_arg(dot, first),
        }
    }

    fn eval_arg(&mut self, dot: &Val<'a>, arg: &'a Arg) -> Result<Val<'a>, FormatError> {
        Ok(match arg {
            Arg::Field { path, .. } => self.fields(dot.clone(), path, arg)?,
            Arg::Variable { name, path, .. } => {
                let v = match self.vars.iter().rev().find(|(n, _)| n == name) {
                    Some((_, v)) => v.clone(),
                    None => {
                        return Err(self.err(
                            arg.pos(),
                            arg,
                            format!("undefined variable: {name}"),
                        ));
                    }
                };
                self.fields(v, path, arg)?
            }
            Arg::Chain { node, path, .. } => {
                let v = self.eval_arg(dot, node)?;
                self.fields(v, path, arg)?
            }
            Arg::Dot { .. } => dot.clone(),
            Arg::Nil { .. } => Val::null(),
            Arg::Bool { value, .. } => Val::computed(Value::Bool(*value)),
            Arg::Number { value, .. } => Val::computed(match *value {
                Number::Int(i) => Value::from(i),
                Number::Float(f) => Value::from(f),
            }),
            Arg::Str { value, .. } => Val::computed(Value::String(value.clone())),
            Arg::Func { .. } => self.eval_call(dot, arg, arg.pos(), arg, &[], None)?,
            Arg::Pipe(p) => self.eval_pipeline(dot, p)?,
        })
    }

    /// Follows a chain of field names from `recv`. Where the schema names
    /// the Go type of a value, a field that type lacks is an error as in
    /// Go; elsewhere a missing key is null.
    fn fields(&self, recv: Val<'a>, path: &[String], node: &Arg) -> Result<Val<'a>, FormatError> {
        let mut cur = recv;
        for name in path {
            let shape = match (self.schema, &cur.at) {
                (Some(s), Some(at)) => s.shape(at),
                _ => Shape::Unknown,
            };
            let at = cur.at.as_ref().map(|a| a.field(name));
            let missing = |ex: &Self| match shape {
                Shape::Named(t) => Err(ex.err(
                    node.pos(),
                    node,
                    format!("can't evaluate field {name} in type {t}"),
                )),
                _ => Ok(Cow::Borrowed(&NULL)),
            };
            let v = match cur.v {
                Cow::Borrowed(Value::Object(m)) => match lookup(m, name) {
                    Some(v) => Cow::Borrowed(v),
                    None => missing(self)?,
                },
                Cow::Owned(Value::Object(m)) => match lookup(&m, name) {
                    Some(v) => Cow::Owned(v.clone()),
                    None => missing(self)?,
                },
                Cow::Borrowed(Value::Null) | Cow::Owned(Value::Null) => match shape {
                    Shape::Named(t) if t.starts_with('*') => {
                        return Err(self.err(
                            node.pos(),
                            node,
                            format!("nil pointer evaluating {t}.{name}"),
                        ));
                    }
                    _ => Cow::Borrowed(&NULL),
                },
                other => {
                    let t = match shape {
                        Shape::Named(t) => t,
                        _ => type_name(&other),
                    };
                    return Err(self.err(
                        node.pos(),
                        node,
                        format!("can't evaluate field {name} in type {t}"),
                    ));
                }
            };
            cur = Val { v, at };
        }
        Ok(cur)
    }

    /// Calls the function named by `ident` in command `call` with
    /// `args` and the pipeline's value `last`. Errors point where Go's
    /// do: a wrong argument count at the name, a wrong argument at that
    /// argument (the pipeline's value at the last node evaluated), a
    /// failing call at the command.
    fn eval_call(
        &mut self,
        dot: &Val<'a>,
        ident: &Arg,
        call_pos: usize,
        call: &dyn Display,
        args: &'a [Arg],
        last: Option<Val<'a>>,
    ) -> Result<Val<'a>, FormatError> {
        let name = match ident {
            Arg::Func { name, .. } => name.as_str(),
            _ => "",
        };
        let fail = |ex: &Self, e: FuncError, vals: &[Val<'a>]| match e {
            FuncError::Arg(m) => ex.err(ident.pos(), ident, m),
            FuncError::Type { index, want } => ex.type_error(ident, args, vals, index, want),
            FuncError::Call(m) => ex.err(call_pos, call, format!("error calling {name}: {m}")),
        };
        if name == "and" || name == "or" {
            let n = args.len() + usize::from(last.is_some());
            funcs::check_and_or(name, n).map_err(|e| fail(self, e, &[]))?;
            let mut v = Val::null();
            for a in args {
                v = self.eval_arg(dot, a)?;
                if truth(&v) == (name == "or") {
                    return Ok(v);
                }
            }
            if let Some(l) = last {
                v = l;
            }
            return Ok(v);
        }
        let mut vals: Vec<Val<'a>> = Vec::with_capacity(args.len() + 1);
        for a in args {
            vals.push(self.eval_arg(dot, a)?);
        }
        vals.extend(last);
        let refs: Vec<&Value> = vals.iter().map(|v| &**v).collect();
        funcs::call(name, &refs)
            .map(Val::computed)
            .map_err(|e| fail(self, e, &vals))
    }

    /// Go's words for argument `index` of a call not having the Go type
    /// `want`: a literal is named as written, a computed value by its
    /// type (the schema's name for it when it has one).
    fn type_error(
        &self,
        ident: &Arg,
        args: &[Arg],
        vals: &[Val<'a>],
        index: usize,
        want: &str,
    ) -> FormatError {
        // Go reports at the argument being checked; the pipeline's value
        // is checked after the last explicit argument was evaluated.
        let node = args.get(index).or(args.last()).unwrap_or(ident);
        let literal = args.get(index).filter(|a| {
            matches!(
                a,
                Arg::Nil { .. } | Arg::Bool { .. } | Arg::Number { .. } | Arg::Str { .. }
            )
        });
        let msg = match (literal, vals.get(index)) {
            (Some(Arg::Nil { .. }), _) => format!("cannot assign nil to {want}"),
            (Some(lit), _) => match want {
                "string" => format!("expected string; found {lit}"),
                "int" => format!("expected integer; found {lit}"),
                _ => format!("can't handle {lit} for arg of type {want}"),
            },
            (None, Some(v)) if v.is_null() => format!("invalid value; expected {want}"),
            (None, Some(v)) => {
                let got = match (self.schema, &v.at) {
                    (Some(s), Some(at)) => match s.shape(at) {
                        Shape::Named(t) => t,
                        _ => type_name(v),
                    },
                    _ => type_name(v),
                };
                format!("wrong type for value; expected {want}; got {got}")
            }
            (None, None) => format!("wrong type for value; expected {want}"),
        };
        self.err(node.pos(), node, msg)
    }
}
