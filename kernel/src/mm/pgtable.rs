//! Software x86-64 four-level page tables (arch/x86/include/asm/pgtable*.h,
//! mm/pgtable-generic.c, the table allocation of mm/memory.c).
//!
//! Mechanism: PGD → PUD → PMD → PTE tables of 512 eight-byte entries, 9 bits
//! of the address per level, each table one 4 KiB frame from the buddy
//! allocator (so page tables show in /proc/meminfo `PageTables` and in
//! `VmPTE`). An entry is `pfn << 12 | bits` with x86's bit positions;
//! `_PAGE_PROTNONE` reuses the global bit exactly as Linux does, so a
//! PROT_NONE page keeps its frame but is not present to the walker.
//! Entries are read and written as atomic 64-bit words of physical memory;
//! a new table or page is fully initialised before the entry pointing at it
//! is published (release fence before the store, acquire fence after the
//! load), so a lock-free walker never sees a half-built table.
//!
//! Invariants: upper-level entries are set under `page_table_lock` and
//! cleared (tables freed) only with `mmap_lock` held for writing, so a
//! walker holding `mmap_lock` for reading may follow them without locks.
//! PTEs change under their table's split lock (`pte_lockptr`) with
//! `mmap_lock` held for reading, or with `mmap_lock` held for writing.
//! `pgtables_bytes` counts PUD, PMD and PTE tables; `NR_PAGETABLE` counts
//! those and the PGD.

use super::mm_types::{FaultError, MmStruct};
use super::page::Pfn;
use super::{gfp::*, vmstat, Mm, PAGE_SHIFT};
use crossbeam_utils::CachePadded;
use parking_lot::Mutex;
use std::sync::atomic::{fence, Ordering};

pub const _PAGE_PRESENT: u64 = 1 << 0;
pub const _PAGE_RW: u64 = 1 << 1;
pub const _PAGE_USER: u64 = 1 << 2;
pub const _PAGE_ACCESSED: u64 = 1 << 5;
pub const _PAGE_DIRTY: u64 = 1 << 6;
/// `_PAGE_PROTNONE`: the global bit, meaningful only without `_PAGE_PRESENT`.
pub const _PAGE_PROTNONE: u64 = 1 << 8;
pub const _PAGE_NX: u64 = 1 << 63;
/// `PTE_PFN_MASK` (52-bit physical addresses).
pub const PTE_PFN_MASK: u64 = 0x000f_ffff_ffff_f000;
/// `_PAGE_TABLE`: what an upper-level entry carries.
pub const _PAGE_TABLE: u64 = _PAGE_PRESENT | _PAGE_RW | _PAGE_USER | _PAGE_ACCESSED | _PAGE_DIRTY;

pub const PTRS_PER_TABLE: usize = 512;
pub const PMD_SHIFT: u32 = 21;
pub const PUD_SHIFT: u32 = 30;
pub const PGDIR_SHIFT: u32 = 39;
/// Levels below the PGD: PUD = 2, PMD = 1, PTE table = 0.
pub const PGD_LEVEL: u32 = 3;

/// `GFP_PGTABLE_USER`.
pub const GFP_PGTABLE_USER: Gfp = GFP_KERNEL_ACCOUNT.union(__GFP_ZERO);

/// Number of split PTE locks per address space.
const NR_PTLS: usize = 64;

/// The split PTE locks of one address space, one per PTE table (hashed).
pub struct PtlTable([CachePadded<Mutex<()>>; NR_PTLS]);

impl Default for PtlTable {
    fn default() -> Self {
        PtlTable(std::array::from_fn(|_| CachePadded::new(Mutex::new(()))))
    }
}

#[inline]
pub fn pte_pfn(pte: u64) -> Pfn {
    ((pte & PTE_PFN_MASK) >> PAGE_SHIFT) as Pfn
}

/// `pte_present()`: mapped, possibly PROT_NONE.
#[inline]
pub fn pte_present(pte: u64) -> bool {
    pte & (_PAGE_PRESENT | _PAGE_PROTNONE) != 0
}

/// The index of `addr` in its table at `level` (0 = PTE table, 3 = PGD).
#[inline]
pub fn table_index(addr: u64, level: u32) -> usize {
    ((addr >> (PAGE_SHIFT + 9 * level)) & 511) as usize
}

