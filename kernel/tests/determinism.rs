//! Deterministic mode: the same seed gives the same run — the same
//! sequence of context switches (with virtual timestamps) and the same log.

use kernel::init::kernel::BootConfig;
use kernel::kernel::printk::Console;

/// The sched_switch trace (enabled from the command line) and the log.
fn det_run(seed: u64) -> (Vec<String>, String) {
    let cfg = BootConfig {
        cpus: 3,
        mem_bytes: 64 << 20,
        seed,
        deterministic: true,
        console: Console::Silent,
        cmdline: "trace_event=sched:sched_switch".into(),
        ..Default::default()
    };
    // The default init runs every self-test: a busy, varied workload.
    let out = kernel::init::boot(cfg).expect("boot");
    assert_eq!(
        out.exit,
        kernel::init::kernel::ExitReason::PowerOff(0),
        "{}",
        out.dmesg
    );
    (out.trace.lines().map(str::to_string).collect(), out.dmesg)
}

#[test]
fn same_seed_same_switch_log() {
    let (a, log_a) = det_run(7);
    let (b, log_b) = det_run(7);
    assert!(a.len() > 100, "only {} switches", a.len());
    assert!(a.iter().all(|l| l.contains(": sched_switch: prev_comm=")));
    assert_eq!(a.len(), b.len());
    if let Some(i) = a.iter().zip(&b).position(|(x, y)| x != y) {
        panic!("runs diverge at switch {i}: {:?} vs {:?}", a[i], b[i]);
    }
    assert_eq!(log_a, log_b);
}

#[test]
fn different_seeds_interleave_differently() {
    let (a, _) = det_run(1);
    let (b, _) = det_run(2);
    assert_ne!(a, b);
}
