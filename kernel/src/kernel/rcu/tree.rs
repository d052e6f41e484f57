//! Grace periods, quiescent states and callbacks (the "tree" RCU of
//! kernel/rcu/tree.c, with a single node: usk has at most 64 CPUs).
//!
//! `gp_seq` counts grace periods with Linux's encoding: the low two bits are
//! the state (0 idle, 1 in progress), the rest the number of grace periods
//! started. A callback queued when `gp_seq` is `s` may run once `gp_seq`
//! reaches `rcu_seq_snap(s)`: the end of the first grace period that starts
//! after it was queued.
//!
//! The `rcu_sched` kthread starts a grace period when a callback needs one,
//! sets `qsmask` to the online CPUs and waits. A CPU clears its bit when it
//! passes a quiescent state after noticing the grace period: a context
//! switch (`rcu_note_context_switch`, called by `__schedule`), a tick that
//! interrupted the idle task (`rcu_sched_clock_irq`), or — checked by the
//! kthread every few jiffies (`force_quiescent_state`) — a dynticks counter
//! showing the CPU was idle or has been idle since the grace period began.
//! In the preemptible flavour, readers blocked inside a critical section
//! also hold up the end. Callbacks then run in RCU_SOFTIRQ on the CPU that
//! queued them, in queue order, `blimit` per softirq run.
//!
//! Invariants: a callback never runs before a full grace period has elapsed
//! since it was queued; callbacks of one CPU run in the order they were
//! queued; `qsmask` only loses bits while a grace period is in progress.

use super::rcu_read_lock_held;
use crate::init::kernel::{kernel, Kernel};
use crate::kernel::kthread::{kthread_run, kthread_should_stop};
use crate::kernel::locking::Mutex as KMutex;
use crate::kernel::module::{current_module, module_text_check, Module};
use crate::kernel::percpu::PerCpu;
use crate::kernel::preempt::{local_irq_restore, local_irq_save};
use crate::kernel::sched::completion::Completion;
use crate::kernel::sched::task::Task;
use crate::kernel::sched::wait::{wait_event, wait_event_interruptible_timeout, WaitQueueHead};
use crate::kernel::smp::{on_each_cpu, smp_call_function_single, smp_processor_id};
use crate::kernel::softirq::{__raise_softirq_irqoff, raise_softirq, RCU_SOFTIRQ};
use crate::kernel::time::{time_after, HZ};
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

const RCU_SEQ_STATE_MASK: u64 = 3;
/// Default `rcutree.blimit`: callbacks invoked per softirq run.
pub const DEFAULT_BLIMIT: usize = 10;
/// `jiffies_till_first_fqs` / `jiffies_till_next_fqs`.
pub const JIFFIES_TILL_FQS: u64 = 3;
/// `jiffies_till_sched_qs`: after this long, ask a holdout CPU to switch.
pub const JIFFIES_TILL_SCHED_QS: u64 = 25;
/// `CONFIG_RCU_CPU_STALL_TIMEOUT` (seconds).
pub const RCU_CPU_STALL_TIMEOUT: u64 = 21;

/// `rcu_seq_snap()`: the `gp_seq` value after which a full grace period
/// has elapsed since `s`.
#[inline]
pub fn rcu_seq_snap(s: u64) -> u64 {
    (s + 2 * RCU_SEQ_STATE_MASK + 1) & !RCU_SEQ_STATE_MASK
}

/// `rcu_seq_done()`.
#[inline]
pub fn rcu_seq_done(cur: u64, snap: u64) -> bool {
    (cur.wrapping_sub(snap) as i64) >= 0
}

#[inline]
fn rcu_seq_state(s: u64) -> u64 {
    s & RCU_SEQ_STATE_MASK
}

struct Cb {
    snap: u64,
    func: Box<dyn FnOnce() + Send>,
    owner: Option<Arc<Module>>,
}

