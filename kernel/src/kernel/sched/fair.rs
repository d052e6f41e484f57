//! The fair scheduling class: a compact CFS.
//!
//! Each runqueue keeps its runnable tasks (except the one running) ordered
//! by virtual runtime; the leftmost runs next. Virtual runtime advances by
//! `delta_exec * NICE_0_LOAD / weight`, with Linux's nice-to-weight table, so
//! a nice-0 task gets 1.25x the CPU of a nice-1 task. A task that ran longer
//! than its slice of the scheduling period is preempted at the next tick; a
//! woken task preempts the current one if its vruntime is more than the
//! wake-up granularity smaller. Sleepers are placed at most half a latency
//! period behind `min_vruntime`; new tasks start one slice after it
//! (`START_DEBIT`). Constants follow Linux's defaults, scaled by
//! `1 + ilog2(ncpus)` as `sysctl_sched_latency` is.

use super::task::{Task, NICE_0_LOAD};
use std::collections::BTreeMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;

pub const SCHED_LATENCY_NS: u64 = 6_000_000;
pub const SCHED_MIN_GRANULARITY_NS: u64 = 750_000;
pub const SCHED_WAKEUP_GRANULARITY_NS: u64 = 1_000_000;

/// Tunables after CPU-count scaling (`sched_init_granularity`).
#[derive(Clone, Copy, Debug)]
pub struct FairTunables {
    pub latency: u64,
    pub min_granularity: u64,
    pub wakeup_granularity: u64,
}

impl FairTunables {
    pub fn for_cpus(n: usize) -> Self {
        let factor = 1 + (n.min(8) as u64).ilog2() as u64;
        FairTunables {
            latency: SCHED_LATENCY_NS * factor,
            min_granularity: SCHED_MIN_GRANULARITY_NS * factor,
            wakeup_granularity: SCHED_WAKEUP_GRANULARITY_NS * factor,
        }
    }
}

/// The ordered set of queued tasks of one runqueue (the rbtree).
#[derive(Default)]
pub struct FairQueue {
    tree: BTreeMap<(u64, u64), Arc<Task>>,
    seq: u64,
    pub min_vruntime: u64,
    pub load: u64,
}

impl FairQueue {
    pub fn len(&self) -> usize {
        self.tree.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tree.is_empty()
    }

    pub fn enqueue(&mut self, p: Arc<Task>) {
        let key = (p.se.vruntime.load(Ordering::Relaxed), self.seq);
        self.seq += 1;
        p.se.queued_key.store(key.1 + 1, Ordering::Relaxed);
        p.se.queued_vruntime.store(key.0, Ordering::Relaxed);
        self.load += p.weight();
        self.tree.insert(key, p);
    }

    /// Remove `p` if it is queued here.
    pub fn dequeue(&mut self, p: &Task) -> Option<Arc<Task>> {
        let seq = p.se.queued_key.swap(0, Ordering::Relaxed);
        if seq == 0 {
            return None;
        }
        let key = (p.se.queued_vruntime.load(Ordering::Relaxed), seq - 1);
        let t = self.tree.remove(&key);
        if let Some(t) = &t {
            self.load -= t.weight();
        }
        t
    }

    /// Take the leftmost task.
    pub fn pick_first(&mut self) -> Option<Arc<Task>> {
        let (_, p) = self.tree.pop_first()?;
        p.se.queued_key.store(0, Ordering::Relaxed);
        self.load -= p.weight();
        Some(p)
    }

    pub fn first_vruntime(&self) -> Option<u64> {
        self.tree.keys().next().map(|k| k.0)
    }

    pub fn last_vruntime(&self) -> Option<u64> {
        self.tree.keys().next_back().map(|k| k.0)
    }

    /// The first queued task allowed to run on `cpu` (for pulling).
    pub fn steal_for(&mut self, cpu: usize) -> Option<Arc<Task>> {
        let key = self
            .tree
            .iter()
            .find(|(_, p)| p.cpus_allowed() & (1 << cpu) != 0)
            .map(|(k, _)| *k)?;
        let p = self.tree.remove(&key)?;
        p.se.queued_key.store(0, Ordering::Relaxed);
        self.load -= p.weight();
        Some(p)
    }

    pub fn tasks(&self) -> impl Iterator<Item = &Arc<Task>> {
        self.tree.values()
    }

    /// Advance `min_vruntime` (never backwards) given the running task's.
    pub fn update_min_vruntime(&mut self, curr_vruntime: Option<u64>) {
        let cand = match (curr_vruntime, self.first_vruntime()) {
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => return,
        };
        self.min_vruntime = self.min_vruntime.max(cand);
    }
}

/// Virtual time for `delta` ns of real execution at `weight`.
#[inline]
pub fn calc_delta_fair(delta: u64, weight: u64) -> u64 {
    if weight == NICE_0_LOAD {
        delta
    } else {
        (delta as u128 * NICE_0_LOAD as u128 / weight.max(1) as u128) as u64
    }
}

/// `sched_slice()`: the share of the period a task of `weight` gets when
/// `nr` tasks of total `load` compete.
pub fn sched_slice(t: &FairTunables, nr: usize, load: u64, weight: u64) -> u64 {
    let nr = nr.max(1) as u64;
    let period = if nr > t.latency / t.min_granularity {
        nr * t.min_granularity
    } else {
        t.latency
    };
    (period as u128 * weight as u128 / load.max(1) as u128) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heavier_tasks_accumulate_vruntime_slower() {
        assert_eq!(calc_delta_fair(1000, 1024), 1000);
        assert!(calc_delta_fair(1000, 2048) < 1000);
        assert!(calc_delta_fair(1000, 15) > 60_000);
    }

    #[test]
    fn slices_split_the_period_by_weight() {
        let t = FairTunables::for_cpus(1);
        assert_eq!(sched_slice(&t, 2, 2048, 1024), t.latency / 2);
        // Many tasks stretch the period to nr * min_granularity.
        assert_eq!(sched_slice(&t, 16, 16 * 1024, 1024), t.min_granularity);
        assert_eq!(FairTunables::for_cpus(4).latency, 3 * SCHED_LATENCY_NS);
    }
}
