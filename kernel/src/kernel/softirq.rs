//! Softirqs, ksoftirqd and tasklets (kernel/softirq.c).
//!
//! Ten vectors, in Linux's priority order (HI, TIMER, NET_TX, NET_RX, BLOCK,
//! IRQ_POLL, TASKLET, SCHED, HRTIMER, RCU), each with a per-CPU pending bit.
//! A raised softirq runs on the raising CPU: at `irq_exit()`, at
//! `local_bh_enable()`, or in that CPU's `ksoftirqd/N`. `__do_softirq`
//! serves pending vectors with interrupts enabled and `SOFTIRQ_OFFSET` in the
//! preempt count, restarts while new ones are raised — at most
//! `MAX_SOFTIRQ_RESTART` times and `MAX_SOFTIRQ_TIME` — and then defers the
//! rest to ksoftirqd so that a softirq flood cannot starve tasks.
//!
//! Tasklets ride on HI_SOFTIRQ and TASKLET_SOFTIRQ: a tasklet is queued at
//! most once (`TASKLET_STATE_SCHED`), never runs on two CPUs at once
//! (`TASKLET_STATE_RUN`), and a disabled tasklet stays queued until enabled.

use crate::init::kernel::{kernel, Kernel};
use crate::kernel::kthread;
use crate::kernel::percpu::PerCpu;
use crate::kernel::preempt::*;
use crate::kernel::sched::task::{Task, TASK_INTERRUPTIBLE, TASK_RUNNING};
use crate::kernel::sched::{schedule, set_current_state, wake_up_process};
use crate::kernel::smp::smp_processor_id;
use parking_lot::{Mutex, RwLock};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

pub const HI_SOFTIRQ: usize = 0;
pub const TIMER_SOFTIRQ: usize = 1;
pub const NET_TX_SOFTIRQ: usize = 2;
pub const NET_RX_SOFTIRQ: usize = 3;
pub const BLOCK_SOFTIRQ: usize = 4;
pub const IRQ_POLL_SOFTIRQ: usize = 5;
pub const TASKLET_SOFTIRQ: usize = 6;
pub const SCHED_SOFTIRQ: usize = 7;
pub const HRTIMER_SOFTIRQ: usize = 8;
pub const RCU_SOFTIRQ: usize = 9;
pub const NR_SOFTIRQS: usize = 10;

pub const SOFTIRQ_NAMES: [&str; NR_SOFTIRQS] = [
    "HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER", "RCU",
];

pub const MAX_SOFTIRQ_RESTART: u32 = 10;
pub const MAX_SOFTIRQ_TIME_NS: u64 = 2_000_000;

type Action = Arc<dyn Fn() + Send + Sync>;

#[derive(Default)]
pub struct SoftirqCpu {
    pending: AtomicU32,
    /// `kstat_softirqs`: how often each vector ran here.
    pub counts: [AtomicU64; NR_SOFTIRQS],
    ksoftirqd: OnceLock<Arc<Task>>,
    tasklet_vec: Mutex<VecDeque<Arc<Tasklet>>>,
    tasklet_hi_vec: Mutex<VecDeque<Arc<Tasklet>>>,
}

pub struct Softirq {
    vec: RwLock<[Option<Action>; NR_SOFTIRQS]>,
    pub cpu: PerCpu<SoftirqCpu>,
}

impl Softirq {
    pub fn new(nr_cpus: usize) -> Self {
        Softirq {
            vec: RwLock::new(Default::default()),
            cpu: PerCpu::new(nr_cpus, |_| SoftirqCpu::default()),
        }
    }

    pub fn pending(&self, cpu: usize) -> u32 {
        self.cpu.per_cpu(cpu).pending.load(Ordering::Relaxed)
    }

    pub fn count(&self, cpu: usize, nr: usize) -> u64 {
        self.cpu.per_cpu(cpu).counts[nr].load(Ordering::Relaxed)
    }

    pub(crate) fn ksoftirqd(&self, cpu: usize) -> Option<&Arc<Task>> {
        self.cpu.per_cpu(cpu).ksoftirqd.get()
    }
}

/// `open_softirq()`: install the handler of vector `nr`.
pub fn open_softirq(nr: usize, action: impl Fn() + Send + Sync + 'static) {
    kernel().softirq.vec.write()[nr] = Some(Arc::new(action));
}

/// `local_softirq_pending()`.
pub fn local_softirq_pending() -> u32 {
    kernel().softirq.pending(smp_processor_id())
}

