//! Boot-time self-tests of the core (in the spirit of KUnit and the
//! locking self-tests), and the default init that runs them.
//!
//! Each test runs in task context on a booted kernel and returns
//! `Err(reason)` on failure. The same functions back the integration tests
//! in `kernel/tests/`, so what CI checks is what `usk boot` shows.

use crate::kernel::irq::{free_irq, request_irq, IRQF_SHARED, IRQ_HANDLED, IRQ_NONE};
use crate::kernel::kthread::{kthread_run, kthread_should_stop, kthread_stop};
use crate::kernel::locking::{Mutex, RwSem, Semaphore, SpinLock};
use crate::kernel::preempt::in_hardirq;
use crate::kernel::sched::completion::Completion;
use crate::kernel::sched::task::TASK_INTERRUPTIBLE;
use crate::kernel::sched::wait::{WaitQueueEntry, WaitQueueHead};
use crate::kernel::sched::{set_cpus_allowed, set_current_state};
use crate::kernel::softirq::Tasklet;
use crate::kernel::time::timer::TimerList;
use crate::kernel::workqueue::{
    alloc_workqueue, cancel_work_sync, flush_work, DelayedWork, WorkStruct,
};
use crate::{kernel, pr_info};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

pub type SelfTest = fn() -> Result<(), String>;

/// Every self-test, by name.
pub const SELFTESTS: &[(&str, SelfTest)] = &[
    ("spinlock: mutual exclusion across CPUs", spinlock_exclusion),
    (
        "spinlock_irqsave: masks this CPU's interrupts",
        spinlock_irqsave_masks,
    ),
    (
        "mutex/semaphore/rwsem: exclusion and hand-off",
        sleeping_locks,
    ),
    ("completion: complete and complete_all", completions),
    (
        "wait queue: no lost wake-ups under stress",
        waitqueue_stress,
    ),
    (
        "wait queue: custom wake function in hardirq",
        custom_wake_function,
    ),
    ("timers: fire in expiry order", timers_in_order),
    (
        "mm: buddy allocator, kmalloc, compaction, page_owner",
        crate::mm::selftest::mm_selftest,
    ),
    ("irq: shared lines reach every handler", shared_irq),
    (
        "tasklets: run once per schedule, never while disabled",
        tasklets,
    ),
    ("workqueue: flush and cancel guarantees", workqueues),
    ("smp: function calls reach every CPU", smp_calls),
    ("sched: affinity moves a task", affinity),
    ("kthread: stop returns the thread's result", kthreads),
];

fn check(cond: bool, what: &str) -> Result<(), String> {
    if cond {
        Ok(())
    } else {
        Err(what.to_string())
    }
}

fn spinlock_exclusion() -> Result<(), String> {
    let lock = Arc::new(SpinLock::new(0u64));
    let n = kernel().nr_cpus().max(2);
    let done = Arc::new(Completion::new());
    for i in 0..n {
        let (lock, done) = (Arc::clone(&lock), Arc::clone(&done));
        kthread_run(
            move || {
                for _ in 0..2000 {
                    let mut g = lock.lock();
                    let v = *g;
                    std::hint::black_box(&v);
                    *g = v + 1;
                    drop(g);
                    crate::kernel::sched::cond_resched();
                }
                done.complete();
                0
            },
            &format!("spin_test/{i}"),
        );
    }
    for _ in 0..n {
        done.wait_for_completion();
    }
    let v = *lock.lock();
    check(
        v == 2000 * n as u64,
        &format!("counter {v} != {}", 2000 * n),
    )
}

fn spinlock_irqsave_masks() -> Result<(), String> {
    let k = kernel();
    let line = 40;
    let hits = Arc::new(AtomicUsize::new(0));
    let h2 = Arc::clone(&hits);
    request_irq(
        line,
        move |_| {
            h2.fetch_add(1, Ordering::SeqCst);
            IRQ_HANDLED
        },
        0,
        "selftest-mask",
        1,
    )
    .map_err(|e| e.to_string())?;
    let me = crate::current();
    set_cpus_allowed(&me, 1).map_err(|e| e.to_string())?;
    crate::kernel::irq::irq_set_affinity(line, 1).map_err(|e| e.to_string())?;
    let lock = SpinLock::new(());
    let g = lock.lock_irqsave();
    k.irqchip.raise(line);
    // An interrupt point while masked must not deliver it.
    crate::kernel::irq::irq_point();
    let during = hits.load(Ordering::SeqCst);
    drop(g); // restore → interrupt point → delivered
    let after = hits.load(Ordering::SeqCst);
    free_irq(line, 1);
    set_cpus_allowed(&me, u64::MAX).map_err(|e| e.to_string())?;
    check(
        during == 0 && after == 1,
        &format!("hits during={during} after={after}"),
    )
}

