//! Signals (kernel/signal.c): sending, the pending sets, default actions,
//! job-control stops, and delivery on the way back to user mode.
//!
//! `send_signal` queues a signal on a thread (`kill`-to-thread, faults) or
//! on the thread group's shared set, after `prepare_signal` has done the
//! job-control side effects (SIGCONT discards pending stop signals and
//! resumes a stopped group; a stop signal discards a pending SIGCONT), and
//! `complete_signal` picks a thread to wake — or, for a fatal signal nobody
//! handles, turns it into a group exit at once (SIGKILL to every thread).
//! `get_signal` runs at each return to user mode: it dequeues the lowest
//! unblocked signal, applies ignore/stop/terminate defaults itself and
//! returns the signals that have a handler.
//!
//! Invariants: SIGKILL and SIGSTOP can be neither caught, blocked nor
//! ignored (`rt_sigaction` refuses, `sigprocmask` silently drops them); a
//! task's TIF_SIGPENDING is set whenever it has an unblocked pending signal
//! or its group is exiting or stopping, and is recomputed under the same
//! locks that change the sets (`recalc_sigpending`).

use crate::kernel::process::{
    ProcessState, SignalStruct, CAP_KILL, SIGNAL_GROUP_EXIT, SIGNAL_STOP_CONTINUED,
    SIGNAL_STOP_STOPPED,
};
use crate::kernel::sched::task::{Pid, Task, __TASK_STOPPED, TASK_RUNNING, TASK_STOPPED};
use crate::kernel::sched::{schedule, set_current_state};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use uapi::errno::*;
use uapi::signal::*;

/// What a signal does when its handler is SIG_DFL.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    Term,
    Core,
    Stop,
    Cont,
    Ign,
}

/// The default-action table of signal(7).
pub fn default_action(sig: i32) -> DefaultAction {
    match sig {
        SIGCHLD | SIGURG | SIGWINCH => DefaultAction::Ign,
        SIGCONT => DefaultAction::Cont,
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => DefaultAction::Stop,
        SIGQUIT | SIGILL | SIGTRAP | SIGABRT | SIGBUS | SIGFPE | SIGSEGV | SIGXCPU | SIGXFSZ
        | SIGSYS => DefaultAction::Core,
        _ => DefaultAction::Term,
    }
}

/// `sig_kernel_only()`: SIGKILL and SIGSTOP.
pub fn sig_kernel_only(sig: i32) -> bool {
    sig == SIGKILL || sig == SIGSTOP
}

const STOP_MASK: SigSet = sigmask(SIGSTOP) | sigmask(SIGTSTP) | sigmask(SIGTTIN) | sigmask(SIGTTOU);
const KERNEL_ONLY_MASK: SigSet = sigmask(SIGKILL) | sigmask(SIGSTOP);

pub fn valid_signal(sig: i32) -> bool {
    (1..=NSIG as i32).contains(&sig)
}

/// The threads of `t`'s thread group that have not exited, leader first.
pub fn thread_group(t: &Task) -> Vec<Arc<Task>> {
    let k = crate::kernel();
    let tasks = k.tasks.read();
    tasks
        .values()
        .filter(|x| {
            x.tgid == t.tgid
                && x.process().is_some_and(|p| {
                    p.exit_state() == 0 && x.flags() & crate::kernel::sched::task::PF_EXITING == 0
                })
        })
        .cloned()
        .collect()
}

/// `recalc_sigpending_tsk()`.
pub fn recalc_sigpending(t: &Arc<Task>) {
    let Some(p) = t.process() else { return };
    let blocked = p.blocked();
    let pending = p.pending.lock().signal | p.signal.shared_pending.lock().signal;
    let flags = p.signal.flags.load(Ordering::Acquire);
    if pending & !blocked != 0 || flags & SIGNAL_GROUP_EXIT != 0 {
        t.signal_wake_up(false);
    } else {
        t.clear_sigpending();
    }
}

