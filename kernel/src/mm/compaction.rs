//! Memory compaction: Linux's mm/compaction.c — the "active freeing" the
//! seed article says Mel Gorman's 2005 patch did not yet have.
//!
//! Mechanism: two scanners walk a zone towards each other, pageblock by
//! pageblock. The *migrate scanner* starts at the bottom and isolates
//! movable pages (`isolate_migratepages_block`); the *free scanner* starts
//! at the top and isolates free pages in movable pageblocks
//! (`isolate_freepages_block`, never breaking up blocks of pageblock order
//! or more, `suitable_migration_target`). Each isolated page is migrated
//! into a free page (migrate.rs), so movable pages pile up at the top of the
//! zone and free blocks coalesce at the bottom. A direct compaction stops as
//! soon as a block of the requested order is free (`compact_finished`);
//! `/proc/sys/vm/compact_memory` runs until the scanners meet. For an
//! order > 0 request an order-aligned block holding a page that cannot be
//! isolated is skipped at once (`skip_on_failure`): emptying the rest of it
//! would only waste free pages.
//!
//! Tracepoints (include/trace/events/compaction.h): `mm_compaction_begin`/
//! `end` around a zone's compaction, `mm_compaction_isolate_migratepages`
//! per migrate-scanner pass, `mm_compaction_isolate_freepages` per
//! free-scanner pageblock, `mm_compaction_migratepages` per migration batch.
//!
//! Not modelled: deferred compaction, kcompactd, pageblock skip hints,
//! async/sync-light distinctions beyond `skip_on_failure`.
//!
//! Invariants: isolated free pages are off the buddy lists and counted out
//! of `nr_free_pages` until migrated into or released; every isolated
//! movable page is either migrated or put back before `compact_zone`
//! returns; one compaction runs at a time (`compact_lock`).

use super::gfp::{gfp_migratetype, Gfp};
use super::mmzone::{MigrateType, Zone, MAX_ORDER, WMARK_LOW, WMARK_MIN};
use super::page::{PageFlag, Pfn};
use super::vmstat::VmEvent;
use super::Mm;
use crate::trace::{events as ev, trace};
use std::sync::atomic::Ordering;

/// `COMPACT_CLUSTER_MAX`.
const COMPACT_CLUSTER_MAX: usize = 32;

/// `enum compact_result` (the cases usk produces).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CompactResult {
    /// `COMPACT_SKIPPED`: not enough free memory to compact with.
    Skipped,
    /// `COMPACT_COMPLETE`: the scanners met.
    Complete,
    /// `COMPACT_SUCCESS`: a suitable free block exists now.
    Success,
}

impl CompactResult {
    /// The `enum compact_result` value (`mm_compaction_end`'s status).
    fn status(self) -> i32 {
        match self {
            CompactResult::Skipped => 1,
            CompactResult::Complete => 5,
            CompactResult::Success => 8,
        }
    }
}

/// `struct compact_control`.
struct CompactControl {
    /// −1: compact the whole zone (`compact_memory`).
    order: i32,
    migratetype: MigrateType,
    migrate_pfn: Pfn,
    free_pfn: Pfn,
    migratepages: Vec<Pfn>,
    freepages: Vec<Pfn>,
    highest_zoneidx: usize,
}

impl Mm {
    /// `compaction_suitable()`: is there room to migrate into?
    fn compaction_suitable(&self, z: &Zone, order: u32, highest: usize) -> bool {
        let wm = z.wmark(WMARK_LOW) + (2usize << order);
        self.zone_watermark_ok(z, 0, wm, highest, 0)
    }

    /// `compact_zone_order()`: direct compaction for one zone.
    pub(crate) fn compact_zone_order(
        &self,
        z: &Zone,
        order: u32,
        gfp: Gfp,
        highest: usize,
    ) -> CompactResult {
        let mt = self.alloc_migratetype(gfp);
        let _ = gfp_migratetype;
        self.compact_zone(z, order as i32, mt, highest)
    }

