//! SMP basics: `smp_processor_id()`, `cpu_relax()`, and cross-CPU function
//! calls (`smp_call_function_single`, `on_each_cpu`) delivered by the
//! function-call IPI ("CAL" in /proc/interrupts).
//!
//! Invariant: a queued call runs exactly once, in hardirq context on the
//! target CPU; a waiting caller spins (taking its own interrupts, so two
//! CPUs calling each other cannot deadlock) until the callee marks it done.

use crate::init::kernel::kernel;
use crate::kernel::preempt::{irqs_disabled, local_irq_restore, local_irq_save};
use crate::kernel::sched::current::with_current;
use hw::Vector;
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;

/// `smp_processor_id()`: the CPU slot the caller holds.
#[inline]
pub fn smp_processor_id() -> usize {
    with_current(|t| t.cpu())
}

/// `nr_cpu_ids`.
#[inline]
pub fn nr_cpu_ids() -> usize {
    kernel().nr_cpus()
}

/// `cpu_relax()` inside a busy-wait. In deterministic mode it passes the run
/// baton (the CPU being waited for must get to run); in wall-clock mode it
/// yields the host core now and then, since usk may have more simulated CPUs
/// than the host has cores.
#[inline]
pub fn cpu_relax() {
    thread_local!(static SPINS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) });
    std::hint::spin_loop();
    let k = kernel();
    if k.is_deterministic() {
        crate::kernel::sched::det::det_yield(&k);
        return;
    }
    SPINS.with(|s| {
        let n = s.get().wrapping_add(1);
        s.set(n);
        if n % 64 == 0 {
            std::thread::yield_now();
        }
    });
}

type CallFn = Box<dyn FnOnce() + Send>;

struct CallSingleData {
    func: Mutex<Option<CallFn>>,
    done: AtomicBool,
}

/// Per-CPU `call_single_queue`.
#[derive(Default)]
pub struct CallQueue {
    queue: Mutex<VecDeque<Arc<CallSingleData>>>,
    /// Calls executed on this CPU (the CAL column).
    pub count: AtomicU32,
}

/// Run `func` on `cpu`; with `wait`, return only once it has run.
/// Like Linux, waiting with interrupts disabled is a bug (deadlock risk).
pub fn smp_call_function_single(cpu: usize, func: impl FnOnce() + Send + 'static, wait: bool) {
    let k = kernel();
    assert!(cpu < k.nr_cpus(), "smp_call_function_single: no CPU {cpu}");
    if cpu == smp_processor_id() {
        let flags = local_irq_save();
        func();
        local_irq_restore(flags);
        return;
    }
    if wait && irqs_disabled() {
        crate::WARN!(
            true,
            "smp_call_function_single(wait) with interrupts disabled"
        );
    }
    let csd = Arc::new(CallSingleData {
        func: Mutex::new(Some(Box::new(func))),
        done: AtomicBool::new(false),
    });
    k.call_queues
        .per_cpu(cpu)
        .queue
        .lock()
        .push_back(Arc::clone(&csd));
    k.irqchip.send_vector(cpu, Vector::CallFunction);
    if wait {
        while !csd.done.load(Ordering::Acquire) {
            crate::kernel::irq::irq_point();
            cpu_relax();
        }
    }
}

/// `on_each_cpu(func, wait)`: run `func` on every online CPU, the local one
/// included (with interrupts off, as Linux does).
pub fn on_each_cpu(func: impl Fn() + Send + Sync + 'static, wait: bool) {
    let func = Arc::new(func);
    let me = smp_processor_id();
    for cpu in 0..nr_cpu_ids() {
        if cpu != me {
            let f = Arc::clone(&func);
            smp_call_function_single(cpu, move || f(), wait);
        }
    }
    let flags = local_irq_save();
    func();
    local_irq_restore(flags);
}

/// The CALL_FUNCTION vector handler (hardirq context).
pub(crate) fn generic_smp_call_function_interrupt(cpu: usize) {
    let k = kernel();
    let q = k.call_queues.per_cpu(cpu);
    loop {
        let csd = q.queue.lock().pop_front();
        let Some(csd) = csd else { break };
        q.count.fetch_add(1, Ordering::Relaxed);
        if let Some(f) = csd.func.lock().take() {
            f();
        }
        csd.done.store(true, Ordering::Release);
    }
}
