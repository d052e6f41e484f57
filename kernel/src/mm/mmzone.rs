//! Nodes, zones and free areas: Linux's include/linux/mmzone.h.
//!
//! Mechanism: memory is split into nodes (`pg_data_t`, one by default,
//! `--numa N` for several) and each node into zones (DMA = the first 16 MiB,
//! Normal, and an empty Movable zone as on a stock x86-64 kernel). Each zone
//! has `free_area[MAX_ORDER]`; each `free_area` has one free list per migrate
//! type and `nr_free`, the number of free blocks of that order (what
//! /proc/buddyinfo prints). Lists are intrusive doubly-linked lists threaded
//! through `struct page`'s `lru` links, so removing a buddy in the middle of
//! a list on coalescing is O(1), as in Linux. The `gorman2005` policy adds
//! `free_area_global`, a list of MAX_ORDER-1 blocks no type owns yet.
//!
//! Invariants (all under `zone->lock`): `nr_free` of an order equals the sum
//! of that order's list lengths (+ the global list at MAX_ORDER-1); a page is
//! on a list iff it has `PG_buddy`, `private` = its order and `index` = the
//! list it is on; the pageblock bitmap holds one migrate type per pageblock.

use super::page::{Page, PageFlag, Pfn, NIL};
use crate::kernel::locking::HostSpinLock;
use parking_lot::Mutex;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU8, AtomicUsize, Ordering};

/// Orders 0..=10: `MAX_ORDER` in the pre-6.4 sense (number of orders).
pub const MAX_ORDER: usize = 11;
pub const MAX_ORDER_NR_PAGES: usize = 1 << (MAX_ORDER - 1);
/// `PAGE_ALLOC_COSTLY_ORDER`.
pub const PAGE_ALLOC_COSTLY_ORDER: u32 = 3;

/// `enum migratetype` (CONFIG_CMA off, CONFIG_MEMORY_ISOLATION on).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[repr(u8)]
pub enum MigrateType {
    Unmovable = 0,
    Movable = 1,
    Reclaimable = 2,
    HighAtomic = 3,
    Isolate = 4,
}

pub const MIGRATE_PCPTYPES: usize = 3;
pub const MIGRATE_TYPES: usize = 5;
/// Index of `free_area_global` in a page's `index` while it is free
/// (gorman2005 only).
pub const GLOBAL_LIST: u8 = 7;

pub const MIGRATETYPE_NAMES: [&str; MIGRATE_TYPES] = [
    "Unmovable",
    "Movable",
    "Reclaimable",
    "HighAtomic",
    "Isolate",
];

impl MigrateType {
    pub const ALL: [MigrateType; MIGRATE_TYPES] = [
        MigrateType::Unmovable,
        MigrateType::Movable,
        MigrateType::Reclaimable,
        MigrateType::HighAtomic,
        MigrateType::Isolate,
    ];
    pub fn from_u8(v: u8) -> MigrateType {
        match v {
            1 => MigrateType::Movable,
            2 => MigrateType::Reclaimable,
            3 => MigrateType::HighAtomic,
            4 => MigrateType::Isolate,
            _ => MigrateType::Unmovable,
        }
    }
    pub fn name(self) -> &'static str {
        MIGRATETYPE_NAMES[self as usize]
    }
    /// The letter `show_migration_types()` prints.
    pub fn letter(self) -> char {
        ['U', 'M', 'E', 'H', 'I'][self as usize]
    }
}

/// How free pages are grouped (`page_alloc=` on the command line).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum GroupingPolicy {
    /// No grouping: every page is the same type (the seed's baseline).
    Vanilla,
    /// Mel Gorman's 2005 design from seed 003.
    Gorman2005,
    /// Today's Linux: typed order-9 pageblocks, fallbacks, stealing.
    #[default]
    Pageblock,
}

impl GroupingPolicy {
    pub fn parse(s: &str) -> Option<GroupingPolicy> {
        match s {
            "vanilla" => Some(GroupingPolicy::Vanilla),
            "gorman2005" => Some(GroupingPolicy::Gorman2005),
            "pageblock" => Some(GroupingPolicy::Pageblock),
            _ => None,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            GroupingPolicy::Vanilla => "vanilla",
            GroupingPolicy::Gorman2005 => "gorman2005",
            GroupingPolicy::Pageblock => "pageblock",
        }
    }
    /// Order of the unit whose type is tracked.
    pub fn pageblock_order(self) -> u32 {
        match self {
            GroupingPolicy::Gorman2005 => (MAX_ORDER - 1) as u32,
            _ => 9,
        }
    }
}

