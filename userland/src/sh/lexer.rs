//! The shell lexer: source text to tokens (words with their quoting kept,
//! operators, redirections), each with its source span.
//!
//! Quoting is resolved here: a word is a list of segments, literal or
//! parameter/command substitution, each marked quoted or not, so that the
//! expander knows which characters may be field-split and globbed.
//! Running out of input inside a quote or after a backslash is
//! [`LexError::Incomplete`]: the interactive reader then asks for more.

/// One piece of a word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    /// Literal text.
    Lit { s: String, quoted: bool },
    /// `$name`, `${name}`, `$?`, `$1`, `$@`...
    Param { name: String, quoted: bool },
    /// `$(...)`: the source of the command.
    CmdSub { src: String, quoted: bool },
    /// `$((...))`: the arithmetic expression.
    Arith { expr: String, quoted: bool },
    /// `${name<op>word}` with op one of `:- - :+ + := =`, or `${#name}`
    /// (op `#`, empty word). The word is expanded only when used.
    ParamOp {
        name: String,
        op: String,
        word: String,
        quoted: bool,
    },
}

/// A word: its segments in order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Word(pub Vec<Seg>);

impl Word {
    /// The word as a plain unquoted literal (for reserved words,
    /// assignment names and operators of `test`-like builtins).
    pub fn as_plain(&self) -> Option<&str> {
        match self.0.as_slice() {
            [Seg::Lit { s, quoted: false }] => Some(s),
            _ => None,
        }
    }

    /// A literal word (used by tests and the parser).
    pub fn lit(s: &str) -> Word {
        Word(vec![Seg::Lit {
            s: s.to_string(),
            quoted: false,
        }])
    }
}

/// Redirection operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RedirOp {
    /// `<`
    In,
    /// `>`
    Out,
    /// `>>`
    Append,
    /// `>&`
    DupOut,
    /// `<&`
    DupIn,
}

/// Control operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    Pipe,
    OrIf,
    AndIf,
    Amp,
    Semi,
    Newline,
    LParen,
    RParen,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Tok {
    Word(Word),
    Op(Op),
    /// A redirection with its explicit fd (`2>`), if any.
    Redir(Option<i32>, RedirOp),
}

/// A token and its byte span in the source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub tok: Tok,
    pub start: usize,
    pub end: usize,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LexError {
    /// More input is needed (open quote, trailing backslash, open `$(`).
    Incomplete,
    /// A malformed construct.
    Syntax(String),
}

struct Lexer<'a> {
    src: &'a str,
    chars: Vec<(usize, char)>,
    i: usize,
}

fn is_name_start(c: char) -> bool {
    c == '_' || c.is_ascii_alphabetic()
}

fn is_name_char(c: char) -> bool {
    c == '_' || c.is_ascii_alphanumeric()
}

fn is_meta(c: char) -> bool {
    matches!(
        c,
        '|' | '&' | ';' | '<' | '>' | '(' | ')' | ' ' | '\t' | '\n'
    )
}

