//! Driver-facing interrupt management: `request_irq`, `free_irq`,
//! `disable_irq[_nosync]`, `enable_irq`, `synchronize_irq`,
//! `irq_set_affinity`.
//!
//! Rules kept from Linux: a line may carry several actions only if every
//! one of them asked for `IRQF_SHARED`, and a shared action needs a
//! non-zero `dev_id`; disables nest, an unbalanced enable warns; after
//! `disable_irq`/`free_irq`/`synchronize_irq` return, no handler of the line
//! is running on any CPU; an interrupt that arrived while the line was
//! disabled is replayed by `enable_irq`.

use super::desc::{IrqAction, IrqReturn, IRQF_SHARED};
use crate::init::kernel::kernel;
use crate::kernel::smp::cpu_relax;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use uapi::errno::{Errno, EBUSY, EINVAL};

/// `request_irq(irq, handler, flags, name, dev_id)`.
pub fn request_irq(
    irq: usize,
    handler: impl Fn(usize) -> IrqReturn + Send + Sync + 'static,
    flags: u32,
    name: &str,
    dev_id: usize,
) -> Result<(), Errno> {
    let k = kernel();
    let desc = k.irq.desc(irq).ok_or(EINVAL)?;
    if flags & IRQF_SHARED != 0 && dev_id == 0 {
        return Err(EINVAL);
    }
    let action = Arc::new(IrqAction {
        name: name.to_string(),
        flags,
        dev_id,
        handler: Box::new(handler),
    });
    let mut g = desc.inner.lock_irqsave();
    if let Some(first) = g.actions.first() {
        if first.flags & flags & IRQF_SHARED == 0 {
            crate::pr_err!(
                "genirq: Flags mismatch irq {irq}. {:08x} ({name}) vs. {:08x} ({})",
                flags,
                first.flags,
                first.name
            );
            return Err(EBUSY);
        }
    }
    let first = g.actions.is_empty();
    g.actions.push(action);
    drop(g);
    if first {
        // irq_startup(): enable the line.
        desc.spurious_disabled.store(false, Ordering::Release);
        desc.irq_count.store(0, Ordering::Relaxed);
        desc.irqs_unhandled.store(0, Ordering::Relaxed);
        desc.depth.store(0, Ordering::Release);
        replay_pending(irq);
    }
    Ok(())
}

/// `free_irq(irq, dev_id)`: remove the action; waits for running handlers.
pub fn free_irq(irq: usize, dev_id: usize) {
    let k = kernel();
    let Some(desc) = k.irq.desc(irq) else {
        crate::WARN!(true, "Trying to free IRQ {irq} which does not exist");
        return;
    };
    let mut g = desc.inner.lock_irqsave();
    let Some(pos) = g.actions.iter().position(|a| a.dev_id == dev_id) else {
        drop(g);
        crate::WARN!(true, "Trying to free already-free IRQ {irq}");
        return;
    };
    g.actions.remove(pos);
    if g.actions.is_empty() {
        // irq_shutdown(): the line is off until requested again.
        desc.depth.store(1, Ordering::Release);
    }
    drop(g);
    synchronize_irq(irq);
}

/// `synchronize_irq()`: wait until no handler of `irq` runs anywhere.
pub fn synchronize_irq(irq: usize) {
    let k = kernel();
    if let Some(desc) = k.irq.desc(irq) {
        while desc.in_progress.load(Ordering::Acquire) {
            cpu_relax();
        }
    }
}

/// `disable_irq_nosync()`.
pub fn disable_irq_nosync(irq: usize) {
    if let Some(desc) = kernel().irq.desc(irq) {
        desc.depth.fetch_add(1, Ordering::AcqRel);
    }
}

/// `disable_irq()`: disable and wait for running handlers to finish.
pub fn disable_irq(irq: usize) {
    disable_irq_nosync(irq);
    synchronize_irq(irq);
}

/// `enable_irq()`: undo one disable; replays an interrupt that came in
/// while the line was off.
pub fn enable_irq(irq: usize) {
    let k = kernel();
    let Some(desc) = k.irq.desc(irq) else { return };
    let r = desc
        .depth
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |d| d.checked_sub(1));
    match r {
        Err(_) => {
            crate::WARN!(true, "Unbalanced enable for IRQ {irq}");
        }
        Ok(1) => {
            desc.spurious_disabled.store(false, Ordering::Release);
            replay_pending(irq);
        }
        Ok(_) => {}
    }
}

/// `check_irq_resend()`: re-raise a latched edge.
fn replay_pending(irq: usize) {
    let k = kernel();
    if let Some(desc) = k.irq.desc(irq) {
        if desc.pending.swap(false, Ordering::AcqRel) {
            k.irqchip.raise(irq);
        }
    }
}

/// `irq_set_affinity()`: route `irq` to the first online CPU in `mask`.
pub fn irq_set_affinity(irq: usize, mask: u64) -> Result<(), Errno> {
    let k = kernel();
    if irq >= k.irq.nr_irqs() {
        return Err(EINVAL);
    }
    let m = mask & k.online_mask();
    if m == 0 {
        return Err(EINVAL);
    }
    k.irqchip.set_route(irq, m.trailing_zeros() as usize);
    Ok(())
}
