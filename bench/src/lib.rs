//! Workloads for the kernel-core benchmarks (issue 2) and their host peers.
//!
//! Each function runs `iters` iterations of one workload and returns the
//! time they took, measured with the host's monotonic clock around the
//! timed loop only (kernel boot, thread creation and the first, warming
//! round are outside it), so that criterion's `iter_custom` can spread one
//! kernel boot over many iterations. [`Recorder`] keeps what each
//! benchmark measured so that a group can print its ratio against the peer
//! measured in the same run.

use kernel::init::kernel::BootConfig;
use kernel::kernel::kthread::{kthread_bind, kthread_create, kthread_run, kthread_stop};
use kernel::kernel::locking::{RawSpinLock, SpinLock};
use kernel::kernel::printk::Console;
use kernel::kernel::sched::wait::wait_event;
use kernel::kernel::sched::{current, set_cpus_allowed, wake_up_process, WaitQueueHead};
use std::collections::HashMap;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What each benchmark measured, call by call, for same-run ratios.
#[derive(Default)]
pub struct Recorder {
    runs: parking_lot::Mutex<HashMap<String, Vec<(Duration, u64)>>>,
}

impl Recorder {
    pub fn new() -> Self {
        Self::default()
    }

    /// Note that one call of `name` took `d` for `iters` iterations;
    /// returns `d` (for `iter_custom`).
    pub fn record(&self, name: &str, d: Duration, iters: u64) -> Duration {
        self.runs
            .lock()
            .entry(name.to_string())
            .or_default()
            .push((d, iters));
        d
    }

    /// Time per iteration in ns over the last `samples` calls of `name` —
    /// criterion's samples, which follow its warm-up calls — as the
    /// least-squares slope through the origin (criterion's headline figure
    /// in linear sampling; the mean per iteration in flat sampling).
    /// `None` if nothing was recorded (the benchmark was filtered out).
    pub fn estimate_ns(&self, name: &str, samples: usize) -> Option<f64> {
        let m = self.runs.lock();
        let v = m.get(name)?;
        let last = &v[v.len().saturating_sub(samples)..];
        let (mut xy, mut xx) = (0.0, 0.0);
        for &(d, n) in last {
            let (x, y) = (n as f64, d.as_nanos() as f64);
            xy += x * y;
            xx += x * x;
        }
        (xx > 0.0).then(|| xy / xx)
    }

    /// Print `ratio a/b = x` with both estimates; `None` if either is missing.
    pub fn ratio(&self, a: &str, b: &str, samples: usize) -> Option<f64> {
        let ta = self.estimate_ns(a, samples)?;
        let tb = self.estimate_ns(b, samples)?;
        let r = ta / tb;
        println!("ratio {a}/{b} = {r:.2}   ({a}: {ta:.1} ns/iter, {b}: {tb:.1} ns/iter)");
        Some(r)
    }
}

/// A quiet machine with `cpus` CPUs and `mem` bytes whose init runs `body`.
pub fn machine(cpus: usize, mem: u64) -> BootConfig {
    BootConfig {
        cpus,
        mem_bytes: mem,
        console: Console::Silent,
        ..Default::default()
    }
}

/// Boot `cpus` CPUs with 64 MiB, run `body` as init, power off; the
/// body's value.
pub fn in_kernel<R: Send + 'static>(cpus: usize, body: impl FnOnce() -> R + Send + 'static) -> R {
    in_kernel_cmdline(cpus, "", body)
}

/// [`in_kernel`] with a kernel command line (e.g. `nohz=off`).
pub fn in_kernel_cmdline<R: Send + 'static>(
    cpus: usize,
    cmdline: &str,
    body: impl FnOnce() -> R + Send + 'static,
) -> R {
    let mut cfg = machine(cpus, 64 << 20);
    cfg.cmdline = cmdline.to_string();
    kernel::testing::run(cfg, body).0
}

struct PingPong {
    ping: WaitQueueHead,
    pong: WaitQueueHead,
    /// Odd: the kthread's turn; even: init's.
    seq: AtomicU64,
}

/// `iters` round trips between init and a kthread through two wait
/// queues (`wait_event`/`wake_up`), each round trip being two context
/// switches. On a 1-CPU kernel both tasks share CPU 0; with
/// `cross_cpu` (needs 2 CPUs) init is pinned to CPU 0 and the kthread
/// bound to CPU 1, so each one-way trip is a cross-CPU wake-up.
///
/// Returns the time of the timed round trips, the context switches the
/// kernel counted meanwhile (all CPUs) and, as a check, the CPUs init and
/// the kthread ran on.
pub fn usk_pingpong(iters: u64, cpus: usize, cross_cpu: bool) -> (Duration, u64, (usize, usize)) {
    usk_pingpong_cmdline(iters, cpus, cross_cpu, "")
}

