//! Model checking by seed exploration: deterministic mode runs one CPU at a
//! time and draws every interleaving choice from the seed (like shuttle's
//! random scheduler, but over the real kernel). Each seed is a different
//! interleaving of readers, updaters, callback queues, grace-period
//! machinery and rcu_barrier(); the invariants must hold for all of them.

use kernel::init::kernel::{BootConfig, ExitReason};
use kernel::kernel::kthread::{kthread_create_on_cpu, kthread_stop};
use kernel::kernel::printk::Console;
use kernel::kernel::rcu::*;
use kernel::kernel::sched::wake_up_process;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

fn det_boot(seed: u64, cpus: usize, body: impl FnOnce() -> Result<(), String> + Send + 'static) {
    let slot = Arc::new(Mutex::new(None));
    let s2 = Arc::clone(&slot);
    let cfg = BootConfig {
        cpus,
        mem_bytes: 64 << 20,
        seed,
        deterministic: true,
        console: Console::Silent,
        cmdline: "selftests=off".into(),
        init: Some(Box::new(move || {
            *s2.lock().unwrap() = Some(body());
            0
        })),
        ..Default::default()
    };
    let out = kernel::init::boot(cfg).expect("boot");
    assert_eq!(
        out.exit,
        ExitReason::PowerOff(0),
        "seed {seed}:\n{}",
        out.dmesg
    );
    let result = slot.lock().unwrap().take();
    if let Some(Err(e)) = result {
        panic!("seed {seed}: {e}\n{}", out.dmesg);
    }
}

/// Readers never see a retired object freed; every callback queued before
/// rcu_barrier() has run when it returns; the first barrier callback sees
/// every CPU's barrier callback posted (Quick Quiz #4).
#[test]
fn rcu_invariants_hold_for_every_explored_interleaving() {
    for seed in 0..24u64 {
        det_boot(seed, 3, move || {
            let k = kernel::kernel();
            struct Obj(Arc<AtomicBool>);
            impl Drop for Obj {
                fn drop(&mut self) {
                    self.0.store(true, Ordering::SeqCst);
                }
            }
            let p = Arc::new(RcuPointer::new(None::<Box<Obj>>));
            let bad = Arc::new(AtomicUsize::new(0));
            let stop = Arc::new(AtomicBool::new(false));
            let mut readers = vec![];
            for cpu in 1..3 {
                let (p, bad, stop) = (Arc::clone(&p), Arc::clone(&bad), Arc::clone(&stop));
                let t = kthread_create_on_cpu(
                    move || {
                        while !stop.load(Ordering::SeqCst) {
                            let g = rcu_read_lock();
                            if let Some(o) = p.dereference(&g) {
                                // Hold the reference across many scheduling
                                // points of the other CPUs.
                                kernel::kernel::time::udelay(5000);
                                if o.0.load(Ordering::SeqCst) {
                                    bad.fetch_add(1, Ordering::SeqCst);
                                }
                            }
                            drop(g);
                            kernel::kernel::sched::cond_resched();
                        }
                        0
                    },
                    cpu,
                    "model_reader",
                );
                wake_up_process(&t);
                readers.push(t);
            }
            let mut freed_flags = vec![];
            let ran = Arc::new(AtomicUsize::new(0));
            for i in 0..30 {
                let f = Arc::new(AtomicBool::new(false));
                freed_flags.push(Arc::clone(&f));
                p.assign(Some(Box::new(Obj(f)))).free_after_gp();
                let r = Arc::clone(&ran);
                call_rcu(move || {
                    r.fetch_add(1, Ordering::SeqCst);
                });
                if i % 3 == 0 {
                    // Let virtual time pass: ticks, grace periods, callbacks.
                    kernel::kernel::time::msleep(1);
                }
            }
            rcu_barrier();
            let ran_all = ran.load(Ordering::SeqCst);
            let first = *k.rcu.barrier_first_cb.lock();
            stop.store(true, Ordering::SeqCst);
            for t in readers {
                kthread_stop(&t);
            }
            if bad.load(Ordering::SeqCst) != 0 {
                return Err("a reader saw a freed object".into());
            }
            if ran_all != 30 {
                return Err(format!(
                    "rcu_barrier returned with {ran_all}/30 callbacks run"
                ));
            }
            if first != (3, 3) {
                return Err(format!("first barrier callback saw {first:?}"));
            }
            // All but the still-published object were freed.
            let freed = freed_flags
                .iter()
                .filter(|f| f.load(Ordering::SeqCst))
                .count();
            if freed != 29 {
                return Err(format!(
                    "{freed}/29 retired objects freed after rcu_barrier"
                ));
            }
            Ok(())
        });
    }
}
