//! `struct percpu_counter` (lib/percpu_counter.c): a counter that scales.
//!
//! Each CPU accumulates a private delta; only when a delta reaches the batch
//! (`max(32, 2 × nr_cpus)`, Linux's `percpu_counter_batch`) is it folded
//! into the shared count under a lock. Updates therefore touch a CPU-local
//! cache line almost always (seed 004, "Resource counters": no cache-line
//! bouncing), at the price of an approximate shared count:
//!
//! * `read()` returns the shared count, which may be off by up to
//!   `batch × nr_cpus` in either direction — it can even be negative;
//! * `sum()` adds every CPU's delta under the lock: exact at that moment;
//! * `compare(rhs)` uses the cheap read when it is further than the error
//!   bound from `rhs`, and the exact sum otherwise.
//!
//! Invariant: `count + Σ deltas` equals the sum of every amount added, and
//! each `|delta| < batch`.

use crate::kernel::locking::SpinLock;
use crate::kernel::percpu::{this_cpu_add_signed, PerCpu};
use crossbeam_utils::CachePadded;
use std::cmp::Ordering as CmpOrdering;
use std::sync::atomic::{AtomicI64, Ordering};

pub struct PercpuCounter {
    /// Read by every add: kept apart from the line folds write.
    counters: PerCpu<AtomicI64>,
    batch: i64,
    /// `fbc->lock` and `fbc->count`, on their own cache line so that a fold
    /// on one CPU does not evict what the other CPUs' adds read. The lock
    /// serialises folds, `sum()` and `set()`; `read()` takes no lock.
    shared: CachePadded<Shared>,
}

struct Shared {
    lock: SpinLock<()>,
    count: AtomicI64,
}

/// `percpu_counter_batch` for `nr_cpus` CPUs.
pub fn percpu_counter_batch(nr_cpus: usize) -> i64 {
    (2 * nr_cpus as i64).max(32)
}

impl PercpuCounter {
    /// `percpu_counter_init(fbc, amount)`.
    pub fn new(nr_cpus: usize, amount: i64) -> Self {
        PercpuCounter {
            counters: PerCpu::new(nr_cpus, |_| AtomicI64::new(0)),
            batch: percpu_counter_batch(nr_cpus),
            shared: CachePadded::new(Shared {
                lock: SpinLock::new(()),
                count: AtomicI64::new(amount),
            }),
        }
    }

    pub fn batch(&self) -> i64 {
        self.batch
    }

    /// The largest difference between `read()` and the true value.
    pub fn error_bound(&self) -> i64 {
        self.batch * self.counters.nr_cpus() as i64
    }

    /// `percpu_counter_add_batch()`.
    ///
    /// Like Linux's on x86 (`this_cpu_read` + `this_cpu_try_cmpxchg`), the
    /// fast path does not disable preemption: it contains no scheduling or
    /// interrupt point, and usk switches tasks and takes interrupts only at
    /// such points, so the task cannot leave its CPU between reading the
    /// delta and storing it back — the relaxed load + store is as atomic
    /// with respect to its own CPU as `this_cpu_add`.
    #[inline(always)]
    pub fn add_batch(&self, amount: i64, batch: i64) {
        let c = self.counters.this_cpu();
        let count = c.load(Ordering::Relaxed) + amount;
        if count.abs() >= batch {
            self.fold(c, amount);
        } else {
            c.store(count, Ordering::Relaxed);
        }
    }

    /// The slow path of `add_batch`: move this CPU's delta plus `amount`
    /// into the shared count (`raw_spin_lock_irqsave(&fbc->lock)` section).
    #[cold]
    #[inline(never)]
    fn fold(&self, c: &AtomicI64, amount: i64) {
        let _g = self.shared.lock.lock_irqsave();
        // Re-read under the lock, with interrupts off, as Linux does.
        let count = c.load(Ordering::Relaxed);
        // `fbc->count += count + amount`: every writer holds the lock, so a
        // load and a store (no locked read-modify-write) suffice.
        let shared = &self.shared.count;
        shared.store(
            shared.load(Ordering::Relaxed) + count + amount,
            Ordering::Relaxed,
        );
        this_cpu_add_signed(c, -count);
    }

    /// `percpu_counter_add()`.
    #[inline(always)]
    pub fn add(&self, amount: i64) {
        self.add_batch(amount, self.batch)
    }

    #[inline]
    pub fn inc(&self) {
        self.add(1)
    }

    #[inline]
    pub fn dec(&self) {
        self.add(-1)
    }

    /// `percpu_counter_read()`: cheap, approximate, possibly negative.
    #[inline]
    pub fn read(&self) -> i64 {
        // A racy read of the shared count, as Linux's `READ_ONCE(fbc->count)`.
        self.shared.count.load(Ordering::Relaxed)
    }

    /// `percpu_counter_read_positive()`.
    pub fn read_positive(&self) -> i64 {
        self.read().max(0)
    }

    /// `percpu_counter_sum()`: exact.
    pub fn sum(&self) -> i64 {
        let _g = self.shared.lock.lock_irqsave();
        let mut ret = self.shared.count.load(Ordering::Relaxed);
        for (_, c) in self.counters.iter() {
            ret += c.load(Ordering::Relaxed);
        }
        ret
    }

    /// `percpu_counter_sum_positive()`.
    pub fn sum_positive(&self) -> i64 {
        self.sum().max(0)
    }

    /// `percpu_counter_set()`.
    pub fn set(&self, amount: i64) {
        let _g = self.shared.lock.lock_irqsave();
        for (_, c) in self.counters.iter() {
            c.store(0, Ordering::Relaxed);
        }
        self.shared.count.store(amount, Ordering::Relaxed);
    }

    /// `__percpu_counter_compare()`: compare with `rhs`, exactly if needed.
    pub fn compare(&self, rhs: i64) -> CmpOrdering {
        let count = self.read();
        if (count - rhs).abs() > self.error_bound() {
            return count.cmp(&rhs);
        }
        self.sum().cmp(&rhs)
    }
}
