//! The zoned buddy allocator: Linux's mm/page_alloc.c, with grouping by
//! mobility (seed 003, "Yet another approach to memory fragmentation").
//!
//! Mechanism. Each zone keeps `free_area[0..=10]`; a free block of order n is
//! 2^n naturally aligned pages. Allocation takes the smallest block of order
//! ≥ n and splits it (`expand`), putting the unused halves back; freeing
//! merges a block with its buddy (pfn ^ 2^order) while the buddy is free and
//! of the same order (`__free_one_page`). Blocks of order 0..=3
//! (`PAGE_ALLOC_COSTLY_ORDER`) go through per-CPU lists, one per (migrate
//! type, order) as in Linux ≥ 5.13, to keep the zone lock off the fast path:
//! an empty list is refilled with `batch >> order` (at least 2) blocks under
//! one zone lock (`rmqueue_bulk`), and a free that lifts the CPU's `count`
//! (base pages) to `high` returns `batch` base pages' worth of the coldest
//! blocks to the buddy — twice as many for each further such free without
//! an allocation in between — round-robin over the lists
//! (`free_pcppages_bulk`). `high` is the zone's low watermark split over its
//! node's CPUs (Linux ≥ 5.14), so full per-CPU lists never hold back pages
//! kswapd would be woken for.
//! Watermarks (min/low/high, from `vm.min_free_kbytes`) and `lowmem_reserve`
//! decide whether a zone may be used; the slow path drains the per-CPU lists,
//! shrinks slab caches and runs direct compaction, then warns
//! ("page allocation failure: order:N, mode:0x…") unless `__GFP_NOWARN`.
//!
//! Three grouping policies, chosen at boot with `page_alloc=`:
//!
//! * `vanilla` — no grouping (`page_group_by_mobility_disabled`): every
//!   allocation and every pageblock is MIGRATE_UNMOVABLE, so one free list
//!   per order. Unmovable pins land anywhere; this is the 2005 kernel that
//!   managed 3 of 160 order-10 allocations in Mel Gorman's test.
//! * `gorman2005` — the seed's design: `free_area_global`, a list of
//!   MAX_ORDER-1 blocks, plus one `free_area` array per allocation type
//!   (movable = USERRCLM, reclaimable = KERNRCLM, unmovable). An allocation
//!   is served from its type's array; if that is empty a global block is
//!   split, the block is tagged with the type and the unused part goes to the
//!   type's array. Freed pages go to the array of their block's type and
//!   coalesce there; a block that coalesces back to MAX_ORDER-1 returns to
//!   the global list. Only when the global list is empty does an allocation
//!   steal from another type's array (largest block first) — without
//!   retagging the block, so the mix is remembered. No active freeing.
//! * `pageblock` (default) — today's Linux: memory is tagged in order-9
//!   pageblocks; per-type free lists in each `free_area`; when a type runs
//!   dry `__rmqueue_fallback` walks the `fallbacks` table from the largest
//!   order down, and `steal_suitable_fallback` claims the whole pageblock
//!   when the request is large or enough of the block is free or compatible
//!   (≥ half), else takes one page. `ALLOC_NOFRAGMENT` first tries to avoid
//!   falling back at all below pageblock order. Compaction (compaction.rs)
//!   adds the active freeing the seed says was missing.
//!
//! `pageblock` also keeps Linux's MIGRATE_HIGHATOMIC reserve: a pageblock
//! that served a non-blocking high-order allocation is set aside (up to
//! ~1 % of the zone) for later ones, and handed back before an allocation
//! fails.
//!
//! Background reclaim (kswapd, woken below the low watermark) lives in
//! vmscan.rs. Not modelled: CMA, memory hotplug, watermark boosting, LRU
//! page reclaim (there is no page cache yet: direct reclaim and kswapd call
//! the shrinkers instead).
//!
//! Invariants: every pfn of a zone is either free in exactly one buddy block
//! (head has PG_buddy), in exactly one block on a per-CPU list (which never
//! merges: "free everything" must drain them first, `drain_all_pages`),
//! allocated (refcount ≥ 1 on the head), or reserved; `nr_free_pages`
//! counts buddy pages only, a pcp's `count` its listed base pages; every
//! page of a free block has no page flags, no mapping, `_mapcount` −1 and
//! `index`/`private`/`compound_head` 0, except that a buddy head holds its
//! order and list (so `prep_new_page` only touches the head);
//! the zone lock is never taken while holding another zone's lock, and a pcp
//! lock may be held while taking the zone lock, never the reverse.

use super::gfp::*;
use super::mmzone::*;
use super::page::{PageFlag, Pfn, PAGE_FLAGS_CHECK_AT_FREE};
use super::vmstat::{CpuStats, VmEvent};
use super::Mm;
use crate::trace::{events as ev, trace};
use std::sync::atomic::Ordering;

pub const ALLOC_WMARK_MIN: u32 = WMARK_MIN as u32;
pub const ALLOC_WMARK_LOW: u32 = WMARK_LOW as u32;
pub const ALLOC_WMARK_HIGH: u32 = WMARK_HIGH as u32;
pub const ALLOC_NO_WATERMARKS: u32 = 0x04;
pub const ALLOC_WMARK_MASK: u32 = ALLOC_NO_WATERMARKS - 1;
pub const ALLOC_HARDER: u32 = 0x10;
pub const ALLOC_HIGH: u32 = 0x20;
pub const ALLOC_CPUSET: u32 = 0x40;
pub const ALLOC_NOFRAGMENT: u32 = 0x100;

/// `fallbacks[]` (mm/page_alloc.c).
const FALLBACKS: [[MigrateType; 2]; MIGRATE_PCPTYPES] = [
    [MigrateType::Reclaimable, MigrateType::Movable],
    [MigrateType::Reclaimable, MigrateType::Unmovable],
    [MigrateType::Unmovable, MigrateType::Movable],
];

/// What a successful allocation hands back: the head pfn.
pub type PageRef = Pfn;

/// `struct alloc_context`: what every attempt of one allocation shares,
/// worked out once by `prepare_alloc_pages()`.
struct AllocContext {
    /// The preferred node, whose zonelist is walked.
    nid: usize,
    /// `highest_zoneidx`: the highest zone the gfp mask allows.
    highest_zoneidx: usize,
    /// `migratetype`: the free lists the allocation takes from first.
    migratetype: MigrateType,
}

impl Mm {
    #[inline]
    pub fn page_zone(&self, pfn: Pfn) -> &Zone {
        let p = &self.mem_map[pfn];
        &self.nodes[p.page_to_nid()].zones[p.page_zonenum()]
    }

    fn group_by_mobility(&self) -> bool {
        self.policy != GroupingPolicy::Vanilla
    }

    /// The migrate type of an allocation under the current policy.
    pub fn alloc_migratetype(&self, gfp: Gfp) -> MigrateType {
        if self.group_by_mobility() {
            gfp_migratetype(gfp)
        } else {
            MigrateType::Unmovable
        }
    }

    // ---- free lists -------------------------------------------------------

    #[inline]
    fn set_buddy(&self, pfn: Pfn, order: u32, list: u8) {
        let p = &self.mem_map[pfn];
        p.private.store(order as u64, Ordering::Relaxed);
        p.index.store(list as u64, Ordering::Relaxed);
        p.__set(PageFlag::Buddy);
    }

    #[inline(always)]
    fn add_to_free_list(&self, fa: &mut FreeAreas, pfn: Pfn, order: u32, list: u8, tail: bool) {
        fa.free_orders |= 1 << order;
        self.set_buddy(pfn, order, list);
        let l = fa.list(order as usize, list);
        if tail {
            l.push_tail(&self.mem_map, pfn);
        } else {
            l.push_head(&self.mem_map, pfn);
        }
        fa.free_area[order as usize].nr_free += 1;
    }

    #[inline(always)]
    fn del_page_from_free_list(&self, fa: &mut FreeAreas, pfn: Pfn, order: u32) {
        let p = &self.mem_map[pfn];
        let list = p.index.load(Ordering::Relaxed) as u8;
        fa.list(order as usize, list).remove(&self.mem_map, pfn);
        p.__clear(PageFlag::Buddy);
        p.private.store(0, Ordering::Relaxed);
        p.index.store(0, Ordering::Relaxed);
        fa.free_area[order as usize].nr_free -= 1;
        if fa.free_area[order as usize].nr_free == 0 {
            fa.free_orders &= !(1 << order);
        }
    }

