//! `struct page` and the `mem_map`: one descriptor per physical page frame.
//!
//! Mechanism: Linux's `struct page` (include/linux/mm_types.h) with atomic
//! page-flag bits (`PG_locked`, `PG_referenced`, … in the 5.x bit order, so
//! `%pGp` prints the same names), `_refcount`, `_mapcount` (−1 = unmapped),
//! `mapping`, `index`, `private`; the node and zone a page belongs to live
//! in the top bits of `flags` as in Linux (`page_zone()`/`page_to_nid()`).
//! The `lru` links thread the page onto a buddy free list or a per-CPU list.
//!
//! Invariants: `lru` links are only touched under the lock of the list the
//! page is on (zone->lock or the per-CPU list's lock); a page with `PG_buddy`
//! set is free, is the head of a free block of order `private`, and sits on
//! exactly one free list whose migrate type is stored in `index`; every other
//! field is an atomic and may be read racily (as Linux's dump code does).
//! usk keeps `PG_buddy` as a flag bit where Linux uses a page *type* stored in
//! `_mapcount`; the semantics are the same.

use std::sync::atomic::{AtomicI32, AtomicU32, AtomicU64, Ordering};

/// A page frame number.
pub type Pfn = usize;

/// "No page" in an `lru` link.
pub const NIL: u32 = u32::MAX;

/// `enum pageflags`, Linux 5.x order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum PageFlag {
    Locked = 0,
    Referenced,
    Uptodate,
    Dirty,
    Lru,
    Active,
    Workingset,
    Waiters,
    Error,
    Slab,
    OwnerPriv1,
    Arch1,
    Reserved,
    Private,
    Private2,
    Writeback,
    Head,
    Mappedtodisk,
    /// Also `PG_isolated` for non-LRU movable pages, as in Linux.
    Reclaim,
    Swapbacked,
    Unevictable,
    Mlocked,
    /// usk: Linux's `PageBuddy` page type.
    Buddy,
}

pub const NR_PAGEFLAGS: u32 = PageFlag::Buddy as u32 + 1;
/// `PG_isolated` aliases `PG_reclaim` (include/linux/page-flags.h).
pub const PG_ISOLATED: PageFlag = PageFlag::Reclaim;

/// Names for `%pGp` (`__def_pageflag_names`), in Linux's print order.
pub const PAGEFLAG_NAMES: &[(PageFlag, &str)] = &[
    (PageFlag::Locked, "locked"),
    (PageFlag::Waiters, "waiters"),
    (PageFlag::Error, "error"),
    (PageFlag::Referenced, "referenced"),
    (PageFlag::Uptodate, "uptodate"),
    (PageFlag::Dirty, "dirty"),
    (PageFlag::Lru, "lru"),
    (PageFlag::Active, "active"),
    (PageFlag::Workingset, "workingset"),
    (PageFlag::Slab, "slab"),
    (PageFlag::OwnerPriv1, "owner_priv_1"),
    (PageFlag::Arch1, "arch_1"),
    (PageFlag::Reserved, "reserved"),
    (PageFlag::Private, "private"),
    (PageFlag::Private2, "private_2"),
    (PageFlag::Writeback, "writeback"),
    (PageFlag::Head, "head"),
    (PageFlag::Mappedtodisk, "mappedtodisk"),
    (PageFlag::Reclaim, "reclaim"),
    (PageFlag::Swapbacked, "swapbacked"),
    (PageFlag::Unevictable, "unevictable"),
    (PageFlag::Mlocked, "mlocked"),
    (PageFlag::Buddy, "buddy"),
];

/// Node id lives in bits 52..62 of `flags`, zone index in bits 62..64.
pub const NODES_PGSHIFT: u32 = 52;
pub const NODES_MASK: u64 = (1 << 10) - 1;
pub const ZONES_PGSHIFT: u32 = 62;
pub const ZONES_MASK: u64 = 3;
pub const PAGEFLAGS_MASK: u64 = (1 << NR_PAGEFLAGS) - 1;

/// Flags that must be clear when a page is freed (`PAGE_FLAGS_CHECK_AT_FREE`).
pub const PAGE_FLAGS_CHECK_AT_FREE: u64 = (1 << PageFlag::Lru as u32)
    | (1 << PageFlag::Locked as u32)
    | (1 << PageFlag::Private as u32)
    | (1 << PageFlag::Private2 as u32)
    | (1 << PageFlag::Writeback as u32)
    | (1 << PageFlag::Reserved as u32)
    | (1 << PageFlag::Slab as u32)
    | (1 << PageFlag::Active as u32)
    | (1 << PageFlag::Unevictable as u32)
    | (1 << PageFlag::Mlocked as u32)
    | (1 << PageFlag::Buddy as u32);

/// Low bit of `mapping` marking a non-LRU movable page whose mapping is a
/// `movable_operations` id (`PAGE_MAPPING_MOVABLE`).
pub const PAGE_MAPPING_MOVABLE: u64 = 0x2;

/// `struct page`: 64 bytes and cache-line aligned as on x86-64 Linux, so
/// a page's flags, counts and list links share one cache line.
#[derive(Debug)]
#[repr(align(64))]
pub struct Page {
    pub flags: AtomicU64,
    pub _refcount: AtomicI32,
    pub _mapcount: AtomicI32,
    pub mapping: AtomicU64,
    pub index: AtomicU64,
    pub private: AtomicU64,
    /// For a tail page of a compound page: head pfn + 1; 0 otherwise.
    pub compound_head: AtomicU64,
    pub(crate) lru_next: AtomicU32,
    pub(crate) lru_prev: AtomicU32,
}

