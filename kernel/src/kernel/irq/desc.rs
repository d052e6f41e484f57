//! `struct irq_desc` and `struct irqaction`, and the flow handler.
//!
//! Each line has a descriptor with its chain of actions (several when the
//! line is `IRQF_SHARED`), a disable depth, per-CPU delivery counts and the
//! spurious-interrupt statistics. The flow is `handle_edge_irq`: an
//! interrupt arriving while the line is disabled, has no handler, or is
//! already being handled is marked `IRQS_PENDING` and replayed when the line
//! is enabled again, so no edge is lost.

use super::spurious::note_interrupt;
use crate::init::kernel::Kernel;
use crate::kernel::locking::SpinLock;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

/// A handler's verdict.
pub type IrqReturn = u32;
pub const IRQ_NONE: IrqReturn = 0;
pub const IRQ_HANDLED: IrqReturn = 1;

pub const IRQF_SHARED: u32 = 0x0000_0080;

pub type IrqHandler = dyn Fn(usize) -> IrqReturn + Send + Sync;

pub struct IrqAction {
    pub name: String,
    pub flags: u32,
    /// Cookie identifying the device for `free_irq` on a shared line.
    pub dev_id: usize,
    pub(crate) handler: Box<IrqHandler>,
}

pub(crate) struct DescInner {
    pub actions: Vec<Arc<IrqAction>>,
}

pub struct IrqDesc {
    pub irq: usize,
    pub(crate) inner: SpinLock<DescInner>,
    /// Per-CPU delivered interrupts (`kstat_irqs`).
    pub kstat_irqs: Box<[AtomicU64]>,
    /// Nested `disable_irq` depth; the line is off while > 0.
    pub depth: AtomicU32,
    /// `IRQS_PENDING`: an edge arrived while it could not be handled.
    pub pending: AtomicBool,
    /// `IRQD_IRQ_INPROGRESS`.
    pub in_progress: AtomicBool,
    /// Disabled by the spurious detector (`IRQS_SPURIOUS_DISABLED`).
    pub spurious_disabled: AtomicBool,
    pub irq_count: AtomicU32,
    pub irqs_unhandled: AtomicU32,
    pub last_unhandled: AtomicU64,
}

pub struct IrqDescs {
    pub descs: Box<[IrqDesc]>,
    pub cpu_stat: crate::kernel::percpu::PerCpu<super::IrqCpuStat>,
    /// `irq_err_count`: interrupts on lines nobody requested ("ERR").
    pub err_count: AtomicU64,
}

impl IrqDescs {
    pub fn new(nr_irqs: usize, nr_cpus: usize) -> Self {
        IrqDescs {
            descs: (0..nr_irqs)
                .map(|irq| IrqDesc {
                    irq,
                    inner: SpinLock::new(DescInner { actions: vec![] }),
                    kstat_irqs: (0..nr_cpus).map(|_| AtomicU64::new(0)).collect(),
                    depth: AtomicU32::new(1),
                    pending: AtomicBool::new(false),
                    in_progress: AtomicBool::new(false),
                    spurious_disabled: AtomicBool::new(false),
                    irq_count: AtomicU32::new(0),
                    irqs_unhandled: AtomicU32::new(0),
                    last_unhandled: AtomicU64::new(0),
                })
                .collect(),
            cpu_stat: crate::kernel::percpu::PerCpu::new(nr_cpus, |_| Default::default()),
            err_count: AtomicU64::new(0),
        }
    }

    pub fn desc(&self, irq: usize) -> Option<&IrqDesc> {
        self.descs.get(irq)
    }

    pub fn nr_irqs(&self) -> usize {
        self.descs.len()
    }
}

impl IrqDesc {
    pub fn total(&self) -> u64 {
        self.kstat_irqs
            .iter()
            .map(|c| c.load(Ordering::Relaxed))
            .sum()
    }

    pub fn action_names(&self) -> Vec<String> {
        self.inner
            .lock_irqsave()
            .actions
            .iter()
            .map(|a| a.name.clone())
            .collect()
    }
}

/// `handle_edge_irq` + `handle_irq_event`, in hardirq context on `cpu`.
pub(crate) fn handle_irq(k: &Kernel, irq: usize, cpu: usize) {
    let Some(desc) = k.irq.desc(irq) else { return };
    let actions = {
        let g = desc.inner.lock();
        if desc.depth.load(Ordering::Acquire) > 0 || g.actions.is_empty() {
            if g.actions.is_empty() && desc.depth.load(Ordering::Acquire) == 0 {
                k.irq.err_count.fetch_add(1, Ordering::Relaxed);
            }
            desc.pending.store(true, Ordering::Release);
            return;
        }
        if desc.in_progress.swap(true, Ordering::AcqRel) {
            desc.pending.store(true, Ordering::Release);
            return;
        }
        g.actions.clone()
    };
    loop {
        desc.kstat_irqs[cpu].fetch_add(1, Ordering::Relaxed);
        let mut ret = IRQ_NONE;
        for a in &actions {
            crate::trace::trace(&crate::trace::events::IRQ_HANDLER_ENTRY, |w| {
                w.i32(8, irq as i32).str(12, 32, &a.name);
            });
            let r = (a.handler)(irq);
            crate::trace::trace(&crate::trace::events::IRQ_HANDLER_EXIT, |w| {
                w.i32(8, irq as i32).i32(12, r as i32);
            });
            ret |= r;
        }
        note_interrupt(k, desc, ret, &actions);
        // An edge that came in while we ran (on another CPU's ack) is
        // handled now rather than lost.
        if desc.depth.load(Ordering::Acquire) == 0 && desc.pending.swap(false, Ordering::AcqRel) {
            continue;
        }
        desc.in_progress.store(false, Ordering::Release);
        return;
    }
}
