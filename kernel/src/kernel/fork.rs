//! Process creation (kernel/fork.c): `kernel_clone()` behind fork, vfork
//! and clone.
//!
//! `copy_process()` builds the child's task and its [`ProcessState`],
//! sharing or copying each resource as the clone flags say: the address
//! space is copied copy-on-write (`dup_mmap`) unless `CLONE_VM`, the fd
//! table is duplicated unless `CLONE_FILES`, and so on. The child starts on
//! its own host thread in the user-mode loop with the parent's registers,
//! `ax = 0` and the parent's continuation `ip` — so it "returns from fork
//! with 0". A vfork parent sleeps until the child execs or exits.
//!
//! Flag rules are Linux's: `CLONE_THREAD` needs `CLONE_SIGHAND`, which
//! needs `CLONE_VM`; `CLONE_SIGHAND|CLONE_FS` with namespaces is refused;
//! namespaces are not implemented here and are refused with `EINVAL`.

use crate::kernel::kthread::{alloc_task, spawn_task_thread};
use crate::kernel::process::*;
use crate::kernel::sched::completion::Completion;
use crate::kernel::sched::task::{Pid, TASK_NEW};
use parking_lot::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use uapi::abi::PtRegs;
use uapi::errno::*;
use uapi::sched::*;

/// Arguments of `kernel_clone()` (`struct kernel_clone_args`).
#[derive(Clone, Copy, Debug, Default)]
pub struct CloneArgs {
    pub flags: u64,
    pub exit_signal: i32,
    pub stack: u64,
    pub parent_tid: u64,
    pub child_tid: u64,
}

/// The namespace flags (CLONE_IO, the other high bit, is accepted and has
/// no effect).
const NAMESPACE_FLAGS: u64 = CLONE_NEWNS
    | CLONE_NEWCGROUP
    | CLONE_NEWUTS
    | CLONE_NEWIPC
    | CLONE_NEWUSER
    | CLONE_NEWPID
    | CLONE_NEWNET;

/// `kernel_clone()`: returns the child's pid in the parent.
pub fn kernel_clone(args: CloneArgs, regs: &PtRegs) -> Result<Pid, Errno> {
    let flags = args.flags;
    if flags & CLONE_THREAD != 0 && flags & CLONE_SIGHAND == 0 {
        return Err(EINVAL);
    }
    if flags & CLONE_SIGHAND != 0 && flags & CLONE_VM == 0 {
        return Err(EINVAL);
    }
    if flags & NAMESPACE_FLAGS != 0 || flags & CLONE_PIDFD != 0 {
        return Err(EINVAL);
    }
    if !(0..=64).contains(&args.exit_signal) {
        return Err(EINVAL);
    }
    let k = crate::kernel();
    let parent = crate::current();
    let pp = parent.process().ok_or(EINVAL)?;
    let cred = pp.cred();
    // RLIMIT_NPROC (root is exempt, as with CAP_SYS_RESOURCE).
    let nproc = pp.signal.rlimit(RLIMIT_NPROC).cur;
    if cred.uid != 0 {
        let mine = k
            .tasks
            .read()
            .values()
            .filter(|t| t.process().is_some_and(|p| p.cred().uid == cred.uid))
            .count() as u64;
        if mine >= nproc {
            return Err(EAGAIN);
        }
    }
    let mm = match pp.mm() {
        Some(mm) if flags & CLONE_VM != 0 => Some(mm),
        Some(mm) => Some(mm.dup_mmap()?),
        None => None,
    };
    let files = if flags & CLONE_FILES != 0 {
        pp.files()
    } else {
        pp.files().dup_fd()
    };
    let fs = if flags & CLONE_FS != 0 {
        pp.fs()
    } else {
        pp.fs().copy()
    };
    let sighand = if flags & CLONE_SIGHAND != 0 {
        pp.sighand()
    } else {
        pp.sighand().copy()
    };
    let signal = if flags & CLONE_THREAD != 0 {
        pp.signal.live.fetch_add(1, Ordering::AcqRel);
        Arc::clone(&pp.signal)
    } else {
        SignalStruct::new(
            pp.signal.pgrp(),
            pp.signal.session(),
            *pp.signal.rlim.lock(),
        )
    };
    let tgid = (flags & CLONE_THREAD != 0).then_some(parent.tgid);
    let child = alloc_task(&k, &parent.comm(), 0, false, tgid);
    let ppid = if flags & (CLONE_PARENT | CLONE_THREAD) != 0 {
        parent.ppid.load(Ordering::Acquire)
    } else {
        parent.tgid
    };
    child.ppid.store(ppid, Ordering::Release);
    child
        .cpus_allowed
        .store(parent.cpus_allowed(), Ordering::Release);
    child.nice.store(parent.nice(), Ordering::Relaxed);
    child.cpu.store(parent.cpu(), Ordering::Relaxed);
    let mut child_regs = *regs;
    child_regs.ax = 0;
    if args.stack != 0 {
        child_regs.sp = args.stack;
    }
    let vfork = (flags & CLONE_VFORK != 0).then(|| Arc::new(Completion::new()));
    let state = ProcessState {
        blocked: AtomicU64::new(pp.blocked()),
        exit_signal: if flags & CLONE_THREAD != 0 {
            0
        } else {
            args.exit_signal
        },
        clear_child_tid: AtomicU64::new(if flags & CLONE_CHILD_CLEARTID != 0 {
            args.child_tid
        } else {
            0
        }),
        regs: Mutex::new(child_regs),
        vfork_done: Mutex::new(vfork.clone()),
        arg_range: Mutex::new(*pp.arg_range.lock()),
        ..ProcessState::new(mm.clone(), files, fs, sighand, signal, cred)
    };
    let _ = child.process.set(Box::new(state));
    if flags & CLONE_PARENT_SETTID != 0 {
        if let Some(pmm) = pp.mm() {
            let _ = pmm.copy_to_user(args.parent_tid, &child.pid.to_ne_bytes());
        }
    }
    if flags & CLONE_CHILD_SETTID != 0 {
        if let Some(cmm) = &mm {
            let _ = cmm.copy_to_user(args.child_tid, &child.pid.to_ne_bytes());
        }
    }
    crate::trace::trace(&crate::trace::events::SCHED_PROCESS_FORK, |w| {
        w.str(8, 16, &parent.comm())
            .i32(24, parent.pid)
            .str(28, 16, &child.comm())
            .i32(44, child.pid);
    });
    let pid = child.pid;
    spawn_task_thread(
        &k,
        Arc::clone(&child),
        Box::new(crate::arch::x86::entry::user_task_main),
    );
    child.state.store(TASK_NEW, Ordering::Release);
    crate::kernel::sched::core::wake_up_new_task(&child);
    if let Some(done) = vfork {
        // Killable: a fatal signal to the parent ends the wait.
        let _ = done.wait_for_completion_killable();
    }
    Ok(pid)
}

