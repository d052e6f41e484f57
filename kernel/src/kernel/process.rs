//! The user-process half of `struct task_struct`, and `struct signal_struct`
//! and `struct sighand_struct`: what a task running user code owns besides
//! its scheduling state.
//!
//! A kernel thread has no [`ProcessState`]; a user task gets one when it is
//! forked, and pid 1 gets one when `kernel_init` execs `/sbin/init`. The
//! address space, file table, fs context and signal handlers are shared or
//! copied per `clone()` flags exactly as `copy_process()` decides:
//! `CLONE_VM` shares the [`MmStruct`], `CLONE_FILES` the fd table,
//! `CLONE_FS` the cwd/root/umask, `CLONE_SIGHAND` the handler table, and
//! `CLONE_THREAD` the [`SignalStruct`] (thread group, shared pending set,
//! process group and session, rlimits, the parent's `wait_chldexit`).
//!
//! Invariants: `mm`, `files`, `fs`, `sighand` are replaced only by the task
//! itself (execve, unshare) while other tasks may read them; a task's
//! `exit_state` moves 0 → ZOMBIE → DEAD once; `SignalStruct::live` counts the
//! group's threads that have not yet passed `exit_notify`.

use crate::fs::fdtable::FilesStruct;
use crate::fs::fs_struct::FsStruct;
use crate::kernel::sched::task::Pid;
use crate::kernel::sched::wait::WaitQueueHead;
use crate::mm::MmStruct;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;
use uapi::abi::PtRegs;
use uapi::signal::{KernelSigaction, SigSet, NSIG};

/// `task->exit_state` values.
pub const EXIT_DEAD: u32 = 0x10;
pub const EXIT_ZOMBIE: u32 = 0x20;

/// `signal->flags` job-control bits.
pub const SIGNAL_STOP_STOPPED: u32 = 0x0000_0001;
pub const SIGNAL_STOP_CONTINUED: u32 = 0x0000_0002;
pub const SIGNAL_GROUP_EXIT: u32 = 0x0000_0004;

/// Resource limits (`RLIMIT_*`), as `getrlimit`/`prlimit64` number them.
pub const RLIMIT_CPU: usize = 0;
pub const RLIMIT_FSIZE: usize = 1;
pub const RLIMIT_DATA: usize = 2;
pub const RLIMIT_STACK: usize = 3;
pub const RLIMIT_CORE: usize = 4;
pub const RLIMIT_NPROC: usize = 6;
pub const RLIMIT_NOFILE: usize = 7;
pub const RLIMIT_MEMLOCK: usize = 8;
pub const RLIMIT_AS: usize = 9;
pub const RLIMIT_SIGPENDING: usize = 11;
pub const RLIMIT_MSGQUEUE: usize = 12;
pub const RLIMIT_NICE: usize = 13;
pub const RLIMIT_RTPRIO: usize = 14;
pub const RLIM_NLIMITS: usize = 16;
pub const RLIM_INFINITY: u64 = u64::MAX;

/// `struct rlimit`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rlimit {
    pub cur: u64,
    pub max: u64,
}

/// `INIT_RLIMITS` as Linux boots with them: the limits that are not
/// infinite, as (resource, soft, hard).
const INIT_RLIMITS: [(usize, u64, u64); 9] = [
    (RLIMIT_STACK, 8 << 20, RLIM_INFINITY),
    (RLIMIT_CORE, 0, RLIM_INFINITY),
    (RLIMIT_NPROC, 4096, 4096),
    (RLIMIT_NOFILE, 1024, 4096),
    (RLIMIT_MEMLOCK, 8 << 20, 8 << 20),
    (RLIMIT_SIGPENDING, 4096, 4096),
    (RLIMIT_MSGQUEUE, 819_200, 819_200),
    (RLIMIT_NICE, 0, 0),
    (RLIMIT_RTPRIO, 0, 0),
];

/// The boot limits of init (`INIT_RLIMITS`); everything else is infinite.
pub fn init_rlimits() -> [Rlimit; RLIM_NLIMITS] {
    let mut r = [Rlimit {
        cur: RLIM_INFINITY,
        max: RLIM_INFINITY,
    }; RLIM_NLIMITS];
    for (res, cur, max) in INIT_RLIMITS {
        r[res] = Rlimit { cur, max };
    }
    r
}

/// `current->saved_sigmask` with its `TIF_RESTORE_SIGMASK` flag: the mask
/// `rt_sigsuspend` replaced, restored on the way back to user mode. Only
/// the owning task saves and takes it, so the return path pays one
/// relaxed load when nothing is saved.
#[derive(Default, Debug)]
pub struct SavedSigmask {
    restore: AtomicBool,
    mask: AtomicU64,
}