fn sleeping_locks() -> Result<(), String> {
    let m = Arc::new(Mutex::new(0u64));
    let sem = Arc::new(Semaphore::new(2));
    let inside = Arc::new(AtomicUsize::new(0));
    let max_inside = Arc::new(AtomicUsize::new(0));
    let rw = Arc::new(RwSem::new(0u64));
    let done = Arc::new(Completion::new());
    let n = 6;
    for i in 0..n {
        let (m, sem, inside, max_inside, rw, done) = (
            Arc::clone(&m),
            Arc::clone(&sem),
            Arc::clone(&inside),
            Arc::clone(&max_inside),
            Arc::clone(&rw),
            Arc::clone(&done),
        );
        kthread_run(
            move || {
                for _ in 0..200 {
                    {
                        let mut g = m.lock();
                        let v = *g;
                        crate::kernel::sched::cond_resched();
                        *g = v + 1;
                    }
                    sem.down();
                    let now = inside.fetch_add(1, Ordering::SeqCst) + 1;
                    max_inside.fetch_max(now, Ordering::SeqCst);
                    crate::kernel::sched::yield_now();
                    inside.fetch_sub(1, Ordering::SeqCst);
                    sem.up();
                    if i % 2 == 0 {
                        *rw.down_write() += 1;
                    } else {
                        let r = rw.down_read();
                        std::hint::black_box(*r);
                    }
                }
                done.complete();
                0
            },
            &format!("lock_test/{i}"),
        );
    }
    for _ in 0..n {
        done.wait_for_completion();
    }
    let v = *m.lock();
    check(v == 200 * n as u64, &format!("mutex counter {v}"))?;
    check(
        max_inside.load(Ordering::SeqCst) <= 2,
        "semaphore admitted more than 2",
    )?;
    let writes = *rw.down_read();
    check(writes == 600, &format!("rwsem writer count {writes}"))?;
    let unlocked = m.try_lock().is_some();
    check(unlocked, "mutex left locked")
}

fn completions() -> Result<(), String> {
    let c = Arc::new(Completion::new());
    let woke = Arc::new(AtomicUsize::new(0));
    for i in 0..4 {
        let (c, woke) = (Arc::clone(&c), Arc::clone(&woke));
        kthread_run(
            move || {
                c.wait_for_completion();
                woke.fetch_add(1, Ordering::SeqCst);
                0
            },
            &format!("compl_test/{i}"),
        );
    }
    crate::kernel::time::msleep(10);
    check(woke.load(Ordering::SeqCst) == 0, "woke before complete")?;
    c.complete();
    let k = kernel();
    let deadline = k.jiffies() + 1000;
    while woke.load(Ordering::SeqCst) < 1 && k.jiffies() < deadline {
        crate::kernel::time::msleep(1);
    }
    check(
        woke.load(Ordering::SeqCst) == 1,
        "complete() must wake exactly one",
    )?;
    c.complete_all();
    while woke.load(Ordering::SeqCst) < 4 && k.jiffies() < deadline {
        crate::kernel::time::msleep(1);
    }
    check(
        woke.load(Ordering::SeqCst) == 4,
        "complete_all() must wake all",
    )?;
    let t = Completion::new();
    check(t.wait_for_completion_timeout(2) == 0, "timeout must expire")
}

