//! `kill [-s SIG | -SIG | -NUM] PID...` and `kill -l [N]` (procps).

use crate::signames;
use ulib::{ueprintln, uprintln};

fn usage() -> i32 {
    ueprintln!("Usage: kill [-s SIGNAL | -SIGNAL] PID...");
    ueprintln!("       kill -l [SIGNAL]");
    2
}

pub fn main(args: &[String]) -> i32 {
    let mut sig = ulib::uapi::signal::SIGTERM;
    let mut rest = &args[1.min(args.len())..];
    match rest.first().map(String::as_str) {
        None => return usage(),
        Some("-l") | Some("-L") => {
            match rest.get(1) {
                None => uprintln!("{}", signames::list()),
                Some(a) => match a.parse::<i32>() {
                    Ok(n) => match signames::short_name(if n > 128 { n - 128 } else { n }) {
                        Some(name) => uprintln!("{name}"),
                        None => {
                            ueprintln!("kill: unknown signal name {a}");
                            return 1;
                        }
                    },
                    Err(_) => match signames::parse(a) {
                        Some(n) => uprintln!("{n}"),
                        None => {
                            ueprintln!("kill: unknown signal name {a}");
                            return 1;
                        }
                    },
                },
            }
            return 0;
        }
        Some("-s") => match rest.get(1).and_then(|s| signames::parse(s)) {
            Some(s) => {
                sig = s;
                rest = &rest[2..];
            }
            None => return usage(),
        },
        Some("--") => rest = &rest[1..],
        // `-9`, `-KILL`, `-SIGKILL` (a negative pid needs `--` first).
        Some(a) if a.starts_with('-') && a.len() > 1 => match signames::parse(&a[1..]) {
            Some(s) => {
                sig = s;
                rest = &rest[1..];
            }
            None => {
                ueprintln!("kill: unknown signal name {}", &a[1..]);
                return 1;
            }
        },
        Some(_) => {}
    }
    if rest.is_empty() {
        return usage();
    }
    let mut st = 0;
    for t in rest {
        match t.parse::<i32>() {
            Ok(pid) => {
                if let Err(e) = ulib::kill(pid, sig) {
                    ueprintln!("kill: ({pid}): {}", e.message());
                    st = 1;
                }
            }
            Err(_) => {
                ueprintln!("kill: failed to parse argument: '{t}'");
                st = 1;
            }
        }
    }
    st
}
