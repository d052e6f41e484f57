//! Profiling harness for the software MMU's fast path (not a test, not a
//! criterion benchmark; user-level page-fault and syscall costs are in
//! bench/benches/user.rs): 8-byte loads and stores and 4 KiB loads on
//! resident pages of a user address space, on a booted 1-CPU kernel.
//! `cargo run --release -p usk-kernel --example mmu_hot`.
use kernel::mm::MmStruct;
use uapi::mman::*;

const PG: u64 = 4096;

fn main() {
    let (line, _) = kernel::testing::run(kernel::testing::config(1), || {
        let mm = MmStruct::new();
        let a = mm
            .mmap(
                0,
                256 * PG,
                PROT_READ | PROT_WRITE,
                MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE,
                -1,
                0,
            )
            .unwrap();
        let n = 2_000_000u64;
        let mut b = [0u8; 8];
        for i in 0..n {
            mm.load(a + (i % 256) * PG + 8, &mut b).unwrap();
        }
        let t = std::time::Instant::now();
        for i in 0..n {
            mm.load(a + (i % 256) * PG + 8, &mut b).unwrap();
        }
        let load = t.elapsed().as_nanos() as f64 / n as f64;
        let t = std::time::Instant::now();
        for i in 0..n {
            mm.store(a + (i % 256) * PG + 8, &b).unwrap();
        }
        let store = t.elapsed().as_nanos() as f64 / n as f64;
        let mut page = vec![0u8; 4096];
        let t = std::time::Instant::now();
        for i in 0..n / 10 {
            mm.load(a + (i % 256) * PG, &mut page).unwrap();
        }
        let load_page = t.elapsed().as_nanos() as f64 / (n / 10) as f64;
        format!(
            "8-byte load {load:.1} ns, 8-byte store {store:.1} ns, 4 KiB load {load_page:.1} ns"
        )
    });
    println!("{line}");
}
