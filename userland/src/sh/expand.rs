//! Word expansion: tilde, parameters (`$x`, `${x}`, `$?`, `$$`, `$!`, `$#`,
//! `$0`..`$9`, `$@`, `$*`), command substitution, field splitting of
//! unquoted results on blanks, and pathname expansion (`*`, `?`, `[...]`).
//!
//! Each character carries its quoting from the lexer: only unquoted
//! characters produced by expansions split fields, and only unquoted
//! `* ? [` are pattern characters. A pattern matching nothing stays as is
//! (bash's default); hidden names match only a pattern starting with `.`.

use super::lexer::{Seg, Word};

/// What expansion needs from the shell.
pub trait Context {
    /// The value of a variable or special parameter (`?`, `$`, `!`, `#`,
    /// `0`..); `None` when unset. `@` and `*` are handled through
    /// [`Context::positional`].
    fn param(&self, name: &str) -> Option<String>;
    /// `$1`, `$2`, ...
    fn positional(&self) -> Vec<String>;
    /// The output of running `src` (trailing newlines are removed here).
    fn command_subst(&mut self, src: &str) -> String;
    /// The names in directory `path` (without `.` and `..`).
    fn list_dir(&self, path: &str) -> Vec<String>;
    /// Assign a variable (for `${name:=word}`).
    fn assign(&mut self, name: &str, value: &str);
    /// Report an expansion error (bad arithmetic); the command fails.
    fn error(&mut self, msg: &str);
}

type Field = Vec<(char, bool)>;

struct Fields {
    done: Vec<Field>,
    cur: Field,
    /// The current field exists even if empty (a quoted "" was seen).
    keep: bool,
}

impl Fields {
    fn push_str(&mut self, s: &str, quoted: bool) {
        self.cur.extend(s.chars().map(|c| (c, quoted)));
        if quoted {
            self.keep = true;
        }
    }

    /// Unquoted expansion result: split on blanks.
    fn push_split(&mut self, s: &str) {
        for c in s.chars() {
            if c == ' ' || c == '\t' || c == '\n' {
                self.end_field();
            } else {
                self.cur.push((c, false));
            }
        }
    }

    fn end_field(&mut self) {
        if !self.cur.is_empty() || self.keep {
            self.done.push(std::mem::take(&mut self.cur));
        }
        self.keep = false;
    }
}

fn subst(ctx: &mut dyn Context, src: &str) -> String {
    let mut out = ctx.command_subst(src);
    while out.ends_with('\n') {
        out.pop();
    }
    out
}

fn param_value(ctx: &dyn Context, name: &str) -> String {
    match name {
        "@" | "*" => ctx.positional().join(" "),
        n => ctx.param(n).unwrap_or_default(),
    }
}

