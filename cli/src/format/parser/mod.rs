//! Recursive-descent parser from tokens to the [`ast`](super::ast) tree.
//! Follows the grammar and error texts of Go's `text/template/parse`,
//! including variable scoping (`undefined variable "$x"`), the check that
//! every function exists, and `{{else if}}` / `{{else with}}` chains.

mod pipeline;

use super::FormatError;
use super::ast::{Control, ControlKind, List, Node};
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