/// `struct rcu_data`: one CPU's view.
pub struct RcuData {
    cbs: Mutex<VecDeque<Cb>>,
    /// The grace period this CPU last noticed.
    gp_seq: AtomicU64,
    /// This CPU still owes the noticed grace period a quiescent state.
    cpu_no_qs: AtomicBool,
    /// Odd while the CPU is active, even while idle (dynticks).
    dynticks: AtomicU64,
    dynticks_snap: AtomicU64,
    exp_need_qs: AtomicBool,
    pub n_qs: AtomicU64,
    pub n_cbs_queued: AtomicU64,
    pub n_cbs_invoked: AtomicU64,
    /// Softirq runs that stopped at `blimit` with callbacks still ready.
    pub n_batches_deferred: AtomicU64,
}

impl Default for RcuData {
    fn default() -> Self {
        RcuData {
            cbs: Mutex::new(VecDeque::new()),
            gp_seq: AtomicU64::new(0),
            cpu_no_qs: AtomicBool::new(false),
            dynticks: AtomicU64::new(1),
            dynticks_snap: AtomicU64::new(1),
            exp_need_qs: AtomicBool::new(false),
            n_qs: AtomicU64::new(0),
            n_cbs_queued: AtomicU64::new(0),
            n_cbs_invoked: AtomicU64::new(0),
            n_batches_deferred: AtomicU64::new(0),
        }
    }
}

/// `struct rcu_state`.
pub struct RcuState {
    pub gp_seq: AtomicU64,
    gp_seq_needed: AtomicU64,
    qsmask: Mutex<u64>,
    gp_start: AtomicU64,
    gp_wq: WaitQueueHead,
    gp_kthread: OnceLock<Arc<Task>>,
    pub rdp: PerCpu<RcuData>,
    pub blimit: usize,
    pub preemptible: bool,
    /// Preemptible flavour: readers switched out inside a section, with the
    /// `gp_seq` when they blocked and whether their CPU still owed that
    /// grace period a quiescent state.
    blocked: Mutex<Vec<(Arc<Task>, u64, bool)>>,
    stall_timeout: u64,
    stall_next: AtomicU64,
    pub n_gps: AtomicU64,
    // rcu_barrier()
    barrier_mutex: OnceLock<KMutex<()>>,
    barrier_count: AtomicI64,
    barrier_done: Completion,
    /// What the first barrier callback of the last rcu_barrier() saw:
    /// (callbacks posted, CPUs). Quick Quiz #4 says they are always equal.
    pub barrier_first_cb: Mutex<(i64, usize)>,
    // expedited
    exp_mutex: OnceLock<KMutex<()>>,
    exp_mask: Mutex<u64>,
    exp_wq: WaitQueueHead,
    pub n_exp: AtomicU64,
}

impl RcuState {
    /// Fails only if `preemptible` and the readers' static calls cannot be
    /// patched on this host.
    pub fn new(
        nr_cpus: usize,
        preemptible: bool,
        stall_timeout_secs: u64,
        blimit: usize,
    ) -> std::io::Result<Self> {
        // Debug builds call the reader code directly and patch nothing.
        if preemptible && !cfg!(debug_assertions) {
            super::PREEMPT_RCU.inc()?;
        }
        Ok(RcuState {
            gp_seq: AtomicU64::new(0),
            gp_seq_needed: AtomicU64::new(0),
            qsmask: Mutex::new(0),
            gp_start: AtomicU64::new(0),
            gp_wq: WaitQueueHead::new(),
            gp_kthread: OnceLock::new(),
            rdp: PerCpu::new(nr_cpus, |_| RcuData::default()),
            blimit: blimit.max(1),
            preemptible,
            blocked: Mutex::new(Vec::new()),
            stall_timeout: stall_timeout_secs.max(1) * HZ,
            stall_next: AtomicU64::new(0),
            n_gps: AtomicU64::new(0),
            barrier_mutex: OnceLock::new(),
            barrier_count: AtomicI64::new(0),
            barrier_done: Completion::new(),
            barrier_first_cb: Mutex::new((0, 0)),
            exp_mutex: OnceLock::new(),
            exp_mask: Mutex::new(0),
            exp_wq: WaitQueueHead::new(),
            n_exp: AtomicU64::new(0),
        })
    }