#[inline]
fn entry_addr(table: Pfn, idx: usize) -> u64 {
    ((table as u64) << PAGE_SHIFT) + (idx as u64) * 8
}

/// Reads entry `idx` of the table in frame `table`; the acquire fence pairs
/// with [`set_entry`]'s release fence.
#[inline]
pub(crate) fn read_entry(sys: &Mm, table: Pfn, idx: usize) -> u64 {
    let v = sys.physmem.read_u64(entry_addr(table, idx)).unwrap_or(0);
    fence(Ordering::Acquire);
    v
}

/// Publishes entry `idx` of `table`: everything written before (a zeroed
/// table, a filled page) is visible to a walker that reads the entry.
#[inline]
pub(crate) fn set_entry(sys: &Mm, table: Pfn, idx: usize, v: u64) {
    fence(Ordering::Release);
    let _ = sys.physmem.write_u64(entry_addr(table, idx), v);
}

fn table_is_empty(sys: &Mm, table: Pfn) -> bool {
    (0..PTRS_PER_TABLE).all(|i| read_entry(sys, table, i) == 0)
}

impl MmStruct {
    /// `pte_lockptr()`: the split lock of the PTE table in frame `pt`.
    #[inline]
    pub(crate) fn pte_lockptr(&self, pt: Pfn) -> &Mutex<()> {
        &self.ptl.0[pt % NR_PTLS]
    }

    /// Walks to the PTE table covering `addr`, if every level exists.
    #[inline]
    pub(crate) fn pte_table(&self, sys: &Mm, addr: u64) -> Option<Pfn> {
        let mut t = self.pgd.load(Ordering::Acquire);
        if t == 0 {
            return None;
        }
        for level in (1..=PGD_LEVEL).rev() {
            let e = read_entry(sys, t, table_index(addr, level));
            if e & _PAGE_PRESENT == 0 {
                return None;
            }
            t = pte_pfn(e);
        }
        Some(t)
    }

    /// The PTE mapping `addr` (0 if none).
    pub(crate) fn read_pte(&self, sys: &Mm, addr: u64) -> u64 {
        self.pte_table(sys, addr)
            .map_or(0, |pt| read_entry(sys, pt, table_index(addr, 0)))
    }

    fn account_pgtable(&self, sys: &Mm, pfn: Pfn, level: u32, pages: i64) {
        let nid = sys.mem_map[pfn].page_to_nid();
        sys.nodes[nid].vm_stat[vmstat::NR_PAGETABLE].fetch_add(pages, Ordering::Relaxed);
        if level < PGD_LEVEL {
            self.pgtables_bytes
                .fetch_add(pages * super::PAGE_SIZE as i64, Ordering::Relaxed);
        }
    }

    /// `pte_free()`/`pmd_free()`/`pud_free()`/`pgd_free()`.
    pub(crate) fn free_pgtable_page(&self, sys: &Mm, pfn: Pfn, level: u32) {
        self.account_pgtable(sys, pfn, level, -1);
        sys.__free_pages(pfn, 0);
    }

    /// `pgd_alloc()` on first use.
    fn pgd_get_or_alloc(&self, sys: &Mm) -> Result<Pfn, FaultError> {
        let t = self.pgd.load(Ordering::Acquire);
        if t != 0 {
            return Ok(t);
        }
        let new = sys
            .alloc_pages(GFP_PGTABLE_USER, 0)
            .ok_or(FaultError::Oom)?;
        let _g = self.page_table_lock.lock();
        let t = self.pgd.load(Ordering::Acquire);
        if t != 0 {
            sys.__free_pages(new, 0);
            return Ok(t);
        }
        self.account_pgtable(sys, new, PGD_LEVEL, 1);
        self.pgd.store(new, Ordering::Release);
        Ok(new)
    }

