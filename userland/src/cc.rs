//! `cc [-c] [-o OUT] [-O…] [-W…] [-g] [-I…] [-D…] FILE...`: a C
//! "compiler" that does a compiler's front-end work for `make` to run —
//! the workload of `perf stat -e kmem:kmalloc make`.
//!
//! Each `.c` file is read and tokenised (identifiers, numbers, string and
//! character literals, punctuators; comments and preprocessor lines
//! skipped), with gcc's diagnostics (`main.c:3:9: error: missing
//! terminating " character`). The token table goes into an anonymous
//! mapping, like a compiler's arena, and a second pass reads it back to
//! find the functions the file defines (an identifier followed by a
//! parenthesised list and `{` at file scope) and the ones it calls.
//! `-c` writes that as an object file (`!<usk-obj>`, one `define`/`undef`
//! line per symbol); without `-c` the objects (or sources) are linked:
//! every called function must be defined once — in an object or in the
//! small C library below — and `main` must exist (`undefined reference to
//! 'main'`, `multiple definition of 'f'`); the result is `a.out` or `-o`'s
//! file (`!<usk-exe>`, mode 0755).

use std::collections::BTreeSet;
use ulib::uapi::fcntl::{O_CLOEXEC, O_CREAT, O_TRUNC, O_WRONLY};
use ulib::uapi::mman::{MAP_ANONYMOUS, MAP_PRIVATE, PAGE_SIZE, PROT_READ, PROT_WRITE};
use ulib::ueprintln;

/// What the link step finds in the C library.
const LIBC: &[&str] = &[
    "printf", "fprintf", "sprintf", "snprintf", "puts", "putchar", "fputs", "malloc", "calloc",
    "realloc", "free", "strlen", "strcmp", "strcpy", "strncpy", "memcpy", "memset", "memcmp",
    "exit", "abort", "atoi", "open", "close", "read", "write",
];

/// Words that look like calls but are not.
const KEYWORDS: &[&str] = &[
    "if", "while", "for", "switch", "return", "sizeof", "do", "else", "case", "_Alignof",
];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Ident = 1,
    Number,
    Str,
    Char,
    Punct,
}

/// One token: kind, byte offset and length in the source, line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Token {
    kind: Kind,
    off: u32,
    len: u32,
    line: u32,
}

/// Bytes of one token in the arena.
const TOKEN_BYTES: usize = 16;

impl Token {
    fn to_bytes(self) -> [u8; TOKEN_BYTES] {
        let mut b = [0u8; TOKEN_BYTES];
        b[0..4].copy_from_slice(&(self.kind as u32).to_le_bytes());
        b[4..8].copy_from_slice(&self.off.to_le_bytes());
        b[8..12].copy_from_slice(&self.len.to_le_bytes());
        b[12..16].copy_from_slice(&self.line.to_le_bytes());
        b
    }

    fn from_bytes(b: &[u8]) -> Option<Token> {
        let w = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
        let kind = match w(0) {
            1 => Kind::Ident,
            2 => Kind::Number,
            3 => Kind::Str,
            4 => Kind::Char,
            5 => Kind::Punct,
            _ => return None,
        };
        Some(Token {
            kind,
            off: w(4),
            len: w(8),
            line: w(12),
        })
    }
}

/// Punctuators of more than one character, longest first.
const PUNCTS: &[&str] = &[
    "<<=", ">>=", "...", "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "+=",
    "-=", "*=", "/=", "%=", "&=", "|=", "^=", "##",
];