/// `fatal_signal_pending()`: SIGKILL queued or the group is exiting.
pub fn fatal_signal_pending(t: &Task) -> bool {
    t.process().is_some_and(|p| {
        p.pending.lock().signal & sigmask(SIGKILL) != 0 || p.signal.group_exiting()
    })
}

fn handler_of(p: &ProcessState, sig: i32) -> KernelSigaction {
    p.sighand().action.lock()[(sig - 1) as usize]
}

/// `sig_ignored()`: dropped at send time (unless blocked: a blocked
/// ignored signal stays pending, as POSIX asks).
fn sig_ignored(p: &ProcessState, sig: i32) -> bool {
    if p.blocked() & sigmask(sig) != 0 {
        return false;
    }
    handler_ignores(handler_of(p, sig).sa_handler, sig)
}

/// Does handler `h` ignore `sig` (`SIG_IGN`, or `SIG_DFL` of a signal whose
/// default action is to ignore it)?
fn handler_ignores(h: u64, sig: i32) -> bool {
    h == SIG_IGN || (h == SIG_DFL && default_action(sig) == DefaultAction::Ign)
}

/// `flush_sigqueue_mask()`: drop the signals in `mask` from every pending
/// set of `t`'s thread group and from the shared one.
fn flush_sigqueue_mask(t: &Arc<Task>, sigs: &SignalStruct, mask: SigSet) {
    for th in thread_group(t) {
        if let Some(tp) = th.process() {
            tp.pending.lock().signal &= !mask;
        }
    }
    sigs.shared_pending.lock().signal &= !mask;
}

/// `prepare_signal()`: job-control side effects. Returns whether the
/// signal should be queued.
fn prepare_signal(t: &Arc<Task>, p: &ProcessState, sig: i32) -> bool {
    let sigs = &p.signal;
    if sigs.group_exiting() {
        return sig == SIGKILL;
    }
    if STOP_MASK & sigmask(sig) != 0 {
        // A stop discards a pending SIGCONT.
        flush_sigqueue_mask(t, sigs, sigmask(SIGCONT));
    } else if sig == SIGCONT {
        // SIGCONT discards pending stops and resumes a stopped group.
        flush_sigqueue_mask(t, sigs, STOP_MASK);
        let flags = sigs.flags.load(Ordering::Acquire);
        if flags & SIGNAL_STOP_STOPPED != 0 {
            sigs.flags.store(
                (flags & !SIGNAL_STOP_STOPPED) | SIGNAL_STOP_CONTINUED,
                Ordering::Release,
            );
            sigs.notify_pending.store(true, Ordering::Release);
            for th in thread_group(t) {
                crate::kernel::sched::core::try_to_wake_up(&th, __TASK_STOPPED);
            }
            do_notify_parent_cldstop(t);
        }
    }
    !sig_ignored(p, sig)
}

/// `send_signal_locked()`: queue `sig` on `t` (thread-directed) or on its
/// group (`group`). `sig == 0` only checks that the target exists.
pub fn send_signal(t: &Arc<Task>, sig: i32, group: bool) -> Result<(), Errno> {
    if !valid_signal(sig) && sig != 0 {
        return Err(EINVAL);
    }
    let Some(p) = t.process() else {
        // Kernel threads ignore signals.
        return Ok(());
    };
    if sig == 0 || p.exit_state() != 0 {
        return Ok(());
    }
    crate::trace::trace(&crate::trace::events::SIGNAL_GENERATE, |w| {
        w.i32(8, sig)
            .i32(12, 0)
            .i32(16, 0)
            .str(20, 16, &t.comm())
            .i32(36, t.pid)
            .i32(40, group as i32)
            .i32(44, 0);
    });
    if !prepare_signal(t, p, sig) {
        return Ok(());
    }
    if group {
        p.signal.shared_pending.lock().signal |= sigmask(sig);
    } else {
        p.pending.lock().signal |= sigmask(sig);
    }
    complete_signal(t, p, sig, group);
    Ok(())
}

