//! The mm boot self-test: exercises the running kernel's allocator from
//! init (task context) and checks its invariants and /proc views.
//!
//! Leaves behind only what a booted Linux also keeps: the kmalloc caches'
//! partial slabs (visible in /sys/kernel/debug/page_owner with
//! `page_owner=on`).

use super::migrate::{MigrateError, MovableOps};
use super::*;
use crate::kernel;
use parking_lot::Mutex as PMutex;
use std::sync::Arc;

struct Pages(PMutex<Vec<usize>>);

impl MovableOps for Pages {
    fn migrate_page(&self, old: usize, new: usize) -> Result<(), MigrateError> {
        let mut v = self.0.lock();
        let slot = v
            .iter_mut()
            .find(|p| **p == old)
            .ok_or(MigrateError::Gone)?;
        *slot = new;
        Ok(())
    }
}

/// Allocates and frees across orders and types, runs compaction over a
/// checkerboard of movable pages, and checks that the allocator's counts,
/// /proc/buddyinfo and /proc/vmstat agree.
pub fn mm_selftest() -> Result<(), String> {
    let k = kernel();
    let mm = &k.mm;
    mm.drain_all_pages();
    let before = mm.nr_free_pages();
    let mut live = Vec::new();
    for (i, gfp) in [
        GFP_KERNEL,
        GFP_HIGHUSER_MOVABLE,
        GFP_KERNEL | __GFP_RECLAIMABLE,
        GFP_ATOMIC,
    ]
    .iter()
    .cycle()
    .take(400)
    .enumerate()
    {
        let order = [0, 0, 1, 2, 3, 0, 5][i % 7];
        let p = mm
            .alloc_pages(*gfp | __GFP_NOWARN, order)
            .ok_or(format!("order-{order} allocation failed"))?;
        live.push((p, order));
    }
    let objs: Vec<u64> = (1..200usize)
        .map(|i| mm.kmalloc(i * 16, GFP_KERNEL).ok_or("kmalloc failed"))
        .collect::<Result<_, _>>()?;
    for o in objs {
        mm.kfree(o);
    }
    for (p, o) in live {
        mm.__free_pages(p, o);
    }
    // compaction: a checkerboard of movable pages, then compact
    let owner = Arc::new(Pages(PMutex::new(Vec::new())));
    let id = mm.movable.register(owner.clone());
    let mut all = Vec::new();
    for _ in 0..4096 {
        let p = mm
            .alloc_pages(GFP_HIGHUSER_MOVABLE | __GFP_NOWARN, 0)
            .ok_or("movable allocation failed")?;
        mm.set_page_movable(p, id);
        all.push(p);
    }
    for (i, p) in all.into_iter().enumerate() {
        if i % 2 == 0 {
            owner.0.lock().push(p);
        } else {
            mm.clear_page_movable(p);
            mm.put_page(p);
        }
    }
    mm.compact_memory();
    for p in std::mem::take(&mut *owner.0.lock()) {
        mm.clear_page_movable(p);
        mm.put_page(p);
    }
    mm.drain_all_pages();
    let counts = mm.verify()?;
    let slab_pages: usize = mm
        .slabinfo()
        .lines()
        .skip(2)
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            Some(f.get(13)?.parse::<usize>().ok()? * f.get(5)?.parse::<usize>().ok()?)
        })
        .sum();
    if counts.buddy_pages as u64 + slab_pages as u64 != before {
        return Err(format!(
            "free pages {} + slab pages {slab_pages} != {before} before the test",
            counts.buddy_pages
        ));
    }
    let vmstat = k
        .procfs
        .read("vmstat")
        .map_err(|e| e.message().to_string())?;
    let nr_free = vmstat
        .lines()
        .find_map(|l| l.strip_prefix("nr_free_pages "))
        .and_then(|v| v.parse::<u64>().ok());
    if nr_free != Some(mm.nr_free_pages()) {
        return Err(format!(
            "/proc/vmstat nr_free_pages {nr_free:?} != {}",
            mm.nr_free_pages()
        ));
    }
    Ok(())
}