    fn gp_needed(&self) -> bool {
        let cur = self.gp_seq.load(Ordering::Acquire);
        !rcu_seq_done(cur, self.gp_seq_needed.load(Ordering::Acquire))
    }

    /// The grace period in progress may end: every CPU reported, and no
    /// reader that blocked before it began — or during it, on a CPU that had
    /// not yet reported — is still inside its critical section.
    fn gp_can_end(&self) -> bool {
        let g = self.gp_seq.load(Ordering::Acquire);
        *self.qsmask.lock() == 0
            && !self
                .blocked
                .lock()
                .iter()
                .any(|&(_, bg, owed)| ((bg.wrapping_sub(g)) as i64) < 0 || (bg == g && owed))
    }

    /// Callbacks queued on `cpu` (for debugfs and rcu_needs_cpu).
    pub fn cbs_queued(&self, cpu: usize) -> usize {
        self.rdp.per_cpu(cpu).cbs.lock().len()
    }

    /// `rcu_needs_cpu()`: keep the tick while this CPU has callbacks.
    pub fn needs_cpu(&self, cpu: usize) -> bool {
        self.cbs_queued(cpu) > 0
    }
}

impl Drop for RcuState {
    fn drop(&mut self) {
        if self.preemptible && !cfg!(debug_assertions) {
            super::PREEMPT_RCU.dec();
        }
    }
}

/// Whether this kernel runs the preemptible flavour.
#[inline]
pub fn preemptible() -> bool {
    kernel().rcu.preemptible
}

/// Clear `cpu`'s bit for the grace period in progress.
fn rcu_report_qs(k: &Kernel, cpu: usize) {
    let rs = &k.rcu;
    let mut q = rs.qsmask.lock();
    if rcu_seq_state(rs.gp_seq.load(Ordering::Acquire)) == 0 || *q & (1 << cpu) == 0 {
        return;
    }
    *q &= !(1 << cpu);
    let done = *q == 0;
    drop(q);
    if done {
        rs.gp_wq.wake_up();
    }
}

/// `note_gp_changes()`: notice a new grace period.
fn note_gp_changes(k: &Kernel, cpu: usize) {
    let rdp = k.rcu.rdp.per_cpu(cpu);
    let g = k.rcu.gp_seq.load(Ordering::Acquire);
    if rdp.gp_seq.load(Ordering::Relaxed) != g {
        rdp.gp_seq.store(g, Ordering::Relaxed);
        if rcu_seq_state(g) != 0 {
            rdp.cpu_no_qs.store(true, Ordering::Release);
        }
    }
}

/// `rcu_qs()`: this CPU is in a quiescent state now.
fn rcu_qs(k: &Kernel, cpu: usize) {
    note_gp_changes(k, cpu);
    let rdp = k.rcu.rdp.per_cpu(cpu);
    if rdp.cpu_no_qs.swap(false, Ordering::AcqRel) {
        rdp.n_qs.fetch_add(1, Ordering::Relaxed);
        rcu_report_qs(k, cpu);
    }
    if rdp.exp_need_qs.swap(false, Ordering::AcqRel) {
        rcu_report_exp(k, cpu);
    }
}