/// Tokenise C source; errors are gcc's `line:col: error: ...`.
fn tokenize(src: &[u8]) -> Result<Vec<Token>, String> {
    let mut toks = Vec::new();
    let (mut i, mut line, mut line_start) = (0usize, 1u32, 0usize);
    let mut at_line_start = true;
    let err = |line: u32, at: usize, ls: usize, msg: &str| {
        format!("{line}:{}: error: {msg}", at - ls + 1)
    };
    while i < src.len() {
        let c = src[i];
        let start = i;
        match c {
            b'\n' => {
                i += 1;
                line += 1;
                line_start = i;
                at_line_start = true;
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\x0c' | b'\x0b' => {
                i += 1;
                continue;
            }
            b'#' if at_line_start => {
                // a preprocessor line, with its continuations
                while i < src.len() && src[i] != b'\n' {
                    if src[i] == b'\\' && src.get(i + 1) == Some(&b'\n') {
                        i += 1;
                        line += 1;
                        line_start = i + 1;
                    }
                    i += 1;
                }
                continue;
            }
            b'/' if src.get(i + 1) == Some(&b'/') => {
                while i < src.len() && src[i] != b'\n' {
                    i += 1;
                }
                continue;
            }
            b'/' if src.get(i + 1) == Some(&b'*') => {
                let (l0, ls0) = (line, line_start);
                i += 2;
                loop {
                    if i + 1 >= src.len() {
                        return Err(err(l0, start, ls0, "unterminated comment"));
                    }
                    if src[i] == b'*' && src[i + 1] == b'/' {
                        i += 2;
                        break;
                    }
                    if src[i] == b'\n' {
                        line += 1;
                        line_start = i + 1;
                    }
                    i += 1;
                }
                continue;
            }
            _ => {}
        }
        at_line_start = false;
        let kind = match c {
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => {
                while i < src.len() && (src[i].is_ascii_alphanumeric() || src[i] == b'_') {
                    i += 1;
                }
                Kind::Ident
            }
            b'0'..=b'9' => {
                while i < src.len()
                    && (src[i].is_ascii_alphanumeric() || src[i] == b'.' || src[i] == b'_')
                {
                    i += 1;
                }
                Kind::Number
            }
            b'"' | b'\'' => {
                i += 1;
                loop {
                    match src.get(i) {
                        Some(b'\\') => i += 2,
                        Some(&q) if q == c => {
                            i += 1;
                            break;
                        }
                        Some(b'\n') | None => {
                            let what = format!("missing terminating {} character", c as char);
                            return Err(err(line, start, line_start, &what));
                        }
                        Some(_) => i += 1,
                    }
                }
                if c == b'"' {
                    Kind::Str
                } else {
                    Kind::Char
                }
            }
            _ => {
                if let Some(p) = PUNCTS.iter().find(|p| src[i..].starts_with(p.as_bytes())) {
                    i += p.len();
                } else if b"{}[]()<>;:,.?!~+-*/%&|^=".contains(&c) {
                    i += 1;
                } else {
                    let shown = if c.is_ascii_graphic() {
                        format!("stray '{}' in program", c as char)
                    } else {
                        format!("stray '\\{c:o}' in program")
                    };
                    return Err(err(line, start, line_start, &shown));
                }
                Kind::Punct
            }
        };
        toks.push(Token {
            kind,
            off: start as u32,
            len: (i - start) as u32,
            line,
        });
    }
    Ok(toks)
}

/// An anonymous mapping holding the token table (the compiler's arena).
struct Arena {
    addr: u64,
    len: u64,
}

impl Arena {
    fn store(toks: &[Token]) -> ulib::Result<Arena> {
        let bytes: Vec<u8> = toks.iter().flat_map(|t| t.to_bytes()).collect();
        let len = (bytes.len() as u64).max(1).div_ceil(PAGE_SIZE) * PAGE_SIZE;
        let addr = ulib::mmap(
            0,
            len,
            PROT_READ | PROT_WRITE,
            MAP_PRIVATE | MAP_ANONYMOUS,
            -1,
            0,
        )?;
        ulib::backend::store(addr, &bytes);
        Ok(Arena { addr, len })
    }

    fn load(&self, n: usize) -> Vec<Token> {
        let mut bytes = vec![0u8; n * TOKEN_BYTES];
        ulib::backend::load(self.addr, &mut bytes);
        bytes
            .chunks_exact(TOKEN_BYTES)
            .filter_map(Token::from_bytes)
            .collect()
    }
}

impl Drop for Arena {
    fn drop(&mut self) {
        let _ = ulib::munmap(self.addr, self.len);
    }
}

/// What one translation unit defines and calls.
#[derive(Debug, Default, PartialEq)]
struct Unit {
    defines: BTreeSet<String>,
    calls: BTreeSet<String>,
    tokens: usize,
}

