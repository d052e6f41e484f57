//! RCU on booted kernels: grace periods wait for readers, callbacks run in
//! order, rcu_barrier() waits for everything queued before it (including
//! the seed's Quick Quiz #4 race), expedited and sleepable variants, the
//! preemptible flavour, stall warnings, rcutorture passing — and failing
//! with an injected bug — and the module-unload story of seed 002.

use kernel::init::kernel::ExitReason;
use kernel::kernel::kthread::{kthread_create_on_cpu, kthread_run, kthread_stop};
use kernel::kernel::module::{delete_module, load_module, module_put, try_module_get};
use kernel::kernel::rcu::srcu::SrcuStruct;
use kernel::kernel::rcu::*;
use kernel::kernel::sched::completion::Completion;
use kernel::kernel::sched::wake_up_process;
use kernel::kernel::time::{mdelay, msleep};
use kernel::testing::{config, run};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A reader enters its critical section, stays `hold` inside, and marks
/// when it leaves; `wait` (a grace-period primitive) runs once the reader is
/// inside. True if `wait` returned only after the reader left.
fn wait_outlasts_reader(hold: fn(), wait: fn()) -> bool {
    let inside = Arc::new(Completion::new());
    let done = Arc::new(AtomicBool::new(false));
    let (i2, d2) = (Arc::clone(&inside), Arc::clone(&done));
    kthread_run(
        move || {
            let g = rcu_read_lock();
            i2.complete();
            hold();
            d2.store(true, Ordering::SeqCst);
            drop(g);
            0
        },
        "reader",
    );
    inside.wait_for_completion();
    wait();
    done.load(Ordering::SeqCst)
}

#[test]
fn synchronize_rcu_waits_for_preexisting_readers() {
    // busy inside the critical section
    let (ok, _) = run(config(2), || {
        wait_outlasts_reader(|| mdelay(30), synchronize_rcu)
    });
    assert!(ok, "synchronize_rcu() returned while a reader was inside");
}

#[test]
fn callbacks_run_after_a_grace_period_in_queue_order() {
    let (order, _) = run(config(2), || {
        let log = Arc::new(Mutex::new(Vec::new()));
        for i in 0..40 {
            let l = Arc::clone(&log);
            call_rcu(move || l.lock().unwrap().push(i));
        }
        let early = log.lock().unwrap().len();
        rcu_barrier();
        let after = log.lock().unwrap().clone();
        (early, after)
    });
    assert_eq!(order.0, 0, "no callback may run before a grace period");
    assert_eq!(order.1, (0..40).collect::<Vec<_>>());
}

#[test]
fn rcu_barrier_waits_for_callbacks_on_every_cpu() {
    let (r, _) = run(config(4), || {
        let k = kernel::kernel();
        let ran = Arc::new(AtomicUsize::new(0));
        let done = Arc::new(Completion::new());
        for cpu in 0..k.nr_cpus() {
            let (ran, done) = (Arc::clone(&ran), Arc::clone(&done));
            let t = kthread_create_on_cpu(
                move || {
                    for _ in 0..100 {
                        let r = Arc::clone(&ran);
                        call_rcu(move || {
                            r.fetch_add(1, Ordering::SeqCst);
                        });
                    }
                    done.complete();
                    0
                },
                cpu,
                "poster",
            );
            wake_up_process(&t);
        }
        for _ in 0..k.nr_cpus() {
            done.wait_for_completion();
        }
        rcu_barrier();
        let first = *k.rcu.barrier_first_cb.lock();
        (ran.load(Ordering::SeqCst), first)
    });
    assert_eq!(r.0, 400);
    assert_eq!(r.1, (4, 4));
}

