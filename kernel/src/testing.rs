//! Helpers for tests that boot a kernel: run a closure as init on a small
//! machine and get its result, the log and the teardown report back.

use crate::init::kernel::{BootConfig, ExitReason};
use crate::init::main::{boot, BootOutcome};
use crate::kernel::printk::Console;
use std::sync::{Arc, Mutex};

/// A quiet config: `cpus` CPUs, 64 MiB, console silent.
pub fn config(cpus: usize) -> BootConfig {
    BootConfig {
        cpus,
        mem_bytes: 64 << 20,
        console: Console::Silent,
        ..Default::default()
    }
}

/// Boot with `cfg`, run `body` as init (in task context), power off.
/// Returns the body's value and the boot outcome. Panics (failing the
/// test) if the kernel panicked or leaked a thread.
pub fn run<R: Send + 'static>(
    mut cfg: BootConfig,
    body: impl FnOnce() -> R + Send + 'static,
) -> (R, BootOutcome) {
    let slot: Arc<Mutex<Option<R>>> = Arc::new(Mutex::new(None));
    let s2 = Arc::clone(&slot);
    cfg.init = Some(Box::new(move || {
        let r = body();
        *s2.lock().unwrap() = Some(r);
        0
    }));
    let out = boot(cfg).expect("valid boot config");
    if let ExitReason::Panic(m) = &out.exit {
        panic!("kernel panicked: {m}\n{}", out.dmesg);
    }
    assert_eq!(out.threads_leaked, 0, "kernel threads survived teardown");
    let r = slot.lock().unwrap().take().expect("init body ran");
    (r, out)
}

/// Boot `cfg` whose init is a user program (`init_argv`) and wait for it
/// to power off: its status and the outcome. Panics (failing the test) if
/// the kernel panicked, leaked a thread, or left user pages allocated.
pub fn boot_user_space(cfg: BootConfig) -> (i32, BootOutcome) {
    let out = boot(cfg).expect("valid boot config");
    assert_eq!(out.threads_leaked, 0, "kernel threads survived teardown");
    assert_eq!(
        out.user_pages_at_exit,
        Some(0),
        "user pages leaked\n{}",
        out.dmesg
    );
    match out.exit {
        ExitReason::PowerOff(c) => (c, out),
        ExitReason::Panic(ref m) => panic!("kernel panic: {m}\n{}", out.dmesg),
    }
}

/// Run one self-test on a fresh kernel; `Err` carries the reason and log.
pub fn run_selftest(cpus: usize, f: crate::init::selftest::SelfTest) -> Result<(), String> {
    let (r, out) = run(config(cpus), f);
    r.map_err(|e| format!("{e}\n--- dmesg ---\n{}", out.dmesg))
}

/// Kernel threads that keep every CPU switching (yield, then a one-tick
/// sleep) until the value is dropped, which stops and reaps them.
pub struct Churn {
    threads: Vec<Arc<crate::kernel::sched::task::Task>>,
}

/// Start `n` churn threads (call on a kernel thread).
pub fn churn(n: usize) -> Churn {
    let threads = (0..n)
        .map(|i| {
            crate::kernel::kthread::kthread_run(
                || {
                    while !crate::kernel::kthread::kthread_should_stop() {
                        crate::kernel::sched::yield_now();
                        crate::kernel::time::msleep(0);
                    }
                    0
                },
                &format!("churn/{i}"),
            )
        })
        .collect();
    Churn { threads }
}

impl Drop for Churn {
    fn drop(&mut self) {
        for t in self.threads.drain(..) {
            crate::kernel::kthread::kthread_stop(&t);
        }
    }
}
