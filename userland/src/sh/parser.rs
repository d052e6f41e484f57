//! The shell parser: tokens to a syntax tree (lists, and-or lists,
//! pipelines, simple and compound commands: `if`, `for`, `while`/`until`,
//! subshells), POSIX grammar minus functions and `case`.
//!
//! Reserved words are recognised only where a command may start. Running
//! out of tokens inside an open construct is [`ParseError::Incomplete`] so
//! the interactive reader can prompt for a continuation line.

use super::lexer::{tokenize, LexError, Op, RedirOp, Seg, Tok, Token, Word};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Redir {
    pub fd: i32,
    pub op: RedirOp,
    pub target: Word,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Simple {
    pub assigns: Vec<(String, Word)>,
    pub words: Vec<Word>,
    pub redirs: Vec<Redir>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Compound {
    If {
        /// `if`/`elif` conditions with their bodies.
        arms: Vec<(List, List)>,
        otherwise: Option<List>,
    },
    For {
        var: String,
        items: Vec<Word>,
        body: List,
    },
    While {
        cond: List,
        body: List,
        until: bool,
    },
    Subshell(List),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    Simple(Simple),
    Compound(Box<Compound>, Vec<Redir>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pipeline {
    pub bang: bool,
    pub cmds: Vec<Command>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Connector {
    And,
    Or,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AndOr {
    pub first: Pipeline,
    pub rest: Vec<(Connector, Pipeline)>,
}

/// One element of a list: an and-or list, run in the background when
/// `background`; `text` is its source (for job messages).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item {
    pub and_or: AndOr,
    pub background: bool,
    pub text: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct List(pub Vec<Item>);

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ParseError {
    Incomplete,
    Syntax(String),
}

impl From<LexError> for ParseError {
    fn from(e: LexError) -> Self {
        match e {
            LexError::Incomplete => ParseError::Incomplete,
            LexError::Syntax(s) => ParseError::Syntax(s),
        }
    }
}

const RESERVED: &[&str] = &[
    "if", "then", "elif", "else", "fi", "for", "in", "do", "done", "while", "until", "!",
];

struct Parser<'a> {
    src: &'a str,
    toks: Vec<Token>,
    i: usize,
}

type PResult<T> = Result<T, ParseError>;

fn unexpected(t: Option<&Token>, src: &str) -> ParseError {
    match t {
        None => ParseError::Incomplete,
        Some(t) => {
            let s = match &t.tok {
                Tok::Op(Op::Newline) => "newline",
                _ => &src[t.start..t.end],
            };
            ParseError::Syntax(format!("syntax error near unexpected token `{s}'"))
        }
    }
}

impl<'a> Parser<'a> {
    fn peek(&self) -> Option<&Token> {
        self.toks.get(self.i)
    }

    fn peek_reserved(&self) -> Option<&str> {
        match self.peek().map(|t| &t.tok) {
            Some(Tok::Word(w)) => w.as_plain().filter(|s| RESERVED.contains(s)),
            _ => None,
        }
    }

    fn is_op(&self, op: Op) -> bool {
        matches!(self.peek().map(|t| &t.tok), Some(Tok::Op(o)) if *o == op)
    }

    fn skip_newlines(&mut self) {
        while self.is_op(Op::Newline) {
            self.i += 1;
        }
    }

    fn expect_reserved(&mut self, w: &str) -> PResult<()> {
        if self.peek_reserved() == Some(w) {
            self.i += 1;
            Ok(())
        } else {
            Err(unexpected(self.peek(), self.src))
        }
    }

    /// A list up to (not including) one of the reserved words in `stop`,
    /// a `)` or the end of input.
    fn list(&mut self, stop: &[&str]) -> PResult<List> {
        let mut items = Vec::new();
        loop {
            self.skip_newlines();
            match self.peek() {
                None => break,
                Some(t) if t.tok == Tok::Op(Op::RParen) => break,
                _ => {}
            }
            if self.peek_reserved().is_some_and(|r| stop.contains(&r)) {
                break;
            }
            let start = self.peek().map(|t| t.start).unwrap_or(0);
            let and_or = self.and_or()?;
            let end = self.toks[self.i - 1].end;
            let mut background = false;
            match self.peek().map(|t| &t.tok) {
                Some(Tok::Op(Op::Amp)) => {
                    background = true;
                    self.i += 1;
                }
                Some(Tok::Op(Op::Semi)) | Some(Tok::Op(Op::Newline)) => self.i += 1,
                None | Some(Tok::Op(Op::RParen)) => {}
                Some(Tok::Word(w)) if w.as_plain().is_some_and(|s| stop.contains(&s)) => {}
                _ => return Err(unexpected(self.peek(), self.src)),
            }
            items.push(Item {
                and_or,
                background,
                text: self.src[start..end].to_string(),
            });
        }
        Ok(List(items))
    }

    fn and_or(&mut self) -> PResult<AndOr> {
        let first = self.pipeline()?;
        let mut rest = Vec::new();
        loop {
            let c = match self.peek().map(|t| &t.tok) {
                Some(Tok::Op(Op::AndIf)) => Connector::And,
                Some(Tok::Op(Op::OrIf)) => Connector::Or,
                _ => break,
            };
            self.i += 1;
            self.skip_newlines();
            rest.push((c, self.pipeline()?));
        }
        Ok(AndOr { first, rest })
    }

    fn pipeline(&mut self) -> PResult<Pipeline> {
        let mut bang = false;
        if self.peek_reserved() == Some("!") {
            bang = true;
            self.i += 1;
        }
        let mut cmds = vec![self.command()?];
        while self.is_op(Op::Pipe) {
            self.i += 1;
            self.skip_newlines();
            cmds.push(self.command()?);
        }
        Ok(Pipeline { bang, cmds })
    }

    fn command(&mut self) -> PResult<Command> {
        let compound = match self.peek_reserved() {
            Some("if") => Some(self.if_clause()?),
            Some("for") => Some(self.for_clause()?),
            Some(w @ ("while" | "until")) => {
                let until = w == "until";
                self.i += 1;
                let cond = self.list(&["do"])?;
                let body = self.do_group()?;
                Some(Compound::While { cond, body, until })
            }
            Some(_) => return Err(unexpected(self.peek(), self.src)),
            None if self.is_op(Op::LParen) => {
                self.i += 1;
                let l = self.list(&[])?;
                if !self.is_op(Op::RParen) {
                    return Err(unexpected(self.peek(), self.src));
                }
                self.i += 1;
                Some(Compound::Subshell(l))
            }
            None => None,
        };
        match compound {
            Some(c) => {
                let mut redirs = Vec::new();
                while let Some(Tok::Redir(..)) = self.peek().map(|t| &t.tok) {
                    redirs.push(self.redir()?);
                }
                Ok(Command::Compound(Box::new(c), redirs))
            }
            None => self.simple(),
        }
    }

    fn redir(&mut self) -> PResult<Redir> {
        let (fd, op) = match self.peek().map(|t| &t.tok) {
            Some(Tok::Redir(fd, op)) => (*fd, *op),
            _ => return Err(unexpected(self.peek(), self.src)),
        };
        self.i += 1;
        let target = match self.peek().map(|t| &t.tok) {
            Some(Tok::Word(w)) => w.clone(),
            _ => return Err(unexpected(self.peek(), self.src)),
        };
        self.i += 1;
        let fd = fd.unwrap_or(match op {
            RedirOp::In | RedirOp::DupIn => 0,
            _ => 1,
        });
        Ok(Redir { fd, op, target })
    }

    fn simple(&mut self) -> PResult<Command> {
        let mut s = Simple {
            assigns: Vec::new(),
            words: Vec::new(),
            redirs: Vec::new(),
        };
        loop {
            match self.peek().map(|t| &t.tok) {
                Some(Tok::Word(w)) => {
                    if s.words.is_empty() {
                        if let Some(a) = assignment(w) {
                            s.assigns.push(a);
                            self.i += 1;
                            continue;
                        }
                    }
                    s.words.push(w.clone());
                    self.i += 1;
                }
                Some(Tok::Redir(..)) => {
                    let r = self.redir()?;
                    s.redirs.push(r);
                }
                _ => break,
            }
        }
        if s.assigns.is_empty() && s.words.is_empty() && s.redirs.is_empty() {
            return Err(unexpected(self.peek(), self.src));
        }
        Ok(Command::Simple(s))
    }

    fn do_group(&mut self) -> PResult<List> {
        self.expect_reserved("do")?;
        let body = self.list(&["done"])?;
        self.expect_reserved("done")?;
        Ok(body)
    }

    fn if_clause(&mut self) -> PResult<Compound> {
        self.i += 1;
        let mut arms = Vec::new();
        let mut otherwise = None;
        loop {
            let cond = self.list(&["then"])?;
            self.expect_reserved("then")?;
            let body = self.list(&["elif", "else", "fi"])?;
            arms.push((cond, body));
            match self.peek_reserved() {
                Some("elif") => self.i += 1,
                Some("else") => {
                    self.i += 1;
                    otherwise = Some(self.list(&["fi"])?);
                    self.expect_reserved("fi")?;
                    break;
                }
                Some("fi") => {
                    self.i += 1;
                    break;
                }
                _ => return Err(unexpected(self.peek(), self.src)),
            }
        }
        Ok(Compound::If { arms, otherwise })
    }

    fn for_clause(&mut self) -> PResult<Compound> {
        self.i += 1;
        let var = match self.peek().map(|t| &t.tok) {
            Some(Tok::Word(w)) => match w.as_plain() {
                Some(n) if is_name(n) => n.to_string(),
                _ => return Err(unexpected(self.peek(), self.src)),
            },
            _ => return Err(unexpected(self.peek(), self.src)),
        };
        self.i += 1;
        self.skip_newlines();
        let items = if self.peek_reserved() == Some("in") {
            self.i += 1;
            let mut items = Vec::new();
            while let Some(Tok::Word(w)) = self.peek().map(|t| &t.tok) {
                items.push(w.clone());
                self.i += 1;
            }
            items
        } else {
            // `for x; do` iterates over "$@".
            vec![Word(vec![Seg::Param {
                name: "@".into(),
                quoted: true,
            }])]
        };
        if self.is_op(Op::Semi) {
            self.i += 1;
        }
        self.skip_newlines();
        let body = self.do_group()?;
        Ok(Compound::For { var, items, body })
    }
}

/// True for a valid variable name.
pub fn is_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f == '_' || f.is_ascii_alphabetic())
        && c.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// `NAME=value` in a word's leading unquoted literal.
fn assignment(w: &Word) -> Option<(String, Word)> {
    let (first, rest) = w.0.split_first()?;
    let Seg::Lit { s, quoted: false } = first else {
        return None;
    };
    let (name, val) = s.split_once('=')?;
    if !is_name(name) {
        return None;
    }
    let mut v = Vec::new();
    if !val.is_empty() {
        v.push(Seg::Lit {
            s: val.to_string(),
            quoted: false,
        });
    }
    v.extend_from_slice(rest);
    Some((name.to_string(), Word(v)))
}

/// Parse a whole program.
pub fn parse(src: &str) -> Result<List, ParseError> {
    let toks = tokenize(src)?;
    let mut p = Parser { src, toks, i: 0 };
    let l = p.list(&[])?;
    match p.peek() {
        None => Ok(l),
        t => Err(unexpected(t, src)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn simple(words: &[&str]) -> Command {
        Command::Simple(Simple {
            assigns: vec![],
            words: words.iter().map(|w| Word::lit(w)).collect(),
            redirs: vec![],
        })
    }

    #[test]
    fn pipelines_and_lists() {
        let l = parse("a | b && c || d & e; f").unwrap();
        assert_eq!(l.0.len(), 3);
        assert!(l.0[0].background);
        assert_eq!(l.0[0].text, "a | b && c || d");
        let ao = &l.0[0].and_or;
        assert_eq!(ao.first.cmds, vec![simple(&["a"]), simple(&["b"])]);
        assert_eq!(ao.rest[0].0, Connector::And);
        assert_eq!(ao.rest[1].0, Connector::Or);
        assert_eq!(l.0[1].text, "e");
        assert!(!l.0[2].background);
    }

    #[test]
    fn assignments_and_redirections() {
        let l = parse("X=1 Y= cmd a=b 2>&1 >out").unwrap();
        let Command::Simple(s) = &l.0[0].and_or.first.cmds[0] else {
            panic!("not simple")
        };
        assert_eq!(s.assigns.len(), 2);
        assert_eq!(s.assigns[0], ("X".into(), Word::lit("1")));
        assert_eq!(s.assigns[1], ("Y".into(), Word(vec![])));
        assert_eq!(s.words, vec![Word::lit("cmd"), Word::lit("a=b")]);
        assert_eq!(
            s.redirs,
            vec![
                Redir {
                    fd: 2,
                    op: RedirOp::DupOut,
                    target: Word::lit("1")
                },
                Redir {
                    fd: 1,
                    op: RedirOp::Out,
                    target: Word::lit("out")
                }
            ]
        );
    }

    #[test]
    fn compound_commands() {
        let l = parse("if a; then b; elif c\nthen d; else e; fi").unwrap();
        let Command::Compound(c, _) = &l.0[0].and_or.first.cmds[0] else {
            panic!()
        };
        let Compound::If { arms, otherwise } = &**c else {
            panic!()
        };
        assert_eq!(arms.len(), 2);
        assert!(otherwise.is_some());
        let l = parse("for x in 1 2 3; do echo $x; done > f").unwrap();
        let Command::Compound(c, r) = &l.0[0].and_or.first.cmds[0] else {
            panic!()
        };
        assert!(matches!(&**c, Compound::For { items, .. } if items.len() == 3));
        assert_eq!(r.len(), 1);
        let l = parse("while true\ndo\n  x\ndone | cat").unwrap();
        assert_eq!(l.0[0].and_or.first.cmds.len(), 2);
        assert!(parse("(a; b) && ! c").is_ok());
        assert!(parse("echo if then").is_ok());
    }

    #[test]
    fn incomplete_and_errors() {
        assert_eq!(parse("if a; then b"), Err(ParseError::Incomplete));
        assert_eq!(parse("a |"), Err(ParseError::Incomplete));
        assert_eq!(parse("for x in a; do"), Err(ParseError::Incomplete));
        assert_eq!(parse("echo 'x"), Err(ParseError::Incomplete));
        assert!(matches!(parse("a ;; b"), Err(ParseError::Syntax(_))));
        assert!(matches!(parse("fi"), Err(ParseError::Syntax(_))));
        assert!(matches!(parse("a | | b"), Err(ParseError::Syntax(_))));
        assert_eq!(
            parse("; x"),
            Err(ParseError::Syntax(
                "syntax error near unexpected token `;'".into()
            ))
        );
    }
}
