//! Lexical items of the template language: keywords, tokens and their
//! positions, plus Go's escape decoding for quoted strings and `%#U`
//! rune formatting used in error messages.

/// Keywords that may start an action.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keyword {
    Block,
    Break,
    Continue,
    Define,
    Else,
    End,
    If,
    Range,
    Template,
    With,
}

impl Keyword {
    pub(crate) fn from_ident(s: &str) -> Option<Keyword> {
        Some(match s {
            "block" => Keyword::Block,
            "break" => Keyword::Break,
            "continue" => Keyword::Continue,
            "define" => Keyword::Define,
            "else" => Keyword::Else,
            "end" => Keyword::End,
            "if" => Keyword::If,
            "range" => Keyword::Range,
            "template" => Keyword::Template,
            "with" => Keyword::With,
            _ => return None,
        })
    }

    /// The keyword as written in a template.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Keyword::Block => "block",
            Keyword::Break => "break",
            Keyword::Continue => "continue",
            Keyword::Define => "define",
            Keyword::Else => "else",
            Keyword::End => "end",
            Keyword::If => "if",
            Keyword::Range => "range",
            Keyword::Template => "template",
            Keyword::With => "with",
        }
    }
}

/// One lexical item.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// Plain text outside actions (already trimmed).
    Text(String),
    /// `{{`.
    LeftDelim,
    /// `}}`.
    RightDelim,
    /// A run of spaces inside an action.
    Space,
    /// A keyword.
    Keyword(Keyword),
    /// A function name.
    Identifier(String),
    /// `.Name` (the name without the dot).
    Field(String),
    /// A lone `.`.
    Dot,
    /// `$` or `$name` (with the `$`).
    Variable(String),
    /// `true` or `false`.
    Bool(bool),
    /// `nil`.
    Nil,
    /// A number literal, as written.
    Number(String),
    /// A character constant, as written (with quotes).
    CharConst(String),
    /// A quoted or raw string: source text and decoded value.
    Str { src: String, value: String },
    /// `|`.
    Pipe,
    /// `(`.
    LeftParen,
    /// `)`.
    RightParen,
    /// `:=`.
    Declare,
    /// `=`.
    Assign,
    /// Any other printable ASCII character (`,` among them).
    Char(char),
    /// A lexical error; always the last token.
    Error(String),
    /// End of input.
    Eof,
}

impl Tok {
    /// Go's `item.String()`, used in "unexpected X in Y" messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            Tok::Eof => "EOF".to_string(),
            Tok::Error(msg) => msg.clone(),
            Tok::Keyword(k) => format!("<{}>", k.name()),
            other => {
                let src = other.source();
                if src.chars().count() > 10 {
                    let head: String = src.chars().take(10).collect();
                    format!("{}...", super::printf::go_quote(&head))
                } else {
                    super::printf::go_quote(&src)
                }
            }
        }
    }

    /// The token's text as it appeared in the template.
    pub(crate) fn source(&self) -> String {
        match self {
            Tok::Text(s) => s.clone(),
            Tok::LeftDelim => "{{".into(),
            Tok::RightDelim => "}}".into(),
            Tok::Space => " ".into(),
            Tok::Keyword(k) => k.name().into(),
            Tok::Identifier(s) | Tok::Number(s) | Tok::CharConst(s) => s.clone(),
            Tok::Variable(s) => s.clone(),
            Tok::Field(s) => format!(".{s}"),
            Tok::Dot => ".".into(),
            Tok::Bool(b) => b.to_string(),
            Tok::Nil => "nil".into(),
            Tok::Str { src, .. } => src.clone(),
            Tok::Pipe => "|".into(),
            Tok::LeftParen => "(".into(),
            Tok::RightParen => ")".into(),
            Tok::Declare => ":=".into(),
            Tok::Assign => "=".into(),
            Tok::Char(c) => c.to_string(),
            Tok::Error(s) => s.clone(),
            Tok::Eof => String::new(),
        }
    }
}

/// A token and where it starts (byte offset into the template).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) pos: usize,
}

/// Formats a rune like Go's `%#U`: `U+0023 '#'`.
pub(crate) fn go_rune(c: char) -> String {
    if c.is_control() {
        format!("U+{:04X}", c as u32)
    } else {
        format!("U+{:04X} '{c}'", c as u32)
    }
}

/// Decodes Go escape sequences in the body of a quoted string or
/// character constant (`quote` is the delimiter that must be escaped).
pub(crate) fn unquote(body: &str, quote: char) -> Result<String, String> {
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    let invalid = || "invalid syntax".to_string();
    while let Some(c) = chars.next() {
        if c == quote {
            return Err(invalid());
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars.next().ok_or_else(invalid)?;
        let simple = match e {
            'a' => Some('\x07'),
            'b' => Some('\x08'),
            'f' => Some('\x0c'),
            'n' => Some('\n'),
            'r' => Some('\r'),
            't' => Some('\t'),
            'v' => Some('\x0b'),
            '\\' => Some('\\'),
            '\'' if quote == '\'' => Some('\''),
            '"' if quote == '"' => Some('"'),
            _ => None,
        };
        if let Some(s) = simple {
            out.push(s);
            continue;
        }
        let (radix, len) = match e {
            'x' => (16, 2),
            'u' => (16, 4),
            'U' => (16, 8),
            '0'..='7' => (8, 2),
            _ => return Err(invalid()),
        };
        let mut digits = String::new();
        if radix == 8 {
            digits.push(e);
        }
        for _ in 0..len {
            digits.push(chars.next().ok_or_else(invalid)?);
        }
        let n = u32::from_str_radix(&digits, radix).map_err(|_| invalid())?;
        if e == 'x' || radix == 8 {
            if n > 255 {
                return Err(invalid());
            }
            // Go strings are bytes; a lone high byte is kept as its
            // Unicode code point here (Rust strings must stay UTF-8).
            out.push(char::from_u32(n).ok_or_else(invalid)?);
        } else {
            out.push(char::from_u32(n).ok_or_else(invalid)?);
        }
    }
    Ok(out)
}
