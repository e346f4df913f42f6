//! Lexer for the Go `text/template` subset: splits a template into text
//! runs and the tokens inside `{{ }}` actions, applying the `{{- ` / ` -}}`
//! whitespace trim markers and dropping `{{/* comments */}}`.
//!
//! Like Go's lexer, a lexical error becomes an [`Tok::Error`] token that
//! ends the stream; the parser reports it when it reaches it, so errors
//! come out in source order.

use super::token::{Keyword, Tok, Token};
use super::token::{go_rune, unquote};

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

struct Lexer<'s> {
    src: &'s str,
    pos: usize,
    out: Vec<Token>,
    paren_depth: usize,
    trim_next_text: bool,
}

/// Lexes `src` into tokens, ending with [`Tok::Eof`] or [`Tok::Error`].
pub(crate) fn lex(src: &str) -> Vec<Token> {
    let mut lx = Lexer {
        src,
        pos: 0,
        out: Vec::new(),
        paren_depth: 0,
        trim_next_text: false,
    };
    lx.run();
    lx.out
}

impl Lexer<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn emit(&mut self, tok: Tok, pos: usize) {
        self.out.push(Token { tok, pos });
    }

    /// Emits an error token; the caller must stop lexing.
    fn fail(&mut self, msg: String) {
        let pos = self.pos;
        self.emit(Tok::Error(msg), pos);
    }

    fn run(&mut self) {
        loop {
            let start = self.pos;
            let Some(off) = self.rest().find("{{") else {
                self.emit_text(start, self.src.len(), false);
                let end = self.src.len();
                self.emit(Tok::Eof, end);
                return;
            };
            let delim = start + off;
            let after = &self.src[delim + 2..];
            let trim_left = has_left_trim(after);
            self.emit_text(start, delim, trim_left);
            self.pos = delim + 2 + if trim_left { 2 } else { 0 };
            if !self.lex_action(delim) {
                return;
            }
        }
    }

    fn emit_text(&mut self, start: usize, end: usize, trim_right: bool) {
        let mut text = &self.src[start..end];
        if std::mem::take(&mut self.trim_next_text) {
            text = text.trim_start_matches(is_space);
        }
        if trim_right {
            text = text.trim_end_matches(is_space);
        }
        if !text.is_empty() {
            self.emit(Tok::Text(text.to_string()), start);
        }
    }

    /// Checks for `}}` or ` -}}` at the cursor; consumes it when present.
    fn at_right_delim(&mut self) -> bool {
        let rest = self.rest();
        if rest.starts_with("}}") {
            self.pos += 2;
            return true;
        }
        let b = rest.as_bytes();
        if b.len() >= 4 && is_space(b[0] as char) && &b[1..4] == b"-}}" {
            self.pos += 4;
            self.trim_next_text = true;
            return true;
        }
        false
    }

    /// Lexes one action (or comment) whose `{{` starts at `open`.
    /// Returns false after emitting an error.
    fn lex_action(&mut self, open: usize) -> bool {
        if self.rest().starts_with("/*") {
            return self.lex_comment();
        }
        self.emit(Tok::LeftDelim, open);
        loop {
            if self.at_right_delim() {
                if self.paren_depth > 0 {
                    self.fail("unclosed left paren".into());
                    return false;
                }
                let pos = self.pos;
                self.emit(Tok::RightDelim, pos);
                return true;
            }
            let start = self.pos;
            let Some(c) = self.peek() else {
                self.fail("unclosed action".into());
                return false;
            };
            if !self.lex_inside(c, start) {
                return false;
            }
        }
    }

    fn lex_comment(&mut self) -> bool {
        let Some(end) = self.rest().find("*/") else {
            self.fail("unclosed comment".into());
            return false;
        };
        self.pos += end + 2;
        if !self.at_right_delim() {
            self.fail("comment ends before closing delimiter".into());
            return false;
        }
        true
    }

    fn lex_inside(&mut self, c: char, start: usize) -> bool {
        match c {
            c if is_space(c) => {
                // Stop before a ` -}}` so the trim marker is seen.
                while let Some(c) = self.peek() {
                    let r = self.rest();
                    if !is_space(c) || r.as_bytes().get(1..4) == Some(b"-}}".as_slice()) {
                        break;
                    }
                    self.pos += c.len_utf8();
                }
                if self.pos == start {
                    // A single space that starts ` -}}`.
                    self.pos += 1;
                }
                self.emit(Tok::Space, start);
            }
            '=' => self.single(Tok::Assign, start),
            ':' => {
                if !self.rest().starts_with(":=") {
                    self.pos += 1;
                    self.fail("expected :=".into());
                    return false;
                }
                self.pos += 2;
                self.emit(Tok::Declare, start);
            }
            '|' => self.single(Tok::Pipe, start),
            '"' => return self.lex_quote(start),
            '`' => return self.lex_raw(start),
            '\'' => return self.lex_char(start),
            '$' => {
                self.pos += 1;
                self.scan_alnum();
                let name = self.src[start..self.pos].to_string();
                return self.finish_word(Tok::Variable(name), start);
            }
            '.' => {
                let next = self.rest()[1..].chars().next();
                if next.is_some_and(|n| n.is_ascii_digit()) {
                    return self.lex_number(start);
                }
                self.pos += 1;
                self.scan_alnum();
                if self.pos == start + 1 {
                    self.emit(Tok::Dot, start);
                    return true;
                }
                let name = self.src[start + 1..self.pos].to_string();
                return self.finish_word(Tok::Field(name), start);
            }
            '+' | '-' | '0'..='9' => return self.lex_number(start),
            '(' => {
                self.paren_depth += 1;
                self.single(Tok::LeftParen, start);
            }
            ')' => {
                if self.paren_depth == 0 {
                    self.pos += 1;
                    self.fail("unexpected right paren".into());
                    return false;
                }
                self.paren_depth -= 1;
                self.single(Tok::RightParen, start);
            }
            c if is_alnum(c) => {
                self.scan_alnum();
                let word = &self.src[start..self.pos];
                let tok = match word {
                    "true" => Tok::Bool(true),
                    "false" => Tok::Bool(false),
                    "nil" => Tok::Nil,
                    w => match Keyword::from_ident(w) {
                        Some(k) => Tok::Keyword(k),
                        None => Tok::Identifier(w.to_string()),
                    },
                };
                return self.finish_word(tok, start);
            }
            c if c.is_ascii() && !c.is_ascii_control() => self.single(Tok::Char(c), start),
            c => {
                self.pos += c.len_utf8();
                self.fail(format!("unrecognized character in action: {}", go_rune(c)));
                return false;
            }
        }
        true
    }

    fn single(&mut self, tok: Tok, start: usize) {
        self.pos += 1;
        self.emit(tok, start);
    }

    fn scan_alnum(&mut self) {
        while let Some(c) = self.peek() {
            if !is_alnum(c) {
                break;
            }
            self.pos += c.len_utf8();
        }
    }

    /// Emits a word token if it is followed by a valid terminator.
    fn finish_word(&mut self, tok: Tok, start: usize) -> bool {
        let ok = match self.peek() {
            None => true,
            Some(c) => {
                is_space(c)
                    || matches!(c, '.' | ',' | '|' | ':' | ')' | '(' | '=')
                    || self.rest().starts_with("}}")
            }
        };
        if !ok {
            let c = self.peek().unwrap_or(' ');
            self.fail(format!("bad character {}", go_rune(c)));
            return false;
        }
        self.emit(tok, start);
        true
    }

    fn lex_quote(&mut self, start: usize) -> bool {
        self.pos += 1;
        loop {
            match self.peek() {
                None | Some('\n') => {
                    self.fail("unterminated quoted string".into());
                    return false;
                }
                Some('\\') => {
                    self.pos += 1;
                    match self.peek() {
                        None | Some('\n') => {
                            self.fail("unterminated quoted string".into());
                            return false;
                        }
                        Some(c) => self.pos += c.len_utf8(),
                    }
                }
                Some('"') => {
                    self.pos += 1;
                    break;
                }
                Some(c) => self.pos += c.len_utf8(),
            }
        }
        let src = &self.src[start..self.pos];
        match unquote(&src[1..src.len() - 1], '"') {
            Ok(value) => {
                let src = src.to_string();
                self.emit(Tok::Str { src, value }, start);
                true
            }
            Err(e) => {
                self.fail(e);
                false
            }
        }
    }

    fn lex_raw(&mut self, start: usize) -> bool {
        let Some(end) = self.rest()[1..].find('`') else {
            self.fail("unterminated raw quoted string".into());
            return false;
        };
        self.pos += end + 2;
        let src = self.src[start..self.pos].to_string();
        let value = src[1..src.len() - 1].replace('\r', "");
        self.emit(Tok::Str { src, value }, start);
        true
    }

    fn lex_char(&mut self, start: usize) -> bool {
        self.pos += 1;
        loop {
            match self.peek() {
                None | Some('\n') => {
                    self.fail("unterminated character constant".into());
                    return false;
                }
                Some('\\') => {
                    self.pos += 1;
                    if let Some(c) = self.peek() {
                        self.pos += c.len_utf8();
                    }
                }
                Some('\'') => {
                    self.pos += 1;
                    break;
                }
                Some(c) => self.pos += c.len_utf8(),
            }
        }
        let src = self.src[start..self.pos].to_string();
        self.emit(Tok::CharConst(src), start);
        true
    }

    fn lex_number(&mut self, start: usize) -> bool {
        let bytes = self.src.as_bytes();
        let mut i = self.pos;
        if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
            i += 1;
        }
        let mut digits: &[u8] = b"0123456789_";
        let mut exp: &[u8] = b"eE";
        if i + 1 < bytes.len() && bytes[i] == b'0' {
            match bytes[i + 1] {
                b'x' | b'X' => {
                    i += 2;
                    digits = b"0123456789abcdefABCDEF_";
                    exp = b"pP";
                }
                b'o' | b'O' => {
                    i += 2;
                    digits = b"01234567_";
                    exp = b"";
                }
                b'b' | b'B' => {
                    i += 2;
                    digits = b"01_";
                    exp = b"";
                }
                _ => {}
            }
        }
        let run = |i: &mut usize, set: &[u8]| {
            while *i < bytes.len() && set.contains(&bytes[*i]) {
                *i += 1;
            }
        };
        run(&mut i, digits);
        if i < bytes.len() && bytes[i] == b'.' {
            i += 1;
            run(&mut i, digits);
        }
        if !exp.is_empty() && i < bytes.len() && exp.contains(&bytes[i]) {
            i += 1;
            if i < bytes.len() && (bytes[i] == b'+' || bytes[i] == b'-') {
                i += 1;
            }
            run(&mut i, b"0123456789_");
        }
        if i < bytes.len() && bytes[i] == b'i' {
            i += 1;
        }
        self.pos = i;
        if self.peek().is_some_and(is_alnum) {
            let c = self.peek().map_or(0, char::len_utf8);
            self.pos += c;
            let bad = self.src[start..self.pos].to_string();
            self.fail(format!(
                "bad number syntax: {}",
                super::printf::go_quote(&bad)
            ));
            return false;
        }
        let text = self.src[start..self.pos].to_string();
        self.emit(Tok::Number(text), start);
        true
    }
}

