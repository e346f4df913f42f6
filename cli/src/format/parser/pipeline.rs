//! Pipelines and what they are made of: variable declarations, commands,
//! operands (fields, chained calls, parenthesised pipelines) and number literals.

use super::Parser;
use crate::format::FormatError;
use crate::format::ast::{Arg, Command, Number, Pipe};
use crate::format::funcs;
use crate::format::token::Tok;

impl Parser<'_> {
    /// Parses a pipeline ending at `}}` (`delim`) or `)`.
    pub(super) fn pipeline(&mut self, context: &str, delim: bool) -> Result<Pipe, FormatError> {
        let pos = {
            let t = self.next_non_space();
            self.backup();
            t.pos
        };
        let mut pipe = Pipe {
            pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        self.declarations(&mut pipe, context)?;
        loop {
            let t = self.next_non_space();
            match &t.tok {
                Tok::RightDelim if delim => return self.check_pipeline(pipe, context),
                Tok::RightParen if !delim => return self.check_pipeline(pipe, context),
                Tok::Bool(_)
                | Tok::CharConst(_)
                | Tok::Dot
                | Tok::Field(_)
                | Tok::Identifier(_)
                | Tok::Number(_)
                | Tok::Nil
                | Tok::Str { .. }
                | Tok::Variable(_)
                | Tok::LeftParen => {
                    self.backup();
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                }
                other => return Err(self.unexpected(other, context)),
            }
        }
    }

    pub(super) fn declarations(
        &mut self,
        pipe: &mut Pipe,
        context: &str,
    ) -> Result<(), FormatError> {
        loop {
            let Tok::Variable(name) = self.peek_non_space() else {
                return Ok(());
            };
            let save = self.idx;
            self.next_non_space();
            let after = self.peek_non_space();
            match after {
                Tok::Declare | Tok::Assign => {
                    self.next_non_space();
                    pipe.is_assign = after == Tok::Assign;
                    pipe.decl.push(name.clone());
                    self.vars.push(name);
                    return Ok(());
                }
                Tok::Char(',') => {
                    self.next_non_space();
                    pipe.decl.push(name.clone());
                    self.vars.push(name);
                    if context == "range" && pipe.decl.len() < 2 {
                        match self.peek_non_space() {
                            Tok::Variable(_) | Tok::RightDelim | Tok::RightParen => continue,
                            _ => return Err(self.error("range can only initialize variables")),
                        }
                    }
                    return Err(self.error(format!("too many declarations in {context}")));
                }
                _ => {
                    self.idx = save;
                    return Ok(());
                }
            }
        }
    }

    pub(super) fn check_pipeline(&self, pipe: Pipe, context: &str) -> Result<Pipe, FormatError> {
        if pipe.cmds.is_empty() {
            return Err(self.error(format!("missing value for {context}")));
        }
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args.first(),
                Some(
                    Arg::Bool { .. }
                        | Arg::Dot { .. }
                        | Arg::Nil { .. }
                        | Arg::Number { .. }
                        | Arg::Str { .. }
                )
            ) {
                return Err(self.error(format!(
                    "non executable command in pipeline stage {}",
                    i + 1
                )));
            }
        }
        Ok(pipe)
    }

    pub(super) fn command(&mut self) -> Result<Command, FormatError> {
        let pos = {
            let t = self.next_non_space();
            self.backup();
            t.pos
        };
        let mut cmd = Command {
            pos,
            args: Vec::new(),
        };
        loop {
            self.peek_non_space();
            if let Some(op) = self.operand()? {
                cmd.args.push(op);
            }
            let t = self.next();
            match t.tok {
                Tok::Space => continue,
                Tok::RightDelim | Tok::RightParen => self.backup(),
                Tok::Pipe => {}
                other => return Err(self.unexpected(&other, "operand")),
            }
            break;
        }
        if cmd.args.is_empty() {
            return Err(self.error("empty command"));
        }
        Ok(cmd)
    }

    pub(super) fn operand(&mut self) -> Result<Option<Arg>, FormatError> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if !matches!(self.peek(), Tok::Field(_)) {
            return Ok(Some(node));
        }
        let chain_pos = self.toks[self.idx.min(self.toks.len() - 1)].pos;
        let mut more = Vec::new();
        while let Tok::Field(f) = self.peek().clone() {
            self.next();
            more.push(f);
        }
        Ok(Some(match node {
            // Go places a chained field or variable where its second
            // name starts (error columns point there).
            Arg::Field { mut path, .. } => {
                path.extend(more);
                Arg::Field {
                    pos: chain_pos,
                    path,
                }
            }
            Arg::Variable { name, mut path, .. } => {
                path.extend(more);
                Arg::Variable {
                    pos: chain_pos,
                    name,
                    path,
                }
            }
            n @ (Arg::Bool { .. }
            | Arg::Str { .. }
            | Arg::Number { .. }
            | Arg::Nil { .. }
            | Arg::Dot { .. }) => {
                return Err(self.error(format!(
                    "unexpected . after term {}",
                    crate::format::printf::go_quote(&n.to_string())
                )));
            }
            n => Arg::Chain {
                pos: chain_pos,
                node: Box::new(n),
                path: more,
            },
        }))
    }

    pub(super) fn term(&mut self) -> Result<Option<Arg>, FormatError> {
        let t = self.next_non_space();
        let pos = t.pos;
        Ok(Some(match t.tok {
            Tok::Identifier(name) => {
                if !funcs::is_defined(&name) {
                    return Err(self.error(format!("function {} not defined", quote(&name))));
                }
                Arg::Func { pos, name }
            }
            Tok::Dot => Arg::Dot { pos },
            Tok::Nil => Arg::Nil { pos },
            Tok::Variable(name) => {
                if !self.vars.contains(&name) {
                    return Err(self.error(format!("undefined variable {}", quote(&name))));
                }
                Arg::Variable {
                    pos,
                    name,
                    path: Vec::new(),
                }
            }
            Tok::Field(f) => Arg::Field { pos, path: vec![f] },
            Tok::Bool(value) => Arg::Bool { pos, value },
            Tok::Number(src) => {
                let value = parse_number(&src).map_err(|m| self.error(m))?;
                Arg::Number { pos, src, value }
            }
            Tok::CharConst(src) => {
                let body = &src[1..src.len() - 1];
                let value = crate::format::token::unquote(body, '\'')
                    .ok()
                    .filter(|s| s.chars().count() == 1)
                    .and_then(|s| s.chars().next())
                    .ok_or_else(|| self.error(format!("malformed character constant: {src}")))?;
                Arg::Number {
                    pos,
                    src,
                    value: Number::Int(i64::from(u32::from(value))),
                }
            }
            Tok::LeftParen => {
                self.enter()?;
                let pipe = self.pipeline("parenthesized pipeline", false)?;
                self.depth -= 1;
                Arg::Pipe(Box::new(pipe))
            }
            Tok::Str { src, value } => Arg::Str { pos, src, value },
            _ => {
                self.backup();
                return Ok(None);
            }
        }))
    }
}