/// `rcu_all_qs()`: `cond_resched()` outside any read-side critical section
/// is a quiescent state (a non-preemptible kernel may not call it inside
/// one), so CPU-bound kernel loops do not stall grace periods.
#[inline]
pub(crate) fn rcu_all_qs(k: &Kernel, cpu: usize) {
    let rdp = k.rcu.rdp.per_cpu(cpu);
    if rcu_seq_state(k.rcu.gp_seq.load(Ordering::Relaxed)) == 0
        && !rdp.exp_need_qs.load(Ordering::Relaxed)
    {
        return;
    }
    if (cfg!(debug_assertions) || k.rcu.preemptible)
        && crate::current()
            .rcu_read_lock_nesting
            .load(Ordering::Relaxed)
            > 0
    {
        return;
    }
    rcu_qs(k, cpu);
}

/// `rcu_note_context_switch()`: called by `__schedule()` for the outgoing
/// task; a context switch is a quiescent state for its CPU.
pub(crate) fn rcu_note_context_switch(k: &Kernel, cpu: usize, prev: &Arc<Task>, preempt: bool) {
    let nesting = prev.rcu_read_lock_nesting.load(Ordering::Relaxed);
    if nesting > 0 && !prev.is_idle() {
        if k.rcu.preemptible {
            // Preempted (or blocked) reader: it now holds up the current
            // grace period until it leaves its critical section.
            if !prev.rcu_blocked.swap(true, Ordering::AcqRel) {
                let g = k.rcu.gp_seq.load(Ordering::Acquire);
                let owed = *k.rcu.qsmask.lock() & (1 << cpu) != 0;
                k.rcu.blocked.lock().push((Arc::clone(prev), g, owed));
            }
        } else if !preempt {
            crate::WARN!(
                true,
                "Voluntary context switch within RCU read-side critical section!"
            );
        }
    }
    rcu_qs(k, cpu);
}

/// `rcu_read_unlock_special()`: a preemptible reader that was blocked left
/// its outermost critical section.
pub(crate) fn rcu_read_unlock_special() {
    let me = crate::current();
    if me.rcu_blocked.swap(false, Ordering::AcqRel) {
        let k = kernel();
        k.rcu
            .blocked
            .lock()
            .retain(|(t, _, _)| !Arc::ptr_eq(t, &me));
        k.rcu.gp_wq.wake_up();
    }
}

/// `rcu_sched_clock_irq()`: the tick's part (hardirq context). `idle`: the
/// tick interrupted the idle loop.
pub(crate) fn rcu_sched_clock_irq(k: &Kernel, cpu: usize, idle: bool) {
    if idle {
        rcu_qs(k, cpu);
    } else {
        note_gp_changes(k, cpu);
    }
    let rdp = k.rcu.rdp.per_cpu(cpu);
    let g = k.rcu.gp_seq.load(Ordering::Acquire);
    let ready = rdp
        .cbs
        .lock()
        .front()
        .is_some_and(|c| rcu_seq_done(g, c.snap));
    if ready {
        __raise_softirq_irqoff(RCU_SOFTIRQ);
    }
}

/// `rcu_idle_enter()`/`rcu_idle_exit()`: dynticks counter flips to even
/// while the CPU is idle.
pub(crate) fn rcu_dynticks_flip(k: &Kernel, cpu: usize) {
    k.rcu
        .rdp
        .per_cpu(cpu)
        .dynticks
        .fetch_add(1, Ordering::SeqCst);
}

/// `rcu_core()`: RCU_SOFTIRQ — notice grace periods, report, and invoke up
/// to `blimit` ready callbacks in queue order.
fn rcu_core() {
    let k = kernel();
    let cpu = smp_processor_id();
    note_gp_changes(&k, cpu);
    let rdp = k.rcu.rdp.per_cpu(cpu);
    let mut n = 0;
    loop {
        let g = k.rcu.gp_seq.load(Ordering::Acquire);
        let cb = {
            let mut q = rdp.cbs.lock();
            match q.front() {
                Some(c) if rcu_seq_done(g, c.snap) => q.pop_front(),
                _ => None,
            }
        };
        let Some(cb) = cb else { break };
        invoke_cb(cb);
        rdp.n_cbs_invoked.fetch_add(1, Ordering::Relaxed);
        n += 1;
        if n >= k.rcu.blimit {
            let g = k.rcu.gp_seq.load(Ordering::Acquire);
            if rdp
                .cbs
                .lock()
                .front()
                .is_some_and(|c| rcu_seq_done(g, c.snap))
            {
                // Deferred to allow other processing: another softirq run.
                rdp.n_batches_deferred.fetch_add(1, Ordering::Relaxed);
                __raise_softirq_irqoff(RCU_SOFTIRQ);
            }
            break;
        }
    }
}

