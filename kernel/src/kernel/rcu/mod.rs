//! Read-copy update (kernel/rcu/): seed 002, "RCU and unloadable modules".
//!
//! * **Readers.** In the default, non-preemptible flavour `rcu_read_lock()`
//!   and `rcu_read_unlock()` generate no code except, in debug builds, a
//!   per-task nesting count used to catch a read-side critical section that
//!   sleeps. A task holding its CPU slot cannot be switched out inside one,
//!   so a context switch, the idle loop and user mode are quiescent states.
//!   Booting with `rcu=preempt` (or `preempt=full`) selects the preemptible
//!   flavour: readers count their nesting in the task, and a reader switched
//!   out inside a section is put on a blocked-readers list that holds up the
//!   grace period until it leaves the section.
//! * **Grace periods** (`tree.rs`) are run by the `rcu_sched` kthread:
//!   start (`gp_seq` odd), collect one quiescent state per online CPU — from
//!   context switches, ticks that interrupt the idle task, and idle CPUs
//!   whose dynticks counter shows they were idle (force-quiescent-state scan)
//!   — then end (`gp_seq` even).
//! * **Callbacks** (`call_rcu`) wait on per-CPU queues tagged with the grace
//!   period that must end first, and run in RCU_SOFTIRQ in the order they
//!   were queued, at most `blimit` per softirq run; the rest is deferred to
//!   a later run "to allow other processing" (the seed's reason why several
//!   `synchronize_rcu()` calls do not replace `rcu_barrier()`).
//! * **rcu_barrier()** is Dipankar Sarma's: `on_each_cpu(rcu_barrier_func,
//!   wait=1)` posts a callback on every CPU's queue behind everything
//!   already there, an atomic count, and a completion.
//!
//! Also here: `synchronize_rcu_expedited()`, SRCU (`srcu.rs`), typed RCU
//! pointers and lists (`pointer.rs`), CPU-stall warnings, and per-CPU state
//! in debugfs (`/sys/kernel/debug/rcu/`).

pub mod pointer;
pub mod rcu_demo;
pub mod rcutorture;
pub mod srcu;
pub mod tree;

pub use pointer::{RcuList, RcuPointer};
pub use tree::{call_rcu, rcu_barrier, synchronize_rcu, synchronize_rcu_expedited, RcuState};

use crate::kernel::sched::current::with_current;
use std::sync::atomic::Ordering;

/// `rcu_read_lock()`: the returned guard is the read-side critical section.
#[inline]
pub fn rcu_read_lock() -> RcuReadGuard {
    let tracked = nesting_tracked();
    if tracked {
        rcu_read_lock_enter();
    }
    RcuReadGuard {
        tracked,
        _not_send: std::marker::PhantomData,
    }
}

/// Kernels in this process running the preemptible flavour. While it is
/// zero (and in release builds) a reader costs one relaxed load of it, in
/// `rcu_read_lock()`; the guard remembers the answer, so `rcu_read_unlock()`
/// tests a register and always undoes exactly what the lock did, even if a
/// preemptible-flavour kernel boots elsewhere in the process meanwhile.
pub(crate) static PREEMPT_RCU_KERNELS: std::sync::atomic::AtomicUsize =
    std::sync::atomic::AtomicUsize::new(0);

#[inline(always)]
fn nesting_tracked() -> bool {
    cfg!(debug_assertions) || PREEMPT_RCU_KERNELS.load(Ordering::Relaxed) != 0
}

#[inline]
fn rcu_read_lock_enter() {
    // Only the task itself writes its nesting count: no locked RMW.
    with_current(|t| {
        let n = &t.rcu_read_lock_nesting;
        n.store(n.load(Ordering::Relaxed) + 1, Ordering::Relaxed)
    });
}

#[inline]
fn rcu_read_unlock_exit() {
    let was = with_current(|t| {
        let n = &t.rcu_read_lock_nesting;
        let was = n.load(Ordering::Relaxed);
        n.store(was.wrapping_sub(1), Ordering::Relaxed);
        was
    });
    debug_assert!(was > 0, "rcu_read_unlock() without rcu_read_lock()");
    if was == 1 && tree::preemptible() {
        tree::rcu_read_unlock_special();
    }
}

/// An RCU read-side critical section; `rcu_read_unlock()` on drop.
pub struct RcuReadGuard {
    /// Whether `rcu_read_lock()` counted this section in the task.
    tracked: bool,
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for RcuReadGuard {
    #[inline]
    fn drop(&mut self) {
        if self.tracked {
            rcu_read_unlock_exit();
        }
    }
}

/// `rcu_read_lock_held()` (meaningful in debug builds and the preemptible
/// flavour; always true otherwise, as with Linux's !CONFIG_DEBUG_LOCK_ALLOC).
pub fn rcu_read_lock_held() -> bool {
    if cfg!(debug_assertions) || tree::preemptible() {
        with_current(|t| t.rcu_read_lock_nesting.load(Ordering::Relaxed) > 0)
    } else {
        true
    }
}