#[test]
fn quick_quiz_4_delayed_cpu_cannot_end_the_barrier_early() {
    // CPU 1 runs with interrupts off for a while, so its rcu_barrier_func()
    // IPI is delayed; CPU 0's callback is posted at once. No barrier
    // callback may run before every CPU has posted.
    let (first, _) = run(config(2), || {
        let k = kernel::kernel();
        let started = Arc::new(Completion::new());
        let s2 = Arc::clone(&started);
        let t = kthread_create_on_cpu(
            move || {
                kernel::kernel::preempt::local_irq_disable();
                s2.complete();
                mdelay(60);
                kernel::kernel::preempt::local_irq_enable();
                0
            },
            1,
            "irqs_off",
        );
        kernel::kernel::sched::set_cpus_allowed(&kernel::current(), 1).unwrap();
        wake_up_process(&t);
        started.wait_for_completion();
        // Queue work for a grace period so one is in progress meanwhile.
        call_rcu(|| {});
        rcu_barrier();
        kthread_stop(&t);
        let first = *k.rcu.barrier_first_cb.lock();
        first
    });
    assert_eq!(first, (2, 2));
}

#[test]
fn expedited_waits_for_readers_too() {
    let (ok, _) = run(config(2), || {
        wait_outlasts_reader(|| mdelay(20), synchronize_rcu_expedited)
    });
    assert!(ok);
}

