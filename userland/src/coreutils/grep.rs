//! `grep [-v] [-i] [-c] [-n] [-q] [-E|-G|-F] PATTERN [FILE...]`: print the
//! lines that match a regular expression — basic (`-G`, the default: `^`,
//! `$`, `.`, `*`, bracket expressions, `\` escapes, and GNU's `\+`, `\?`,
//! `\|`) or extended (`-E`: `+`, `?`, `|`) — or, with `-F`, a fixed string.
//! Groups and intervals are not supported and are refused with an error.
//! Exit status as grep's: 0 if a line was selected, 1 if none, 2 on error.

use super::{close_input, open_input, prog};
use ulib::{ueprintln, uprintln};

/// One element of a compiled pattern.
#[derive(Clone, Debug, PartialEq)]
enum Atom {
    Char(u8),
    Any,
    /// A bracket expression: ranges, negated.
    Class(Vec<(u8, u8)>, bool),
}

/// How often an atom may repeat: once, `*`, `+` or `?`.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Rep {
    One,
    Star,
    Plus,
    Opt,
}

#[derive(Clone, Debug, PartialEq)]
struct Piece {
    atom: Atom,
    rep: Rep,
}

/// One alternative of a pattern: its pieces and anchors.
struct Branch {
    anchored: bool,
    pieces: Vec<Piece>,
    at_end: bool,
}

/// A compiled pattern: a line matches if any branch does.
struct Regex {
    branches: Vec<Branch>,
}

