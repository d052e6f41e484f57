//! `struct task_struct`: one schedulable entity, backed by one host thread.
//!
//! Task state values, `PF_*` flags and the nice-to-weight table are Linux's.
//! A task's host thread executes kernel code only while the task holds a CPU
//! slot; the `permit` flag is how a slot (and, in deterministic mode, the
//! single run baton) is handed to it. Fields written by the scheduler are
//! protected by the task's `pi_lock` and its runqueue lock, in that order.

use crate::kernel::kthread::KthreadInfo;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

pub type Pid = i32;

// Task states (include/linux/sched.h).
pub const TASK_RUNNING: u32 = 0x0000;
pub const TASK_INTERRUPTIBLE: u32 = 0x0001;
pub const TASK_UNINTERRUPTIBLE: u32 = 0x0002;
pub const __TASK_STOPPED: u32 = 0x0004;
pub const TASK_PARKED: u32 = 0x0040;
pub const TASK_DEAD: u32 = 0x0080;
pub const TASK_WAKEKILL: u32 = 0x0100;
pub const TASK_NOLOAD: u32 = 0x0400;
pub const TASK_NEW: u32 = 0x0800;
pub const TASK_KILLABLE: u32 = TASK_WAKEKILL | TASK_UNINTERRUPTIBLE;
pub const TASK_STOPPED: u32 = TASK_WAKEKILL | __TASK_STOPPED;
pub const TASK_IDLE: u32 = TASK_UNINTERRUPTIBLE | TASK_NOLOAD;
pub const TASK_NORMAL: u32 = TASK_INTERRUPTIBLE | TASK_UNINTERRUPTIBLE;

// Per-process flags.
pub const PF_IDLE: u32 = 0x0000_0002;
pub const PF_EXITING: u32 = 0x0000_0004;
pub const PF_WQ_WORKER: u32 = 0x0000_0020;
pub const PF_NO_SETAFFINITY: u32 = 0x0400_0000;
pub const PF_KTHREAD: u32 = 0x0020_0000;

/// Linux's sched_prio_to_weight[]: nice -20 .. 19.
pub const PRIO_TO_WEIGHT: [u64; 40] = [
    88761, 71755, 56483, 46273, 36291, 29154, 23254, 18705, 14949, 11916, 9548, 7620, 6100, 4904,
    3906, 3121, 2501, 1991, 1586, 1277, 1024, 820, 655, 526, 423, 335, 272, 215, 172, 137, 110, 87,
    70, 56, 45, 36, 29, 23, 18, 15,
];
pub const NICE_0_LOAD: u64 = 1024;
pub const MAX_RT_PRIO: i32 = 100;
pub const DEFAULT_PRIO: i32 = MAX_RT_PRIO + 20;

/// Scheduling-entity bookkeeping of the fair class. Written under the
/// runqueue lock of the CPU the task is on.
#[derive(Default)]
pub struct SchedEntity {
    pub vruntime: AtomicU64,
    pub exec_start: AtomicU64,
    pub sum_exec_runtime: AtomicU64,
    pub prev_sum_exec_runtime: AtomicU64,
    /// 1 + insertion sequence of the queue entry, 0 when not queued.
    pub queued_key: AtomicU64,
    /// vruntime part of the queue key.
    pub queued_vruntime: AtomicU64,
}

/// Per-task counters shown in /proc/<pid>/{stat,status}.
#[derive(Default)]
pub struct TaskStats {
    pub nvcsw: AtomicU64,
    pub nivcsw: AtomicU64,
    /// Time charged by the tick while this task ran in user / kernel mode, ns.
    pub utime: AtomicU64,
    pub stime: AtomicU64,
    pub nr_migrations: AtomicU64,
}

