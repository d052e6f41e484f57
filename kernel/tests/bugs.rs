//! Kernel bug reports in Linux's words: might_sleep() in atomic context,
//! WARN_ON, BUG() killing only the offending task, a Rust panic as an oops,
//! panic() stopping the machine, and the spurious-interrupt detector.

use kernel::init::kernel::ExitReason;
use kernel::kernel::irq::{request_irq, IRQ_NONE};
use kernel::kernel::kthread::kthread_run;
use kernel::kernel::locking::{Mutex, SpinLock};
use kernel::testing::{config, run};
use std::sync::atomic::Ordering;

/// Wait (up to 10 s: symbolising the first call trace is slow) for the
/// task to be gone.
fn reaped(pid: i32) -> bool {
    for _ in 0..10_000 {
        if kernel::kernel().find_task(pid).is_none() {
            return true;
        }
        kernel::kernel::time::msleep(1);
    }
    false
}

#[test]
fn might_sleep_in_atomic_context_is_reported() {
    let (_, out) = run(config(1), || {
        let s = SpinLock::new(());
        let m = Mutex::new(());
        let g = s.lock();
        drop(m.lock());
        drop(g);
    });
    let d = &out.dmesg;
    assert!(
        d.contains("BUG: sleeping function called from invalid context at kernel/tests/bugs.rs"),
        "{d}"
    );
    assert!(
        d.contains("in_atomic(): 1, irqs_disabled(): 0, non_block: 0, pid: 1, name: init"),
        "{d}"
    );
    assert!(d.contains("preempt_count: 1, expected: 0"), "{d}");
    assert!(
        d.contains("Call Trace:") && d.contains(" <TASK>") && d.contains(" </TASK>"),
        "{d}"
    );
}

#[test]
fn warn_on_prints_a_cut_here_block_and_taints() {
    let (r, out) = run(config(1), || {
        let fired = kernel::WARN_ON!(1 + 1 == 2);
        (fired, kernel::kernel().taint.load(Ordering::Relaxed))
    });
    assert!(r.0);
    assert_ne!(r.1, 0);
    let d = &out.dmesg;
    assert!(d.contains("------------[ cut here ]------------"), "{d}");
    assert!(
        d.contains("WARNING: CPU: 0 PID: 1 at kernel/tests/bugs.rs:"),
        "{d}"
    );
    assert!(d.contains("---[ end trace"), "{d}");
}

#[test]
fn bug_kills_only_the_task() {
    let (alive, out) = run(config(2), || {
        let t = kthread_run(
            || {
                kernel::BUG_ON!(true);
                0
            },
            "buggy",
        );
        let gone = reaped(t.pid);
        // The rest of the kernel still schedules, sleeps and wakes.
        kernel::kernel::time::msleep(5);
        gone
    });
    assert!(alive, "the oopsing task was reaped");
    assert!(
        out.dmesg.contains("kernel BUG at kernel/tests/bugs.rs:"),
        "{}",
        out.dmesg
    );
    assert!(
        out.dmesg.contains("invalid opcode: 0000 [#1] SMP"),
        "{}",
        out.dmesg
    );
}

#[test]
fn rust_panic_in_a_kthread_is_an_oops_holding_a_lock() {
    let (ok, out) = run(config(2), || {
        let t = kthread_run(
            || {
                let l = SpinLock::new(0);
                let _g = l.lock();
                let v: Vec<u32> = Vec::new();
                std::hint::black_box(&v)[3] as i32
            },
            "panicky",
        );
        reaped(t.pid)
    });
    assert!(ok);
    assert!(
        out.dmesg.contains("Rust panic: index out of bounds"),
        "{}",
        out.dmesg
    );
}

#[test]
fn panic_stops_the_machine() {
    let mut cfg = config(2);
    cfg.init = Some(Box::new(|| kernel::kernel::panic::panic("test says so")));
    let out = kernel::init::boot(cfg).unwrap();
    assert_eq!(out.exit, ExitReason::Panic("test says so".into()));
    assert!(out
        .dmesg
        .contains("Kernel panic - not syncing: test says so"));
    assert!(out
        .dmesg
        .contains("---[ end Kernel panic - not syncing: test says so ]---"));
    assert_eq!(out.threads_leaked, 0);
}

#[test]
fn screaming_interrupt_nobody_cared() {
    let (state, out) = run(config(1), || {
        let k = kernel::kernel();
        let line = 33;
        request_irq(line, |_| IRQ_NONE, 0, "deaf-driver", 1).unwrap();
        let desc = &k.irq.descs[line];
        let mut raised = 0;
        while !desc.spurious_disabled.load(Ordering::Acquire) && raised < 200_000 {
            k.irqchip.raise(line);
            kernel::kernel::irq::irq_point();
            raised += 1;
        }
        (
            desc.spurious_disabled.load(Ordering::Acquire),
            desc.total(),
            raised,
        )
    });
    assert!(state.0, "line not disabled after {} interrupts", state.2);
    assert_eq!(state.1, 100_000);
    let d = &out.dmesg;
    assert!(
        d.contains("irq 33: nobody cared (try booting with the \"irqpoll\" option)"),
        "{d}"
    );
    assert!(
        d.contains("handlers:") && d.contains("] deaf-driver"),
        "{d}"
    );
    assert!(d.contains("Disabling IRQ #33"), "{d}");
}

#[test]
fn bad_boot_configs_are_refused() {
    let mut c = config(0);
    c.cpus = 0;
    assert!(kernel::init::boot(c).is_err());
    let mut c = config(65);
    c.cpus = 65;
    assert!(kernel::init::boot(c).is_err());
    let mut c = config(1);
    c.mem_bytes = 1;
    assert!(kernel::init::boot(c).is_err());
}

#[test]
fn shutdown_joins_every_thread() {
    let (_, out) = run(config(4), || {
        for i in 0..8 {
            // Left sleeping forever: power-off must still reap them.
            kthread_run(
                || {
                    kernel::kernel::sched::set_current_state(
                        kernel::kernel::sched::task::TASK_UNINTERRUPTIBLE,
                    );
                    kernel::kernel::sched::schedule();
                    0
                },
                &format!("sleeper/{i}"),
            );
        }
        kernel::kernel::time::msleep(5);
    });
    assert_eq!(out.threads_leaked, 0);
    assert!(
        out.threads_joined >= 4 + 8 + 4 + 5,
        "joined {}",
        out.threads_joined
    );
}
