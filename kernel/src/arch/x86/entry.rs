//! Kernel entry and exit for user tasks (arch/x86/entry/, kernel/entry/
//! common.c): the `syscall` instruction, the MMU's user-mode loads and
//! stores, and the return to user mode with its signal delivery.
//!
//! User code runs on its task's host thread while the task holds a CPU
//! slot, exactly like kernel code; "user mode" is the time spent inside
//! [`UserEntry`] callbacks. Every entry — a syscall, a user load/store —
//! is also an interrupt point: pending interrupts run, a pending reschedule
//! is honoured and pending signals are delivered before user code resumes
//! (`exit_to_user_mode_loop`). A handler runs nested on the same host stack
//! with the mask `sa_mask | sig`; when it returns, the mask is restored (the
//! `rt_sigreturn` step).
//!
//! Leaving user mode for good (exit, a fatal signal, execve) unwinds the
//! host stack to [`run_user`], which re-enters the new program or returns
//! the wait status to the task body.
//!
//! Invariants: no kernel lock is held while user code runs or while the
//! stack unwinds out of it; `in_user` is true exactly while user code runs.

use crate::kernel::panic::Unwind;
use crate::kernel::process::ProcessState;
use crate::kernel::sched::task::Task;
use crate::mm::{FaultError, MmStruct};
use std::cell::RefCell;
use std::panic::AssertUnwindSafe;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use uapi::abi::{KernelEntry, PtRegs};
use uapi::errno::*;
use uapi::signal::*;

/// The table user code calls (installed at boot).
pub static KERNEL_ENTRY: KernelEntry = KernelEntry {
    syscall: entry_syscall_64,
    load: user_load,
    store: user_store,
};

thread_local! {
    /// The address space of the user task on this host thread (`current->mm`
    /// without a lock on the MMU's hot path); replaced at exec.
    static USER_MM: RefCell<Option<Arc<MmStruct>>> = const { RefCell::new(None) };
}

/// Point this thread's MMU at `mm` (fork child start, execve).
pub(crate) fn set_user_mm(mm: Option<Arc<MmStruct>>) {
    USER_MM.with(|m| *m.borrow_mut() = mm);
}

/// The current user task and its process state, or `None` when the caller
/// is not a user task (a host thread, a kernel thread).
fn user_current() -> Option<Arc<Task>> {
    if crate::kernel::sched::current::kernel_ptr().is_null() {
        return None;
    }
    let me = crate::current();
    me.process.get().is_some().then_some(me)
}

fn proc_of(t: &Task) -> &ProcessState {
    t.process().expect("user task without process state")
}

/// The `syscall` instruction.
fn entry_syscall_64(regs: &mut PtRegs) -> i64 {
    let Some(me) = user_current() else {
        return ENOSYS.as_ret() as i64;
    };
    let p = proc_of(&me);
    p.in_user.store(false, Ordering::Release);
    // The registers go to fork/clone as an argument; `p.regs` is only what
    // a new child or a new program enters user mode with.
    let ret = loop {
        let ret = super::syscall_64::do_syscall_64(regs);
        match exit_to_user_mode(&me, p, Some(ret)) {
            Some(r) => break r,
            None => continue, // restart the system call
        }
    };
    regs.ax = ret;
    p.in_user.store(true, Ordering::Release);
    ret
}

