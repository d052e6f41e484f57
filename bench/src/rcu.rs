//! Workloads for the RCU and per-CPU counter benchmarks (issue 5) and their
//! host peers: `crossbeam-epoch`, `arc-swap`, `parking_lot::RwLock`, a
//! shared `AtomicU64` and, with the `liburcu` feature, liburcu
//! ([`crate::urcu`]).
//!
//! As in the kernel-core workloads, each function times only its loop with
//! the host's monotonic clock; kernel boot and thread creation are outside
//! it. The 2-thread workloads start both loops together (each thread
//! announces itself and spins until the other has too), time each thread's
//! loop and return the slower one: one iteration is one operation done on
//! *each* thread at once.

use crate::in_kernel_cmdline;
use kernel::kernel::kthread::{kthread_create_on_cpu, kthread_should_stop, kthread_stop};
use kernel::kernel::rcu::{
    call_rcu, rcu_barrier, rcu_read_lock, synchronize_rcu, synchronize_rcu_expedited, RcuPointer,
};
use kernel::kernel::sched::{cond_resched, wake_up_process, Completion};
use kernel::lib::percpu_counter::PercpuCounter;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The kernel command line of each RCU flavour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    /// The non-preemptible default: readers compile to (almost) nothing.
    Default,
    /// `rcu=preempt`: per-task nesting count, blocked-reader tracking.
    Preempt,
}

impl Flavour {
    pub fn cmdline(self) -> &'static str {
        match self {
            Flavour::Default => "",
            Flavour::Preempt => "rcu=preempt",
        }
    }
}

/// The value every reader finds behind the pointer.
const VALUE: u64 = 42;

/// Read-side sections per trip of every read loop below. A section that
/// costs next to nothing would otherwise be timed together with the loop's
/// own branch and with where the compiler happened to put the loop in the
/// instruction cache (a loop straddling a 64-byte line ran at half speed);
/// at 8 sections a trip those weigh an eighth, the same for every
/// contender.
pub const UNROLL: u64 = 8;

/// `iters` × `section()`, `UNROLL` to a loop trip; the sum of the values.
#[inline(always)]
pub fn read_sections(iters: u64, mut section: impl FnMut() -> u64) -> u64 {
    let mut sum = 0u64;
    for _ in 0..iters / UNROLL {
        for _ in 0..UNROLL {
            sum = sum.wrapping_add(section());
        }
    }
    for _ in 0..iters % UNROLL {
        sum = sum.wrapping_add(section());
    }
    sum
}

/// `iters` × (`rcu_read_lock()`, `RcuPointer::dereference`, read the value,
/// drop the guard) on the calling kernel thread; the sum of the values read.
#[inline(never)]
pub fn usk_read_loop(p: &RcuPointer<u64>, iters: u64) -> u64 {
    let p = black_box(p);
    read_sections(iters, || {
        let g = rcu_read_lock();
        *p.dereference(&g).expect("published")
    })
}

/// Readers on one kernel thread (init, on a 1-CPU kernel).
pub fn usk_read_1(iters: u64, flavour: Flavour) -> Duration {
    in_kernel_cmdline(1, flavour.cmdline(), move || {
        let p = RcuPointer::new(Some(Box::new(VALUE)));
        let t0 = Instant::now();
        let sum = usk_read_loop(&p, iters);
        let d = t0.elapsed();
        assert_eq!(sum, iters * VALUE);
        d
    })
}

/// Run `body(&state, iters)` on one kthread bound to each of `cpus` CPUs,
/// all loops started together; the slowest loop's time and `finish(&state)`
/// (run by init after every kthread has finished).
pub fn usk_parallel<S, R>(
    cpus: usize,
    cmdline: &str,
    iters: u64,
    state: impl FnOnce() -> S + Send + 'static,
    body: fn(&S, u64),
    finish: fn(&S) -> R,
) -> (Duration, R)
where
    S: Send + Sync + 'static,
    R: Send + 'static,
{
    in_kernel_cmdline(cpus, cmdline, move || {
        let st = Arc::new(state());
        let started = Arc::new(AtomicUsize::new(0));
        let threads: Vec<_> = (0..cpus)
            .map(|cpu| {
                let (st, started) = (Arc::clone(&st), Arc::clone(&started));
                let done = Arc::new(Completion::new());
                let d2 = Arc::clone(&done);
                let ns = Arc::new(AtomicU64::new(0));
                let ns2 = Arc::clone(&ns);
                let t = kthread_create_on_cpu(
                    move || {
                        assert_eq!(kernel::smp_processor_id(), cpu);
                        started.fetch_add(1, Ordering::AcqRel);
                        while started.load(Ordering::Acquire) < cpus {
                            std::hint::spin_loop();
                        }
                        let t0 = Instant::now();
                        body(&st, iters);
                        ns2.store(t0.elapsed().as_nanos() as u64, Ordering::Release);
                        d2.complete();
                        0
                    },
                    cpu,
                    "bench_reader",
                );
                wake_up_process(&t);
                (t, done, ns)
            })
            .collect();
        let mut slowest = 0;
        for (t, done, ns) in &threads {
            // Not kthread_stop() first: a kthread stopped before it has run
            // never runs its function.
            done.wait_for_completion();
            assert_eq!(kthread_stop(t), 0);
            slowest = slowest.max(ns.load(Ordering::Acquire));
        }
        (Duration::from_nanos(slowest), finish(&st))
    })
}

