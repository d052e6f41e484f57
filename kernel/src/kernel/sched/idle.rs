//! The idle loop (`do_idle`) and the CPU kick that ends a halt.
//!
//! Each CPU's idle task (`swapper/N`, pid 0) runs when nothing else can. It
//! takes interrupts, switches to queued work, tries to pull work from busy
//! CPUs, and otherwise *halts*: it stops the periodic tick if no timer is
//! due (`NO_HZ` idle) and parks its host thread until the interrupt
//! controller kicks the CPU. The halt protocol is race-free: the idle task
//! publishes `halted` and then re-checks for work, while a kicker makes the
//! work visible (pending bit, queued task) before it reads `halted`; both
//! sides use sequentially consistent accesses (Dekker).
//!
//! In deterministic mode the idle task never parks: it passes the run baton
//! and the deterministic scheduler advances virtual time when every CPU is
//! idle.

use super::core::{idle_balance, schedule_idle};
use super::current::with_current;
use super::det::det_yield;
use crate::init::kernel::Kernel;
use crate::kernel::irq::irq_point;
use std::sync::atomic::Ordering;

fn has_work(k: &Kernel, cpu: usize) -> bool {
    k.irqchip.has_pending(cpu)
        || k.rqs.per_cpu(cpu).nr_queued.load(Ordering::SeqCst) > 0
        || with_current(|t| t.need_resched.load(Ordering::SeqCst))
        || k.is_halting()
}

/// `cpu_startup_entry()`/`do_idle()`: returns only when the machine halts.
pub(crate) fn cpu_idle_loop(k: &Kernel) {
    loop {
        if k.is_halting() {
            return;
        }
        let cpu = with_current(|t| t.cpu());
        irq_point();
        if k.rqs.per_cpu(cpu).nr_queued.load(Ordering::SeqCst) > 0 {
            schedule_idle(k);
            continue;
        }
        with_current(|t| t.need_resched.store(false, Ordering::Relaxed));
        if idle_balance(k, cpu) {
            continue;
        }
        if k.is_deterministic() {
            det_yield(k);
            continue;
        }
        crate::kernel::time::tick::tick_nohz_idle_enter(k, cpu);
        let st = k.cpu_state_of(cpu);
        crate::kernel::rcu::tree::rcu_dynticks_flip(k, cpu); // rcu_idle_enter()
        st.halted.store(true, Ordering::SeqCst);
        if !has_work(k, cpu) {
            std::thread::park();
        }
        st.halted.store(false, Ordering::SeqCst);
        crate::kernel::rcu::tree::rcu_dynticks_flip(k, cpu); // rcu_idle_exit()
        crate::kernel::time::tick::tick_nohz_idle_exit(k, cpu);
    }
}

/// The machine's way to wake a CPU (installed in the interrupt controller):
/// unpark a halted idle thread, or in deterministic mode note that an
/// external event arrived.
pub(crate) struct CpuKicker {
    pub(crate) kernel: std::sync::Weak<Kernel>,
}

thread_local! {
    /// CPUs to kick once this thread leaves its atomic section.
    static DEFERRED_KICKS: std::cell::Cell<u64> = const { std::cell::Cell::new(0) };
}

/// Kick the CPUs whose wake-up was deferred while a lock was held (the
/// `wake_q` idea: never make the host switch to a woken thread while we
/// still hold the spinlock it is about to take). Called when the preempt
/// count drops to zero.
#[inline]
pub(crate) fn flush_deferred_kicks() {
    let pending = DEFERRED_KICKS.with(|d| d.replace(0));
    if pending != 0 {
        flush_slow(pending);
    }
}

#[cold]
fn flush_slow(mut pending: u64) {
    let k = crate::init::kernel::kernel();
    while pending != 0 {
        let cpu = pending.trailing_zeros() as usize;
        pending &= pending - 1;
        let st = k.cpu_state_of(cpu);
        if st.halted.load(Ordering::SeqCst) {
            st.idle_thread_unpark();
        }
    }
}

impl hw::CpuKick for CpuKicker {
    fn kick(&self, cpu: usize) {
        if crate::kernel::sched::current::in_kernel_thread()
            && crate::kernel::preempt::preempt_count() != 0
            && !crate::init::kernel::kernel().is_deterministic()
        {
            DEFERRED_KICKS.with(|d| d.set(d.get() | 1 << cpu));
            return;
        }
        let Some(k) = self.kernel.upgrade() else {
            return;
        };
        if let Some(det) = &k.det {
            det.external_event();
            return;
        }
        let st = k.cpu_state_of(cpu);
        if st.halted.load(Ordering::SeqCst) {
            st.idle_thread_unpark();
        }
    }
}