/// `exit_to_user_mode_loop()`: reschedule, run interrupts and deliver
/// signals. With a syscall result, applies the restart rules and returns
/// the value user space sees, or `None` to restart the call.
fn exit_to_user_mode(me: &Arc<Task>, p: &ProcessState, ret: Option<i64>) -> Option<i64> {
    let mut ret = ret;
    let mut handled = false;
    loop {
        // cond_resched() is also the interrupt point
        crate::kernel::sched::core::cond_resched();
        if !me.signal_pending() {
            break;
        }
        let Some(d) = crate::kernel::signal::get_signal() else {
            break;
        };
        // A handler interrupts the call: decide its return value first.
        if let Some(r) = ret {
            ret = Some(match Errno(-r as i32) {
                ERESTARTNOHAND | ERESTART_RESTARTBLOCK => EINTR.as_ret() as i64,
                ERESTARTSYS if d.action.sa_flags & SA_RESTART == 0 => EINTR.as_ret() as i64,
                ERESTARTSYS | ERESTARTNOINTR => {
                    // Restart after the handler.
                    handle_signal(me, p, &d);
                    return None;
                }
                _ => r,
            });
        }
        handle_signal(me, p, &d);
        handled = true;
    }
    // sigsuspend's mask comes back if no handler ran (a handler restores it).
    if !handled {
        if let Some(saved) = p.saved_sigmask.take() {
            p.blocked.store(saved, Ordering::Release);
            crate::kernel::signal::recalc_sigpending(me);
        }
    }
    match ret {
        Some(r) if !handled => match Errno(-r as i32) {
            ERESTARTSYS | ERESTARTNOINTR | ERESTARTNOHAND | ERESTART_RESTARTBLOCK => None,
            _ => Some(r),
        },
        r => Some(r.unwrap_or(0)),
    }
}

/// `handle_signal()` + `rt_sigreturn`: run the user handler with the
/// handler's mask, then restore the mask in force before.
fn handle_signal(me: &Arc<Task>, p: &ProcessState, d: &crate::kernel::signal::Delivery) {
    let restore = p.saved_sigmask.take().unwrap_or(p.blocked());
    let mut mask = p.blocked() | d.action.sa_mask;
    if d.action.sa_flags & SA_NODEFER == 0 {
        mask |= sigmask(d.sig);
    }
    p.blocked.store(
        mask & !(sigmask(SIGKILL) | sigmask(SIGSTOP)),
        Ordering::Release,
    );
    crate::kernel::signal::recalc_sigpending(me);
    let ok = match uapi::abi::user_entry() {
        Some(ue) => {
            p.in_user.store(true, Ordering::Release);
            let ok = (ue.handle_signal)(d.action.sa_handler, d.sig);
            p.in_user.store(false, Ordering::Release);
            ok
        }
        None => false,
    };
    p.blocked.store(restore, Ordering::Release);
    crate::kernel::signal::recalc_sigpending(me);
    if !ok {
        // The handler address is not code: the jump faults (force_sigsegv).
        crate::kernel::signal::force_sig(SIGSEGV);
    }
}

/// A user-mode access went wrong: SIGSEGV, or the OOM killer and a retry.
/// Returns when the access should be retried.
fn user_fault(me: &Arc<Task>, p: &ProcessState, err: FaultError) {
    p.in_user.store(false, Ordering::Release);
    match err {
        FaultError::Segv { .. } => {
            crate::kernel::signal::force_sig(SIGSEGV);
            exit_to_user_mode(me, p, None);
            // A handler returned: the instruction would fault again forever.
            crate::kernel::exit::do_group_exit(SIGSEGV);
        }
        FaultError::Oom => {
            crate::mm::oom_kill::out_of_memory();
            exit_to_user_mode(me, p, None);
        }
        FaultError::Memcg => {
            let cg = USER_MM.with(|m| m.borrow().as_ref().and_then(|mm| mm.memcg()));
            let killed = cg.is_some_and(|cg| crate::mm::oom_kill::mem_cgroup_out_of_memory(&cg));
            if !killed {
                // Nothing in the group to kill: the fault cannot be served.
                crate::kernel::signal::force_sig(SIGKILL);
            }
            exit_to_user_mode(me, p, None);
        }
    }
    p.in_user.store(true, Ordering::Release);
}