/// `${name<op>word}` and `${#name}`.
fn param_op(ctx: &mut dyn Context, name: &str, op: &str, word: &str) -> String {
    let val = match name {
        "@" | "*" => {
            let p = ctx.positional();
            (!p.is_empty()).then(|| p.join(" "))
        }
        n => ctx.param(n),
    };
    let word_value = |ctx: &mut dyn Context| match super::lexer::tokenize(word) {
        Ok(toks) => toks
            .iter()
            .filter_map(|t| match &t.tok {
                super::lexer::Tok::Word(w) => Some(expand_single(ctx, w)),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join(" "),
        Err(_) => word.to_string(),
    };
    let set_nonempty = val.as_deref().is_some_and(|v| !v.is_empty());
    match op {
        "#" => val.unwrap_or_default().chars().count().to_string(),
        ":-" if !set_nonempty => word_value(ctx),
        "-" if val.is_none() => word_value(ctx),
        ":=" | "=" if (op == ":=" && !set_nonempty) || (op == "=" && val.is_none()) => {
            let v = word_value(ctx);
            ctx.assign(name, &v);
            v
        }
        ":+" if set_nonempty => word_value(ctx),
        "+" if val.is_some() => word_value(ctx),
        ":+" | "+" => String::new(),
        _ => val.unwrap_or_default(),
    }
}

fn arith(ctx: &mut dyn Context, expr: &str) -> String {
    let r = {
        let c: &dyn Context = ctx;
        super::arith::eval(expr, &|n| c.param(n))
    };
    match r {
        Ok(v) => v.to_string(),
        Err(e) => {
            ctx.error(&format!("{expr}: {e}"));
            String::new()
        }
    }
}

fn tilde(ctx: &dyn Context, w: &Word) -> Option<(String, String)> {
    match w.0.first() {
        Some(Seg::Lit { s, quoted: false }) if s == "~" || s.starts_with("~/") => Some((
            ctx.param("HOME").unwrap_or_else(|| "/".into()),
            s[1..].into(),
        )),
        _ => None,
    }
}

/// Expand a word into fields (splitting and globbing).
pub fn expand_fields(ctx: &mut dyn Context, w: &Word) -> Vec<String> {
    let mut f = Fields {
        done: Vec::new(),
        cur: Vec::new(),
        keep: false,
    };
    let mut segs: &[Seg] = &w.0;
    if let Some((home, rest)) = tilde(ctx, w) {
        f.push_str(&home, true);
        f.push_str(&rest, false);
        segs = &segs[1..];
    }
    for seg in segs {
        match seg {
            Seg::Lit { s, quoted } => f.push_str(s, *quoted),
            Seg::Param { name, quoted: true } if name == "@" => {
                for (i, a) in ctx.positional().iter().enumerate() {
                    if i > 0 {
                        f.end_field();
                    }
                    f.push_str(a, true);
                }
            }
            Seg::Param { quoted, .. }
            | Seg::CmdSub { quoted, .. }
            | Seg::Arith { quoted, .. }
            | Seg::ParamOp { quoted, .. } => {
                let v = seg_value(ctx, seg);
                if *quoted {
                    f.push_str(&v, true);
                } else {
                    f.push_split(&v);
                }
            }
        }
    }
    f.end_field();
    let mut out = Vec::new();
    for field in f.done {
        if field
            .iter()
            .any(|&(c, q)| !q && matches!(c, '*' | '?' | '['))
        {
            let m = glob(ctx, &field);
            if !m.is_empty() {
                out.extend(m);
                continue;
            }
        }
        out.push(field.into_iter().map(|(c, _)| c).collect());
    }
    out
}

/// Expand a word into one string (no splitting or globbing): assignments,
/// redirection targets.
pub fn expand_single(ctx: &mut dyn Context, w: &Word) -> String {
    let mut out = String::new();
    let mut segs: &[Seg] = &w.0;
    if let Some((home, rest)) = tilde(ctx, w) {
        out.push_str(&home);
        out.push_str(&rest);
        segs = &segs[1..];
    }
    for seg in segs {
        match seg {
            Seg::Lit { s, .. } => out.push_str(s),
            _ => out.push_str(&seg_value(ctx, seg)),
        }
    }
    out
}

/// The value of one segment, before splitting and globbing: a parameter,
/// command substitution, arithmetic or `${name<op>word}` (`$@` here is
/// its joined value; [`expand_fields`] makes quoted `$@` one field per
/// argument itself).
fn seg_value(ctx: &mut dyn Context, seg: &Seg) -> String {
    match seg {
        Seg::Lit { s, .. } => s.clone(),
        Seg::Param { name, .. } => param_value(ctx, name),
        Seg::CmdSub { src, .. } => subst(ctx, src),
        Seg::Arith { expr, .. } => arith(ctx, expr),
        Seg::ParamOp { name, op, word, .. } => param_op(ctx, name, op, word),
    }
}

/// Does `name` match the pattern `pat` (characters with quoting flags)?
pub fn glob_match(pat: &[(char, bool)], name: &str) -> bool {
    let name: Vec<char> = name.chars().collect();
    match_from(pat, &name)
}

fn match_from(pat: &[(char, bool)], name: &[char]) -> bool {
    match pat.first() {
        None => name.is_empty(),
        Some(&('*', false)) => (0..=name.len()).any(|k| match_from(&pat[1..], &name[k..])),
        Some(&('?', false)) => !name.is_empty() && match_from(&pat[1..], &name[1..]),
        Some(&('[', false)) => match (bracket(&pat[1..]), name.first()) {
            (Some((set, negate, used)), Some(&c)) => {
                set.iter().any(|&(a, b)| a <= c && c <= b) != negate
                    && match_from(&pat[1 + used..], &name[1..])
            }
            (None, Some(&'[')) => match_from(&pat[1..], &name[1..]),
            _ => false,
        },
        Some(&(c, _)) => name.first() == Some(&c) && match_from(&pat[1..], &name[1..]),
    }
}

/// A parsed bracket expression: character ranges, negated, pattern
/// characters used (including the closing `]`).
type Bracket = (Vec<(char, char)>, bool, usize);

/// Parse a bracket expression after `[`.
fn bracket(p: &[(char, bool)]) -> Option<Bracket> {
    let mut i = 0;
    let negate = matches!(p.first(), Some(&('!', false)) | Some(&('^', false)));
    if negate {
        i += 1;
    }
    let mut set = Vec::new();
    let mut first = true;
    while i < p.len() {
        let c = p[i].0;
        if c == ']' && !first {
            return Some((set, negate, i + 1));
        }
        first = false;
        if i + 2 < p.len() && p[i + 1].0 == '-' && p[i + 2].0 != ']' {
            set.push((c, p[i + 2].0));
            i += 3;
        } else {
            set.push((c, c));
            i += 1;
        }
    }
    None
}

/// Pathname expansion of one field; sorted matches (empty when none).
fn glob(ctx: &dyn Context, field: &[(char, bool)]) -> Vec<String> {
    let absolute = field.first().map(|c| c.0) == Some('/');
    let comps: Vec<&[(char, bool)]> = field
        .split(|&(c, _)| c == '/')
        .filter(|c| !c.is_empty())
        .collect();
    let mut paths = vec![if absolute {
        "/".to_string()
    } else {
        String::new()
    }];
    for comp in comps {
        let is_pat = comp
            .iter()
            .any(|&(c, q)| !q && matches!(c, '*' | '?' | '['));
        let mut next = Vec::new();
        for base in &paths {
            if is_pat {
                let dir = if base.is_empty() { "." } else { base.as_str() };
                let mut names = ctx.list_dir(dir);
                names.sort();
                for n in names {
                    if n.starts_with('.') && comp[0].0 != '.' {
                        continue;
                    }
                    if glob_match(comp, &n) {
                        next.push(join(base, &n));
                    }
                }
            } else {
                let lit: String = comp.iter().map(|c| c.0).collect();
                next.push(join(base, &lit));
            }
        }
        paths = next;
    }
    if field.last().map(|c| c.0) == Some('/') {
        for p in &mut paths {
            p.push('/');
        }
    }
    paths
}

fn join(base: &str, name: &str) -> String {
    if base.is_empty() {
        name.to_string()
    } else if base.ends_with('/') {
        format!("{base}{name}")
    } else {
        format!("{base}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::super::lexer::tokenize;
    use super::super::lexer::Tok;
    use super::*;

    struct Mock;
    impl Context for Mock {
        fn param(&self, name: &str) -> Option<String> {
            match name {
                "A" => Some("x  y".into()),
                "E" => Some(String::new()),
                "HOME" => Some("/root".into()),
                "?" => Some("3".into()),
                "#" => Some("2".into()),
                _ => None,
            }
        }
        fn positional(&self) -> Vec<String> {
            vec!["p 1".into(), "p2".into()]
        }
        fn command_subst(&mut self, src: &str) -> String {
            format!("<{src}>\n\n")
        }
        fn assign(&mut self, _name: &str, _value: &str) {}
        fn error(&mut self, _msg: &str) {}
        fn list_dir(&self, path: &str) -> Vec<String> {
            match path {
                "." => vec![
                    "b.txt".into(),
                    "a.txt".into(),
                    ".h.txt".into(),
                    "c.rs".into(),
                ],
                "/etc" => vec!["rc".into(), "passwd".into()],
                _ => vec![],
            }
        }
    }

    fn fields(src: &str) -> Vec<String> {
        let mut out = Vec::new();
        for t in tokenize(src).unwrap() {
            if let Tok::Word(w) = t.tok {
                out.extend(expand_fields(&mut Mock, &w));
            }
        }
        out
    }

    #[test]
    fn parameters_and_splitting() {
        assert_eq!(fields("$A"), vec!["x", "y"]);
        assert_eq!(fields("\"$A\""), vec!["x  y"]);
        assert_eq!(fields("a$A-b"), vec!["ax", "y-b"]);
        assert_eq!(fields("$E"), Vec::<String>::new());
        assert_eq!(fields("\"$E\""), vec![""]);
        assert_eq!(fields("''"), vec![""]);
        assert_eq!(fields("$? $# $UNSET."), vec!["3", "2", "."]);
        assert_eq!(fields("\"$@\""), vec!["p 1", "p2"]);
        assert_eq!(fields("$@"), vec!["p", "1", "p2"]);
        assert_eq!(fields("\"$*\""), vec!["p 1 p2"]);
        assert_eq!(fields("${A}z"), vec!["x", "yz"]);
        assert_eq!(
            fields("${U:-d e} \"${U:-d e}\" ${E-f} ${E:-g}"),
            vec!["d", "e", "d e", "g"]
        );
        assert_eq!(
            fields("${A:+set} ${U+set} ${#A} ${#U}"),
            vec!["set", "4", "0"]
        );
    }

    #[test]
    fn tilde_and_substitution() {
        assert_eq!(fields("~ ~/x '~'"), vec!["/root", "/root/x", "~"]);
        assert_eq!(fields("$(echo hi)"), vec!["<echo", "hi>"]);
        assert_eq!(fields("$(($# * 10))x"), vec!["20x"]);
        assert_eq!(fields("\"$(echo hi)\""), vec!["<echo hi>"]);
    }

    #[test]
    fn globbing() {
        assert_eq!(fields("*.txt"), vec!["a.txt", "b.txt"]);
        assert_eq!(fields("'*.txt'"), vec!["*.txt"]);
        assert_eq!(fields("*.zz"), vec!["*.zz"]);
        assert_eq!(fields(".*"), vec![".h.txt"]);
        assert_eq!(fields("/etc/[pr]*"), vec!["/etc/passwd", "/etc/rc"]);
        assert_eq!(fields("?.rs"), vec!["c.rs"]);
        let p: Vec<(char, bool)> = "[!a-c]x".chars().map(|c| (c, false)).collect();
        assert!(glob_match(&p, "dx"));
        assert!(!glob_match(&p, "bx"));
    }

    #[test]
    fn single_word() {
        let t = tokenize("a$A\"$@\"").unwrap();
        let Tok::Word(w) = &t[0].tok else { panic!() };
        assert_eq!(expand_single(&mut Mock, w), "ax  yp 1 p2");
    }
}
