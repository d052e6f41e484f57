//! preempt_count, execution contexts and local interrupt flags.
//!
//! The layout of `preempt_count` is Linux's: bits 0-7 preemption depth,
//! 8-15 softirq (bit 8 = serving a softirq, +2 per `local_bh_disable`),
//! 16-19 hardirq nesting, bit 20 NMI. It lives in the task (as
//! `thread_info.preempt_count` does on most architectures): hard and soft
//! interrupts run on the host thread of the task they interrupted, so they
//! change that task's count and restore it before returning.
//!
//! The interrupt-enable flag belongs to the CPU. `local_irq_enable()` and a
//! restore to "enabled" are interrupt points: interrupts that arrived while
//! disabled are taken there, as on hardware.
//!
//! usk is `CONFIG_PREEMPT_NONE` by default: `preempt_enable()` never
//! schedules, so an RCU read-side section is free and a context switch is a
//! quiescent state. Booting with `preempt=full` turns `preempt_enable()` and
//! interrupt return into preemption points (`CONFIG_PREEMPT`).

use crate::init::kernel::kernel;
use crate::kernel::sched::current::with_current;
use std::sync::atomic::Ordering;

pub const PREEMPT_OFFSET: u32 = 1;
pub const SOFTIRQ_OFFSET: u32 = 1 << 8;
pub const SOFTIRQ_DISABLE_OFFSET: u32 = 2 * SOFTIRQ_OFFSET;
pub const HARDIRQ_OFFSET: u32 = 1 << 16;
pub const NMI_OFFSET: u32 = 1 << 20;
pub const PREEMPT_MASK: u32 = 0x0000_00ff;
pub const SOFTIRQ_MASK: u32 = 0x0000_ff00;
pub const HARDIRQ_MASK: u32 = 0x000f_0000;
pub const NMI_MASK: u32 = 0x00f0_0000;

#[inline]
pub fn preempt_count() -> u32 {
    with_current(|t| t.preempt_count.load(Ordering::Relaxed))
}

#[inline]
pub fn preempt_count_add(v: u32) {
    with_current(|t| {
        let c = &t.preempt_count;
        c.store(c.load(Ordering::Relaxed) + v, Ordering::Relaxed)
    })
}

#[inline]
pub fn preempt_count_sub(v: u32) {
    with_current(|t| {
        let c = &t.preempt_count;
        let old = c.load(Ordering::Relaxed);
        debug_assert!(old >= v, "preempt_count underflow: {old:#x} - {v:#x}");
        c.store(old.wrapping_sub(v), Ordering::Relaxed);
        if old == v {
            crate::kernel::sched::idle::flush_deferred_kicks();
        }
    })
}

#[inline]
pub fn preempt_disable() {
    preempt_count_add(PREEMPT_OFFSET);
}

/// `preempt_enable()`: with `preempt=full`, a preemption point.
#[inline]
pub fn preempt_enable() {
    preempt_count_sub(PREEMPT_OFFSET);
    let k = kernel();
    if k.preempt_full && preempt_count() == 0 {
        crate::kernel::irq::irq_point();
        crate::kernel::sched::core::preempt_schedule();
    }
}

#[inline]
pub fn preempt_enable_no_resched() {
    preempt_count_sub(PREEMPT_OFFSET);
}

#[inline]
pub fn hardirq_count() -> u32 {
    preempt_count() & HARDIRQ_MASK
}
#[inline]
pub fn softirq_count() -> u32 {
    preempt_count() & SOFTIRQ_MASK
}
#[inline]
pub fn irq_count() -> u32 {
    preempt_count() & (HARDIRQ_MASK | SOFTIRQ_MASK | NMI_MASK)
}
/// `in_hardirq()` (formerly `in_irq()`).
#[inline]
pub fn in_hardirq() -> bool {
    hardirq_count() != 0
}
#[inline]
pub fn in_softirq() -> bool {
    softirq_count() != 0
}
#[inline]
pub fn in_serving_softirq() -> bool {
    softirq_count() & SOFTIRQ_OFFSET != 0
}
#[inline]
pub fn in_nmi() -> bool {
    preempt_count() & NMI_MASK != 0
}
#[inline]
pub fn in_interrupt() -> bool {
    irq_count() != 0
}
#[inline]
pub fn in_task() -> bool {
    preempt_count() & (NMI_MASK | HARDIRQ_MASK | SOFTIRQ_OFFSET) == 0
}
/// `in_atomic()`: any preemption-disabling count.
#[inline]
pub fn in_atomic() -> bool {
    preempt_count() != 0
}

/// Saved interrupt state for `local_irq_save`/`local_irq_restore`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub struct IrqFlags(bool);

impl IrqFlags {
    pub fn irqs_were_disabled(self) -> bool {
        self.0
    }
}

#[inline]
pub fn irqs_disabled() -> bool {
    kernel().cpu_state().irqs_off.load(Ordering::Relaxed)
}

#[inline]
pub fn local_irq_disable() {
    kernel().cpu_state().irqs_off.store(true, Ordering::Relaxed);
}

/// `local_irq_enable()`: an interrupt point.
#[inline]
pub fn local_irq_enable() {
    kernel()
        .cpu_state()
        .irqs_off
        .store(false, Ordering::Relaxed);
    crate::kernel::irq::irq_point();
}

#[inline]
pub fn local_irq_save() -> IrqFlags {
    IrqFlags(kernel().cpu_state().irqs_off.swap(true, Ordering::Relaxed))
}

#[inline]
pub fn local_irq_restore(flags: IrqFlags) {
    if !flags.0 {
        local_irq_enable();
    }
}

/// `local_bh_disable()`: softirqs stay pending until `local_bh_enable()`.
#[inline]
pub fn local_bh_disable() {
    preempt_count_add(SOFTIRQ_DISABLE_OFFSET);
}

/// `local_bh_enable()`: runs pending softirqs if this was the last level.
#[inline]
pub fn local_bh_enable() {
    preempt_count_sub(SOFTIRQ_DISABLE_OFFSET);
    if !in_interrupt() && !irqs_disabled() && crate::kernel::softirq::local_softirq_pending() != 0 {
        crate::kernel::softirq::do_softirq();
    }
    crate::kernel::irq::irq_point();
}
