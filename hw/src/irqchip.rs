//! The interrupt controller: an I/O APIC routing device lines to CPUs plus
//! each CPU's local APIC, which also receives the per-CPU timer interrupt and
//! inter-processor interrupts (IPIs).
//!
//! Raising a line sets a pending bit on the CPU the line is routed to and
//! *kicks* that CPU (the kernel registers how: an idle CPU is woken, a busy
//! one notices at its next interrupt point). Pending bits are edge-latched:
//! several raises before the CPU acknowledges coalesce into one delivery,
//! as with a real edge-triggered line. The kernel acknowledges with
//! [`InterruptController::ack_pending`].
//!
//! Invariants: a pending bit is set before the kick, so a CPU that looks for
//! work after being kicked always finds it; a line is routed to exactly one
//! online CPU at a time.

use parking_lot::RwLock;
use std::sync::atomic::{AtomicU32, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

/// Number of device interrupt lines.
pub const NR_IRQ_LINES: usize = 64;

/// System vectors delivered by the local APIC.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Vector {
    /// Per-CPU timer ("LOC: Local timer interrupts").
    LocalTimer = 0,
    /// Reschedule IPI ("RES: Rescheduling interrupts").
    Reschedule = 1,
    /// Function-call IPI ("CAL: Function call interrupts").
    CallFunction = 2,
}

impl Vector {
    pub const ALL: [Vector; 3] = [Vector::LocalTimer, Vector::Reschedule, Vector::CallFunction];
    #[inline]
    pub fn bit(self) -> u32 {
        1 << (self as u32)
    }
}

/// How the machine tells a CPU that it has a pending interrupt.
pub trait CpuKick: Send + Sync {
    fn kick(&self, cpu: usize);
}

struct LocalApic {
    lines: AtomicU64,
    vectors: AtomicU32,
}

pub struct InterruptController {
    apics: Box<[LocalApic]>,
    routes: Box<[AtomicUsize]>,
    kick: RwLock<Option<Arc<dyn CpuKick>>>,
}

/// What a CPU acknowledged in one go.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pending {
    pub lines: u64,
    pub vectors: u32,
}

impl InterruptController {
    pub fn new(nr_cpus: usize) -> Self {
        assert!(nr_cpus > 0);
        InterruptController {
            apics: (0..nr_cpus)
                .map(|_| LocalApic {
                    lines: AtomicU64::new(0),
                    vectors: AtomicU32::new(0),
                })
                .collect(),
            routes: (0..NR_IRQ_LINES).map(|_| AtomicUsize::new(0)).collect(),
            kick: RwLock::new(None),
        }
    }

    pub fn nr_cpus(&self) -> usize {
        self.apics.len()
    }

    /// Install the kernel's way of waking a CPU.
    pub fn set_kick(&self, kick: Arc<dyn CpuKick>) {
        *self.kick.write() = Some(kick);
    }

    /// Drop the kernel's kick hook (at power-off; breaks the Arc cycle).
    pub fn clear_kick(&self) {
        *self.kick.write() = None;
    }

    fn kick_cpu(&self, cpu: usize) {
        if let Some(k) = self.kick.read().as_ref() {
            k.kick(cpu);
        }
    }

    /// Route `line` to `cpu` (the I/O APIC redirection entry).
    pub fn set_route(&self, line: usize, cpu: usize) {
        assert!(line < NR_IRQ_LINES && cpu < self.nr_cpus());
        self.routes[line].store(cpu, Ordering::Release);
    }

    pub fn route(&self, line: usize) -> usize {
        self.routes[line].load(Ordering::Acquire)
    }

    /// A device asserts `line` (edge).
    pub fn raise(&self, line: usize) {
        assert!(line < NR_IRQ_LINES, "no such interrupt line {line}");
        let cpu = self.route(line);
        self.apics[cpu].lines.fetch_or(1 << line, Ordering::AcqRel);
        self.kick_cpu(cpu);
    }

    /// Deliver a system vector (timer or IPI) to `cpu`.
    pub fn send_vector(&self, cpu: usize, v: Vector) {
        self.apics[cpu].vectors.fetch_or(v.bit(), Ordering::AcqRel);
        self.kick_cpu(cpu);
    }

    /// Is anything pending on `cpu`? One relaxed load per word: this is on
    /// every interrupt point of the kernel.
    #[inline]
    pub fn has_pending(&self, cpu: usize) -> bool {
        let a = &self.apics[cpu];
        a.lines.load(Ordering::Relaxed) != 0 || a.vectors.load(Ordering::Relaxed) != 0
    }

    /// Acknowledge (take) everything pending on `cpu`.
    pub fn ack_pending(&self, cpu: usize) -> Pending {
        let a = &self.apics[cpu];
        Pending {
            vectors: a.vectors.swap(0, Ordering::AcqRel),
            lines: a.lines.swap(0, Ordering::AcqRel),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    struct Log(Mutex<Vec<usize>>);
    impl CpuKick for Log {
        fn kick(&self, cpu: usize) {
            self.0.lock().unwrap().push(cpu);
        }
    }

    #[test]
    fn lines_follow_routes_and_coalesce() {
        let ic = InterruptController::new(2);
        let log = Arc::new(Log(Mutex::new(vec![])));
        ic.set_kick(log.clone());
        ic.set_route(5, 1);
        ic.raise(5);
        ic.raise(5);
        ic.send_vector(0, Vector::Reschedule);
        assert!(ic.has_pending(1) && ic.has_pending(0));
        assert_eq!(*log.0.lock().unwrap(), vec![1, 1, 0]);
        assert_eq!(
            ic.ack_pending(1),
            Pending {
                lines: 1 << 5,
                vectors: 0
            }
        );
        assert!(!ic.has_pending(1));
        assert_eq!(ic.ack_pending(0).vectors, Vector::Reschedule.bit());
    }
}
