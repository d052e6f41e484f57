//! Process exit and wait (kernel/exit.c): `do_exit` for user tasks,
//! `do_group_exit`, zombies, re-parenting to init, and `wait4`.
//!
//! A user task leaves user mode for good by unwinding its host stack to the
//! user-mode loop (arch/x86/entry.rs) with [`Unwind::Exit`]; the task body
//! then returns and `do_exit` runs on a clean stack. `exit_notify` makes the
//! thread-group leader a zombie (other threads are released at once); when
//! the group's last thread is gone the parent gets `exit_signal` and its
//! `wait_chldexit` is woken, and the group's children go to init.
//!
//! Invariants: a zombie stays in the task table until `wait4` (or an
//! auto-reaping parent) releases it; every user task's address space and
//! file table are dropped before it becomes a zombie, so a reaped child
//! holds no pages.

use crate::kernel::panic::Unwind;
use crate::kernel::process::{ProcessState, EXIT_DEAD, EXIT_ZOMBIE, SIGNAL_GROUP_EXIT};
use crate::kernel::sched::task::{Pid, Task};
use crate::kernel::signal::{do_notify_parent, parent_autoreaps};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use uapi::errno::*;
use uapi::wait::*;

/// The pid that adopts orphans (`child_reaper`).
pub const CHILD_REAPER: Pid = 1;

/// Leave user mode for good with wait status `status`: unwinds to the
/// user-mode loop, which returns it to the task body.
pub fn exit_to_kernel(status: i32) -> ! {
    let me = crate::current();
    if let Some(p) = me.process() {
        p.exit_code.store(status, Ordering::Release);
    }
    crate::kernel::panic::unwind(Unwind::Exit)
}

/// `exit(2)`: this thread only.
pub fn sys_exit(code: i32) -> ! {
    exit_to_kernel(w_exitcode(code, 0))
}

/// `exit_group(2)` and fatal signals (`status` is a wait status: a signal
/// number, or `code << 8`).
pub fn do_group_exit(status: i32) -> ! {
    let me = crate::current();
    let Some(p) = me.process() else {
        exit_to_kernel(status)
    };
    let sigs = &p.signal;
    let status = if sigs.group_exiting() {
        sigs.group_exit_code.load(Ordering::Acquire)
    } else {
        sigs.group_exit_code.store(status, Ordering::Release);
        sigs.flags.fetch_or(SIGNAL_GROUP_EXIT, Ordering::AcqRel);
        crate::kernel::signal::zap_other_threads(&me, Some(&me));
        status
    };
    exit_to_kernel(status)
}

/// `exit_group(2)`.
pub fn sys_exit_group(code: i32) -> ! {
    do_group_exit(w_exitcode(code, 0))
}

/// `do_exit()` for a user task, on a clean stack after leaving user mode:
/// drop the address space and files, notify the parent, become a zombie
/// (or vanish), and schedule away for the last time.
pub(crate) fn do_exit_process(me: &Arc<Task>, p: &ProcessState) {
    let k = crate::kernel();
    // CLONE_CHILD_CLEARTID: tell a joining thread we are gone.
    let ctid = p.clear_child_tid.swap(0, Ordering::AcqRel);
    if let (true, Some(mm)) = (ctid != 0, p.mm()) {
        let _ = mm.copy_to_user(ctid, &0u32.to_ne_bytes());
    }
    // exit_mm(), exit_files(), exit_fs().
    let mm = p.mm.lock().take();
    drop(mm);
    crate::kernel::fork::mm_release(p);
    let files = std::mem::replace(&mut *p.files.lock(), crate::fs::fdtable::FilesStruct::new());
    drop(files);
    exit_notify(&k, me, p);
}

