//! Counting perf events on tracepoints and software events: exact counts
//! for a workload with a known number of events, task scoping, clocks, and
//! attaching/detaching probes while events fire on every CPU.

use kernel::events::{parse_event, PerfEvent, Scope};
use kernel::kernel::module::{delete_module, load_module};
use kernel::kernel::time::{mdelay, msleep};
use kernel::testing::{config, run};

#[test]
fn tracepoint_counter_counts_exactly() {
    let (n, _) = run(config(2), || {
        let c =
            PerfEvent::create(parse_event("module:module_load").unwrap(), Scope::AllCpus).unwrap();
        load_module("rcu_demo_fixed", "").unwrap();
        delete_module("rcu_demo_fixed", 0).unwrap();
        c.enable();
        for _ in 0..3 {
            load_module("rcu_demo_fixed", "").unwrap();
            delete_module("rcu_demo_fixed", 0).unwrap();
        }
        c.disable();
        load_module("rcu_demo_fixed", "").unwrap();
        delete_module("rcu_demo_fixed", 0).unwrap();
        c.read()
    });
    assert_eq!(n, 3, "only the loads between enable and disable count");
}

#[test]
fn task_scoped_context_switches_and_task_clock() {
    let (r, _) = run(config(2), || {
        let me = kernel::current().pid;
        let cs =
            PerfEvent::create(parse_event("context-switches").unwrap(), Scope::Task(me)).unwrap();
        let clock = PerfEvent::create(parse_event("task-clock").unwrap(), Scope::Task(me)).unwrap();
        let all = PerfEvent::create(parse_event("cs").unwrap(), Scope::AllCpus).unwrap();
        cs.enable();
        clock.enable();
        all.enable();
        for _ in 0..10 {
            msleep(1);
        }
        mdelay(5);
        cs.disable();
        clock.disable();
        all.disable();
        (cs.read(), clock.read(), all.read())
    });
    assert!(r.0 >= 10, "init slept 10 times: {} switches", r.0);
    assert!(
        r.1 >= 5_000_000,
        "task-clock covers the 5 ms busy wait: {} ns",
        r.1
    );
    assert!(
        r.2 >= 2 * r.0,
        "system-wide counts both directions: {} vs {}",
        r.2,
        r.0
    );
}

#[test]
fn bad_event_names_and_scopes() {
    let (r, _) = run(config(1), || {
        (
            parse_event("kmem:nosuch").err(),
            parse_event("bogus").err(),
            PerfEvent::create(parse_event("cs").unwrap(), Scope::Cpu(7)).err(),
            PerfEvent::create(parse_event("cs").unwrap(), Scope::Task(99999)).err(),
        )
    });
    use uapi::errno::*;
    assert_eq!(r, (Some(ENOENT), Some(EINVAL), Some(EINVAL), Some(ESRCH)));
}

#[test]
fn attaching_and_detaching_while_events_fire_everywhere() {
    // Deterministic mode: every interleaving choice comes from the seed, so
    // a failure here replays exactly.
    let mut cfg = config(4);
    cfg.deterministic = true;
    cfg.seed = 11;
    let (ok, _) = run(cfg, || {
        let churn = kernel::testing::churn(4);
        let mut total = 0;
        for _ in 0..100 {
            let c = PerfEvent::create(parse_event("sched:sched_switch").unwrap(), Scope::AllCpus)
                .unwrap();
            c.enable();
            msleep(0);
            c.disable();
            total += c.read();
            drop(c);
        }
        drop(churn);
        kernel::kernel::rcu::rcu_barrier();
        total > 0
    });
    assert!(ok);
}

/// A workload with a known number of allocations: the kmem counters count
/// exactly that, and /proc/vmstat's pgalloc/pgfree move by the same amount
/// (seed 004: the counters and the tracepoints tell one story).
#[test]
fn kmem_counters_match_the_workload_and_vmstat() {
    let (r, _) = run(config(2), || {
        use kernel::mm::*;
        let k = kernel::kernel();
        let vm = |name: &str| -> u64 {
            let text = k.procfs.read("vmstat").unwrap();
            text.lines()
                .filter(|l| {
                    l.split_whitespace()
                        .next()
                        .is_some_and(|f| f.starts_with(name))
                })
                .map(|l| l.split_whitespace().nth(1).unwrap().parse::<u64>().unwrap())
                .sum()
        };
        let alloc =
            PerfEvent::create(parse_event("kmem:mm_page_alloc").unwrap(), Scope::AllCpus).unwrap();
        let free =
            PerfEvent::create(parse_event("kmem:mm_page_free").unwrap(), Scope::AllCpus).unwrap();
        let kmalloc =
            PerfEvent::create(parse_event("kmem:kmalloc").unwrap(), Scope::AllCpus).unwrap();
        let (a0, f0) = (vm("pgalloc_"), vm("pgfree"));
        alloc.enable();
        free.enable();
        kmalloc.enable();
        let pages: Vec<_> = (0..100)
            .map(|_| k.mm.alloc_pages(GFP_KERNEL, 0).unwrap())
            .collect();
        let objs: Vec<_> = (0..50)
            .map(|_| k.mm.kmalloc(64, GFP_KERNEL).unwrap())
            .collect();
        for o in objs {
            k.mm.kfree(o);
        }
        for p in pages {
            k.mm.__free_pages(p, 0);
        }
        alloc.disable();
        free.disable();
        kmalloc.disable();
        let (a1, f1) = (vm("pgalloc_"), vm("pgfree"));
        (alloc.read(), free.read(), kmalloc.read(), a1 - a0, f1 - f0)
    });
    let (allocs, frees, kmallocs, vm_alloc, vm_free) = r;
    assert_eq!(kmallocs, 50);
    // The 100 pages, plus any slab pages the 50 objects needed.
    assert!((100..=101).contains(&allocs), "mm_page_alloc {allocs}");
    assert_eq!(vm_alloc, allocs, "pgalloc agrees with mm_page_alloc");
    assert_eq!(vm_free, frees, "pgfree agrees with mm_page_free");
}