impl Page {
    pub(crate) fn new(node: usize, zone: usize) -> Page {
        Page {
            flags: AtomicU64::new(
                ((node as u64 & NODES_MASK) << NODES_PGSHIFT)
                    | ((zone as u64 & ZONES_MASK) << ZONES_PGSHIFT)
                    | (1 << PageFlag::Reserved as u32),
            ),
            _refcount: AtomicI32::new(1),
            _mapcount: AtomicI32::new(-1),
            mapping: AtomicU64::new(0),
            index: AtomicU64::new(0),
            private: AtomicU64::new(0),
            compound_head: AtomicU64::new(0),
            lru_next: AtomicU32::new(NIL),
            lru_prev: AtomicU32::new(NIL),
        }
    }

    #[inline]
    pub fn test(&self, f: PageFlag) -> bool {
        self.flags.load(Ordering::Acquire) & (1 << f as u32) != 0
    }
    #[inline]
    pub fn set(&self, f: PageFlag) {
        self.flags.fetch_or(1 << f as u32, Ordering::AcqRel);
    }
    #[inline]
    pub fn clear(&self, f: PageFlag) {
        self.flags.fetch_and(!(1 << f as u32), Ordering::AcqRel);
    }
    /// `__SetPageX`: non-atomic set, for a page nobody else may write
    /// (a free page under zone->lock, a page being prepared for its owner).
    #[inline]
    pub fn __set(&self, f: PageFlag) {
        let v = self.flags.load(Ordering::Relaxed);
        self.flags.store(v | (1 << f as u32), Ordering::Release);
    }
    /// `__ClearPageX`: non-atomic clear (see [`Page::__set`]).
    #[inline]
    pub fn __clear(&self, f: PageFlag) {
        let v = self.flags.load(Ordering::Relaxed);
        self.flags.store(v & !(1 << f as u32), Ordering::Release);
    }
    /// `TestSetPageLocked` & co.
    #[inline]
    pub fn test_and_set(&self, f: PageFlag) -> bool {
        self.flags.fetch_or(1 << f as u32, Ordering::AcqRel) & (1 << f as u32) != 0
    }
    #[inline]
    pub fn test_and_clear(&self, f: PageFlag) -> bool {
        self.flags.fetch_and(!(1 << f as u32), Ordering::AcqRel) & (1 << f as u32) != 0
    }
    pub fn page_zonenum(&self) -> usize {
        ((self.flags.load(Ordering::Relaxed) >> ZONES_PGSHIFT) & ZONES_MASK) as usize
    }
    pub fn page_to_nid(&self) -> usize {
        ((self.flags.load(Ordering::Relaxed) >> NODES_PGSHIFT) & NODES_MASK) as usize
    }
    pub fn page_ref_count(&self) -> i32 {
        self._refcount.load(Ordering::Acquire)
    }
    /// `page_mapcount()`: number of PTEs mapping the page.
    pub fn page_mapcount(&self) -> i32 {
        self._mapcount.load(Ordering::Acquire) + 1
    }
    pub fn page_mapped(&self) -> bool {
        self.page_mapcount() > 0
    }
    /// `buddy_order()`; only meaningful under zone->lock with PG_buddy set.
    pub(crate) fn buddy_order(&self) -> u32 {
        self.private.load(Ordering::Relaxed) as u32
    }
    /// `__PageMovable()`.
    pub fn page_movable(&self) -> bool {
        self.mapping.load(Ordering::Acquire) & PAGE_MAPPING_MOVABLE != 0
    }
    pub fn is_tail(&self) -> bool {
        self.compound_head.load(Ordering::Acquire) != 0
    }
}

/// `%pGp`: `0x…(referenced|uptodate|node=0|zone=1)`.
pub fn format_page_flags(flags: u64) -> String {
    let main = flags & PAGEFLAGS_MASK;
    let mut s = format!("{flags:#x}(");
    if main != 0 {
        s.push_str(&super::gfp::format_flags(
            main,
            PAGEFLAG_NAMES.iter().map(|&(f, n)| (1u64 << f as u32, n)),
        ));
        s.push('|');
    }
    s.push_str(&format!(
        "node={}|zone={})",
        (flags >> NODES_PGSHIFT) & NODES_MASK,
        (flags >> ZONES_PGSHIFT) & ZONES_MASK
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_and_format() {
        let p = Page::new(1, 1);
        assert!(p.test(PageFlag::Reserved));
        p.clear(PageFlag::Reserved);
        p.set(PageFlag::Uptodate);
        p.set(PageFlag::Referenced);
        assert_eq!(p.page_to_nid(), 1);
        assert_eq!(p.page_zonenum(), 1);
        let f = p.flags.load(Ordering::Relaxed);
        assert_eq!(
            format_page_flags(f),
            format!("{f:#x}(referenced|uptodate|node=1|zone=1)")
        );
        assert!(!p.test_and_set(PageFlag::Locked));
        assert!(p.test_and_set(PageFlag::Locked));
        assert_eq!(p.page_mapcount(), 0);
    }
}