/// [`usk_pingpong`] on a kernel booted with `cmdline`.
pub fn usk_pingpong_cmdline(
    iters: u64,
    cpus: usize,
    cross_cpu: bool,
    cmdline: &str,
) -> (Duration, u64, (usize, usize)) {
    in_kernel_cmdline(cpus, cmdline, move || {
        let st = Arc::new(PingPong {
            ping: WaitQueueHead::new(),
            pong: WaitQueueHead::new(),
            seq: AtomicU64::new(0),
        });
        let s2 = Arc::clone(&st);
        let body = move || {
            // Round 0 warms up; rounds 1..=iters are timed.
            for i in 0..=iters {
                wait_event(&s2.ping, || s2.seq.load(Ordering::Acquire) == 2 * i + 1);
                s2.seq.store(2 * i + 2, Ordering::Release);
                s2.pong.wake_up();
            }
            kernel::smp_processor_id() as i32
        };
        let t = if cross_cpu {
            set_cpus_allowed(&current(), 1).expect("pin init to CPU 0");
            let t = kthread_create(body, "pingpong");
            kthread_bind(&t, 1);
            wake_up_process(&t);
            t
        } else {
            kthread_run(body, "pingpong")
        };
        let round = |i: u64| {
            st.seq.store(2 * i + 1, Ordering::Release);
            st.ping.wake_up();
            wait_event(&st.pong, || st.seq.load(Ordering::Acquire) == 2 * i + 2);
        };
        round(0);
        let k = kernel::kernel();
        let sw0 = k.nr_context_switches.load(Ordering::Relaxed);
        let t0 = Instant::now();
        for i in 1..=iters {
            round(i);
        }
        let d = t0.elapsed();
        let switches = k.nr_context_switches.load(Ordering::Relaxed) - sw0;
        let me = kernel::smp_processor_id();
        let other = kthread_stop(&t);
        (d, switches, (me, other as usize))
    })
}

/// The host peer of [`usk_pingpong`]: `iters` round trips between two host
/// threads through a `parking_lot` mutex and two condition variables.
pub fn host_condvar_pingpong(iters: u64) -> Duration {
    struct S {
        seq: parking_lot::Mutex<u64>,
        ping: parking_lot::Condvar,
        pong: parking_lot::Condvar,
    }
    let s = Arc::new(S {
        seq: parking_lot::Mutex::new(0),
        ping: parking_lot::Condvar::new(),
        pong: parking_lot::Condvar::new(),
    });
    let s2 = Arc::clone(&s);
    let h = std::thread::spawn(move || {
        for i in 0..=iters {
            let mut g = s2.seq.lock();
            while *g != 2 * i + 1 {
                s2.ping.wait(&mut g);
            }
            *g = 2 * i + 2;
            s2.pong.notify_one();
        }
    });
    let round = |i: u64| {
        let mut g = s.seq.lock();
        *g = 2 * i + 1;
        s.ping.notify_one();
        while *g != 2 * i + 2 {
            s.pong.wait(&mut g);
        }
    };
    round(0);
    let t0 = Instant::now();
    for i in 1..=iters {
        round(i);
    }
    let d = t0.elapsed();
    h.join().unwrap();
    d
}

/// `iters` uncontended lock+unlock pairs of a raw ticket lock through the
/// inline bodies (`__raw_spin_lock`/`__raw_spin_unlock`).
pub fn raw_spin_inline(iters: u64) -> Duration {
    let l = RawSpinLock::new();
    let t0 = Instant::now();
    for _ in 0..iters {
        let l = black_box(&l);
        l.__raw_spin_lock();
        l.__raw_spin_unlock();
    }
    t0.elapsed()
}

/// The same through the out-of-line `_raw_spin_lock`/`_raw_spin_unlock`.
pub fn raw_spin_outline(iters: u64) -> Duration {
    let l = RawSpinLock::new();
    let t0 = Instant::now();
    for _ in 0..iters {
        let l = black_box(&l);
        l._raw_spin_lock();
        l._raw_spin_unlock();
    }
    t0.elapsed()
}

/// `iters` uncontended `SpinLock::lock()` + guard drop on a kernel thread
/// (preempt_disable, raw lock, raw unlock, preempt_enable, interrupt point).
pub fn usk_spinlock(iters: u64) -> Duration {
    in_kernel(1, move || {
        let l = SpinLock::new(0u64);
        let t0 = Instant::now();
        for _ in 0..iters {
            let mut g = black_box(&l).lock();
            *g += 1;
        }
        let d = t0.elapsed();
        assert_eq!(*l.lock(), iters);
        d
    })
}