/// One reader kthread per CPU of a 2-CPU kernel.
pub fn usk_read_2(iters: u64, flavour: Flavour) -> Duration {
    let (d, ()) = usk_parallel(
        2,
        flavour.cmdline(),
        iters,
        || RcuPointer::new(Some(Box::new(VALUE))),
        |p, n| assert_eq!(usk_read_loop(p, n), n * VALUE),
        |_| (),
    );
    d
}

/// Run `body(iters)` on `threads` host threads started together; the
/// slowest loop's time.
pub fn host_parallel(threads: usize, iters: u64, body: impl Fn(u64) + Sync) -> Duration {
    let started = AtomicUsize::new(0);
    std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    started.fetch_add(1, Ordering::AcqRel);
                    while started.load(Ordering::Acquire) < threads {
                        std::hint::spin_loop();
                    }
                    let t0 = Instant::now();
                    body(iters);
                    t0.elapsed()
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).max().unwrap()
    })
}

/// A host read-side workload: `read(iters)` returns the sum of the values
/// read, timed on 1 thread or on `threads` threads at once.
fn host_reads(threads: usize, iters: u64, read: impl Fn(u64) -> u64 + Sync) -> Duration {
    if threads == 1 {
        let t0 = Instant::now();
        let sum = read(iters);
        let d = t0.elapsed();
        assert_eq!(sum, iters * VALUE);
        d
    } else {
        host_parallel(threads, iters, |n| assert_eq!(read(n), n * VALUE))
    }
}

/// `crossbeam_epoch::pin()` + `Atomic::load` + read + unpin.
pub fn crossbeam_read(threads: usize, iters: u64) -> Duration {
    use crossbeam_epoch as epoch;
    let a = epoch::Atomic::new(VALUE);
    let d = host_reads(threads, iters, |n| {
        let a = black_box(&a);
        read_sections(n, || {
            let g = epoch::pin();
            let s = a.load(Ordering::Acquire, &g);
            // SAFETY: `a` is never changed or freed while readers run.
            *unsafe { s.as_ref() }.expect("published")
        })
    });
    // SAFETY: no reader is left.
    drop(unsafe { a.into_owned() });
    d
}

/// The floor: the same loop with no read-side primitive at all, only the
/// acquire load of the pointer and the read (what a read-side section that
/// "compiles to nothing" leaves).
pub fn bare_load_read(threads: usize, iters: u64) -> Duration {
    let v = Box::new(VALUE);
    let p = std::sync::atomic::AtomicPtr::new(Box::into_raw(v));
    let d = host_reads(threads, iters, |n| {
        let p = black_box(&p);
        read_sections(n, || {
            let q = p.load(Ordering::Acquire);
            // SAFETY: `p` points to the box above until after the readers.
            *unsafe { q.as_ref() }.expect("published")
        })
    });
    // SAFETY: from Box::into_raw above; no reader is left.
    drop(unsafe { Box::from_raw(p.into_inner()) });
    d
}

/// `ArcSwap::load()` + read + drop of the guard.
pub fn arcswap_read(threads: usize, iters: u64) -> Duration {
    let a = arc_swap::ArcSwap::from_pointee(VALUE);
    host_reads(threads, iters, |n| {
        let a = black_box(&a);
        read_sections(n, || **a.load())
    })
}

/// `parking_lot::RwLock::read()` + read + unlock.
pub fn rwlock_read(threads: usize, iters: u64) -> Duration {
    let l = parking_lot::RwLock::new(VALUE);
    host_reads(threads, iters, |n| {
        let l = black_box(&l);
        read_sections(n, || *l.read())
    })
}

/// What the updater-side workloads wait for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wait {
    /// `synchronize_rcu()`.
    Sync,
    /// `synchronize_rcu_expedited()`.
    Expedited,
    /// `rcu_barrier()` (no callbacks queued).
    Barrier,
}

/// `iters` calls of `what` from init (on CPU 0) of a 2-CPU kernel, after
/// one untimed call. Meanwhile one kthread bound to each CPU of `busy`
/// loops on `cond_resched()` (on CPU 0 it shares the CPU with init).
pub fn usk_wait(iters: u64, what: Wait, busy: &'static [usize]) -> Duration {
    in_kernel_cmdline(2, "", move || {
        kernel::kernel::sched::set_cpus_allowed(&kernel::kernel::sched::current(), 1)
            .expect("pin init to CPU 0");
        let hogs: Vec<_> = busy
            .iter()
            .map(|&cpu| {
                let t = kthread_create_on_cpu(
                    || {
                        while !kthread_should_stop() {
                            cond_resched();
                        }
                        0
                    },
                    cpu,
                    "bench_busy",
                );
                wake_up_process(&t);
                t
            })
            .collect();
        let op = match what {
            Wait::Sync => synchronize_rcu as fn(),
            Wait::Expedited => synchronize_rcu_expedited,
            Wait::Barrier => rcu_barrier,
        };
        op();
        let t0 = Instant::now();
        for _ in 0..iters {
            op();
        }
        let d = t0.elapsed();
        for t in &hogs {
            kthread_stop(t);
        }
        d
    })
}

