//! The object behind a shared anonymous mapping: Linux's mm/shmem.c as
//! `shmem_zero_setup()` uses it for MAP_SHARED|MAP_ANONYMOUS.
//!
//! Mechanism: a page cache indexed by page offset. The first fault at an
//! offset allocates a zeroed page and inserts it (the cache holds one
//! reference); every PTE mapping it holds another. Because the pages live
//! here and not only in page tables, a parent and a child after fork, or
//! two mremap'd views, see the same memory even for pages first touched
//! after the fork.
//!
//! Invariants: each cached page holds exactly one cache reference and is
//! counted once in `NR_FILE_PAGES` and `NR_SHMEM`; the cache references are
//! dropped when the last VMA using the object goes away (the `Drop` of the
//! object, which runs on a thread of the owning kernel).

use super::gfp::{__GFP_ZERO, GFP_HIGHUSER_MOVABLE};
use super::mm_types::FaultError;
use super::page::{PageFlag, Pfn};
use super::{vmstat, Mm};
use parking_lot::Mutex;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// A shmem inode's page cache.
pub struct ShmemFile {
    /// Inode number on the internal shmem mount (device 00:01).
    pub i_ino: u64,
    pages: Mutex<BTreeMap<u64, Pfn>>,
    owner: crate::kernel::sched::current::OwnerKernel,
}

/// `get_next_ino()`: inode numbers of the internal shmem mount (one
/// counter for the host process, so they are unique but not reproducible
/// across runs that create shmem objects in a different order).
static NEXT_INO: AtomicU64 = AtomicU64::new(1024);

impl ShmemFile {
    /// `shmem_kernel_file_setup("dev/zero")`.
    pub fn new() -> ShmemFile {
        ShmemFile {
            i_ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
            pages: Mutex::new(BTreeMap::new()),
            owner: crate::kernel::sched::current::OwnerKernel::current(),
        }
    }

    /// Pages in the cache.
    pub fn nr_pages(&self) -> usize {
        self.pages.lock().len()
    }

    fn account(sys: &Mm, pfn: Pfn, delta: i64) {
        let nid = sys.mem_map[pfn].page_to_nid();
        for item in [vmstat::NR_FILE_PAGES, vmstat::NR_SHMEM] {
            sys.nodes[nid].vm_stat[item].fetch_add(delta, Ordering::Relaxed);
        }
    }

    /// `shmem_get_folio(SGP_CACHE)` + `get_page()`: the page at `pgoff`,
    /// allocated zeroed on first use, with a reference for the caller.
    pub(crate) fn get_page(&self, sys: &Mm, pgoff: u64) -> Result<Pfn, FaultError> {
        if let Some(&pfn) = self.pages.lock().get(&pgoff) {
            sys.get_page(pfn);
            return Ok(pfn);
        }
        // allocate without the cache lock: the allocator may compact
        let new = sys
            .alloc_pages(GFP_HIGHUSER_MOVABLE | __GFP_ZERO, 0)
            .ok_or(FaultError::Oom)?;
        let mut c = self.pages.lock();
        if let Some(&pfn) = c.get(&pgoff) {
            sys.get_page(pfn);
            drop(c);
            sys.__free_pages(new, 0);
            return Ok(pfn);
        }
        let p = &sys.mem_map[new];
        p.set(PageFlag::Swapbacked);
        p.set(PageFlag::Uptodate);
        p.index.store(pgoff, Ordering::Relaxed);
        Self::account(sys, new, 1);
        c.insert(pgoff, new);
        sys.get_page(new);
        Ok(new)
    }
}

impl Default for ShmemFile {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for ShmemFile {
    /// The last mapping went away: truncate the cache.
    fn drop(&mut self) {
        if !self.owner.is_current() {
            return;
        }
        let k = crate::init::kernel::kernel();
        for (_, pfn) in std::mem::take(&mut *self.pages.lock()) {
            Self::account(&k.mm, pfn, -1);
            k.mm.put_page(pfn);
        }
    }
}