/// `exit_notify()`.
fn exit_notify(k: &crate::init::kernel::Kernel, me: &Arc<Task>, p: &ProcessState) {
    let last = p.signal.live.fetch_sub(1, Ordering::AcqRel) == 1;
    let leader = me.pid == me.tgid;
    if leader {
        p.exit_state.store(EXIT_ZOMBIE, Ordering::Release);
    } else {
        unhash_process(k, me.pid, p);
    }
    if !last {
        return;
    }
    // The whole group is gone: hand our children to init, then tell our
    // parent about the group leader.
    forget_original_parent(k, me.tgid);
    let Some(leader_task) = k.find_task(me.tgid) else {
        return;
    };
    let Some(lp) = leader_task.process() else {
        return;
    };
    let parent = k.find_task(leader_task.ppid.load(Ordering::Acquire));
    match parent {
        Some(parent) if parent.process().is_some_and(|pp| !parent_autoreaps(pp)) => {
            do_notify_parent(&parent, lp.exit_signal);
        }
        // Auto-reap (or no parent left): never a waitable zombie.
        parent => {
            unhash_process(k, leader_task.pid, lp);
            if let Some(pp) = parent.as_ref().and_then(|p| p.process()) {
                pp.signal.wait_chldexit.wake_up_all();
            }
        }
    }
}

/// `__unhash_process()`: the process is dead and leaves the task table.
fn unhash_process(k: &crate::init::kernel::Kernel, pid: Pid, p: &ProcessState) {
    p.exit_state.store(EXIT_DEAD, Ordering::Release);
    k.tasks.write().remove(&pid);
}

/// `forget_original_parent()`: our children now belong to init; wake init
/// if some of them are already zombies.
fn forget_original_parent(k: &crate::init::kernel::Kernel, tgid: Pid) {
    let mut zombies = false;
    for t in k.tasks.read().values() {
        if t.ppid.load(Ordering::Acquire) == tgid && t.tgid != tgid {
            t.ppid.store(CHILD_REAPER, Ordering::Release);
            zombies |= t.process().is_some_and(|p| p.exit_state() == EXIT_ZOMBIE);
        }
    }
    if zombies {
        if let Some(init) = k.find_task(CHILD_REAPER) {
            do_notify_parent(&init, uapi::signal::SIGCHLD);
        }
    }
}

/// What one wait4 pass found.
enum WaitResult {
    Reaped(Pid, i32, ChildTimes),
    Stopped(Pid, i32),
    Continued(Pid),
    NothingYet,
    NoChildren,
}

/// Does `pid` (wait4's first argument) select child `c`?
fn eligible(c: &Task, cp: &ProcessState, pid: i32, my_pgrp: Pid, options: u32) -> bool {
    let by_pid = match pid {
        p if p > 0 => c.pid == p,
        -1 => true,
        0 => cp.signal.pgrp() == my_pgrp,
        p => cp.signal.pgrp() == p.wrapping_neg(),
    };
    // __WCLONE selects "clone" children (exit_signal != SIGCHLD), __WALL all.
    let clone_child = cp.exit_signal != uapi::signal::SIGCHLD;
    by_pid && (options & __WALL != 0 || clone_child == (options & __WCLONE != 0))
}

fn wait_pass(me: &Task, pid: i32, options: u32) -> WaitResult {
    let k = crate::kernel();
    let my_pgrp = me.process().map_or(0, |p| p.signal.pgrp());
    let children: Vec<Arc<Task>> = k
        .tasks
        .read()
        .values()
        .filter(|c| {
            c.pid == c.tgid && c.ppid.load(Ordering::Acquire) == me.tgid && c.tgid != me.tgid
        })
        .cloned()
        .collect();
    let mut any = false;
    for c in &children {
        let Some(cp) = c.process() else { continue };
        if !eligible(c, cp, pid, my_pgrp, options) {
            continue;
        }
        any = true;
        if cp.exit_state() == EXIT_ZOMBIE && cp.signal.live.load(Ordering::Acquire) == 0 {
            if options & WEXITED == 0 && options & (WUNTRACED | WCONTINUED) != 0 {
                continue;
            }
            let status = cp.exit_code.load(Ordering::Acquire);
            let times = ChildTimes::of(c);
            if options & WNOWAIT == 0 {
                release_task(&k, c, cp, me, times);
            }
            return WaitResult::Reaped(c.pid, status, times);
        }
        let sigs = &cp.signal;
        let flags = sigs.flags.load(Ordering::Acquire);
        if options & WUNTRACED != 0
            && flags & crate::kernel::process::SIGNAL_STOP_STOPPED != 0
            && sigs.notify_pending.load(Ordering::Acquire)
        {
            if options & WNOWAIT == 0 {
                sigs.notify_pending.store(false, Ordering::Release);
            }
            let sig = sigs.group_exit_code.load(Ordering::Acquire);
            return WaitResult::Stopped(c.pid, w_stopcode(sig));
        }
        if options & WCONTINUED != 0
            && flags & crate::kernel::process::SIGNAL_STOP_CONTINUED != 0
            && sigs.notify_pending.load(Ordering::Acquire)
        {
            if options & WNOWAIT == 0 {
                sigs.notify_pending.store(false, Ordering::Release);
                sigs.flags.fetch_and(
                    !crate::kernel::process::SIGNAL_STOP_CONTINUED,
                    Ordering::AcqRel,
                );
            }
            return WaitResult::Continued(c.pid);
        }
    }
    if any {
        WaitResult::NothingYet
    } else {
        WaitResult::NoChildren
    }
}