/// `enum zone_type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ZoneType {
    Dma = 0,
    Normal = 1,
    Movable = 2,
}
pub const MAX_NR_ZONES: usize = 3;
pub const ZONE_NAMES: [&str; MAX_NR_ZONES] = ["DMA", "Normal", "Movable"];
/// `sysctl_lowmem_reserve_ratio`.
pub const LOWMEM_RESERVE_RATIO: [usize; MAX_NR_ZONES] = [256, 32, 0];

/// A free list: head/tail pfns of an intrusive list through `Page::lru_*`.
#[derive(Debug, Clone, Copy)]
pub struct FreeList {
    pub head: u32,
    pub tail: u32,
    pub len: usize,
}

impl Default for FreeList {
    fn default() -> Self {
        FreeList {
            head: NIL,
            tail: NIL,
            len: 0,
        }
    }
}

impl FreeList {
    pub fn is_empty(&self) -> bool {
        self.head == NIL
    }

    #[inline]
    pub fn push_head(&mut self, map: &[Page], pfn: Pfn) {
        let p = &map[pfn];
        p.lru_prev.store(NIL, Ordering::Relaxed);
        p.lru_next.store(self.head, Ordering::Relaxed);
        if self.head != NIL {
            map[self.head as usize]
                .lru_prev
                .store(pfn as u32, Ordering::Relaxed);
        } else {
            self.tail = pfn as u32;
        }
        self.head = pfn as u32;
        self.len += 1;
    }

    pub fn push_tail(&mut self, map: &[Page], pfn: Pfn) {
        let p = &map[pfn];
        p.lru_next.store(NIL, Ordering::Relaxed);
        p.lru_prev.store(self.tail, Ordering::Relaxed);
        if self.tail != NIL {
            map[self.tail as usize]
                .lru_next
                .store(pfn as u32, Ordering::Relaxed);
        } else {
            self.head = pfn as u32;
        }
        self.tail = pfn as u32;
        self.len += 1;
    }

    /// Unlinks `pfn`, which must be on this list.
    #[inline]
    pub fn remove(&mut self, map: &[Page], pfn: Pfn) {
        let p = &map[pfn];
        let next = p.lru_next.load(Ordering::Relaxed);
        let prev = p.lru_prev.load(Ordering::Relaxed);
        if prev != NIL {
            map[prev as usize].lru_next.store(next, Ordering::Relaxed);
        } else {
            self.head = next;
        }
        if next != NIL {
            map[next as usize].lru_prev.store(prev, Ordering::Relaxed);
        } else {
            self.tail = prev;
        }
        p.lru_next.store(NIL, Ordering::Relaxed);
        p.lru_prev.store(NIL, Ordering::Relaxed);
        self.len -= 1;
    }

    /// Unlinks the head (whose `lru_prev` is already NIL).
    #[inline]
    pub fn pop_head(&mut self, map: &[Page]) -> Option<Pfn> {
        if self.head == NIL {
            return None;
        }
        let pfn = self.head as usize;
        let p = &map[pfn];
        let next = p.lru_next.load(Ordering::Relaxed);
        if next != NIL {
            map[next as usize].lru_prev.store(NIL, Ordering::Relaxed);
        } else {
            self.tail = NIL;
        }
        self.head = next;
        p.lru_next.store(NIL, Ordering::Relaxed);
        self.len -= 1;
        Some(pfn)
    }

    pub fn pop_tail(&mut self, map: &[Page]) -> Option<Pfn> {
        if self.tail == NIL {
            return None;
        }
        let pfn = self.tail as usize;
        self.remove(map, pfn);
        Some(pfn)
    }

    pub fn iter<'a>(&self, map: &'a [Page]) -> impl Iterator<Item = Pfn> + 'a {
        let mut cur = self.head;
        std::iter::from_fn(move || {
            if cur == NIL {
                return None;
            }
            let pfn = cur as usize;
            cur = map[pfn].lru_next.load(Ordering::Relaxed);
            Some(pfn)
        })
    }
}

/// `struct free_area`.
#[derive(Debug, Default, Clone)]
pub struct FreeArea {
    pub free_list: [FreeList; MIGRATE_TYPES],
    pub nr_free: usize,
}

/// Everything `zone->lock` protects.
#[derive(Debug, Default)]
pub struct FreeAreas {
    pub free_area: [FreeArea; MAX_ORDER],
    /// `free_area_global` (gorman2005): MAX_ORDER-1 blocks of no type.
    pub global: FreeList,
    /// Bit `o` set iff `free_area[o].nr_free > 0`; published to
    /// [`Zone::free_orders`] when the zone lock is released.
    pub free_orders: u32,
}

