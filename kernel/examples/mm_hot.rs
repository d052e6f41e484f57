//! Profiling harness for the page allocator's hot paths (not a benchmark:
//! see bench/benches/mm.rs). `cargo run --release -p usk-kernel --example mm_hot`.
use kernel::mm::*;
fn main() {
    let mm = Mm::new(&MmConfig {
        mem_bytes: 256 << 20,
        ..Default::default()
    })
    .unwrap();
    let mode = std::env::args().nth(1).unwrap_or_default();
    let t = std::time::Instant::now();
    let n = 20_000_000u64;
    for i in 0..n {
        if mode == "mixed" {
            let o = (i % 4) as u32;
            let p = mm.alloc_pages(GFP_KERNEL, o).unwrap();
            mm.__free_pages(p, o);
        } else {
            let p = mm.alloc_pages(GFP_KERNEL, 0).unwrap();
            mm.__free_pages(p, 0);
        }
    }
    println!("{:.1} ns/op", t.elapsed().as_nanos() as f64 / n as f64);
}
