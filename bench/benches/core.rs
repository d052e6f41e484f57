//! Kernel-core benchmarks of issue 2, each against a host peer measured in
//! the same run; every group ends with a `ratio usk/<peer> = x` line.
//!
//! `cargo bench -p usk-bench` (add `--features inline-spinlocks` to build
//! `SpinLock` on the inline lock bodies).

use criterion::{criterion_group, criterion_main, Criterion, SamplingMode};
use std::time::Duration;
use usk_bench::*;

const BOOT_CPUS: usize = 4;
const BOOT_MEM: u64 = 256 << 20;

const SAMPLES: usize = 20;
const BOOT_SAMPLES: usize = 10;

/// Pairs of runs for the paired ratios printed after each group.
const PAIRS: usize = 15;
/// Pairs of short runs for the raw spinlock comparison.
const SPIN_PAIRS: usize = 301;

fn pingpong_summary(rec: &Recorder, switches: (u64, u64), what: &str) {
    if rec.ratio("usk", "parking_lot", SAMPLES).is_some() {
        println!(
            "per {what} (half a round trip): usk {:.0} ns, parking_lot {:.0} ns; \
             usk counted {:.2} context switches per round trip",
            rec.estimate_ns("usk", SAMPLES).unwrap() / 2.0,
            rec.estimate_ns("parking_lot", SAMPLES).unwrap() / 2.0,
            switches.0 as f64 / switches.1.max(1) as f64
        );
    }
}

/// Two tasks on one CPU ping-ponging through two wait queues, against two
/// host threads ping-ponging through a parking_lot Condvar. One iteration
/// is one round trip (two context switches, two wake-ups).
fn ctx_switch(c: &mut Criterion) {
    let rec = Recorder::new();
    let mut switches = (0u64, 0u64);
    let mut g = c.benchmark_group("ctx_switch_1cpu_roundtrip");
    g.bench_function("usk", |b| {
        b.iter_custom(|n| {
            let (d, sw, cpus) = usk_pingpong(n, 1, false);
            assert_eq!(cpus, (0, 0));
            switches.0 += sw;
            switches.1 += n;
            rec.record("usk", d, n)
        })
    });
    g.bench_function("parking_lot", |b| {
        b.iter_custom(|n| rec.record("parking_lot", host_condvar_pingpong(n), n))
    });
    g.finish();
    pingpong_summary(&rec, switches, "context switch");
    if rec.estimate_ns("usk", SAMPLES).is_some() {
        let n = 20_000;
        let p = paired_ratio(
            PAIRS,
            || per_iter(usk_pingpong(n, 1, false).0, n),
            || per_iter(host_condvar_pingpong(n), n),
        );
        p.print("usk/parking_lot", PAIRS, Some(n));
    }
}

/// init on CPU 0 and a kthread bound to CPU 1 ping-ponging through wait
/// queues: every one-way trip wakes a task on the other CPU. One iteration
/// is one round trip, i.e. two cross-CPU wake-ups.
fn wakeup_cross_cpu(c: &mut Criterion) {
    let rec = Recorder::new();
    let mut switches = (0u64, 0u64);
    let mut g = c.benchmark_group("wakeup_cross_cpu_roundtrip");
    g.bench_function("usk", |b| {
        b.iter_custom(|n| {
            let (d, sw, cpus) = usk_pingpong(n, 2, true);
            assert_eq!(cpus, (0, 1), "init on CPU 0, kthread on CPU 1");
            switches.0 += sw;
            switches.1 += n;
            rec.record("usk", d, n)
        })
    });
    g.bench_function("usk_nohz_off", |b| {
        b.iter_custom(|n| {
            let (d, _, cpus) = usk_pingpong_cmdline(n, 2, true, "nohz=off");
            assert_eq!(cpus, (0, 1), "init on CPU 0, kthread on CPU 1");
            rec.record("usk_nohz_off", d, n)
        })
    });
    g.bench_function("parking_lot", |b| {
        b.iter_custom(|n| rec.record("parking_lot", host_condvar_pingpong(n), n))
    });
    g.finish();
    pingpong_summary(&rec, switches, "one-way wake-up");
    rec.ratio("usk_nohz_off", "parking_lot", SAMPLES);
    if rec.estimate_ns("usk", SAMPLES).is_some() {
        let n = 10_000;
        let p = paired_ratio(
            PAIRS,
            || per_iter(usk_pingpong(n, 2, true).0, n),
            || per_iter(host_condvar_pingpong(n), n),
        );
        p.print("usk/parking_lot", PAIRS, Some(n));
    }
}