    /// `move_to_free_list()`.
    fn move_to_free_list(&self, fa: &mut FreeAreas, pfn: Pfn, order: u32, mt: MigrateType) {
        self.del_page_from_free_list(fa, pfn, order);
        self.add_to_free_list(fa, pfn, order, mt as u8, false);
    }

    /// The list a free block of `order` at `pfn` belongs on.
    fn free_list_for(&self, order: u32, mt: MigrateType) -> u8 {
        if self.policy == GroupingPolicy::Gorman2005 && order as usize == MAX_ORDER - 1 {
            GLOBAL_LIST
        } else {
            mt as u8
        }
    }

    /// `__free_one_page()`: merge with free buddies, then list the block.
    pub(crate) fn __free_one_page(
        &self,
        fa: &mut FreeAreas,
        zone: &Zone,
        mut pfn: Pfn,
        mut order: u32,
        mt: MigrateType,
    ) {
        let mut mt = mt;
        if self.policy == GroupingPolicy::Gorman2005 {
            // free pages always return to the array of their block's type
            mt = zone.get_pageblock_migratetype(pfn);
        }
        zone.mod_free_pages(1 << order);
        while (order as usize) < MAX_ORDER - 1 {
            let buddy = pfn ^ (1 << order);
            if !page_is_buddy(&self.mem_map, zone, buddy, order) {
                break;
            }
            self.del_page_from_free_list(fa, buddy, order);
            pfn &= buddy;
            order += 1;
        }
        // Heuristic from Linux: if the next-higher buddy is free, this block
        // is likely to merge soon, so put it at the tail where it is less
        // likely to be handed out.
        let mut tail = false;
        if (order as usize) < MAX_ORDER - 2 {
            let buddy = pfn ^ (1 << order);
            let combined = buddy & pfn;
            let higher_buddy = combined ^ (1 << (order + 1));
            tail =
                zone.contains(buddy) && page_is_buddy(&self.mem_map, zone, higher_buddy, order + 1);
        }
        let list = self.free_list_for(order, mt);
        self.add_to_free_list(fa, pfn, order, list, tail);
    }

    /// `expand()`: split a block of `high` down to `low`, listing the halves.
    #[inline]
    fn expand(&self, fa: &mut FreeAreas, pfn: Pfn, low: u32, mut high: u32, list: u8) {
        while high > low {
            high -= 1;
            self.add_to_free_list(fa, pfn + (1 << high), high, list, false);
        }
    }

    /// `__rmqueue_smallest()`.
    fn __rmqueue_smallest(
        &self,
        fa: &mut FreeAreas,
        zone: &Zone,
        order: u32,
        mt: MigrateType,
    ) -> Option<Pfn> {
        for o in order as usize..MAX_ORDER {
            let head = fa.free_area[o].free_list[mt as usize].head;
            if head != super::page::NIL {
                let pfn = head as usize;
                self.del_page_from_free_list(fa, pfn, o as u32);
                self.expand(fa, pfn, order, o as u32, mt as u8);
                return Some(pfn);
            }
        }
        if self.policy == GroupingPolicy::Gorman2005 {
            // split a block from free_area_global and give it to `mt`
            let head = fa.global.head;
            if head != super::page::NIL {
                let pfn = head as usize;
                self.del_page_from_free_list(fa, pfn, (MAX_ORDER - 1) as u32);
                zone.set_pageblock_migratetype(pfn, mt);
                self.expand(fa, pfn, order, (MAX_ORDER - 1) as u32, mt as u8);
                return Some(pfn);
            }
        }
        None
    }

    /// `can_steal_fallback()`.
    fn can_steal_fallback(&self, order: u32, start_mt: MigrateType) -> bool {
        order >= self.pageblock_order
            || order >= self.pageblock_order / 2
            || start_mt == MigrateType::Reclaimable
            || start_mt == MigrateType::Unmovable
            || !self.group_by_mobility()
    }

    /// `find_suitable_fallback()`.
    fn find_suitable_fallback(
        &self,
        area: &FreeArea,
        order: u32,
        mt: MigrateType,
        only_stealable: bool,
    ) -> Option<(MigrateType, bool)> {
        if area.nr_free == 0 {
            return None;
        }
        let mut can_steal = false;
        for &fmt in &FALLBACKS[mt as usize] {
            if area.free_list[fmt as usize].is_empty() {
                continue;
            }
            if self.can_steal_fallback(order, mt) {
                can_steal = true;
            }
            if !only_stealable || can_steal {
                return Some((fmt, can_steal));
            }
        }
        None
    }

    /// `move_freepages_block()`: move every free page of the pageblock
    /// containing `pfn` to `mt`'s lists; returns (free, movable) page counts.
    fn move_freepages_block(
        &self,
        fa: &mut FreeAreas,
        zone: &Zone,
        pfn: Pfn,
        mt: MigrateType,
    ) -> (usize, usize) {
        let nr = 1usize << self.pageblock_order;
        let start = (pfn & !(nr - 1)).max(zone.zone_start_pfn);
        let end = ((pfn & !(nr - 1)) + nr).min(zone.zone_end_pfn());
        let (mut free, mut movable) = (0, 0);
        let mut p = start;
        while p < end {
            let page = &self.mem_map[p];
            if page.test(PageFlag::Buddy) {
                let order = page.buddy_order();
                self.move_to_free_list(fa, p, order, mt);
                p += 1 << order;
                free += 1 << order;
                continue;
            }
            if page.test(PageFlag::Lru) || page.page_movable() {
                movable += 1;
            }
            p += 1;
        }
        (free, movable)
    }

    /// `steal_suitable_fallback()`.
    fn steal_suitable_fallback(
        &self,
        fa: &mut FreeAreas,
        zone: &Zone,
        pfn: Pfn,
        current_order: u32,
        start_type: MigrateType,
        whole_block: bool,
    ) {
        let old_block_type = zone.get_pageblock_migratetype(pfn);
        if current_order >= self.pageblock_order {
            // change_pageblock_range()
            let nr_blocks = 1usize << (current_order - self.pageblock_order);
            for i in 0..nr_blocks {
                zone.set_pageblock_migratetype(pfn + (i << self.pageblock_order), start_type);
            }
            self.move_to_free_list(fa, pfn, current_order, start_type);
            return;
        }
        if whole_block {
            let (free_pages, movable_pages) = self.move_freepages_block(fa, zone, pfn, start_type);
            let alike = if start_type == MigrateType::Movable {
                movable_pages
            } else if old_block_type == MigrateType::Movable {
                (1usize << self.pageblock_order).saturating_sub(free_pages + movable_pages)
            } else {
                0
            };
            if free_pages > 0 {
                if free_pages + alike >= (1 << (self.pageblock_order - 1))
                    || !self.group_by_mobility()
                {
                    zone.set_pageblock_migratetype(pfn, start_type);
                }
                return;
            }
        }
        self.move_to_free_list(fa, pfn, current_order, start_type);
    }

    /// `__rmqueue_fallback()` (pageblock policy).
    fn __rmqueue_fallback(
        &self,
        fa: &mut FreeAreas,
        zone: &Zone,
        order: u32,
        start_mt: MigrateType,
        alloc_flags: u32,
    ) -> bool {
        let mut min_order = order;
        if order < self.pageblock_order && alloc_flags & ALLOC_NOFRAGMENT != 0 {
            min_order = self.pageblock_order;
        }
        let mut found = None;
        let mut o = MAX_ORDER as i64 - 1;
        while o >= min_order as i64 {
            let co = o as u32;
            if let Some((fmt, can_steal)) =
                self.find_suitable_fallback(&fa.free_area[co as usize], co, start_mt, false)
            {
                if !can_steal && start_mt == MigrateType::Movable && co > order {
                    // find_smallest: don't break up large blocks for movable
                    for so in order as usize..MAX_ORDER {
                        if let Some((fmt2, cs2)) = self.find_suitable_fallback(
                            &fa.free_area[so],
                            so as u32,
                            start_mt,
                            false,
                        ) {
                            found = Some((so as u32, fmt2, cs2));
                            break;
                        }
                    }
                } else {
                    found = Some((co, fmt, can_steal));
                }
                break;
            }
            o -= 1;
        }
        let Some((co, fmt, can_steal)) = found else {
            return false;
        };
        let pfn = fa.free_area[co as usize].free_list[fmt as usize].head as usize;
        self.steal_suitable_fallback(fa, zone, pfn, co, start_mt, can_steal);
        trace(&ev::MM_PAGE_ALLOC_EXTFRAG, |w| {
            w.u64(8, pfn as u64)
                .i32(16, order as i32)
                .i32(20, co as i32)
                .i32(24, start_mt as i32)
                .i32(28, fmt as i32)
                .i32(32, (zone.get_pageblock_migratetype(pfn) == start_mt) as i32);
        });
        true
    }

