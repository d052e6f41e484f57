//! Boot a small kernel per core self-test and require it to pass; each
//! self-test lives in `src/init/selftest.rs` and also runs at `usk boot`.

use kernel::init::selftest::SELFTESTS;
use kernel::testing::run_selftest;

fn run_named(prefix: &str, cpus: usize) {
    let (name, f) = SELFTESTS
        .iter()
        .find(|(n, _)| n.starts_with(prefix))
        .unwrap_or_else(|| panic!("no selftest {prefix}"));
    if let Err(e) = run_selftest(cpus, *f) {
        panic!("{name}: {e}");
    }
}

macro_rules! selftest {
    ($fn:ident, $prefix:literal, $cpus:literal) => {
        #[test]
        fn $fn() {
            run_named($prefix, $cpus);
        }
    };
}

selftest!(spinlock_exclusion, "spinlock: mutual", 4);
selftest!(spinlock_irqsave, "spinlock_irqsave", 2);
selftest!(sleeping_locks, "mutex/semaphore/rwsem", 3);
selftest!(completions, "completion", 2);
selftest!(waitqueue_stress, "wait queue: no lost", 4);
selftest!(custom_wake_function, "wait queue: custom", 2);
selftest!(timers_in_order, "timers", 2);
selftest!(shared_irq, "irq: shared", 2);
selftest!(tasklets, "tasklets", 2);
selftest!(workqueues, "workqueue", 4);
selftest!(smp_calls, "smp", 4);
selftest!(kthreads, "kthread", 2);

#[test]
fn affinity_repeatedly() {
    for _ in 0..25 {
        run_named("sched: affinity", 4);
    }
}

#[test]
fn selftests_on_one_cpu() {
    for (name, f) in SELFTESTS {
        if let Err(e) = run_selftest(1, *f) {
            panic!("{name} on 1 CPU: {e}");
        }
    }
}