impl<'a> Lexer<'a> {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.i).map(|c| c.1)
    }
    fn peek_at(&self, k: usize) -> Option<char> {
        self.chars.get(self.i + k).map(|c| c.1)
    }
    fn pos(&self) -> usize {
        self.chars
            .get(self.i)
            .map(|c| c.0)
            .unwrap_or(self.src.len())
    }

    fn push_lit(segs: &mut Vec<Seg>, c: char, quoted: bool) {
        if let Some(Seg::Lit { s, quoted: q }) = segs.last_mut() {
            if *q == quoted {
                s.push(c);
                return;
            }
        }
        segs.push(Seg::Lit {
            s: c.to_string(),
            quoted,
        });
    }

    /// After a `$`: a parameter or command substitution, or a literal `$`.
    fn dollar(&mut self, segs: &mut Vec<Seg>, quoted: bool) -> Result<(), LexError> {
        match self.peek() {
            Some('(') => {
                self.i += 1;
                let start = self.pos();
                let mut depth = 1;
                let mut in_sq = false;
                loop {
                    let c = self.peek().ok_or(LexError::Incomplete)?;
                    self.i += 1;
                    match c {
                        '\'' => in_sq = !in_sq,
                        '\\' if !in_sq => self.i += 1,
                        '(' if !in_sq => depth += 1,
                        ')' if !in_sq => {
                            depth -= 1;
                            if depth == 0 {
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let end = self.chars[self.i - 1].0;
                let src = &self.src[start..end];
                match src.strip_prefix('(').and_then(|s| s.strip_suffix(')')) {
                    Some(expr) => segs.push(Seg::Arith {
                        expr: expr.to_string(),
                        quoted,
                    }),
                    None => segs.push(Seg::CmdSub {
                        src: src.to_string(),
                        quoted,
                    }),
                }
            }
            Some('{') => {
                self.i += 1;
                let mut name = String::new();
                loop {
                    match self.peek() {
                        None => return Err(LexError::Incomplete),
                        Some('}') => {
                            self.i += 1;
                            break;
                        }
                        Some(c) => {
                            name.push(c);
                            self.i += 1;
                        }
                    }
                }
                let valid = |n: &str| {
                    (n.chars().next().is_some_and(is_name_start) && n.chars().all(is_name_char))
                        || (n.len() == 1 && "?$!#@*-0123456789".contains(n))
                        || (!n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
                };
                if let Some(n) = name.strip_prefix('#').filter(|n| !n.is_empty() && valid(n)) {
                    segs.push(Seg::ParamOp {
                        name: n.to_string(),
                        op: "#".into(),
                        word: String::new(),
                        quoted,
                    });
                    return Ok(());
                }
                let split = name
                    .char_indices()
                    .skip(1)
                    .find(|&(_, c)| matches!(c, ':' | '-' | '+' | '='))
                    .map(|(i, _)| i);
                if let Some(i) = split {
                    let (n, rest) = name.split_at(i);
                    let oplen = if rest.starts_with(':') { 2 } else { 1 };
                    let op = rest.get(..oplen).unwrap_or("");
                    if valid(n) && matches!(op, ":-" | "-" | ":+" | "+" | ":=" | "=") {
                        segs.push(Seg::ParamOp {
                            name: n.to_string(),
                            op: op.to_string(),
                            word: rest[oplen..].to_string(),
                            quoted,
                        });
                        return Ok(());
                    }
                }
                if !valid(&name) {
                    return Err(LexError::Syntax(format!("${{{name}}}: bad substitution")));
                }
                segs.push(Seg::Param { name, quoted });
            }
            Some(c) if is_name_start(c) => {
                let mut name = String::new();
                while let Some(c) = self.peek().filter(|&c| is_name_char(c)) {
                    name.push(c);
                    self.i += 1;
                }
                segs.push(Seg::Param { name, quoted });
            }
            Some(c) if "?$!#@*-0123456789".contains(c) => {
                self.i += 1;
                segs.push(Seg::Param {
                    name: c.to_string(),
                    quoted,
                });
            }
            _ => Self::push_lit(segs, '$', quoted),
        }
        Ok(())
    }

    fn word(&mut self) -> Result<Word, LexError> {
        let mut segs = Vec::new();
        while let Some(c) = self.peek() {
            if is_meta(c) {
                break;
            }
            self.i += 1;
            match c {
                '\\' => match self.peek() {
                    None => return Err(LexError::Incomplete),
                    Some('\n') => self.i += 1,
                    Some(n) => {
                        self.i += 1;
                        Self::push_lit(&mut segs, n, true);
                    }
                },
                '\'' => {
                    let mut s = String::new();
                    loop {
                        match self.peek() {
                            None => return Err(LexError::Incomplete),
                            Some('\'') => {
                                self.i += 1;
                                break;
                            }
                            Some(c) => {
                                s.push(c);
                                self.i += 1;
                            }
                        }
                    }
                    segs.push(Seg::Lit { s, quoted: true });
                }
                '"' => {
                    // An empty "" must still produce a (quoted, empty) word.
                    segs.push(Seg::Lit {
                        s: String::new(),
                        quoted: true,
                    });
                    loop {
                        match self.peek() {
                            None => return Err(LexError::Incomplete),
                            Some('"') => {
                                self.i += 1;
                                break;
                            }
                            Some('\\') => {
                                self.i += 1;
                                match self.peek() {
                                    None => return Err(LexError::Incomplete),
                                    Some('\n') => self.i += 1,
                                    Some(n) if "$`\"\\".contains(n) => {
                                        self.i += 1;
                                        Self::push_lit(&mut segs, n, true);
                                    }
                                    Some(_) => Self::push_lit(&mut segs, '\\', true),
                                }
                            }
                            Some('$') => {
                                self.i += 1;
                                self.dollar(&mut segs, true)?;
                            }
                            Some(c) => {
                                self.i += 1;
                                Self::push_lit(&mut segs, c, true);
                            }
                        }
                    }
                }
                '$' => self.dollar(&mut segs, false)?,
                c => Self::push_lit(&mut segs, c, false),
            }
        }
        Ok(Word(segs))
    }

    fn run(mut self) -> Result<Vec<Token>, LexError> {
        let mut out = Vec::new();
        while let Some(c) = self.peek() {
            let start = self.pos();
            let tok = match c {
                ' ' | '\t' => {
                    self.i += 1;
                    continue;
                }
                '\\' if self.peek_at(1) == Some('\n') => {
                    self.i += 2;
                    continue;
                }
                '#' => {
                    while self.peek().is_some_and(|c| c != '\n') {
                        self.i += 1;
                    }
                    continue;
                }
                '\n' => {
                    self.i += 1;
                    Tok::Op(Op::Newline)
                }
                '|' | '&' | ';' | '(' | ')' => {
                    self.i += 1;
                    let two = self.peek();
                    Tok::Op(match (c, two) {
                        ('|', Some('|')) => {
                            self.i += 1;
                            Op::OrIf
                        }
                        ('&', Some('&')) => {
                            self.i += 1;
                            Op::AndIf
                        }
                        ('|', _) => Op::Pipe,
                        ('&', _) => Op::Amp,
                        (';', _) => Op::Semi,
                        ('(', _) => Op::LParen,
                        _ => Op::RParen,
                    })
                }
                '<' | '>' => self.redir(None),
                d if d.is_ascii_digit() => {
                    // `2>`, `10<&0`: digits immediately followed by < or >.
                    let mut k = 0;
                    while self.peek_at(k).is_some_and(|c| c.is_ascii_digit()) {
                        k += 1;
                    }
                    if matches!(self.peek_at(k), Some('<') | Some('>')) {
                        let n: String = (0..k).filter_map(|j| self.peek_at(j)).collect();
                        self.i += k;
                        let fd = n
                            .parse::<i32>()
                            .map_err(|_| LexError::Syntax(format!("{n}: bad file descriptor")))?;
                        self.redir(Some(fd))
                    } else {
                        Tok::Word(self.word()?)
                    }
                }
                _ => Tok::Word(self.word()?),
            };
            out.push(Token {
                tok,
                start,
                end: self.pos(),
            });
        }
        Ok(out)
    }

    fn redir(&mut self, fd: Option<i32>) -> Tok {
        let c = self.peek().unwrap_or('>');
        self.i += 1;
        let op = match (c, self.peek()) {
            ('>', Some('>')) => {
                self.i += 1;
                RedirOp::Append
            }
            ('>', Some('&')) => {
                self.i += 1;
                RedirOp::DupOut
            }
            ('<', Some('&')) => {
                self.i += 1;
                RedirOp::DupIn
            }
            ('>', _) => RedirOp::Out,
            _ => RedirOp::In,
        };
        Tok::Redir(fd, op)
    }
}

/// Split `src` into tokens.
pub fn tokenize(src: &str) -> Result<Vec<Token>, LexError> {
    Lexer {
        src,
        chars: src.char_indices().collect(),
        i: 0,
    }
    .run()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        tokenize(s).unwrap().into_iter().map(|t| t.tok).collect()
    }

    fn lit(s: &str, quoted: bool) -> Seg {
        Seg::Lit {
            s: s.into(),
            quoted,
        }
    }

    #[test]
    fn operators_and_words() {
        assert_eq!(
            toks("a|b||c&&d&e;f\n"),
            vec![
                Tok::Word(Word::lit("a")),
                Tok::Op(Op::Pipe),
                Tok::Word(Word::lit("b")),
                Tok::Op(Op::OrIf),
                Tok::Word(Word::lit("c")),
                Tok::Op(Op::AndIf),
                Tok::Word(Word::lit("d")),
                Tok::Op(Op::Amp),
                Tok::Word(Word::lit("e")),
                Tok::Op(Op::Semi),
                Tok::Word(Word::lit("f")),
                Tok::Op(Op::Newline),
            ]
        );
    }

    #[test]
    fn redirections() {
        assert_eq!(
            toks("x 2>&1 >>f <g 10>h a2>b"),
            vec![
                Tok::Word(Word::lit("x")),
                Tok::Redir(Some(2), RedirOp::DupOut),
                Tok::Word(Word::lit("1")),
                Tok::Redir(None, RedirOp::Append),
                Tok::Word(Word::lit("f")),
                Tok::Redir(None, RedirOp::In),
                Tok::Word(Word::lit("g")),
                Tok::Redir(Some(10), RedirOp::Out),
                Tok::Word(Word::lit("h")),
                Tok::Word(Word::lit("a2")),
                Tok::Redir(None, RedirOp::Out),
                Tok::Word(Word::lit("b")),
            ]
        );
    }

    #[test]
    fn quoting() {
        assert_eq!(
            toks(r#"'a b'"c $x\"" \$y d\ e"#),
            vec![
                Tok::Word(Word(vec![
                    lit("a b", true),
                    lit("c ", true),
                    Seg::Param {
                        name: "x".into(),
                        quoted: true
                    },
                    lit("\"", true),
                ])),
                Tok::Word(Word(vec![lit("$", true), lit("y", false)])),
                Tok::Word(Word(vec![lit("d", false), lit(" ", true), lit("e", false)])),
            ]
        );
        assert_eq!(toks("\"\""), vec![Tok::Word(Word(vec![lit("", true)]))]);
    }

    #[test]
    fn parameters_and_substitution() {
        assert_eq!(
            toks("$? ${HOME}x $(echo (a)) $ $((1+2))"),
            vec![
                Tok::Word(Word(vec![Seg::Param {
                    name: "?".into(),
                    quoted: false
                }])),
                Tok::Word(Word(vec![
                    Seg::Param {
                        name: "HOME".into(),
                        quoted: false
                    },
                    lit("x", false)
                ])),
                Tok::Word(Word(vec![Seg::CmdSub {
                    src: "echo (a)".into(),
                    quoted: false
                }])),
                Tok::Word(Word(vec![lit("$", false)])),
                Tok::Word(Word(vec![Seg::Arith {
                    expr: "1+2".into(),
                    quoted: false
                }])),
            ]
        );
        assert!(matches!(tokenize("${a b}"), Err(LexError::Syntax(_))));
        assert_eq!(
            toks("${X:-a b} ${#X}"),
            vec![
                Tok::Word(Word(vec![Seg::ParamOp {
                    name: "X".into(),
                    op: ":-".into(),
                    word: "a b".into(),
                    quoted: false
                }])),
                Tok::Word(Word(vec![Seg::ParamOp {
                    name: "X".into(),
                    op: "#".into(),
                    word: String::new(),
                    quoted: false
                }])),
            ]
        );
    }

    #[test]
    fn comments_continuations_and_incomplete() {
        assert_eq!(toks("a # b c\n"), toks("a\n"));
        assert_eq!(toks("a \\\nb"), toks("a b"));
        assert_eq!(tokenize("'abc"), Err(LexError::Incomplete));
        assert_eq!(tokenize("\"abc"), Err(LexError::Incomplete));
        assert_eq!(tokenize("abc\\"), Err(LexError::Incomplete));
        assert_eq!(tokenize("$(abc"), Err(LexError::Incomplete));
    }

    #[test]
    fn spans() {
        let t = tokenize("ab  cd").unwrap();
        assert_eq!((t[1].start, t[1].end), (4, 6));
    }
}
