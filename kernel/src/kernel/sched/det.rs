//! Deterministic mode (`--deterministic --seed S`).
//!
//! Exactly one simulated CPU executes at any time: the holder of the *run
//! baton*. At every scheduling point (`schedule()`, `cond_resched()`,
//! `cpu_relax()` in a spin loop, each idle-loop pass) the holder advances
//! virtual time by one quantum, fires the device events now due, and picks
//! the next CPU to run from those with work, using a ChaCha8 generator
//! seeded with `S`. When no CPU has work, virtual time jumps to the next
//! device event. Host scheduling therefore cannot influence the run: the
//! same seed gives the same sequence of context switches, timestamps and
//! log lines. The baton is handed over with the same `grant`/`wait_permit`
//! pair as a CPU slot, so a context switch carries it to the next task.
//!
//! Invariant: only the baton holder touches kernel state; every other task
//! thread is parked in `wait_permit`. If every CPU is idle and no device
//! event is pending, the system can only be woken from outside (a host
//! device); the holder then waits for such an event.

use super::current::{current, with_current};
use crate::init::kernel::Kernel;
use parking_lot::{Condvar, Mutex};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::sync::atomic::Ordering;

/// Virtual nanoseconds charged per scheduling point.
pub const DET_QUANTUM_NS: u64 = 1_000;

pub struct Det {
    rng: Mutex<ChaCha8Rng>,
    pub seed: u64,
    external: Mutex<u64>,
    external_cv: Condvar,
}

impl Det {
    pub fn new(seed: u64) -> Self {
        Det {
            rng: Mutex::new(ChaCha8Rng::seed_from_u64(seed)),
            seed,
            external: Mutex::new(0),
            external_cv: Condvar::new(),
        }
    }

    pub(crate) fn external_event(&self) {
        *self.external.lock() += 1;
        self.external_cv.notify_all();
    }

    fn wait_external(&self, seen: u64) {
        let mut g = self.external.lock();
        if *g == seen {
            // Bounded, so a halt request is noticed even without an event.
            self.external_cv
                .wait_for(&mut g, std::time::Duration::from_millis(50));
        }
    }
}

fn cpu_has_work(k: &Kernel, cpu: usize) -> bool {
    let rq = k.rqs.per_cpu(cpu);
    rq.nr_running.load(Ordering::SeqCst) > 0
        || k.irqchip.has_pending(cpu)
        || k.softirq.pending(cpu) != 0
        || rq.curr().need_resched.load(Ordering::SeqCst)
}

/// A scheduling point in deterministic mode: maybe hand the baton to
/// another CPU. Called only by the baton holder.
pub(crate) fn det_yield(k: &Kernel) {
    let Some(det) = &k.det else { return };
    if k.is_halting() {
        return;
    }
    let me_cpu = with_current(|t| t.cpu());
    k.clock.advance(DET_QUANTUM_NS);
    k.timerq.run_due();
    loop {
        let cands: Vec<usize> = (0..k.nr_cpus()).filter(|&c| cpu_has_work(k, c)).collect();
        if !cands.is_empty() {
            let pick = cands[det.rng.lock().gen_range(0..cands.len())];
            if pick == me_cpu {
                return;
            }
            let target = k.rqs.per_cpu(pick).curr();
            target.grant();
            current().wait_permit();
            return;
        }
        if k.is_halting() {
            return;
        }
        match k.timerq.next_deadline() {
            Some(d) => {
                k.clock.advance_to(d);
                k.timerq.run_due();
            }
            None => {
                let seen = *det.external.lock();
                det.wait_external(seen);
            }
        }
    }
}
