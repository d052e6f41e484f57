//! Scalable per-CPU counters and the memory controller built on them
//! (seed 004, "Resource counters").

use kernel::kernel::kthread::kthread_create_on_cpu;
use kernel::kernel::sched::completion::Completion;
use kernel::kernel::sched::wake_up_process;
use kernel::lib::percpu_counter::{percpu_counter_batch, PercpuCounter};
use kernel::testing::{config, run};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;

#[test]
fn batch_follows_linux() {
    assert_eq!(percpu_counter_batch(2), 32);
    assert_eq!(percpu_counter_batch(16), 32);
    assert_eq!(percpu_counter_batch(64), 128);
}

#[test]
fn read_stays_within_the_error_bound_under_concurrent_updates() {
    let (r, _) = run(config(4), || {
        let k = kernel::kernel();
        let c = Arc::new(PercpuCounter::new(k.nr_cpus(), 0));
        let truth = Arc::new(AtomicI64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(Completion::new());
        for cpu in 1..k.nr_cpus() {
            let (c, truth, done) = (Arc::clone(&c), Arc::clone(&truth), Arc::clone(&done));
            let t = kthread_create_on_cpu(
                move || {
                    for i in 0..20_000i64 {
                        let amount = if i % 3 == 0 { -2 } else { 3 };
                        c.add(amount);
                        truth.fetch_add(amount, Ordering::SeqCst);
                        if i % 512 == 0 {
                            kernel::kernel::sched::cond_resched();
                        }
                    }
                    done.complete();
                    0
                },
                cpu,
                "pcpu_adder",
            );
            wake_up_process(&t);
        }
        // Watch the approximate value while the adders run.
        let mut worst = 0i64;
        let mut finished = 0;
        while finished < k.nr_cpus() - 1 {
            let before = truth.load(Ordering::SeqCst);
            let approx = c.read();
            let after = truth.load(Ordering::SeqCst);
            let err = (approx - before).abs().min((approx - after).abs());
            worst = worst.max(err);
            if done.try_wait_for_completion() {
                finished += 1;
            }
            kernel::kernel::sched::cond_resched();
        }
        let _ = &stop;
        (
            worst,
            c.error_bound(),
            c.sum(),
            truth.load(Ordering::SeqCst),
            c.compare(c.sum()),
        )
    });
    let (worst, bound, sum, truth, cmp) = r;
    assert!(worst <= bound, "read() was off by {worst} > bound {bound}");
    assert_eq!(sum, truth, "sum() is exact");
    assert_eq!(cmp, std::cmp::Ordering::Equal);
}

#[test]
fn memory_controller_enforces_limits_hierarchically() {
    let (r, _) = run(config(2), || {
        let cg = &kernel::kernel().cgroups;
        let a = cg.mkdir("a").unwrap();
        let b = cg.mkdir("a/b").unwrap();
        cg.write_file("a/memory.limit_in_bytes", "64K").unwrap();
        let mut ok = 0;
        while b.charge_pages(1).is_ok() {
            ok += 1;
            assert!(ok <= 16, "limit not enforced");
        }
        let usage_b = cg.read_file("a/b/memory.usage_in_bytes").unwrap();
        let usage_a = cg.read_file("a/memory.usage_in_bytes").unwrap();
        let root = cg.read_file("memory.usage_in_bytes").unwrap();
        let failcnt = cg.read_file("a/memory.failcnt").unwrap();
        let shrink = cg.write_file("a/memory.limit_in_bytes", "4K");
        let busy = cg.rmdir("a/b");
        b.uncharge_pages(ok);
        let max = cg.read_file("a/b/memory.max_usage_in_bytes").unwrap();
        cg.rmdir("a/b").unwrap();
        let bad = cg.write_file("a/memory.limit_in_bytes", "lots");
        let _ = a;
        (ok, usage_b, usage_a, root, failcnt, shrink, busy, max, bad)
    });
    use uapi::errno::*;
    assert_eq!(r.0, 16);
    assert_eq!(r.1, "65536\n");
    assert_eq!(r.2, "65536\n");
    assert_eq!(r.3, "65536\n");
    assert_eq!(r.4, "1\n");
    assert_eq!(r.5, Err(EBUSY));
    assert_eq!(r.6, Err(EBUSY));
    // As in Linux's res_counter_charge(), the child is charged before its
    // parent refuses, so the refused page shows in the child's max usage.
    assert_eq!(r.7, "69632\n");
    assert_eq!(r.8, Err(EINVAL));
}
