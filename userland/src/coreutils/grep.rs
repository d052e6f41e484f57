//! `grep [-v] [-i] [-c] [-n] [-q] [-F] PATTERN [FILE...]`: print the lines
//! that match a POSIX basic regular expression (`^`, `$`, `.`, `*`,
//! bracket expressions, `\` escapes) or, with `-F`, a fixed string.
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

#[derive(Clone, Debug, PartialEq)]
struct Piece {
    atom: Atom,
    star: bool,
}

struct Regex {
    anchored: bool,
    pieces: Vec<Piece>,
    at_end: bool,
}

fn compile(p: &[u8]) -> Result<Regex, String> {
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
        let atom = match p[i] {
            b'.' => Atom::Any,
            b'*' if pieces.is_empty() => Atom::Char(b'*'),
            b'*' => {
                pieces.last_mut().expect("checked").star = true;
                i += 1;
                continue;
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
        pieces.push(Piece { atom, star: false });
        i += 1;
    }
    Ok(Regex {
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
    if first.star {
        let mut n = 0;
        while n < s.len() && atom_matches(&first.atom, s[n], icase) {
            n += 1;
        }
        (0..=n)
            .rev()
            .any(|k| match_here(rest, &s[k..], at_end, icase))
    } else {
        !s.is_empty()
            && atom_matches(&first.atom, s[0], icase)
            && match_here(rest, &s[1..], at_end, icase)
    }
}

impl Regex {
    fn is_match(&self, line: &[u8], icase: bool) -> bool {
        if self.anchored {
            return match_here(&self.pieces, line, self.at_end, icase);
        }
        (0..=line.len()).any(|i| match_here(&self.pieces, &line[i..], self.at_end, icase))
    }
}

pub fn main(args: &[String]) -> i32 {
    let p = prog(args, "grep");
    let (mut invert, mut icase, mut count, mut number, mut quiet, mut fixed) =
        (false, false, false, false, false, false);
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
                    'E' | 'G' => {}
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
        match compile(pattern.as_bytes()) {
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
        compile(p.as_bytes()).unwrap().is_match(s.as_bytes(), false)
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
        assert!(compile(b"[abc").is_err());
    }
}