fn waitqueue_stress() -> Result<(), String> {
    let wq = Arc::new(WaitQueueHead::new());
    let tokens = Arc::new(AtomicU64::new(0));
    let consumed = Arc::new(AtomicU64::new(0));
    let done = Arc::new(Completion::new());
    let waiters = 8;
    let per = 250;
    for i in 0..waiters {
        let (wq, tokens, consumed, done) = (
            Arc::clone(&wq),
            Arc::clone(&tokens),
            Arc::clone(&consumed),
            Arc::clone(&done),
        );
        kthread_run(
            move || {
                for _ in 0..per {
                    loop {
                        // Take a token if there is one, else sleep for one.
                        let got = tokens
                            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |t| t.checked_sub(1))
                            .is_ok();
                        if got {
                            break;
                        }
                        crate::kernel::sched::wait::wait_event_exclusive(&wq, || {
                            tokens.load(Ordering::Acquire) > 0
                        });
                    }
                    consumed.fetch_add(1, Ordering::AcqRel);
                }
                done.complete();
                0
            },
            &format!("wq_waiter/{i}"),
        );
    }
    for n in 0..waiters * per {
        tokens.fetch_add(1, Ordering::AcqRel);
        wq.wake_up();
        if n % 16 == 0 {
            crate::kernel::sched::cond_resched();
        }
    }
    for _ in 0..waiters {
        if done.wait_for_completion_timeout(30 * crate::kernel::time::HZ) == 0 {
            return Err(format!(
                "lost wake-up: {} of {} consumed",
                consumed.load(Ordering::SeqCst),
                waiters * per
            ));
        }
    }
    check(
        consumed.load(Ordering::SeqCst) == (waiters * per) as u64,
        "count",
    )
}

fn custom_wake_function() -> Result<(), String> {
    let k = kernel();
    let wq = Arc::new(WaitQueueHead::new());
    let ran_in_irq = Arc::new(AtomicBool::new(false));
    let calls = Arc::new(AtomicUsize::new(0));
    let (r2, c2) = (Arc::clone(&ran_in_irq), Arc::clone(&calls));
    let entry = WaitQueueEntry::with_func(move |e, _mode, _flags, key| {
        r2.store(in_hardirq(), Ordering::SeqCst);
        c2.fetch_add(1, Ordering::SeqCst);
        if key == 7 {
            e.list_del_init();
        }
        1
    });
    wq.add_wait_queue(&entry);
    let line = 41;
    let wq2 = Arc::clone(&wq);
    request_irq(
        line,
        move |_| {
            wq2.wake_up_poll(7);
            IRQ_HANDLED
        },
        0,
        "selftest-wake",
        1,
    )
    .map_err(|e| e.to_string())?;
    k.irqchip.raise(line);
    let deadline = k.jiffies() + 1000;
    while calls.load(Ordering::SeqCst) == 0 && k.jiffies() < deadline {
        crate::kernel::time::msleep(1);
    }
    free_irq(line, 1);
    check(calls.load(Ordering::SeqCst) == 1, "callback ran once")?;
    check(
        ran_in_irq.load(Ordering::SeqCst),
        "callback ran in hardirq context",
    )?;
    check(!entry.is_queued() && wq.is_empty(), "entry unlinked itself")
}

fn timers_in_order() -> Result<(), String> {
    let k = kernel();
    let order = Arc::new(SpinLock::new(Vec::new()));
    let now = k.jiffies();
    let timers: Vec<TimerList> = [5u64, 1, 3, 2, 4]
        .iter()
        .map(|&d| {
            let o = Arc::clone(&order);
            let t = TimerList::new(move || o.lock_irqsave().push(d));
            t.mod_timer(now + d);
            t
        })
        .collect();
    let cancelled = TimerList::new(|| panic!("deleted timer fired"));
    cancelled.mod_timer(now + 2);
    check(cancelled.del_timer(), "del_timer of a pending timer")?;
    crate::kernel::time::msleep(60);
    for t in &timers {
        t.del_timer_sync();
    }
    let got = order.lock_irqsave().clone();
    check(
        got == vec![1, 2, 3, 4, 5],
        &format!("fired in order {got:?}"),
    )
}

