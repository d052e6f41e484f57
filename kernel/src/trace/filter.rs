//! Event filters (`events/<system>/<event>/filter`), Linux's syntax:
//! `field op value` with `==`, `!=`, `<`, `<=`, `>`, `>=`, `&` (bit test) for
//! numbers and `==`, `!=`, `~` (glob) for strings, combined with `&&`, `||`,
//! `!` and parentheses. Fields are the event's own plus `common_pid`,
//! `common_preempt_count` and `common_flags`. A record that does not match
//! is discarded before it reaches the buffer. Writing `0` removes a filter.

use super::{FieldType, Record, TraceEvent};
use uapi::errno::{Errno, EINVAL};

#[derive(Debug, Clone)]
enum Val {
    Num(i64),
    Str(String),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    And,
    Glob,
}

#[derive(Debug, Clone)]
enum Node {
    Pred { field: FieldRef, op: Op, val: Val },
    And(Box<Node>, Box<Node>),
    Or(Box<Node>, Box<Node>),
    Not(Box<Node>),
}

#[derive(Debug, Clone, Copy)]
enum FieldRef {
    CommonPid,
    CommonPreempt,
    CommonFlags,
    Event { offset: usize, ty: FieldType },
}

/// A compiled filter and the text it was written as.
#[derive(Debug)]
pub struct Filter {
    root: Node,
    pub text: String,
}

struct Parser<'a> {
    toks: Vec<String>,
    pos: usize,
    ev: &'a TraceEvent,
}

fn tokenize(s: &str) -> Result<Vec<String>, Errno> {
    let mut out = Vec::new();
    let b: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_whitespace() {
            i += 1;
        } else if "()".contains(c) {
            out.push(c.to_string());
            i += 1;
        } else if c == '"' || c == '\'' {
            let end = b[i + 1..].iter().position(|&x| x == c).ok_or(EINVAL)? + i + 1;
            out.push(format!("\"{}", b[i + 1..end].iter().collect::<String>()));
            i = end + 1;
        } else if "=!<>&|~".contains(c) {
            let two: String = b[i..(i + 2).min(b.len())].iter().collect();
            if ["==", "!=", "<=", ">=", "&&", "||"].contains(&two.as_str()) {
                out.push(two);
                i += 2;
            } else {
                out.push(c.to_string());
                i += 1;
            }
        } else {
            let start = i;
            while i < b.len() && !b[i].is_whitespace() && !"()=!<>&|~\"'".contains(b[i]) {
                i += 1;
            }
            out.push(b[start..i].iter().collect());
        }
    }
    Ok(out)
}

impl Parser<'_> {
    fn peek(&self) -> Option<&str> {
        self.toks.get(self.pos).map(|s| s.as_str())
    }
    fn next(&mut self) -> Result<String, Errno> {
        let t = self.toks.get(self.pos).cloned().ok_or(EINVAL)?;
        self.pos += 1;
        Ok(t)
    }
    fn or(&mut self) -> Result<Node, Errno> {
        let mut l = self.and()?;
        while self.peek() == Some("||") {
            self.pos += 1;
            l = Node::Or(Box::new(l), Box::new(self.and()?));
        }
        Ok(l)
    }
    fn and(&mut self) -> Result<Node, Errno> {
        let mut l = self.unary()?;
        while self.peek() == Some("&&") {
            self.pos += 1;
            l = Node::And(Box::new(l), Box::new(self.unary()?));
        }
        Ok(l)
    }
    fn unary(&mut self) -> Result<Node, Errno> {
        match self.peek() {
            Some("!") => {
                self.pos += 1;
                Ok(Node::Not(Box::new(self.unary()?)))
            }
            Some("(") => {
                self.pos += 1;
                let n = self.or()?;
                if self.next()? != ")" {
                    return Err(EINVAL);
                }
                Ok(n)
            }
            _ => self.pred(),
        }
    }
    fn pred(&mut self) -> Result<Node, Errno> {
        let name = self.next()?;
        let field = match name.as_str() {
            "common_pid" => FieldRef::CommonPid,
            "common_preempt_count" => FieldRef::CommonPreempt,
            "common_flags" => FieldRef::CommonFlags,
            n => {
                let f = self.ev.fields.iter().find(|f| f.name == n).ok_or(EINVAL)?;
                // Linux's filters take no array fields either.
                if matches!(f.ty, FieldType::UnsignedLongArray(_)) {
                    return Err(EINVAL);
                }
                FieldRef::Event {
                    offset: f.offset,
                    ty: f.ty,
                }
            }
        };
        let op = match self.next()?.as_str() {
            "==" => Op::Eq,
            "!=" => Op::Ne,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "&" => Op::And,
            "~" => Op::Glob,
            _ => return Err(EINVAL),
        };
        let raw = self.next()?;
        let is_str = matches!(
            field,
            FieldRef::Event {
                ty: FieldType::Comm | FieldType::Name32,
                ..
            }
        );
        let val = if is_str {
            if !matches!(op, Op::Eq | Op::Ne | Op::Glob) {
                return Err(EINVAL);
            }
            Val::Str(raw.trim_start_matches('"').to_string())
        } else {
            if op == Op::Glob {
                return Err(EINVAL);
            }
            let n = if let Some(h) = raw.strip_prefix("0x") {
                i64::from_str_radix(h, 16)
            } else {
                raw.parse::<i64>()
            };
            Val::Num(n.map_err(|_| EINVAL)?)
        };
        Ok(Node::Pred { field, op, val })
    }
}