/// `complete_signal()`: wake a thread that can take it, or start a group
/// exit for a fatal signal nobody handles.
fn complete_signal(t: &Arc<Task>, p: &ProcessState, sig: i32, group: bool) {
    let h = handler_of(p, sig).sa_handler;
    let fatal = sig == SIGKILL
        || (h == SIG_DFL
            && matches!(
                default_action(sig),
                DefaultAction::Term | DefaultAction::Core
            )
            && p.blocked() & sigmask(sig) == 0);
    if fatal && !p.signal.group_exiting() {
        start_group_exit(t, &p.signal, sig);
        return;
    }
    let target = if !group || p.blocked() & sigmask(sig) == 0 {
        Some(Arc::clone(t))
    } else {
        thread_group(t).into_iter().find(|th| {
            th.process()
                .is_some_and(|tp| tp.blocked() & sigmask(sig) == 0)
        })
    };
    if let Some(th) = target {
        if let Some(tp) = th.process() {
            if tp.blocked() & sigmask(sig) == 0 || sig == SIGKILL {
                th.signal_wake_up(sig == SIGKILL);
            }
        }
    }
}

/// Make every thread of the group die with `sig` (`group_exit_code`).
fn start_group_exit(t: &Arc<Task>, sigs: &SignalStruct, sig: i32) {
    sigs.flags.fetch_or(SIGNAL_GROUP_EXIT, Ordering::AcqRel);
    sigs.group_exit_code.store(sig, Ordering::Release);
    zap_other_threads(t, None);
}

/// `zap_other_threads()`: SIGKILL every thread of `t`'s group but `skip`
/// and wake it, stopped ones included (the fatal wake-up's
/// `TASK_WAKEKILL` covers `TASK_STOPPED`).
pub(crate) fn zap_other_threads(t: &Arc<Task>, skip: Option<&Arc<Task>>) {
    for th in thread_group(t) {
        if skip.is_some_and(|s| Arc::ptr_eq(s, &th)) {
            continue;
        }
        if let Some(tp) = th.process() {
            tp.pending.lock().signal |= sigmask(SIGKILL);
        }
        th.signal_wake_up(true);
    }
}

/// May the current task signal `t` (`check_kill_permission`)?
fn check_kill_permission(t: &Task) -> Result<(), Errno> {
    let me = crate::current();
    let Some(mp) = me.process() else {
        return Ok(());
    };
    let Some(tp) = t.process() else {
        return Err(EPERM);
    };
    let (mc, tc) = (mp.cred(), tp.cred());
    if mc.capable(CAP_KILL)
        || mc.euid == tc.uid
        || mc.euid == tc.suid
        || mc.uid == tc.uid
        || mc.uid == tc.suid
    {
        Ok(())
    } else {
        Err(EPERM)
    }
}

/// Thread-group leaders that are user processes, for kill(-1) and pgrp kills.
fn processes() -> Vec<Arc<Task>> {
    let k = crate::kernel();
    let v: Vec<Arc<Task>> = k
        .tasks
        .read()
        .values()
        .filter(|t| t.pid == t.tgid && t.process().is_some_and(|p| p.exit_state() == 0))
        .cloned()
        .collect();
    v
}

/// `kill_pgrp()`: signal every process of group `pgrp`.
pub fn kill_pgrp(pgrp: Pid, sig: i32, check: bool) -> Result<(), Errno> {
    let mut found = false;
    let mut err = None;
    for t in processes() {
        if t.process().is_some_and(|p| p.signal.pgrp() == pgrp) {
            found = true;
            let r = if check {
                check_kill_permission(&t)
            } else {
                Ok(())
            };
            match r.and_then(|_| send_signal(&t, sig, true)) {
                Ok(()) => err = Some(Ok(())),
                Err(e) => {
                    if err.is_none() {
                        err = Some(Err(e))
                    }
                }
            }
        }
    }
    if !found {
        return Err(ESRCH);
    }
    err.unwrap_or(Ok(()))
}

/// The tty's ^C / ^Z / ^\ hook: signal the foreground process group.
pub fn tty_signal(pgrp: i32, sig: i32) {
    let _ = kill_pgrp(pgrp, sig, false);
}