fn shared_irq() -> Result<(), String> {
    let k = kernel();
    let line = 42;
    let a = Arc::new(AtomicUsize::new(0));
    let b = Arc::new(AtomicUsize::new(0));
    let (a2, b2) = (Arc::clone(&a), Arc::clone(&b));
    request_irq(
        line,
        move |_| {
            a2.fetch_add(1, Ordering::SeqCst);
            IRQ_NONE
        },
        IRQF_SHARED,
        "dev-a",
        1,
    )
    .map_err(|e| e.to_string())?;
    request_irq(
        line,
        move |_| {
            b2.fetch_add(1, Ordering::SeqCst);
            IRQ_HANDLED
        },
        IRQF_SHARED,
        "dev-b",
        2,
    )
    .map_err(|e| e.to_string())?;
    let refused = request_irq(line, |_| IRQ_HANDLED, 0, "dev-c", 3);
    k.irqchip.raise(line);
    let deadline = k.jiffies() + 1000;
    while b.load(Ordering::SeqCst) == 0 && k.jiffies() < deadline {
        crate::kernel::time::msleep(1);
    }
    let names = k.irq.descs[line].action_names();
    free_irq(line, 1);
    free_irq(line, 2);
    check(
        refused == Err(uapi::errno::EBUSY),
        "non-shared request on a shared line must fail",
    )?;
    check(names == vec!["dev-a", "dev-b"], "both actions listed")?;
    check(
        a.load(Ordering::SeqCst) == 1 && b.load(Ordering::SeqCst) == 1,
        "both handlers ran once",
    )
}

fn tasklets() -> Result<(), String> {
    let runs = Arc::new(AtomicUsize::new(0));
    let r2 = Arc::clone(&runs);
    let t = Tasklet::new(move || {
        r2.fetch_add(1, Ordering::SeqCst);
    });
    t.disable();
    t.schedule();
    t.schedule(); // already scheduled: no second run
    crate::kernel::time::msleep(10);
    check(runs.load(Ordering::SeqCst) == 0, "ran while disabled")?;
    t.enable();
    t.kill();
    check(runs.load(Ordering::SeqCst) == 1, "runs once after enable")
}

fn workqueues() -> Result<(), String> {
    let wq = alloc_workqueue("selftest", 0, 0);
    let count = Arc::new(AtomicUsize::new(0));
    let c2 = Arc::clone(&count);
    let slow = WorkStruct::new(move || {
        crate::kernel::time::msleep(20);
        c2.fetch_add(1, Ordering::SeqCst);
    });
    check(wq.queue_work(&slow), "queue_work on idle item")?;
    check(
        !wq.queue_work(&slow) || count.load(Ordering::SeqCst) == 0,
        "double queue",
    )?;
    flush_work(&slow);
    check(
        count.load(Ordering::SeqCst) >= 1,
        "flush_work waits for the item",
    )?;
    // cancel_work_sync on a pending item: it never runs.
    let never = Arc::new(AtomicUsize::new(0));
    let n2 = Arc::clone(&never);
    let blocker = WorkStruct::new(|| crate::kernel::time::msleep(30));
    let victim = WorkStruct::new(move || {
        n2.fetch_add(1, Ordering::SeqCst);
    });
    let ordered = crate::kernel::workqueue::alloc_ordered_workqueue("selftest-ordered", 0);
    ordered.queue_work(&blocker);
    ordered.queue_work(&victim);
    check(
        cancel_work_sync(&victim),
        "cancel of a pending item returns true",
    )?;
    ordered.flush_workqueue();
    check(never.load(Ordering::SeqCst) == 0, "cancelled item ran")?;
    // Many items, then flush_workqueue: all done.
    let many = Arc::new(AtomicUsize::new(0));
    let items: Vec<WorkStruct> = (0..32)
        .map(|_| {
            let m = Arc::clone(&many);
            WorkStruct::new(move || {
                m.fetch_add(1, Ordering::SeqCst);
            })
        })
        .collect();
    for (i, w) in items.iter().enumerate() {
        wq.queue_work_on(i % kernel().nr_cpus(), w);
    }
    wq.flush_workqueue();
    check(
        many.load(Ordering::SeqCst) == 32,
        "flush_workqueue waits for all",
    )?;
    // Delayed work fires, and cancel_sync of a not-yet-fired one stops it.
    let d = Arc::new(AtomicUsize::new(0));
    let d2 = Arc::clone(&d);
    let dw = DelayedWork::new(move || {
        d2.fetch_add(1, Ordering::SeqCst);
    });
    wq.queue_delayed_work(&dw, 2);
    dw.flush();
    check(d.load(Ordering::SeqCst) == 1, "delayed work ran")?;
    wq.queue_delayed_work(&dw, 1000);
    check(dw.cancel_sync(), "cancel of a pending delayed work")?;
    crate::kernel::time::msleep(10);
    check(d.load(Ordering::SeqCst) == 1, "cancelled delayed work ran")?;
    ordered.destroy();
    wq.destroy();
    Ok(())
}