impl SavedSigmask {
    /// `set_restore_sigmask()` with the mask to come back.
    pub fn save(&self, mask: SigSet) {
        self.mask.store(mask, Ordering::Relaxed);
        self.restore.store(true, Ordering::Relaxed);
    }

    /// The saved mask, if any, clearing the flag.
    pub fn take(&self) -> Option<SigSet> {
        if !self.restore.load(Ordering::Relaxed) {
            return None;
        }
        self.restore.store(false, Ordering::Relaxed);
        Some(self.mask.load(Ordering::Relaxed))
    }
}

/// `struct sigpending`: the set of pending signals. Standard signals
/// coalesce; real-time signals coalesce too (usk keeps no siginfo queue).
#[derive(Default, Debug)]
pub struct SigPending {
    pub signal: SigSet,
}

/// `struct sighand_struct`: the handler table, shared by `CLONE_SIGHAND`.
pub struct SigHand {
    pub action: Mutex<[KernelSigaction; NSIG]>,
}

impl SigHand {
    pub fn new() -> Arc<SigHand> {
        Arc::new(SigHand {
            action: Mutex::new([KernelSigaction::default(); NSIG]),
        })
    }

    /// A private copy (fork without `CLONE_SIGHAND`).
    pub fn copy(&self) -> Arc<SigHand> {
        Arc::new(SigHand {
            action: Mutex::new(*self.action.lock()),
        })
    }
}

/// `struct signal_struct`: per thread group.
pub struct SignalStruct {
    /// Signals sent to the whole group (`shared_pending`).
    pub shared_pending: Mutex<SigPending>,
    /// Threads that have not finished `exit_notify`.
    pub live: AtomicU32,
    /// SIGNAL_* flags.
    pub flags: AtomicU32,
    /// `group_exit_code`: the wait status of a group exit or stop signal.
    pub group_exit_code: AtomicI32,
    /// A stop or continue not yet reported to the parent's wait4.
    pub notify_pending: AtomicBool,
    /// The parent sleeps here in wait4 (`wait_chldexit`).
    pub wait_chldexit: WaitQueueHead,
    pub pgrp: AtomicI32,
    pub session: AtomicI32,
    /// The thread running execve while `de_thread` kills the others
    /// (`group_exec_task`), 0 otherwise.
    pub group_exec_task: AtomicI32,
    pub rlim: Mutex<[Rlimit; RLIM_NLIMITS]>,
    /// Times of reaped children, ns (`cutime`/`cstime`).
    pub cutime: AtomicU64,
    pub cstime: AtomicU64,
}

impl SignalStruct {
    pub fn new(pgrp: Pid, session: Pid, rlim: [Rlimit; RLIM_NLIMITS]) -> Arc<SignalStruct> {
        Arc::new(SignalStruct {
            shared_pending: Mutex::new(SigPending::default()),
            live: AtomicU32::new(1),
            flags: AtomicU32::new(0),
            group_exit_code: AtomicI32::new(0),
            notify_pending: AtomicBool::new(false),
            wait_chldexit: WaitQueueHead::new(),
            pgrp: AtomicI32::new(pgrp),
            group_exec_task: AtomicI32::new(0),
            session: AtomicI32::new(session),
            rlim: Mutex::new(rlim),
            cutime: AtomicU64::new(0),
            cstime: AtomicU64::new(0),
        })
    }

    pub fn pgrp(&self) -> Pid {
        self.pgrp.load(Ordering::Acquire)
    }

    pub fn session(&self) -> Pid {
        self.session.load(Ordering::Acquire)
    }

    pub fn group_exiting(&self) -> bool {
        self.flags.load(Ordering::Acquire) & SIGNAL_GROUP_EXIT != 0
    }

    pub fn rlimit(&self, which: usize) -> Rlimit {
        self.rlim.lock()[which]
    }
}

/// `struct cred`: identities and capabilities.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cred {
    pub uid: u32,
    pub euid: u32,
    pub suid: u32,
    pub gid: u32,
    pub egid: u32,
    pub sgid: u32,
    /// `cap_effective` (bit per capability, `CAP_*`).
    pub cap_effective: u64,
}

/// Capabilities usk checks.
pub const CAP_KILL: u32 = 5;
pub const CAP_SETGID: u32 = 6;
pub const CAP_SETUID: u32 = 7;
pub const CAP_SYS_MODULE: u32 = 16;
pub const CAP_SYS_ADMIN: u32 = 21;
pub const CAP_SYS_RESOURCE: u32 = 24;
/// `CAP_FULL_SET` for the 41 capabilities of Linux 6.x.
pub const CAP_FULL_SET: u64 = (1 << 41) - 1;

