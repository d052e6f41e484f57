//! The `Kernel`: one booted instance of usk and everything it owns.
//!
//! Linux keeps its state in globals; usk keeps it in one `Kernel` so that
//! several kernels can boot in one process (tests do). Code running on a
//! kernel thread reaches its instance with [`kernel()`], the equivalent of
//! Linux simply naming a global. The fields are grouped by subsystem, and
//! per-CPU state is a `PerCpu<T>` field of the subsystem that owns it.

use super::cmdline::Cmdline;
use super::main::BootError;
use crate::fs::proc::ProcFs;
use crate::kernel::irq::IrqDescs;
use crate::kernel::kthread::KthreadCreateList;
use crate::kernel::percpu::PerCpu;
use crate::kernel::printk::{Console, Printk, DEFAULT_LOG_BUF_LEN};
use crate::kernel::sched::core::Rq;
use crate::kernel::sched::det::Det;
use crate::kernel::sched::fair::FairTunables;
use crate::kernel::sched::loadavg::LoadAvg;
use crate::kernel::sched::task::{Pid, Task, PF_IDLE, PF_KTHREAD, TASK_RUNNING};
use crate::kernel::smp::CallQueue;
use crate::kernel::softirq::Softirq;
use crate::kernel::time::timer::TimerBase;
use crate::kernel::workqueue::Workqueues;
use hw::{Clock, InterruptController, LapicTimer, TimerQueue};
use parking_lot::{Condvar, Mutex, RwLock};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;

/// Largest supported CPU count (CPU masks are 64-bit).
pub const NR_CPUS: usize = 64;
/// `pid_max` default and `RESERVED_PIDS`.
pub const PID_MAX_DEFAULT: Pid = 32768;
pub const RESERVED_PIDS: Pid = 300;

/// What init runs when there is no user space to exec.
pub type InitFn = Box<dyn FnOnce() -> i32 + Send>;

/// How to boot.
pub struct BootConfig {
    pub cpus: usize,
    pub mem_bytes: u64,
    pub seed: u64,
    pub deterministic: bool,
    pub cmdline: String,
    pub console: Console,
    /// The body of init (pid 1); `None` runs the boot self-tests and prints
    /// the /proc files named in `show`.
    pub init: Option<InitFn>,
    /// /proc paths the default init prints after the self-tests.
    pub show: Vec<String>,
    /// Built-in init commands run by the default init (until user space
    /// exists): `insmod`, `rmmod`, `lsmod`, `modinfo`, `sleep`, `cat`.
    pub commands: Vec<String>,
    /// What the console tty (/dev/console) is connected to.
    pub tty_console: hw::ConsoleBackend,
    /// NUMA nodes memory is split into (`--numa N`).
    pub numa_nodes: usize,
    /// Files the root filesystem starts with (an initramfs): path, mode,
    /// contents. Missing parent directories are created.
    pub initramfs: Vec<(String, u32, Vec<u8>)>,
    /// When set, pid 1 execs this program (`argv[0]` is the path) instead
    /// of running the built-in init: user space.
    pub init_argv: Option<Vec<String>>,
    /// Log every system call in strace's format (`--strace`).
    pub strace: bool,
}

impl Default for BootConfig {
    fn default() -> Self {
        BootConfig {
            cpus: 2,
            mem_bytes: 128 << 20,
            seed: 0,
            deterministic: false,
            cmdline: String::new(),
            console: Console::Stdout,
            init: None,
            show: Vec::new(),
            commands: Vec::new(),
            tty_console: hw::ConsoleBackend::Null,
            numa_nodes: 1,
            initramfs: Vec::new(),
            init_argv: None,
            strace: false,
        }
    }
}

/// Why the machine stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ExitReason {
    /// init finished; its exit code.
    PowerOff(i32),
    /// `panic()` with this message.
    Panic(String),
}

