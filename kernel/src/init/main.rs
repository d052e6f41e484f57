//! `start_kernel()` and friends: boot, bring up the CPUs, run init, power
//! off, and tear the machine down so that no host thread outlives `boot()`.
//!
//! Boot order follows Linux: the boot CPU's idle task (`swapper/0`) runs
//! `start_kernel` (interrupts, softirqs, timers, the tick, procfs), then
//! `rest_init` creates init (pid 1) and kthreadd (pid 2) and becomes the
//! idle loop. init brings up the secondary CPUs (`smp_init`), starts
//! ksoftirqd and the workqueues, and runs the init program. When it returns,
//! init stops the kernel threads it owns and powers the machine off.
//!
//! Teardown (`boot`'s caller side): once power-off or a panic is signalled,
//! every task is told the machine is halting and granted a CPU; each unwinds
//! out of wherever it was parked, and all host threads are joined before the
//! `Kernel` is dropped.

use super::kernel::{BootConfig, ExitReason, Kernel, NR_CPUS};
use crate::kernel::kthread::{alloc_task, kthreadd, spawn_task_thread};
use crate::kernel::sched::core::wake_up_new_task;
use crate::kernel::sched::idle::{cpu_idle_loop, CpuKicker};
use crate::kernel::time::tick::tick_setup;
use crate::{kernel, pr_info, pr_notice};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Smallest memory usk boots with.
pub const MIN_MEM_BYTES: u64 = 16 << 20;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BootError {
    Cpus(usize),
    Mem(u64),
    /// The memory subsystem refused the configuration (bad `page_alloc=`,
    /// too little memory for `--numa N`, host out of memory).
    Mm(String),
    /// The RCU flavour asked for cannot run on this host.
    Rcu(String),
}

