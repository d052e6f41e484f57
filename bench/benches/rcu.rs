//! RCU and per-CPU counter benchmarks of issue 5, each against host peers
//! measured in the same run; every group ends with `ratio a/b = x` lines.
//!
//! `cargo bench -p usk-bench --bench rcu` (add `--features liburcu` for the
//! liburcu peers; needs Debian's liburcu-dev).

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use std::time::Duration;
use usk_bench::rcu::*;
use usk_bench::*;

const SAMPLES: usize = 10;
/// Pairs of runs for the paired ratios.
const PAIRS: usize = 9;
/// Callbacks per iteration of the call_rcu group.
const CALLBACKS: u64 = 100_000;

/// Read-side critical sections (lock, dereference, read, unlock) on
/// `threads` threads: usk's two flavours against the host peers.
fn read_side(c: &mut Criterion, threads: usize) {
    let rec = Recorder::new();
    let usk: fn(u64, Flavour) -> std::time::Duration =
        if threads == 1 { usk_read_1 } else { usk_read_2 };
    let mut g = c.benchmark_group(format!("rcu_read_{threads}thread"));
    g.bench_function("usk_default", |b| {
        b.iter_custom(|n| rec.record("usk_default", usk(n, Flavour::Default), n))
    });
    g.bench_function("usk_preempt", |b| {
        b.iter_custom(|n| rec.record("usk_preempt", usk(n, Flavour::Preempt), n))
    });
    g.bench_function("bare_load", |b| {
        b.iter_custom(|n| rec.record("bare_load", bare_load_read(threads, n), n))
    });
    g.bench_function("crossbeam_epoch", |b| {
        b.iter_custom(|n| rec.record("crossbeam_epoch", crossbeam_read(threads, n), n))
    });
    g.bench_function("arc_swap", |b| {
        b.iter_custom(|n| rec.record("arc_swap", arcswap_read(threads, n), n))
    });
    g.bench_function("parking_lot_rwlock", |b| {
        b.iter_custom(|n| rec.record("parking_lot_rwlock", rwlock_read(threads, n), n))
    });
    #[cfg(feature = "liburcu")]
    {
        use usk_bench::urcu::{urcu_read, Urcu};
        g.bench_function("liburcu_memb", |b| {
            b.iter_custom(|n| rec.record("liburcu_memb", urcu_read(Urcu::Memb, threads, n), n))
        });
        g.bench_function("liburcu_qsbr", |b| {
            b.iter_custom(|n| rec.record("liburcu_qsbr", urcu_read(Urcu::Qsbr, threads, n), n))
        });
    }
    g.finish();
    if let Some(r) = rec.ratio("usk_default", "crossbeam_epoch", SAMPLES) {
        let t = rec.estimate_ns("usk_default", SAMPLES).unwrap();
        println!(
            "goal (default flavour, {threads} thread(s)): {t:.2} ns <= 1 ns: {}; \
             ratio {r:.3} <= 0.2x crossbeam-epoch: {}",
            if t <= 1.0 { "met" } else { "NOT met" },
            if r <= 0.2 { "met" } else { "NOT met" },
        );
        for peer in [
            "arc_swap",
            "parking_lot_rwlock",
            "liburcu_memb",
            "liburcu_qsbr",
        ] {
            rec.ratio("usk_default", peer, SAMPLES);
        }
        rec.ratio("usk_default", "bare_load", SAMPLES);
        rec.ratio("usk_preempt", "crossbeam_epoch", SAMPLES);
        rec.ratio("usk_preempt", "usk_default", SAMPLES);
        let n = 2_000_000;
        let p = paired_ratio(
            PAIRS,
            || per_iter(usk(n, Flavour::Default), n),
            || per_iter(crossbeam_read(threads, n), n),
        );
        p.print("usk_default/crossbeam_epoch", PAIRS, Some(n));
        let p = paired_ratio(
            PAIRS,
            || per_iter(usk(n, Flavour::Default), n),
            || per_iter(bare_load_read(threads, n), n),
        );
        p.print("usk_default/bare_load", PAIRS, Some(n));
    }
}

fn read_1thread(c: &mut Criterion) {
    read_side(c, 1);
}

fn read_2threads(c: &mut Criterion) {
    read_side(c, 2);
}