pub(super) fn quote(s: &str) -> String {
    crate::format::printf::go_quote(s)
}

/// Parses a Go number literal into an int or float constant.
fn parse_number(src: &str) -> Result<Number, String> {
    let illegal = || format!("illegal number syntax: {}", quote(src));
    if src.ends_with('i') {
        return Err(format!("complex numbers are not supported: {src}"));
    }
    let (neg, body) = match src.as_bytes().first() {
        Some(b'-') => (true, &src[1..]),
        Some(b'+') => (false, &src[1..]),
        _ => (false, src),
    };
    if body.starts_with('_') || body.ends_with('_') || body.contains("__") {
        return Err(illegal());
    }
    let clean: String = body.chars().filter(|&c| c != '_').collect();
    let lower = clean.to_ascii_lowercase();
    let radix_int = |digits: &str, radix| {
        i64::from_str_radix(digits, radix).map_err(|_| {
            if digits.is_empty() {
                illegal()
            } else {
                format!("{src} overflows int")
            }
        })
    };
    let int = if let Some(h) = lower.strip_prefix("0x") {
        if h.contains('.') || h.contains('p') {
            return Err(format!("hexadecimal floats are not supported: {src}"));
        }
        Some(radix_int(h, 16)?)
    } else if let Some(o) = lower.strip_prefix("0o") {
        Some(radix_int(o, 8)?)
    } else if let Some(b) = lower.strip_prefix("0b") {
        Some(radix_int(b, 2)?)
    } else if lower.contains(['.', 'e']) {
        None
    } else if lower.len() > 1 && lower.starts_with('0') {
        Some(radix_int(&lower[1..], 8)?)
    } else {
        Some(radix_int(&lower, 10)?)
    };
    match int {
        Some(i) => Ok(Number::Int(if neg { -i } else { i })),
        None => {
            let f: f64 = clean.parse().map_err(|_| illegal())?;
            if !f.is_finite() {
                return Err(illegal());
            }
            Ok(Number::Float(if neg { -f } else { f }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers() {
        assert_eq!(parse_number("42"), Ok(Number::Int(42)));
        assert_eq!(parse_number("-0x1F"), Ok(Number::Int(-31)));
        assert_eq!(parse_number("017"), Ok(Number::Int(15)));
        assert_eq!(parse_number("1_000"), Ok(Number::Int(1000)));
        assert_eq!(parse_number("1.5e3"), Ok(Number::Float(1500.0)));
        assert!(parse_number("99999999999999999999").is_err());
    }
}
