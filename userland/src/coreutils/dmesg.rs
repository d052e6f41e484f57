//! `dmesg [-c|-C] [-r]`: the kernel log through syslog(2) — size from
//! SYSLOG_ACTION_SIZE_BUFFER (10), text from READ_ALL (3) (READ_CLEAR (4)
//! with -c); the `<level>` prefixes are stripped unless -r.

use super::{bad_option, prog};
use ulib::{ueprintln, uprint};

const SYSLOG_ACTION_READ_CLEAR: i32 = 4;

/// Strip `<N>` level prefixes from each line.
pub fn strip_levels(log: &str) -> String {
    let mut out = String::with_capacity(log.len());
    for line in log.split_inclusive('\n') {
        let l = match line.strip_prefix('<').and_then(|r| r.split_once('>')) {
            Some((lvl, rest)) if !lvl.is_empty() && lvl.chars().all(|c| c.is_ascii_digit()) => rest,
            _ => line,
        };
        out.push_str(l);
    }
    out
}

pub fn main(args: &[String]) -> i32 {
    let p = prog(args, "dmesg");
    let (mut clear_after, mut clear_only, mut raw) = (false, false, false);
    for a in &args[1..] {
        match a.as_str() {
            "-c" | "--read-clear" => clear_after = true,
            "-C" | "--clear" => clear_only = true,
            "-r" | "--raw" => raw = true,
            o => return bad_option(&p, o, 1),
        }
    }
    if clear_only {
        return match ulib::syslog(ulib::SYSLOG_ACTION_CLEAR, 0) {
            Ok(_) => 0,
            Err(e) => {
                ueprintln!("{p}: klogctl failed: {}", e.message());
                1
            }
        };
    }
    let size = match ulib::syslog(ulib::SYSLOG_ACTION_SIZE_BUFFER, 0) {
        Ok(n) if n > 0 => n as usize,
        Ok(_) => 16384,
        Err(e) => {
            ueprintln!("{p}: klogctl failed: {}", e.message());
            return 1;
        }
    };
    let action = if clear_after {
        SYSLOG_ACTION_READ_CLEAR
    } else {
        ulib::SYSLOG_ACTION_READ_ALL
    };
    match ulib::syslog_read(action, size) {
        Ok(b) => {
            let s = String::from_utf8_lossy(&b);
            if raw {
                uprint!("{s}");
            } else {
                uprint!("{}", strip_levels(&s));
            }
            0
        }
        Err(e) => {
            ueprintln!("{p}: read kernel buffer failed: {}", e.message());
            1
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn levels() {
        assert_eq!(
            super::strip_levels("<6>[    0.000000] Linux\n<4>warn\nplain\n"),
            "[    0.000000] Linux\nwarn\nplain\n"
        );
    }
}
