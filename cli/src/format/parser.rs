//! Recursive-descent parser from tokens to the [`ast`](super::ast) tree.
//! Follows the grammar and error texts of Go's `text/template/parse`,
//! including variable scoping (`undefined variable "$x"`), the check that
//! every function exists, and `{{else if}}` / `{{else with}}` chains.

use super::FormatError;
use super::ast::{Arg, Command, Control, ControlKind, List, Node, Number, Pipe};
use super::funcs;
use super::lexer::lex;
use super::token::{Keyword, Tok, Token};

/// Deepest nesting of control structures and parentheses accepted.
pub(crate) const MAX_DEPTH: usize = 100;

/// What ended a list of nodes.
enum Stop {
    End,
    /// `{{else}}`; `chained` is set for `{{else if}}` / `{{else with}}`
    /// (the keyword is left pending).
    Else {
        chained: Option<Keyword>,
    },
}

struct Parser<'s> {
    name: &'s str,
    src: &'s str,
    toks: Vec<Token>,
    idx: usize,
    last_pos: usize,
    vars: Vec<String>,
    depth: usize,
    range_depth: usize,
}

/// Parses a template body.
pub(crate) fn parse(name: &str, src: &str) -> Result<List, FormatError> {
    let mut p = Parser {
        name,
        src,
        toks: lex(src),
        idx: 0,
        last_pos: 0,
        vars: vec!["$".to_string()],
        depth: 0,
        range_depth: 0,
    };
    let mut list = Vec::new();
    loop {
        if p.peek() == &Tok::Eof {
            return Ok(list);
        }
        match p.text_or_action()? {
            Item::Node(n) => list.push(n),
            Item::Stop(Stop::End) => return Err(p.error("unexpected {{end}}")),
            Item::Stop(Stop::Else { .. }) => return Err(p.error("unexpected {{else}}")),
        }
    }
}

enum Item {
    Node(Node),
    Stop(Stop),
}

