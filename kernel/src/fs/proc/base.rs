//! /proc/<pid>/: the per-task directory, looked up in the task table on
//! every access (`proc_pid_lookup`). Files: `stat`, `status`, `comm`.

use super::array::{proc_pid_stat, proc_pid_status};
use super::ProcStat;
use crate::kernel::sched::task::Task;
use std::sync::Arc;
use uapi::errno::{Errno, EISDIR, ENOENT};

const PID_FILES: [&str; 3] = ["comm", "stat", "status"];

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
        _ => Err(ENOENT),
    }
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