pub struct Task {
    pub pid: Pid,
    /// The thread group (process) id: the pid of the group leader.
    pub tgid: Pid,
    pub ppid: AtomicI32,
    /// `comm[TASK_COMM_LEN]`: NUL-padded, in two words so that readers
    /// (tracepoints, page_owner) copy it without a lock, as Linux's
    /// tracepoints `memcpy` it; a reader racing `set_comm` may see a mix.
    comm: [AtomicU64; 2],
    pub(crate) state: AtomicU32,
    pub(crate) flags: AtomicU32,
    /// thread_info.preempt_count: only the task's own thread changes it.
    pub(crate) preempt_count: AtomicU32,
    /// TIF_NEED_RESCHED.
    pub(crate) need_resched: AtomicBool,
    /// TIF_SIGPENDING.
    pub(crate) sigpending: AtomicBool,
    /// Set while this task wakes others with `WF_SYNC` (it is about to
    /// sleep): `select_task_rq` may then pick this task's CPU.
    pub(crate) wake_sync: AtomicBool,
    /// The CPU this task runs on or is queued on.
    pub(crate) cpu: AtomicUsize,
    pub(crate) cpus_allowed: AtomicU64,
    pub(crate) nice: AtomicI32,
    /// Runnable (queued or running).
    pub(crate) on_rq: AtomicBool,
    pub(crate) pi_lock: Mutex<()>,
    pub(crate) se: SchedEntity,
    pub stats: TaskStats,
    /// Machine time at fork, ns.
    pub start_time: u64,
    /// Slot hand-off: set by whoever gives this task a CPU to run on.
    permit: AtomicBool,
    thread: OnceLock<std::thread::Thread>,
    pub(crate) kthread: Option<KthreadInfo>,
    /// `rcu_read_lock_nesting` (debug builds and preemptible RCU).
    pub(crate) rcu_read_lock_nesting: AtomicU32,
    /// Preemptible RCU: switched out inside a read-side section.
    pub(crate) rcu_blocked: AtomicBool,
    /// The loadable module whose code this task runs, if any.
    pub(crate) module: Mutex<Option<Arc<crate::kernel::module::Module>>>,
    /// Workqueue worker state (PF_WQ_WORKER tasks).
    pub(crate) worker: OnceLock<Arc<crate::kernel::workqueue::Worker>>,
    /// Address space, files, signals, credentials: user tasks only.
    pub(crate) process: OnceLock<Box<crate::kernel::process::ProcessState>>,
}

impl Task {
    pub(crate) fn new(
        pid: Pid,
        tgid: Pid,
        comm: &str,
        flags: u32,
        kthread: Option<KthreadInfo>,
        now: u64,
    ) -> Self {
        Task {
            pid,
            tgid,
            ppid: AtomicI32::new(0),
            comm: comm_words(comm),
            state: AtomicU32::new(TASK_NEW),
            flags: AtomicU32::new(flags),
            preempt_count: AtomicU32::new(0),
            need_resched: AtomicBool::new(false),
            sigpending: AtomicBool::new(false),
            wake_sync: AtomicBool::new(false),
            cpu: AtomicUsize::new(0),
            cpus_allowed: AtomicU64::new(u64::MAX),
            nice: AtomicI32::new(0),
            on_rq: AtomicBool::new(false),
            pi_lock: Mutex::new(()),
            se: SchedEntity::default(),
            stats: TaskStats::default(),
            start_time: now,
            permit: AtomicBool::new(false),
            thread: OnceLock::new(),
            kthread,
            rcu_read_lock_nesting: AtomicU32::new(0),
            rcu_blocked: AtomicBool::new(false),
            module: Mutex::new(None),
            worker: OnceLock::new(),
            process: OnceLock::new(),
        }
    }

    pub fn comm(&self) -> String {
        let b = self.comm_bytes();
        let n = b.iter().position(|&c| c == 0).unwrap_or(16);
        String::from_utf8_lossy(&b[..n]).into_owned()
    }

    /// `get_task_comm()` into a `TASK_COMM_LEN` buffer, NUL-padded, without
    /// allocating (page_owner records it on every allocation).
    pub fn comm_bytes(&self) -> [u8; 16] {
        let mut c = [0u8; 16];
        c[..8].copy_from_slice(&self.comm[0].load(Ordering::Relaxed).to_ne_bytes());
        c[8..].copy_from_slice(&self.comm[1].load(Ordering::Relaxed).to_ne_bytes());
        c
    }

    /// `set_task_comm()`: names are cut to TASK_COMM_LEN - 1 = 15 bytes.
    pub fn set_comm(&self, name: &str) {
        let w = comm_words(name);
        self.comm[0].store(w[0].load(Ordering::Relaxed), Ordering::Relaxed);
        self.comm[1].store(w[1].load(Ordering::Relaxed), Ordering::Relaxed);
    }

    pub fn state(&self) -> u32 {
        self.state.load(Ordering::Acquire)
    }

    pub fn flags(&self) -> u32 {
        self.flags.load(Ordering::Relaxed)
    }

    pub fn is_kthread(&self) -> bool {
        self.flags() & PF_KTHREAD != 0
    }

    pub fn is_idle(&self) -> bool {
        self.flags() & PF_IDLE != 0
    }

    /// `task_cpu()`.
    #[inline]
    pub fn cpu(&self) -> usize {
        self.cpu.load(Ordering::Acquire)
    }

