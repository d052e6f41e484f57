//! `struct timer_list`: jiffies-resolution kernel timers.
//!
//! Each CPU has a timer base: timers ordered by (expiry, insertion). The
//! tick raises TIMER_SOFTIRQ when the earliest timer of its CPU is due, and
//! `run_timers` calls expired callbacks in expiry order, in softirq context,
//! without the base lock held (so a callback may re-arm its own timer).
//! `mod_timer` queues a timer on the calling CPU's base, `add_timer_on` on a
//! chosen one; if that CPU is idle with its tick stopped it is kicked so it
//! can reprogram.
//!
//! Invariants: a timer is on at most one base (`base_cpu`), changed only
//! under the timer's own lock and then the base lock; `del_timer_sync`
//! returns only when the timer is neither pending nor running anywhere.

use crate::init::kernel::{kernel, Kernel};
use crate::kernel::locking::SpinLock;
use crate::kernel::smp::{cpu_relax, smp_processor_id};
use crate::kernel::time::time_after;
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

const NO_BASE: usize = usize::MAX;

struct TimerInner {
    func: Box<dyn Fn() + Send + Sync>,
    expires: AtomicU64,
    key_seq: AtomicU64,
    base_cpu: AtomicUsize,
    running: AtomicBool,
    /// Serialises mod/del on this timer (before any base lock).
    lock: Mutex<()>,
    /// The module whose code the callback is (see kernel/module.rs).
    owner: Option<Arc<crate::kernel::module::Module>>,
}

/// A kernel timer. Cloning gives another handle to the same timer.
#[derive(Clone)]
pub struct TimerList(Arc<TimerInner>);

#[derive(Default)]
struct BaseInner {
    timers: BTreeMap<(u64, u64), Arc<TimerInner>>,
    seq: u64,
}

/// `struct timer_base`, one per CPU.
#[derive(Default)]
pub struct TimerBase {
    inner: SpinLock<BaseInner>,
    /// Earliest expiry, `u64::MAX` when empty (lockless read by the tick).
    next_expiry: AtomicU64,
}

impl TimerBase {
    fn update_next(&self, g: &BaseInner) {
        let n = g.timers.keys().next().map(|k| k.0).unwrap_or(u64::MAX);
        self.next_expiry.store(n, Ordering::Release);
    }

    /// Earliest pending expiry in jiffies.
    pub fn next_expiry(&self) -> Option<u64> {
        let n = self.next_expiry.load(Ordering::Acquire);
        (n != u64::MAX).then_some(n)
    }