    /// `/proc/sys/vm/compact_memory`: compact every zone completely.
    pub fn compact_memory(&self) {
        for n in &self.nodes {
            for z in n.zones.iter().filter(|z| z.populated()) {
                self.compact_zone(z, -1, MigrateType::Movable, 0);
            }
        }
    }

    fn compact_zone(&self, z: &Zone, order: i32, mt: MigrateType, highest: usize) -> CompactResult {
        let _serialize = self.compact_lock.lock();
        if order > 0 && !self.compaction_suitable(z, order as u32, highest) {
            return CompactResult::Skipped;
        }
        let pb = 1usize << self.pageblock_order;
        let mut cc = CompactControl {
            order,
            migratetype: mt,
            migrate_pfn: z.zone_start_pfn,
            free_pfn: (z.zone_end_pfn() - 1) & !(pb - 1),
            migratepages: Vec::new(),
            freepages: Vec::new(),
            highest_zoneidx: highest,
        };
        self.drain_zone_pages(z);
        // compact_memory is MIGRATE_SYNC in Linux; a direct compaction's
        // first (and here only) pass is async
        let sync = order < 0;
        let zone_end = z.zone_end_pfn();
        trace(&ev::MM_COMPACTION_BEGIN, |w| {
            w.u64(8, z.zone_start_pfn as u64)
                .u64(16, cc.migrate_pfn as u64)
                .u64(24, cc.free_pfn as u64)
                .u64(32, zone_end as u64)
                .bool(40, sync);
        });
        let result = loop {
            if let Some(r) = self.compact_finished(z, &cc) {
                break r;
            }
            self.isolate_migratepages(z, &mut cc);
            if !cc.migratepages.is_empty() {
                self.migrate_pages(z, &mut cc);
                // freed source pages sit on per-CPU lists: let them merge
                self.drain_zone_pages(z);
            }
        };
        // putback_movable_pages() and release_freepages()
        for pfn in std::mem::take(&mut cc.migratepages) {
            self.putback_movable_page(pfn);
        }
        self.release_freepages(z, &mut cc);
        self.drain_zone_pages(z);
        trace(&ev::MM_COMPACTION_END, |w| {
            w.u64(8, z.zone_start_pfn as u64)
                .u64(16, cc.migrate_pfn as u64)
                .u64(24, cc.free_pfn as u64)
                .u64(32, zone_end as u64)
                .bool(40, sync)
                .i32(44, result.status());
        });
        result
    }

    /// `__compact_finished()`.
    fn compact_finished(&self, z: &Zone, cc: &CompactControl) -> Option<CompactResult> {
        if cc.free_pfn <= cc.migrate_pfn || cc.migrate_pfn >= z.zone_end_pfn() {
            return Some(CompactResult::Complete);
        }
        if cc.order < 0 {
            return None;
        }
        let pb = 1usize << self.pageblock_order;
        // finish the pageblock we are in first
        if cc.migrate_pfn & (pb - 1) != 0 {
            return None;
        }
        let order = cc.order as u32;
        if !self.zone_watermark_ok(z, order, z.wmark(WMARK_MIN), cc.highest_zoneidx, 0) {
            return None;
        }
        let fa = z.lock.lock();
        for o in order as usize..MAX_ORDER {
            let area = &fa.free_area[o];
            if !area.free_list[cc.migratetype as usize].is_empty() {
                return Some(CompactResult::Success);
            }
            // an allocation that would steal a whole block is fine too
            if area.nr_free > 0
                && (o as u32 >= self.pageblock_order || cc.migratetype == MigrateType::Movable)
            {
                return Some(CompactResult::Success);
            }
            if o == MAX_ORDER - 1 && !fa.global.is_empty() {
                return Some(CompactResult::Success);
            }
        }
        None
    }