    /// gorman2005's fallback: with the global list empty, take the largest
    /// block from another type's array without retagging its block.
    fn __rmqueue_gorman_fallback(
        &self,
        fa: &mut FreeAreas,
        zone: &Zone,
        order: u32,
        mt: MigrateType,
    ) -> Option<Pfn> {
        for o in (order as usize..MAX_ORDER).rev() {
            for &fmt in &FALLBACKS[mt as usize] {
                let head = fa.free_area[o].free_list[fmt as usize].head;
                if head != super::page::NIL {
                    let pfn = head as usize;
                    self.del_page_from_free_list(fa, pfn, o as u32);
                    let block_mt = zone.get_pageblock_migratetype(pfn);
                    self.expand(fa, pfn, order, o as u32, block_mt as u8);
                    return Some(pfn);
                }
            }
        }
        None
    }

    /// `__rmqueue()`: the zone lock is held.
    #[inline(always)]
    pub(crate) fn __rmqueue(
        &self,
        fa: &mut FreeAreas,
        zone: &Zone,
        order: u32,
        mt: MigrateType,
        alloc_flags: u32,
    ) -> Option<Pfn> {
        loop {
            if let Some(p) = self.__rmqueue_smallest(fa, zone, order, mt) {
                return Some(p);
            }
            match self.policy {
                GroupingPolicy::Vanilla => return None,
                GroupingPolicy::Gorman2005 => {
                    return self.__rmqueue_gorman_fallback(fa, zone, order, mt)
                }
                GroupingPolicy::Pageblock => {
                    if !self.__rmqueue_fallback(fa, zone, order, mt, alloc_flags) {
                        return None;
                    }
                }
            }
        }
    }

    /// `rmqueue_bulk()`: up to `count` blocks of `order` from the buddy onto
    /// `mt`'s per-CPU list (in address order at the tail), under one zone
    /// lock; the free-page count drops once for all of them.
    #[inline(never)]
    fn rmqueue_bulk(
        &self,
        zone: &Zone,
        pcp: &mut PerCpuPages,
        order: u32,
        count: usize,
        mt: MigrateType,
        alloc_flags: u32,
    ) {
        let list = &mut pcp.lists[order_to_pindex(mt, order)];
        let mut fa = zone.lock_zone();
        let mut taken = 0;
        while taken < count {
            let Some(pfn) = self.__rmqueue(&mut fa, zone, order, mt, alloc_flags) else {
                break;
            };
            trace(&ev::MM_PAGE_ALLOC_ZONE_LOCKED, |w| {
                w.u64(8, pfn as u64)
                    .u32(16, order)
                    .i32(20, mt as i32)
                    .i32(24, 1);
            });
            list.push_tail(&self.mem_map, pfn);
            taken += 1;
        }
        zone.mod_free_pages(-((taken as i64) << order));
        pcp.count += taken << order;
    }

    /// `rmqueue_pcplist()`: a block of `order` ≤ 3 from this CPU's list for
    /// `mt`, refilled by `rmqueue_bulk` when empty (`nr_pcp_alloc()`: the
    /// batch scaled down by order, at least 2 blocks); `None` if the list
    /// stays empty or another thread holds it.
    #[inline(always)]
    fn rmqueue_pcplist(
        &self,
        zone: &Zone,
        order: u32,
        mt: MigrateType,
        alloc_flags: u32,
    ) -> Option<(Pfn, &CpuStats)> {
        let cpu = super::glue::cpu_index(zone.pcp.len());
        let mut pcp = zone.pcp[cpu].try_lock()?;
        pcp.free_factor >>= 1;
        let pindex = order_to_pindex(mt, order);
        if pcp.lists[pindex].is_empty() {
            let mut batch = pcp.batch;
            if batch > 1 {
                batch = (batch >> order).max(2);
            }
            self.rmqueue_bulk(zone, &mut pcp, order, batch, mt, alloc_flags);
        }
        let pfn = pcp.lists[pindex].pop_head(&self.mem_map)?;
        pcp.count -= 1 << order;
        Some((pfn, self.events.on(cpu)))
    }

    /// `rmqueue()`: one block from `zone` — through the per-CPU lists for
    /// orders ≤ 3, else (or if they come up empty) `rmqueue_buddy()` — and
    /// the counters of the CPU it was taken on, for `zone_statistics`.
    #[inline(always)]
    fn rmqueue(
        &self,
        zone: &Zone,
        order: u32,
        mt: MigrateType,
        alloc_flags: u32,
    ) -> Option<(Pfn, &CpuStats)> {
        if pcp_allowed_order(order) {
            if let Some(taken) = self.rmqueue_pcplist(zone, order, mt, alloc_flags) {
                return Some(taken);
            }
        }
        self.rmqueue_buddy(zone, order, mt, alloc_flags)
    }

    /// `rmqueue_buddy()`: one block straight from the buddy lists under
    /// the zone lock (the high-atomic reserve first for a non-blocking
    /// request).
    #[inline(never)]
    fn rmqueue_buddy(
        &self,
        zone: &Zone,
        order: u32,
        mt: MigrateType,
        alloc_flags: u32,
    ) -> Option<(Pfn, &CpuStats)> {
        let mut fa = zone.lock_zone();
        let mut pfn = None;
        if alloc_flags & ALLOC_HARDER != 0 && self.policy == GroupingPolicy::Pageblock {
            // a non-blocking request may use the high-atomic reserve
            pfn = self.__rmqueue_smallest(&mut fa, zone, order, MigrateType::HighAtomic);
        }
        let pfn = match pfn {
            Some(p) => p,
            None => self.__rmqueue(&mut fa, zone, order, mt, alloc_flags)?,
        };
        zone.mod_free_pages(-(1 << order));
        trace(&ev::MM_PAGE_ALLOC_ZONE_LOCKED, |w| {
            w.u64(8, pfn as u64)
                .u32(16, order)
                .i32(20, mt as i32)
                .i32(24, 0);
        });
        Some((pfn, self.events.this()))
    }

    /// `reserve_highatomic_pageblock()`: after a successful high-order
    /// non-blocking allocation, set its pageblock aside (up to ~1 % of the
    /// zone) so later atomic high-order requests still find free blocks.
    fn reserve_highatomic_pageblock(&self, pfn: Pfn, zone: &Zone) {
        let pb = 1usize << self.pageblock_order;
        let max_managed = zone.managed() / 100 + pb;
        if zone.nr_reserved_highatomic.load(Ordering::Relaxed) >= max_managed {
            return;
        }
        let mut fa = zone.lock_zone();
        let reserved = zone.nr_reserved_highatomic.load(Ordering::Relaxed);
        if reserved >= max_managed {
            return;
        }
        let mt = zone.get_pageblock_migratetype(pfn);
        if mt != MigrateType::HighAtomic && mt != MigrateType::Isolate {
            zone.nr_reserved_highatomic
                .store(reserved + pb, Ordering::Relaxed);
            zone.set_pageblock_migratetype(pfn, MigrateType::HighAtomic);
            self.move_freepages_block(&mut fa, zone, pfn, MigrateType::HighAtomic);
        }
    }

    /// `unreserve_highatomic_pageblock()`: when an allocation is about to
    /// fail, give reserved pageblocks back to the requested type.
    fn unreserve_highatomic_pageblock(&self, mt: MigrateType, force: bool) -> bool {
        let pb = 1usize << self.pageblock_order;
        for z in self.nodes.iter().flat_map(|n| n.zones.iter()) {
            let reserved = z.nr_reserved_highatomic.load(Ordering::Relaxed);
            if reserved == 0 || (!force && reserved <= pb) {
                continue;
            }
            let mut fa = z.lock_zone();
            for o in 0..MAX_ORDER {
                let head = fa.free_area[o].free_list[MigrateType::HighAtomic as usize].head;
                if head == super::page::NIL {
                    continue;
                }
                let pfn = head as usize;
                if z.get_pageblock_migratetype(pfn) == MigrateType::HighAtomic {
                    let r = z.nr_reserved_highatomic.load(Ordering::Relaxed);
                    z.nr_reserved_highatomic
                        .store(r.saturating_sub(pb), Ordering::Relaxed);
                }
                z.set_pageblock_migratetype(pfn, mt);
                self.move_freepages_block(&mut fa, z, pfn, mt);
                return true;
            }
        }
        false
    }

