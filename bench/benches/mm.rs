//! Memory-management benchmarks (issue 3), each beside a peer measured in
//! the same run:
//!
//! * order-0 alloc+free through the per-CPU lists vs
//!   `buddy_system_allocator::FrameAllocator` (single frames);
//! * a seeded mixed-order alloc/free sequence vs the same `FrameAllocator`
//!   on the same sequence (goal: not slower);
//! * order-0 alloc+free with page_owner on vs off (goal: ≤ 3×);
//! * kmalloc/kfree of 64 bytes vs the host allocator (`Box<[u8; 64]>`).

use buddy_system_allocator::FrameAllocator;
use criterion::{black_box, criterion_group, criterion_main, Criterion};
use kernel::mm::*;
use rand::{Rng, SeedableRng};
use std::time::Duration;

fn boot(page_owner: bool) -> Mm {
    Mm::new(&MmConfig {
        mem_bytes: 256 << 20,
        page_owner,
        ..Default::default()
    })
    .expect("boot")
}

/// (alloc order | free index) sequence, seeded.
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

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("mm");
    g.measurement_time(Duration::from_secs(3));
    g.warm_up_time(Duration::from_secs(1));

    let mm = boot(false);
    g.bench_function("order0_alloc_free_pcp/usk", |b| {
        b.iter(|| {
            let p = mm.alloc_pages(GFP_KERNEL, 0).unwrap();
            mm.__free_pages(black_box(p), 0);
        })
    });
    let mut fa = FrameAllocator::<33>::new();
    fa.add_frame(1, 65536);
    g.bench_function("order0_alloc_free_pcp/buddy_system_allocator", |b| {
        b.iter(|| {
            let p = fa.alloc(1).unwrap();
            fa.dealloc(black_box(p), 1);
        })
    });

    let seq = mixed_sequence();
    g.bench_function("mixed_order_sequence/usk", |b| {
        b.iter(|| {
            let mut live: Vec<(usize, u32)> = Vec::with_capacity(4096);
            for &(alloc, order, idx) in &seq {
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
        })
    });
    g.bench_function("mixed_order_sequence/buddy_system_allocator", |b| {
        b.iter(|| {
            let mut live: Vec<(usize, usize)> = Vec::with_capacity(4096);
            for &(alloc, order, idx) in &seq {
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
        })
    });

    let po = boot(true);
    g.bench_function("order0_alloc_free/page_owner_off", |b| {
        b.iter(|| {
            let p = mm.alloc_pages(GFP_KERNEL, 0).unwrap();
            mm.__free_pages(black_box(p), 0);
        })
    });
    g.bench_function("order0_alloc_free/page_owner_on", |b| {
        b.iter(|| {
            let p = po.alloc_pages(GFP_KERNEL, 0).unwrap();
            po.__free_pages(black_box(p), 0);
        })
    });

    g.bench_function("kmalloc_kfree_64/usk", |b| {
        b.iter(|| {
            let p = mm.kmalloc(64, GFP_KERNEL).unwrap();
            mm.kfree(black_box(p));
        })
    });
    g.bench_function("kmalloc_kfree_64/host_allocator", |b| {
        b.iter(|| {
            let p = Box::new([0u8; 64]);
            drop(black_box(p));
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
