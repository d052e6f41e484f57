//! The default init, for as long as usk has no user space: it runs the
//! boot self-tests, a few built-in commands (`insmod`, `rmmod`, `lsmod`,
//! `modinfo`, `sleep`, `cat`) given with `usk boot --exec`, prints the
//! requested /proc, debugfs and tracefs files, and a `ps` listing read back
//! from /proc like the real ps does. When /sbin/init exists this module goes.

use super::selftest::run_selftests;
use crate::init::kernel::{kernel, Kernel};
use crate::pr_info;
use std::fmt::Write as _;

/// A `ps -eo pid,ppid,stat,psr,ni,time,comm`-style listing, read back from
/// /proc/<pid>/stat like the real ps does.
pub fn ps() -> String {
    let k = kernel();
    let mut out = String::from("  PID  PPID S PSR  NI     TIME COMMAND\n");
    for pid in k.pids() {
        let Ok(stat) = k.procfs.read(&format!("{pid}/stat")) else {
            continue;
        };
        // comm is in parentheses and may contain spaces.
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = &stat[open + 1..close];
        let f: Vec<&str> = stat[close + 2..].split_whitespace().collect();
        let get = |i: usize| f.get(i).copied().unwrap_or("0");
        let ticks: u64 = get(11).parse::<u64>().unwrap_or(0) + get(12).parse::<u64>().unwrap_or(0);
        let secs = ticks / crate::kernel::time::USER_HZ;
        let kthread =
            get(6).parse::<u32>().unwrap_or(0) & crate::kernel::sched::task::PF_KTHREAD != 0;
        let name = if kthread && pid != 1 {
            format!("[{comm}]")
        } else {
            comm.to_string()
        };
        let _ = writeln!(
            out,
            "{pid:>5} {:>5} {} {:>3} {:>3} {:02}:{:02}:{:02} {name}",
            get(1),
            get(0),
            get(36),
            get(16),
            secs / 3600,
            secs / 60 % 60,
            secs % 60
        );
    }
    out
}

/// Read a file of procfs or, under /sys/kernel/debug, debugfs.
fn read_pseudo(k: &Kernel, path: &str) -> Result<String, uapi::errno::Errno> {
    if let Some(p) = path.strip_prefix("/sys/kernel/debug/") {
        k.debugfs.read(p)
    } else if let Some(p) = path.strip_prefix("/sys/kernel/tracing/") {
        k.tracefs.read(p)
    } else {
        k.procfs.read(path.trim_start_matches("/proc/"))
    }
}

/// One built-in init command (until user space exists: insmod, rmmod,
/// lsmod, modinfo, sleep, cat); returns its exit status.
pub fn run_command(k: &Kernel, line: &str) -> i32 {
    use crate::kernel::module;
    let words: Vec<&str> = line.split_whitespace().collect();
    let fail = |what: &str, e: uapi::errno::Errno| {
        crate::pr_err!("{what}: {}", e.message());
        1
    };
    pr_info!("# {line}");
    match words.as_slice() {
        ["insmod", name, args @ ..] => match module::load_module(name, &args.join(" ")) {
            Ok(()) => 0,
            Err(e) => fail(&format!("insmod: ERROR: could not insert module {name}"), e),
        },
        ["insmod"] => {
            crate::pr_err!("insmod: ERROR: missing filename.");
            1
        }
        ["rmmod", rest @ ..] => {
            let force = rest.contains(&"-f");
            let Some(name) = rest.iter().find(|w| !w.starts_with('-')) else {
                crate::pr_err!("rmmod: ERROR: missing module name.");
                return 1;
            };
            match module::delete_module(name, if force { module::O_TRUNC } else { 0 }) {
                Ok(()) => 0,
                Err(e) => fail(&format!("rmmod: ERROR: could not remove module {name}"), e),
            }
        }
        ["lsmod"] => {
            let mut out = String::from("Module                  Size  Used by");
            for m in k.modules.loaded() {
                let _ = write!(out, "\n{:<19} {:>8}  {}", m.name(), m.info.size, m.refcnt());
            }
            pr_info!("{out}");
            0
        }
        ["modinfo", name] => match module::modinfo(name) {
            Some(t) => {
                pr_info!("{}", t.trim_end());
                0
            }
            None => {
                crate::pr_err!("modinfo: ERROR: Module {name} not found.");
                1
            }
        },
        ["sleep", secs] => match secs.parse::<f64>() {
            Ok(s) if (0.0..1e6).contains(&s) => {
                crate::kernel::time::msleep((s * 1000.0) as u64);
                0
            }
            _ => {
                crate::pr_err!("sleep: invalid time interval '{secs}'");
                1
            }
        },
        ["cat", path] => match read_pseudo(k, path) {
            Ok(t) => {
                pr_info!("{}", t.trim_end());
                0
            }
            Err(e) => fail(&format!("cat: {path}"), e),
        },
        _ => {
            crate::pr_err!(
                "init: {line}: command not found (built-ins: insmod rmmod lsmod modinfo sleep cat)"
            );
            127
        }
    }
}

/// init when there is no user space yet: self-tests (unless
/// `selftests=off`), the built-in commands, then the /proc views.
pub(crate) fn default_init(k: &Kernel) -> i32 {
    pr_info!("Run /sbin/init as init process");
    pr_info!("usk: no user space yet; init runs the in-kernel self-tests and built-in commands");
    let mut status = 0;
    if k.cmdline.get("selftests") != Some("off") {
        status = run_selftests().min(255) as i32;
    }
    for line in &k.commands {
        let r = run_command(k, line);
        if r != 0 {
            status = r;
        }
    }
    let mut shows: Vec<String> = vec!["/proc/interrupts".into(), "/proc/softirqs".into()];
    shows.extend(k.show.iter().cloned());
    for path in shows {
        let path = if path.starts_with('/') {
            path
        } else {
            format!("/proc/{path}")
        };
        match read_pseudo(k, &path) {
            Ok(text) => pr_info!("# cat {path}\n{}", text.trim_end()),
            Err(e) => crate::pr_err!("cat: {path}: {}", e.message()),
        }
    }
    pr_info!("# ps\n{}", ps().trim_end());
    status
}
