//! Kernel locking primitives (Linux's `kernel/locking/`).
//!
//! Spinning locks (`SpinLock`, `RwLock`) disable preemption while held and
//! come in `_irq`, `_irqsave` and `_bh` flavours that really mask this CPU's
//! interrupts or softirqs. Sleeping locks (`Mutex`, `Semaphore`, `RwSem`)
//! block through the scheduler, releasing the CPU slot, and hand ownership
//! directly to the waiter they wake (no lost wake-ups, FIFO fairness).

mod lock_waiters;
pub mod mutex;
pub mod rwlock;
pub mod rwsem;
pub mod semaphore;
pub mod spinlock;

pub use mutex::{Mutex, MutexGuard};
pub use rwlock::RwLock;
pub use rwsem::RwSem;
pub use semaphore::Semaphore;
pub use spinlock::{HostSpinLock, RawHostSpinLock, RawSpinLock, SpinLock, SpinLockGuard};

/// How a guard gives back what its lock call took.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Release {
    /// `spin_unlock`: preemption back on.
    Plain,
    /// `spin_unlock_irq`: interrupts on.
    Irq,
    /// `spin_unlock_irqrestore`: interrupts as saved.
    IrqRestore(crate::kernel::preempt::IrqFlags),
    /// `spin_unlock_bh`: softirqs back on.
    Bh,
}

impl Release {
    pub(crate) fn finish(self) {
        use crate::kernel::preempt::*;
        match self {
            Release::Plain => {
                preempt_enable();
                crate::kernel::irq::irq_point();
            }
            Release::Irq => {
                preempt_enable_no_resched();
                local_irq_enable();
            }
            Release::IrqRestore(f) => {
                preempt_enable_no_resched();
                local_irq_restore(f);
            }
            Release::Bh => {
                preempt_enable_no_resched();
                local_bh_enable();
            }
        }
    }

    /// What the `_irq`/`_irqsave`/`_bh` lock variants do before spinning.
    pub(crate) fn begin(kind: LockKind) -> Self {
        use crate::kernel::preempt::*;
        let r = match kind {
            LockKind::Plain => Release::Plain,
            LockKind::Irq => {
                local_irq_disable();
                Release::Irq
            }
            LockKind::IrqSave => Release::IrqRestore(local_irq_save()),
            LockKind::Bh => {
                local_bh_disable();
                Release::Bh
            }
        };
        preempt_disable();
        r
    }
}

#[derive(Clone, Copy, Debug)]
pub(crate) enum LockKind {
    Plain,
    Irq,
    IrqSave,
    Bh,
}