/// `kill(2)`.
pub fn sys_kill(pid: i32, sig: i32) -> Result<i64, Errno> {
    if !valid_signal(sig) && sig != 0 {
        return Err(EINVAL);
    }
    let me = crate::current();
    if pid > 0 {
        let t = crate::kernel().find_task(pid).ok_or(ESRCH)?;
        let leader = crate::kernel().find_task(t.tgid).unwrap_or(t);
        check_kill_permission(&leader)?;
        send_signal(&leader, sig, true)?;
        return Ok(0);
    }
    if pid == 0 {
        let pgrp = me.process().map(|p| p.signal.pgrp()).unwrap_or(0);
        return kill_pgrp(pgrp, sig, true).map(|_| 0);
    }
    if pid == -1 {
        let mut any = false;
        let mut last = Err(ESRCH);
        for t in processes() {
            if t.pid == 1 || t.tgid == me.tgid {
                continue;
            }
            any = true;
            if check_kill_permission(&t).is_ok() {
                last = send_signal(&t, sig, true);
            } else if last.is_err() {
                last = Err(EPERM);
            }
        }
        return if any { last.map(|_| 0) } else { Err(ESRCH) };
    }
    let pgrp = pid.checked_neg().ok_or(ESRCH)?;
    kill_pgrp(pgrp, sig, true).map(|_| 0)
}

/// `tgkill(2)` (`tgid == -1`: `tkill(2)`).
pub fn sys_tgkill(tgid: i32, tid: i32, sig: i32) -> Result<i64, Errno> {
    if tid <= 0 || (tgid <= 0 && tgid != -1) {
        return Err(EINVAL);
    }
    if !valid_signal(sig) && sig != 0 {
        return Err(EINVAL);
    }
    let t = crate::kernel().find_task(tid).ok_or(ESRCH)?;
    if (tgid != -1 && t.tgid != tgid) || t.process().is_none() {
        return Err(ESRCH);
    }
    check_kill_permission(&t)?;
    send_signal(&t, sig, false)?;
    Ok(0)
}

/// `force_sig()`: a synchronous signal the task cannot ignore or block
/// (a fault): unblock it and reset SIG_IGN to SIG_DFL first.
pub fn force_sig(sig: i32) {
    let me = crate::current();
    let Some(p) = me.process() else { return };
    {
        let sh = p.sighand();
        let mut a = sh.action.lock();
        let act = &mut a[(sig - 1) as usize];
        if act.sa_handler == SIG_IGN || p.blocked() & sigmask(sig) != 0 {
            act.sa_handler = SIG_DFL;
        }
    }
    p.blocked.fetch_and(!sigmask(sig), Ordering::AcqRel);
    let _ = send_signal(&me, sig, false);
}

/// `rt_sigaction(2)`: `act`/`oact` already copied from/to user memory by
/// the syscall layer.
pub fn do_sigaction(sig: i32, act: Option<KernelSigaction>) -> Result<KernelSigaction, Errno> {
    if !valid_signal(sig) || (act.is_some() && sig_kernel_only(sig)) {
        return Err(EINVAL);
    }
    let me = crate::current();
    let p = me.process().ok_or(EINVAL)?;
    let sh = p.sighand();
    let (old, now_ignored) = {
        let mut a = sh.action.lock();
        let old = a[(sig - 1) as usize];
        if let Some(mut new) = act {
            new.sa_mask &= !KERNEL_ONLY_MASK;
            a[(sig - 1) as usize] = new;
        }
        let h = a[(sig - 1) as usize].sa_handler;
        (old, act.is_some() && handler_ignores(h, sig))
    };
    // Setting SIG_IGN (or SIG_DFL for a default-ignored signal) discards
    // what is pending (POSIX 3.3.1.3).
    if now_ignored {
        flush_sigqueue_mask(&me, &p.signal, sigmask(sig));
    }
    Ok(old)
}

