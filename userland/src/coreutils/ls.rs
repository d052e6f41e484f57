//! `ls [-laA1dF] [FILE...]`: list directory contents like coreutils —
//! one name per line when stdout is not a terminal (or with -1), columns
//! on a terminal, `-l` long format with `total`, directories of several
//! operands under `dir:` headers.

use super::{bad_option, prog, user_name};
use ulib::uapi::fcntl::*;
use ulib::uapi::stat::Stat;
use ulib::{ueprintln, uprintln};

#[derive(Default)]
struct Opts {
    long: bool,
    all: bool,
    almost_all: bool,
    one: bool,
    dir_itself: bool,
    classify: bool,
}

/// `drwxr-xr-x` for a mode.
pub fn mode_string(m: u32) -> String {
    let t = match m & S_IFMT {
        S_IFDIR => 'd',
        S_IFCHR => 'c',
        S_IFBLK => 'b',
        S_IFIFO => 'p',
        S_IFLNK => 'l',
        S_IFSOCK => 's',
        _ => '-',
    };
    let mut s = String::from(t);
    for (i, c) in "rwxrwxrwx".chars().enumerate() {
        s.push(if m & (0o400 >> i) != 0 { c } else { '-' });
    }
    s
}

/// `Nov 23 14:05` (UTC) for seconds since the epoch.
pub fn date_string(secs: i64) -> String {
    let days = secs.div_euclid(86400);
    let rem = secs.rem_euclid(86400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719468;
    let era = z.div_euclid(146097);
    let doe = z - era * 146097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    const MON: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    format!(
        "{} {:>2} {:02}:{:02}",
        MON[(m - 1) as usize],
        d,
        rem / 3600,
        rem % 3600 / 60
    )
}

fn suffix(st: &Stat) -> &'static str {
    let m = st.st_mode;
    if s_isdir(m) {
        "/"
    } else if s_isfifo(m) {
        "|"
    } else if s_islnk(m) {
        "@"
    } else if m & 0o111 != 0 && s_isreg(m) {
        "*"
    } else {
        ""
    }
}

fn print_entries(o: &Opts, entries: &[(String, Stat)], tty: bool) {
    if o.long {
        let w = |f: &dyn Fn(&Stat) -> String| {
            entries.iter().map(|(_, s)| f(s).len()).max().unwrap_or(0)
        };
        let size = |s: &Stat| {
            if s_ischr(s.st_mode) || s.st_mode & S_IFMT == S_IFBLK {
                format!("{}, {}", major(s.st_rdev), minor(s.st_rdev))
            } else {
                s.st_size.to_string()
            }
        };
        let (wl, wu, wg, ws) = (
            w(&|s| s.st_nlink.to_string()),
            w(&|s| user_name(s.st_uid)),
            w(&|s| user_name(s.st_gid)),
            w(&size),
        );
        for (n, s) in entries {
            let cls = if o.classify { suffix(s) } else { "" };
            uprintln!(
                "{} {:>wl$} {:<wu$} {:<wg$} {:>ws$} {} {n}{cls}",
                mode_string(s.st_mode),
                s.st_nlink,
                user_name(s.st_uid),
                user_name(s.st_gid),
                size(s),
                date_string(s.st_mtime.tv_sec),
            );
        }
        return;
    }
    let names: Vec<String> = entries
        .iter()
        .map(|(n, s)| format!("{n}{}", if o.classify { suffix(s) } else { "" }))
        .collect();
    if o.one || !tty {
        for n in names {
            uprintln!("{n}");
        }
        return;
    }
    // Columns, filled top to bottom, as wide as an 80-column line allows.
    let width = 80;
    let n = names.len();
    let mut rows = n.max(1);
    for r in 1..=n.max(1) {
        let cols = n.div_ceil(r);
        let total: usize = (0..cols)
            .map(|c| {
                (0..r)
                    .filter_map(|k| names.get(c * r + k))
                    .map(|s| s.len())
                    .max()
                    .unwrap_or(0)
                    + 2
            })
            .sum();
        if total <= width + 2 {
            rows = r;
            break;
        }
    }
    let cols = n.div_ceil(rows.max(1));
    let col_w: Vec<usize> = (0..cols)
        .map(|c| {
            (0..rows)
                .filter_map(|k| names.get(c * rows + k))
                .map(|s| s.len())
                .max()
                .unwrap_or(0)
                + 2
        })
        .collect();
    for r in 0..rows {
        let mut line = String::new();
        for (c, w) in col_w.iter().enumerate() {
            if let Some(s) = names.get(c * rows + r) {
                if names.get((c + 1) * rows + r).is_some() {
                    line.push_str(&format!("{s:<w$}"));
                } else {
                    line.push_str(s);
                }
            }
        }
        uprintln!("{line}");
    }
}