    /// `__zone_watermark_ok()`.
    pub fn zone_watermark_ok(
        &self,
        z: &Zone,
        order: u32,
        mark: usize,
        highest_zoneidx: usize,
        alloc_flags: u32,
    ) -> bool {
        let free = z.free_pages() - ((1i64 << order) - 1);
        let mut min = mark as i64;
        if alloc_flags & ALLOC_HIGH != 0 {
            min -= min / 2;
        }
        if alloc_flags & ALLOC_HARDER != 0 {
            min -= min / 4;
        }
        if free <= min + z.lowmem_reserve[highest_zoneidx].load(Ordering::Relaxed) as i64 {
            return false;
        }
        if order == 0 {
            return true;
        }
        // any free block of a suitable order? (MIGRATE_ISOLATE lists are
        // never populated in usk, so every free block counts)
        z.free_orders.load(Ordering::Relaxed) >> order != 0
    }

    /// `gfp_zone()`.
    fn gfp_zone(gfp: Gfp) -> usize {
        if gfp.intersects(__GFP_DMA) {
            ZoneType::Dma as usize
        } else if gfp.contains(__GFP_MOVABLE | __GFP_HIGHMEM) {
            ZoneType::Movable as usize
        } else {
            ZoneType::Normal as usize
        }
    }

    /// The populated zones of `nid`'s zonelist at or below `highest`
    /// (`for_each_zone_zonelist`).
    fn zonelist(&self, nid: usize, highest: usize) -> impl Iterator<Item = &Zone> {
        self.nodes[nid]
            .zonelist
            .iter()
            .filter(move |&&(_, z)| z <= highest)
            .map(move |&(n, z)| &self.nodes[n].zones[z])
    }

    /// `prepare_alloc_pages()`: the part of an allocation's context that
    /// every attempt (fast path, slow-path retries, compaction) shares.
    #[inline(always)]
    fn prepare_alloc_pages(&self, gfp: Gfp, preferred_nid: usize) -> AllocContext {
        let nr_nodes = self.nodes.len();
        AllocContext {
            nid: if preferred_nid < nr_nodes {
                preferred_nid
            } else {
                preferred_nid % nr_nodes
            },
            highest_zoneidx: Self::gfp_zone(gfp),
            migratetype: self.alloc_migratetype(gfp),
        }
    }

    /// `get_page_from_freelist()`: walk the zonelist from the preferred
    /// zone, taking a block from the first zone whose watermark allows it;
    /// with `ALLOC_NOFRAGMENT` the walk stops at the first remote zone and
    /// starts over without it.
    ///
    /// The walk's first zone, where nearly every allocation ends, is tried
    /// here; the rest of the walk (`zonelist_walk`) is out of line, so that
    /// this path does not pay for a loop that almost never turns (the
    /// compiler hoists the loop's invariants and spills them: ~20
    /// instructions per allocation).
    #[inline(always)]
    fn get_page_from_freelist(
        &self,
        gfp: Gfp,
        order: u32,
        mut alloc_flags: u32,
        ac: &AllocContext,
    ) -> Option<Pfn> {
        let (nid, highest) = (ac.nid, ac.highest_zoneidx);
        // alloc_flags_nofragment(): only worth it when a lower zone exists
        if self.policy == GroupingPolicy::Pageblock
            && highest == ZoneType::Normal as usize
            && self.nodes[nid].zones[ZoneType::Dma as usize].populated()
        {
            alloc_flags |= ALLOC_NOFRAGMENT;
        }
        let mut tried_first = false;
        // the early stop at a remote zone cannot apply to a local one; a
        // remote first zone is left to zonelist_walk
        if let Some(z) = self.zonelist(nid, highest).next().filter(|z| z.node == nid) {
            if self.zone_allows_alloc(z, order, highest, alloc_flags) {
                if let Some(pfn) = self.try_this_zone(z, gfp, order, alloc_flags, ac) {
                    return Some(pfn);
                }
                tried_first = true;
            }
        }
        self.zonelist_walk(gfp, order, alloc_flags, ac, tried_first)
    }

    /// [`Self::get_page_from_freelist`] out of line, for the slow path's
    /// attempts: the allocation fast path is the one place worth a copy of
    /// its first-zone step.
    #[inline(never)]
    fn get_page_from_freelist_slow(
        &self,
        gfp: Gfp,
        order: u32,
        alloc_flags: u32,
        ac: &AllocContext,
    ) -> Option<Pfn> {
        self.get_page_from_freelist(gfp, order, alloc_flags, ac)
    }

    /// The rest of `get_page_from_freelist()`'s walk: the zonelist from its
    /// second zone if the first was tried, else from its first; then, if
    /// `ALLOC_NOFRAGMENT` found nothing, the whole zonelist without it.
    #[inline(never)]
    fn zonelist_walk(
        &self,
        gfp: Gfp,
        order: u32,
        mut alloc_flags: u32,
        ac: &AllocContext,
        tried_first: bool,
    ) -> Option<Pfn> {
        let (nid, highest) = (ac.nid, ac.highest_zoneidx);
        let mut skip = tried_first as usize;
        loop {
            let no_fallback = alloc_flags & ALLOC_NOFRAGMENT != 0;
            for z in self.zonelist(nid, highest).skip(skip) {
                if no_fallback && self.nodes.len() > 1 && z.node != nid {
                    // try the local node without fragmenting first
                    break;
                }
                if !self.zone_allows_alloc(z, order, highest, alloc_flags) {
                    continue;
                }
                if let Some(pfn) = self.try_this_zone(z, gfp, order, alloc_flags, ac) {
                    return Some(pfn);
                }
            }
            if !no_fallback {
                return None;
            }
            alloc_flags &= !ALLOC_NOFRAGMENT;
            skip = 0;
        }
    }

    /// May `z` be allocated from? Its watermark (`alloc_flags`' mark)
    /// with `order` pages gone, unless `ALLOC_NO_WATERMARKS`.
    #[inline(always)]
    fn zone_allows_alloc(&self, z: &Zone, order: u32, highest: usize, alloc_flags: u32) -> bool {
        if alloc_flags & ALLOC_NO_WATERMARKS != 0 {
            return true;
        }
        let mark = z.wmark((alloc_flags & ALLOC_WMARK_MASK) as usize);
        self.zone_watermark_ok(z, order, mark, highest, alloc_flags)
    }

    /// `get_page_from_freelist()`'s `try_this_zone:`: a block from `z`,
    /// prepared for its caller; a high-order non-blocking allocation sets
    /// its pageblock aside as high-atomic reserve.
    #[inline(always)]
    fn try_this_zone(
        &self,
        z: &Zone,
        gfp: Gfp,
        order: u32,
        alloc_flags: u32,
        ac: &AllocContext,
    ) -> Option<Pfn> {
        let (pfn, ev) = self.rmqueue(z, order, ac.migratetype, alloc_flags)?;
        self.prep_new_page(pfn, order, gfp, ac.nid, z, ev);
        if order > 0 && alloc_flags & ALLOC_HARDER != 0 && self.policy == GroupingPolicy::Pageblock
        {
            self.reserve_highatomic_pageblock(pfn, z);
        }
        Some(pfn)
    }

    /// `prep_new_page()`. Only the head is touched (and the tails for
    /// `__GFP_ZERO`/`__GFP_COMP`): `free_pages_prepare` left every page of
    /// a free block clean (no flags or mapping, `_mapcount` −1, `index`,
    /// `private` and `compound_head` 0), and the free lists restore that
    /// on the head they tag when they hand a block out.
    #[inline(always)]
    fn prep_new_page(&self, pfn: Pfn, order: u32, gfp: Gfp, nid: usize, z: &Zone, ev: &CpuStats) {
        if gfp.intersects(__GFP_ZERO) {
            self.zero_pages(pfn, order);
        }
        self.mem_map[pfn]._refcount.store(1, Ordering::Release);
        if order > 0 && gfp.intersects(__GFP_COMP) {
            self.prep_compound_page(pfn, order);
        }
        ev.count(
            VmEvent::PGALLOC_DMA as usize + z.zone_type as usize,
            1 << order,
        );
        // zone_statistics()
        if self.nodes.len() == 1 {
            // numa_hit and numa_local are the same event on one node
            ev.count_numa(0, super::vmstat::NUMA_HIT);
        } else {
            self.zone_statistics(z, nid, ev);
        }
        if let Some(po) = &self.page_owner {
            po.set_page_owner(self, pfn, order, gfp);
        }
    }

