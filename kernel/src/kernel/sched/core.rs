//! The core scheduler: CPU slots, runqueues, `schedule()`, wake-ups,
//! preemption points, affinity and load balancing.
//!
//! ## CPUs are slots
//! Every task is a host thread. A task executes kernel code only while it is
//! its CPU's `curr`; everyone else is parked in [`Task::wait_permit`]. A
//! context switch on CPU `c` is: under the runqueue lock, pick `next`, make
//! it `curr`, then *grant* it (unpark its thread) and park the previous task.
//! Hence at most one host thread runs as a given CPU at any time, and
//! per-CPU data needs no more protection than in Linux.
//!
//! ## Locking and the wake-up race
//! Lock order is `p.pi_lock` → `rq.lock`. `__schedule()` decides whether the
//! previous task sleeps under both, and `try_to_wake_up()` changes the state
//! under `pi_lock`, so a wake-up either sees the task still on its runqueue
//! (and merely marks it running, which `__schedule` then honours) or sees it
//! dequeued and enqueues it. This is Linux's `on_rq` protocol; the
//! `set_current_state(); if (!cond) schedule();` idiom cannot lose a wake-up.
//!
//! ## Preemption
//! usk is non-preemptible by default: a task switches only in `schedule()`,
//! at `cond_resched()` and at the other preemption points, when
//! `need_resched` is set (by the tick when its slice is used up, or by a
//! wake-up). Each context switch increments the runqueue's `nr_switches`,
//! which is the quiescent-state hook RCU uses: a CPU that switched has left
//! every read-side critical section it was in.
//!
//! ## Balancing
//! A waking task goes to an idle CPU it may run on if there is one. An idle
//! CPU pulls a queued task from a busy one before halting, and the tick
//! kicks an idle CPU when its own queue holds waiting tasks.

use super::current::{current, with_current};
use super::det::det_yield;
use super::fair::{calc_delta_fair, sched_slice, FairQueue};
use super::task::*;
use crate::init::kernel::{kernel, Kernel};
use crate::kernel::panic::{unwind, Unwind};
use crate::kernel::preempt::preempt_count;
use hw::Vector;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use uapi::errno::{Errno, EINVAL};

pub const MAX_SCHEDULE_TIMEOUT: u64 = i64::MAX as u64;

pub(crate) struct RqInner {
    pub curr: Arc<Task>,
    pub idle: Arc<Task>,
    pub cfs: FairQueue,
}

/// `struct rq`: one per CPU.
pub struct Rq {
    pub(crate) inner: Mutex<RqInner>,
    /// Context switches on this CPU (the RCU quiescent-state hook).
    pub nr_switches: AtomicU64,
    /// Runnable tasks including a non-idle `curr` (lockless mirror).
    pub nr_running: AtomicUsize,
    /// Tasks queued behind `curr` (lockless mirror).
    pub nr_queued: AtomicUsize,
    pub nr_uninterruptible: AtomicI64,
    /// Lockless mirror of `cfs.min_vruntime`, for migrations.
    min_vruntime: AtomicU64,
    /// Idle time accumulated while `curr` was the idle task, ns.
    pub idle_ns: AtomicU64,
}

impl Rq {
    pub(crate) fn new(idle: Arc<Task>) -> Self {
        Rq {
            inner: Mutex::new(RqInner {
                curr: Arc::clone(&idle),
                idle,
                cfs: FairQueue::default(),
            }),
            nr_switches: AtomicU64::new(0),
            nr_running: AtomicUsize::new(0),
            nr_queued: AtomicUsize::new(0),
            nr_uninterruptible: AtomicI64::new(0),
            min_vruntime: AtomicU64::new(0),
            idle_ns: AtomicU64::new(0),
        }
    }

    /// The task holding this CPU now.
    pub fn curr(&self) -> Arc<Task> {
        Arc::clone(&self.inner.lock().curr)
    }

