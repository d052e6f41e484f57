//! `ps [-e|-A|ax] [-f] [aux]`: processes from `/proc/<pid>/stat` (and
//! `cmdline`; the uid of USER/UID from `status`), in procps' layouts.
//! Without options: the processes on our terminal (all of them when we
//! have none).

use super::{bad_option, prog, user_name};
use ulib::{ueprintln, uprintln};

/// The fields of `/proc/<pid>/stat` that ps shows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProcStat {
    pub pid: i32,
    pub comm: String,
    pub state: char,
    pub ppid: i32,
    pub tty_nr: u32,
    pub utime: u64,
    pub stime: u64,
    pub vsize: u64,
    pub rss: u64,
}

/// Parse a `/proc/<pid>/stat` line (the comm may contain spaces and
/// parentheses: it ends at the last `)`).
pub fn parse_stat(s: &str) -> Option<ProcStat> {
    let open = s.find('(')?;
    let close = s.rfind(')')?;
    let pid = s[..open].trim().parse().ok()?;
    let comm = s[open + 1..close].to_string();
    let f: Vec<&str> = s[close + 1..].split_whitespace().collect();
    // f[0] is field 3 (state).
    let n = |i: usize| {
        f.get(i - 3)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    Some(ProcStat {
        pid,
        comm,
        state: f.first()?.chars().next()?,
        ppid: n(4) as i32,
        tty_nr: n(7) as u32,
        utime: n(14),
        stime: n(15),
        vsize: n(23),
        rss: n(24),
    })
}

/// The real uid of a `/proc/<pid>/status` text: the first field of its
/// `Uid:` line (real, effective, saved, file system).
pub fn parse_status_uid(s: &str) -> Option<u32> {
    s.lines()
        .find_map(|l| l.strip_prefix("Uid:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// procps' tty name of a `tty_nr`.
pub fn tty_name(tty: u32) -> String {
    let (maj, min) = ((tty >> 8) & 0xfff, (tty & 0xff) | ((tty >> 12) & 0xfff00));
    match (maj, min) {
        (0, _) => "?".into(),
        (4, m) if m < 64 => format!("tty{m}"),
        (4, m) => format!("ttyS{}", m - 64),
        (5, 1) => "console".into(),
        (136..=143, m) => format!("pts/{}", (maj - 136) * 256 + m),
        _ => format!("{maj},{min}"),
    }
}

fn cputime(p: &ProcStat) -> String {
    let secs = (p.utime + p.stime) / 100;
    format!("{:02}:{:02}:{:02}", secs / 3600, secs / 60 % 60, secs % 60)
}

fn cmdline(p: &ProcStat) -> String {
    let raw = ulib::read_file(&format!("/proc/{}/cmdline", p.pid)).unwrap_or_default();
    let parts: Vec<String> = raw
        .split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect();
    if parts.is_empty() {
        format!("[{}]", p.comm)
    } else {
        parts.join(" ")
    }
}

/// The real uid of process `pid`, from its `status` (stat has none); read
/// only for the formats that show it, and only for the processes shown.
fn proc_uid(pid: i32) -> u32 {
    ulib::read_file(&format!("/proc/{pid}/status"))
        .ok()
        .and_then(|b| parse_status_uid(&String::from_utf8_lossy(&b)))
        .unwrap_or(0)
}

fn all_procs() -> Vec<ProcStat> {
    let mut v: Vec<ProcStat> = ulib::read_dir("/proc")
        .unwrap_or_default()
        .into_iter()
        .filter(|d| d.d_name.chars().all(|c| c.is_ascii_digit()))
        .filter_map(|d| {
            let stat = ulib::read_file(&format!("/proc/{}/stat", d.d_name)).ok()?;
            parse_stat(&String::from_utf8_lossy(&stat))
        })
        .collect();
    v.sort_by_key(|p| p.pid);
    v
}

pub fn main(args: &[String]) -> i32 {
    let p = prog(args, "ps");
    let (mut all, mut full, mut user) = (false, false, false);
    for a in &args[1..] {
        if let Some(o) = a.strip_prefix('-') {
            for c in o.chars() {
                match c {
                    'e' | 'A' => all = true,
                    'f' => full = true,
                    _ => return bad_option(&p, &format!("-{c}"), 1),
                }
            }
        } else {
            for c in a.chars() {
                match c {
                    'a' | 'x' => all = true,
                    'u' => user = true,
                    _ => {
                        ueprintln!("error: unsupported option (BSD syntax)");
                        ueprintln!("Usage: {p} [-e] [-f] [aux]");
                        return 1;
                    }
                }
            }
        }
    }
    let procs = all_procs();
    let me = ulib::read_file("/proc/self/stat")
        .ok()
        .and_then(|b| parse_stat(&String::from_utf8_lossy(&b)));
    let my_tty = me.map(|m| m.tty_nr).unwrap_or(0);
    let shown = procs
        .iter()
        .filter(|q| all || my_tty == 0 || q.tty_nr == my_tty);
    if user {
        let total_kb = ulib::sysinfo()
            .map(|s| s.totalram * s.mem_unit.max(1) as u64 / 1024)
            .unwrap_or(0)
            .max(1);
        uprintln!("USER         PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND");
        for q in shown {
            let rss_kb = q.rss * 4;
            let secs = (q.utime + q.stime) / 100;
            uprintln!(
                "{:<8} {:>7}  0.0 {:>4.1} {:>6} {:>5} {:<8} {:<4} 00:00 {:>3}:{:02} {}",
                user_name(proc_uid(q.pid)),
                q.pid,
                rss_kb as f64 * 100.0 / total_kb as f64,
                q.vsize / 1024,
                rss_kb,
                tty_name(q.tty_nr),
                q.state,
                secs / 60,
                secs % 60,
                cmdline(q)
            );
        }
    } else if full {
        uprintln!("UID          PID    PPID  C STIME TTY          TIME CMD");
        for q in shown {
            uprintln!(
                "{:<8} {:>7} {:>7}  0 00:00 {:<8} {} {}",
                user_name(proc_uid(q.pid)),
                q.pid,
                q.ppid,
                tty_name(q.tty_nr),
                cputime(q),
                cmdline(q)
            );
        }
    } else {
        uprintln!("    PID TTY          TIME CMD");
        for q in shown {
            uprintln!(
                "{:>7} {:<8} {} {}",
                q.pid,
                tty_name(q.tty_nr),
                cputime(q),
                q.comm
            );
        }
    }
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_line() {
        let s =
            "42 (my (odd) cmd) S 1 42 42 1025 42 4194560 0 0 0 0 150 50 0 0 20 0 1 0 100 8192 3 0";
        let p = parse_stat(s).unwrap();
        assert_eq!(p.pid, 42);
        assert_eq!(p.comm, "my (odd) cmd");
        assert_eq!(p.state, 'S');
        assert_eq!(p.ppid, 1);
        assert_eq!(p.tty_nr, 1025);
        assert_eq!((p.utime, p.stime, p.vsize, p.rss), (150, 50, 8192, 3));
        assert_eq!(tty_name(1025), "tty1");
        assert_eq!(tty_name(0x501), "console");
        assert_eq!(tty_name(0x8800), "pts/0");
        assert_eq!(cputime(&p), "00:00:02");
    }

    #[test]
    fn status_uid() {
        let s = "Name:\tsh\nPPid:\t1\nUid:\t1000\t1001\t1002\t1003\nGid:\t0\t0\t0\t0\n";
        assert_eq!(parse_status_uid(s), Some(1000));
        assert_eq!(parse_status_uid("Name:\tsh\n"), None);
        assert_eq!(user_name(0), "root");
        assert_eq!(user_name(1000), "1000");
    }
}