#[test]
fn rcu_pointer_and_list_readers_see_live_objects() {
    let (ok, _) = run(config(3), || {
        struct Obj {
            gen: u64,
            poisoned: AtomicBool,
        }
        struct Guarded(Arc<Obj>);
        impl Drop for Guarded {
            fn drop(&mut self) {
                self.0.poisoned.store(true, Ordering::SeqCst);
            }
        }
        let p = Arc::new(RcuPointer::new(Some(Box::new(Guarded(Arc::new(Obj {
            gen: 0,
            poisoned: AtomicBool::new(false),
        }))))));
        let list = Arc::new(RcuList::new());
        let bad = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let mut readers = vec![];
        for i in 0..2 {
            let (p, list, bad, stop) = (
                Arc::clone(&p),
                Arc::clone(&list),
                Arc::clone(&bad),
                Arc::clone(&stop),
            );
            readers.push(kthread_run(
                move || {
                    while !stop.load(Ordering::SeqCst) {
                        let g = rcu_read_lock();
                        if let Some(o) = p.dereference(&g) {
                            if o.0.poisoned.load(Ordering::SeqCst) {
                                bad.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                        for v in list.iter(&g) {
                            let v: &Guarded = v;
                            if v.0.poisoned.load(Ordering::SeqCst) {
                                bad.fetch_add(1, Ordering::SeqCst);
                            }
                        }
                        drop(g);
                        kernel::kernel::sched::cond_resched();
                    }
                    0
                },
                &format!("rcu_reader/{i}"),
            ));
        }
        let mut graveyard = vec![];
        for gen in 1..300u64 {
            let o = Arc::new(Obj {
                gen,
                poisoned: AtomicBool::new(false),
            });
            let lo = Arc::new(Obj {
                gen,
                poisoned: AtomicBool::new(false),
            });
            graveyard.push(Arc::clone(&o));
            graveyard.push(Arc::clone(&lo));
            p.assign(Some(Box::new(Guarded(o)))).free_after_gp();
            list.add(Guarded(lo));
            if gen % 3 == 0 {
                if let Some(r) = list.remove(|g: &Guarded| g.0.gen == gen - 2) {
                    r.free_after_gp();
                }
            }
            if gen % 50 == 0 {
                msleep(1);
            }
        }
        stop.store(true, Ordering::SeqCst);
        for r in readers {
            kthread_stop(&r);
        }
        rcu_barrier();
        let freed = graveyard
            .iter()
            .filter(|o| o.poisoned.load(Ordering::SeqCst))
            .count();
        (bad.load(Ordering::SeqCst), freed)
    });
    assert_eq!(ok.0, 0, "a reader saw a freed object");
    // 299 pointer objects (all but the last published) and 99 list removals.
    assert_eq!(
        ok.1,
        298 + 99,
        "retired objects were freed after grace periods"
    );
}

#[test]
fn srcu_readers_may_sleep_and_call_srcu_barrier() {
    let (r, _) = run(config(2), || {
        let s = Arc::new(SrcuStruct::new());
        let inside = Arc::new(Completion::new());
        let done = Arc::new(AtomicBool::new(false));
        let (s2, i2, d2) = (Arc::clone(&s), Arc::clone(&inside), Arc::clone(&done));
        kthread_run(
            move || {
                let idx = s2.read_lock();
                i2.complete();
                msleep(20); // sleeping is allowed in SRCU readers
                d2.store(true, Ordering::SeqCst);
                s2.read_unlock(idx);
                0
            },
            "srcu_reader",
        );
        inside.wait_for_completion();
        s.synchronize();
        let waited = done.load(Ordering::SeqCst);
        let n = Arc::new(AtomicUsize::new(0));
        for _ in 0..5 {
            let n = Arc::clone(&n);
            s.call_srcu(move || {
                n.fetch_add(1, Ordering::SeqCst);
            });
        }
        s.barrier();
        (waited, n.load(Ordering::SeqCst))
    });
    assert_eq!(r, (true, 5));
}

#[test]
fn preemptible_flavour_blocked_reader_holds_the_grace_period() {
    let mut cfg = config(2);
    cfg.cmdline = "rcu=preempt".into();
    // preempted/blocked inside the section
    let (ok, _) = run(cfg, || wait_outlasts_reader(|| msleep(30), synchronize_rcu));
    assert!(ok);
}

#[test]
fn cpu_stall_is_reported() {
    let mut cfg = config(2);
    cfg.cmdline = "rcupdate.rcu_cpu_stall_timeout=1".into();
    let (_, out) = run(cfg, || {
        let t = kthread_create_on_cpu(
            || {
                kernel::kernel::preempt::local_irq_disable();
                mdelay(1600);
                kernel::kernel::preempt::local_irq_enable();
                0
            },
            1,
            "staller",
        );
        kernel::kernel::sched::set_cpus_allowed(&kernel::current(), 1).unwrap();
        wake_up_process(&t);
        msleep(10);
        synchronize_rcu();
    });
    assert!(
        out.dmesg
            .contains("rcu: INFO: rcu_sched detected stalls on CPUs/tasks:"),
        "{}",
        out.dmesg
    );
    assert!(out.dmesg.contains("(detected by 0, t="), "{}", out.dmesg);
}

#[test]
fn rcutorture_succeeds() {
    let (_, out) = run(config(3), || {
        load_module(
            "rcutorture",
            "torture_duration=2 stat_interval=1 nreaders=3",
        )
        .unwrap();
        msleep(2300);
        delete_module("rcutorture", 0).unwrap();
    });
    let lines: Vec<&str> = out
        .dmesg
        .lines()
        .filter(|l| l.contains("rcu-torture"))
        .collect();
    let end = lines
        .iter()
        .find(|l| l.contains("End of test"))
        .expect("end line");
    assert!(end.contains("End of test: SUCCESS"), "{}", lines.join("\n"));
    let pipe = lines
        .iter()
        .rev()
        .find(|l| l.contains("Reader Pipe:"))
        .unwrap();
    let counts: Vec<u64> = pipe
        .split("Reader Pipe:")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .map(|v| v.parse().unwrap())
        .collect();
    assert_eq!(counts.len(), 11);
    assert!(
        counts[0] + counts[1] > 0 && counts[2..].iter().all(|&c| c == 0),
        "{pipe}"
    );
    let stat = lines.iter().rev().find(|l| l.contains(" rtc: ")).unwrap();
    assert!(
        stat.contains(" rtmbe: 0 ") && stat.contains(" barrier: "),
        "{stat}"
    );
}

#[test]
fn rcutorture_catches_the_busted_flavour() {
    let (_, out) = run(config(3), || {
        load_module(
            "rcutorture",
            "torture_type=rcu_busted torture_duration=1 stat_interval=1",
        )
        .unwrap();
        msleep(1300);
        delete_module("rcutorture", 0).unwrap();
    });
    let d = &out.dmesg;
    assert!(d.contains("rcu-torture:--- End of test: FAILURE"), "{d}");
    assert!(d.contains("!!! Reader Pipe:"), "{d}");
}

#[test]
fn unloading_with_pending_callbacks_oopses_without_rcu_barrier() {
    // Deterministic mode: host preemption of init between the module's exit
    // and the freeing of its text cannot stretch the window.
    let mut cfg = config(2);
    cfg.deterministic = true;
    cfg.seed = 3;
    cfg.init = Some(Box::new(|| {
        load_module("rcu_demo_leaky", "").unwrap();
        msleep(20);
        delete_module("rcu_demo_leaky", 0).unwrap();
        msleep(2000);
        0
    }));
    let out = kernel::init::boot(cfg).unwrap();
    assert_eq!(
        out.exit,
        ExitReason::Panic("Fatal exception in interrupt".into()),
        "{}",
        out.dmesg
    );
    let d = &out.dmesg;
    assert!(
        d.contains("BUG: unable to handle page fault for address: ffffffffc00"),
        "{d}"
    );
    assert!(
        d.contains("#PF: supervisor instruction fetch in kernel mode"),
        "{d}"
    );
    assert!(d.contains("[last unloaded: rcu_demo_leaky]"), "{d}");
    assert_eq!(out.threads_leaked, 0);
}

#[test]
fn unloading_after_rcu_barrier_is_clean() {
    let (r, out) = run(config(2), || {
        load_module("rcu_demo_fixed", "").unwrap();
        msleep(20);
        let r = delete_module("rcu_demo_fixed", 0);
        msleep(200);
        r
    });
    assert_eq!(r, Ok(()));
    assert!(
        out.dmesg
            .contains("rcu_demo_fixed: rcu_barrier() waited for"),
        "{}",
        out.dmesg
    );
    assert!(!out.dmesg.contains("BUG:"), "{}", out.dmesg);
}

#[test]
fn module_errors_are_linux_errnos() {
    let (r, _) = run(config(1), || {
        let k = kernel::kernel();
        let unknown = load_module("no_such_module", "");
        load_module("rcu_demo_fixed", "batch=5").unwrap();
        let twice = load_module("rcu_demo_fixed", "");
        let m = k.modules.find("rcu_demo_fixed").unwrap();
        assert!(try_module_get(&m));
        let busy = delete_module("rcu_demo_fixed", 0);
        module_put(&m);
        let proc_modules = k.procfs.read("modules").unwrap();
        let ok = delete_module("rcu_demo_fixed", 0);
        let gone = delete_module("rcu_demo_fixed", 0);
        let bad = load_module("rcutorture", "nreaders=many");
        (unknown, twice, busy, ok, gone, bad, proc_modules)
    });
    use uapi::errno::*;
    assert_eq!(r.0, Err(ENOENT));
    assert_eq!(r.1, Err(EEXIST));
    assert_eq!(r.2, Err(EWOULDBLOCK));
    assert_eq!(r.3, Ok(()));
    assert_eq!(r.4, Err(ENOENT));
    assert_eq!(r.5, Err(EINVAL));
    assert!(
        r.6.starts_with("rcu_demo_fixed 16384 0 - Live 0xffffffffc0"),
        "{}",
        r.6
    );
}

#[test]
fn rcu_data_in_debugfs() {
    let (text, _) = run(config(2), || {
        synchronize_rcu();
        kernel::kernel().debugfs.read("rcu/rcu_data").unwrap()
    });
    assert!(text.starts_with("rcu_sched: gp_seq="), "{text}");
    assert_eq!(
        text.lines().filter(|l| l.contains(" c=")).count(),
        2,
        "{text}"
    );
}
