//! Memory-management benchmarks (issue 3), each beside a peer measured in
//! the same run; every group ends with `ratio usk/<peer>` (criterion's
//! estimates) and a paired ratio (runs in turn, robust to a drifting host):
//!
//! * order-0 alloc+free through the per-CPU lists vs
//!   `buddy_system_allocator::FrameAllocator` (single frames);
//! * a seeded mixed-order alloc/free sequence vs the same `FrameAllocator`
//!   on the same sequence (goal: not slower);
//! * order-0 alloc+free with page_owner on vs off (goal: ≤ 3×);
//! * kmalloc/kfree of 64 bytes vs the host allocator (`Box<[u8; 64]>`).
//!
//! The allocators run on the bench's own host thread (an `Mm` needs no
//! booted kernel), so the figures are the allocator's, not the scheduler's.

use buddy_system_allocator::FrameAllocator;
use criterion::{criterion_group, criterion_main, Criterion};
use kernel::mm::*;
use rand::{Rng, SeedableRng};
use std::cell::RefCell;
use std::hint::black_box;
use std::time::{Duration, Instant};
use usk_bench::{paired_ratio, Recorder};

const SAMPLES: usize = 20;
const PAIRS: usize = 15;

fn boot(page_owner: bool) -> Mm {
    Mm::new(&MmConfig {
        mem_bytes: 256 << 20,
        page_owner,
        ..Default::default()
    })
    .expect("boot")
}

fn timed(n: u64, mut f: impl FnMut()) -> Duration {
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    t.elapsed()
}

fn ns_per(n: u64, f: impl FnMut()) -> f64 {
    timed(n, f).as_nanos() as f64 / n as f64
}

fn report(
    rec: &Recorder,
    a: &str,
    b: &str,
    pair: impl FnMut() -> f64,
    pair_b: impl FnMut() -> f64,
) {
    rec.ratio(a, b, SAMPLES);
    let p = paired_ratio(PAIRS, pair, pair_b);
    p.print(&format!("{a}/{b}"), PAIRS, None);
}

/// (alloc?, order, index) sequence, seeded.
fn mixed_sequence() -> Vec<(bool, u32, usize)> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
    (0..4096)
        .map(|_| {
            let alloc = rng.gen_bool(0.55);
            let order = [0, 0, 0, 0, 1, 1, 2, 3][rng.gen_range(0..8)];
            (alloc, order, rng.gen_range(0..usize::MAX))
        })
        .collect()
}

fn mixed_usk(mm: &Mm, seq: &[(bool, u32, usize)]) {
    let mut live: Vec<(usize, u32)> = Vec::with_capacity(4096);
    for &(alloc, order, idx) in seq {
        if alloc || live.is_empty() {
            if let Some(p) = mm.alloc_pages(GFP_KERNEL | __GFP_NOWARN, order) {
                live.push((p, order));
            }
        } else {
            let (p, o) = live.swap_remove(idx % live.len());
            mm.__free_pages(p, o);
        }
    }
    for (p, o) in live {
        mm.__free_pages(p, o);
    }
}

fn mixed_peer(fa: &mut FrameAllocator<33>, seq: &[(bool, u32, usize)]) {
    let mut live: Vec<(usize, usize)> = Vec::with_capacity(4096);
    for &(alloc, order, idx) in seq {
        if alloc || live.is_empty() {
            if let Some(p) = fa.alloc(1 << order) {
                live.push((p, 1 << order));
            }
        } else {
            let (p, n) = live.swap_remove(idx % live.len());
            fa.dealloc(p, n);
        }
    }
    for (p, n) in live {
        fa.dealloc(p, n);
    }
}

fn peer() -> FrameAllocator<33> {
    let mut fa = FrameAllocator::<33>::new();
    fa.add_frame(1, 65536);
    fa
}

fn order0(c: &mut Criterion) {
    let mm = boot(false);
    let fa = RefCell::new(peer());
    let usk = || {
        let p = mm.alloc_pages(GFP_KERNEL, 0).unwrap();
        mm.__free_pages(black_box(p), 0);
    };
    let bsa = || {
        let mut fa = fa.borrow_mut();
        let p = fa.alloc(1).unwrap();
        fa.dealloc(black_box(p), 1);
    };
    let rec = Recorder::new();
    let mut g = c.benchmark_group("mm_order0_alloc_free_pcp");
    g.bench_function("usk", |b| {
        b.iter_custom(|n| rec.record("usk", timed(n, usk), n))
    });
    g.bench_function("buddy_system_allocator", |b| {
        b.iter_custom(|n| rec.record("buddy_system_allocator", timed(n, bsa), n))
    });
    g.finish();
    report(
        &rec,
        "usk",
        "buddy_system_allocator",
        || ns_per(200_000, usk),
        || ns_per(200_000, bsa),
    );
}

fn mixed(c: &mut Criterion) {
    let mm = boot(false);
    let fa = RefCell::new(peer());
    let seq = mixed_sequence();
    let rec = Recorder::new();
    let mut g = c.benchmark_group("mm_mixed_order_sequence");
    g.bench_function("usk", |b| {
        b.iter_custom(|n| rec.record("usk", timed(n, || mixed_usk(&mm, &seq)), n))
    });
    g.bench_function("buddy_system_allocator", |b| {
        b.iter_custom(|n| {
            let d = timed(n, || mixed_peer(&mut fa.borrow_mut(), &seq));
            rec.record("buddy_system_allocator", d, n)
        })
    });
    g.finish();
    report(
        &rec,
        "usk",
        "buddy_system_allocator",
        || ns_per(50, || mixed_usk(&mm, &seq)),
        || ns_per(50, || mixed_peer(&mut fa.borrow_mut(), &seq)),
    );
}

fn page_owner(c: &mut Criterion) {
    let off = boot(false);
    let on = boot(true);
    let run = |mm: &Mm| {
        let p = mm.alloc_pages(GFP_KERNEL, 0).unwrap();
        mm.__free_pages(black_box(p), 0);
    };
    let rec = Recorder::new();
    let mut g = c.benchmark_group("mm_order0_alloc_free_page_owner");
    g.bench_function("on", |b| {
        b.iter_custom(|n| rec.record("on", timed(n, || run(&on)), n))
    });
    g.bench_function("off", |b| {
        b.iter_custom(|n| rec.record("off", timed(n, || run(&off)), n))
    });
    g.finish();
    report(
        &rec,
        "on",
        "off",
        || ns_per(20_000, || run(&on)),
        || ns_per(200_000, || run(&off)),
    );
}

fn kmalloc(c: &mut Criterion) {
    let mm = boot(false);
    let usk = || {
        let p = mm.kmalloc(64, GFP_KERNEL).unwrap();
        mm.kfree(black_box(p));
    };
    let host = || drop(black_box(Box::new([0u8; 64])));
    let rec = Recorder::new();
    let mut g = c.benchmark_group("mm_kmalloc_kfree_64");
    g.bench_function("usk", |b| {
        b.iter_custom(|n| rec.record("usk", timed(n, usk), n))
    });
    g.bench_function("host_allocator", |b| {
        b.iter_custom(|n| rec.record("host_allocator", timed(n, host), n))
    });
    g.finish();
    report(
        &rec,
        "usk",
        "host_allocator",
        || ns_per(200_000, usk),
        || ns_per(200_000, host),
    );
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .sample_size(SAMPLES);
    targets = order0, mixed, page_owner, kmalloc
}
criterion_main!(benches);