impl Cred {
    /// `init_cred`: root with every capability.
    pub fn root() -> Cred {
        Cred {
            uid: 0,
            euid: 0,
            suid: 0,
            gid: 0,
            egid: 0,
            sgid: 0,
            cap_effective: CAP_FULL_SET,
        }
    }

    pub fn capable(&self, cap: u32) -> bool {
        self.cap_effective & (1 << cap) != 0
    }
}

/// The user-process state of one task.
pub struct ProcessState {
    pub mm: Mutex<Option<Arc<MmStruct>>>,
    pub files: Mutex<Arc<FilesStruct>>,
    pub fs: Mutex<Arc<FsStruct>>,
    pub sighand: Mutex<Arc<SigHand>>,
    pub signal: Arc<SignalStruct>,
    /// Thread-private pending signals.
    pub pending: Mutex<SigPending>,
    /// `blocked`: the signal mask.
    pub blocked: AtomicU64,
    /// The mask `rt_sigsuspend` replaced, restored after delivery.
    pub saved_sigmask: SavedSigmask,
    pub cred: Mutex<Arc<Cred>>,
    /// `exit_signal`: what the parent gets when this child dies (SIGCHLD for
    /// fork, 0 for threads).
    pub exit_signal: i32,
    /// `clear_child_tid` (CLONE_CHILD_CLEARTID / set_tid_address).
    pub clear_child_tid: AtomicU64,
    /// Registers to enter user mode with (set by fork and execve).
    pub regs: Mutex<PtRegs>,
    /// `exit_state`.
    pub exit_state: AtomicU32,
    /// `exit_code`: the wait status this task died with.
    pub exit_code: AtomicI32,
    /// Completed when a vfork child execs or exits (`vfork_done`).
    pub vfork_done: Mutex<Option<Arc<crate::kernel::sched::completion::Completion>>>,
    /// Set while the task runs user code (for utime and fault attribution).
    pub in_user: AtomicBool,
    /// Where execve put the argv strings (`mm->arg_start`, `arg_end`):
    /// /proc/<pid>/cmdline.
    pub arg_range: Mutex<(u64, u64)>,
}

impl ProcessState {
    /// A process over the given resources with everything else in its
    /// initial state: nothing pending or blocked, not exited, no vfork
    /// parent, user registers zero, exit signal 0. Callers override what
    /// differs with struct-update syntax.
    pub fn new(
        mm: Option<Arc<MmStruct>>,
        files: Arc<FilesStruct>,
        fs: Arc<FsStruct>,
        sighand: Arc<SigHand>,
        signal: Arc<SignalStruct>,
        cred: Arc<Cred>,
    ) -> Self {
        ProcessState {
            mm: Mutex::new(mm),
            files: Mutex::new(files),
            fs: Mutex::new(fs),
            sighand: Mutex::new(sighand),
            signal,
            pending: Mutex::new(SigPending::default()),
            blocked: AtomicU64::new(0),
            saved_sigmask: Default::default(),
            cred: Mutex::new(cred),
            exit_signal: 0,
            clear_child_tid: AtomicU64::new(0),
            regs: Mutex::new(PtRegs::default()),
            exit_state: AtomicU32::new(0),
            exit_code: AtomicI32::new(0),
            vfork_done: Mutex::new(None),
            in_user: AtomicBool::new(false),
            arg_range: Mutex::new((0, 0)),
        }
    }

    pub fn mm(&self) -> Option<Arc<MmStruct>> {
        self.mm.lock().clone()
    }

    pub fn files(&self) -> Arc<FilesStruct> {
        Arc::clone(&self.files.lock())
    }

    pub fn fs(&self) -> Arc<FsStruct> {
        Arc::clone(&self.fs.lock())
    }

    pub fn sighand(&self) -> Arc<SigHand> {
        Arc::clone(&self.sighand.lock())
    }

    pub fn cred(&self) -> Arc<Cred> {
        Arc::clone(&self.cred.lock())
    }

    pub fn blocked(&self) -> SigSet {
        self.blocked.load(Ordering::Acquire)
    }

    pub fn exit_state(&self) -> u32 {
        self.exit_state.load(Ordering::Acquire)
    }
}

/// The current task's address space, if it has one.
pub fn current_mm() -> Option<Arc<MmStruct>> {
    crate::current().process.get().and_then(|p| p.mm())
}