/// The user and system CPU time of a reaped child: wait4's `struct
/// rusage` (`ru_utime`, `ru_stime`) and what the parent's `cutime`/`cstime`
/// gain.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChildTimes {
    pub utime_ns: u64,
    pub stime_ns: u64,
}

impl ChildTimes {
    fn of(c: &Task) -> Self {
        let utime_ns = c.stats.utime.load(Ordering::Relaxed);
        ChildTimes {
            utime_ns,
            stime_ns: c.sum_exec_runtime().saturating_sub(utime_ns),
        }
    }
}

/// `release_task()`: the zombie is reaped; its times go to the parent.
fn release_task(
    k: &crate::init::kernel::Kernel,
    c: &Arc<Task>,
    cp: &ProcessState,
    parent: &Task,
    times: ChildTimes,
) {
    unhash_process(k, c.pid, cp);
    if let Some(pp) = parent.process() {
        pp.signal
            .cutime
            .fetch_add(times.utime_ns, Ordering::Relaxed);
        pp.signal
            .cstime
            .fetch_add(times.stime_ns, Ordering::Relaxed);
    }
}

/// `do_wait()` behind wait4/waitpid: `Ok((pid, status, times))` (times
/// only for a reaped child, zero otherwise), `Ok((0, 0, _))` for WNOHANG
/// with nothing to report.
pub fn do_wait(pid: i32, options: u32) -> Result<(Pid, i32, ChildTimes), Errno> {
    let valid =
        WNOHANG | WUNTRACED | WCONTINUED | WEXITED | WNOWAIT | __WNOTHREAD | __WALL | __WCLONE;
    if options & !valid != 0 || pid == i32::MIN {
        return Err(EINVAL);
    }
    let options = options | WEXITED;
    let me = crate::current();
    let p = me.process().ok_or(ECHILD)?;
    // The pid waited for (`wo_pid`): a child, a process group, or none
    // (0) for any child.
    crate::trace::trace(&crate::trace::events::SCHED_PROCESS_WAIT, |w| {
        let wo_pid = match pid {
            -1 => 0,
            0 => p.signal.pgrp(),
            n if n < 0 => n.wrapping_neg(),
            n => n,
        };
        w.str(8, 16, &me.comm()).i32(24, wo_pid).i32(28, me.prio());
    });
    loop {
        match wait_pass(&me, pid, options) {
            WaitResult::Reaped(c, s, t) => return Ok((c, s, t)),
            WaitResult::Stopped(c, s) => return Ok((c, s, ChildTimes::default())),
            WaitResult::Continued(c) => return Ok((c, W_CONTINUED, ChildTimes::default())),
            WaitResult::NoChildren => return Err(ECHILD),
            WaitResult::NothingYet if options & WNOHANG != 0 => {
                return Ok((0, 0, ChildTimes::default()))
            }
            WaitResult::NothingYet => {}
        }
        crate::kernel::sched::wait::wait_event_interruptible(&p.signal.wait_chldexit, || {
            !matches!(wait_pass_peek(&me, pid, options), WaitResult::NothingYet)
        })?;
    }
}

/// A wait pass that changes nothing (the wait condition).
fn wait_pass_peek(me: &Task, pid: i32, options: u32) -> WaitResult {
    wait_pass(me, pid, options | WNOWAIT)
}
