//! `wc [-lwcm] [FILE...]`: newline, word and byte counts with coreutils'
//! column widths (a single count of a single input is unpadded; stdin or
//! other non-regular inputs get at least 7 columns).

use super::{bad_option, close_input, open_input, prog};
use ulib::uapi::fcntl::s_isreg;
use ulib::{ueprintln, uprintln};

/// Lines, words, bytes of `data`.
pub fn count(data: &[u8]) -> [u64; 3] {
    let lines = data.iter().filter(|&&b| b == b'\n').count() as u64;
    let words = data
        .split(|b| b.is_ascii_whitespace())
        .filter(|w| !w.is_empty())
        .count() as u64;
    [lines, words, data.len() as u64]
}

pub fn main(args: &[String]) -> i32 {
    let p = prog(args, "wc");
    let mut want = [false; 3];
    let mut files = Vec::new();
    for a in &args[1..] {
        if a.starts_with('-') && a.len() > 1 {
            for c in a[1..].chars() {
                match c {
                    'l' => want[0] = true,
                    'w' => want[1] = true,
                    'c' | 'm' => want[2] = true,
                    _ => return bad_option(&p, &format!("-{c}"), 1),
                }
            }
        } else {
            files.push(a.clone());
        }
    }
    if !want.contains(&true) {
        want = [true; 3];
    }
    let named = !files.is_empty();
    if files.is_empty() {
        files.push("-".into());
    }
    let mut st = 0;
    let mut results = Vec::new();
    let mut min_width = 1;
    let mut regular_total = 0u64;
    for f in &files {
        let fd = match open_input(f) {
            Ok(fd) => fd,
            Err(e) => {
                ueprintln!("{p}: {f}: {}", e.message());
                st = 1;
                continue;
            }
        };
        match ulib::fstat(fd) {
            Ok(s) if s_isreg(s.st_mode) => regular_total += s.st_size as u64,
            _ => min_width = 7,
        }
        match ulib::read_to_end(fd) {
            Ok(d) => results.push((f.clone(), count(&d))),
            Err(e) => {
                ueprintln!("{p}: {f}: {}", e.message());
                st = 1;
            }
        }
        close_input(fd);
    }
    let nwant = want.iter().filter(|&&w| w).count();
    let width = if nwant == 1 && files.len() == 1 {
        1
    } else {
        (regular_total.max(1).ilog10() as usize + 1).max(min_width)
    };
    let mut total = [0u64; 3];
    let print = |counts: &[u64; 3], name: Option<&str>| {
        let cols: Vec<String> = counts
            .iter()
            .zip(want)
            .filter(|(_, w)| *w)
            .map(|(c, _)| format!("{c:>width$}"))
            .collect();
        match name {
            Some(n) => uprintln!("{} {n}", cols.join(" ")),
            None => uprintln!("{}", cols.join(" ")),
        }
    };
    for (f, c) in &results {
        for k in 0..3 {
            total[k] += c[k];
        }
        print(c, named.then_some(f.as_str()));
    }
    if files.len() > 1 {
        print(&total, Some("total"));
    }
    st
}

#[cfg(test)]
mod tests {
    #[test]
    fn counts() {
        assert_eq!(super::count(b"hello world\n  x\n"), [2, 3, 16]);
        assert_eq!(super::count(b""), [0, 0, 0]);
    }
}