    /// `isolate_migratepages()`: scan one pageblock from `migrate_pfn`.
    fn isolate_migratepages(&self, z: &Zone, cc: &mut CompactControl) {
        let pb = 1usize << self.pageblock_order;
        let start = cc.migrate_pfn;
        let end = ((start & !(pb - 1)) + pb)
            .min(z.zone_end_pfn())
            .min(cc.free_pfn);
        let skip_on_failure = cc.order > 0;
        let chunk = if cc.order > 0 { 1usize << cc.order } else { pb };
        let mut pfn = start;
        let mut scanned = 0u64;
        let before = cc.migratepages.len();
        let mut chunk_isolated: Vec<Pfn> = Vec::new();
        let mut chunk_start = pfn & !(chunk - 1);
        while pfn < end {
            if pfn & !(chunk - 1) != chunk_start {
                cc.migratepages.append(&mut chunk_isolated);
                chunk_start = pfn & !(chunk - 1);
                if cc.migratepages.len() >= COMPACT_CLUSTER_MAX {
                    break;
                }
            }
            scanned += 1;
            let page = &self.mem_map[pfn];
            if page.test(PageFlag::Buddy) {
                let o = page.buddy_order();
                if (o as usize) < MAX_ORDER {
                    pfn += 1 << o;
                    continue;
                }
                pfn += 1;
                continue;
            }
            let refs = page.page_ref_count();
            if refs == 0 {
                // on a per-CPU list or being freed: will be free soon
                pfn += 1;
                continue;
            }
            if page.page_movable() && refs == 1 && self.isolate_movable_page(pfn) {
                chunk_isolated.push(pfn);
                pfn += 1;
                continue;
            }
            // cannot be moved
            if skip_on_failure {
                for p in chunk_isolated.drain(..) {
                    self.putback_movable_page(p);
                }
                pfn = chunk_start + chunk;
                chunk_start = pfn & !(chunk - 1);
                continue;
            }
            let head = self.compound_head(pfn);
            let o = self.compound_order(head);
            pfn = head + (1usize << o);
        }
        cc.migratepages.append(&mut chunk_isolated);
        trace(&ev::MM_COMPACTION_ISOLATE_MIGRATEPAGES, |w| {
            w.u64(8, start as u64)
                .u64(16, pfn as u64)
                .u64(24, scanned)
                .u64(32, (cc.migratepages.len() - before) as u64);
        });
        cc.migrate_pfn = pfn.max(start + 1).min(end.max(start + 1));
        if cc.migrate_pfn < end && cc.migratepages.len() < COMPACT_CLUSTER_MAX {
            cc.migrate_pfn = end;
        }
        self.events
            .count_ev(VmEvent::COMPACTMIGRATE_SCANNED, scanned);
        self.events
            .count_ev(VmEvent::COMPACTISOLATED, cc.migratepages.len() as u64);
    }

    /// `suitable_migration_target()`.
    fn suitable_migration_target(&self, z: &Zone, pfn: Pfn) -> bool {
        let p = &self.mem_map[pfn];
        if p.test(PageFlag::Buddy) && p.buddy_order() >= self.pageblock_order {
            return false;
        }
        if self.policy == super::GroupingPolicy::Vanilla {
            return true; // no block types to respect
        }
        z.get_pageblock_migratetype(pfn) == MigrateType::Movable
    }