/// `sigprocmask()`: returns the old mask.
pub fn do_sigprocmask(how: i32, set: Option<SigSet>) -> Result<SigSet, Errno> {
    let me = crate::current();
    let p = me.process().ok_or(EINVAL)?;
    let old = p.blocked();
    if let Some(set) = set {
        let new = match how {
            SIG_BLOCK => old | set,
            SIG_UNBLOCK => old & !set,
            SIG_SETMASK => set,
            _ => return Err(EINVAL),
        } & !KERNEL_ONLY_MASK;
        p.blocked.store(new, Ordering::Release);
        recalc_sigpending(&me);
    } else if !(0..=2).contains(&how) {
        return Err(EINVAL);
    }
    Ok(old)
}

/// `rt_sigpending(2)`: blocked signals that are pending.
pub fn do_sigpending() -> SigSet {
    let me = crate::current();
    me.process().map_or(0, |p| {
        (p.pending.lock().signal | p.signal.shared_pending.lock().signal) & p.blocked()
    })
}

/// `rt_sigsuspend(2)`: wait for a signal with `mask` as the temporary
/// mask; the old one comes back after the handler ran.
pub fn do_sigsuspend(mask: SigSet) -> Result<i64, Errno> {
    let me = crate::current();
    let p = me.process().ok_or(EINVAL)?;
    p.saved_sigmask.save(p.blocked());
    p.blocked.store(mask & !KERNEL_ONLY_MASK, Ordering::Release);
    recalc_sigpending(&me);
    sleep_until_signal(&me)
}

/// `rt_sigreturn(2)`: usk restores the mask itself when a handler returns
/// (entry.rs), so a program calling it directly has no signal frame to
/// return through — what Linux's `restore_sigcontext` failure does: SIGSEGV.
pub fn sys_rt_sigreturn() -> Result<i64, Errno> {
    force_sig(SIGSEGV);
    Ok(0)
}

/// `pause(2)`.
pub fn sys_pause() -> Result<i64, Errno> {
    sleep_until_signal(&crate::current())
}

/// Sleep interruptibly until a signal is pending; the call then ends with
/// ERESTARTNOHAND (EINTR once a handler ran).
fn sleep_until_signal(me: &Arc<Task>) -> Result<i64, Errno> {
    while !me.signal_pending() {
        set_current_state(crate::kernel::sched::task::TASK_INTERRUPTIBLE);
        if me.signal_pending() {
            set_current_state(TASK_RUNNING);
            break;
        }
        schedule();
    }
    Err(ERESTARTNOHAND)
}

/// One dequeued signal that has a user handler.
pub struct Delivery {
    pub sig: i32,
    pub action: KernelSigaction,
}

/// `dequeue_signal()`: the lowest unblocked pending signal, thread set
/// first (synchronous signals live there), then the shared set.
fn dequeue_signal(p: &ProcessState) -> Option<i32> {
    let blocked = p.blocked();
    for set in [&p.pending, &p.signal.shared_pending] {
        let mut s = set.lock();
        let ready = s.signal & !blocked;
        if ready != 0 {
            let sig = ready.trailing_zeros() as i32 + 1;
            s.signal &= !sigmask(sig);
            return Some(sig);
        }
    }
    None
}

