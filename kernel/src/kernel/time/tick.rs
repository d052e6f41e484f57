//! The periodic tick and NO_HZ idle (kernel/time/tick-*.c).
//!
//! Each CPU's local timer is programmed periodic at `HZ`. The tick handler
//! advances `jiffies` from the clock, folds the load average every
//! `LOAD_FREQ`, raises TIMER_SOFTIRQ when the CPU's earliest timer is due,
//! and runs `scheduler_tick()`. When a CPU goes idle its tick is stopped
//! (`tick_nohz_idle_enter`): the timer is reprogrammed one-shot for the next
//! timer expiry, or shut down if there is none; `tick_nohz_idle_exit`
//! brings jiffies up to date and restarts the periodic tick. `nohz=off` on
//! the command line keeps ticks running on idle CPUs. In deterministic mode
//! ticks are never stopped (idle CPUs do not halt there).

use super::{INITIAL_JIFFIES, LOAD_FREQ, TICK_NSEC};
use crate::init::kernel::Kernel;
use crate::kernel::sched::core::{nr_running, nr_uninterruptible, scheduler_tick};
use crate::kernel::softirq::{__raise_softirq_irqoff, TIMER_SOFTIRQ};
use std::sync::atomic::Ordering;

/// `tick_do_update_jiffies64()`: jiffies from the clock source.
pub(crate) fn update_jiffies(k: &Kernel) -> u64 {
    let j = INITIAL_JIFFIES + k.clock.now_ns() / TICK_NSEC;
    k.jiffies_64.fetch_max(j, Ordering::AcqRel).max(j)
}

/// The local timer interrupt (hardirq context).
pub(crate) fn tick_handle(k: &Kernel, cpu: usize) {
    let now = update_jiffies(k);
    // calc_global_load(): one CPU folds per LOAD_FREQ.
    let due = k.loadavg.calc_load_update.load(Ordering::Acquire);
    if super::time_after_eq(now, due)
        && k.loadavg
            .calc_load_update
            .compare_exchange(due, due + LOAD_FREQ, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
    {
        k.loadavg
            .fold((nr_running(k) as i64 + nr_uninterruptible(k)) as u64);
    }
    // run_local_timers()
    if let Some(next) = k.timer_bases.per_cpu(cpu).next_expiry() {
        if super::time_after_eq(now, next) {
            __raise_softirq_irqoff(TIMER_SOFTIRQ);
        }
    }
    scheduler_tick(k, cpu);
    // Interrupting the idle loop (not a softirq run inside it) is an RCU
    // quiescent state.
    let idle = crate::current().is_idle()
        && crate::kernel::preempt::preempt_count() & crate::kernel::preempt::SOFTIRQ_MASK == 0;
    crate::kernel::rcu::tree::rcu_sched_clock_irq(k, cpu, idle);
}

/// Start the periodic tick on `cpu` (at CPU bring-up).
pub(crate) fn tick_setup(k: &Kernel, cpu: usize) {
    k.cpu_state_of(cpu).lapic.set_periodic(TICK_NSEC);
}

/// `tick_nohz_idle_enter()` + `tick_nohz_stop_tick()`.
pub(crate) fn tick_nohz_idle_enter(k: &Kernel, cpu: usize) {
    if !k.nohz {
        return;
    }
    let st = k.cpu_state_of(cpu);
    if k.rcu.needs_cpu(cpu) {
        // rcu_needs_cpu(): callbacks are waiting; keep ticking.
        return;
    }
    match k.timer_bases.per_cpu(cpu).next_expiry() {
        Some(next) => {
            let at = next.saturating_sub(INITIAL_JIFFIES) * TICK_NSEC;
            st.lapic.set_oneshot(at.max(k.clock.now_ns()));
        }
        None => st.lapic.shutdown(),
    }
    st.tick_stopped.store(true, Ordering::Release);
}

/// `tick_nohz_idle_exit()`.
pub(crate) fn tick_nohz_idle_exit(k: &Kernel, cpu: usize) {
    let st = k.cpu_state_of(cpu);
    if st.tick_stopped.swap(false, Ordering::AcqRel) {
        update_jiffies(k);
        st.lapic.set_periodic(TICK_NSEC);
    }
}

/// `wake_up_nohz_cpu()`: a timer was queued on an idle CPU.
pub(crate) fn wake_up_nohz_cpu(k: &Kernel, cpu: usize) {
    if k.cpu_state_of(cpu).tick_stopped.load(Ordering::Acquire) {
        k.irqchip.send_vector(cpu, hw::Vector::Reschedule);
    }
}
