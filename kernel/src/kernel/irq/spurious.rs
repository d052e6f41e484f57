//! Spurious-interrupt detection (`note_interrupt`, kernel/irq/spurious.c).
//!
//! Out of every 100,000 interrupts on a line, if more than 99,900 were
//! claimed by no handler (`IRQ_NONE`), the line is declared stuck: Linux's
//! "irq N: nobody cared" report with a call trace and the list of handlers
//! is printed and the line is disabled. An unhandled interrupt more than
//! HZ/10 after the previous one restarts the unhandled count, so an
//! occasional stray interrupt never trips it.

use super::desc::{IrqAction, IrqDesc, IrqReturn, IRQ_NONE};
use crate::init::kernel::Kernel;
use crate::kernel::time::{time_after, HZ};
use std::sync::atomic::Ordering;
use std::sync::Arc;

pub(crate) fn note_interrupt(
    k: &Kernel,
    desc: &IrqDesc,
    ret: IrqReturn,
    actions: &[Arc<IrqAction>],
) {
    if ret == IRQ_NONE {
        let now = k.jiffies();
        let last = desc.last_unhandled.load(Ordering::Relaxed);
        if time_after(now, last + HZ / 10) {
            desc.irqs_unhandled.store(1, Ordering::Relaxed);
        } else {
            desc.irqs_unhandled.fetch_add(1, Ordering::Relaxed);
        }
        desc.last_unhandled.store(now, Ordering::Relaxed);
    }
    if desc.irq_count.fetch_add(1, Ordering::Relaxed) + 1 < 100_000 {
        return;
    }
    desc.irq_count.store(0, Ordering::Relaxed);
    if desc.irqs_unhandled.load(Ordering::Relaxed) > 99_900 {
        let mut handlers = String::new();
        for a in actions {
            handlers.push_str(&format!("[<{:p}>] {}\n", Arc::as_ptr(a), a.name));
        }
        crate::pr_err!(
            "irq {}: nobody cared (try booting with the \"irqpoll\" option)",
            desc.irq
        );
        crate::kernel::panic::dump_stack();
        crate::pr_err!("handlers:\n{}Disabling IRQ #{}", handlers, desc.irq);
        desc.spurious_disabled.store(true, Ordering::Release);
        desc.depth.fetch_add(1, Ordering::AcqRel);
    }
    desc.irqs_unhandled.store(0, Ordering::Relaxed);
}