fn invoke_cb(cb: Cb) {
    if let Some(m) = &cb.owner {
        // The callback's code is in module text: gone if it was unloaded.
        module_text_check(m, "rcu_do_batch");
    }
    crate::kernel::module::with_module_context(cb.owner.clone(), cb.func);
}

/// `call_rcu()`: run `func` after a grace period, in softirq context on
/// this CPU.
pub fn call_rcu(func: impl FnOnce() + Send + 'static) {
    let k = kernel();
    let rs = &k.rcu;
    let owner = current_module();
    let flags = local_irq_save();
    let cpu = smp_processor_id();
    let snap = rcu_seq_snap(rs.gp_seq.load(Ordering::Acquire));
    let rdp = rs.rdp.per_cpu(cpu);
    rdp.cbs.lock().push_back(Cb {
        snap,
        func: Box::new(func),
        owner,
    });
    rdp.n_cbs_queued.fetch_add(1, Ordering::Relaxed);
    let prev = rs.gp_seq_needed.fetch_max(snap, Ordering::AcqRel);
    local_irq_restore(flags);
    if !rcu_seq_done(prev, snap) {
        rs.gp_wq.wake_up();
    }
}

/// `synchronize_rcu()`: wait until every reader that might have started
/// before the call has finished (`wait_rcu_gp`: call_rcu + completion).
#[track_caller]
pub fn synchronize_rcu() {
    crate::kernel::panic::might_sleep();
    if rcu_read_lock_held() && cfg!(debug_assertions) {
        crate::WARN!(
            true,
            "synchronize_rcu() in an RCU read-side critical section"
        );
    }
    let done = Arc::new(Completion::new());
    let d2 = Arc::clone(&done);
    call_rcu(move || d2.complete());
    done.wait_for_completion();
}

fn rcu_report_exp(k: &Kernel, cpu: usize) {
    let mut m = k.rcu.exp_mask.lock();
    if *m & (1 << cpu) != 0 {
        *m &= !(1 << cpu);
        if *m == 0 {
            drop(m);
            k.rcu.exp_wq.wake_up_all();
        }
    }
}

/// `synchronize_rcu_expedited()`: IPI every other CPU; an idle CPU reports
/// at once, a busy one at its next context switch (which the IPI requests).
#[track_caller]
pub fn synchronize_rcu_expedited() {
    crate::kernel::panic::might_sleep();
    let k = kernel();
    let mtx = k.rcu.exp_mutex.get_or_init(|| KMutex::new(()));
    let _g = mtx.lock();
    let me = smp_processor_id();
    let mask = k.online_mask() & !(1 << me);
    *k.rcu.exp_mask.lock() = mask;
    for cpu in 0..k.nr_cpus() {
        if mask & (1 << cpu) != 0 {
            smp_call_function_single(cpu, move || rcu_exp_handler(cpu), false);
        }
    }
    wait_event(&k.rcu.exp_wq, || *k.rcu.exp_mask.lock() == 0);
    k.rcu.n_exp.fetch_add(1, Ordering::Relaxed);
}

/// `rcu_exp_handler()`, in the IPI.
fn rcu_exp_handler(cpu: usize) {
    let k = kernel();
    let idle = crate::current().is_idle();
    if idle {
        rcu_report_exp(&k, cpu);
    } else {
        k.rcu
            .rdp
            .per_cpu(cpu)
            .exp_need_qs
            .store(true, Ordering::Release);
        crate::current().need_resched.store(true, Ordering::Release);
    }
}