    pub fn idle_task(&self) -> Arc<Task> {
        Arc::clone(&self.inner.lock().idle)
    }

    /// `idle_cpu()`: nothing runs or waits here.
    pub fn is_idle(&self) -> bool {
        self.nr_running.load(Ordering::SeqCst) == 0
    }

    fn sync_counts(&self, g: &RqInner) {
        let q = g.cfs.len();
        self.nr_queued.store(q, Ordering::SeqCst);
        self.nr_running
            .store(q + (!g.curr.is_idle()) as usize, Ordering::SeqCst);
        self.min_vruntime
            .store(g.cfs.min_vruntime, Ordering::Relaxed);
    }
}

/// Charge the running task for the time since it was last charged.
fn update_curr(rq: &Rq, g: &mut RqInner, now: u64) {
    let curr = &g.curr;
    let start = curr.se.exec_start.swap(now, Ordering::Relaxed);
    let delta = now.saturating_sub(start);
    if delta == 0 {
        return;
    }
    curr.se.sum_exec_runtime.fetch_add(delta, Ordering::Relaxed);
    if curr.is_idle() {
        rq.idle_ns.fetch_add(delta, Ordering::Relaxed);
        return;
    }
    let v = curr
        .se
        .vruntime
        .fetch_add(calc_delta_fair(delta, curr.weight()), Ordering::Relaxed)
        + calc_delta_fair(delta, curr.weight());
    g.cfs.update_min_vruntime(Some(v));
}

/// `resched_curr()`: make `cpu`'s current task reschedule soon.
fn resched_curr(k: &Kernel, cpu: usize, curr: &Task) {
    curr.need_resched.store(true, Ordering::Release);
    if !crate::kernel::sched::current::in_kernel_thread() || with_current(|t| t.cpu()) != cpu {
        k.irqchip.send_vector(cpu, Vector::Reschedule);
    }
}

#[inline]
fn allowed_on(p: &Task, cpu: usize) -> bool {
    p.cpus_allowed() & (1u64 << cpu) != 0
}

/// `select_task_rq()`: where a waking task should run.
fn select_task_rq(k: &Kernel, p: &Task) -> usize {
    let n = k.nr_cpus();
    let prev = p.cpu();
    let mask = p.cpus_allowed() & k.online_mask();
    if mask == 0 {
        return prev.min(n - 1);
    }
    let in_task = crate::kernel::sched::current::in_kernel_thread();
    let this = if in_task {
        with_current(|t| t.cpu())
    } else {
        0
    };
    // wake_affine_idle() with WF_SYNC: the waker is about to sleep and runs
    // alone on its CPU, so the wakee runs there next instead of waking a
    // halted CPU (a pipe's reader and writer then share one CPU).
    if in_task
        && with_current(|t| t.wake_sync.load(Ordering::Relaxed))
        && mask & (1 << this) != 0
        && k.rqs.per_cpu(this).nr_running.load(Ordering::Relaxed) <= 1
    {
        return this;
    }
    if mask & (1 << prev) != 0 && k.rqs.per_cpu(prev).is_idle() {
        return prev;
    }
    for i in 0..n {
        let c = (this + i) % n;
        if mask & (1 << c) != 0 && k.rqs.per_cpu(c).is_idle() {
            return c;
        }
    }
    if mask & (1 << prev) != 0 {
        prev
    } else {
        mask.trailing_zeros() as usize
    }
}

