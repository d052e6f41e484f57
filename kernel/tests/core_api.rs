//! The core's kernel APIs driven from kernel threads on a booted kernel:
//! wait-queue variants, sleeping and spinning locks, timers, workqueue
//! concurrency management and limits, per-CPU variables, load balancing.

use kernel::kernel::kthread::{kthread_create_on_cpu, kthread_run, kthread_stop};
use kernel::kernel::locking::{RwLock, Semaphore, SpinLock};
use kernel::kernel::percpu::PerCpu;
use kernel::kernel::sched::completion::Completion;
use kernel::kernel::sched::task::TASK_INTERRUPTIBLE;
use kernel::kernel::sched::wait::*;
use kernel::kernel::sched::{schedule, set_current_state, wake_up_process};
use kernel::kernel::time::timer::TimerList;
use kernel::kernel::time::{msleep, HZ};
use kernel::kernel::workqueue::{alloc_workqueue, WorkStruct};
use kernel::testing::{config, run};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

fn wait_until(mut f: impl FnMut() -> bool) -> bool {
    for _ in 0..2000 {
        if f() {
            return true;
        }
        msleep(1);
    }
    f()
}

#[test]
fn wait_event_timeout_and_interruptible() {
    let (r, _) = run(config(2), || {
        let wq = WaitQueueHead::new();
        // Times out: 0.
        let t0 = wait_event_timeout(&wq, || false, 3);
        // Condition already true: at least 1.
        let t1 = wait_event_timeout(&wq, || true, 3);
        // A pending signal interrupts an interruptible wait.
        let wq2 = Arc::new(WaitQueueHead::new());
        let res = Arc::new(SpinLock::new(None));
        let (w2, r2) = (Arc::clone(&wq2), Arc::clone(&res));
        let t = kthread_run(
            move || {
                let r = wait_event_interruptible(&w2, || false);
                *r2.lock() = Some(r);
                0
            },
            "sig_waiter",
        );
        msleep(5);
        t.signal_wake_up(false);
        let ok = wait_until(|| res.lock().is_some());
        let got = *res.lock();
        (t0, t1, ok, got)
    });
    assert_eq!(r.0, 0);
    assert!(r.1 >= 1);
    assert!(r.2);
    assert_eq!(r.3, Some(Err(uapi::errno::ERESTARTSYS)));
}

#[test]
fn exclusive_waiters_wake_one_at_a_time() {
    let (counts, _) = run(config(2), || {
        let wq = Arc::new(WaitQueueHead::new());
        let go = Arc::new(AtomicUsize::new(0));
        let woke = Arc::new(AtomicUsize::new(0));
        for i in 0..5 {
            let (wq, go, woke) = (Arc::clone(&wq), Arc::clone(&go), Arc::clone(&woke));
            kthread_run(
                move || {
                    let e = WaitQueueEntry::autoremove();
                    wq.prepare_to_wait_exclusive(
                        &e,
                        kernel::kernel::sched::task::TASK_UNINTERRUPTIBLE,
                    );
                    while go.load(Ordering::SeqCst) == 0 {
                        schedule();
                        wq.prepare_to_wait_exclusive(
                            &e,
                            kernel::kernel::sched::task::TASK_UNINTERRUPTIBLE,
                        );
                    }
                    wq.finish_wait(&e);
                    woke.fetch_add(1, Ordering::SeqCst);
                    0
                },
                &format!("excl/{i}"),
            );
        }
        assert!(wait_until(|| wq.len() == 5));
        go.store(1, Ordering::SeqCst);
        wq.wake_up();
        msleep(10);
        let after_one = woke.load(Ordering::SeqCst);
        wq.wake_up_nr(2);
        msleep(10);
        let after_three = woke.load(Ordering::SeqCst);
        wq.wake_up_all();
        wait_until(|| woke.load(Ordering::SeqCst) == 5);
        (after_one, after_three, woke.load(Ordering::SeqCst))
    });
    assert_eq!(counts, (1, 3, 5));
}

