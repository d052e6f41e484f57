//! /proc/<pid>/: the per-task directory, looked up in the task table on
//! every access (`proc_pid_lookup`). Files: `stat`, `status`, `comm`,
//! `cmdline` (the argv strings in the process's memory, NUL-separated;
//! empty for kernel threads) and `maps`.

use super::array::{proc_pid_stat, proc_pid_status};
use super::ProcStat;
use crate::kernel::sched::task::Task;
use std::sync::Arc;
use uapi::errno::{Errno, EISDIR, ENOENT};

const PID_FILES: [&str; 5] = ["cmdline", "comm", "maps", "stat", "status"];

fn lookup(pid: i32) -> Result<Arc<Task>, Errno> {
    crate::kernel().find_task(pid).ok_or(ENOENT)
}

pub(crate) fn read_pid_file(pid: i32, rest: &[&str]) -> Result<String, Errno> {
    let t = lookup(pid)?;
    match rest {
        [] => Err(EISDIR),
        ["stat"] => Ok(proc_pid_stat(&t)),
        ["status"] => Ok(proc_pid_status(&t)),
        ["comm"] => Ok(format!("{}\n", t.comm())),
        ["cmdline"] => Ok(proc_pid_cmdline(&t)),
        ["maps"] => Ok(t
            .process()
            .and_then(|p| p.mm())
            .map(|mm| mm.proc_maps())
            .unwrap_or_default()),
        _ => Err(ENOENT),
    }
}

/// `proc_pid_cmdline_read()`: the bytes between arg_start and arg_end.
fn proc_pid_cmdline(t: &Task) -> String {
    let Some(p) = t.process() else {
        return String::new();
    };
    let (start, end) = *p.arg_range.lock();
    let Some(mm) = p.mm() else {
        return String::new();
    };
    let len = end.saturating_sub(start).min(1 << 20) as usize;
    let mut b = vec![0u8; len];
    if mm.copy_from_user(&mut b, start).is_err() {
        return String::new();
    }
    String::from_utf8_lossy(&b).into_owned()
}

pub(crate) fn readdir_pid(pid: i32, rest: &[&str]) -> Result<Vec<String>, Errno> {
    lookup(pid)?;
    match rest {
        [] => Ok(PID_FILES.iter().map(|s| s.to_string()).collect()),
        _ => Err(uapi::errno::ENOTDIR),
    }
}

pub(crate) fn stat_pid(pid: i32, rest: &[&str]) -> Result<ProcStat, Errno> {
    lookup(pid)?;
    match rest {
        [] => Ok(ProcStat {
            is_dir: true,
            mode: 0o555,
        }),
        [f] if PID_FILES.contains(f) => Ok(ProcStat {
            is_dir: false,
            mode: 0o444,
        }),
        _ => Err(ENOENT),
    }
}
