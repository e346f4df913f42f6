//! The parsed form of a template: a list of nodes (text, actions, control
//! structures), pipelines, commands and operands. `Display` renders nodes
//! back in template syntax, as Go does in its error context (`at <.X.Y>`).

use std::fmt;

/// A list of nodes: the body of a template or of a control structure.
pub(crate) type List = Vec<Node>;

/// A node of the template tree.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// Literal text.
    Text(String),
    /// `{{pipeline}}`: its value is printed unless it declares variables.
    Action(Pipe),
    /// `{{if}}`, `{{range}}` or `{{with}}`.
    Control(Box<Control>),
    /// `{{break}}` inside a range.
    Break,
    /// `{{continue}}` inside a range.
    Continue,
}

/// Which control structure a [`Control`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ControlKind {
    If,
    Range,
    With,
}

impl ControlKind {
    /// The keyword that opens the structure.
    pub(crate) fn name(self) -> &'static str {
        match self {
            ControlKind::If => "if",
            ControlKind::Range => "range",
            ControlKind::With => "with",
        }
    }
}

/// `{{if|range|with pipe}} list {{else}} else_list {{end}}`.
#[derive(Debug, Clone)]
pub(crate) struct Control {
    pub(crate) kind: ControlKind,
    pub(crate) pipe: Pipe,
    pub(crate) list: List,
    pub(crate) else_list: Option<List>,
}

/// A pipeline, optionally declaring (`:=`) or assigning (`=`) variables.
#[derive(Debug, Clone)]
pub(crate) struct Pipe {
    pub(crate) pos: usize,
    pub(crate) is_assign: bool,
    pub(crate) decl: Vec<String>,
    pub(crate) cmds: Vec<Command>,
}

/// One stage of a pipeline: an operand or a function call.
#[derive(Debug, Clone)]
pub(crate) struct Command {
    pub(crate) pos: usize,
    pub(crate) args: Vec<Arg>,
}

/// An operand.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    /// `.A.B`: fields of dot (empty never occurs; `.` alone is `Dot`).
    Field { pos: usize, path: Vec<String> },
    /// `$x.A.B`: a variable and optional fields.
    Variable {
        pos: usize,
        name: String,
        path: Vec<String>,
    },
    /// `(pipe).A.B`.
    Chain {
        pos: usize,
        node: Box<Arg>,
        path: Vec<String>,
    },
    /// `.`.
    Dot { pos: usize },
    /// `nil`.
    Nil { pos: usize },
    /// `true` / `false`.
    Bool { pos: usize, value: bool },
    /// A number literal.
    Number {
        pos: usize,
        src: String,
        value: Number,
    },
    /// A string literal.
    Str {
        pos: usize,
        src: String,
        value: String,
    },
    /// A function name.
    Func { pos: usize, name: String },
    /// `(pipeline)`.
    Pipe(Box<Pipe>),
}

/// The value of a number literal, typed like Go's ideal constants.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Number {
    Int(i64),
    Float(f64),
}

impl Arg {
    /// Byte offset where the operand starts.
    pub(crate) fn pos(&self) -> usize {
        match self {
            Arg::Field { pos, .. }
            | Arg::Variable { pos, .. }
            | Arg::Chain { pos, .. }
            | Arg::Dot { pos }
            | Arg::Nil { pos }
            | Arg::Bool { pos, .. }
            | Arg::Number { pos, .. }
            | Arg::Str { pos, .. }
            | Arg::Func { pos, .. } => *pos,
            Arg::Pipe(p) => p.pos,
        }
    }
}

fn write_path(f: &mut fmt::Formatter<'_>, path: &[String]) -> fmt::Result {
    for p in path {
        write!(f, ".{p}")?;
    }
    Ok(())
}

impl fmt::Display for Arg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Arg::Field { path, .. } => write_path(f, path),
            Arg::Variable { name, path, .. } => {
                f.write_str(name)?;
                write_path(f, path)
            }
            Arg::Chain { node, path, .. } => {
                if matches!(**node, Arg::Pipe(_)) {
                    write!(f, "{node}")?;
                } else {
                    write!(f, "({node})")?;
                }
                write_path(f, path)
            }
            Arg::Dot { .. } => f.write_str("."),
            Arg::Nil { .. } => f.write_str("nil"),
            Arg::Bool { value, .. } => write!(f, "{value}"),
            Arg::Number { src, .. } | Arg::Str { src, .. } => f.write_str(src),
            Arg::Func { name, .. } => f.write_str(name),
            Arg::Pipe(p) => write!(f, "({p})"),
        }
    }
}

impl fmt::Display for Command {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, a) in self.args.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{a}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Pipe {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.decl.is_empty() {
            f.write_str(&self.decl.join(", "))?;
            f.write_str(if self.is_assign { " = " } else { " := " })?;
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                f.write_str(" | ")?;
            }
            write!(f, "{c}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_round_trips_operands() {
        let field = Arg::Field {
            pos: 0,
            path: vec!["Host".into(), "Arch".into()],
        };
        let var = Arg::Variable {
            pos: 0,
            name: "$x".into(),
            path: vec!["Y".into()],
        };
        let cmd = Command {
            pos: 0,
            args: vec![
                Arg::Func {
                    pos: 0,
                    name: "join".into(),
                },
                field,
                var,
            ],
        };
        let pipe = Pipe {
            pos: 0,
            is_assign: false,
            decl: vec!["$v".into()],
            cmds: vec![cmd],
        };
        assert_eq!(pipe.to_string(), "$v := join .Host.Arch $x.Y");
    }
}