/// `spin_lock(&zone->lock)`: the free areas, and on release the free-order
/// summary published for lock-free watermark checks.
pub struct ZoneGuard<'a> {
    zone: &'a Zone,
    fa: parking_lot::MutexGuard<'a, FreeAreas>,
}

impl std::ops::Deref for ZoneGuard<'_> {
    type Target = FreeAreas;
    fn deref(&self) -> &FreeAreas {
        &self.fa
    }
}

impl std::ops::DerefMut for ZoneGuard<'_> {
    fn deref_mut(&mut self) -> &mut FreeAreas {
        &mut self.fa
    }
}

impl Drop for ZoneGuard<'_> {
    fn drop(&mut self) {
        self.zone
            .free_orders
            .store(self.fa.free_orders, Ordering::Relaxed);
    }
}

impl FreeAreas {
    pub fn list(&mut self, order: usize, list: u8) -> &mut FreeList {
        if list == GLOBAL_LIST {
            &mut self.global
        } else {
            &mut self.free_area[order].free_list[list as usize]
        }
    }
}

/// Orders cached on the per-CPU lists: 0..=`PAGE_ALLOC_COSTLY_ORDER`, as
/// Linux ≥ 5.13 ("mm/page_alloc: allow high-order pages to be stored on
/// the per-cpu lists"). Linux adds a list for pageblock order when THP is
/// configured; usk has no THP, so it has none.
pub const NR_PCP_ORDERS: usize = PAGE_ALLOC_COSTLY_ORDER as usize + 1;
/// `NR_PCP_LISTS`: one list per (migrate type, order).
pub const NR_PCP_LISTS: usize = MIGRATE_PCPTYPES * NR_PCP_ORDERS;

/// `pcp_allowed_order()`.
#[inline]
pub fn pcp_allowed_order(order: u32) -> bool {
    order <= PAGE_ALLOC_COSTLY_ORDER
}

/// `order_to_pindex()`: the per-CPU list of `(mt, order)`.
#[inline]
pub fn order_to_pindex(mt: MigrateType, order: u32) -> usize {
    MIGRATE_PCPTYPES * order as usize + mt as usize
}

/// `pindex_to_order()`.
#[inline]
pub fn pindex_to_order(pindex: usize) -> u32 {
    (pindex / MIGRATE_PCPTYPES) as u32
}

/// `struct per_cpu_pages`: free blocks of orders 0..=3 cached per CPU.
/// `count` is in base pages (a block of order n counts 2^n), and so are
/// `high` and `batch`.
#[derive(Debug, Default)]
pub struct PerCpuPages {
    pub count: usize,
    pub high: usize,
    pub batch: usize,
    /// Frees that reached `high` since the last allocation double the
    /// pages sent back (`nr_pcp_free()`); an allocation halves it.
    pub free_factor: u32,
    pub lists: [FreeList; NR_PCP_LISTS],
}

/// Watermark indices.
pub const WMARK_MIN: usize = 0;
pub const WMARK_LOW: usize = 1;
pub const WMARK_HIGH: usize = 2;

/// `struct zone`.
pub struct Zone {
    pub name: &'static str,
    pub zone_type: ZoneType,
    pub node: usize,
    pub zone_start_pfn: Pfn,
    pub spanned_pages: usize,
    pub present_pages: usize,
    pub managed_pages: AtomicUsize,
    pub watermark: [AtomicUsize; 3],
    pub lowmem_reserve: [AtomicUsize; MAX_NR_ZONES],
    /// `zone->lock` and the free areas it protects.
    pub lock: Mutex<FreeAreas>,
    /// Per-CPU page lists (`zone->per_cpu_pageset`), each with its own lock
    /// as in Linux ≥ 5.19 (`pcp->lock`). Taking it costs one atomic
    /// exchange and dropping it a plain store; the allocation and free fast
    /// paths only try it (`pcp_spin_trylock`) and use the buddy when it is
    /// busy, so only drains and readers ever wait.
    pub pcp: Box<[HostSpinLock<PerCpuPages>]>,
    /// One migrate type per pageblock (`pageblock_flags`).
    pub pageblock_flags: Box<[AtomicU8]>,
    pub pageblock_order: u32,
    /// `vm_stat[NR_FREE_PAGES]` (buddy + nothing on pcp lists, as Linux).
    pub nr_free_pages: AtomicI64,
    /// Bit `o` set iff `free_area[o]` holds a free block: lets the
    /// watermark check look at free orders without the zone lock (Linux
    /// reads `free_area` racily for the same purpose). Published by
    /// [`ZoneGuard`] when the zone lock is released.
    pub free_orders: std::sync::atomic::AtomicU32,
    /// Pages in MIGRATE_HIGHATOMIC pageblocks (`nr_reserved_highatomic`),
    /// changed under `zone->lock`.
    pub nr_reserved_highatomic: AtomicUsize,
    /// `ZONE_RECLAIM_ACTIVE`: kswapd is reclaiming for this zone, so its
    /// per-CPU lists keep at most four batches (`nr_pcp_high()`).
    pub reclaim_active: AtomicBool,
    /// Per-zone `vm_stat` items other than NR_FREE_PAGES (see vmstat.rs).
    pub vm_stat: [AtomicI64; super::vmstat::NR_VM_ZONE_STAT_ITEMS],
}