/// Per-CPU architectural state.
pub struct CpuState {
    /// The CPU's interrupt flag is clear (`local_irq_disable`).
    pub irqs_off: AtomicBool,
    /// The idle task is parked in a halt.
    pub halted: AtomicBool,
    /// NO_HZ: the periodic tick is stopped.
    pub tick_stopped: AtomicBool,
    pub online: AtomicBool,
    /// The CPU's clock event device.
    pub lapic: Arc<LapicTimer>,
    /// Time spent in user mode, ns (charged by the syscall layer).
    pub user_ns: AtomicU64,
    pub(crate) idle_thread: OnceLock<std::thread::Thread>,
}

impl CpuState {
    pub(crate) fn idle_thread_unpark(&self) {
        if let Some(t) = self.idle_thread.get() {
            t.unpark();
        }
    }
}

pub struct Kernel {
    /// Unique among the kernels this process ever boots (never 0), unlike
    /// the kernel's address, which a later kernel may reuse.
    pub(crate) instance_id: u64,
    pub cmdline: Cmdline,
    pub mem_bytes: u64,
    pub preempt_full: bool,
    pub nohz: bool,
    pub cpu_mhz: u64,
    pub boot_time_secs: u64,
    pub(crate) init_fn: Mutex<Option<InitFn>>,
    pub(crate) show: Vec<String>,
    pub(crate) commands: Vec<String>,
    pub(crate) initramfs: Mutex<Vec<(String, u32, Vec<u8>)>>,
    pub(crate) init_argv: Option<Vec<String>>,
    /// `--strace`: system calls are logged here (and to the host's stderr
    /// when the console is the host's stdout).
    strace: bool,
    strace_log: Mutex<String>,
    strace_to_stderr: bool,
    /// The OOM killer's victim still exiting, 0 if none.
    pub(crate) oom_victim: std::sync::atomic::AtomicI32,
    pub(crate) user_pages_at_exit: Mutex<Option<u64>>,

    // The machine.
    pub clock: Arc<Clock>,
    pub timerq: Arc<TimerQueue>,
    pub irqchip: Arc<InterruptController>,
    pub(crate) cpus: PerCpu<CpuState>,
    online_mask: AtomicU64,

    // Scheduler.
    pub rqs: PerCpu<Rq>,
    pub det: Option<Det>,
    pub fair: FairTunables,
    pub loadavg: LoadAvg,
    pub nr_context_switches: AtomicU64,
    pub nr_forks: AtomicU64,
    pub(crate) tasks: RwLock<BTreeMap<Pid, Arc<Task>>>,
    last_pid: Mutex<Pid>,
    pub(crate) kthread_create_list: KthreadCreateList,

    // Interrupts, softirqs, time, SMP calls, workqueues.
    pub irq: IrqDescs,
    pub softirq: Softirq,
    pub timer_bases: PerCpu<TimerBase>,
    pub jiffies_64: AtomicU64,
    pub call_queues: PerCpu<CallQueue>,
    pub workqueues: Workqueues,
    pub(crate) wq_stopping: AtomicBool,

    // RCU and modules.
    pub rcu: crate::kernel::rcu::RcuState,
    pub modules: crate::kernel::module::Modules,
    pub cgroups: crate::kernel::cgroup::Cgroups,

    // Tracing.
    pub tracing: crate::trace::Tracing,
    pub tracefs: ProcFs,
    pub(crate) trace_at_power_off: Mutex<(String, String)>,

    // Logging, bug reports, procfs.
    pub printk: Printk,
    pub taint: AtomicU32,
    pub oops_count: AtomicU32,
    pub(crate) might_sleep_last: AtomicU64,
    pub procfs: ProcFs,
    pub debugfs: ProcFs,

    // Files: mounts, filesystems, character devices.
    pub vfs: crate::fs::Vfs,
    pub tty: crate::drivers::tty::TtyDrivers,

    // Memory management.
    pub mm: Arc<crate::mm::Mm>,

    // Life cycle.
    pub(crate) threads: Mutex<Vec<JoinHandle<()>>>,
    pub(crate) live_threads: Arc<std::sync::atomic::AtomicUsize>,
    halting: AtomicBool,
    pub(crate) panicked: AtomicBool,
    exit: Mutex<Option<ExitReason>>,
    exit_cv: Condvar,
}