/// Split `p` at its top-level alternation operators (`|` in an ERE, GNU's
/// `\|` in a BRE), not inside bracket expressions.
fn split_alternatives(p: &[u8], extended: bool) -> Vec<&[u8]> {
    let (mut out, mut start, mut i) = (Vec::new(), 0, 0);
    while i < p.len() {
        match p[i] {
            b'\\' if !extended && p.get(i + 1) == Some(&b'|') => {
                out.push(&p[start..i]);
                i += 2;
                start = i;
                continue;
            }
            b'\\' => i += 1,
            b'|' if extended => {
                out.push(&p[start..i]);
                start = i + 1;
            }
            b'[' => {
                // skip to the closing bracket (a leading `]` or `^]` is literal)
                i += 1;
                if p.get(i) == Some(&b'^') {
                    i += 1;
                }
                if p.get(i) == Some(&b']') {
                    i += 1;
                }
                while i < p.len() && p[i] != b']' {
                    i += 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    out.push(&p[start.min(p.len())..]);
    out
}

/// Compile a basic (`extended` false: `\+`, `\?`, `\|` as GNU grep has
/// them) or extended regular expression (`+`, `?`, `|`). Groups and
/// intervals are refused with an error rather than misread.
fn compile(p: &[u8], extended: bool) -> Result<Regex, String> {
    let branches = split_alternatives(p, extended)
        .into_iter()
        .map(|b| compile_branch(b, extended))
        .collect::<Result<_, _>>()?;
    Ok(Regex { branches })
}

fn compile_branch(p: &[u8], extended: bool) -> Result<Branch, String> {
    let (anchored, mut p) = match p.first() {
        Some(b'^') => (true, &p[1..]),
        _ => (false, p),
    };
    let at_end = p.last() == Some(&b'$') && !p.ends_with(b"\\$");
    if at_end {
        p = &p[..p.len() - 1];
    }
    let mut pieces: Vec<Piece> = Vec::new();
    let mut i = 0;
    while i < p.len() {
        // a repetition operator: `*`, and `+`/`?` (ERE) or `\+`/`\?` (BRE)
        let rep = match (p[i], p.get(i + 1)) {
            (b'*', _) => Some((Rep::Star, 1)),
            (b'+', _) if extended => Some((Rep::Plus, 1)),
            (b'?', _) if extended => Some((Rep::Opt, 1)),
            (b'\\', Some(b'+')) if !extended => Some((Rep::Plus, 2)),
            (b'\\', Some(b'?')) if !extended => Some((Rep::Opt, 2)),
            _ => None,
        };
        if let (Some((rep, len)), Some(last)) = (rep, pieces.last_mut()) {
            last.rep = rep;
            i += len;
            continue;
        }
        let atom = match p[i] {
            b'.' => Atom::Any,
            b'(' | b')' | b'{' if extended => {
                return Err("groups and intervals are not supported".into())
            }
            b'\\' if matches!(p.get(i + 1), Some(b'(' | b')' | b'{')) && !extended => {
                return Err("groups and intervals are not supported".into())
            }
            b'\\' => {
                i += 1;
                Atom::Char(*p.get(i).ok_or("trailing backslash")?)
            }
            b'[' => {
                i += 1;
                let neg = p.get(i) == Some(&b'^');
                if neg {
                    i += 1;
                }
                let mut ranges = Vec::new();
                let mut first = true;
                while i < p.len() && (p[i] != b']' || first) {
                    let lo = p[i];
                    if p.get(i + 1) == Some(&b'-') && p.get(i + 2).is_some_and(|&c| c != b']') {
                        ranges.push((lo, p[i + 2]));
                        i += 3;
                    } else {
                        ranges.push((lo, lo));
                        i += 1;
                    }
                    first = false;
                }
                if i >= p.len() {
                    return Err("Unmatched [, [^, [:, [., or [=".into());
                }
                Atom::Class(ranges, neg)
            }
            c => Atom::Char(c),
        };
        pieces.push(Piece {
            atom,
            rep: Rep::One,
        });
        i += 1;
    }
    Ok(Branch {
        anchored,
        pieces,
        at_end,
    })
}

fn atom_matches(a: &Atom, c: u8, icase: bool) -> bool {
    let fold = |x: u8| if icase { x.to_ascii_lowercase() } else { x };
    match a {
        Atom::Any => true,
        Atom::Char(x) => fold(*x) == fold(c),
        Atom::Class(r, neg) => {
            let hit = r
                .iter()
                .any(|&(lo, hi)| (lo..=hi).contains(&c) || (icase && (lo..=hi).contains(&fold(c))));
            hit != *neg
        }
    }
}

/// Backtracking match of `pieces` at the start of `s`.
fn match_here(pieces: &[Piece], s: &[u8], at_end: bool, icase: bool) -> bool {
    let Some((first, rest)) = pieces.split_first() else {
        return !at_end || s.is_empty();
    };
    let (min, max) = match first.rep {
        Rep::One => (1, 1),
        Rep::Star => (0, usize::MAX),
        Rep::Plus => (1, usize::MAX),
        Rep::Opt => (0, 1),
    };
    let mut n = 0;
    while n < max && n < s.len() && atom_matches(&first.atom, s[n], icase) {
        n += 1;
    }
    n >= min
        && (min..=n)
            .rev()
            .any(|k| match_here(rest, &s[k..], at_end, icase))
}

impl Branch {
    fn is_match(&self, line: &[u8], icase: bool) -> bool {
        if self.anchored {
            return match_here(&self.pieces, line, self.at_end, icase);
        }
        (0..=line.len()).any(|i| match_here(&self.pieces, &line[i..], self.at_end, icase))
    }
}

impl Regex {
    fn is_match(&self, line: &[u8], icase: bool) -> bool {
        self.branches.iter().any(|b| b.is_match(line, icase))
    }
}

pub fn main(args: &[String]) -> i32 {
    let p = prog(args, "grep");
    let (mut invert, mut icase, mut count, mut number, mut quiet, mut fixed) =
        (false, false, false, false, false, false);
    let mut extended = false;
    let mut operands = Vec::new();
    for a in &args[1..] {
        if a.len() > 1 && a.starts_with('-') && operands.is_empty() {
            for c in a[1..].chars() {
                match c {
                    'v' => invert = true,
                    'i' => icase = true,
                    'c' => count = true,
                    'n' => number = true,
                    'q' => quiet = true,
                    'F' => fixed = true,
                    'E' => extended = true,
                    'G' => extended = false,
                    _ => {
                        ueprintln!("{p}: invalid option -- '{c}'");
                        ueprintln!("Usage: grep [OPTION]... PATTERNS [FILE]...");
                        return 2;
                    }
                }
            }
        } else {
            operands.push(a.clone());
        }
    }
    let Some(pattern) = operands.first().cloned() else {
        ueprintln!("Usage: grep [OPTION]... PATTERNS [FILE]...");
        ueprintln!("Try '{p} --help' for more information.");
        return 2;
    };
    let re = if fixed {
        None
    } else {
        match compile(pattern.as_bytes(), extended) {
            Ok(r) => Some(r),
            Err(e) => {
                ueprintln!("{p}: {e}");
                return 2;
            }
        }
    };
    let matches = |line: &[u8]| -> bool {
        let hit = match &re {
            Some(r) => r.is_match(line, icase),
            None if icase => String::from_utf8_lossy(line)
                .to_lowercase()
                .contains(&pattern.to_lowercase()),
            None => {
                line.windows(pattern.len().max(1))
                    .any(|w| w == pattern.as_bytes())
                    || pattern.is_empty()
            }
        };
        hit != invert
    };
    let mut files: Vec<String> = operands[1..].to_vec();
    if files.is_empty() {
        files.push("-".into());
    }
    let label = files.len() > 1;
    let (mut selected, mut error) = (false, false);
    for f in &files {
        let data = match open_input(f).and_then(|fd| {
            let d = ulib::read_to_end(fd);
            close_input(fd);
            d
        }) {
            Ok(d) => d,
            Err(e) => {
                ueprintln!("{p}: {f}: {}", e.message());
                error = true;
                continue;
            }
        };
        let mut n = 0;
        for (i, line) in data.split(|&b| b == b'\n').enumerate() {
            if i + 1 == data.split(|&b| b == b'\n').count() && line.is_empty() {
                break;
            }
            if !matches(line) {
                continue;
            }
            selected = true;
            n += 1;
            if quiet {
                return 0;
            }
            if !count {
                let name = if label {
                    format!("{f}:")
                } else {
                    String::new()
                };
                let num = if number {
                    format!("{}:", i + 1)
                } else {
                    String::new()
                };
                uprintln!("{name}{num}{}", String::from_utf8_lossy(line));
            }
        }
        if count {
            if label {
                uprintln!("{f}:{n}");
            } else {
                uprintln!("{n}");
            }
        }
    }
    ulib::io::flush_all();
    if error {
        2
    } else if selected {
        0
    } else {
        1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, s: &str) -> bool {
        compile(p.as_bytes(), false)
            .unwrap()
            .is_match(s.as_bytes(), false)
    }

    fn e(p: &str, s: &str) -> bool {
        compile(p.as_bytes(), true)
            .unwrap()
            .is_match(s.as_bytes(), false)
    }

    #[test]
    fn basic_regular_expressions() {
        assert!(m("rcu-torture", "[ 1.0] rcu-torture: rtc: 0"));
        assert!(m("^ab*c$", "abbbc") && m("^ab*c$", "ac") && !m("^ab*c$", "abd"));
        assert!(m("a.c", "xabcx") && !m("a.c", "ac"));
        assert!(m("[0-9][0-9]*", "x42") && !m("^[0-9]", "x42"));
        assert!(m("[^a-z]", "abC") && !m("^[^a-z]*$", "abc"));
        assert!(m("\\.", "a.b") && !m("\\.", "ab"));
        assert!(m("", "anything") && m("x*", ""));
        assert!(compile(b"[abc", false).is_err());
        // GNU extensions in a BRE; the ERE characters are literal there
        assert!(m("^ab\\+c$", "abbc") && !m("^ab\\+c$", "ac"));
        assert!(m("colou\\?r", "color") && m("a\\|x", "xyz"));
        assert!(m("a|b", "a|b") && !m("a|b", "a"));
    }

    #[test]
    fn extended_regular_expressions() {
        assert!(e("FDSize|Uid", "Uid:\t0") && e("FDSize|Uid", "FDSize:\t64"));
        assert!(!e("FDSize|Uid", "Gid:\t0"));
        assert!(e("^ab+c$", "abbc") && !e("^ab+c$", "ac"));
        assert!(e("^colou?r$", "color") && e("^colou?r$", "colour"));
        assert!(e("^a$|^b$", "b") && !e("^a$|^b$", "ab"));
        assert!(e("[|]", "|") && !e("[|]", "x"));
        assert!(compile(b"(ab)", true).is_err() && compile(b"\\(ab\\)", false).is_err());
    }
}
