//! `dd [if=F] [of=F] [bs=N] [ibs=N] [obs=N] [count=N] [skip=N] [seek=N]
//! [conv=notrunc] [status=none|noxfer]`: copy blocks, with coreutils'
//! "N+M records in/out" and "X bytes (...) copied, T s, R" summary on stderr.

use super::prog;
use ulib::uapi::fcntl::*;
use ulib::ueprintln;

/// A size with coreutils' suffixes: c w b k K kB M MB G GB, `x` products.
pub fn parse_size(s: &str) -> Option<u64> {
    if let Some((a, b)) = s.split_once('x') {
        return parse_size(a)?.checked_mul(parse_size(b)?);
    }
    let digits = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let n: u64 = s[..digits].parse().ok()?;
    let m: u64 = match &s[digits..] {
        "" | "c" => 1,
        "w" => 2,
        "b" => 512,
        "kB" => 1000,
        "k" | "K" | "KiB" => 1024,
        "MB" => 1000 * 1000,
        "M" | "MiB" => 1 << 20,
        "GB" => 1000 * 1000 * 1000,
        "G" | "GiB" => 1 << 30,
        _ => return None,
    };
    n.checked_mul(m)
}

/// `1.0 kB`-style SI and `1.0 KiB`-style IEC renderings (coreutils'
/// human_readable with 2 significant digits at most 3 before the point).
fn human(v: f64, base: f64, units: &[&str]) -> String {
    let mut v = v;
    let mut i = 0;
    while v >= base && i + 1 < units.len() {
        v /= base;
        i += 1;
    }
    if v < 10.0 {
        format!("{:.1} {}", (v * 10.0).ceil() / 10.0, units[i])
    } else {
        format!("{} {}", v.ceil() as u64, units[i])
    }
}

/// The last line of the summary.
pub fn summary_line(bytes: u64, secs: f64) -> String {
    let si = ["B", "kB", "MB", "GB", "TB"];
    let iec = ["B", "KiB", "MiB", "GiB", "TiB"];
    let size = if bytes >= 1000 {
        let mut s = format!("{bytes} bytes ({}", human(bytes as f64, 1000.0, &si));
        if bytes >= 1024 {
            s.push_str(&format!(", {}", human(bytes as f64, 1024.0, &iec)));
        }
        s.push_str(") copied");
        s
    } else if bytes == 1 {
        "1 byte copied".to_string()
    } else {
        format!("{bytes} bytes copied")
    };
    let rate = if secs > 0.0 {
        format!("{}/s", human(bytes as f64 / secs, 1000.0, &si))
    } else {
        "Infinity B/s".to_string()
    };
    format!("{size}, {secs:.6} s, {rate}")
}