/// `get_signal()`: called with no locks held on the way to user mode.
/// Handles ignored, stopping and fatal signals itself (a fatal one does not
/// return: the task leaves through `do_group_exit`); returns the next
/// signal to run a handler for.
pub fn get_signal() -> Option<Delivery> {
    let me = crate::current();
    let p = me.process()?;
    loop {
        let exec = p.signal.group_exec_task.load(Ordering::Acquire);
        if exec != 0 && exec != me.pid && fatal_signal_pending(&me) {
            // de_thread(): only this thread goes.
            crate::kernel::exit::exit_to_kernel(SIGKILL);
        }
        if p.signal.group_exiting() {
            let code = p.signal.group_exit_code.load(Ordering::Acquire);
            crate::kernel::exit::do_group_exit(code);
        }
        let Some(sig) = dequeue_signal(p) else {
            recalc_sigpending(&me);
            return None;
        };
        recalc_sigpending(&me);
        let action = handler_of(p, sig);
        crate::trace::trace(&crate::trace::events::SIGNAL_DELIVER, |w| {
            w.i32(8, sig)
                .i32(12, 0)
                .i32(16, 0)
                .u64(24, action.sa_handler)
                .u64(32, action.sa_flags);
        });
        if action.sa_handler == SIG_IGN {
            continue;
        }
        if action.sa_handler != SIG_DFL {
            if action.sa_flags & SA_RESETHAND != 0 {
                p.sighand().action.lock()[(sig - 1) as usize].sa_handler = SIG_DFL;
            }
            return Some(Delivery { sig, action });
        }
        match default_action(sig) {
            DefaultAction::Ign | DefaultAction::Cont => continue,
            DefaultAction::Stop => {
                // An orphaned process group ignores terminal stops; usk has
                // no orphan tracking, so the stop always happens.
                do_signal_stop(&me, p, sig);
            }
            DefaultAction::Term | DefaultAction::Core => {
                // RLIMIT_CORE is 0 by default: no core, no WCOREFLAG.
                crate::kernel::exit::do_group_exit(sig);
            }
        }
    }
}

/// `do_signal_stop()`: stop the whole group, tell the parent, sleep in
/// TASK_STOPPED until SIGCONT or SIGKILL.
fn do_signal_stop(me: &Arc<Task>, p: &ProcessState, sig: i32) {
    let sigs = &p.signal;
    let flags = sigs.flags.load(Ordering::Acquire);
    if flags & SIGNAL_STOP_STOPPED == 0 {
        sigs.flags.store(
            (flags | SIGNAL_STOP_STOPPED) & !SIGNAL_STOP_CONTINUED,
            Ordering::Release,
        );
        sigs.group_exit_code.store(sig, Ordering::Release);
        sigs.notify_pending.store(true, Ordering::Release);
        for th in thread_group(me) {
            if !Arc::ptr_eq(&th, me) {
                th.signal_wake_up(false);
            }
        }
        do_notify_parent_cldstop(me);
    }
    while sigs.flags.load(Ordering::Acquire) & SIGNAL_STOP_STOPPED != 0 && !fatal_signal_pending(me)
    {
        set_current_state(TASK_STOPPED);
        if sigs.flags.load(Ordering::Acquire) & SIGNAL_STOP_STOPPED == 0 || fatal_signal_pending(me)
        {
            set_current_state(TASK_RUNNING);
            break;
        }
        schedule();
    }
}

/// Tell the parent a child stopped or continued: SIGCHLD (unless the
/// parent set SA_NOCLDSTOP) and a wake-up of its wait4.
fn do_notify_parent_cldstop(child: &Task) {
    let Some(parent) = crate::kernel().find_task(child.ppid.load(Ordering::Acquire)) else {
        return;
    };
    let Some(pp) = parent.process() else {
        return;
    };
    let act = handler_of(pp, SIGCHLD);
    if act.sa_flags & SA_NOCLDSTOP == 0 && act.sa_handler != SIG_IGN {
        let _ = send_signal(&parent, SIGCHLD, true);
    }
    pp.signal.wait_chldexit.wake_up_all();
}

/// Whether the parent of a dying child asked not to get zombies (SIGCHLD
/// ignored or SA_NOCLDWAIT): then the child is reaped at once.
pub fn parent_autoreaps(parent: &ProcessState) -> bool {
    let act = handler_of(parent, SIGCHLD);
    act.sa_handler == SIG_IGN || act.sa_flags & SA_NOCLDWAIT != 0
}

/// `do_notify_parent()`: a child died; `exit_signal` to the parent and wake
/// its wait4.
pub fn do_notify_parent(parent: &Arc<Task>, exit_signal: i32) {
    let Some(pp) = parent.process() else {
        return;
    };
    if exit_signal != 0 && valid_signal(exit_signal) {
        let _ = send_signal(parent, exit_signal, true);
    }
    pp.signal.wait_chldexit.wake_up_all();
}