    pub fn cpus_allowed(&self) -> u64 {
        self.cpus_allowed.load(Ordering::Acquire)
    }

    pub fn nice(&self) -> i32 {
        self.nice.load(Ordering::Relaxed)
    }

    /// `p->prio` for a fair task.
    pub fn prio(&self) -> i32 {
        DEFAULT_PRIO + self.nice()
    }

    pub fn weight(&self) -> u64 {
        PRIO_TO_WEIGHT[(self.nice() + 20).clamp(0, 39) as usize]
    }

    #[inline]
    pub fn preempt_count(&self) -> u32 {
        self.preempt_count.load(Ordering::Relaxed)
    }

    pub fn signal_pending(&self) -> bool {
        self.sigpending.load(Ordering::Acquire)
    }

    /// `signal_wake_up()`: mark a signal pending and wake an interruptible
    /// sleeper; `fatal` (SIGKILL, group exit) also wakes killable and
    /// stopped sleepers.
    pub fn signal_wake_up(self: &Arc<Self>, fatal: bool) {
        self.sigpending.store(true, Ordering::Release);
        let mask = if fatal {
            TASK_INTERRUPTIBLE | TASK_WAKEKILL
        } else {
            TASK_INTERRUPTIBLE
        };
        crate::kernel::sched::core::try_to_wake_up(self, mask);
    }

    /// `clear_thread_flag(TIF_SIGPENDING)`, done by `recalc_sigpending`.
    pub(crate) fn clear_sigpending(&self) {
        self.sigpending.store(false, Ordering::Release);
    }

    /// The user-process state, if this is a user task.
    pub fn process(&self) -> Option<&crate::kernel::process::ProcessState> {
        self.process.get().map(|b| &**b)
    }

    pub fn sum_exec_runtime(&self) -> u64 {
        self.se.sum_exec_runtime.load(Ordering::Relaxed)
    }

    /// The one-letter state of /proc/<pid>/stat and ps.
    pub fn state_char(&self) -> char {
        let s = self.state();
        if let Some(p) = self.process.get() {
            if p.exit_state() == crate::kernel::process::EXIT_ZOMBIE {
                return 'Z';
            }
        }
        if s == TASK_RUNNING {
            'R'
        } else if s & TASK_DEAD != 0 {
            'X'
        } else if s & __TASK_STOPPED != 0 {
            'T'
        } else if s & TASK_PARKED != 0 {
            'P'
        } else if s & TASK_NOLOAD != 0 && s & TASK_UNINTERRUPTIBLE != 0 {
            'I'
        } else if s & TASK_UNINTERRUPTIBLE != 0 {
            'D'
        } else if s & TASK_INTERRUPTIBLE != 0 {
            'S'
        } else {
            'R'
        }
    }

    /// The long form used by /proc/<pid>/status.
    pub fn state_name(&self) -> &'static str {
        match self.state_char() {
            'R' => "R (running)",
            'S' => "S (sleeping)",
            'D' => "D (disk sleep)",
            'I' => "I (idle)",
            'P' => "P (parked)",
            'T' => "T (stopped)",
            'Z' => "Z (zombie)",
            _ => "X (dead)",
        }
    }

    pub(crate) fn set_thread(&self, t: std::thread::Thread) {
        let _ = self.thread.set(t);
    }

    /// Give this task the right to run (a CPU slot, and in deterministic
    /// mode the run baton).
    #[inline]
    pub(crate) fn grant(&self) {
        self.permit.store(true, Ordering::Release);
        if let Some(t) = self.thread.get() {
            t.unpark();
        }
    }

    /// Block the calling host thread (which must be this task's) until
    /// [`Task::grant`].
    #[inline]
    pub(crate) fn wait_permit(&self) {
        while !self.permit.swap(false, Ordering::AcqRel) {
            std::thread::park();
        }
    }
}

/// `name` cut to TASK_COMM_LEN - 1 = 15 bytes (at a character boundary)
/// and NUL-padded, as two words.
fn comm_words(name: &str) -> [AtomicU64; 2] {
    let mut end = name.len().min(15);
    while !name.is_char_boundary(end) {
        end -= 1;
    }
    let mut b = [0u8; 16];
    b[..end].copy_from_slice(&name.as_bytes()[..end]);
    [
        AtomicU64::new(u64::from_ne_bytes(b[..8].try_into().expect("8 bytes"))),
        AtomicU64::new(u64::from_ne_bytes(b[8..].try_into().expect("8 bytes"))),
    ]
}

impl std::fmt::Debug for Task {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.comm(), self.pid)
    }
}