fn has_left_trim(after_delim: &str) -> bool {
    let b = after_delim.as_bytes();
    b.len() >= 2 && b[0] == b'-' && is_space(b[1] as char)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(src: &str) -> Vec<Tok> {
        lex(src).into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn text_and_field_chain() {
        assert_eq!(
            toks("a{{.Host.Arch}}b"),
            vec![
                Tok::Text("a".into()),
                Tok::LeftDelim,
                Tok::Field("Host".into()),
                Tok::Field("Arch".into()),
                Tok::RightDelim,
                Tok::Text("b".into()),
                Tok::Eof,
            ]
        );
    }

    #[test]
    fn trim_markers_remove_surrounding_space() {
        assert_eq!(
            toks("a \n {{- . -}} \n b"),
            vec![
                Tok::Text("a".into()),
                Tok::LeftDelim,
                Tok::Dot,
                Tok::RightDelim,
                Tok::Text("b".into()),
                Tok::Eof,
            ]
        );
    }

    #[test]
    fn minus_without_space_is_a_number() {
        assert_eq!(
            toks("{{-3}}"),
            vec![
                Tok::LeftDelim,
                Tok::Number("-3".into()),
                Tok::RightDelim,
                Tok::Eof
            ]
        );
    }

    #[test]
    fn comments_vanish() {
        assert_eq!(
            toks("x {{- /* hi */ -}} y"),
            vec![Tok::Text("x".into()), Tok::Text("y".into()), Tok::Eof]
        );
        assert_eq!(toks("{{/* x"), vec![Tok::Error("unclosed comment".into())]);
    }

    #[test]
    fn strings_decode_escapes() {
        let t = toks(r#"{{"a\tb\u00e9" `r\n`}}"#);
        assert_eq!(
            t[1],
            Tok::Str {
                src: r#""a\tb\u00e9""#.into(),
                value: "a\tbé".into()
            }
        );
        assert_eq!(
            t[3],
            Tok::Str {
                src: "`r\\n`".into(),
                value: "r\\n".into()
            }
        );
    }

    #[test]
    fn errors_end_the_stream() {
        assert_eq!(
            toks("{{.X"),
            vec![
                Tok::LeftDelim,
                Tok::Field("X".into()),
                Tok::Error("unclosed action".into())
            ]
        );
        assert_eq!(
            toks(r#"{{"abc}}"#).last(),
            Some(&Tok::Error("unterminated quoted string".into()))
        );
        assert_eq!(
            toks("{{3x}}").last(),
            Some(&Tok::Error("bad number syntax: \"3x\"".into()))
        );
        assert_eq!(
            toks("{{(.X}}").last(),
            Some(&Tok::Error("unclosed left paren".into()))
        );
        assert_eq!(
            toks("{{.X#}}").last(),
            Some(&Tok::Error("bad character U+0023 '#'".into()))
        );
    }

    #[test]
    fn keywords_and_variables() {
        assert_eq!(
            toks("{{range $i, $e := .}}"),
            vec![
                Tok::LeftDelim,
                Tok::Keyword(Keyword::Range),
                Tok::Space,
                Tok::Variable("$i".into()),
                Tok::Char(','),
                Tok::Space,
                Tok::Variable("$e".into()),
                Tok::Space,
                Tok::Declare,
                Tok::Space,
                Tok::Dot,
                Tok::RightDelim,
                Tok::Eof,
            ]
        );
    }
}
