use kernel::mm::*;
fn main() {
    let mm = Mm::new(&MmConfig {
        mem_bytes: 256 << 20,
        page_owner: true,
        ..Default::default()
    })
    .unwrap();
    let n = 2_000_000u64;
    let t = std::time::Instant::now();
    for _ in 0..n {
        let p = mm.alloc_pages(GFP_KERNEL, 0).unwrap();
        mm.__free_pages(p, 0);
    }
    println!(
        "page_owner on: {:.1} ns/op",
        t.elapsed().as_nanos() as f64 / n as f64
    );
    if std::env::args().any(|a| a == "--alloc-only") {
        return;
    }
    let t = std::time::Instant::now();
    let mut ips = [0usize; 22];
    let mut frames = 0;
    for _ in 0..n {
        frames = kernel::lib::stacktrace::stack_trace_save(&mut ips);
    }
    println!(
        "frame-pointer walk: {:.1} ns ({frames} frames)",
        t.elapsed().as_nanos() as f64 / n as f64
    );
    let t = std::time::Instant::now();
    for _ in 0..n {
        let mut c = 0;
        backtrace::trace(|_f| {
            c += 1;
            c < 22
        });
    }
    println!(
        "trace only (ip): {:.1} ns",
        t.elapsed().as_nanos() as f64 / n as f64
    );
    let t = std::time::Instant::now();
    for _ in 0..n {
        let mut c = 0;
        backtrace::trace(|f| {
            std::hint::black_box(f.symbol_address());
            c += 1;
            c < 22
        });
    }
    println!(
        "trace + symbol_address: {:.1} ns",
        t.elapsed().as_nanos() as f64 / n as f64
    );
}