pub fn main(args: &[String]) -> i32 {
    let p = prog(args, "dd");
    let (mut inf, mut outf) = (None, None);
    let (mut ibs, mut obs) = (512u64, 512u64);
    let (mut count, mut skip, mut seek) = (None, 0u64, 0u64);
    let (mut notrunc, mut quiet, mut noxfer) = (false, false, false);
    for a in &args[1..] {
        let Some((k, v)) = a.split_once('=') else {
            ueprintln!("{p}: unrecognized operand '{a}'");
            ueprintln!("Try '{p} --help' for more information.");
            return 1;
        };
        let size =
            || parse_size(v).filter(|&n| n > 0 || k == "count" || k == "skip" || k == "seek");
        let bad = || {
            ueprintln!("{p}: invalid number: '{v}'");
            1
        };
        match k {
            "if" => inf = Some(v.to_string()),
            "of" => outf = Some(v.to_string()),
            "bs" => match size() {
                Some(n) => (ibs, obs) = (n, n),
                None => return bad(),
            },
            "ibs" => match size() {
                Some(n) => ibs = n,
                None => return bad(),
            },
            "obs" => match size() {
                Some(n) => obs = n,
                None => return bad(),
            },
            "count" => match size() {
                Some(n) => count = Some(n),
                None => return bad(),
            },
            "skip" => match size() {
                Some(n) => skip = n,
                None => return bad(),
            },
            "seek" => match size() {
                Some(n) => seek = n,
                None => return bad(),
            },
            "conv" => {
                for c in v.split(',') {
                    match c {
                        "notrunc" => notrunc = true,
                        _ => {
                            ueprintln!("{p}: invalid conversion: '{c}'");
                            return 1;
                        }
                    }
                }
            }
            "status" => match v {
                "none" => quiet = true,
                "noxfer" => noxfer = true,
                "progress" => {}
                _ => {
                    ueprintln!("{p}: invalid status level: '{v}'");
                    return 1;
                }
            },
            _ => {
                ueprintln!("{p}: unrecognized operand '{a}'");
                ueprintln!("Try '{p} --help' for more information.");
                return 1;
            }
        }
    }
    let ifd = match &inf {
        Some(f) => match ulib::open(f, O_RDONLY | O_CLOEXEC, 0) {
            Ok(fd) => fd,
            Err(e) => {
                ueprintln!("{p}: failed to open '{f}': {}", e.message());
                return 1;
            }
        },
        None => 0,
    };
    let ofd = match &outf {
        Some(f) => {
            let trunc = if notrunc || seek > 0 { 0 } else { O_TRUNC };
            match ulib::open(f, O_WRONLY | O_CREAT | trunc | O_CLOEXEC, 0o666) {
                Ok(fd) => fd,
                Err(e) => {
                    ueprintln!("{p}: failed to open '{f}': {}", e.message());
                    return 1;
                }
            }
        }
        None => 1,
    };
    let start = ulib::monotonic_ns();
    let mut buf = vec![0u8; ibs as usize];
    if skip > 0 && ulib::lseek(ifd, (skip * ibs) as i64, SEEK_CUR).is_err() {
        // Not seekable: read and discard.
        for _ in 0..skip {
            if ulib::read(ifd, &mut buf).map(|n| n == 0).unwrap_or(true) {
                break;
            }
        }
    }
    if seek > 0 {
        if let Err(e) = ulib::lseek(ofd, (seek * obs) as i64, SEEK_CUR) {
            ueprintln!("{p}: cannot seek: {}", e.message());
            return 1;
        }
    }
    let (mut in_full, mut in_part, mut out_full, mut out_part, mut bytes) =
        (0u64, 0u64, 0u64, 0u64, 0u64);
    let mut pending: Vec<u8> = Vec::new();
    let mut st = 0;
    let mut flush =
        |pending: &mut Vec<u8>, all: bool, out_full: &mut u64, out_part: &mut u64| -> bool {
            while pending.len() as u64 >= obs || (all && !pending.is_empty()) {
                let n = (obs as usize).min(pending.len());
                if let Err(e) = ulib::write_all(ofd, &pending[..n]) {
                    ueprintln!(
                        "{p}: error writing '{}': {}",
                        outf.as_deref().unwrap_or("standard output"),
                        e.message()
                    );
                    return false;
                }
                if n as u64 == obs {
                    *out_full += 1;
                } else {
                    *out_part += 1;
                }
                bytes += n as u64;
                pending.drain(..n);
            }
            true
        };
    while count.is_none_or(|c| in_full + in_part < c) {
        let n = match ulib::read(ifd, &mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                ueprintln!(
                    "{p}: error reading '{}': {}",
                    inf.as_deref().unwrap_or("standard input"),
                    e.message()
                );
                st = 1;
                break;
            }
        };
        if n as u64 == ibs {
            in_full += 1;
        } else {
            in_part += 1;
        }
        pending.extend_from_slice(&buf[..n]);
        if !flush(&mut pending, false, &mut out_full, &mut out_part) {
            st = 1;
            break;
        }
    }
    if st == 0 && !flush(&mut pending, true, &mut out_full, &mut out_part) {
        st = 1;
    }
    let secs = ulib::monotonic_ns().saturating_sub(start) as f64 / 1e9;
    if !quiet {
        ueprintln!("{in_full}+{in_part} records in");
        ueprintln!("{out_full}+{out_part} records out");
        if !noxfer {
            ueprintln!("{}", summary_line(bytes, secs));
        }
    }
    if inf.is_some() {
        let _ = ulib::close(ifd);
    }
    if outf.is_some() {
        let _ = ulib::close(ofd);
    }
    st
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_and_summary() {
        assert_eq!(parse_size("512"), Some(512));
        assert_eq!(parse_size("1k"), Some(1024));
        assert_eq!(parse_size("1kB"), Some(1000));
        assert_eq!(parse_size("2x1M"), Some(2 << 20));
        assert_eq!(parse_size("1q"), None);
        assert_eq!(
            summary_line(512, 0.5),
            "512 bytes copied, 0.500000 s, 1.1 kB/s"
        );
        assert_eq!(
            summary_line(1048576, 1.0),
            "1048576 bytes (1.1 MB, 1.0 MiB) copied, 1.000000 s, 1.1 MB/s"
        );
    }
}
