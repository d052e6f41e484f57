//! Read-copy update (kernel/rcu/): seed 002, "RCU and unloadable modules".
//!
//! * **Readers.** In the default, non-preemptible flavour `rcu_read_lock()`
//!   and `rcu_read_unlock()` generate no code but a 5-byte NOP (a static
//!   call that `rcu=preempt` patches into a call); debug builds instead
//!   always call the out-of-line code, which keeps a per-task nesting count
//!   used to catch a read-side critical section that sleeps. A task holding its CPU slot cannot be switched out inside one,
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
use crate::kernel::static_call::StaticCall;
use std::sync::atomic::Ordering;

/// `rcu_read_lock()`: the returned guard is the read-side critical section.
#[inline]
pub fn rcu_read_lock() -> RcuReadGuard {
    if cfg!(debug_assertions) {
        __rcu_read_lock();
    } else {
        crate::static_call_cond!(PREEMPT_RCU, rcu_read_lock_call);
    }
    RcuReadGuard {
        _not_send: std::marker::PhantomData,
    }
}

/// On while any kernel in this process runs the preemptible flavour: the
/// `rcu_read_lock()`/`rcu_read_unlock()` sites then call the out-of-line
/// `__rcu_read_lock()`/`__rcu_read_unlock()`, and are NOPs otherwise (Linux
/// makes the choice at build time, `CONFIG_PREEMPT_RCU`; usk makes it per
/// boot and patches the code, as Linux's `preempt=` does with
/// `CONFIG_PREEMPT_DYNAMIC`).
///
/// Taken by `RcuState::new()` before the kernel's first task runs and
/// dropped after its last has gone, so the key is on for a preemptible
/// kernel's every lock and unlock. Readers of a default-flavour kernel that
/// find it on (another kernel turned it on) look at their own kernel's
/// flavour and count nothing, at lock and at unlock alike: which way the
/// key points never decides what a section counts, so an unlock always
/// undoes exactly what its lock did.
pub(crate) static PREEMPT_RCU: StaticCall = StaticCall::new();

/// Whether this task counts its read-side sections: in debug builds (to
/// catch a section that sleeps), and in a preemptible-flavour kernel.
fn counts_readers() -> bool {
    let k = crate::kernel::sched::current::kernel_ptr();
    // SAFETY: non-null is the live kernel of this task thread (current.rs).
    cfg!(debug_assertions) || (!k.is_null() && unsafe { &*k }.rcu.preemptible)
}

/// What the `rcu_read_lock()` static call calls: a C-ABI frame that turns
/// a panic into an abort instead of unwinding through the patched site.
extern "C" fn rcu_read_lock_call() {
    __rcu_read_lock()
}

/// What the `rcu_read_unlock()` static call calls.
extern "C" fn rcu_read_unlock_call() {
    __rcu_read_unlock()
}

#[cfg(target_arch = "x86_64")]
crate::static_call_thunk!(rcu_read_lock_call);
#[cfg(target_arch = "x86_64")]
crate::static_call_thunk!(rcu_read_unlock_call);

/// `__rcu_read_lock()`: out of line, as in Linux; called only in debug
/// builds and while some kernel runs the preemptible flavour.
fn __rcu_read_lock() {
    if !counts_readers() {
        return;
    }
    // Only the task itself writes its nesting count: no locked RMW.
    with_current(|t| {
        let n = &t.rcu_read_lock_nesting;
        n.store(n.load(Ordering::Relaxed) + 1, Ordering::Relaxed)
    });
}

/// `__rcu_read_unlock()`: the other half of `__rcu_read_lock()`.
fn __rcu_read_unlock() {
    if !counts_readers() {
        return;
    }
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
    _not_send: std::marker::PhantomData<*const ()>,
}

impl Drop for RcuReadGuard {
    #[inline]
    fn drop(&mut self) {
        if cfg!(debug_assertions) {
            __rcu_read_unlock();
        } else {
            crate::static_call_cond!(PREEMPT_RCU, rcu_read_unlock_call);
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