impl Zone {
    /// Takes `zone->lock`.
    pub fn lock_zone(&self) -> ZoneGuard<'_> {
        ZoneGuard {
            zone: self,
            fa: self.lock.lock(),
        }
    }

    pub fn zone_end_pfn(&self) -> Pfn {
        self.zone_start_pfn + self.spanned_pages
    }
    pub fn populated(&self) -> bool {
        self.present_pages > 0
    }
    pub fn contains(&self, pfn: Pfn) -> bool {
        pfn >= self.zone_start_pfn && pfn < self.zone_end_pfn()
    }
    pub fn managed(&self) -> usize {
        self.managed_pages.load(Ordering::Relaxed)
    }
    pub fn wmark(&self, i: usize) -> usize {
        self.watermark[i].load(Ordering::Relaxed)
    }
    /// `__mod_zone_freepage_state()`: only ever called with `zone->lock`
    /// held, so a plain load + store suffices (readers are racy by design).
    #[inline]
    pub fn mod_free_pages(&self, delta: i64) {
        let v = self.nr_free_pages.load(Ordering::Relaxed);
        self.nr_free_pages.store(v + delta, Ordering::Relaxed);
    }
    pub fn free_pages(&self) -> i64 {
        self.nr_free_pages.load(Ordering::Relaxed)
    }
    /// Pageblocks are aligned to absolute pfns, as in Linux.
    #[inline]
    fn pb_index(&self, pfn: Pfn) -> usize {
        (pfn >> self.pageblock_order) - (self.zone_start_pfn >> self.pageblock_order)
    }
    /// `get_pageblock_migratetype()`.
    #[inline]
    pub fn get_pageblock_migratetype(&self, pfn: Pfn) -> MigrateType {
        MigrateType::from_u8(self.pageblock_flags[self.pb_index(pfn)].load(Ordering::Relaxed))
    }
    /// `set_pageblock_migratetype()`.
    pub fn set_pageblock_migratetype(&self, pfn: Pfn, mt: MigrateType) {
        self.pageblock_flags[self.pb_index(pfn)].store(mt as u8, Ordering::Relaxed);
    }
    pub fn nr_pageblocks(&self) -> usize {
        self.pageblock_flags.len()
    }
}

/// `pg_data_t`: a NUMA node.
pub struct PgData {
    pub node_id: usize,
    pub node_start_pfn: Pfn,
    pub node_spanned_pages: usize,
    pub zones: [Zone; MAX_NR_ZONES],
    /// `node_zonelists[ZONELIST_FALLBACK]`: (node, zone) of every populated
    /// zone, this node's first, each node's from the highest zone down.
    pub zonelist: Box<[(usize, usize)]>,
    /// Per-node `vm_stat` items (see vmstat.rs).
    pub vm_stat: [AtomicI64; super::vmstat::NR_VM_NODE_STAT_ITEMS],
}

/// Does `map[pfn]` head a free block of exactly `order`? (`page_is_buddy`)
#[inline]
pub(crate) fn page_is_buddy(map: &[Page], zone: &Zone, pfn: Pfn, order: u32) -> bool {
    zone.contains(pfn) && map[pfn].test(PageFlag::Buddy) && map[pfn].buddy_order() == order
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_list_ops() {
        let map: Vec<Page> = (0..8).map(|_| Page::new(0, 1)).collect();
        let mut l = FreeList::default();
        l.push_head(&map, 3);
        l.push_tail(&map, 5);
        l.push_head(&map, 1);
        assert_eq!(l.iter(&map).collect::<Vec<_>>(), vec![1, 3, 5]);
        l.remove(&map, 3);
        assert_eq!(l.iter(&map).collect::<Vec<_>>(), vec![1, 5]);
        assert_eq!(l.pop_tail(&map), Some(5));
        assert_eq!(l.pop_head(&map), Some(1));
        assert!(l.is_empty());
        assert_eq!(l.len, 0);
    }
}