#[test]
fn wait_event_lock_irq_drops_the_lock_while_sleeping() {
    let (v, _) = run(config(2), || {
        let state = Arc::new(SpinLock::new(0u32));
        let wq = Arc::new(WaitQueueHead::new());
        let (s2, w2) = (Arc::clone(&state), Arc::clone(&wq));
        kthread_run(
            move || {
                msleep(5);
                // Only possible if the waiter released the lock.
                *s2.lock_irq() = 42;
                w2.wake_up();
                0
            },
            "setter",
        );
        let mut g = state.lock_irq();
        wait_event_lock_irq(&wq, &mut g, |v| *v == 42);
        let v = *g;
        assert!(kernel::kernel::preempt::irqs_disabled());
        drop(g);
        v
    });
    assert_eq!(v, 42);
}

#[test]
fn custom_wake_function_can_stop_the_walk() {
    let (calls, _) = run(config(1), || {
        let wq = WaitQueueHead::new();
        let n = Arc::new(AtomicUsize::new(0));
        let mk = |ret: i32| {
            let n = Arc::clone(&n);
            WaitQueueEntry::with_func(move |_, _, _, _| {
                n.fetch_add(1, Ordering::SeqCst);
                ret
            })
        };
        let (a, b, c) = (mk(0), mk(-1), mk(1));
        wq.add_wait_queue(&c);
        wq.add_wait_queue(&b);
        wq.add_wait_queue(&a); // head: a, b, c
        wq.wake_up_all();
        n.load(Ordering::SeqCst)
    });
    assert_eq!(calls, 2, "a runs, b returns -1 and stops the walk");
}

#[test]
fn semaphore_timeout_and_rwlock() {
    let (r, _) = run(config(2), || {
        let s = Semaphore::new(0);
        let timed_out = s.down_timeout(2);
        s.up();
        let took = s.down_trylock();
        let l = Arc::new(RwLock::new(0u64));
        let done = Arc::new(Completion::new());
        for i in 0..4 {
            let (l, done) = (Arc::clone(&l), Arc::clone(&done));
            kthread_run(
                move || {
                    for _ in 0..500 {
                        *l.write_irqsave() += 1;
                        let r = l.read();
                        std::hint::black_box(*r);
                    }
                    done.complete();
                    0
                },
                &format!("rw/{i}"),
            );
        }
        for _ in 0..4 {
            done.wait_for_completion();
        }
        let total = *l.read();
        (timed_out, took, total)
    });
    assert_eq!(r.0, Err(uapi::errno::ETIME));
    assert!(r.1);
    assert_eq!(r.2, 2000);
}

#[test]
fn del_timer_sync_waits_for_a_running_callback() {
    let (ok, _) = run(config(2), || {
        let running = Arc::new(AtomicBool::new(false));
        let finished = Arc::new(AtomicBool::new(false));
        let (r2, f2) = (Arc::clone(&running), Arc::clone(&finished));
        let t = TimerList::new(move || {
            r2.store(true, Ordering::SeqCst);
            kernel::kernel::time::mdelay(20);
            f2.store(true, Ordering::SeqCst);
        });
        // Arm it on the other CPU and catch it mid-callback.
        let other = 1 - kernel::smp_processor_id();
        t.add_timer_on(kernel::kernel().jiffies() + 1, other);
        assert!(wait_until(|| running.load(Ordering::SeqCst)));
        t.del_timer_sync();
        finished.load(Ordering::SeqCst) && !t.pending()
    });
    assert!(ok);
}

#[test]
fn mod_timer_rearms_and_schedule_timeout_sleeps() {
    let (r, _) = run(config(1), || {
        let k = kernel::kernel();
        let fired = Arc::new(AtomicUsize::new(0));
        let f2 = Arc::clone(&fired);
        let t = TimerList::new(move || {
            f2.fetch_add(1, Ordering::SeqCst);
        });
        t.mod_timer(k.jiffies() + 1000);
        let was_pending = t.mod_timer(k.jiffies() + 1);
        let start = k.jiffies();
        set_current_state(TASK_INTERRUPTIBLE);
        let left = kernel::kernel::sched::schedule_timeout(5);
        let slept = k.jiffies() - start;
        msleep(5);
        (was_pending, fired.load(Ordering::SeqCst), left, slept)
    });
    assert!(r.0);
    assert_eq!(r.1, 1, "re-armed timer fires once");
    assert_eq!(r.2, 0);
    assert!(r.3 >= 5);
}