/// `__raise_softirq_irqoff()`: just mark it pending.
pub fn __raise_softirq_irqoff(nr: usize) {
    crate::trace::trace(&crate::trace::events::SOFTIRQ_RAISE, |w| {
        w.u32(8, nr as u32);
    });
    let k = kernel();
    k.softirq
        .cpu
        .this_cpu()
        .pending
        .fetch_or(1 << nr, Ordering::Relaxed);
}

/// `raise_softirq_irqoff()`: outside interrupt context nobody will run it
/// on the way out of an interrupt, so ksoftirqd is woken.
pub fn raise_softirq_irqoff(nr: usize) {
    __raise_softirq_irqoff(nr);
    if !in_interrupt() {
        wakeup_softirqd();
    }
}

/// `raise_softirq()`.
pub fn raise_softirq(nr: usize) {
    let flags = local_irq_save();
    raise_softirq_irqoff(nr);
    local_irq_restore(flags);
}

fn wakeup_softirqd() {
    let k = kernel();
    if let Some(t) = k.softirq.ksoftirqd(smp_processor_id()) {
        if t.state() != TASK_RUNNING {
            wake_up_process(t);
        }
    }
}

/// `do_softirq()`: run pending softirqs now unless in interrupt context.
pub fn do_softirq() {
    if in_interrupt() {
        return;
    }
    let flags = local_irq_save();
    if local_softirq_pending() != 0 {
        __do_softirq();
    }
    local_irq_restore(flags);
}

/// `invoke_softirq()` from `irq_exit()` (interrupts are disabled).
pub(crate) fn invoke_softirq() {
    __do_softirq();
}

/// `__do_softirq()`; called with interrupts disabled, returns with them
/// disabled.
pub fn __do_softirq() {
    let k = kernel();
    let start = k.clock.now_ns();
    let end = start + MAX_SOFTIRQ_TIME_NS;
    let mut restart = MAX_SOFTIRQ_RESTART;
    let cpu = smp_processor_id();
    let pcpu = k.softirq.cpu.per_cpu(cpu);
    preempt_count_add(SOFTIRQ_OFFSET);
    let st = k.cpu_state_of(cpu);
    loop {
        let pending = pcpu.pending.swap(0, Ordering::Relaxed);
        st.irqs_off.store(false, Ordering::Relaxed);
        let mut p = pending;
        while p != 0 {
            let nr = p.trailing_zeros() as usize;
            p &= p - 1;
            pcpu.counts[nr].fetch_add(1, Ordering::Relaxed);
            crate::trace::trace(&crate::trace::events::SOFTIRQ_ENTRY, |w| {
                w.u32(8, nr as u32);
            });
            let action = k.softirq.vec.read()[nr].clone();
            if let Some(a) = action {
                let pc = preempt_count();
                a();
                if preempt_count() != pc {
                    crate::pr_err!(
                        "huh, entered softirq {} {} with preempt_count {:08x}, exited with {:08x}?",
                        nr,
                        SOFTIRQ_NAMES[nr],
                        pc,
                        preempt_count()
                    );
                }
            }
            crate::trace::trace(&crate::trace::events::SOFTIRQ_EXIT, |w| {
                w.u32(8, nr as u32);
            });
        }
        st.irqs_off.store(true, Ordering::Relaxed);
        if pcpu.pending.load(Ordering::Relaxed) != 0 {
            restart -= 1;
            if k.clock.now_ns() < end && !crate::kernel::sched::core::need_resched() && restart > 0
            {
                continue;
            }
            wakeup_softirqd();
        }
        break;
    }
    preempt_count_sub(SOFTIRQ_OFFSET);
    k.irq
        .cpu_stat
        .per_cpu(cpu)
        .softirq_time_ns
        .fetch_add(k.clock.now_ns().saturating_sub(start), Ordering::Relaxed);
}

/// The body of `ksoftirqd/N`.
fn run_ksoftirqd() -> i32 {
    while !kthread::kthread_should_stop() {
        set_current_state(TASK_INTERRUPTIBLE);
        if local_softirq_pending() == 0 && !kthread::kthread_should_stop() {
            schedule();
        }
        set_current_state(TASK_RUNNING);
        local_irq_disable();
        if local_softirq_pending() != 0 {
            __do_softirq();
        }
        local_irq_enable();
        crate::kernel::sched::cond_resched();
    }
    0
}

/// `spawn_ksoftirqd()`: one per CPU, bound to it.
pub(crate) fn spawn_ksoftirqd(k: &Kernel) {
    for cpu in 0..k.nr_cpus() {
        let t = kthread::kthread_create_on_cpu(run_ksoftirqd, cpu, &format!("ksoftirqd/{cpu}"));
        let _ = k.softirq.cpu.per_cpu(cpu).ksoftirqd.set(Arc::clone(&t));
        wake_up_process(&t);
    }
}

