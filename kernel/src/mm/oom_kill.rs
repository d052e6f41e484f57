//! The OOM killer (mm/oom_kill.c): when a user page fault cannot get a
//! page, pick the process whose death frees the most memory — badness is
//! its RSS plus page tables, as `oom_badness()` counts it — and kill it
//! with SIGKILL, logging Linux's lines.
//!
//! A memory cgroup at its limit gets the same treatment inside the group
//! (`mem_cgroup_out_of_memory`, "Memory cgroup out of memory: Killed
//! process …").
//!
//! Invariants: init (pid 1) and kernel threads are never chosen; while a
//! victim is still exiting no second victim is chosen (the
//! `oom_victims` wait of Linux): callers back off for a tick and retry.

use crate::kernel::sched::task::{Pid, Task};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// `oom_badness()`: pages freed by killing `t`.
pub fn oom_badness(t: &Task) -> Option<u64> {
    let p = t.process()?;
    if t.pid == 1 || p.exit_state() != 0 || p.signal.group_exiting() {
        return None;
    }
    let mm = p.mm()?;
    Some(mm.rss_pages() + mm.pgtables_bytes() / crate::mm::PAGE_SIZE as u64)
}

fn victim_alive(pid: Pid) -> bool {
    crate::kernel()
        .find_task(pid)
        .is_some_and(|t| t.process().is_some_and(|p| p.exit_state() == 0))
}

/// `out_of_memory()`: kill the worst process unless one is already dying.
/// Returns whether a process was killed or is dying (so a retry may
/// succeed).
pub fn out_of_memory() -> bool {
    let me = crate::current();
    crate::pr_warn!(
        "{} invoked oom-killer: gfp_mask=0x140dca(GFP_HIGHUSER_MOVABLE|__GFP_COMP|__GFP_ZERO), order=0, oom_score_adj=0",
        me.comm()
    );
    oom_kill(None)
}

/// `mem_cgroup_out_of_memory()`: the faulting task's group is at its
/// limit; kill the worst process of that group.
pub fn mem_cgroup_out_of_memory(cg: &Arc<crate::kernel::cgroup::MemCgroup>) -> bool {
    let me = crate::current();
    crate::pr_warn!(
        "{} invoked oom-killer: gfp_mask=0xcc0(GFP_KERNEL), order=0, oom_score_adj=0",
        me.comm()
    );
    crate::pr_info!(
        "memory: usage {}kB, limit {}kB, failcnt {}",
        cg.res.usage_exact() / 1024,
        cg.res.limit() / 1024,
        cg.res.failcnt()
    );
    oom_kill(Some(cg))
}

/// Choose and kill: among all processes, or those charging to `memcg`.
fn oom_kill(memcg: Option<&Arc<crate::kernel::cgroup::MemCgroup>>) -> bool {
    let k = crate::kernel();
    let prev = k.oom_victim.load(Ordering::Acquire);
    if prev != 0 && victim_alive(prev) {
        crate::kernel::sched::core::schedule_timeout_uninterruptible(1);
        return true;
    }
    let me = crate::current();
    let in_scope = |t: &Task| match memcg {
        None => true,
        Some(cg) => t
            .process()
            .and_then(|p| p.mm())
            .and_then(|mm| mm.memcg())
            .is_some_and(|g| Arc::ptr_eq(&g, cg)),
    };
    let candidates: Vec<Arc<Task>> = k
        .tasks
        .read()
        .values()
        .filter(|t| t.pid == t.tgid)
        .cloned()
        .collect();
    let victim = candidates
        .iter()
        .filter(|t| in_scope(t))
        .filter_map(|t| oom_badness(t).map(|b| (b, t)))
        .max_by_key(|(b, t)| (*b, t.pid));
    let Some((_, victim)) = victim else {
        if memcg.is_some() {
            return false;
        }
        crate::kernel::panic::panic("Out of memory and no killable processes...");
    };
    let p = victim.process().expect("victim is a process");
    let (total_vm, rss, pgtables) = p.mm().map_or((0, 0, 0), |mm| {
        (
            mm.total_vm_pages() * 4,
            mm.rss_pages() * 4,
            mm.pgtables_bytes() >> 10,
        )
    });
    crate::pr_err!(
        "{}: Killed process {} ({}) total-vm:{}kB, anon-rss:{}kB, file-rss:0kB, shmem-rss:0kB, UID:{} pgtables:{}kB oom_score_adj:0",
        if memcg.is_some() { "Memory cgroup out of memory" } else { "Out of memory" },
        victim.pid,
        victim.comm(),
        total_vm,
        rss,
        p.cred().uid,
        pgtables
    );
    k.oom_victim.store(victim.pid, Ordering::Release);
    let _ = crate::kernel::signal::send_signal(victim, uapi::signal::SIGKILL, true);
    if !Arc::ptr_eq(victim, &me) {
        crate::kernel::sched::core::schedule_timeout_uninterruptible(1);
    }
    true
}