/// Uncontended lock+unlock: the raw ticket lock through its inline bodies
/// and through the out-of-line functions, `SpinLock::lock()` on a kernel
/// thread, and a parking_lot Mutex on a host thread.
fn spinlock(c: &mut Criterion) {
    let rec = Recorder::new();
    let mut g = c.benchmark_group("spinlock_uncontended");
    g.bench_function("raw_inline", |b| {
        b.iter_custom(|n| rec.record("raw_inline", raw_spin_inline(n), n))
    });
    g.bench_function("raw_outline", |b| {
        b.iter_custom(|n| rec.record("raw_outline", raw_spin_outline(n), n))
    });
    let spin = if cfg!(feature = "inline-spinlocks") {
        "usk_SpinLock_inline"
    } else {
        "usk_SpinLock_outline"
    };
    g.bench_function(spin, |b| {
        b.iter_custom(|n| rec.record(spin, usk_spinlock(n), n))
    });
    g.bench_function("parking_lot", |b| {
        b.iter_custom(|n| rec.record("parking_lot", host_mutex(n), n))
    });
    g.finish();
    if let Some(r) = rec.ratio("raw_outline", "raw_inline", SAMPLES) {
        println!(
            "inline vs out-of-line: inline saves {:.1}% of the out-of-line time \
             (seed 004: inline spinlocks gained 1-5% on S390)",
            (1.0 - 1.0 / r) * 100.0
        );
        let n = 200_000;
        let p = paired_ratio(
            SPIN_PAIRS,
            || per_iter(raw_spin_outline(n), n),
            || per_iter(raw_spin_inline(n), n),
        );
        p.print("raw_outline/raw_inline", SPIN_PAIRS, Some(n));
        println!(
            "paired: inline saves {:.1}% of the out-of-line time (median pair), {:.1}% (best of each)",
            (1.0 - 1.0 / p.median) * 100.0,
            (1.0 - p.best_b / p.best_a) * 100.0
        );
    }
    rec.ratio(spin, "parking_lot", SAMPLES);
}

/// Boot-to-init and boot-to-shutdown of a 4-CPU, 256 MiB machine whose init
/// returns at once, against spawning and joining as many host threads as
/// that boot starts (with the same stack size).
fn boot(c: &mut Criterion) {
    let rec = Recorder::new();
    let (_, _, _, threads) = usk_boot(BOOT_CPUS, BOOT_MEM);
    let mut g = c.benchmark_group("boot_4cpu_256m");
    g.sampling_mode(SamplingMode::Flat)
        .sample_size(BOOT_SAMPLES);
    g.bench_function("usk_to_init", |b| {
        b.iter_custom(|n| {
            let mut d = Duration::ZERO;
            for _ in 0..n {
                let (to_init, ktime, _, _) = usk_boot(BOOT_CPUS, BOOT_MEM);
                rec.record("ktime_at_init", Duration::from_nanos(ktime), 1);
                d += to_init;
            }
            rec.record("usk_to_init", d, n)
        })
    });
    g.bench_function("usk_to_shutdown", |b| {
        b.iter_custom(|n| {
            let mut d = Duration::ZERO;
            for _ in 0..n {
                d += usk_boot(BOOT_CPUS, BOOT_MEM).2;
            }
            rec.record("usk_to_shutdown", d, n)
        })
    });
    let peer = format!("host_spawn_join_{threads}");
    g.bench_function(&peer, |b| {
        b.iter_custom(|n| {
            let mut d = Duration::ZERO;
            for _ in 0..n {
                d += host_spawn_join(threads);
            }
            rec.record(&peer, d, n)
        })
    });
    g.finish();
    if let Some(kt) = rec.estimate_ns("ktime_at_init", usize::MAX) {
        println!(
            "boot: {threads} host threads per boot; ktime_get() as init starts: {:.3} ms (mean)",
            kt / 1e6
        );
    }
    rec.ratio("usk_to_init", &peer, BOOT_SAMPLES);
    rec.ratio("usk_to_shutdown", &peer, BOOT_SAMPLES);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(5))
        .sample_size(SAMPLES);
    targets = ctx_switch, wakeup_cross_cpu, spinlock, boot
}
criterion_main!(benches);