/// `rcu_barrier()`, as Dipankar Sarma wrote it (seed 002): post a callback
/// on every CPU's queue with `on_each_cpu(…, wait=1)`, count them, and wait
/// for the last one. Callbacks on one CPU never overtake each other, so when
/// every barrier callback has run, every callback queued before has too.
#[track_caller]
pub fn rcu_barrier() {
    crate::BUG_ON!(crate::kernel::preempt::in_interrupt());
    let k = kernel();
    let mtx = k.rcu.barrier_mutex.get_or_init(|| KMutex::new(()));
    let _g = mtx.lock();
    k.rcu.barrier_done.reinit();
    k.rcu.barrier_count.store(0, Ordering::SeqCst);
    *k.rcu.barrier_first_cb.lock() = (0, 0);
    on_each_cpu(rcu_barrier_func, true);
    k.rcu.barrier_done.wait_for_completion();
}

/// Runs on each CPU (in the IPI, or locally with interrupts off).
fn rcu_barrier_func() {
    let k = kernel();
    k.rcu.barrier_count.fetch_add(1, Ordering::SeqCst);
    call_rcu_unowned(rcu_barrier_callback);
}

fn rcu_barrier_callback() {
    let k = kernel();
    {
        let mut first = k.rcu.barrier_first_cb.lock();
        if first.1 == 0 {
            *first = (k.rcu.barrier_count.load(Ordering::SeqCst), k.nr_cpus());
        }
    }
    if k.rcu.barrier_count.fetch_sub(1, Ordering::SeqCst) == 1 {
        k.rcu.barrier_done.complete();
    }
}

/// `call_rcu` for the kernel's own callbacks (never module text).
fn call_rcu_unowned(func: fn()) {
    crate::kernel::module::with_module_context(None, move || call_rcu(func));
}

/// The grace-period kthread (`rcu_gp_kthread`).
fn rcu_gp_kthread() -> i32 {
    let k = kernel();
    let rs = &k.rcu;
    loop {
        let _ = wait_event_interruptible_timeout(
            &rs.gp_wq,
            || kthread_should_stop() || rs.gp_needed(),
            crate::kernel::sched::MAX_SCHEDULE_TIMEOUT,
        );
        if kthread_should_stop() {
            return 0;
        }
        if !rs.gp_needed() {
            continue;
        }
        rcu_gp_init(&k);
        loop {
            let _ = wait_event_interruptible_timeout(
                &rs.gp_wq,
                || kthread_should_stop() || rs.gp_can_end(),
                JIFFIES_TILL_FQS,
            );
            if kthread_should_stop() {
                return 0;
            }
            if rs.gp_can_end() {
                break;
            }
            force_quiescent_state(&k);
            check_cpu_stall(&k);
            if rs.gp_can_end() {
                break;
            }
        }
        rcu_gp_cleanup(&k);
    }
}

fn rcu_gp_init(k: &Kernel) {
    let rs = &k.rcu;
    let mut q = rs.qsmask.lock();
    let g = rs.gp_seq.load(Ordering::Acquire) + 1;
    rs.gp_seq.store(g, Ordering::Release);
    for cpu in 0..k.nr_cpus() {
        let rdp = rs.rdp.per_cpu(cpu);
        rdp.dynticks_snap
            .store(rdp.dynticks.load(Ordering::SeqCst), Ordering::Relaxed);
    }
    *q = k.online_mask();
    crate::trace::trace(&crate::trace::events::RCU_GRACE_PERIOD, |w| {
        w.str(8, 16, "rcu_sched")
            .i64(24, g as i64)
            .str(32, 16, "start");
    });
    let now = k.jiffies();
    rs.gp_start.store(now, Ordering::Release);
    rs.stall_next
        .store(now + rs.stall_timeout, Ordering::Release);
}