/// Put a runnable task on `cpu`'s queue (caller holds that rq lock).
fn enqueue_on(k: &Kernel, cpu: usize, rq: &Rq, g: &mut RqInner, p: Arc<Task>, new_task: bool) {
    let old = p.cpu();
    if old != cpu {
        // Keep the task's lag relative to the queue it joins.
        let rel =
            p.se.vruntime
                .load(Ordering::Relaxed)
                .saturating_sub(k.rqs.per_cpu(old).min_vruntime.load(Ordering::Relaxed));
        p.se.vruntime
            .store(g.cfs.min_vruntime + rel, Ordering::Relaxed);
        p.stats.nr_migrations.fetch_add(1, Ordering::Relaxed);
        crate::trace::trace(&crate::trace::events::SCHED_MIGRATE_TASK, |w| {
            w.str(8, 16, &p.comm())
                .i32(24, p.pid)
                .i32(28, p.prio())
                .i32(32, old as i32)
                .i32(36, cpu as i32);
        });
        p.cpu.store(cpu, Ordering::Release);
    }
    let min = g.cfs.min_vruntime;
    let v = p.se.vruntime.load(Ordering::Relaxed);
    let placed = if new_task {
        min + sched_slice(
            &k.fair,
            g.cfs.len() + 1,
            g.cfs.load + p.weight(),
            p.weight(),
        )
    } else {
        v.max(min.saturating_sub(k.fair.latency / 2))
    };
    p.se.vruntime.store(placed, Ordering::Relaxed);
    g.cfs.enqueue(p);
    rq.sync_counts(g);
}

/// `try_to_wake_up()`: wake `p` if its state matches `state_mask`.
pub fn try_to_wake_up(p: &Arc<Task>, state_mask: u32) -> bool {
    let k = kernel();
    let _pi = p.pi_lock.lock();
    let st = p.state();
    if st & state_mask == 0 {
        return false;
    }
    if p.on_rq.load(Ordering::Acquire) {
        // Still on a runqueue (it has not reached schedule() yet, or is
        // switching out): marking it running is enough.
        p.state.store(TASK_RUNNING, Ordering::Release);
        return true;
    }
    let cpu = select_task_rq(&k, p);
    let rq = k.rqs.per_cpu(cpu);
    let mut g = rq.inner.lock();
    if st & TASK_UNINTERRUPTIBLE != 0 && st & TASK_NOLOAD == 0 {
        rq.nr_uninterruptible.fetch_sub(1, Ordering::Relaxed);
    }
    p.state.store(TASK_RUNNING, Ordering::Release);
    p.on_rq.store(true, Ordering::Release);
    // Bring the running task's vruntime up to date before comparing.
    update_curr(rq, &mut g, k.clock.now_ns());
    enqueue_on(&k, cpu, rq, &mut g, Arc::clone(p), st == TASK_NEW);
    let ev = if st == TASK_NEW {
        &crate::trace::events::SCHED_WAKEUP_NEW
    } else {
        &crate::trace::events::SCHED_WAKEUP
    };
    crate::trace::trace(ev, |w| {
        w.str(8, 16, &p.comm())
            .i32(24, p.pid)
            .i32(28, p.prio())
            .i32(32, cpu as i32);
    });
    let curr = Arc::clone(&g.curr);
    let preempt = curr.is_idle()
        || p.se.vruntime.load(Ordering::Relaxed) + k.fair.wakeup_granularity
            < curr.se.vruntime.load(Ordering::Relaxed);
    drop(g);
    if preempt {
        resched_curr(&k, cpu, &curr);
    }
    true
}

/// `wake_up_process()`.
pub fn wake_up_process(p: &Arc<Task>) -> bool {
    try_to_wake_up(p, TASK_NORMAL)
}

/// `wake_up_new_task()`: first wake-up of a task made by fork/kthread.
pub fn wake_up_new_task(p: &Arc<Task>) -> bool {
    try_to_wake_up(p, TASK_NEW)
}

/// `set_current_state()` (with the implied full barrier).
#[inline]
pub fn set_current_state(state: u32) {
    with_current(|t| t.state.store(state, Ordering::SeqCst));
}