/// The second pass: functions defined at file scope, functions called.
fn analyse(src: &[u8], toks: &[Token]) -> Unit {
    // tokens come back from user memory: a bad one reads as empty text
    let text = |t: &Token| -> &[u8] {
        let range = t.off as usize..t.off as usize + t.len as usize;
        src.get(range).unwrap_or(&[])
    };
    let is = |t: Option<&Token>, p: &str| {
        t.is_some_and(|t| t.kind == Kind::Punct && text(t) == p.as_bytes())
    };
    let mut u = Unit {
        tokens: toks.len(),
        ..Default::default()
    };
    let mut depth = 0usize;
    for (k, t) in toks.iter().enumerate() {
        if is(Some(t), "{") {
            depth += 1;
        } else if is(Some(t), "}") {
            depth = depth.saturating_sub(1);
        }
        if t.kind != Kind::Ident || !is(toks.get(k + 1), "(") {
            continue;
        }
        let name = String::from_utf8_lossy(text(t)).into_owned();
        if KEYWORDS.contains(&name.as_str()) {
            continue;
        }
        if depth > 0 {
            u.calls.insert(name);
            continue;
        }
        // file scope: a definition if the matching `)` is followed by `{`
        let mut level = 0;
        for (j, x) in toks.iter().enumerate().skip(k + 1) {
            if is(Some(x), "(") {
                level += 1;
            } else if is(Some(x), ")") {
                level -= 1;
                if level == 0 {
                    if is(toks.get(j + 1), "{") {
                        u.defines.insert(name.clone());
                    }
                    break;
                }
            }
        }
    }
    u
}

/// Compile one source file.
fn compile(path: &str) -> Result<Unit, String> {
    let src = ulib::read_file(path).map_err(|e| format!("{path}: {}", e.message()))?;
    let toks = tokenize(&src).map_err(|e| format!("{path}:{e}"))?;
    let arena = Arena::store(&toks).map_err(|e| format!("{path}: {}", e.message()))?;
    let back = arena.load(toks.len());
    Ok(analyse(&src, &back))
}

fn object_text(source: &str, u: &Unit) -> String {
    let mut s = format!("!<usk-obj>\nsource {source}\ntokens {}\n", u.tokens);
    for d in &u.defines {
        s.push_str(&format!("define {d}\n"));
    }
    for c in u.calls.difference(&u.defines) {
        s.push_str(&format!("undef {c}\n"));
    }
    s
}

/// Read an object file back.
fn parse_object(path: &str, text: &str) -> Result<Unit, String> {
    let mut lines = text.lines();
    if lines.next() != Some("!<usk-obj>") {
        return Err(format!(
            "{path}: file not recognized: file format not recognized"
        ));
    }
    let mut u = Unit::default();
    for l in lines {
        match l.split_once(' ') {
            Some(("define", s)) => {
                u.defines.insert(s.to_string());
            }
            Some(("undef", s)) => {
                u.calls.insert(s.to_string());
            }
            // informational header lines: the linker needs neither
            Some(("source" | "tokens", _)) => {}
            _ => return Err(format!("{path}: file not recognized: file truncated")),
        }
    }
    Ok(u)
}

fn write_file(path: &str, data: &str, mode: u32) -> Result<(), String> {
    let fd = ulib::open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        .map_err(|e| format!("cannot open output file {path}: {}", e.message()))?;
    let r = ulib::write_all(fd, data.as_bytes());
    let _ = ulib::close(fd);
    r.map_err(|e| format!("{path}: {}", e.message()))
}

/// Link units into an executable at `out`.
fn link(units: &[(String, Unit)], out: &str) -> Result<(), String> {
    let mut defined: Vec<(&str, &str)> = Vec::new();
    for (file, u) in units {
        for d in &u.defines {
            if let Some((_, first)) = defined.iter().find(|(n, _)| n == d) {
                return Err(format!(
                    "{file}: multiple definition of '{d}'; {first}: first defined here"
                ));
            }
            defined.push((d, file));
        }
    }
    let known = |s: &str| defined.iter().any(|(n, _)| *n == s) || LIBC.contains(&s);
    for (file, u) in units {
        if let Some(c) = u.calls.iter().find(|c| !known(c)) {
            return Err(format!("{file}: undefined reference to '{c}'"));
        }
    }
    if !known("main") {
        return Err("undefined reference to 'main'".to_string());
    }
    let mut exe = String::from("!<usk-exe>\n");
    for (file, _) in units {
        exe.push_str(&format!("object {file}\n"));
    }
    exe.push_str("entry main\n");
    write_file(out, &exe, 0o755)
}

/// `main.c` → `main.o`.
fn object_name(src: &str) -> String {
    let base = src.rsplit('/').next().unwrap_or(src);
    match base.rsplit_once('.') {
        Some((stem, _)) => format!("{stem}.o"),
        None => format!("{base}.o"),
    }
}