/// An interrupt point between user instructions. The fast path reads
/// two flags of the current task without taking a reference to it.
#[inline]
fn user_interrupt_point() {
    use crate::kernel::sched::current::{in_kernel_thread, with_current};
    if !in_kernel_thread()
        || !with_current(|t| t.signal_pending() || t.need_resched.load(Ordering::Relaxed))
    {
        return;
    }
    if let Some(me) = user_current() {
        let p = proc_of(&me);
        p.in_user.store(false, Ordering::Release);
        exit_to_user_mode(&me, p, None);
        p.in_user.store(true, Ordering::Release);
    }
}

/// One user-mode access through this thread's address space: faults are
/// resolved (or become SIGSEGV / the OOM killer) and the access retried.
/// Off a user task (no address space here) it does nothing.
fn user_access(addr: u64, f: &mut dyn FnMut(&MmStruct) -> Result<(), FaultError>) {
    loop {
        let r = USER_MM.with(|m| match &*m.borrow() {
            Some(mm) => f(mm),
            None => Err(FaultError::Segv {
                addr,
                code: crate::mm::SEGV_MAPERR,
            }),
        });
        let Err(e) = r else { break };
        match user_current() {
            Some(me) => user_fault(&me, proc_of(&me), e),
            None => return,
        }
    }
    user_interrupt_point();
}

/// A user-mode load through the MMU.
fn user_load(addr: u64, buf: &mut [u8]) {
    user_access(addr, &mut |mm| mm.load(addr, buf));
}

/// A user-mode store through the MMU.
fn user_store(addr: u64, buf: &[u8]) {
    user_access(addr, &mut |mm| mm.store(addr, buf));
}

/// Run user code from `regs` until the task leaves user mode for good;
/// returns its wait status.
pub(crate) fn run_user(me: &Arc<Task>, regs: PtRegs) -> i32 {
    let p = proc_of(me);
    let mut regs = regs;
    loop {
        set_user_mm(p.mm());
        let r = std::panic::catch_unwind(AssertUnwindSafe(|| {
            exit_to_user_mode(me, p, None);
            let Some(ue) = uapi::abi::user_entry() else {
                crate::kernel::exit::do_group_exit(SIGSEGV)
            };
            p.in_user.store(true, Ordering::Release);
            let ok = (ue.enter)(&regs);
            p.in_user.store(false, Ordering::Release);
            if !ok {
                crate::kernel::signal::force_sig(SIGSEGV);
                exit_to_user_mode(me, p, None);
                crate::kernel::exit::do_group_exit(SIGSEGV);
            }
            // User code returned instead of calling exit: like falling off
            // the end of _start, which the C runtime turns into exit(0).
            crate::kernel::exit::do_group_exit(0)
        }));
        let payload = match r {
            Ok(never) => never,
            Err(payload) => payload,
        };
        match payload.downcast_ref::<Unwind>() {
            Some(Unwind::Exec) => {
                regs = *p.regs.lock();
                continue;
            }
            Some(Unwind::Exit) => {
                set_user_mm(None);
                return p.exit_code.load(Ordering::Acquire);
            }
            _ if p.in_user.swap(false, Ordering::AcqRel) => {
                // A Rust panic in user code: the program crashed. Linux
                // logs segfaults; the whole process dies with SIGSEGV.
                crate::pr_info!(
                    "{}[{}]: user program crashed (Rust panic), killed by SIGSEGV",
                    me.comm(),
                    me.pid
                );
                set_user_mm(None);
                let r = std::panic::catch_unwind(AssertUnwindSafe(|| {
                    crate::kernel::exit::do_group_exit(SIGSEGV)
                }));
                drop(r);
                return p.exit_code.load(Ordering::Acquire);
            }
            _ => {
                set_user_mm(None);
                std::panic::resume_unwind(payload)
            }
        }
    }
}

/// The body of a forked user task: enter user mode with the registers
/// `copy_process` prepared.
pub(crate) fn user_task_main() -> i32 {
    let me = crate::current();
    let regs = *proc_of(&me).regs.lock();
    run_user(&me, regs)
}