/// `schedule()`: give up the CPU. If the caller's state is not
/// `TASK_RUNNING` it sleeps until woken.
#[track_caller]
pub fn schedule() {
    let k = kernel();
    if k.is_halting() {
        halt_exit();
        return;
    }
    let pc = preempt_count();
    if pc != 0 {
        schedule_bug(pc);
    }
    if k.is_deterministic() {
        det_yield(&k);
    }
    let prev = current();
    // sched_submit_work()/sched_update_worker(): workqueue concurrency
    // management learns when a worker blocks and runs again.
    let worker = prev.worker.get().cloned();
    if let Some(w) = &worker {
        if prev.state() != TASK_RUNNING {
            crate::kernel::workqueue::wq_worker_sleeping(w);
        }
    }
    __schedule(&k, prev, false);
    if let Some(w) = &worker {
        crate::kernel::workqueue::wq_worker_running(w);
    }
}

#[cold]
fn schedule_bug(pc: u32) {
    with_current(|t| {
        crate::pr_err!(
            "BUG: scheduling while atomic: {}/{}/0x{:08x}",
            t.comm(),
            t.pid,
            pc
        )
    });
    crate::kernel::panic::dump_stack();
}

/// Leave because the machine is going down: unwind unless already unwinding.
fn halt_exit() {
    if !std::thread::panicking() {
        unwind(Unwind::Halt);
    }
}

