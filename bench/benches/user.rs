//! User-space benchmarks of issue 4: the `ubench` applet run by a booted
//! usk (2 CPUs, 128 MiB) against the same applet on the host kernel, or a
//! raw-libc peer, in the same run. Every group prints `ratio a/b` lines
//! (criterion's samples), a paired ratio (runs in turn, robust to a
//! drifting host) and the goal verdict:
//!
//! * `getpid`: per call, usk vs the host's real getpid (goal ≤ 2×);
//! * `fork_exit_wait_1mib`: fork + immediate child exit + wait4 with 1 MiB
//!   written in the parent (no goal);
//! * `pipe_64k`: 64 KiB write/read through a pipe between two processes,
//!   usk vs the same applet on the host and vs a raw-libc host pipe
//!   (goal: usk throughput ≥ 0.5× the host pipe's);
//! * `page_fault`: first touch of a fresh anonymous page (no goal).
//!
//! Times are measured inside each kernel's user space with
//! `clock_gettime(CLOCK_MONOTONIC)`; see `bench/src/user.rs` for what is
//! and is not counted. `cargo bench -p usk-bench --bench user [-- GROUP]`.

use criterion::{criterion_group, Criterion, Throughput};
use std::time::Duration;
use userland::ubench::PIPE_CHUNK;
use usk_bench::user::{host_child_main, host_ubench, usk_ubench, Peer};
use usk_bench::{paired_ratio, per_iter, Recorder};

const SAMPLES: usize = 10;
const PAIRS: usize = 9;

/// Benchmark `what` on usk and on each host peer, print the ratios of
/// usk to each, and a paired ratio against the first peer with `n`
/// iterations per run. Returns the paired median, if the group ran.
fn group(
    c: &mut Criterion,
    name: &str,
    what: &'static str,
    peers: &[Peer],
    bytes: Option<u64>,
    n: u64,
) -> Option<f64> {
    let rec = Recorder::new();
    let mut g = c.benchmark_group(name);
    if let Some(b) = bytes {
        g.throughput(Throughput::Bytes(b));
    }
    g.bench_function("usk", |b| {
        b.iter_custom(|iters| rec.record("usk", usk_ubench(what, iters), iters))
    });
    let label = |p: Peer| match p {
        Peer::Ulib => "host_ulib",
        Peer::Libc => "host_libc",
    };
    for &p in peers {
        g.bench_function(label(p), |b| {
            b.iter_custom(|iters| rec.record(label(p), host_ubench(p, what, iters), iters))
        });
    }
    g.finish();
    rec.estimate_ns("usk", SAMPLES)?;
    for &p in peers {
        rec.ratio("usk", label(p), SAMPLES);
    }
    let peer = *peers.first()?;
    let p = paired_ratio(
        PAIRS,
        || per_iter(usk_ubench(what, n), n),
        || per_iter(host_ubench(peer, what, n), n),
    );
    p.print(&format!("usk/{}", label(peer)), PAIRS, Some(n));
    if let Some(b) = bytes {
        println!(
            "throughput (best-of): usk {:.0} MB/s, {} {:.0} MB/s",
            b as f64 * 1e3 / p.best_a,
            label(peer),
            b as f64 * 1e3 / p.best_b
        );
    }
    Some(p.median)
}

fn getpid(c: &mut Criterion) {
    if let Some(r) = group(c, "getpid", "getpid", &[Peer::Ulib], None, 200_000) {
        let met = if r <= 2.0 { "met" } else { "NOT met" };
        println!("goal getpid ≤ 2× the host's: paired {r:.2}× — {met}");
    }
}

fn fork(c: &mut Criterion) {
    group(c, "fork_exit_wait_1mib", "fork", &[Peer::Ulib], None, 300);
}

fn pipe(c: &mut Criterion) {
    let bytes = Some(PIPE_CHUNK as u64);
    let peers = [Peer::Libc, Peer::Ulib];
    if let Some(r) = group(c, "pipe_64k", "pipe", &peers, bytes, 1000) {
        // r is a time ratio; throughput goes the other way.
        let tp = 1.0 / r;
        let met = if tp >= 0.5 { "met" } else { "NOT met" };
        println!("goal pipe throughput ≥ 0.5× the host pipe's: paired {tp:.2}× — {met}");
    }
}

fn page_fault(c: &mut Criterion) {
    group(c, "page_fault", "fault", &[Peer::Libc], None, 16_384);
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(SAMPLES);
    targets = getpid, fork, pipe, page_fault
}

fn main() {
    // A host child run (see `host_ubench`) never reaches criterion.
    host_child_main();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