fn smp_calls() -> Result<(), String> {
    let k = kernel();
    let seen = Arc::new(AtomicU64::new(0));
    let s2 = Arc::clone(&seen);
    crate::kernel::smp::on_each_cpu(
        move || {
            s2.fetch_or(1 << crate::smp_processor_id(), Ordering::SeqCst);
            assert!(crate::kernel::preempt::irqs_disabled() || in_hardirq());
        },
        true,
    );
    let want = (1u64 << k.nr_cpus()) - 1;
    check(
        seen.load(Ordering::SeqCst) == want,
        &format!("mask {:b}", seen.load(Ordering::SeqCst)),
    )
}

fn affinity() -> Result<(), String> {
    let k = kernel();
    let target = k.nr_cpus() - 1;
    let ran_on = Arc::new(AtomicUsize::new(usize::MAX));
    let r2 = Arc::clone(&ran_on);
    let go = Arc::new(Completion::new());
    let done = Arc::new(Completion::new());
    let (g2, d2) = (Arc::clone(&go), Arc::clone(&done));
    let t = kthread_run(
        move || {
            g2.wait_for_completion();
            r2.store(crate::smp_processor_id(), Ordering::SeqCst);
            d2.complete();
            0
        },
        "affinity_test",
    );
    set_cpus_allowed(&t, 1 << target).map_err(|e| e.to_string())?;
    go.complete();
    done.wait_for_completion();
    kthread_stop(&t);
    check(
        ran_on.load(Ordering::SeqCst) == target,
        &format!("ran on {} not {target}", ran_on.load(Ordering::SeqCst)),
    )?;
    check(
        set_cpus_allowed(&crate::current(), 0) == Err(uapi::errno::EINVAL),
        "empty mask refused",
    )
}

fn kthreads() -> Result<(), String> {
    let loops = Arc::new(AtomicUsize::new(0));
    let l2 = Arc::clone(&loops);
    let t = kthread_run(
        move || {
            while !kthread_should_stop() {
                l2.fetch_add(1, Ordering::SeqCst);
                set_current_state(TASK_INTERRUPTIBLE);
                if !kthread_should_stop() {
                    crate::kernel::sched::schedule_timeout(1);
                }
                set_current_state(crate::kernel::sched::task::TASK_RUNNING);
            }
            42
        },
        "kthread_test",
    );
    crate::kernel::time::msleep(20);
    let r = kthread_stop(&t);
    check(r == 42, &format!("kthread_stop returned {r}"))?;
    check(loops.load(Ordering::SeqCst) > 0, "thread ran")?;
    // Stopped before it ever ran: -EINTR, body not run.
    let ran = Arc::new(AtomicBool::new(false));
    let r2 = Arc::clone(&ran);
    let t2 = crate::kernel::kthread::kthread_create(
        move || {
            r2.store(true, Ordering::SeqCst);
            0
        },
        "never_run",
    );
    let r = kthread_stop(&t2);
    check(
        r == -4 && !ran.load(Ordering::SeqCst),
        &format!("early stop gave {r}"),
    )
}

/// Run every self-test and print the results; returns the failure count.
pub fn run_selftests() -> usize {
    let mut failed = 0;
    for (name, f) in SELFTESTS {
        match f() {
            Ok(()) => pr_info!("selftest: {name}: ok"),
            Err(e) => {
                failed += 1;
                crate::pr_err!("selftest: {name}: FAILED: {e}");
            }
        }
    }
    pr_info!(
        "selftest: {} passed, {} failed",
        SELFTESTS.len() - failed,
        failed
    );
    failed
}