/// A reference to the running kernel, valid on kernel threads only. It is
/// deliberately neither `Send` nor `Sync`: it must not outlive the thread.
pub struct KernelRef {
    ptr: *const Kernel,
}

impl std::ops::Deref for KernelRef {
    type Target = Kernel;
    #[inline]
    fn deref(&self) -> &Kernel {
        // SAFETY: created only from a non-null thread-local kernel pointer,
        // valid while the (non-Send) KernelRef lives on that thread; see
        // sched/current.rs for the invariant.
        unsafe { &*self.ptr }
    }
}

/// The kernel the calling kernel thread belongs to.
#[inline]
pub fn kernel() -> KernelRef {
    let ptr = crate::kernel::sched::current::kernel_ptr();
    assert!(!ptr.is_null(), "kernel() used outside a kernel thread");
    KernelRef { ptr }
}

impl Kernel {
    /// Fails only if the command line asks for the preemptible RCU flavour
    /// on a host that will not let usk patch its `rcu_read_lock()` sites.
    pub(crate) fn new(cfg: &mut BootConfig, mm: crate::mm::Mm) -> Result<Self, BootError> {
        let n = cfg.cpus;
        let cmdline = Cmdline::parse(&cfg.cmdline);
        let clock = Arc::new(if cfg.deterministic {
            Clock::virtual_clock()
        } else {
            Clock::real()
        });
        let timerq = TimerQueue::new(Arc::clone(&clock));
        let irqchip = Arc::new(InterruptController::new(n));
        let loglevel = if let Some(l) = cmdline.get("loglevel").and_then(|v| v.parse().ok()) {
            l
        } else if cmdline.has("quiet") {
            4
        } else {
            7
        };
        let log_buf_len = cmdline
            .get("log_buf_len")
            .and_then(parse_size)
            .map(|v| v as usize)
            .unwrap_or(DEFAULT_LOG_BUF_LEN);
        let idle_tasks: Vec<Arc<Task>> = (0..n)
            .map(|c| {
                let t = Arc::new(Task::new(
                    0,
                    0,
                    &format!("swapper/{c}"),
                    PF_IDLE | PF_KTHREAD,
                    None,
                    0,
                ));
                t.state.store(TASK_RUNNING, Ordering::Release);
                t.cpu.store(c, Ordering::Release);
                t.cpus_allowed.store(1 << c, Ordering::Release);
                t
            })
            .collect();
        let loadavg = LoadAvg::default();
        loadavg.calc_load_update.store(
            crate::kernel::time::INITIAL_JIFFIES + crate::kernel::time::LOAD_FREQ,
            Ordering::Relaxed,
        );
        let boot_time_secs = if cfg.deterministic {
            0
        } else {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0)
        };
        let rcu = crate::kernel::rcu::RcuState::new(
            n,
            cmdline.get("rcu") == Some("preempt") || cmdline.get("preempt") == Some("full"),
            cmdline
                .get("rcupdate.rcu_cpu_stall_timeout")
                .and_then(|v| v.parse().ok())
                .unwrap_or(crate::kernel::rcu::tree::RCU_CPU_STALL_TIMEOUT),
            cmdline
                .get("rcutree.blimit")
                .and_then(|v| v.parse().ok())
                .unwrap_or(crate::kernel::rcu::tree::DEFAULT_BLIMIT),
        )
        .map_err(|e| {
            BootError::Rcu(format!(
                "preemptible RCU (rcu=preempt or preempt=full): cannot patch rcu_read_lock(): {e}"
            ))
        })?;
        let tracing = crate::trace::Tracing::new(
            n,
            cmdline
                .get("trace_buf_size")
                .and_then(parse_size)
                .map(|b| (b as usize / 1024).max(1))
                .unwrap_or(crate::trace::DEFAULT_BUFFER_KB),
        );
        static NEXT_INSTANCE: AtomicU64 = AtomicU64::new(1);
        Ok(Kernel {
            instance_id: NEXT_INSTANCE.fetch_add(1, Ordering::Relaxed),
            preempt_full: cmdline.get("preempt") == Some("full"),
            nohz: cmdline.get("nohz") != Some("off"),
            cmdline,
            mem_bytes: cfg.mem_bytes,
            cpu_mhz: 2000,
            boot_time_secs,
            init_fn: Mutex::new(cfg.init.take()),
            show: std::mem::take(&mut cfg.show),
            commands: std::mem::take(&mut cfg.commands),
            initramfs: Mutex::new(std::mem::take(&mut cfg.initramfs)),
            init_argv: cfg.init_argv.take(),
            strace: cfg.strace,
            strace_log: Mutex::new(String::new()),
            strace_to_stderr: matches!(cfg.console, Console::Stdout),
            oom_victim: std::sync::atomic::AtomicI32::new(0),
            user_pages_at_exit: Mutex::new(None),
            cpus: PerCpu::new(n, |c| CpuState {
                irqs_off: AtomicBool::new(false),
                halted: AtomicBool::new(false),
                tick_stopped: AtomicBool::new(false),
                online: AtomicBool::new(false),
                lapic: LapicTimer::new(c, Arc::clone(&timerq), Arc::clone(&irqchip)),
                user_ns: AtomicU64::new(0),
                idle_thread: OnceLock::new(),
            }),
            online_mask: AtomicU64::new(0),
            rqs: PerCpu::new(n, |c| Rq::new(Arc::clone(&idle_tasks[c]))),
            det: cfg.deterministic.then(|| Det::new(cfg.seed)),
            fair: FairTunables::for_cpus(n),
            loadavg,
            nr_context_switches: AtomicU64::new(0),
            nr_forks: AtomicU64::new(0),
            tasks: RwLock::new(BTreeMap::new()),
            last_pid: Mutex::new(0),
            kthread_create_list: KthreadCreateList::default(),
            irq: IrqDescs::new(hw::irqchip::NR_IRQ_LINES, n),
            softirq: Softirq::new(n),
            timer_bases: PerCpu::new(n, |_| TimerBase::default()),
            jiffies_64: AtomicU64::new(crate::kernel::time::INITIAL_JIFFIES),
            call_queues: PerCpu::new(n, |_| CallQueue::default()),
            workqueues: Workqueues::default(),
            wq_stopping: AtomicBool::new(false),
            rcu,
            modules: crate::kernel::module::Modules::new(n),
            cgroups: crate::kernel::cgroup::Cgroups::new(n),
            tracing,
            tracefs: ProcFs::new(false),
            trace_at_power_off: Mutex::new((String::new(), String::new())),
            printk: Printk::new(std::mem::take(&mut cfg.console), loglevel, log_buf_len),
            taint: AtomicU32::new(0),
            oops_count: AtomicU32::new(0),
            might_sleep_last: AtomicU64::new(0),
            procfs: ProcFs::new(true),
            debugfs: ProcFs::new(false),
            vfs: crate::fs::Vfs::new(),
            tty: crate::drivers::tty::TtyDrivers::new(std::mem::take(&mut cfg.tty_console)),
            mm: Arc::new(mm),
            threads: Mutex::new(Vec::new()),
            live_threads: Arc::new(std::sync::atomic::AtomicUsize::new(0)),
            halting: AtomicBool::new(false),
            panicked: AtomicBool::new(false),
            exit: Mutex::new(None),
            exit_cv: Condvar::new(),
            clock,
            timerq,
            irqchip,
        })
    }

    #[inline]
    pub fn nr_cpus(&self) -> usize {
        self.rqs.nr_cpus()
    }

    /// This CPU's architectural state.
    #[inline]
    pub fn cpu_state(&self) -> &CpuState {
        self.cpus.this_cpu()
    }

    #[inline]
    pub fn cpu_state_of(&self, cpu: usize) -> &CpuState {
        self.cpus.per_cpu(cpu)
    }

    /// Whether system calls are being traced (`--strace`).
    #[inline]
    pub fn strace_enabled(&self) -> bool {
        self.strace
    }

    /// Record one strace line.
    pub(crate) fn strace_emit(&self, line: &str) {
        if self.strace_to_stderr {
            eprintln!("{line}");
        }
        let mut l = self.strace_log.lock();
        l.push_str(line);
        l.push('\n');
    }

    /// Everything strace logged so far.
    pub fn strace_log(&self) -> String {
        self.strace_log.lock().clone()
    }

    pub fn is_halting(&self) -> bool {
        self.halting.load(Ordering::Acquire)
    }

    #[inline]
    pub fn is_deterministic(&self) -> bool {
        self.det.is_some()
    }

    /// `jiffies_64`.
    #[inline]
    pub fn jiffies(&self) -> u64 {
        self.jiffies_64.load(Ordering::Acquire)
    }

    /// `cpu_online_mask`.
    pub fn online_mask(&self) -> u64 {
        self.online_mask.load(Ordering::Acquire)
    }

    pub(crate) fn set_cpu_online(&self, cpu: usize) {
        self.cpus.per_cpu(cpu).online.store(true, Ordering::Release);
        self.online_mask.fetch_or(1 << cpu, Ordering::AcqRel);
    }

    /// `alloc_pid()`: the next free pid after the last one, wrapping from
    /// `pid_max` back to `RESERVED_PIDS`.
    pub(crate) fn alloc_pid(&self) -> Pid {
        let mut last = self.last_pid.lock();
        let tasks = self.tasks.read();
        let mut pid = *last;
        loop {
            pid += 1;
            if pid >= PID_MAX_DEFAULT {
                pid = RESERVED_PIDS;
            }
            if !tasks.contains_key(&pid) {
                break;
            }
        }
        *last = pid;
        self.nr_forks.fetch_add(1, Ordering::Relaxed);
        pid
    }

    /// The most recently allocated pid (`/proc/loadavg`'s last field).
    pub fn last_pid(&self) -> Pid {
        *self.last_pid.lock()
    }

    /// `find_task_by_pid_ns()` in the initial namespace.
    pub fn find_task(&self, pid: Pid) -> Option<Arc<Task>> {
        self.tasks.read().get(&pid).cloned()
    }

    /// All live pids, ascending.
    pub fn pids(&self) -> Vec<Pid> {
        self.tasks.read().keys().copied().collect()
    }

    /// All live tasks, by pid.
    pub fn tasks(&self) -> Vec<Arc<Task>> {
        self.tasks.read().values().cloned().collect()
    }

    /// The idle task of `cpu`.
    pub fn idle_task(&self, cpu: usize) -> Arc<Task> {
        self.rqs.per_cpu(cpu).idle_task()
    }

    /// Stop the machine: `boot()` returns `reason` once every thread is
    /// joined. The first reason wins.
    pub(crate) fn power_off(&self, reason: ExitReason) {
        let mut g = self.exit.lock();
        if g.is_none() {
            *g = Some(reason);
        }
        self.exit_cv.notify_all();
    }

    pub(crate) fn wait_power_off(&self) -> ExitReason {
        let mut g = self.exit.lock();
        while g.is_none() {
            self.exit_cv.wait(&mut g);
        }
        g.clone().expect("set")
    }

    pub(crate) fn set_halting(&self) {
        self.halting.store(true, Ordering::Release);
    }
}

/// Parse a size like `256M`, `1G`, `4096`, `64k`.
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let (num, mult) = match s.char_indices().last()? {
        (i, 'k' | 'K') => (&s[..i], 1u64 << 10),
        (i, 'm' | 'M') => (&s[..i], 1 << 20),
        (i, 'g' | 'G') => (&s[..i], 1 << 30),
        _ => (s, 1),
    };
    num.parse::<u64>().ok()?.checked_mul(mult)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("256M"), Some(256 << 20));
        assert_eq!(parse_size("1g"), Some(1 << 30));
        assert_eq!(parse_size("4096"), Some(4096));
        assert_eq!(parse_size("x"), None);
        assert_eq!(parse_size(""), None);
        assert_eq!(parse_size("99999999999999G"), None);
    }
}