/// `force_quiescent_state()`: report for CPUs that are idle, or have been
/// idle at some point since the grace period started.
fn force_quiescent_state(k: &Kernel) {
    let pending = *k.rcu.qsmask.lock();
    for cpu in 0..k.nr_cpus() {
        if pending & (1 << cpu) == 0 {
            continue;
        }
        let rdp = k.rcu.rdp.per_cpu(cpu);
        let snap = rdp.dynticks_snap.load(Ordering::Relaxed);
        let cur = rdp.dynticks.load(Ordering::SeqCst);
        if snap.is_multiple_of(2) || cur != snap {
            rcu_report_qs(k, cpu);
        } else if k
            .jiffies()
            .wrapping_sub(k.rcu.gp_start.load(Ordering::Relaxed))
            > JIFFIES_TILL_SCHED_QS
        {
            // rcu_implicit_dynticks_qs(): a CPU hogging the grace period is
            // asked to reschedule, so its next cond_resched() switches.
            let curr = k.rqs.per_cpu(cpu).curr();
            curr.need_resched.store(true, Ordering::Release);
            k.irqchip.send_vector(cpu, hw::Vector::Reschedule);
        }
    }
}

fn rcu_gp_cleanup(k: &Kernel) {
    let rs = &k.rcu;
    let g = rs.gp_seq.load(Ordering::Acquire);
    rs.gp_seq
        .store((g | RCU_SEQ_STATE_MASK) + 1, Ordering::Release);
    rs.n_gps.fetch_add(1, Ordering::Relaxed);
    crate::trace::trace(&crate::trace::events::RCU_GRACE_PERIOD, |w| {
        w.str(8, 16, "rcu_sched")
            .i64(24, g as i64)
            .str(32, 16, "end");
    });
    // Let CPUs with callbacks now ready run them without waiting a tick.
    let g = rs.gp_seq.load(Ordering::Acquire);
    for cpu in 0..k.nr_cpus() {
        let ready = rs
            .rdp
            .per_cpu(cpu)
            .cbs
            .lock()
            .front()
            .is_some_and(|c| rcu_seq_done(g, c.snap));
        if ready {
            smp_call_function_single(cpu, || raise_softirq(RCU_SOFTIRQ), false);
        }
    }
}

/// CPU-stall warning, in Linux's words.
fn check_cpu_stall(k: &Kernel) {
    let rs = &k.rcu;
    let now = k.jiffies();
    let next = rs.stall_next.load(Ordering::Acquire);
    if !time_after(now, next) {
        return;
    }
    rs.stall_next
        .store(now + 3 * rs.stall_timeout, Ordering::Release);
    let pending = *rs.qsmask.lock();
    if pending == 0 {
        return;
    }
    crate::pr_err!("rcu: INFO: rcu_sched detected stalls on CPUs/tasks:");
    for cpu in 0..k.nr_cpus() {
        if pending & (1 << cpu) == 0 {
            continue;
        }
        let rdp = rs.rdp.per_cpu(cpu);
        crate::pr_err!(
            "rcu: \t{cpu}-...!: (0 ticks this GP) idle={:x}/0/0x0 softirq={}/{} fqs={}",
            rdp.dynticks.load(Ordering::Relaxed),
            k.softirq.count(cpu, RCU_SOFTIRQ),
            k.softirq.count(cpu, RCU_SOFTIRQ),
            (now - rs.gp_start.load(Ordering::Relaxed)) / JIFFIES_TILL_FQS
        );
    }
    crate::pr_err!(
        "\t(detected by {}, t={} jiffies, g={}, q={} ncpus={})",
        smp_processor_id(),
        now - rs.gp_start.load(Ordering::Relaxed),
        rs.gp_seq.load(Ordering::Relaxed),
        (0..k.nr_cpus()).map(|c| rs.cbs_queued(c)).sum::<usize>(),
        k.nr_cpus()
    );
    for cpu in 0..k.nr_cpus() {
        if pending & (1 << cpu) != 0 {
            let t = k.rqs.per_cpu(cpu).curr();
            crate::pr_err!("Sending NMI from CPU {} to CPUs {cpu}:", smp_processor_id());
            crate::pr_err!(
                "NMI backtrace for cpu {cpu}\nCPU: {cpu} PID: {} Comm: {} {}",
                t.pid,
                t.comm(),
                crate::kernel::panic::UTS_RELEASE
            );
        }
    }
}