/// `*` and `?` globbing, as the `~` operator does.
fn glob(pat: &str, s: &str) -> bool {
    fn go(p: &[u8], s: &[u8]) -> bool {
        match (p.first(), s.first()) {
            (None, None) => true,
            (Some(b'*'), _) => go(&p[1..], s) || (!s.is_empty() && go(p, &s[1..])),
            (Some(b'?'), Some(_)) => go(&p[1..], &s[1..]),
            (Some(a), Some(b)) if a == b => go(&p[1..], &s[1..]),
            _ => false,
        }
    }
    go(pat.as_bytes(), s.as_bytes())
}

impl Filter {
    /// Compile `text` for `ev`.
    pub fn parse(ev: &TraceEvent, text: &str) -> Result<Filter, Errno> {
        let mut p = Parser {
            toks: tokenize(text)?,
            pos: 0,
            ev,
        };
        let root = p.or()?;
        if p.pos != p.toks.len() {
            return Err(EINVAL);
        }
        Ok(Filter {
            root,
            text: text.trim().to_string(),
        })
    }

    pub fn matches(&self, r: &Record) -> bool {
        eval(&self.root, r)
    }
}

fn eval(n: &Node, r: &Record) -> bool {
    match n {
        Node::And(a, b) => eval(a, r) && eval(b, r),
        Node::Or(a, b) => eval(a, r) || eval(b, r),
        Node::Not(a) => !eval(a, r),
        Node::Pred { field, op, val } => {
            let cur = match field {
                FieldRef::CommonPid => Val::Num(r.pid as i64),
                FieldRef::CommonPreempt => Val::Num(r.preempt as i64),
                FieldRef::CommonFlags => Val::Num(r.flags as i64),
                FieldRef::Event { offset, ty } => match ty {
                    FieldType::Comm => Val::Str(r.str(*offset, 16)),
                    FieldType::Name32 => Val::Str(r.str(*offset, 32)),
                    FieldType::Int | FieldType::PidT => Val::Num(r.i32(*offset) as i64),
                    FieldType::UnsignedInt => Val::Num(r.u32(*offset) as i64),
                    FieldType::Long
                    | FieldType::U64
                    | FieldType::UnsignedLong
                    | FieldType::Ptr
                    | FieldType::SyscallArg(_) => Val::Num(r.i64(*offset)),
                    FieldType::Bool => Val::Num(r.bool(*offset) as i64),
                    // rejected by the parser
                    FieldType::UnsignedLongArray(_) => return false,
                },
            };
            match (cur, val) {
                (Val::Num(a), Val::Num(b)) => match op {
                    Op::Eq => a == *b,
                    Op::Ne => a != *b,
                    Op::Lt => a < *b,
                    Op::Le => a <= *b,
                    Op::Gt => a > *b,
                    Op::Ge => a >= *b,
                    Op::And => a & *b != 0,
                    Op::Glob => false,
                },
                (Val::Str(a), Val::Str(b)) => match op {
                    Op::Eq => a == *b,
                    Op::Ne => a != *b,
                    Op::Glob => glob(b, &a),
                    _ => false,
                },
                _ => false,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::events::SCHED_WAKEUP;

    fn rec(pid: i32, comm: &str, prio: i32) -> Record {
        let mut data = [0u8; super::super::PAYLOAD];
        data[..comm.len()].copy_from_slice(comm.as_bytes());
        data[16..20].copy_from_slice(&pid.to_le_bytes());
        data[20..24].copy_from_slice(&prio.to_le_bytes());
        Record {
            ts: 0,
            event: 1,
            flags: 0,
            preempt: 0,
            pid: 7,
            cpu: 0,
            comm: [0; 16],
            data,
        }
    }

    #[test]
    fn parses_and_evaluates_linux_syntax() {
        let f = Filter::parse(
            &SCHED_WAKEUP,
            "pid > 3 && (comm ~ \"kwork*\" || prio == 120) && !common_pid == 8",
        )
        .unwrap();
        assert!(f.matches(&rec(10, "kworker/0:1", 0)));
        assert!(f.matches(&rec(10, "init", 120)));
        assert!(!f.matches(&rec(2, "kworker/0:1", 120)));
        assert!(!f.matches(&rec(10, "init", 100)));
        for bad in [
            "pid >",
            "nosuch == 1",
            "comm > \"a\"",
            "pid == x",
            "(pid == 1",
            "pid == 1 extra",
        ] {
            assert!(Filter::parse(&SCHED_WAKEUP, bad).is_err(), "{bad}");
        }
    }
}