/// The peer: uncontended `parking_lot::Mutex` lock + unlock on a host thread.
pub fn host_mutex(iters: u64) -> Duration {
    let l = parking_lot::Mutex::new(0u64);
    let t0 = Instant::now();
    for _ in 0..iters {
        let mut g = black_box(&l).lock();
        *g += 1;
    }
    let d = t0.elapsed();
    assert_eq!(*l.lock(), iters);
    d
}

/// One boot of `cpus` CPUs and `mem` bytes whose init returns at once:
/// (host time from calling `boot()` to init running, `ktime_get()` as init
/// starts — ns since the machine's clock was created —, host time from
/// calling `boot()` to its return after power-off and teardown, host
/// threads the kernel started and joined).
pub fn usk_boot(cpus: usize, mem: u64) -> (Duration, u64, Duration, usize) {
    let slot = Arc::new(parking_lot::Mutex::new(None));
    let s2 = Arc::clone(&slot);
    let mut cfg = machine(cpus, mem);
    let start = Instant::now();
    cfg.init = Some(Box::new(move || {
        *s2.lock() = Some((start.elapsed(), kernel::kernel::time::ktime_get()));
        0
    }));
    let out = kernel::init::boot(cfg).expect("valid boot config");
    let total = start.elapsed();
    assert_eq!(
        out.exit,
        kernel::init::kernel::ExitReason::PowerOff(0),
        "{}",
        out.dmesg
    );
    assert_eq!(out.threads_leaked, 0);
    let (to_init, ktime) = slot.lock().take().expect("init ran");
    (to_init, ktime, total, out.threads_joined)
}

/// The peer of a boot: spawn `n` host threads with a task's stack size and
/// join them all.
pub fn host_spawn_join(n: usize) -> Duration {
    let t0 = Instant::now();
    let hs: Vec<_> = (0..n)
        .map(|_| {
            std::thread::Builder::new()
                .stack_size(kernel::kernel::kthread::THREAD_STACK_SIZE)
                .spawn(|| black_box(0))
                .unwrap()
        })
        .collect();
    for h in hs {
        h.join().unwrap();
    }
    t0.elapsed()
}

/// What [`paired_ratio`] found.
#[derive(Clone, Copy, Debug)]
pub struct Paired {
    /// Median, minimum and maximum of the per-pair ratios a/b.
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// Fastest run of each side (ns per iteration): the least disturbed.
    pub best_a: f64,
    pub best_b: f64,
}

impl Paired {
    /// The `paired ratio …` line every benchmark group prints.
    /// `iters`: iterations per run, when the runs have a fixed count.
    pub fn print(&self, what: &str, pairs: usize, iters: Option<u64>) {
        let runs = iters.map_or(String::new(), |n| format!(" of {n}-iteration runs in turn"));
        println!(
            "paired ratio {what} = {:.3} (median of {pairs} pairs{runs}; \
             min {:.3}, max {:.3}); best-of ratio = {:.3} ({:.2} vs {:.2} ns/iter)",
            self.median,
            self.min,
            self.max,
            self.best_a / self.best_b,
            self.best_a,
            self.best_b
        );
    }
}

/// Run `a` and `b` in turn (a b a b …) `pairs` times, each returning ns
/// per iteration, and compare them pair by pair — a comparison that holds
/// when the shared host's speed drifts during the run — and best against
/// best.
pub fn paired_ratio(
    pairs: usize,
    mut a: impl FnMut() -> f64,
    mut b: impl FnMut() -> f64,
) -> Paired {
    let (mut best_a, mut best_b) = (f64::INFINITY, f64::INFINITY);
    let mut r: Vec<f64> = (0..pairs)
        .map(|_| {
            let (ta, tb) = (a(), b());
            best_a = best_a.min(ta);
            best_b = best_b.min(tb);
            ta / tb
        })
        .collect();
    r.sort_by(f64::total_cmp);
    Paired {
        median: r[r.len() / 2],
        min: r[0],
        max: r[r.len() - 1],
        best_a,
        best_b,
    }
}

/// ns per iteration of a workload run for `iters` iterations.
pub fn per_iter(d: Duration, iters: u64) -> f64 {
    d.as_nanos() as f64 / iters as f64
}

pub mod rcu;
#[cfg(feature = "liburcu")]
pub mod urcu;
pub mod user;