    /// `kernel_init_pages()` for `__GFP_ZERO`.
    #[cold]
    fn zero_pages(&self, pfn: Pfn, order: u32) {
        for i in 0..1usize << order {
            // an index in range by construction; cannot fail
            let _ = self.physmem.zero_frame(pfn + i);
        }
    }

    /// `prep_compound_page()`.
    #[inline(never)]
    fn prep_compound_page(&self, pfn: Pfn, order: u32) {
        self.mem_map[pfn].__set(PageFlag::Head);
        self.mem_map[pfn + 1]
            .private
            .store(order as u64, Ordering::Relaxed);
        for i in 1..1usize << order {
            self.mem_map[pfn + i]
                .compound_head
                .store(pfn as u64 + 1, Ordering::Release);
        }
    }

    /// `zone_statistics()` with several nodes: hit or miss/foreign for the
    /// preferred node, local or other for the allocating CPU's.
    #[inline(never)]
    fn zone_statistics(&self, z: &Zone, nid: usize, ev: &CpuStats) {
        let local = z.node == super::glue::cpu_index(self.nodes.len());
        if z.node == nid {
            ev.count_numa(z.node, super::vmstat::NUMA_HIT);
        } else {
            ev.count_numa(z.node, super::vmstat::NUMA_MISS);
            ev.count_numa(nid, super::vmstat::NUMA_FOREIGN);
        }
        ev.count_numa(
            z.node,
            if local {
                super::vmstat::NUMA_LOCAL
            } else {
                super::vmstat::NUMA_OTHER
            },
        );
    }

    /// `gfp_to_alloc_flags()`.
    fn gfp_to_alloc_flags(gfp: Gfp) -> u32 {
        let mut f = ALLOC_WMARK_MIN | ALLOC_CPUSET;
        if gfp.intersects(__GFP_HIGH) {
            f |= ALLOC_HIGH;
        }
        if !gfp.intersects(__GFP_DIRECT_RECLAIM) && !gfp.intersects(__GFP_NOMEMALLOC) {
            f |= ALLOC_HARDER;
        }
        if gfp.intersects(__GFP_MEMALLOC) {
            f |= ALLOC_NO_WATERMARKS;
        }
        f
    }

    /// `__alloc_pages()`: the allocator's entry point. Returns the head pfn.
    pub fn __alloc_pages(&self, gfp: Gfp, order: u32, preferred_nid: usize) -> Option<Pfn> {
        if order as usize >= MAX_ORDER || gfp.0 & !__GFP_BITS_MASK != 0 {
            self.warn_bad_alloc(gfp, order);
            return None;
        }
        // might_sleep_if(gfp & __GFP_DIRECT_RECLAIM): a sleeping allocation
        // from atomic context is reported as Linux reports it
        if gfp.intersects(__GFP_DIRECT_RECLAIM) && crate::kernel::sched::current::in_kernel_thread()
        {
            crate::kernel::panic::might_sleep();
        }
        let ac = self.prepare_alloc_pages(gfp, preferred_nid);
        let page = match self.get_page_from_freelist(gfp, order, ALLOC_WMARK_LOW, &ac) {
            Some(p) => Some(p),
            None => self.__alloc_pages_slowpath(gfp, order, &ac),
        };
        let mt = ac.migratetype;
        trace(&ev::MM_PAGE_ALLOC, move |w| {
            w.u64(8, page.map_or(u64::MAX, |p| p as u64))
                .u32(16, order)
                .u64(24, gfp.0 as u64)
                .i32(32, mt as i32);
        });
        page
    }

    /// The warning for an order above MAX_ORDER-1 (unless `__GFP_NOWARN`)
    /// or an invalid gfp mask.
    #[cold]
    fn warn_bad_alloc(&self, gfp: Gfp, order: u32) {
        if order as usize >= MAX_ORDER {
            if !gfp.intersects(__GFP_NOWARN) {
                self.warn(&format!(
                    "__alloc_pages: order {order} > MAX_ORDER-1 ({})",
                    MAX_ORDER - 1
                ));
            }
        } else {
            self.warn(&format!("__alloc_pages: invalid gfp mask {:#x}", gfp.0));
        }
    }

    /// `__alloc_pages_slowpath()`.
    #[inline(never)]
    fn __alloc_pages_slowpath(&self, gfp: Gfp, order: u32, ac: &AllocContext) -> Option<Pfn> {
        let alloc_flags = Self::gfp_to_alloc_flags(gfp);
        if gfp.intersects(__GFP_KSWAPD_RECLAIM) {
            self.wakeup_kswapd(ac.nid, order);
        }
        if let Some(p) = self.get_page_from_freelist_slow(gfp, order, alloc_flags, ac) {
            return Some(p);
        }
        let can_direct_reclaim = gfp.intersects(__GFP_DIRECT_RECLAIM);
        // pages parked on per-CPU lists cannot merge: give them back
        self.drain_all_pages();
        if let Some(p) = self.get_page_from_freelist_slow(gfp, order, alloc_flags, ac) {
            return Some(p);
        }
        if can_direct_reclaim {
            let costly = order > PAGE_ALLOC_COSTLY_ORDER;
            let retries = if costly && !gfp.intersects(__GFP_RETRY_MAYFAIL) {
                1
            } else {
                3
            };
            for _ in 0..retries {
                // direct reclaim: there is no LRU yet; shrink slab caches
                self.events
                    .count(VmEvent::ALLOCSTALL_DMA as usize + ac.highest_zoneidx, 1);
                if self.shrink_slab(1 << order.max(5)) > 0 {
                    self.drain_all_pages();
                    if let Some(p) = self.get_page_from_freelist_slow(gfp, order, alloc_flags, ac) {
                        return Some(p);
                    }
                }
                if order > 0 {
                    if let Some(p) = self.__alloc_pages_direct_compact(gfp, order, alloc_flags, ac)
                    {
                        return Some(p);
                    }
                }
                if gfp.intersects(__GFP_NORETRY) {
                    break;
                }
            }
        }
        // last resort before failing: hand the high-atomic reserve back
        if self.policy == GroupingPolicy::Pageblock
            && self.unreserve_highatomic_pageblock(ac.migratetype, true)
        {
            if let Some(p) = self.get_page_from_freelist_slow(gfp, order, alloc_flags, ac) {
                return Some(p);
            }
        }
        if !gfp.intersects(__GFP_NOWARN) {
            self.warn_alloc(gfp, order);
        }
        None
    }

    /// `__alloc_pages_direct_compact()`.
    fn __alloc_pages_direct_compact(
        &self,
        gfp: Gfp,
        order: u32,
        alloc_flags: u32,
        ac: &AllocContext,
    ) -> Option<Pfn> {
        if !self.compaction_enabled() {
            return None;
        }
        self.events.count_ev(VmEvent::COMPACTSTALL, 1);
        let zones: Vec<&Zone> = self.zonelist(ac.nid, ac.highest_zoneidx).collect();
        for z in zones {
            let r = self.compact_zone_order(z, order, gfp, ac.highest_zoneidx);
            if r == super::compaction::CompactResult::Success {
                self.drain_all_pages();
                if let Some(p) = self.get_page_from_freelist_slow(gfp, order, alloc_flags, ac) {
                    self.events.count_ev(VmEvent::COMPACTSUCCESS, 1);
                    return Some(p);
                }
            }
        }
        self.events.count_ev(VmEvent::COMPACTFAIL, 1);
        None
    }

    /// `warn_alloc()`: the "page allocation failure" report.
    fn warn_alloc(&self, gfp: Gfp, order: u32) {
        let (pid, _, comm) = super::glue::current();
        let mut s = format!(
            "{comm}: page allocation failure: order:{order}, mode:{:#x}({}), nodemask=(null)\n",
            gfp.0,
            format_gfp(gfp)
        );
        s.push_str(&format!(
            "CPU: {} PID: {pid} Comm: {comm} Not tainted\n",
            super::glue::smp_processor_id()
        ));
        s.push_str(&super::glue::call_trace());
        s.push_str(&self.show_free_areas());
        self.log.printk(&s);
    }