/// Latency of `synchronize_rcu()`, `synchronize_rcu_expedited()` and an
/// idle `rcu_barrier()` on a 2-CPU kernel, idle or with a `cond_resched()`
/// loop on every CPU; liburcu's memb flavour as the peer where built.
fn wait_latency(c: &mut Criterion) {
    let rec = Recorder::new();
    let mut g = c.benchmark_group("rcu_wait_latency_2cpu");
    g.sampling_mode(SamplingMode::Flat);
    const IDLE: &[usize] = &[];
    const CPU1: &[usize] = &[1];
    const ALL: &[usize] = &[0, 1];
    for (name, what, busy) in [
        ("usk_synchronize_rcu_idle", Wait::Sync, IDLE),
        ("usk_synchronize_rcu_busy_cpu1", Wait::Sync, CPU1),
        ("usk_synchronize_rcu_busy", Wait::Sync, ALL),
        ("usk_expedited_idle", Wait::Expedited, IDLE),
        ("usk_expedited_busy_cpu1", Wait::Expedited, CPU1),
        ("usk_expedited_busy", Wait::Expedited, ALL),
        ("usk_rcu_barrier_idle", Wait::Barrier, IDLE),
    ] {
        g.bench_function(name, |b| {
            b.iter_custom(|n| rec.record(name, usk_wait(n, what, busy), n))
        });
    }
    #[cfg(feature = "liburcu")]
    {
        use usk_bench::urcu::{urcu_barrier, urcu_synchronize};
        g.bench_function("liburcu_synchronize_rcu_idle", |b| {
            b.iter_custom(|n| {
                rec.record(
                    "liburcu_synchronize_rcu_idle",
                    urcu_synchronize(n, false),
                    n,
                )
            })
        });
        g.bench_function("liburcu_synchronize_rcu_busy", |b| {
            b.iter_custom(|n| {
                rec.record("liburcu_synchronize_rcu_busy", urcu_synchronize(n, true), n)
            })
        });
        g.bench_function("liburcu_rcu_barrier_idle", |b| {
            b.iter_custom(|n| rec.record("liburcu_rcu_barrier_idle", urcu_barrier(n), n))
        });
    }
    g.finish();
    for name in [
        "usk_synchronize_rcu_idle",
        "usk_synchronize_rcu_busy_cpu1",
        "usk_synchronize_rcu_busy",
        "usk_expedited_idle",
        "usk_expedited_busy_cpu1",
        "usk_expedited_busy",
        "usk_rcu_barrier_idle",
        "liburcu_synchronize_rcu_idle",
        "liburcu_synchronize_rcu_busy",
        "liburcu_rcu_barrier_idle",
    ] {
        if let Some(t) = rec.estimate_ns(name, SAMPLES) {
            println!("{name}: {:.2} us per call", t / 1e3);
        }
    }
    rec.ratio(
        "usk_synchronize_rcu_busy",
        "usk_synchronize_rcu_idle",
        SAMPLES,
    );
    rec.ratio("usk_expedited_idle", "usk_synchronize_rcu_idle", SAMPLES);
    rec.ratio(
        "usk_synchronize_rcu_idle",
        "liburcu_synchronize_rcu_idle",
        SAMPLES,
    );
    rec.ratio(
        "usk_synchronize_rcu_busy",
        "liburcu_synchronize_rcu_busy",
        SAMPLES,
    );
    rec.ratio(
        "usk_expedited_idle",
        "liburcu_synchronize_rcu_idle",
        SAMPLES,
    );
    rec.ratio("usk_rcu_barrier_idle", "liburcu_rcu_barrier_idle", SAMPLES);
}