#[test]
fn blocked_work_item_lets_the_next_one_run() {
    // Concurrency management: item A sleeps; B on the same CPU's pool must
    // run meanwhile on another worker.
    let (order, _) = run(config(1), || {
        let wq = alloc_workqueue("cmwq", 0, 0);
        let log = Arc::new(SpinLock::new(Vec::new()));
        let gate = Arc::new(Completion::new());
        let (l1, g1) = (Arc::clone(&log), Arc::clone(&gate));
        let a = WorkStruct::new(move || {
            l1.lock().push("a-start");
            g1.wait_for_completion();
            l1.lock().push("a-end");
        });
        let (l2, g2) = (Arc::clone(&log), Arc::clone(&gate));
        let b = WorkStruct::new(move || {
            l2.lock().push("b");
            g2.complete();
        });
        wq.queue_work(&a);
        wq.queue_work(&b);
        wq.flush_workqueue();
        let v = log.lock().clone();
        wq.destroy();
        v
    });
    assert_eq!(order, vec!["a-start", "b", "a-end"]);
}

#[test]
fn max_active_limits_in_flight_items() {
    let (peak, _) = run(config(2), || {
        let wq = alloc_workqueue("limited", 0, 2);
        let now = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let items: Vec<WorkStruct> = (0..8)
            .map(|_| {
                let (now, peak) = (Arc::clone(&now), Arc::clone(&peak));
                WorkStruct::new(move || {
                    let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(n, Ordering::SeqCst);
                    msleep(2);
                    now.fetch_sub(1, Ordering::SeqCst);
                })
            })
            .collect();
        for w in &items {
            wq.queue_work_on(0, w);
        }
        wq.flush_workqueue();
        wq.destroy();
        peak.load(Ordering::SeqCst)
    });
    assert!((1..=2).contains(&peak), "peak {peak}");
}

#[test]
fn destroyed_workqueue_refuses_work() {
    let (queued, out) = run(config(1), || {
        let wq = alloc_workqueue("gone", 0, 0);
        let w2 = wq.clone();
        wq.destroy();
        w2.queue_work(&WorkStruct::new(|| {}))
    });
    assert!(!queued);
    assert!(out.dmesg.contains("queueing work on a destroyed workqueue"));
}

#[test]
fn per_cpu_variables_pin_and_sum() {
    let (sum, _) = run(config(4), || {
        let k = kernel::kernel();
        let v = Arc::new(PerCpu::new(k.nr_cpus(), |_| {
            std::sync::atomic::AtomicU64::new(0)
        }));
        let done = Arc::new(Completion::new());
        for cpu in 0..k.nr_cpus() {
            let (v, done) = (Arc::clone(&v), Arc::clone(&done));
            let t = kthread_create_on_cpu(
                move || {
                    for _ in 0..1000 {
                        let g = v.get_cpu_var();
                        assert!(kernel::kernel::preempt::in_atomic());
                        kernel::kernel::percpu::this_cpu_add(&g, 1);
                    }
                    assert_eq!(kernel::smp_processor_id(), cpu);
                    done.complete();
                    0
                },
                cpu,
                "percpu_test",
            );
            wake_up_process(&t);
        }
        for _ in 0..k.nr_cpus() {
            done.wait_for_completion();
        }
        (0..k.nr_cpus())
            .map(|c| v.per_cpu(c).load(Ordering::Relaxed))
            .collect::<Vec<_>>()
    });
    assert_eq!(sum, vec![1000; 4]);
}

#[test]
fn idle_cpus_pull_queued_work() {
    // Four CPU hogs created on CPU 0 end up spread over the CPUs.
    let (cpus, _) = run(config(4), || {
        let seen = Arc::new(SpinLock::new(std::collections::BTreeSet::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let mut ts = vec![];
        for i in 0..4 {
            let (seen, stop) = (Arc::clone(&seen), Arc::clone(&stop));
            ts.push(kthread_run(
                move || {
                    while !stop.load(Ordering::SeqCst) {
                        seen.lock().insert(kernel::smp_processor_id());
                        kernel::kernel::time::udelay(200);
                        kernel::kernel::sched::cond_resched();
                    }
                    0
                },
                &format!("hog/{i}"),
            ));
        }
        msleep(100 * HZ / 250);
        stop.store(true, Ordering::SeqCst);
        for t in &ts {
            kthread_stop(t);
        }
        let n = seen.lock().len();
        n
    });
    assert!(cpus >= 3, "hogs ran on {cpus} CPUs");
}
