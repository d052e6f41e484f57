//! The user-space benchmark harness works end to end: every `ubench`
//! workload runs as init of a booted usk and reports a parseable result
//! (small iteration counts; no timing is checked). The host side of the
//! benchmarks needs the benchmark binary itself (it re-executes it), so
//! `cargo bench -p usk-bench --bench user` is its test.

use userland::ubench::WORKLOADS;
use usk_bench::user::usk_ubench;

#[test]
fn every_workload_runs_in_usk() {
    for what in WORKLOADS {
        let d = usk_ubench(what, 3);
        assert!(!d.is_zero(), "{what}: no time measured");
    }
}

#[test]
fn fault_crosses_mapping_batches() {
    // More pages than one batch: two mappings, the second partial.
    usk_ubench("fault", userland::ubench::FAULT_BATCH + 5);
}
