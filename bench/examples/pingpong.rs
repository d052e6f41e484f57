//! One ping-pong workload of the benchmarks in a process of its own, for
//! `perf stat` (host context switches, CPU time per round trip):
//!
//! ```sh
//! cargo build --release -p usk-bench --example pingpong
//! perf stat -e task-clock,context-switches target/release/examples/pingpong cross
//! ```
//!
//! `local`: 1-CPU kernel; `cross`: 2-CPU kernel, kthread on CPU 1;
//! `host`: two host threads on a parking_lot Condvar.

fn main() {
    let what = std::env::args().nth(1).unwrap_or_default();
    let n = 50_000;
    let d = match what.as_str() {
        "local" => usk_bench::usk_pingpong(n, 1, false).0,
        "cross" => usk_bench::usk_pingpong(n, 2, true).0,
        "host" => usk_bench::host_condvar_pingpong(n),
        _ => {
            eprintln!("usage: pingpong local|cross|host");
            std::process::exit(2);
        }
    };
    println!(
        "{what}: {n} round trips, {:.0} ns per round trip",
        d.as_nanos() as f64 / n as f64
    );
}