/// `fork(2)`.
pub fn sys_fork(regs: &PtRegs) -> Result<i64, Errno> {
    let args = CloneArgs {
        exit_signal: uapi::signal::SIGCHLD,
        ..Default::default()
    };
    kernel_clone(args, regs).map(i64::from)
}

/// `vfork(2)`.
pub fn sys_vfork(regs: &PtRegs) -> Result<i64, Errno> {
    let args = CloneArgs {
        flags: CLONE_VFORK | CLONE_VM,
        exit_signal: uapi::signal::SIGCHLD,
        ..Default::default()
    };
    kernel_clone(args, regs).map(i64::from)
}

/// `clone(2)` on x86-64: (flags, newsp, parent_tidptr, child_tidptr, tls).
pub fn sys_clone(regs: &PtRegs) -> Result<i64, Errno> {
    let a = regs.args;
    let args = CloneArgs {
        flags: a[0] & !CSIGNAL,
        exit_signal: (a[0] & CSIGNAL) as i32,
        stack: a[1],
        parent_tid: a[2],
        child_tid: a[3],
    };
    kernel_clone(args, regs).map(i64::from)
}

/// The process state pid 1 gets before it execs the init program
/// (`init_task`'s files, fs and signal state): root credentials, session
/// and process group 1, `/dev/console` on fds 0-2.
pub(crate) fn init_process_state(me: &Arc<crate::kernel::sched::task::Task>) -> Result<(), Errno> {
    let k = crate::kernel();
    let fs = k.vfs.init_fs().ok_or(ENOENT)?;
    let files = crate::fs::fdtable::FilesStruct::new();
    if let Err(e) = crate::fs::syscalls::console_on_rootfs(&files) {
        crate::pr_warn!("Warning: unable to open an initial console ({e}).");
    }
    // Unlike Linux's /dev/console, usk's console is the controlling tty of
    // init's session, so the shell on it can do job control.
    if let Some(tty) = k.tty.console.get() {
        tty.set_controlling(me.tgid, me.tgid);
    }
    let state = ProcessState::new(
        None,
        files,
        fs,
        SigHand::new(),
        SignalStruct::new(me.tgid, me.tgid, init_rlimits()),
        Arc::new(Cred::root()),
    );
    me.process.set(Box::new(state)).map_err(|_| EBUSY)
}

/// `mm_release()`: the task is done with its old address space (exec or
/// exit) — release a parent waiting in `vfork()`.
pub(crate) fn mm_release(p: &ProcessState) {
    if let Some(v) = p.vfork_done.lock().take() {
        v.complete_all();
    }
}