impl std::fmt::Display for BootError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            BootError::Cpus(n) => {
                write!(f, "invalid CPU count {n}: must be between 1 and {NR_CPUS}")
            }
            BootError::Mem(m) => write!(
                f,
                "invalid memory size {m} bytes: must be at least {} MiB",
                MIN_MEM_BYTES >> 20
            ),
            BootError::Mm(e) | BootError::Rcu(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for BootError {}

/// What a finished boot reports.
#[derive(Debug)]
pub struct BootOutcome {
    pub exit: ExitReason,
    /// The kernel log at power-off.
    pub dmesg: String,
    /// Host threads the kernel started and joined.
    pub threads_joined: usize,
    /// Kernel threads still alive after teardown (must be 0).
    pub threads_leaked: usize,
    /// The trace buffer (`/sys/kernel/tracing/trace`) at power-off, when
    /// events were enabled (e.g. with `trace_event=` on the command line).
    pub trace: String,
    /// The same records as Chrome Trace Event JSON.
    pub trace_json: String,
    /// After a user-space boot: anonymous, shmem and page-table pages still
    /// in use once every process exited (0 unless memory leaked).
    pub user_pages_at_exit: Option<u64>,
}

/// Boot a kernel, run init to completion, power off, and return.
pub fn boot(mut cfg: BootConfig) -> Result<BootOutcome, BootError> {
    if cfg.cpus == 0 || cfg.cpus > NR_CPUS {
        return Err(BootError::Cpus(cfg.cpus));
    }
    if cfg.mem_bytes < MIN_MEM_BYTES {
        return Err(BootError::Mem(cfg.mem_bytes));
    }
    crate::kernel::panic::install_panic_hook();
    let mm = crate::mm::Mm::new(
        &crate::mm::MmConfig::for_boot(cfg.mem_bytes, cfg.numa_nodes, cfg.cpus, &cfg.cmdline)
            .map_err(|e| BootError::Mm(e.to_string()))?,
    )
    .map_err(|e| BootError::Mm(e.to_string()))?;
    let k = Arc::new(Kernel::new(&mut cfg, mm)?);
    k.irqchip.set_kick(Arc::new(CpuKicker {
        kernel: Arc::downgrade(&k),
    }));
    let swapper = k.idle_task(0);
    spawn_task_thread(
        &k,
        Arc::clone(&swapper),
        Box::new(|| {
            start_kernel();
            0
        }),
    );
    swapper.grant();
    let exit = k.wait_power_off();
    let (threads_joined, threads_leaked) = teardown(&k);
    let (trace, trace_json) = std::mem::take(&mut *k.trace_at_power_off.lock());
    let dmesg = k.printk.dmesg();
    let user_pages_at_exit = *k.user_pages_at_exit.lock();
    Ok(BootOutcome {
        exit,
        dmesg,
        threads_joined,
        threads_leaked,
        trace,
        trace_json,
        user_pages_at_exit,
    })
}

fn trace_at_power_off(k: &Kernel) -> (String, String) {
    if crate::trace::events::all()
        .iter()
        .any(|e| k.tracing.is_enabled(e))
    {
        let recs = k.tracing.snapshot();
        let text = recs
            .iter()
            .map(|r| crate::trace::format_record(r) + "\n")
            .collect();
        (
            text,
            crate::trace::export::chrome_trace_json(&recs, k.nr_cpus()),
        )
    } else {
        (String::new(), String::new())
    }
}

fn teardown(k: &Arc<Kernel>) -> (usize, usize) {
    k.set_halting();
    let mut joined = 0;
    loop {
        for cpu in 0..k.nr_cpus() {
            k.idle_task(cpu).grant();
            k.cpu_state_of(cpu).idle_thread_unpark();
        }
        for t in k.tasks() {
            t.grant();
        }
        if let Some(d) = &k.det {
            d.external_event();
        }
        let handles: Vec<_> = std::mem::take(&mut *k.threads.lock());
        if handles.is_empty() {
            break;
        }
        for h in handles {
            let _ = h.join();
            joined += 1;
        }
    }
    k.timerq.shutdown();
    k.irqchip.clear_kick();
    // The events' static keys are shared by every kernel in the process.
    k.tracing.disable_all();
    let leaked = k.live_threads.load(Ordering::Acquire);
    k.tasks.write().clear();
    (joined, leaked)
}

/// `start_kernel()`, on the boot CPU's idle task.
fn start_kernel() {
    let k = kernel();
    pr_notice!(
        "Linux version {} (usk@usk) (rustc) #1 SMP PREEMPT_{}",
        crate::kernel::panic::UTS_RELEASE,
        if k.preempt_full { "DYNAMIC" } else { "NONE" }
    );
    pr_notice!("Command line: {}", k.cmdline.raw());
    pr_info!(
        "usk: {} mode, {} CPUs, {} MiB{}",
        if k.is_deterministic() {
            "deterministic"
        } else {
            "wall-clock"
        },
        k.nr_cpus(),
        k.mem_bytes >> 20,
        k.det
            .as_ref()
            .map(|d| format!(", seed {}", d.seed))
            .unwrap_or_default()
    );
    pr_info!(
        "setup_percpu: NR_CPUS:{NR_CPUS} nr_cpumask_bits:{n} nr_cpu_ids:{n} nr_node_ids:1",
        n = k.nr_cpus()
    );
    pr_notice!("Kernel command line: {}", k.cmdline.raw());
    pr_info!("NR_IRQS: {}", k.irq.nr_irqs());
    k.set_cpu_online(0);
    crate::kernel::softirq::softirq_init();
    crate::kernel::time::timer::init_timers();
    tick_setup(&k, 0);
    pr_info!(
        "clocksource: {}: mask: 0xffffffffffffffff max_cycles: 0x1cd42e4dffb, max_idle_ns: 881590591483 ns",
        if k.is_deterministic() { "usk-virtual" } else { "usk-host-monotonic" }
    );
    pr_info!(
        "Calibrating delay loop (skipped), value calculated using timer frequency.. {}.00 BogoMIPS (lpj={})",
        k.cpu_mhz * 2,
        k.cpu_mhz * 1000 * 1000 / crate::kernel::time::HZ
    );
    pr_info!(
        "pid_max: default: {} minimum: {}",
        super::kernel::PID_MAX_DEFAULT,
        super::kernel::RESERVED_PIDS + 1
    );
    crate::fs::proc::misc::proc_root_init(&k);
    crate::mm::mm_init(&k);
    crate::trace::tracefs::tracefs_init(&k);
    rest_init(&k);
    cpu_startup_entry();
}

/// `cpu_startup_entry()`: become this CPU's idle loop.
fn cpu_startup_entry() {
    let k = kernel();
    let cpu = crate::smp_processor_id();
    let _ = k.cpu_state_of(cpu).idle_thread.set(std::thread::current());
    cpu_idle_loop(&k);
}

/// `rest_init()`: create init and kthreadd.
fn rest_init(k: &Kernel) {
    let init = alloc_task(
        k,
        "swapper/0",
        crate::kernel::sched::task::PF_KTHREAD,
        false,
        None,
    );
    debug_assert_eq!(init.pid, 1);
    let kthreadd_task = alloc_task(
        k,
        "kthreadd",
        crate::kernel::sched::task::PF_KTHREAD,
        true,
        None,
    );
    spawn_task_thread(k, Arc::clone(&kthreadd_task), Box::new(kthreadd));
    spawn_task_thread(k, Arc::clone(&init), Box::new(kernel_init));
    init.state
        .store(crate::kernel::sched::task::TASK_NEW, Ordering::Release);
    kthreadd_task
        .state
        .store(crate::kernel::sched::task::TASK_NEW, Ordering::Release);
    wake_up_new_task(&kthreadd_task);
    wake_up_new_task(&init);
}

/// `smp_init()`: bring up the secondary CPUs.
fn smp_init(k: &Kernel) {
    pr_info!("smp: Bringing up secondary CPUs ...");
    if k.nr_cpus() > 1 {
        pr_info!("x86: Booting SMP configuration:");
        let list: Vec<String> = (1..k.nr_cpus()).map(|c| format!("#{c}")).collect();
        pr_info!(".... node  #0, CPUs:      {}", list.join(" "));
    }
    for cpu in 1..k.nr_cpus() {
        let idle = k.idle_task(cpu);
        spawn_task_thread(k, Arc::clone(&idle), Box::new(start_secondary));
        if !k.is_deterministic() {
            idle.grant();
        }
        k.set_cpu_online(cpu);
    }
    pr_info!("smp: Brought up 1 node, {} CPUs", k.nr_cpus());
}

/// `start_secondary()`: a secondary CPU's first code.
fn start_secondary() -> i32 {
    let k = kernel();
    tick_setup(&k, crate::smp_processor_id());
    cpu_startup_entry();
    0
}

/// `kernel_init()`: pid 1.
fn kernel_init() -> i32 {
    let k = kernel();
    crate::current().set_comm("init");
    crate::kernel::rcu::tree::rcu_init(&k);
    crate::kernel::module::modules_init(&k);
    crate::kernel::kallsyms::kallsyms_init(&k);
    crate::kernel::cgroup::cgroup_init(&k);
    smp_init(&k);
    crate::kernel::softirq::spawn_ksoftirqd(&k);
    crate::kernel::workqueue::workqueue_init(&k);
    crate::mm::vmscan::kswapd_run(&k);
    pr_info!("devtmpfs: initialized");
    if let Err(e) = crate::fs::vfs_caches_init(&k) {
        crate::kernel::panic::panic(&format!("VFS: Unable to mount root fs: {e}"));
    }
    let files = std::mem::take(&mut *k.initramfs.lock());
    if let Err(e) = super::initramfs::populate_rootfs(&k, &files) {
        crate::kernel::panic::panic(&format!("populate_rootfs: {e}"));
    }
    install_user_abi(&k);
    let body = k.init_fn.lock().take();
    let code = match (&k.init_argv, body) {
        (Some(argv), _) => run_init_process(&k, argv),
        (None, Some(f)) => f(),
        (None, None) => super::builtin::default_init(&k),
    };
    kernel_power_off(&k, code);
    code
}

/// Connect the process layer: the syscall entry user code calls, the
/// tty's job-control signals, and per-process cwd/root for path walks.
fn install_user_abi(k: &Kernel) {
    uapi::abi::install_kernel(&crate::arch::x86::entry::KERNEL_ENTRY);
    crate::drivers::tty::tty_set_signal_hook(crate::kernel::signal::tty_signal);
    k.vfs.set_current_fs_hook(|| {
        let me = crate::current();
        me.process().map(|p| p.fs())
    });
}

/// init has exited and the machine is going down: SIGKILL every other
/// user process, wait until they are gone, drop init's own address space
/// and files, and record what user memory is still in use (anonymous,
/// shmem and page-table pages: 0 unless something leaked).
fn reap_user_space(k: &Kernel, me: &Arc<crate::kernel::sched::task::Task>) {
    let others = || {
        k.tasks
            .read()
            .values()
            .filter(|t| t.pid != me.pid)
            .filter(|t| t.process().is_some_and(|p| p.exit_state() == 0))
            .cloned()
            .collect::<Vec<_>>()
    };
    for t in others() {
        let _ = crate::kernel::signal::send_signal(&t, uapi::signal::SIGKILL, true);
    }
    while !others().is_empty() {
        crate::kernel::sched::core::schedule_timeout_uninterruptible(1);
    }
    if let Some(p) = me.process() {
        drop(p.mm.lock().take());
        crate::arch::x86::entry::set_user_mm(None);
        drop(std::mem::replace(
            &mut *p.files.lock(),
            crate::fs::fdtable::FilesStruct::new(),
        ));
    }
    use crate::mm::vmstat::{NR_ANON_PAGES, NR_PAGETABLE, NR_SHMEM};
    let in_use: i64 = [NR_ANON_PAGES, NR_SHMEM, NR_PAGETABLE]
        .iter()
        .map(|&i| k.mm.global_node_stat(i))
        .sum();
    *k.user_pages_at_exit.lock() = Some(in_use.max(0) as u64);
    if in_use != 0 {
        crate::pr_warn!("usk: {in_use} user pages still in use after every process exited");
    }
}

/// `run_init_process()`: pid 1 becomes a user process running `argv[0]`.
/// Returns the exit code the machine powers off with (init's exit status,
/// or 128 + signal).
fn run_init_process(k: &Kernel, argv: &[String]) -> i32 {
    let Some(path) = argv.first() else {
        crate::kernel::panic::panic("No working init found.");
    };
    let me = crate::current();
    if let Err(e) = crate::kernel::fork::init_process_state(&me) {
        crate::kernel::panic::panic(&format!("init: cannot set up process state: {e}"));
    }
    pr_info!("Run {} as init process", path);
    let argv: Vec<Vec<u8>> = argv.iter().map(|a| a.as_bytes().to_vec()).collect();
    let envp = vec![
        b"HOME=/".to_vec(),
        b"TERM=linux".to_vec(),
        b"PATH=/sbin:/bin".to_vec(),
    ];
    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        crate::fs::exec::do_execve(path, argv, envp)
    }));
    let status = match r {
        Ok(e) => {
            crate::kernel::panic::panic(&format!("Requested init {path} failed (error {}).", -e.0));
        }
        Err(payload) => match payload.downcast_ref::<crate::kernel::panic::Unwind>() {
            Some(crate::kernel::panic::Unwind::Exec) => {
                let regs = *me.process().expect("init process").regs.lock();
                crate::arch::x86::entry::run_user(&me, regs)
            }
            _ => std::panic::resume_unwind(payload),
        },
    };
    reap_user_space(k, &me);
    if uapi::wait::wifexited(status) {
        uapi::wait::wexitstatus(status)
    } else {
        128 + uapi::wait::wtermsig(status)
    }
}

/// `kernel_power_off()`: stop the kernel threads we own, then halt.
fn kernel_power_off(k: &Kernel, code: i32) {
    crate::drivers::tty::console::console_shutdown();
    crate::kernel::workqueue::workqueue_shutdown(k);
    crate::mm::vmscan::kswapd_stop(k);
    crate::kernel::rcu::tree::rcu_shutdown(k);
    crate::kernel::softirq::stop_ksoftirqd(k);
    if let Some(kd) = crate::kernel::kthread::kthreadd_task(k) {
        crate::kernel::kthread::kthread_stop(&kd);
    }
    pr_notice!("reboot: Power down");
    // Taken here, on init, so that nothing runs after it in a
    // deterministic boot.
    *k.trace_at_power_off.lock() = trace_at_power_off(k);
    k.power_off(ExitReason::PowerOff(code));
}