    pub fn len(&self) -> usize {
        self.inner.lock_irqsave().timers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl TimerList {
    /// `timer_setup(timer, callback, 0)`.
    pub fn new(func: impl Fn() + Send + Sync + 'static) -> Self {
        TimerList(Arc::new(TimerInner {
            func: Box::new(func),
            expires: AtomicU64::new(0),
            key_seq: AtomicU64::new(0),
            base_cpu: AtomicUsize::new(NO_BASE),
            running: AtomicBool::new(false),
            lock: Mutex::new(()),
            owner: crate::kernel::sched::current::in_kernel_thread()
                .then(crate::kernel::module::current_module)
                .flatten(),
        }))
    }

    pub fn expires(&self) -> u64 {
        self.0.expires.load(Ordering::Acquire)
    }

    /// `timer_pending()`.
    pub fn pending(&self) -> bool {
        self.0.base_cpu.load(Ordering::Acquire) != NO_BASE
    }

    /// Detach from its base; caller holds the timer lock.
    fn detach(&self, k: &Kernel) -> bool {
        let b = self.0.base_cpu.load(Ordering::Acquire);
        if b == NO_BASE {
            return false;
        }
        let base = k.timer_bases.per_cpu(b);
        let mut g = base.inner.lock_irqsave();
        if self.0.base_cpu.load(Ordering::Acquire) != b {
            return false;
        }
        let key = (
            self.0.expires.load(Ordering::Relaxed),
            self.0.key_seq.load(Ordering::Relaxed),
        );
        g.timers.remove(&key);
        self.0.base_cpu.store(NO_BASE, Ordering::Release);
        base.update_next(&g);
        true
    }

    fn enqueue(&self, k: &Kernel, cpu: usize, expires: u64) {
        let base = k.timer_bases.per_cpu(cpu);
        let mut g = base.inner.lock_irqsave();
        let seq = g.seq;
        g.seq += 1;
        self.0.expires.store(expires, Ordering::Release);
        self.0.key_seq.store(seq, Ordering::Release);
        g.timers.insert((expires, seq), Arc::clone(&self.0));
        self.0.base_cpu.store(cpu, Ordering::Release);
        let first = g.timers.keys().next().map(|k| k.1) == Some(seq);
        base.update_next(&g);
        drop(g);
        if first && cpu != smp_processor_id() {
            crate::kernel::time::tick::wake_up_nohz_cpu(k, cpu);
        }
    }

    /// `mod_timer()`: (re)arm to fire at `expires` (jiffies) on this CPU.
    /// Returns whether it was pending before.
    pub fn mod_timer(&self, expires: u64) -> bool {
        let k = kernel();
        let _t = self.0.lock.lock();
        let was = self.detach(&k);
        self.enqueue(&k, smp_processor_id(), expires);
        was
    }

    /// `add_timer_on()`: arm on a given CPU.
    pub fn add_timer_on(&self, expires: u64, cpu: usize) {
        let k = kernel();
        let _t = self.0.lock.lock();
        self.detach(&k);
        self.enqueue(&k, cpu.min(k.nr_cpus() - 1), expires);
    }

    /// `del_timer()`: deactivate; returns whether it was pending. The
    /// callback may still be running on another CPU.
    pub fn del_timer(&self) -> bool {
        let k = kernel();
        let _t = self.0.lock.lock();
        self.detach(&k)
    }

    /// `del_timer_sync()`: deactivate and wait for a running callback.
    /// Must not be called from the timer's own callback.
    pub fn del_timer_sync(&self) -> bool {
        let k = kernel();
        let mut was = false;
        loop {
            {
                let _t = self.0.lock.lock();
                was |= self.detach(&k);
            }
            if !self.0.running.load(Ordering::SeqCst) && !self.pending() {
                return was;
            }
            crate::kernel::irq::irq_point();
            cpu_relax();
        }
    }
}

/// `run_timers()` for `cpu`'s base, in TIMER_SOFTIRQ context.
pub(crate) fn run_timers(k: &Kernel, cpu: usize) {
    let base = k.timer_bases.per_cpu(cpu);
    let now = k.jiffies();
    loop {
        let t = {
            let mut g = base.inner.lock_irqsave();
            match g.timers.first_key_value() {
                Some((key, _)) if !time_after(key.0, now) => {
                    let (_, t) = g.timers.pop_first().expect("nonempty");
                    t.running.store(true, Ordering::SeqCst);
                    t.base_cpu.store(NO_BASE, Ordering::SeqCst);
                    base.update_next(&g);
                    t
                }
                _ => {
                    base.update_next(&g);
                    return;
                }
            }
        };
        if let Some(m) = &t.owner {
            crate::kernel::module::module_text_check(m, "call_timer_fn");
        }
        let addr = Arc::as_ptr(&t) as u64;
        crate::trace::trace(&crate::trace::events::TIMER_EXPIRE_ENTRY, |w| {
            w.u64(8, addr).u64(16, now);
        });
        crate::kernel::module::with_module_context(t.owner.clone(), || (t.func)());
        crate::trace::trace(&crate::trace::events::TIMER_EXPIRE_EXIT, |w| {
            w.u64(8, addr);
        });
        t.running.store(false, Ordering::SeqCst);
    }
}

/// `init_timers()`: install TIMER_SOFTIRQ.
pub(crate) fn init_timers() {
    crate::kernel::softirq::open_softirq(crate::kernel::softirq::TIMER_SOFTIRQ, || {
        let k = kernel();
        run_timers(&k, smp_processor_id());
    });
}