/// The switch itself. `preempt`: the caller stays runnable whatever its
/// state (involuntary switch).
pub(crate) fn __schedule(k: &Kernel, prev: Arc<Task>, preempt: bool) {
    let cpu = prev.cpu();
    // A context switch is a quiescent state for RCU.
    crate::kernel::rcu::tree::rcu_note_context_switch(k, cpu, &prev, preempt);
    let rq = k.rqs.per_cpu(cpu);
    let now = k.clock.now_ns();
    let pi = prev.pi_lock.lock();
    let mut g = rq.inner.lock();
    update_curr(rq, &mut g, now);
    let st = prev.state();
    let mut voluntary = false;
    if !preempt && st != TASK_RUNNING && !prev.is_idle() {
        voluntary = true;
        if st & (TASK_INTERRUPTIBLE | TASK_WAKEKILL) != 0
            && st & TASK_DEAD == 0
            && prev.signal_pending()
        {
            prev.state.store(TASK_RUNNING, Ordering::Release);
        } else {
            prev.on_rq.store(false, Ordering::Release);
            if st & TASK_UNINTERRUPTIBLE != 0 && st & TASK_NOLOAD == 0 {
                rq.nr_uninterruptible.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
    prev.need_resched.store(false, Ordering::Relaxed);
    let mut migrate = false;
    if prev.on_rq.load(Ordering::Relaxed) && !prev.is_idle() {
        if allowed_on(&prev, cpu) {
            g.cfs.enqueue(Arc::clone(&prev));
        } else {
            migrate = true;
        }
    }
    let next = g.cfs.pick_first().unwrap_or_else(|| Arc::clone(&g.idle));
    if Arc::ptr_eq(&next, &prev) {
        next.se
            .prev_sum_exec_runtime
            .store(next.sum_exec_runtime(), Ordering::Relaxed);
        rq.sync_counts(&g);
        return;
    }
    g.curr = Arc::clone(&next);
    next.se.exec_start.store(now, Ordering::Relaxed);
    next.se
        .prev_sum_exec_runtime
        .store(next.sum_exec_runtime(), Ordering::Relaxed);
    next.cpu.store(cpu, Ordering::Release);
    rq.sync_counts(&g);
    rq.nr_switches.fetch_add(1, Ordering::Relaxed);
    k.nr_context_switches.fetch_add(1, Ordering::Relaxed);
    if voluntary {
        prev.stats.nvcsw.fetch_add(1, Ordering::Relaxed);
    } else {
        prev.stats.nivcsw.fetch_add(1, Ordering::Relaxed);
    }
    crate::trace::trace(&crate::trace::events::SCHED_SWITCH, |w| {
        let state = if voluntary { st as i64 } else { 0x100 };
        w.str(8, 16, &prev.comm())
            .i32(24, prev.pid)
            .i32(28, prev.prio())
            .i64(32, state)
            .str(40, 16, &next.comm())
            .i32(56, next.pid)
            .i32(60, next.prio());
    });
    drop(g);
    drop(pi);
    if migrate {
        let _pi = prev.pi_lock.lock();
        let d = select_task_rq(k, &prev);
        let drq = k.rqs.per_cpu(d);
        let mut dg = drq.inner.lock();
        enqueue_on(k, d, drq, &mut dg, Arc::clone(&prev), false);
        let dcurr = Arc::clone(&dg.curr);
        drop(dg);
        if dcurr.is_idle() {
            // Always an IPI: our own `cpu` field already says `d`.
            dcurr.need_resched.store(true, Ordering::Release);
            k.irqchip.send_vector(d, Vector::Reschedule);
        }
    }
    let dead = st & TASK_DEAD != 0;
    next.grant();
    if dead {
        // The exiting thread returns to its entry point and ends.
        return;
    }
    prev.wait_permit();
    finish_task_switch(k);
}

/// Back on a CPU after a switch: leave if the machine is halting, then take
/// the interrupts that arrived meanwhile.
fn finish_task_switch(k: &Kernel) {
    if k.is_halting() {
        halt_exit();
        return;
    }
    crate::kernel::irq::irq_point();
}

/// `schedule()` for the idle task: switch to whatever is queued.
pub(crate) fn schedule_idle(k: &Kernel) {
    __schedule(k, current(), true);
}

/// `need_resched()`.
#[inline]
pub fn need_resched() -> bool {
    with_current(|t| t.need_resched.load(Ordering::Relaxed))
}

/// `preempt_schedule()`: the preemption point of `preempt=full`.
pub(crate) fn preempt_schedule() {
    if need_resched() && preempt_count() == 0 && !crate::kernel::preempt::irqs_disabled() {
        let k = kernel();
        if !k.is_halting() {
            __schedule(&k, current(), true);
        }
    }
}

/// `cond_resched()`: a preemption point. Returns whether it switched.
#[track_caller]
pub fn cond_resched() -> bool {
    let k = kernel();
    if k.is_halting() {
        halt_exit();
        return false;
    }
    if k.is_deterministic() {
        det_yield(&k);
    }
    crate::kernel::irq::irq_point();
    if need_resched() && preempt_count() == 0 && !crate::kernel::preempt::irqs_disabled() {
        __schedule(&k, current(), true);
        return true;
    }
    if preempt_count() == 0 {
        crate::kernel::rcu::tree::rcu_all_qs(&k, with_current(|t| t.cpu()));
    }
    false
}

/// `yield()`/`sched_yield()`: go to the back of this CPU's queue.
pub fn yield_now() {
    let k = kernel();
    let me = current();
    {
        let rq = k.rqs.per_cpu(me.cpu());
        let mut g = rq.inner.lock();
        update_curr(rq, &mut g, k.clock.now_ns());
        if let Some(last) = g.cfs.last_vruntime() {
            let v = me.se.vruntime.load(Ordering::Relaxed);
            me.se.vruntime.store(v.max(last + 1), Ordering::Relaxed);
        }
    }
    if k.is_deterministic() {
        det_yield(&k);
    }
    __schedule(&k, me, true);
}

/// `schedule_timeout()`: sleep in the state the caller set, at most
/// `timeout` jiffies. Returns the jiffies left (0 if it timed out).
#[track_caller]
pub fn schedule_timeout(timeout: u64) -> u64 {
    if timeout >= MAX_SCHEDULE_TIMEOUT {
        schedule();
        return MAX_SCHEDULE_TIMEOUT;
    }
    let k = kernel();
    let expire = k.jiffies().wrapping_add(timeout);
    let me = current();
    // process_timeout() is kernel text, whoever sleeps.
    let timer = crate::kernel::module::with_module_context(None, || {
        crate::kernel::time::timer::TimerList::new(move || {
            wake_up_process(&me);
        })
    });
    timer.mod_timer(expire);
    schedule();
    timer.del_timer_sync();
    let now = k.jiffies();
    if crate::kernel::time::time_after(expire, now) {
        expire.wrapping_sub(now)
    } else {
        0
    }
}

/// `schedule_timeout_interruptible()`.
pub fn schedule_timeout_interruptible(timeout: u64) -> u64 {
    set_current_state(TASK_INTERRUPTIBLE);
    schedule_timeout(timeout)
}

/// `schedule_timeout_uninterruptible()`.
pub fn schedule_timeout_uninterruptible(timeout: u64) -> u64 {
    set_current_state(TASK_UNINTERRUPTIBLE);
    schedule_timeout(timeout)
}

/// `set_cpus_allowed_ptr()`: restrict `p` to the CPUs in `mask`.
pub fn set_cpus_allowed(p: &Arc<Task>, mask: u64) -> Result<(), Errno> {
    let k = kernel();
    if mask & k.online_mask() == 0 {
        return Err(EINVAL);
    }
    let pi = p.pi_lock.lock();
    p.cpus_allowed.store(mask, Ordering::Release);
    let cpu = p.cpu();
    if mask & (1 << cpu) != 0 {
        return Ok(());
    }
    let rq = k.rqs.per_cpu(cpu);
    let mut g = rq.inner.lock();
    if Arc::ptr_eq(&g.curr, p) {
        let curr = Arc::clone(&g.curr);
        drop(g);
        drop(pi);
        if Arc::ptr_eq(p, &current()) {
            // Migrate ourselves now: __schedule re-queues us elsewhere.
            __schedule(&k, current(), true);
        } else {
            // Like Linux's migration stopper, return only once the task
            // has left the CPU it may no longer use: it moves at its next
            // scheduling point, which the resched request brings about.
            resched_curr(&k, cpu, &curr);
            while task_curr(&k, p) && p.cpus_allowed() & (1 << p.cpu()) == 0 {
                schedule_timeout_uninterruptible(1);
            }
        }
        return Ok(());
    }
    if let Some(t) = g.cfs.dequeue(p) {
        rq.sync_counts(&g);
        drop(g);
        let d = select_task_rq(&k, p);
        let drq = k.rqs.per_cpu(d);
        let mut dg = drq.inner.lock();
        enqueue_on(&k, d, drq, &mut dg, t, false);
        let dcurr = Arc::clone(&dg.curr);
        drop(dg);
        if dcurr.is_idle() {
            resched_curr(&k, d, &dcurr);
        }
    } else if !p.on_rq.load(Ordering::Acquire) {
        // Sleeping: it will be placed on an allowed CPU when woken.
        p.cpu
            .store(mask.trailing_zeros() as usize, Ordering::Release);
    }
    Ok(())
}

/// `task_sched_runtime()`: CPU time `p` has used, including the current
/// stint if it is running now.
pub fn task_sched_runtime(k: &Kernel, p: &Arc<Task>) -> u64 {
    let rq = k.rqs.per_cpu(p.cpu());
    let g = rq.inner.lock();
    let mut t = p.sum_exec_runtime();
    if Arc::ptr_eq(&g.curr, p) {
        t += k
            .clock
            .now_ns()
            .saturating_sub(p.se.exec_start.load(Ordering::Relaxed));
    }
    t
}

/// `task_curr()`: is `p` running on its CPU right now?
pub fn task_curr(k: &Kernel, p: &Arc<Task>) -> bool {
    Arc::ptr_eq(&k.rqs.per_cpu(p.cpu()).inner.lock().curr, p)
}

/// `set_user_nice()`.
pub fn set_user_nice(p: &Arc<Task>, nice: i32) {
    let k = kernel();
    let _pi = p.pi_lock.lock();
    let rq = k.rqs.per_cpu(p.cpu());
    let mut g = rq.inner.lock();
    let queued = g.cfs.dequeue(p);
    p.nice.store(nice.clamp(-20, 19), Ordering::Relaxed);
    if let Some(t) = queued {
        g.cfs.enqueue(t);
    }
}

/// The scheduler's part of the timer tick (`scheduler_tick()`).
pub(crate) fn scheduler_tick(k: &Kernel, cpu: usize) {
    let rq = k.rqs.per_cpu(cpu);
    let mut g = rq.inner.lock();
    update_curr(rq, &mut g, k.clock.now_ns());
    let curr = Arc::clone(&g.curr);
    let queued = g.cfs.len();
    if queued > 0 {
        let resched = curr.is_idle() || {
            let ran = curr
                .sum_exec_runtime()
                .saturating_sub(curr.se.prev_sum_exec_runtime.load(Ordering::Relaxed));
            let load = g.cfs.load + curr.weight();
            ran > sched_slice(&k.fair, queued + 1, load, curr.weight())
        };
        if resched {
            curr.need_resched.store(true, Ordering::Release);
        }
    }
    drop(g);
    // trigger_load_balance: wake an idle CPU that could take a queued task.
    if queued > 0 && !curr.is_idle() {
        kick_idle_balancer(k, cpu);
    }
}

fn kick_idle_balancer(k: &Kernel, busy: usize) {
    let tasks_mask = {
        let g = k.rqs.per_cpu(busy).inner.lock();
        g.cfs.tasks().fold(0u64, |m, t| m | t.cpus_allowed())
    };
    for c in 0..k.nr_cpus() {
        if c != busy && tasks_mask & (1 << c) != 0 && k.rqs.per_cpu(c).is_idle() {
            k.irqchip.send_vector(c, Vector::Reschedule);
            return;
        }
    }
}

/// `idle_balance()`/`newidle_balance()`: pull one queued task from another
/// CPU to idle `cpu`. Returns whether one was pulled.
pub(crate) fn idle_balance(k: &Kernel, cpu: usize) -> bool {
    let n = k.nr_cpus();
    for i in 1..n {
        let src = (cpu + i) % n;
        let srq = k.rqs.per_cpu(src);
        if srq.nr_queued.load(Ordering::SeqCst) == 0 {
            continue;
        }
        let stolen = {
            let mut g = srq.inner.lock();
            let t = g.cfs.steal_for(cpu);
            srq.sync_counts(&g);
            t
        };
        if let Some(p) = stolen {
            // Serialise with set_cpus_allowed() (which holds pi_lock): the
            // mask may have changed since we looked at it under the source
            // runqueue's lock.
            let _pi = p.pi_lock.lock();
            let dst = if allowed_on(&p, cpu) {
                cpu
            } else {
                select_task_rq(k, &p)
            };
            let rq = k.rqs.per_cpu(dst);
            let mut g = rq.inner.lock();
            enqueue_on(k, dst, rq, &mut g, Arc::clone(&p), false);
            let curr = Arc::clone(&g.curr);
            drop(g);
            if dst == cpu {
                curr.need_resched.store(true, Ordering::Release);
                return true;
            }
            resched_curr(k, dst, &curr);
            return false;
        }
    }
    false
}

/// `nr_running()`: runnable tasks on all CPUs.
pub fn nr_running(k: &Kernel) -> usize {
    k.rqs
        .iter()
        .map(|(_, rq)| rq.nr_running.load(Ordering::Relaxed))
        .sum()
}

/// `nr_iowait()`-style count of tasks in uninterruptible sleep.
pub fn nr_uninterruptible(k: &Kernel) -> i64 {
    k.rqs
        .iter()
        .map(|(_, rq)| rq.nr_uninterruptible.load(Ordering::Relaxed))
        .sum::<i64>()
        .max(0)
}
