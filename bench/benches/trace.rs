//! Tracepoint benchmarks of issue 6 (seed 004, "Fun with tracepoints"):
//!
//! * `tracepoint_disabled`: a disabled usk tracepoint (one relaxed load and
//!   a predicted branch; the record's fields are never computed) against
//!   the `tracing` crate's `event!` with no subscriber installed (goal:
//!   not slower, ≤ 1 ns);
//! * `tracepoint_enabled`: `kmem:mm_page_alloc` (4 fields) enabled, each
//!   hit writing a binary record into the per-CPU ring buffer, on a kernel
//!   task of a booted 1-CPU usk (goal ≤ 50 ns per event; LTTng-UST's
//!   published cost is about 180 ns);
//! * `perf_stat_overhead`: `ubench getpid` (a syscall-heavy loop) inside
//!   usk, bare and under `perf stat -a -e 'kmem:*,raw_syscalls:*'` (the
//!   whole-run overhead of counting every kmem and syscall event; no goal).
//!
//! `cargo bench -p usk-bench --bench trace [-- GROUP]`.

use criterion::{criterion_group, Criterion};
use std::hint::black_box;
use std::time::{Duration, Instant};
use usk_bench::user::{usk_ubench, usk_ubench_under};
use usk_bench::{in_kernel, paired_ratio, per_iter, Recorder};

const SAMPLES: usize = 20;
const PAIRS: usize = 9;

fn usk_disabled(n: u64) -> Duration {
    let ev = &kernel::trace::events::MM_PAGE_ALLOC;
    let t = Instant::now();
    for i in 0..n {
        kernel::trace::trace(ev, |w| {
            w.u64(8, black_box(i)).u64(16, i).u32(24, 0).i32(28, 0);
        });
    }
    t.elapsed()
}

fn tracing_disabled(n: u64) -> Duration {
    let t = Instant::now();
    for i in 0..n {
        tracing::event!(
            tracing::Level::INFO,
            page = black_box(i),
            pfn = i,
            order = 0u32,
            migratetype = 0i32
        );
    }
    t.elapsed()
}

fn tracepoint_disabled(c: &mut Criterion) {
    let rec = Recorder::new();
    let mut g = c.benchmark_group("tracepoint_disabled");
    g.bench_function("usk", |b| {
        b.iter_custom(|n| rec.record("usk", usk_disabled(n), n))
    });
    g.bench_function("tracing_event_no_subscriber", |b| {
        b.iter_custom(|n| rec.record("tracing", tracing_disabled(n), n))
    });
    g.finish();
    if let Some(r) = rec.ratio("usk", "tracing", SAMPLES) {
        let ns = rec.estimate_ns("usk", SAMPLES).unwrap_or(f64::NAN);
        println!(
            "goal: disabled tracepoint not slower than tracing's event! and <= 1 ns: {:.3} ns, {r:.2}x — {}",
            ns,
            if r <= 1.0 && ns <= 1.0 { "met" } else { "missed" }
        );
        let n = 20_000_000;
        let p = paired_ratio(
            PAIRS,
            || per_iter(usk_disabled(n), n),
            || per_iter(tracing_disabled(n), n),
        );
        p.print("usk/tracing", PAIRS, Some(n));
    }
}

/// `n` hits of an enabled 4-field tracepoint on init of a fresh 1-CPU
/// kernel (the event enabled in the kernel's ring buffer).
fn usk_enabled(n: u64) -> Duration {
    in_kernel(1, move || {
        let k = kernel::kernel();
        let ev = &kernel::trace::events::MM_PAGE_ALLOC;
        k.tracing.set_enabled(ev, true);
        let t = Instant::now();
        for i in 0..n {
            kernel::trace::trace(ev, |w| {
                w.u64(8, black_box(i)).u64(16, i).u32(24, 0).i32(28, 0);
            });
        }
        let d = t.elapsed();
        k.tracing.set_enabled(ev, false);
        d
    })
}

fn tracepoint_enabled(c: &mut Criterion) {
    let rec = Recorder::new();
    let mut g = c.benchmark_group("tracepoint_enabled");
    g.bench_function("usk_mm_page_alloc_4_fields", |b| {
        b.iter_custom(|n| rec.record("enabled", usk_enabled(n), n))
    });
    g.finish();
    if let Some(ns) = rec.estimate_ns("enabled", SAMPLES) {
        println!(
            "goal: enabled tracepoint with 4 fields <= 50 ns/event (LTTng-UST ~180 ns): {ns:.1} ns — {}",
            if ns <= 50.0 { "met" } else { "missed" }
        );
    }
}

const PERF_STAT: &str = "perf stat -a -e 'kmem:*,raw_syscalls:*' --";

fn perf_stat_overhead(c: &mut Criterion) {
    let rec = Recorder::new();
    let mut g = c.benchmark_group("perf_stat_overhead");
    g.sample_size(10);
    g.bench_function("getpid_bare", |b| {
        b.iter_custom(|n| rec.record("bare", usk_ubench("getpid", n), n))
    });
    g.bench_function("getpid_under_perf_stat", |b| {
        b.iter_custom(|n| rec.record("perf", usk_ubench_under(PERF_STAT, "getpid", n), n))
    });
    g.finish();
    if rec.ratio("perf", "bare", 10).is_some() {
        let n = 200_000;
        let p = paired_ratio(
            PAIRS,
            || per_iter(usk_ubench_under(PERF_STAT, "getpid", n), n),
            || per_iter(usk_ubench("getpid", n), n),
        );
        p.print("perf_stat/bare", PAIRS, Some(n));
    }
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(SAMPLES)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = tracepoint_disabled, tracepoint_enabled, perf_stat_overhead
}

fn main() {
    benches();
    Criterion::default().configure_from_args().final_summary();
}