    /// `isolate_freepages()`: walk down from `free_pfn` collecting free
    /// pages (split to order 0) until there are enough targets.
    fn isolate_freepages(&self, z: &Zone, cc: &mut CompactControl) {
        let pb = 1usize << self.pageblock_order;
        let want = cc.migratepages.len();
        let mut scanned = 0u64;
        let mut isolated = 0u64;
        while cc.freepages.len() < want && cc.free_pfn > cc.migrate_pfn {
            let block = cc.free_pfn;
            let block_end = (block + pb).min(z.zone_end_pfn());
            if block >= z.zone_start_pfn
                && self.suitable_migration_target(z, block.max(z.zone_start_pfn))
            {
                let mut fa = z.lock_zone();
                let block_start = block.max(z.zone_start_pfn);
                let (scanned0, isolated0) = (scanned, isolated);
                let mut pfn = block_start;
                while pfn < block_end {
                    scanned += 1;
                    let p = &self.mem_map[pfn];
                    if p.test(PageFlag::Buddy) {
                        let o = p.buddy_order();
                        // __isolate_free_page(): keep the min watermark
                        let wm = z.wmark(WMARK_MIN) as i64 + (1i64 << o);
                        if z.free_pages() < wm {
                            break;
                        }
                        self.isolate_free_block(&mut fa, z, pfn, o);
                        for i in 0..(1usize << o) {
                            cc.freepages.push(pfn + i);
                        }
                        isolated += 1 << o;
                        pfn += 1 << o;
                    } else {
                        pfn += 1;
                    }
                }
                drop(fa);
                // isolate_freepages_block()
                trace(&ev::MM_COMPACTION_ISOLATE_FREEPAGES, |w| {
                    w.u64(8, block_start as u64)
                        .u64(16, pfn as u64)
                        .u64(24, scanned - scanned0)
                        .u64(32, isolated - isolated0);
                });
            }
            if block < pb || block <= z.zone_start_pfn {
                cc.free_pfn = 0;
                break;
            }
            cc.free_pfn = block - pb;
        }
        self.events.count_ev(VmEvent::COMPACTFREE_SCANNED, scanned);
        self.events.count_ev(VmEvent::COMPACTISOLATED, isolated);
    }

    /// Take a free block off its list (zone lock held), leaving its pages
    /// as isolated free pages (refcount 0, no PG_buddy).
    fn isolate_free_block(
        &self,
        fa: &mut super::mmzone::FreeAreas,
        z: &Zone,
        pfn: Pfn,
        order: u32,
    ) {
        let p = &self.mem_map[pfn];
        let list = p.index.load(Ordering::Relaxed) as u8;
        fa.list(order as usize, list).remove(&self.mem_map, pfn);
        fa.free_area[order as usize].nr_free -= 1;
        if fa.free_area[order as usize].nr_free == 0 {
            fa.free_orders &= !(1 << order);
        }
        p.__clear(PageFlag::Buddy);
        p.private.store(0, Ordering::Relaxed);
        p.index.store(0, Ordering::Relaxed);
        z.mod_free_pages(-(1 << order));
    }

    /// `release_freepages()`: unused targets go back to the buddy lists.
    fn release_freepages(&self, z: &Zone, cc: &mut CompactControl) {
        if cc.freepages.is_empty() {
            return;
        }
        let mut fa = z.lock_zone();
        for pfn in cc.freepages.drain(..) {
            let mt = z.get_pageblock_migratetype(pfn);
            self.__free_one_page(&mut fa, z, pfn, 0, mt);
        }
    }

    /// `migrate_pages()` with `compaction_alloc` as the target allocator.
    fn migrate_pages(&self, z: &Zone, cc: &mut CompactControl) {
        let pages = std::mem::take(&mut cc.migratepages);
        let mut ok = 0u64;
        let mut fail = 0u64;
        for (i, &old) in pages.iter().enumerate() {
            if cc.freepages.is_empty() {
                cc.migratepages = pages[i..].to_vec();
                self.isolate_freepages(z, cc);
                cc.migratepages.clear();
                if cc.freepages.is_empty() {
                    for &p in &pages[i..] {
                        self.putback_movable_page(p);
                    }
                    // nowhere to migrate to: the scanners have met
                    cc.free_pfn = cc.migrate_pfn;
                    break;
                }
            }
            let Some(new) = cc.freepages.pop() else { break };
            match self.migrate_one(old, new) {
                Ok(()) => ok += 1,
                Err(super::migrate::MigrateError::Gone) => cc.freepages.push(new),
                Err(_) => {
                    fail += 1;
                    cc.freepages.push(new);
                }
            }
        }
        trace(&ev::MM_COMPACTION_MIGRATEPAGES, |w| {
            w.u64(8, ok).u64(16, pages.len() as u64 - ok);
        });
        self.events.count_ev(VmEvent::PGMIGRATE_SUCCESS, ok);
        self.events.count_ev(VmEvent::PGMIGRATE_FAIL, fail);
    }
}
