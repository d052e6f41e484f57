//! Sleepable RCU (kernel/rcu/srcu*.c): readers may block.
//!
//! Readers increment a per-CPU lock count of the current index and, when
//! done, an unlock count of the same index; `srcu_read_lock` returns the
//! index for `srcu_read_unlock`. A grace period flips the index, then waits
//! until the lock and unlock counts of the old index match on the sum over
//! CPUs (unlocks summed first, with full barriers: Lai Jiangshan's
//! `srcu_readers_active_idx_check`). `call_srcu` callbacks are collected and
//! run by a work item after a grace period; `srcu_barrier` waits for them —
//! the function the seed's Quick Quiz #1 says did not exist yet.

use crate::init::kernel::kernel;
use crate::kernel::locking::Mutex as KMutex;
use crate::kernel::percpu::PerCpu;
use crate::kernel::workqueue::{flush_work, schedule_work, WorkStruct};
use parking_lot::Mutex;
use std::sync::atomic::{fence, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

#[derive(Default)]
struct SrcuCpu {
    lock_count: [AtomicU64; 2],
    unlock_count: [AtomicU64; 2],
}

type Cb = Box<dyn FnOnce() + Send>;

struct Inner {
    idx: AtomicUsize,
    counts: PerCpu<SrcuCpu>,
    gp_mutex: KMutex<()>,
    completed: AtomicU64,
    cbs: Mutex<Vec<Cb>>,
}

/// `struct srcu_struct`.
pub struct SrcuStruct {
    inner: Arc<Inner>,
    work: WorkStruct,
}

impl SrcuStruct {
    /// `init_srcu_struct()`.
    pub fn new() -> Self {
        let inner = Arc::new(Inner {
            idx: AtomicUsize::new(0),
            counts: PerCpu::new(kernel().nr_cpus(), |_| SrcuCpu::default()),
            gp_mutex: KMutex::new(()),
            completed: AtomicU64::new(0),
            cbs: Mutex::new(Vec::new()),
        });
        let i2 = Arc::clone(&inner);
        // srcu_invoke_callbacks(): a grace period per batch, then the batch.
        let work = WorkStruct::new(move || loop {
            let batch: Vec<Cb> = std::mem::take(&mut *i2.cbs.lock());
            if batch.is_empty() {
                break;
            }
            i2.synchronize();
            for cb in batch {
                cb();
            }
        });
        SrcuStruct { inner, work }
    }

    /// `srcu_read_lock()`: returns the index to pass to unlock.
    pub fn read_lock(&self) -> usize {
        let idx = self.inner.idx.load(Ordering::Acquire) & 1;
        self.inner.counts.this_cpu().lock_count[idx].fetch_add(1, Ordering::SeqCst);
        fence(Ordering::SeqCst);
        idx
    }

    /// `srcu_read_unlock()`.
    pub fn read_unlock(&self, idx: usize) {
        fence(Ordering::SeqCst);
        self.inner.counts.this_cpu().unlock_count[idx & 1].fetch_add(1, Ordering::SeqCst);
    }

    /// `synchronize_srcu()`.
    #[track_caller]
    pub fn synchronize(&self) {
        crate::kernel::panic::might_sleep();
        self.inner.synchronize();
    }

    /// `call_srcu()`.
    pub fn call_srcu(&self, f: impl FnOnce() + Send + 'static) {
        self.inner.cbs.lock().push(Box::new(f));
        schedule_work(&self.work);
    }

    /// `srcu_barrier()`: wait for every `call_srcu` callback queued so far.
    pub fn barrier(&self) {
        flush_work(&self.work);
    }

    /// Completed grace periods.
    pub fn completed(&self) -> u64 {
        self.inner.completed.load(Ordering::Acquire)
    }
}

impl Default for SrcuStruct {
    fn default() -> Self {
        Self::new()
    }
}

impl Inner {
    fn readers_active_idx_check(&self, idx: usize) -> bool {
        let unlocks: u64 = self
            .counts
            .iter()
            .map(|(_, c)| c.unlock_count[idx].load(Ordering::SeqCst))
            .sum();
        fence(Ordering::SeqCst);
        let locks: u64 = self
            .counts
            .iter()
            .map(|(_, c)| c.lock_count[idx].load(Ordering::SeqCst))
            .sum();
        locks == unlocks
    }

    fn wait_readers(&self, idx: usize) {
        while !self.readers_active_idx_check(idx) {
            crate::kernel::sched::schedule_timeout_uninterruptible(1);
        }
    }

    fn synchronize(&self) {
        let _g = self.gp_mutex.lock();
        let old = self.idx.load(Ordering::Acquire) & 1;
        // Stragglers that read the index just before the previous flip.
        self.wait_readers(old ^ 1);
        self.idx.store(old ^ 1, Ordering::Release);
        fence(Ordering::SeqCst);
        self.wait_readers(old);
        fence(Ordering::SeqCst);
        self.completed.fetch_add(1, Ordering::AcqRel);
    }
}