    /// `__pte_alloc()` & co.: the PTE table covering `addr`, allocating
    /// missing levels. The new table is allocated before `page_table_lock`
    /// is taken; a racing thread that installed one first wins.
    pub(crate) fn pte_alloc(&self, sys: &Mm, addr: u64) -> Result<Pfn, FaultError> {
        let mut t = self.pgd_get_or_alloc(sys)?;
        for level in (1..=PGD_LEVEL).rev() {
            let idx = table_index(addr, level);
            let e = read_entry(sys, t, idx);
            if e & _PAGE_PRESENT != 0 {
                t = pte_pfn(e);
                continue;
            }
            let new = sys
                .alloc_pages(GFP_PGTABLE_USER, 0)
                .ok_or(FaultError::Oom)?;
            let g = self.page_table_lock.lock();
            let e = read_entry(sys, t, idx);
            if e & _PAGE_PRESENT != 0 {
                drop(g);
                sys.__free_pages(new, 0);
                t = pte_pfn(e);
                continue;
            }
            self.account_pgtable(sys, new, level - 1, 1);
            set_entry(sys, t, idx, ((new as u64) << PAGE_SHIFT) | _PAGE_TABLE);
            t = new;
        }
        Ok(t)
    }

    /// Calls `f(pte_table, addr, lo, hi)` for every existing PTE table
    /// covering `[start, end)` (page aligned), with `addr` the address of
    /// entry `lo` and `hi` exclusive.
    pub(crate) fn for_each_pte_table(
        &self,
        sys: &Mm,
        start: u64,
        end: u64,
        mut f: impl FnMut(Pfn, u64, usize, usize),
    ) {
        let pgd = self.pgd.load(Ordering::Acquire);
        if pgd == 0 {
            return;
        }
        let mut addr = start;
        'outer: while addr < end {
            let mut t = pgd;
            for level in (1..=PGD_LEVEL).rev() {
                let e = read_entry(sys, t, table_index(addr, level));
                if e & _PAGE_PRESENT == 0 {
                    // skip what this missing entry would have covered
                    let span = 1u64 << (PAGE_SHIFT + 9 * level);
                    addr = ((addr & !(span - 1)) + span).min(end);
                    continue 'outer;
                }
                t = pte_pfn(e);
            }
            let span = 1u64 << PMD_SHIFT;
            let next = ((addr & !(span - 1)) + span).min(end);
            let lo = table_index(addr, 0);
            f(t, addr, lo, lo + ((next - addr) >> PAGE_SHIFT) as usize);
            addr = next;
        }
    }

    /// `free_pgtables()`: frees every page-table page below the PGD whose
    /// entries are all empty within `[start, end)`. Caller holds
    /// `mmap_lock` for writing.
    pub(crate) fn free_pgtables(&self, sys: &Mm, start: u64, end: u64) {
        let pgd = self.pgd.load(Ordering::Acquire);
        if pgd != 0 && start < end {
            self.free_empty_below(sys, pgd, PGD_LEVEL, start, end);
        }
    }

    fn free_empty_below(&self, sys: &Mm, table: Pfn, level: u32, start: u64, end: u64) {
        let shift = PAGE_SHIFT + 9 * level;
        let mut addr = start;
        while addr < end {
            let next = (((addr >> shift) + 1) << shift).min(end);
            let idx = table_index(addr, level);
            let e = read_entry(sys, table, idx);
            if e & _PAGE_PRESENT != 0 {
                let child = pte_pfn(e);
                if level > 1 {
                    self.free_empty_below(sys, child, level - 1, addr, next);
                }
                if table_is_empty(sys, child) {
                    set_entry(sys, table, idx, 0);
                    self.free_pgtable_page(sys, child, level - 1);
                }
            }
            addr = next;
        }
    }

    /// Frees every page-table page, the PGD included (exit). Data PTEs must
    /// already be zapped. Caller holds `mmap_lock` for writing.
    pub(crate) fn free_all_pgtables(&self, sys: &Mm) {
        let pgd = self.pgd.swap(0, Ordering::AcqRel);
        if pgd == 0 {
            return;
        }
        self.free_all_below(sys, pgd, PGD_LEVEL);
        self.free_pgtable_page(sys, pgd, PGD_LEVEL);
    }

    fn free_all_below(&self, sys: &Mm, table: Pfn, level: u32) {
        for idx in 0..PTRS_PER_TABLE {
            let e = read_entry(sys, table, idx);
            if e & _PAGE_PRESENT != 0 {
                let child = pte_pfn(e);
                if level > 1 {
                    self.free_all_below(sys, child, level - 1);
                }
                set_entry(sys, table, idx, 0);
                self.free_pgtable_page(sys, child, level - 1);
            }
        }
    }
}
