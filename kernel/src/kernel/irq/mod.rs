//! Generic interrupt handling (Linux's `kernel/irq/`): interrupt
//! descriptors, `request_irq`/`free_irq`, enable/disable with depth, shared
//! lines, spurious-interrupt detection, `/proc/interrupts`, and the
//! interrupt entry path that runs at interrupt points.
//!
//! Entry (`do_IRQ`): a CPU with interrupts enabled that reaches an
//! interrupt point acknowledges everything pending at its local APIC and,
//! with interrupts disabled and `HARDIRQ_OFFSET` in its preempt count, runs
//! the system vectors (tick, reschedule and function-call IPIs) and the
//! handlers of each pending line; `irq_exit()` then runs pending softirqs
//! if it is not nested inside another interrupt context.

pub mod desc;
pub mod manage;
pub mod proc;
pub mod spurious;

pub use desc::{IrqAction, IrqDesc, IrqDescs, IrqReturn, IRQF_SHARED, IRQ_HANDLED, IRQ_NONE};
pub use manage::{
    disable_irq, disable_irq_nosync, enable_irq, free_irq, irq_set_affinity, request_irq,
    synchronize_irq,
};

use crate::init::kernel::{kernel, Kernel};
use crate::kernel::preempt::{preempt_count_add, preempt_count_sub, HARDIRQ_OFFSET};
use crate::kernel::sched::current::{kernel_ptr, with_current};
use hw::Vector;
use std::sync::atomic::{AtomicU64, Ordering};

/// Per-CPU counts of the architecture's system vectors.
#[derive(Default)]
pub struct IrqCpuStat {
    pub nmi: AtomicU64,
    pub local_timer: AtomicU64,
    pub resched: AtomicU64,
    /// Time spent in hardirq context, ns (the `irq` column of /proc/stat).
    pub irq_time_ns: AtomicU64,
    /// Time spent serving softirqs, ns.
    pub softirq_time_ns: AtomicU64,
}

/// An interrupt point: take pending interrupts if this CPU has them and has
/// interrupts enabled. Costs one relaxed load when nothing is pending.
#[inline]
pub fn irq_point() {
    if kernel_ptr().is_null() {
        return;
    }
    let k = kernel();
    let cpu = with_current(|t| t.cpu());
    if !k.irqchip.has_pending(cpu) {
        return;
    }
    if k.cpu_state_of(cpu).irqs_off.load(Ordering::Relaxed) || k.is_halting() {
        return;
    }
    do_irq(&k, cpu);
}

/// `irq_enter()`.
pub fn irq_enter() {
    preempt_count_add(HARDIRQ_OFFSET);
}

/// `irq_exit()`: leave hardirq context and run softirqs if allowed.
pub fn irq_exit() {
    preempt_count_sub(HARDIRQ_OFFSET);
    if !crate::kernel::preempt::in_interrupt()
        && crate::kernel::softirq::local_softirq_pending() != 0
    {
        crate::kernel::softirq::invoke_softirq();
    }
}

/// `do_IRQ`/`common_interrupt` for everything pending on `cpu`.
#[cold]
fn do_irq(k: &Kernel, cpu: usize) {
    let st = k.cpu_state_of(cpu);
    st.irqs_off.store(true, Ordering::Relaxed);
    let start = k.clock.now_ns();
    irq_enter();
    loop {
        let p = k.irqchip.ack_pending(cpu);
        if p.vectors == 0 && p.lines == 0 {
            break;
        }
        let stat = k.irq.cpu_stat.per_cpu(cpu);
        if p.vectors & Vector::LocalTimer.bit() != 0 {
            stat.local_timer.fetch_add(1, Ordering::Relaxed);
            crate::kernel::time::tick::tick_handle(k, cpu);
        }
        if p.vectors & Vector::Reschedule.bit() != 0 {
            // scheduler_ipi(): the waker already set need_resched; an idle
            // CPU looks at its queue on the way out.
            stat.resched.fetch_add(1, Ordering::Relaxed);
            if k.rqs.per_cpu(cpu).nr_queued.load(Ordering::Relaxed) > 0 {
                with_current(|t| t.need_resched.store(true, Ordering::Release));
            }
        }
        if p.vectors & Vector::CallFunction.bit() != 0 {
            crate::kernel::smp::generic_smp_call_function_interrupt(cpu);
        }
        let mut lines = p.lines;
        while lines != 0 {
            let irq = lines.trailing_zeros() as usize;
            lines &= lines - 1;
            desc::handle_irq(k, irq, cpu);
        }
    }
    k.irq
        .cpu_stat
        .per_cpu(cpu)
        .irq_time_ns
        .fetch_add(k.clock.now_ns().saturating_sub(start), Ordering::Relaxed);
    irq_exit();
    st.irqs_off.store(false, Ordering::Relaxed);
}