pub fn main(args: &[String]) -> i32 {
    let mut compile_only = false;
    let mut out = None;
    let mut inputs = Vec::new();
    let mut i = 1;
    while i < args.len() {
        let a = args[i].as_str();
        i += 1;
        match a {
            "-c" => compile_only = true,
            "-o" => match args.get(i) {
                Some(o) => {
                    out = Some(o.clone());
                    i += 1;
                }
                None => {
                    ueprintln!("cc: error: missing filename after '-o'");
                    return 1;
                }
            },
            // an option whose value is the next argument
            "-I" | "-D" => i += 1,
            _ if ["-O", "-W", "-g", "-I", "-D", "-std=", "-f", "-pipe"]
                .iter()
                .any(|p| a.starts_with(p)) => {}
            _ if a.starts_with('-') => {
                ueprintln!("cc: error: unrecognized command-line option '{a}'");
                return 1;
            }
            f => inputs.push(f.to_string()),
        }
    }
    if inputs.is_empty() {
        ueprintln!("cc: fatal error: no input files");
        ueprintln!("compilation terminated.");
        return 1;
    }
    if compile_only && out.is_some() && inputs.len() > 1 {
        ueprintln!("cc: fatal error: cannot specify '-o' with '-c' with multiple files");
        ueprintln!("compilation terminated.");
        return 1;
    }
    let mut units = Vec::new();
    for f in &inputs {
        let unit = if f.ends_with(".o") {
            ulib::read_file(f)
                .map_err(|e| format!("{f}: {}", e.message()))
                .and_then(|t| parse_object(f, &String::from_utf8_lossy(&t)))
        } else {
            compile(f)
        };
        match unit {
            Ok(u) => units.push((f.clone(), u)),
            Err(e) => {
                ueprintln!("{e}");
                return 1;
            }
        }
    }
    let r = if compile_only {
        units.iter().try_for_each(|(f, u)| {
            let o = out.clone().unwrap_or_else(|| object_name(f));
            write_file(&o, &object_text(f, u), 0o644)
        })
    } else {
        link(&units, out.as_deref().unwrap_or("a.out"))
    };
    match r {
        Ok(()) => 0,
        Err(e) => {
            if compile_only {
                ueprintln!("cc: fatal error: {e}");
            } else {
                ueprintln!("ld: {e}");
                ueprintln!("collect2: error: ld returned 1 exit status");
            }
            1
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SRC: &str = "#include <stdio.h>\n\
        #define GREETING \\\n  \"hi\"\n\
        /* a comment\n over lines */\n\
        static int twice(int x) { return x << 1; }\n\
        int main(int argc, char **argv) {\n\
            // calls\n\
            if (argc > 1) printf(\"%d\\n\", twice(argc));\n\
            greet('\\'');\n\
            return 0;\n\
        }\n";

    #[test]
    fn tokenises_and_finds_definitions_and_calls() {
        let toks = tokenize(SRC.as_bytes()).unwrap();
        let first = toks[0];
        assert_eq!((first.kind, first.line), (Kind::Ident, 6));
        assert!(toks.iter().any(|t| t.kind == Kind::Str));
        assert!(toks.iter().any(|t| t.kind == Kind::Char));
        let shl = toks
            .iter()
            .find(|t| t.len == 2 && t.kind == Kind::Punct)
            .unwrap();
        assert_eq!(&SRC[shl.off as usize..][..2], "<<");
        let back: Vec<Token> = toks
            .iter()
            .filter_map(|t| Token::from_bytes(&t.to_bytes()))
            .collect();
        assert_eq!(back, toks);
        let u = analyse(SRC.as_bytes(), &toks);
        assert_eq!(u.defines, BTreeSet::from(["main".into(), "twice".into()]));
        assert_eq!(
            u.calls,
            BTreeSet::from(["greet".into(), "printf".into(), "twice".into()])
        );
        let obj = object_text("m.c", &u);
        assert_eq!(parse_object("m.o", &obj).unwrap().defines, u.defines);
        assert!(obj.contains("\nundef greet\n") && !obj.contains("undef twice"));
    }

    #[test]
    fn diagnostics_are_gccs() {
        assert_eq!(
            tokenize(b"int x;\nchar *s = \"abc;\n").unwrap_err(),
            "2:11: error: missing terminating \" character"
        );
        assert_eq!(
            tokenize(b"x /* open").unwrap_err(),
            "1:3: error: unterminated comment"
        );
        assert_eq!(
            tokenize(b"int @x;").unwrap_err(),
            "1:5: error: stray '@' in program"
        );
        assert!(parse_object("x.o", "ELF").is_err());
        assert_eq!(object_name("src/main.c"), "main.o");
    }
}
