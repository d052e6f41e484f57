//! `head` and `tail` `[-n N|-N] [-c N] [FILE...]`: the first or last lines
//! (or bytes) of each input; `tail -n +N` starts at line N; several files
//! get `==> name <==` headers.

use super::{close_input, open_input, prog};
use ulib::{ueprintln, uprint};

#[derive(Clone, Copy)]
enum Count {
    Lines(u64),
    Bytes(u64),
    /// tail -n +N / -c +N: from the Nth line or byte.
    FromLine(u64),
    FromByte(u64),
}

fn parse_args(p: &str, args: &[String]) -> Result<(Count, Vec<String>), i32> {
    let mut count = Count::Lines(10);
    let mut files = Vec::new();
    let mut i = 1;
    let num = |s: &str| -> Result<(u64, bool), i32> {
        let (plus, digits) = match s.strip_prefix('+') {
            Some(d) => (true, d),
            None => (false, s.strip_prefix('-').unwrap_or(s)),
        };
        match digits.parse::<u64>() {
            Ok(n) => Ok((n, plus)),
            Err(_) => {
                ueprintln!("{p}: invalid number of lines: '{s}'");
                Err(1)
            }
        }
    };
    while i < args.len() {
        let a = &args[i];
        if a == "-n" || a == "-c" {
            let Some(v) = args.get(i + 1) else {
                ueprintln!("{p}: option requires an argument -- '{}'", &a[1..]);
                ueprintln!("Try '{p} --help' for more information.");
                return Err(1);
            };
            let (n, plus) = num(v)?;
            count = match (a == "-n", plus) {
                (true, false) => Count::Lines(n),
                (true, true) => Count::FromLine(n),
                (false, false) => Count::Bytes(n),
                (false, true) => Count::FromByte(n),
            };
            i += 2;
            continue;
        }
        if let Some(v) = a
            .strip_prefix("-n")
            .or_else(|| a.strip_prefix("-c"))
            .filter(|v| !v.is_empty())
        {
            let (n, plus) = num(v)?;
            count = match (a.starts_with("-n"), plus) {
                (true, false) => Count::Lines(n),
                (true, true) => Count::FromLine(n),
                (false, false) => Count::Bytes(n),
                (false, true) => Count::FromByte(n),
            };
        } else if a.len() > 1 && a.starts_with('-') && a[1..].chars().all(|c| c.is_ascii_digit()) {
            count = Count::Lines(a[1..].parse().unwrap_or(10));
        } else if a.len() > 1 && a.starts_with('-') {
            return Err(super::bad_option(p, a, 1));
        } else {
            files.push(a.clone());
        }
        i += 1;
    }
    if files.is_empty() {
        files.push("-".into());
    }
    Ok((count, files))
}

fn select(data: &[u8], count: Count, head: bool) -> &[u8] {
    match (count, head) {
        (Count::Bytes(n), true) => &data[..(n as usize).min(data.len())],
        (Count::Bytes(n), false) => &data[data.len().saturating_sub(n as usize)..],
        (Count::FromByte(n), _) => &data[(n.saturating_sub(1) as usize).min(data.len())..],
        (Count::Lines(n), true) => {
            let mut end = 0;
            for (k, _) in data
                .iter()
                .enumerate()
                .filter(|(_, &b)| b == b'\n')
                .take(n as usize)
            {
                end = k + 1;
            }
            if data.iter().filter(|&&b| b == b'\n').count() < n as usize {
                end = data.len();
            }
            &data[..end]
        }
        (Count::Lines(n), false) => {
            if n == 0 {
                return &data[data.len()..];
            }
            let body = data.strip_suffix(b"\n").unwrap_or(data);
            let mut seen = 0;
            for k in (0..body.len()).rev() {
                if body[k] == b'\n' {
                    seen += 1;
                    if seen == n {
                        return &data[k + 1..];
                    }
                }
            }
            data
        }
        (Count::FromLine(n), _) => {
            let skip = n.saturating_sub(1) as usize;
            let mut start = 0;
            for _ in 0..skip {
                match data[start..].iter().position(|&b| b == b'\n') {
                    Some(k) => start += k + 1,
                    None => return &data[data.len()..],
                }
            }
            &data[start..]
        }
    }
}

/// Read `fd` to its end — or, for head, only until the selection is
/// complete, so that `yes | head` ends (the writer then gets SIGPIPE).
fn read_input(fd: i32, count: Count, head: bool) -> ulib::Result<Vec<u8>> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 16384];
    let mut lines = 0u64;
    loop {
        let done = match (head, count) {
            (true, Count::Lines(n)) => lines >= n,
            (true, Count::Bytes(n)) => out.len() as u64 >= n,
            _ => false,
        };
        if done {
            return Ok(out);
        }
        let n = ulib::read(fd, &mut buf)?;
        if n == 0 {
            return Ok(out);
        }
        lines += buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
        out.extend_from_slice(&buf[..n]);
    }
}

fn run(args: &[String], head: bool) -> i32 {
    let p = prog(args, if head { "head" } else { "tail" });
    let (count, files) = match parse_args(&p, args) {
        Ok(v) => v,
        Err(code) => return code,
    };
    let mut st = 0;
    let headers = files.len() > 1;
    for (k, f) in files.iter().enumerate() {
        let fd = match open_input(f) {
            Ok(fd) => fd,
            Err(e) => {
                ueprintln!("{p}: cannot open '{f}' for reading: {}", e.message());
                st = 1;
                continue;
            }
        };
        let data = match read_input(fd, count, head) {
            Ok(d) => d,
            Err(e) => {
                ueprintln!("{p}: error reading '{f}': {}", e.message());
                st = 1;
                close_input(fd);
                continue;
            }
        };
        close_input(fd);
        if headers {
            let name = if f == "-" { "standard input" } else { f };
            uprint!("{}==> {name} <==\n", if k > 0 { "\n" } else { "" });
        }
        ulib::io::write_buffered(1, select(&data, count, head));
    }
    ulib::io::flush_all();
    st
}

pub fn head_main(args: &[String]) -> i32 {
    run(args, true)
}

pub fn tail_main(args: &[String]) -> i32 {
    run(args, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selections() {
        let d = b"1\n2\n3\n4\n";
        assert_eq!(select(d, Count::Lines(2), true), b"1\n2\n");
        assert_eq!(select(d, Count::Lines(9), true), d);
        assert_eq!(select(d, Count::Lines(2), false), b"3\n4\n");
        assert_eq!(select(b"1\n2\n3", Count::Lines(2), false), b"2\n3");
        assert_eq!(select(d, Count::FromLine(3), false), b"3\n4\n");
        assert_eq!(select(d, Count::Bytes(3), true), b"1\n2");
        assert_eq!(select(d, Count::Bytes(2), false), b"4\n");
        assert_eq!(select(d, Count::Lines(0), false), b"");
    }
}