fn list_dir(o: &Opts, p: &str, path: &str, tty: bool) -> bool {
    let ents = match ulib::read_dir(path) {
        Ok(e) => e,
        Err(e) => {
            ueprintln!("{p}: cannot open directory '{path}': {}", e.message());
            return false;
        }
    };
    let mut v: Vec<(String, Stat)> = Vec::new();
    for d in ents {
        let n = d.d_name;
        let hidden = n.starts_with('.');
        let dots = n == "." || n == "..";
        if hidden && !(o.all || (o.almost_all && !dots)) {
            continue;
        }
        let full = if path.ends_with('/') {
            format!("{path}{n}")
        } else {
            format!("{path}/{n}")
        };
        let st = if o.long || o.classify {
            ulib::lstat(&full).unwrap_or_default()
        } else {
            Stat::default()
        };
        v.push((n, st));
    }
    v.sort_by(|a, b| a.0.cmp(&b.0));
    if o.long {
        let blocks: i64 = v.iter().map(|(_, s)| s.st_blocks).sum();
        uprintln!("total {}", blocks / 2);
    }
    print_entries(o, &v, tty);
    true
}

pub fn main(args: &[String]) -> i32 {
    let p = prog(args, "ls");
    let mut o = Opts::default();
    let mut operands = Vec::new();
    for a in &args[1..] {
        if a.starts_with('-') && a.len() > 1 {
            for c in a[1..].chars() {
                match c {
                    'l' => o.long = true,
                    'a' => o.all = true,
                    'A' => o.almost_all = true,
                    '1' => o.one = true,
                    'd' => o.dir_itself = true,
                    'F' => o.classify = true,
                    _ => return bad_option(&p, &format!("-{c}"), 2),
                }
            }
        } else {
            operands.push(a.clone());
        }
    }
    if operands.is_empty() {
        operands.push(".".into());
    }
    let tty = ulib::isatty(1);
    let mut st = 0;
    let mut files = Vec::new();
    let mut dirs = Vec::new();
    for op in &operands {
        match ulib::lstat(op) {
            Ok(s) if s_isdir(s.st_mode) && !o.dir_itself => dirs.push(op.clone()),
            Ok(s) => files.push((op.clone(), s)),
            Err(e) => {
                ueprintln!("{p}: cannot access '{op}': {}", e.message());
                st = 2;
            }
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    dirs.sort();
    if !files.is_empty() {
        print_entries(&o, &files, tty);
    }
    let headers = operands.len() > 1;
    for (i, d) in dirs.iter().enumerate() {
        if headers {
            if i > 0 || !files.is_empty() {
                uprintln!();
            }
            uprintln!("{d}:");
        }
        if !list_dir(&o, &p, d, tty) {
            st = 2;
        }
    }
    st
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(mode_string(S_IFDIR | 0o755), "drwxr-xr-x");
        assert_eq!(mode_string(S_IFREG | 0o644), "-rw-r--r--");
        assert_eq!(date_string(0), "Jan  1 00:00");
        assert_eq!(date_string(1_700_000_000), "Nov 14 22:13");
    }
}