    /// `show_free_areas()`' per-zone buddy summary ("Node 0 Normal: 3*4kB (UM) … = 12kB").
    pub fn show_free_areas(&self) -> String {
        use super::vmstat::*;
        let g = |i| self.global_node_stat(i).max(0);
        let pcp_pages = self.nr_pcp_pages();
        let mut s = format!(
            "Mem-Info:\nactive_anon:0 inactive_anon:0 isolated_anon:0\n active_file:0 inactive_file:0 isolated_file:0\n unevictable:0 dirty:{} writeback:{}\n slab_reclaimable:{} slab_unreclaimable:{}\n mapped:{} shmem:{} pagetables:{} bounce:0\n free:{} free_pcp:{} free_cma:0\n",
            g(NR_DIRTY),
            g(NR_WRITEBACK),
            g(NR_SLAB_RECLAIMABLE_B) >> 12,
            g(NR_SLAB_UNRECLAIMABLE_B) >> 12,
            g(NR_MAPPED),
            g(NR_SHMEM),
            g(NR_PAGETABLE),
            self.nr_free_pages(),
            pcp_pages
        );
        for n in &self.nodes {
            for z in n.zones.iter().filter(|z| z.populated()) {
                let zone_pcp: usize = z.pcp.iter().map(|p| p.lock().count).sum();
                let local_pcp = z.pcp[super::glue::cpu_index(z.pcp.len())].lock().count;
                s.push_str(&format!(
                    "Node {} {} free:{}kB min:{}kB low:{}kB high:{}kB reserved_highatomic:{}KB active_anon:0kB inactive_anon:0kB active_file:0kB inactive_file:0kB unevictable:0kB writepending:0kB present:{}kB managed:{}kB mlocked:0kB bounce:0kB free_pcp:{}kB local_pcp:{}kB free_cma:0kB\n",
                    n.node_id,
                    z.name,
                    z.free_pages().max(0) * 4,
                    z.wmark(WMARK_MIN) * 4,
                    z.wmark(WMARK_LOW) * 4,
                    z.wmark(WMARK_HIGH) * 4,
                    z.nr_reserved_highatomic.load(Ordering::Relaxed) * 4,
                    z.present_pages * 4,
                    z.managed() * 4,
                    zone_pcp * 4,
                    local_pcp * 4
                ));
                s.push_str("lowmem_reserve[]:");
                for r in z.lowmem_reserve.iter() {
                    s.push_str(&format!(" {}", r.load(Ordering::Relaxed)));
                }
                s.push('\n');
            }
            for z in n.zones.iter().filter(|z| z.populated()) {
                let snap = self.zone_snapshot(z);
                s.push_str(&format!("Node {} {}: ", n.node_id, z.name));
                let mut total = 0u64;
                for o in 0..MAX_ORDER {
                    let nr = snap.nr_free[o];
                    total += (nr as u64) << (o + 2);
                    s.push_str(&format!("{}*{}kB ", nr, 4u64 << o));
                    if nr > 0 {
                        let types: String = MigrateType::ALL
                            .iter()
                            .filter(|t| snap.by_type[**t as usize][o] > 0)
                            .map(|t| t.letter())
                            .collect();
                        s.push_str(&format!("({types}) "));
                    }
                }
                s.push_str(&format!("= {total}kB\n"));
            }
        }
        let ram = self.mem_map.len() as u64;
        s.push_str(&format!(
            "{} total pagecache pages\n0 pages in swap cache\nFree swap  = 0kB\nTotal swap = 0kB\n{ram} pages RAM\n0 pages HighMem/MovableOnly\n{} pages reserved\n",
            g(NR_FILE_PAGES),
            ram - self.totalram_pages()
        ));
        s
    }

    #[cold]
    pub(crate) fn warn(&self, what: &str) {
        let (pid, _, comm) = super::glue::current();
        self.log.printk(&format!(
            "------------[ cut here ]------------\nWARNING: CPU: {} PID: {pid} at mm/page_alloc.c {what}\nComm: {comm}\n{}---[ end trace ]---\n",
            super::glue::smp_processor_id(),
            super::glue::call_trace()
        ));
    }

    // ---- freeing ----------------------------------------------------------

    /// `bad_page()`: report and quarantine a page that fails the free checks.
    #[cold]
    fn bad_page(&self, pfn: Pfn, reason: &str) {
        let (pid, _, comm) = super::glue::current();
        let p = &self.mem_map[pfn];
        let flags = p.flags.load(Ordering::Relaxed);
        let s = format!(
            "BUG: Bad page state in process {comm}  pfn:{pfn:05x}\npage:{:#018x} refcount:{} mapcount:{} mapping:{:016x} index:{:#x} pfn:{pfn:#x}\nflags: {}\npage dumped because: {reason}\nCPU: {} PID: {pid} Comm: {comm} Tainted: G    B\n{}Disabling lock debugging due to kernel taint\n",
            super::page_address(pfn),
            p.page_ref_count(),
            p.page_mapcount(),
            p.mapping.load(Ordering::Relaxed),
            p.index.load(Ordering::Relaxed),
            super::page::format_page_flags(flags),
            super::glue::smp_processor_id(),
            super::glue::call_trace(),
        );
        self.log.printk(&s);
        self.tainted_bad_page.store(true, Ordering::Relaxed);
        // Leave the page out of the allocator ("page_mapcount_reset" and leak
        // it): it is neither free nor handed out again.
        p._mapcount.store(-1, Ordering::Relaxed);
    }

    /// `free_pages_prepare()`: checks and clears a block being freed.
    /// Returns false if the block must not go back to the free lists. The
    /// head is always checked (a mapped, referenced or flagged page is a
    /// bad page); the tails are only cleared, as in Linux unless
    /// `check_pages_enabled` (CONFIG_DEBUG_VM, debug_pagealloc, init_on_*).
    #[inline(always)]
    fn free_pages_prepare(&self, pfn: Pfn, order: u32) -> bool {
        let n = 1usize << order;
        let slab = 1u64 << PageFlag::Slab as u32;
        let head = &self.mem_map[pfn];
        let flags = head.flags.load(Ordering::Relaxed);
        let mapping = head.mapping.load(Ordering::Relaxed);
        if head._mapcount.load(Ordering::Relaxed) != -1
            || flags & PAGE_FLAGS_CHECK_AT_FREE & !slab != 0
            || (mapping != 0 && flags & slab == 0)
            || head.page_ref_count() != 0
        {
            self.free_page_is_bad(pfn);
            return false;
        }
        // keep node/zone bits, drop page flags and owner fields (so every
        // page of a free block is clean, see prep_new_page); nobody else may
        // touch a page whose last reference is gone, so plain stores do
        for p in &self.mem_map[pfn..pfn + n] {
            let flags = p.flags.load(Ordering::Relaxed);
            p.flags
                .store(flags & !super::page::PAGEFLAGS_MASK, Ordering::Release);
            p.mapping.store(0, Ordering::Relaxed);
            p.index.store(0, Ordering::Relaxed);
            p.private.store(0, Ordering::Relaxed);
            p.compound_head.store(0, Ordering::Relaxed);
        }
        trace(&ev::MM_PAGE_FREE, move |w| {
            w.u64(8, pfn as u64).u32(16, order);
        });
        if let Some(po) = &self.page_owner {
            po.reset_page_owner(pfn, order);
        }
        true
    }

    /// `free_page_is_bad()`'s report: why the page at `pfn` may not be
    /// freed, in Linux's order of precedence.
    #[cold]
    fn free_page_is_bad(&self, pfn: Pfn) {
        let p = &self.mem_map[pfn];
        let flags = p.flags.load(Ordering::Relaxed);
        let slab = 1u64 << PageFlag::Slab as u32;
        let reason = if p._mapcount.load(Ordering::Relaxed) != -1 {
            "nonzero mapcount"
        } else if p.mapping.load(Ordering::Relaxed) != 0 && flags & slab == 0 {
            "non-NULL mapping"
        } else if p.page_ref_count() != 0 {
            "nonzero _refcount"
        } else {
            "PAGE_FLAGS_CHECK_AT_FREE flag(s) set"
        };
        self.bad_page(pfn, reason);
    }

    /// `free_one_page()`: straight to the buddy (counted here, as
    /// `__free_pages_ok` does; per-CPU frees are counted on their CPU).
    #[inline(never)]
    fn free_one_page(&self, zone: &Zone, pfn: Pfn, order: u32, mt: MigrateType) {
        self.events.count_ev(VmEvent::PGFREE, 1 << order);
        let mut fa = zone.lock_zone();
        self.__free_one_page(&mut fa, zone, pfn, order, mt);
    }

