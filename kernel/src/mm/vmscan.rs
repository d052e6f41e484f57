//! kswapd and kcompactd: background reclaim and compaction per node, Linux's
//! mm/vmscan.c (`kswapd`, `wakeup_kswapd`, `balance_pgdat`) and
//! mm/compaction.c (`kcompactd`).
//!
//! Mechanism: one `kswapdN` kernel thread per node sleeps on the node's
//! `kswapd_wait` queue. An allocation that finds a zone below its *low*
//! watermark (and may wake kswapd, `__GFP_KSWAPD_RECLAIM`) records the order
//! it wanted and wakes the thread; kswapd then reclaims (there is no page
//! cache LRU yet, so reclaim is `shrink_slab`: registered shrinkers and
//! empty slabs) until every populated zone of the node is above its *high*
//! watermark, and for a high-order request hands the node to kcompactd's
//! work (`compact_zone` to that order). This is what makes the three
//! watermarks mean what they mean in Linux: min = the floor for normal
//! allocations, low = wake kswapd, high = kswapd may sleep again.
//!
//! The threads exist only on a booted kernel (`kswapd_run` from init);
//! an `Mm` driven from plain host threads (tests, `usk exp`) reclaims
//! directly in the allocation slow path instead.
//!
//! Invariants: a wake-up is never lost (the pending flag is set before the
//! wake, and checked by the wait condition); `kswapd_stop` stops and joins
//! every thread before power-off.

use super::mmzone::WMARK_HIGH;
use super::vmstat::VM_EVENT_NAMES;
use super::Mm;
use crate::kernel::kthread::{kthread_run, kthread_should_stop, kthread_stop};
use crate::kernel::sched::task::Task;
use crate::kernel::sched::wait::{wait_event_interruptible, WaitQueueHead};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

/// Per-node kswapd state (`pgdat->kswapd*`).
pub struct KswapdNode {
    wait: WaitQueueHead,
    pending: AtomicBool,
    order: AtomicU32,
    task: parking_lot::Mutex<Option<Arc<Task>>>,
}

/// All nodes' kswapd state; set once by [`kswapd_run`].
#[derive(Default)]
pub struct Kswapd {
    nodes: OnceLock<Vec<KswapdNode>>,
}

/// `SWAP_CLUSTER_MAX`.
const SWAP_CLUSTER_MAX: usize = 32;
/// `MAX_RECLAIM_RETRIES`.
const MAX_RECLAIM_RETRIES: usize = 16;

fn event(mm: &Mm, name: &str) {
    if let Some(i) = VM_EVENT_NAMES.iter().position(|n| *n == name) {
        mm.events.count(i, 1);
    }
}

impl Mm {
    /// `pgdat_balanced()`: every populated zone of `nid` is above its high
    /// watermark for `order`.
    fn pgdat_balanced(&self, nid: usize, order: u32) -> bool {
        self.nodes[nid]
            .zones
            .iter()
            .filter(|z| z.populated())
            .all(|z| self.zone_watermark_ok(z, order, z.wmark(WMARK_HIGH), 0, 0))
    }

    /// `wakeup_kswapd()`: called from the allocation slow path.
    pub(crate) fn wakeup_kswapd(&self, nid: usize, order: u32) {
        let Some(nodes) = self.kswapd.nodes.get() else {
            return;
        };
        let Some(n) = nodes.get(nid) else { return };
        n.order.fetch_max(order, Ordering::Relaxed);
        if self.pgdat_balanced(nid, order) {
            return;
        }
        n.pending.store(true, Ordering::Release);
        n.wait.wake_up_interruptible();
    }

    /// `set_reclaim_active()`/`clear_reclaim_active()`: while kswapd
    /// reclaims, the node's per-CPU lists are kept short.
    fn set_reclaim_active(&self, nid: usize, on: bool) {
        for z in self.nodes[nid].zones.iter().filter(|z| z.populated()) {
            z.reclaim_active.store(on, Ordering::Relaxed);
        }
    }

    /// `balance_pgdat()`: reclaim until the node is balanced for `order`,
    /// then compact for it (kcompactd's work).
    fn balance_pgdat(&self, nid: usize, order: u32) {
        event(self, "pageoutrun");
        self.set_reclaim_active(nid, true);
        if self.pgdat_balanced(nid, 0) {
            event(self, "kswapd_low_wmark_hit_quickly");
        }
        // reclaim in SWAP_CLUSTER_MAX batches until balanced; give up after
        // MAX_RECLAIM_RETRIES batches that freed nothing
        let mut failures = 0;
        let mut rounds = 0usize;
        while !self.pgdat_balanced(nid, 0) && failures < MAX_RECLAIM_RETRIES && rounds < 1 << 16 {
            let freed = self.shrink_slab(SWAP_CLUSTER_MAX);
            self.drain_all_pages();
            if freed == 0 {
                failures += 1;
            }
            rounds += 1;
            crate::kernel::sched::core::cond_resched();
        }
        self.set_reclaim_active(nid, false);
        if order > 0 && !self.pgdat_balanced(nid, order) && self.compaction_enabled() {
            event(self, "compact_daemon_wake");
            for z in self.nodes[nid].zones.iter().filter(|z| z.populated()) {
                let _ = self.compact_zone_order(z, order, super::GFP_KERNEL, 0);
            }
        }
    }
}

fn kswapd(nid: usize) -> i32 {
    loop {
        let k = crate::kernel();
        let Some(n) = k.mm.kswapd.nodes.get().and_then(|v| v.get(nid)) else {
            return 0;
        };
        let _ = wait_event_interruptible(&n.wait, || {
            n.pending.load(Ordering::Acquire) || kthread_should_stop()
        });
        if kthread_should_stop() {
            return 0;
        }
        n.pending.store(false, Ordering::Release);
        let order = n.order.swap(0, Ordering::Relaxed);
        k.mm.balance_pgdat(nid, order);
    }
}

/// `kswapd_run()` for every node (from init, once kthreadd runs).
pub fn kswapd_run(k: &crate::Kernel) {
    let nodes: Vec<KswapdNode> = (0..k.mm.nodes.len())
        .map(|_| KswapdNode {
            wait: WaitQueueHead::new(),
            pending: AtomicBool::new(false),
            order: AtomicU32::new(0),
            task: parking_lot::Mutex::new(None),
        })
        .collect();
    if k.mm.kswapd.nodes.set(nodes).is_err() {
        return;
    }
    if let Some(nodes) = k.mm.kswapd.nodes.get() {
        for (nid, n) in nodes.iter().enumerate() {
            let t = kthread_run(move || kswapd(nid), &format!("kswapd{nid}"));
            *n.task.lock() = Some(t);
        }
    }
}

/// `kswapd_stop()` for every node (before power-off).
pub fn kswapd_stop(k: &crate::Kernel) {
    if let Some(nodes) = k.mm.kswapd.nodes.get() {
        for n in nodes {
            if let Some(t) = n.task.lock().take() {
                kthread_stop(&t);
            }
        }
    }
}