/// Callbacks invoked so far by the callback-throughput workloads.
static CALLBACKS_RUN: AtomicU64 = AtomicU64::new(0);

/// The object each callback frees (32 bytes, as a small kfree_rcu'd
/// structure).
type Obj = [u64; 4];

/// Queue `n` callbacks with `call_rcu()` from init on a 2-CPU kernel, each
/// freeing one freshly allocated 32-byte object, then `rcu_barrier()`:
/// (time to queue them, time until the barrier returned — every callback
/// has run).
pub fn usk_call_rcu(n: u64) -> (Duration, Duration) {
    in_kernel_cmdline(2, "", move || {
        // Warm-up: one callback and a barrier.
        call_rcu(|| ());
        rcu_barrier();
        CALLBACKS_RUN.store(0, Ordering::Relaxed);
        let t0 = Instant::now();
        for i in 0..n {
            let obj: Box<Obj> = Box::new([i; 4]);
            call_rcu(move || {
                drop(black_box(obj));
                CALLBACKS_RUN.fetch_add(1, Ordering::Relaxed);
            });
        }
        let queued = t0.elapsed();
        rcu_barrier();
        let total = t0.elapsed();
        assert_eq!(CALLBACKS_RUN.load(Ordering::Relaxed), n);
        (queued, total)
    })
}

/// The crossbeam-epoch peer: `n` × (`pin()`, `Guard::defer` of a closure
/// freeing a fresh 32-byte object, unpin), then `pin().flush()` until every
/// deferred closure has run (crossbeam has no barrier; this is its way to
/// push garbage through). Same pair of times.
pub fn crossbeam_defer(n: u64) -> (Duration, Duration) {
    use crossbeam_epoch as epoch;
    // Run on a fresh thread so that no garbage of earlier work is pending.
    std::thread::spawn(move || {
        CALLBACKS_RUN.store(0, Ordering::Relaxed);
        let t0 = Instant::now();
        for i in 0..n {
            let obj: Box<Obj> = Box::new([i; 4]);
            let g = epoch::pin();
            g.defer(move || {
                drop(black_box(obj));
                CALLBACKS_RUN.fetch_add(1, Ordering::Relaxed);
            });
        }
        let queued = t0.elapsed();
        while CALLBACKS_RUN.load(Ordering::Relaxed) < n {
            epoch::pin().flush();
        }
        (queued, t0.elapsed())
    })
    .join()
    .unwrap()
}

/// `PercpuCounter::add(1)` `iters` times on one kthread per CPU of a
/// `cpus`-CPU kernel, all on the same counter; checks the exact sum.
///
/// Without `fold`, `add_batch(1, i64::MAX)` instead: the per-CPU deltas are
/// never folded into the shared count, so the shared cache line is never
/// written — not a valid use of the counter (its error bound is gone), only
/// a way to measure the per-CPU fast path alone.
pub fn usk_percpu_add(cpus: usize, iters: u64, fold: bool) -> Duration {
    let body: fn(&PercpuCounter, u64) = if fold {
        |c, n| {
            for _ in 0..n {
                black_box(c).add(1);
            }
        }
    } else {
        |c, n| {
            for _ in 0..n {
                black_box(c).add_batch(1, i64::MAX);
            }
        }
    };
    let (d, sum) = usk_parallel(
        cpus,
        "",
        iters,
        move || PercpuCounter::new(cpus, 0),
        body,
        |c| c.sum(),
    );
    assert_eq!(sum, (cpus as u64 * iters) as i64);
    d
}

/// The peer: `AtomicU64::fetch_add(1)` on one shared counter from
/// `threads` host threads.
pub fn host_atomic_add(threads: usize, iters: u64) -> Duration {
    let c = AtomicU64::new(0);
    let d = host_parallel(threads, iters, |n| {
        for _ in 0..n {
            black_box(&c).fetch_add(1, Ordering::Relaxed);
        }
    });
    assert_eq!(c.load(Ordering::Relaxed), threads as u64 * iters);
    d
}

/// A baseline for the 2-thread figures: each host thread does
/// `fetch_add(1)` on its own cache-line-padded atomic (nothing shared), so
/// the time over the 1-thread figure is what running two threads at once
/// on this host costs by itself.
pub fn host_atomic_add_private(threads: usize, iters: u64) -> Duration {
    let cs: Vec<_> = (0..threads)
        .map(|_| crossbeam_utils::CachePadded::new(AtomicU64::new(0)))
        .collect();
    let next = AtomicUsize::new(0);
    let d = host_parallel(threads, iters, |n| {
        let c = &cs[next.fetch_add(1, Ordering::Relaxed)];
        for _ in 0..n {
            black_box(&**c).fetch_add(1, Ordering::Relaxed);
        }
    });
    for c in &cs {
        assert_eq!(c.load(Ordering::Relaxed), iters);
    }
    d
}