    /// `free_pcppages_bulk()`: return at least `count` base pages' worth of
    /// blocks (at most all of them) to the buddy under one zone lock. The
    /// lists are visited round-robin starting with `pindex`; each is
    /// emptied from its tail (the coldest blocks) before moving on. A block
    /// goes to its pageblock's free list whatever list it sat on (Linux
    /// ≥ 6.9), so blocks a refill took by fallback do not stay tagged with
    /// the type that stole them.
    #[inline(never)]
    fn free_pcppages_bulk(
        &self,
        zone: &Zone,
        pcp: &mut PerCpuPages,
        count: usize,
        mut pindex: usize,
    ) {
        let mut left = count.min(pcp.count) as isize;
        let mut fa = zone.lock_zone();
        while left > 0 {
            // `left` ≤ pcp.count, so some list is not empty
            while pcp.lists[pindex].is_empty() {
                pindex = (pindex + 1) % NR_PCP_LISTS;
            }
            let order = pindex_to_order(pindex);
            while left > 0 {
                let Some(pfn) = pcp.lists[pindex].pop_tail(&self.mem_map) else {
                    break;
                };
                left -= 1 << order;
                pcp.count -= 1 << order;
                let mt = zone.get_pageblock_migratetype(pfn);
                self.__free_one_page(&mut fa, zone, pfn, order, mt);
                trace(&ev::MM_PAGE_PCPU_DRAIN, |w| {
                    w.u64(8, pfn as u64).u32(16, order).i32(20, mt as i32);
                });
            }
            pindex = (pindex + 1) % NR_PCP_LISTS;
        }
    }

    /// `free_unref_page()`: a block of order ≤ 3 goes to this CPU's list for
    /// its pageblock's type (high-atomic blocks ride on the movable list);
    /// reaching `high` sends
    /// `nr_pcp_free()` base pages back, starting with the list just freed
    /// to. A busy list
    /// (a drain from another CPU) sends the block straight to the buddy.
    #[inline(always)]
    fn free_unref_page(&self, zone: &Zone, pfn: Pfn, order: u32) {
        let block_mt = if self.group_by_mobility() {
            zone.get_pageblock_migratetype(pfn)
        } else {
            MigrateType::Unmovable
        };
        let mut list = block_mt;
        if block_mt as usize >= MIGRATE_PCPTYPES {
            if block_mt == MigrateType::Isolate {
                self.free_one_page(zone, pfn, order, block_mt);
                return;
            }
            list = MigrateType::Movable;
        }
        let cpu = super::glue::cpu_index(zone.pcp.len());
        let Some(mut pcp) = zone.pcp[cpu].try_lock() else {
            self.free_one_page(zone, pfn, order, block_mt);
            return;
        };
        self.events
            .on(cpu)
            .count(VmEvent::PGFREE as usize, 1 << order);
        let pindex = order_to_pindex(list, order);
        pcp.lists[pindex].push_head(&self.mem_map, pfn);
        pcp.count += 1 << order;
        let high = nr_pcp_high(&pcp, zone);
        if pcp.count >= high {
            let count = nr_pcp_free(&mut pcp, high);
            self.free_pcppages_bulk(zone, &mut pcp, count, pindex);
        }
    }

    /// `__free_pages_ok()` / `free_the_page()`.
    #[inline(always)]
    fn free_the_page(&self, zone: &Zone, pfn: Pfn, order: u32) {
        if !self.free_pages_prepare(pfn, order) {
            return;
        }
        if pcp_allowed_order(order) {
            self.free_unref_page(zone, pfn, order);
        } else {
            let mt = zone.get_pageblock_migratetype(pfn);
            self.free_one_page(zone, pfn, order, mt);
        }
    }

    /// The zone `pfn` belongs to, if it is a valid pfn.
    #[inline]
    fn page_zone_checked(&self, pfn: Pfn) -> Option<&Zone> {
        self.mem_map.get(pfn)?;
        let z = self.page_zone(pfn);
        z.contains(pfn).then_some(z)
    }

    /// `__free_pages()`: drop a reference; free the block on the last one.
    pub fn __free_pages(&self, pfn: Pfn, order: u32) {
        let zone = match self.page_zone_checked(pfn) {
            Some(z) if (order as usize) < MAX_ORDER && pfn & ((1 << order) - 1) == 0 => z,
            _ => return self.warn_bad_free(pfn, order),
        };
        if self.put_page_testzero(pfn) {
            self.free_the_page(zone, pfn, order);
        }
    }

    /// `put_page_testzero()`: drop a reference to the (valid) `pfn`; true
    /// when it was the last. A free page or one without references is
    /// reported as a bad page and left alone.
    fn put_page_testzero(&self, pfn: Pfn) -> bool {
        let p = &self.mem_map[pfn];
        if p.test(PageFlag::Buddy) || p.page_ref_count() <= 0 {
            self.bad_page(pfn, "nonzero _refcount");
            return false;
        }
        p._refcount.fetch_sub(1, Ordering::AcqRel) == 1
    }

    #[cold]
    fn warn_bad_free(&self, pfn: Pfn, order: u32) {
        self.warn(&format!("__free_pages: bad pfn {pfn:#x} order {order}"));
    }

    /// `get_page()`.
    pub fn get_page(&self, pfn: Pfn) {
        if pfn >= self.mem_map.len() {
            self.warn(&format!("get_page: bad pfn {pfn:#x}"));
            return;
        }
        let head = self.compound_head(pfn);
        self.mem_map[head]._refcount.fetch_add(1, Ordering::AcqRel);
    }

    /// `compound_head()`.
    pub fn compound_head(&self, pfn: Pfn) -> Pfn {
        match self
            .mem_map
            .get(pfn)
            .map(|p| p.compound_head.load(Ordering::Acquire))
        {
            Some(0) | None => pfn,
            Some(h) => (h - 1) as usize,
        }
    }

    /// `compound_order()`.
    pub fn compound_order(&self, head: Pfn) -> u32 {
        let tail = head.checked_add(1).and_then(|i| self.mem_map.get(i));
        match (self.mem_map.get(head), tail) {
            (Some(h), Some(t)) if h.test(PageFlag::Head) => {
                (t.private.load(Ordering::Relaxed) as u32).min(MAX_ORDER as u32 - 1)
            }
            _ => 0,
        }
    }

    /// `put_page()`: the last reference frees the page (or compound page).
    pub fn put_page(&self, pfn: Pfn) {
        if pfn >= self.mem_map.len() {
            self.warn(&format!("put_page: bad pfn {pfn:#x}"));
            return;
        }
        let head = self.compound_head(pfn);
        let order = self.compound_order(head);
        self.__free_pages(head, order);
    }

    /// `release_pages()` + `free_unref_page_list()`: drop one reference
    /// to each page (the `mmu_gather` batch of an unmap); the order-0
    /// pages whose last reference goes are prepared (`mm_page_free`) and
    /// then committed to the per-CPU lists one by one, each announced by
    /// `mm_page_free_batched`. Compound pages take the ordinary path.
    pub fn release_pages(&self, pfns: &[Pfn]) {
        let mut batch: Vec<Pfn> = Vec::with_capacity(pfns.len());
        for &pfn in pfns {
            if pfn >= self.mem_map.len() {
                self.warn(&format!("release_pages: bad pfn {pfn:#x}"));
                continue;
            }
            let head = self.compound_head(pfn);
            let order = self.compound_order(head);
            if order > 0 || head != pfn {
                self.__free_pages(head, order);
                continue;
            }
            if self.put_page_testzero(pfn) && self.free_pages_prepare(pfn, 0) {
                batch.push(pfn);
            }
        }
        for pfn in batch {
            trace(&ev::MM_PAGE_FREE_BATCHED, |w| {
                w.u64(8, pfn as u64);
            });
            self.free_unref_page(self.page_zone(pfn), pfn, 0);
        }
    }

    /// `alloc_pages()`: on the current CPU's node.
    #[inline]
    pub fn alloc_pages(&self, gfp: Gfp, order: u32) -> Option<Pfn> {
        self.__alloc_pages(gfp, order, self.numa_node_id())
    }

    /// `alloc_pages_node()`.
    pub fn alloc_pages_node(&self, nid: usize, gfp: Gfp, order: u32) -> Option<Pfn> {
        self.__alloc_pages(gfp, order, nid)
    }

    /// `numa_node_id()`: CPUs are spread over nodes round-robin.
    #[inline]
    pub fn numa_node_id(&self) -> usize {
        match self.nodes.len() {
            1 => 0,
            n => super::glue::cpu_index(n),
        }
    }