/// `call_rcu()` throughput: one iteration queues CALLBACKS callbacks, each
/// freeing a 32-byte object, and waits until all have run (`rcu_barrier()`;
/// crossbeam-epoch: `pin().flush()` until they have).
fn call_rcu_throughput(c: &mut Criterion) {
    let rec = Recorder::new();
    let mut g = c.benchmark_group(format!("call_rcu_{CALLBACKS}_callbacks"));
    g.sampling_mode(SamplingMode::Flat);
    let run = |name: &str, f: fn(u64) -> (Duration, Duration), n: u64| {
        let (mut q, mut t) = (Duration::ZERO, Duration::ZERO);
        for _ in 0..n {
            let (dq, dt) = f(CALLBACKS);
            q += dq;
            t += dt;
        }
        rec.record(&format!("{name}_queue"), q, n * CALLBACKS);
        rec.record(name, t, n)
    };
    g.bench_function("usk_call_rcu", |b| {
        b.iter_custom(|n| run("usk_call_rcu", usk_call_rcu, n))
    });
    g.bench_function("crossbeam_defer", |b| {
        b.iter_custom(|n| run("crossbeam_defer", crossbeam_defer, n))
    });
    #[cfg(feature = "liburcu")]
    g.bench_function("liburcu_call_rcu", |b| {
        b.iter_custom(|n| run("liburcu_call_rcu", usk_bench::urcu::urcu_call_rcu, n))
    });
    g.finish();
    for name in ["usk_call_rcu", "crossbeam_defer", "liburcu_call_rcu"] {
        let (Some(total), Some(queue)) = (
            rec.estimate_ns(name, SAMPLES),
            rec.estimate_ns(&format!("{name}_queue"), usize::MAX),
        ) else {
            continue;
        };
        println!(
            "{name}: queueing {queue:.1} ns per callback ({:.2} M callbacks/s); \
             queue + all run: {:.2} ms for {CALLBACKS} ({:.2} M callbacks/s)",
            1e3 / queue,
            total / 1e6,
            CALLBACKS as f64 * 1e3 / total
        );
    }
    rec.ratio("usk_call_rcu", "crossbeam_defer", SAMPLES);
    rec.ratio("usk_call_rcu", "liburcu_call_rcu", SAMPLES);
    rec.ratio("usk_call_rcu_queue", "crossbeam_defer_queue", usize::MAX);
    rec.ratio("usk_call_rcu_queue", "liburcu_call_rcu_queue", usize::MAX);
}

/// `PercpuCounter::add(1)` on one bound kthread per CPU against
/// `AtomicU64::fetch_add(1)` on one shared atomic from as many host
/// threads; one iteration is one add on each thread.
fn percpu_counter(c: &mut Criterion) {
    let rec = Recorder::new();
    let mut g = c.benchmark_group("percpu_counter_add");
    for threads in [2usize, 1] {
        let usk = format!("usk_percpu_counter_{threads}cpu");
        let host = format!("atomic_u64_{threads}thread");
        g.bench_function(&usk, |b| {
            b.iter_custom(|n| rec.record(&usk, usk_percpu_add(threads, n, true), n))
        });
        g.bench_function(&host, |b| {
            b.iter_custom(|n| rec.record(&host, host_atomic_add(threads, n), n))
        });
    }
    // Diagnostic: the per-CPU fast path alone (deltas never folded).
    let nofold = "usk_percpu_counter_2cpu_nofold";
    g.bench_function(nofold, |b| {
        b.iter_custom(|n| rec.record(nofold, usk_percpu_add(2, n, false), n))
    });
    let private = "atomic_u64_2thread_private";
    g.bench_function(private, |b| {
        b.iter_custom(|n| rec.record(private, host_atomic_add_private(2, n), n))
    });
    g.finish();
    if let Some(r) = rec.ratio("atomic_u64_2thread", "usk_percpu_counter_2cpu", SAMPLES) {
        println!(
            "goal: percpu_counter_add >= 5x faster than a shared AtomicU64 with 2 threads: \
             {r:.2}x, {}",
            if r >= 5.0 { "met" } else { "NOT met" }
        );
        let n = 5_000_000;
        let p = paired_ratio(
            PAIRS,
            || per_iter(host_atomic_add(2, n), n),
            || per_iter(usk_percpu_add(2, n, true), n),
        );
        p.print("atomic_u64_2thread/usk_percpu_counter_2cpu", PAIRS, Some(n));
    }
    rec.ratio("atomic_u64_1thread", "usk_percpu_counter_1cpu", SAMPLES);
    rec.ratio(
        "usk_percpu_counter_2cpu",
        "usk_percpu_counter_1cpu",
        SAMPLES,
    );
    rec.ratio("usk_percpu_counter_2cpu", nofold, SAMPLES);
    rec.ratio("atomic_u64_2thread", nofold, SAMPLES);
    rec.ratio(private, "atomic_u64_1thread", SAMPLES);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
        .sample_size(SAMPLES);
    targets = read_1thread, read_2threads, wait_latency, call_rcu_throughput, percpu_counter
}
criterion_main!(benches);