impl Parser<'_> {
    fn error(&self, msg: impl Into<String>) -> FormatError {
        let line = 1 + self.src[..self.last_pos.min(self.src.len())]
            .bytes()
            .filter(|&b| b == b'\n')
            .count();
        FormatError::Parse {
            name: self.name.to_string(),
            line,
            msg: msg.into(),
        }
    }

    fn next(&mut self) -> Token {
        let i = self.idx.min(self.toks.len() - 1);
        if self.idx < self.toks.len() {
            self.idx += 1;
        }
        let t = self.toks[i].clone();
        self.last_pos = t.pos;
        t
    }

    fn backup(&mut self) {
        self.idx = self.idx.saturating_sub(1);
    }

    fn peek(&self) -> &Tok {
        &self.toks[self.idx.min(self.toks.len() - 1)].tok
    }

    fn next_non_space(&mut self) -> Token {
        loop {
            let t = self.next();
            if t.tok != Tok::Space {
                return t;
            }
        }
    }

    fn peek_non_space(&mut self) -> Tok {
        let t = self.next_non_space();
        self.backup();
        t.tok
    }

    fn unexpected(&self, tok: &Tok, context: &str) -> FormatError {
        if let Tok::Error(msg) = tok {
            return self.error(msg.clone());
        }
        self.error(format!("unexpected {} in {context}", tok.describe()))
    }

    fn enter(&mut self) -> Result<(), FormatError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.error(format!("max nesting depth {MAX_DEPTH} exceeded")));
        }
        Ok(())
    }

    fn text_or_action(&mut self) -> Result<Item, FormatError> {
        let t = self.next_non_space();
        match t.tok {
            Tok::Text(s) => Ok(Item::Node(Node::Text(s))),
            Tok::LeftDelim => self.action(),
            other => Err(self.unexpected(&other, "input")),
        }
    }

    /// Parses nodes until `{{end}}` or `{{else}}`.
    fn item_list(&mut self) -> Result<(List, Stop), FormatError> {
        let mut list = Vec::new();
        while self.peek_non_space() != Tok::Eof {
            match self.text_or_action()? {
                Item::Node(n) => list.push(n),
                Item::Stop(s) => return Ok((list, s)),
            }
        }
        Err(self.error("unexpected EOF"))
    }

    fn action(&mut self) -> Result<Item, FormatError> {
        let t = self.next_non_space();
        match t.tok {
            Tok::Keyword(Keyword::End) => {
                self.expect_right_delim("end")?;
                Ok(Item::Stop(Stop::End))
            }
            Tok::Keyword(Keyword::Else) => {
                let peek = self.peek_non_space();
                if let Tok::Keyword(k @ (Keyword::If | Keyword::With)) = peek {
                    self.next_non_space();
                    return Ok(Item::Stop(Stop::Else { chained: Some(k) }));
                }
                self.expect_right_delim("else")?;
                Ok(Item::Stop(Stop::Else { chained: None }))
            }
            Tok::Keyword(Keyword::If) => self.control(ControlKind::If).map(Item::Node),
            Tok::Keyword(Keyword::Range) => self.control(ControlKind::Range).map(Item::Node),
            Tok::Keyword(Keyword::With) => self.control(ControlKind::With).map(Item::Node),
            Tok::Keyword(k @ (Keyword::Break | Keyword::Continue)) => {
                if self.range_depth == 0 {
                    return Err(self.error(format!("{{{{{}}}}} outside {{{{range}}}}", k.name())));
                }
                self.expect_right_delim(k.name())?;
                Ok(Item::Node(if k == Keyword::Break {
                    Node::Break
                } else {
                    Node::Continue
                }))
            }
            Tok::Keyword(k @ (Keyword::Define | Keyword::Template | Keyword::Block)) => {
                Err(self.error(format!("{{{{{}}}}} is not supported by rpod", k.name())))
            }
            _ => {
                self.backup();
                let pipe = self.pipeline("command", true)?;
                Ok(Item::Node(Node::Action(pipe)))
            }
        }
    }

    fn expect_right_delim(&mut self, context: &str) -> Result<(), FormatError> {
        let t = self.next_non_space();
        if t.tok != Tok::RightDelim {
            return Err(self.unexpected(&t.tok, context));
        }
        Ok(())
    }

    fn control(&mut self, kind: ControlKind) -> Result<Node, FormatError> {
        self.enter()?;
        let mark = self.vars.len();
        let pipe = self.pipeline(kind.name(), true)?;
        if kind == ControlKind::Range && pipe.decl.len() > 2 {
            return Err(self.error("too many declarations in range"));
        }
        if kind == ControlKind::Range {
            self.range_depth += 1;
        }
        let body = self.item_list();
        if kind == ControlKind::Range {
            self.range_depth -= 1;
        }
        let (list, stop) = body?;
        let else_list = match stop {
            Stop::End => None,
            Stop::Else { chained: Some(k) } => {
                let nested = match (kind, k) {
                    (ControlKind::If, Keyword::If) => self.control(ControlKind::If)?,
                    (ControlKind::With, Keyword::With) => self.control(ControlKind::With)?,
                    _ => return Err(self.unexpected(&Tok::Keyword(k), "input")),
                };
                Some(vec![nested])
            }
            Stop::Else { chained: None } => {
                let (else_list, stop) = self.item_list()?;
                if !matches!(stop, Stop::End) {
                    return Err(self.error("expected end; found {{else}}"));
                }
                Some(else_list)
            }
        };
        self.vars.truncate(mark);
        self.depth -= 1;
        Ok(Node::Control(Box::new(Control {
            kind,
            pipe,
            list,
            else_list,
        })))
    }

    /// Parses a pipeline ending at `}}` (`delim`) or `)`.
    fn pipeline(&mut self, context: &str, delim: bool) -> Result<Pipe, FormatError> {
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

    fn declarations(&mut self, pipe: &mut Pipe, context: &str) -> Result<(), FormatError> {
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

    fn check_pipeline(&self, pipe: Pipe, context: &str) -> Result<Pipe, FormatError> {
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

    fn command(&mut self) -> Result<Command, FormatError> {
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

    fn operand(&mut self) -> Result<Option<Arg>, FormatError> {
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
            Arg::Field { pos, mut path } => {
                path.extend(more);
                Arg::Field { pos, path }
            }
            Arg::Variable {
                pos,
                name,
                mut path,
            } => {
                path.extend(more);
                Arg::Variable { pos, name, path }
            }
            n @ (Arg::Bool { .. }
            | Arg::Str { .. }
            | Arg::Number { .. }
            | Arg::Nil { .. }
            | Arg::Dot { .. }) => {
                return Err(self.error(format!(
                    "unexpected . after term {}",
                    super::printf::go_quote(&n.to_string())
                )));
            }
            n => Arg::Chain {
                pos: chain_pos,
                node: Box::new(n),
                path: more,
            },
        }))
    }

    fn term(&mut self) -> Result<Option<Arg>, FormatError> {
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
                let value = super::token::unquote(body, '\'')
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

fn quote(s: &str) -> String {
    super::printf::go_quote(s)
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

    fn err(src: &str) -> String {
        match parse("output", src) {
            Ok(_) => panic!("{src:?} parsed"),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn numbers() {
        assert_eq!(parse_number("42"), Ok(Number::Int(42)));
        assert_eq!(parse_number("-0x1F"), Ok(Number::Int(-31)));
        assert_eq!(parse_number("017"), Ok(Number::Int(15)));
        assert_eq!(parse_number("1_000"), Ok(Number::Int(1000)));
        assert_eq!(parse_number("1.5e3"), Ok(Number::Float(1500.0)));
        assert!(parse_number("99999999999999999999").is_err());
    }

    #[test]
    fn go_error_texts() {
        assert_eq!(
            err("{{foo .}}"),
            "template: output:1: function \"foo\" not defined"
        );
        assert_eq!(
            err("{{.Host.Arch }"),
            "template: output:1: unexpected \"}\" in operand"
        );
        assert_eq!(
            err("{{.Host.Arch}"),
            "template: output:1: bad character U+007D '}'"
        );
        assert_eq!(err("{{if .X}}a"), "template: output:1: unexpected EOF");
        assert_eq!(err("a\n{{end}}"), "template: output:2: unexpected {{end}}");
        assert_eq!(err("{{else}}"), "template: output:1: unexpected {{else}}");
        assert_eq!(
            err("{{$x}}"),
            "template: output:1: undefined variable \"$x\""
        );
        assert_eq!(err("{{}}"), "template: output:1: missing value for command");
        assert_eq!(err("{{.X"), "template: output:1: unclosed action");
        assert_eq!(
            err("{{.X | 3}}"),
            "template: output:1: non executable command in pipeline stage 2"
        );
        assert_eq!(
            err("{{if .A}}{{else}}{{else}}{{end}}"),
            "template: output:1: expected end; found {{else}}"
        );
        assert_eq!(
            err("{{range $a, $b, $c := .}}{{end}}"),
            "template: output:1: too many declarations in range"
        );
        assert_eq!(
            err("{{with $x := 1}}{{end}}{{$x}}"),
            "template: output:1: undefined variable \"$x\""
        );
        assert_eq!(
            err("{{break}}"),
            "template: output:1: {{break}} outside {{range}}"
        );
        assert_eq!(
            err("{{\"a\".B}}"),
            "template: output:1: unexpected . after term \"\\\"a\\\"\""
        );
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = "{{if 1}}".repeat(MAX_DEPTH + 1);
        assert!(err(&deep).contains("max nesting depth"));
        let parens = format!("{{{{{}1{}}}}}", "(".repeat(200), ")".repeat(200));
        assert!(err(&parens).contains("max nesting depth"));
    }

    #[test]
    fn else_if_chains_nest() {
        let list = parse("o", "{{if .A}}a{{else if .B}}b{{else}}c{{end}}").unwrap();
        let Node::Control(c) = &list[0] else {
            panic!("not a control")
        };
        let else_list = c.else_list.as_ref().unwrap();
        let Node::Control(inner) = &else_list[0] else {
            panic!("else is not an if")
        };
        assert_eq!(inner.kind, ControlKind::If);
        assert!(inner.else_list.is_some());
    }
}