    /// `__get_free_pages()`: a kernel virtual address in the direct map.
    pub fn __get_free_pages(&self, gfp: Gfp, order: u32) -> Option<u64> {
        self.alloc_pages(gfp & !__GFP_HIGHMEM, order)
            .map(super::page_address)
    }

    /// `get_zeroed_page()`.
    pub fn get_zeroed_page(&self, gfp: Gfp) -> Option<u64> {
        self.__get_free_pages(gfp | __GFP_ZERO, 0)
    }

    /// `free_pages()`: by address; 0 is ignored as in Linux.
    pub fn free_pages(&self, addr: u64, order: u32) {
        if addr == 0 {
            return;
        }
        match super::virt_to_pfn(addr) {
            Some(pfn) if pfn < self.mem_map.len() => self.__free_pages(pfn, order),
            _ => self.warn(&format!("free_pages: bad address {addr:#x}")),
        }
    }

    /// `alloc_pages_exact()`: `size` bytes, rounded up to pages; a zero-size
    /// request warns and fails.
    pub fn alloc_pages_exact(&self, size: usize, gfp: Gfp) -> Option<u64> {
        if size == 0 {
            self.warn("alloc_pages_exact: zero-size request");
            return None;
        }
        let pages = size.div_ceil(super::PAGE_SIZE);
        let order = pages.next_power_of_two().trailing_zeros();
        let pfn = self.alloc_pages(gfp & !__GFP_COMP, order)?;
        // split_page() + free the unused tail
        for i in 1..(1usize << order) {
            self.mem_map[pfn + i]._refcount.store(1, Ordering::Release);
            if let Some(po) = &self.page_owner {
                po.split(pfn + i);
            }
        }
        if let Some(po) = &self.page_owner {
            po.split(pfn);
        }
        for i in pages..(1usize << order) {
            self.__free_pages(pfn + i, 0);
        }
        Some(super::page_address(pfn))
    }

    /// `drain_local_pages()`/`drain_all_pages()`: empty every per-CPU list.
    pub fn drain_all_pages(&self) {
        for n in &self.nodes {
            for z in n.zones.iter().filter(|z| z.populated()) {
                self.drain_zone_pages(z);
            }
        }
    }

    pub(crate) fn drain_zone_pages(&self, z: &Zone) {
        for pcp in z.pcp.iter() {
            let mut pcp = pcp.lock();
            let c = pcp.count;
            if c > 0 {
                self.free_pcppages_bulk(z, &mut pcp, c, 0);
            }
        }
    }

    /// Free pages in all zones (buddy only, like `nr_free_pages()`).
    pub fn nr_free_pages(&self) -> u64 {
        self.nodes
            .iter()
            .flat_map(|n| n.zones.iter())
            .map(|z| z.free_pages().max(0) as u64)
            .sum()
    }

    /// Pages sitting on per-CPU lists.
    pub fn nr_pcp_pages(&self) -> u64 {
        self.nodes
            .iter()
            .flat_map(|n| n.zones.iter())
            .flat_map(|z| z.pcp.iter())
            .map(|p| p.lock().count as u64)
            .sum()
    }

    // ---- watermarks -------------------------------------------------------

    /// `__setup_per_zone_wmarks()`.
    pub fn setup_per_zone_wmarks(&self) {
        let pages_min = self.min_free_kbytes.load(Ordering::Relaxed) >> 2;
        let lowmem: usize = self
            .nodes
            .iter()
            .flat_map(|n| n.zones.iter())
            .filter(|z| z.zone_type != ZoneType::Movable)
            .map(|z| z.managed())
            .sum();
        for z in self.nodes.iter().flat_map(|n| n.zones.iter()) {
            let managed = z.managed();
            let min = (pages_min * managed).checked_div(lowmem).unwrap_or(0);
            let tmp = (min >> 2).max(managed * self.watermark_scale_factor / 10000);
            z.watermark[WMARK_MIN].store(min, Ordering::Relaxed);
            z.watermark[WMARK_LOW].store(min + tmp, Ordering::Relaxed);
            z.watermark[WMARK_HIGH].store(min + 2 * tmp, Ordering::Relaxed);
            self.zone_pcp_update(z);
        }
        self.setup_per_zone_lowmem_reserve();
    }

    /// `zone_pcp_update()`: size every CPU's list of a populated zone from
    /// the zone (`batch`) and its low watermark (`high`); empty zones keep
    /// the boot pageset (high 0: every free goes straight back).
    fn zone_pcp_update(&self, z: &Zone) {
        if !z.populated() {
            return;
        }
        let batch = zone_batchsize(z.managed()).max(1);
        // CPUs are spread over nodes round-robin (numa_node_id)
        let nr_nodes = self.nodes.len();
        let local = (0..self.nr_cpus).filter(|c| c % nr_nodes == z.node).count();
        let high = zone_highsize(z.wmark(WMARK_LOW), batch, local, self.nr_cpus);
        for pcp in z.pcp.iter() {
            let mut pcp = pcp.lock();
            pcp.batch = batch;
            pcp.high = high;
        }
    }

    /// `setup_per_zone_lowmem_reserve()`.
    fn setup_per_zone_lowmem_reserve(&self) {
        for n in &self.nodes {
            for (i, &ratio) in LOWMEM_RESERVE_RATIO.iter().enumerate() {
                let mut managed = 0;
                for j in 0..MAX_NR_ZONES {
                    if j <= i {
                        n.zones[i].lowmem_reserve[j].store(0, Ordering::Relaxed);
                        continue;
                    }
                    managed += n.zones[j].managed();
                    let clear = ratio == 0 || n.zones[i].managed() == 0;
                    n.zones[i].lowmem_reserve[j]
                        .store(if clear { 0 } else { managed / ratio }, Ordering::Relaxed);
                }
            }
        }
    }

    /// `min_free_kbytes_sysctl_handler`: `vm.min_free_kbytes` write.
    pub fn set_min_free_kbytes(&self, kb: usize) -> Result<(), super::MmError> {
        if kb == 0 || kb > (self.totalram_pages() as usize * 4) / 2 {
            return Err(super::MmError::Invalid(format!(
                "min_free_kbytes {kb} out of range"
            )));
        }
        self.min_free_kbytes.store(kb, Ordering::Relaxed);
        self.setup_per_zone_wmarks();
        Ok(())
    }
}

/// `calculate_min_free_kbytes()`: int_sqrt(lowmem_kbytes * 16), clamped.
pub fn calculate_min_free_kbytes(lowmem_kbytes: u64) -> usize {
    let v = ((lowmem_kbytes * 16) as f64).sqrt() as usize;
    v.clamp(128, 262144)
}

/// `zone_highsize()` (Linux ≥ 5.14): the low watermark split over the
/// node's CPUs (all online CPUs for a CPU-less node), at least 4 batches.
pub fn zone_highsize(low_wmark: usize, batch: usize, local_cpus: usize, nr_cpus: usize) -> usize {
    let split = if local_cpus == 0 { nr_cpus } else { local_cpus };
    (low_wmark / split.max(1)).max(batch << 2)
}

/// `nr_pcp_high()`: `high`, or at most four batches while kswapd reclaims
/// for the zone, so freed pages reach the buddy where they can merge.
#[inline]
fn nr_pcp_high(pcp: &PerCpuPages, zone: &Zone) -> usize {
    if zone.reclaim_active.load(Ordering::Relaxed) {
        pcp.high.min(pcp.batch << 2)
    } else {
        pcp.high
    }
}

/// `nr_pcp_free()`: the base pages a free that reached `high` sends back —
/// `batch` doubled per `free_factor`, between `batch` and `high - batch`.
fn nr_pcp_free(pcp: &mut PerCpuPages, high: usize) -> usize {
    let batch = pcp.batch;
    if high < batch {
        // the boot pageset
        return 1;
    }
    let max_nr_free = high - batch;
    let scaled = batch << pcp.free_factor;
    if scaled < max_nr_free {
        pcp.free_factor += 1;
    }
    scaled.max(batch).min(max_nr_free)
}

/// `zone_batchsize()`.
pub fn zone_batchsize(managed: usize) -> usize {
    let mut batch = (managed / 1024).min(1024 * 1024 / super::PAGE_SIZE);
    batch /= 4;
    if batch < 1 {
        batch = 1;
    }
    let x = batch + batch / 2;
    (1usize << (usize::BITS - 1 - x.leading_zeros())) - 1
}