/// `rcu_init()`: the softirq and the grace-period kthread.
pub(crate) fn rcu_init(k: &Kernel) {
    crate::kernel::softirq::open_softirq(RCU_SOFTIRQ, rcu_core);
    let t = kthread_run(rcu_gp_kthread, "rcu_sched");
    let _ = k.rcu.gp_kthread.set(t);
    crate::pr_info!(
        "rcu: {}RCU implementation.",
        if k.rcu.preemptible {
            "Preemptible hierarchical "
        } else {
            "Hierarchical "
        }
    );
    crate::pr_info!(
        "rcu: \tRCU calculated value of scheduler-enlistment delay is {} jiffies.",
        JIFFIES_TILL_FQS
    );
    crate::fs::proc::rcu_debugfs_init(k);
}

pub(crate) fn rcu_shutdown(k: &Kernel) {
    if let Some(t) = k.rcu.gp_kthread.get() {
        crate::kernel::kthread::kthread_stop(t);
    }
}

/// `/sys/kernel/debug/rcu/rcu_data`: per-CPU state in the style of the old
/// rcudata file.
pub fn show_rcu_data(m: &mut crate::fs::seq_file::SeqFile) -> std::fmt::Result {
    use std::fmt::Write;
    let k = kernel();
    let rs = &k.rcu;
    let g = rs.gp_seq.load(Ordering::Acquire);
    writeln!(
        m,
        "rcu_sched: gp_seq={} completed={} gp_in_progress={} qsmask={:#x} expedited={}",
        g,
        rs.n_gps.load(Ordering::Relaxed),
        (rcu_seq_state(g) != 0) as u8,
        *rs.qsmask.lock(),
        rs.n_exp.load(Ordering::Relaxed)
    )?;
    for cpu in 0..k.nr_cpus() {
        let r = rs.rdp.per_cpu(cpu);
        writeln!(
            m,
            "{cpu:3} c={} g={} pq={} qp={} dt={:#x} ql={} b={} ci={} cq={} bd={}",
            r.gp_seq.load(Ordering::Relaxed) >> 2,
            g >> 2,
            (!r.cpu_no_qs.load(Ordering::Relaxed)) as u8,
            r.n_qs.load(Ordering::Relaxed),
            r.dynticks.load(Ordering::Relaxed),
            rs.cbs_queued(cpu),
            rs.blimit,
            r.n_cbs_invoked.load(Ordering::Relaxed),
            r.n_cbs_queued.load(Ordering::Relaxed),
            r.n_batches_deferred.load(Ordering::Relaxed),
        )?;
    }
    let (posted, cpus) = *rs.barrier_first_cb.lock();
    writeln!(
        m,
        "barrier: first callback saw {posted} of {cpus} CPUs posted"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seq_snap_waits_for_a_full_grace_period() {
        // Idle after one GP (4): the next GP ends at 8.
        assert_eq!(rcu_seq_snap(4), 8);
        // GP in progress (5): it may have started before us; wait for the next (12).
        assert_eq!(rcu_seq_snap(5), 12);
        assert!(rcu_seq_done(8, 8) && !rcu_seq_done(7, 8));
        assert!(rcu_seq_done(u64::MAX.wrapping_add(9), 8));
    }
}