pub(crate) fn stop_ksoftirqd(k: &Kernel) {
    for cpu in 0..k.nr_cpus() {
        if let Some(t) = k.softirq.ksoftirqd(cpu) {
            kthread::kthread_stop(t);
        }
    }
}

// ---- tasklets ----

const TASKLET_STATE_SCHED: u32 = 1;
const TASKLET_STATE_RUN: u32 = 2;

pub struct Tasklet {
    state: AtomicU32,
    /// Disable count (`tasklet_disable` nests).
    count: AtomicU32,
    func: Box<dyn Fn() + Send + Sync>,
}

impl Tasklet {
    /// `tasklet_setup()`/`DECLARE_TASKLET`.
    pub fn new(func: impl Fn() + Send + Sync + 'static) -> Arc<Self> {
        Arc::new(Tasklet {
            state: AtomicU32::new(0),
            count: AtomicU32::new(0),
            func: Box::new(func),
        })
    }

    pub fn is_scheduled(&self) -> bool {
        self.state.load(Ordering::Acquire) & TASKLET_STATE_SCHED != 0
    }

    fn schedule_on(self: &Arc<Self>, hi: bool) {
        if self.state.fetch_or(TASKLET_STATE_SCHED, Ordering::AcqRel) & TASKLET_STATE_SCHED != 0 {
            return;
        }
        let flags = local_irq_save();
        let k = kernel();
        let pcpu = k.softirq.cpu.this_cpu();
        if hi {
            pcpu.tasklet_hi_vec.lock().push_back(Arc::clone(self));
            raise_softirq_irqoff(HI_SOFTIRQ);
        } else {
            pcpu.tasklet_vec.lock().push_back(Arc::clone(self));
            raise_softirq_irqoff(TASKLET_SOFTIRQ);
        }
        local_irq_restore(flags);
    }

    /// `tasklet_schedule()`.
    pub fn schedule(self: &Arc<Self>) {
        self.schedule_on(false)
    }

    /// `tasklet_hi_schedule()`.
    pub fn hi_schedule(self: &Arc<Self>) {
        self.schedule_on(true)
    }

    /// `tasklet_disable()`: waits until a running instance finishes.
    pub fn disable(&self) {
        self.count.fetch_add(1, Ordering::AcqRel);
        self.unlock_wait();
    }

    /// `tasklet_enable()`.
    pub fn enable(&self) {
        self.count.fetch_sub(1, Ordering::AcqRel);
    }

    fn unlock_wait(&self) {
        while self.state.load(Ordering::Acquire) & TASKLET_STATE_RUN != 0 {
            crate::kernel::smp::cpu_relax();
        }
    }

    /// `tasklet_kill()`: wait until it is neither queued nor running.
    pub fn kill(&self) {
        if in_interrupt() {
            crate::pr_notice!("Attempt to kill tasklet from interrupt");
        }
        while self.state.load(Ordering::Acquire) & TASKLET_STATE_SCHED != 0 {
            crate::kernel::sched::yield_now();
        }
        self.unlock_wait();
    }
}

fn tasklet_action_common(hi: bool) {
    let k = kernel();
    let pcpu = k.softirq.cpu.this_cpu();
    let list: Vec<Arc<Tasklet>> = {
        let q = if hi {
            &pcpu.tasklet_hi_vec
        } else {
            &pcpu.tasklet_vec
        };
        q.lock().drain(..).collect()
    };
    for t in list {
        // tasklet_trylock()
        if t.state.fetch_or(TASKLET_STATE_RUN, Ordering::AcqRel) & TASKLET_STATE_RUN == 0 {
            if t.count.load(Ordering::Acquire) == 0 {
                if t.state.fetch_and(!TASKLET_STATE_SCHED, Ordering::AcqRel) & TASKLET_STATE_SCHED
                    == 0
                {
                    crate::BUG!();
                }
                (t.func)();
                t.state.fetch_and(!TASKLET_STATE_RUN, Ordering::AcqRel);
                continue;
            }
            t.state.fetch_and(!TASKLET_STATE_RUN, Ordering::AcqRel);
        }
        // Busy elsewhere or disabled: requeue.
        let q = if hi {
            &pcpu.tasklet_hi_vec
        } else {
            &pcpu.tasklet_vec
        };
        q.lock().push_back(t);
        __raise_softirq_irqoff(if hi { HI_SOFTIRQ } else { TASKLET_SOFTIRQ });
    }
}

/// `softirq_init()`: the tasklet vectors.
pub(crate) fn softirq_init() {
    open_softirq(TASKLET_SOFTIRQ, || tasklet_action_common(false));
    open_softirq(HI_SOFTIRQ, || tasklet_action_common(true));
}
