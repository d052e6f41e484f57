//! Page faults and the PTE-level work of the mapping calls: Linux's
//! mm/memory.c (`handle_mm_fault`, `do_anonymous_page`, `do_wp_page`,
//! `zap_pte_range`, `copy_page_range`, `exit_mmap`), `change_pte_range`
//! (mm/mprotect.c), `move_page_tables` (mm/mremap.c), `expand_stack` and
//! x86's `do_user_addr_fault`/`access_error`.
//!
//! Mechanism: a fault finds the VMA (growing a `VM_GROWSDOWN` stack within
//! RLIMIT_STACK and the guard gap), checks the access against `vm_flags`,
//! and then either maps a new zeroed page (private), the shmem page at the
//! offset (shared), or breaks copy-on-write: a private page mapped once is
//! reused in place, otherwise it is copied to a new page and the old one
//! loses a mapping and a reference. Fork write-protects private writable
//! PTEs in both address spaces and shares the pages.
//!
//! Invariants: a present PTE holds one `_refcount` and one `_mapcount` of
//! its page, counted in the VMA's rss counter (`MM_ANONPAGES` or
//! `MM_SHMEMPAGES`); `NR_ANON_PAGES` (private) / `NR_MAPPED` (shmem) count
//! pages mapped at least once; pages are allocated and freed with no PTE
//! lock held; a fault never holds a split PTE lock while it allocates.

use super::mm_types::*;
use super::page::{PageFlag, Pfn};
use super::pgtable::*;
use super::{gfp::*, vmstat, Mm, PAGE_SHIFT};
use parking_lot::{RwLockReadGuard, RwLockWriteGuard};
use std::sync::atomic::Ordering;
use uapi::errno::{Errno, ENOMEM};

/// `vm_get_page_prot()`: the PTE bits a VMA's pages get. Private mappings
/// are never writable here (write access comes from the fault, so COW
/// works); a mapping with no access is `_PAGE_PROTNONE`, not present.
pub fn vm_get_page_prot(vm_flags: u64) -> u64 {
    if vm_flags & (VM_READ | VM_WRITE | VM_EXEC) == 0 {
        return _PAGE_PROTNONE | _PAGE_NX;
    }
    let mut p = _PAGE_PRESENT | _PAGE_USER;
    if vm_flags & VM_EXEC == 0 {
        p |= _PAGE_NX;
    }
    if vm_flags & (VM_SHARED | VM_WRITE) == VM_SHARED | VM_WRITE {
        p |= _PAGE_RW;
    }
    p
}

/// `mk_pte()`.
#[inline]
fn mk_pte(pfn: Pfn, prot: u64) -> u64 {
    ((pfn as u64) << PAGE_SHIFT) | prot
}

/// What a new mapping maps, for `page_add_rmap`.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mapping {
    /// A shared (shmem/file) page: counted in `NR_MAPPED`, never charged.
    Shmem,
    /// A private page, charged to the memory cgroup here.
    Anon,
    /// A private page whose charge the caller already made (the fault
    /// path's `mem_cgroup_charge()`, which may fail at the limit).
    AnonCharged,
}

impl MmStruct {
    /// Adds the mapping of `pfn` at `addr` (`page_add_*_rmap`): the first
    /// one counts the page in the node's vmstat and, for a private page,
    /// makes it movable (reverse-mapped, see rmap.rs).
    pub(crate) fn page_add_rmap(&self, sys: &Mm, pfn: Pfn, kind: Mapping, addr: u64) {
        let shmem = kind == Mapping::Shmem;
        let p = &sys.mem_map[pfn];
        if !shmem {
            sys.anon_rmap.add(pfn, &self.this, addr);
        }
        if p._mapcount.fetch_add(1, Ordering::AcqRel) == -1 {
            let item = if shmem {
                vmstat::NR_MAPPED
            } else {
                p.index.store(addr >> PAGE_SHIFT, Ordering::Relaxed);
                if let Some(id) = sys.anon_rmap.movable_id() {
                    sys.set_page_movable(pfn, id);
                }
                vmstat::NR_ANON_PAGES
            };
            sys.nodes[p.page_to_nid()].vm_stat[item].fetch_add(1, Ordering::Relaxed);
        }
        self.add_mm_counter(if shmem { MM_SHMEMPAGES } else { MM_ANONPAGES }, 1);
        if kind == Mapping::Anon {
            if let Some(cg) = self.memcg() {
                cg.res.charge_force(crate::mm::PAGE_SIZE as i64);
            }
        }
    }

    /// `page_remove_rmap()`: drops the mapping at `addr` (not the
    /// reference); the last one clears the movable mark before the caller
    /// drops the reference.
    pub(crate) fn page_remove_rmap(&self, sys: &Mm, pfn: Pfn, shmem: bool, addr: u64) {
        let p = &sys.mem_map[pfn];
        if !shmem {
            sys.anon_rmap.remove(pfn, &self.this, addr);
        }
        if p._mapcount.fetch_sub(1, Ordering::AcqRel) == 0 {
            let item = if shmem {
                vmstat::NR_MAPPED
            } else {
                sys.clear_page_movable(pfn);
                vmstat::NR_ANON_PAGES
            };
            sys.nodes[p.page_to_nid()].vm_stat[item].fetch_sub(1, Ordering::Relaxed);
        }
        self.add_mm_counter(if shmem { MM_SHMEMPAGES } else { MM_ANONPAGES }, -1);
        if !shmem {
            if let Some(cg) = self.memcg() {
                cg.res.uncharge(crate::mm::PAGE_SIZE as i64);
            }
        }
    }

    /// The memory cgroup this address space charges (`None`: the root).
    pub fn memcg(&self) -> Option<std::sync::Arc<crate::kernel::cgroup::MemCgroup>> {
        self.memcg.lock().clone()
    }

    /// Charge this address space to `cg` from now on, moving the charge
    /// of its resident private pages along (v1's
    /// `memory.move_charge_at_immigrate`, always on here, so that a
    /// group's usage is exactly its processes' private RSS).
    pub fn set_memcg(&self, cg: Option<std::sync::Arc<crate::kernel::cgroup::MemCgroup>>) {
        let _layout = self.mmap_lock.write();
        let mut cur = self.memcg.lock();
        let bytes = (self.get_mm_counter(MM_ANONPAGES) * crate::mm::PAGE_SIZE as u64) as i64;
        if let Some(old) = cur.take() {
            old.res.uncharge(bytes);
        }
        if let Some(new) = &cg {
            new.res.charge_force(bytes);
        }
        *cur = cg;
    }

    /// x86 `do_user_addr_fault()` for a user address: resolves a fault at
    /// `addr` with `mmap_lock` held for reading (the guard may be swapped
    /// for a new one when the stack has to grow, which needs the write lock).
    pub(crate) fn do_user_addr_fault<'a>(
        &'a self,
        sys: &Mm,
        mut g: RwLockReadGuard<'a, MmLayout>,
        addr: u64,
        write: bool,
    ) -> (RwLockReadGuard<'a, MmLayout>, Result<(), FaultError>) {
        let segv = |code| Err(FaultError::Segv { addr, code });
        if addr >= TASK_SIZE {
            return (g, segv(SEGV_MAPERR));
        }
        let vma = match g.find_vma(addr) {
            None => return (g, segv(SEGV_MAPERR)),
            Some(v) if v.vm_start <= addr => v.clone(),
            Some(v) if v.vm_flags & VM_GROWSDOWN == 0 => return (g, segv(SEGV_MAPERR)),
            Some(_) => {
                drop(g);
                let mut w = self.mmap_lock.write();
                let grown = expand_stack(&mut w, addr);
                g = RwLockWriteGuard::downgrade(w);
                if !grown {
                    return (g, segv(SEGV_MAPERR));
                }
                match g.vma_lookup(addr) {
                    Some(v) => v.clone(),
                    None => return (g, segv(SEGV_MAPERR)),
                }
            }
        };
        // access_error()
        if (write && vma.vm_flags & VM_WRITE == 0) || (!write && !vma.is_accessible()) {
            return (g, segv(SEGV_ACCERR));
        }
        let r = self.handle_mm_fault(sys, &vma, addr, write);
        (g, r)
    }

    /// `handle_mm_fault()` → `handle_pte_fault()` for an access the VMA allows.
    pub(crate) fn handle_mm_fault(
        &self,
        sys: &Mm,
        vma: &Vma,
        addr: u64,
        write: bool,
    ) -> Result<(), FaultError> {
        let addr = addr & !0xfff;
        let pt = self.pte_alloc(sys, addr)?;
        let idx = table_index(addr, 0);
        let pte = {
            let _l = self.pte_lockptr(pt).lock();
            let pte = read_entry(sys, pt, idx);
            if pte_present(pte) {
                let mut new = pte;
                if pte & _PAGE_PRESENT == 0 {
                    // PROT_NONE entry in a VMA that allows access again
                    new = (pte & (PTE_PFN_MASK | _PAGE_ACCESSED | _PAGE_DIRTY))
                        | vm_get_page_prot(vma.vm_flags);
                }
                if write && new & _PAGE_RW == 0 {
                    if vma.vm_file.is_some() {
                        // wp_page_shared(): shared pages are written in place
                        new |= _PAGE_RW;
                    } else if sys.mem_map[pte_pfn(pte)].page_mapcount() == 1 {
                        // wp_page_reuse(): nobody else maps it
                        new |= _PAGE_RW;
                    } else {
                        new = 0;
                    }
                }
                if new != 0 {
                    new |= _PAGE_ACCESSED | if write { _PAGE_DIRTY } else { 0 };
                    if new != pte {
                        set_entry(sys, pt, idx, new);
                    }
                    return Ok(());
                }
            }
            pte
        };
        if pte == 0 {
            match &vma.vm_file {
                None => self.do_anonymous_page(sys, vma, pt, addr, write),
                Some(f) => {
                    let pgoff = vma.vm_pgoff + ((addr - vma.vm_start) >> PAGE_SHIFT);
                    let pfn = f.get_page(sys, pgoff)?;
                    let entry = mk_pte(pfn, vm_get_page_prot(vma.vm_flags))
                        | _PAGE_ACCESSED
                        | if write { _PAGE_DIRTY } else { 0 };
                    self.install_pte(sys, pt, addr, pfn, entry, Mapping::Shmem);
                    Ok(())
                }
            }
        } else {
            self.wp_page_copy(sys, vma, pt, addr, pte)
        }
    }

    /// Maps `pfn` (holding a reference for the PTE) at the empty slot, or
    /// drops the reference if another thread got there first (`false`).
    fn install_pte(
        &self,
        sys: &Mm,
        pt: Pfn,
        addr: u64,
        pfn: Pfn,
        entry: u64,
        kind: Mapping,
    ) -> bool {
        let idx = table_index(addr, 0);
        let l = self.pte_lockptr(pt).lock();
        if read_entry(sys, pt, idx) != 0 {
            drop(l);
            sys.put_page(pfn);
            return false;
        }
        self.page_add_rmap(sys, pfn, kind, addr);
        set_entry(sys, pt, idx, entry);
        true
    }

    /// `do_anonymous_page()`: a zeroed page (usk has no shared zero page,
    /// so a read fault allocates too; the PTE stays clean until written).
    fn do_anonymous_page(
        &self,
        sys: &Mm,
        vma: &Vma,
        pt: Pfn,
        addr: u64,
        write: bool,
    ) -> Result<(), FaultError> {
        // mem_cgroup_charge(): charge the page to the group first; a group
        // at its limit fails the fault. The mapping keeps the charge (it is
        // dropped when the page is unmapped), so it is undone only if the
        // page never gets mapped.
        let cg = self.memcg();
        if let Some(cg) = &cg {
            cg.charge_pages(1).map_err(|_| FaultError::Memcg)?;
        }
        let uncharge = || {
            if let Some(cg) = &cg {
                cg.uncharge_pages(1);
            }
        };
        let Some(pfn) = sys.alloc_pages(GFP_HIGHUSER_MOVABLE | __GFP_ZERO, 0) else {
            uncharge();
            return Err(FaultError::Oom);
        };
        sys.mem_map[pfn].set(PageFlag::Swapbacked);
        let mut entry = mk_pte(pfn, vm_get_page_prot(vma.vm_flags)) | _PAGE_ACCESSED;
        if vma.vm_flags & VM_WRITE != 0 {
            entry |= _PAGE_RW;
        }
        if write {
            entry |= _PAGE_DIRTY;
        }
        if !self.install_pte(sys, pt, addr, pfn, entry, Mapping::AnonCharged) {
            uncharge();
        }
        Ok(())
    }

    /// `wp_page_copy()`: break COW on the shared private page `old_pte`
    /// maps: copy it to a new page and switch the PTE, unless the PTE
    /// changed meanwhile (another thread resolved the fault).
    fn wp_page_copy(
        &self,
        sys: &Mm,
        vma: &Vma,
        pt: Pfn,
        addr: u64,
        old_pte: u64,
    ) -> Result<(), FaultError> {
        let idx = table_index(addr, 0);
        let old = pte_pfn(old_pte);
        sys.get_page(old);
        let Some(new) = sys.alloc_pages(GFP_HIGHUSER_MOVABLE, 0) else {
            sys.put_page(old);
            return Err(FaultError::Oom);
        };
        let _ = sys.physmem.copy_frame(new, old);
        sys.mem_map[new].set(PageFlag::Swapbacked);
        let l = self.pte_lockptr(pt).lock();
        let installed = read_entry(sys, pt, idx) == old_pte;
        if installed {
            self.page_add_rmap(sys, new, Mapping::Anon, addr);
            let entry = mk_pte(new, vm_get_page_prot(vma.vm_flags))
                | _PAGE_RW
                | _PAGE_ACCESSED
                | _PAGE_DIRTY;
            set_entry(sys, pt, idx, entry);
            self.page_remove_rmap(sys, old, false, addr);
        }
        drop(l);
        if installed {
            // the old PTE's reference
            sys.put_page(old);
        } else {
            sys.__free_pages(new, 0);
        }
        // our pin
        sys.put_page(old);
        Ok(())
    }

    /// `zap_page_range()`: unmaps `[start, end)` of `vma`, dropping every
    /// page's mapping and reference. Caller holds `mmap_lock` for writing.
    /// The references of one page table's pages go in one batch
    /// (`mmu_gather` → `release_pages()`), after its PTEs are cleared.
    pub(crate) fn zap_page_range(&self, sys: &Mm, vma: &Vma, start: u64, end: u64) {
        let shmem = vma.vm_file.is_some();
        let mut gather: Vec<Pfn> = Vec::new();
        self.for_each_pte_table(sys, start, end, |pt, base, lo, hi| {
            for idx in lo..hi {
                let pte = read_entry(sys, pt, idx);
                if pte == 0 {
                    continue;
                }
                set_entry(sys, pt, idx, 0);
                let pfn = pte_pfn(pte);
                let addr = base + (((idx - lo) as u64) << PAGE_SHIFT);
                self.page_remove_rmap(sys, pfn, shmem, addr);
                gather.push(pfn);
            }
            sys.release_pages(&gather);
            gather.clear();
        });
    }

    /// `change_protection()`: rewrites the PTEs of `[start, end)` for the
    /// VMA's new `vm_flags`, keeping frames and A/D bits. A private page
    /// loses write access when the VMA does and does not gain it (the next
    /// write fault reuses or copies it).
    pub(crate) fn change_protection(&self, sys: &Mm, start: u64, end: u64, vm_flags: u64) {
        let prot = vm_get_page_prot(vm_flags);
        let shared = vm_flags & VM_SHARED != 0;
        self.for_each_pte_table(sys, start, end, |pt, _, lo, hi| {
            for idx in lo..hi {
                let pte = read_entry(sys, pt, idx);
                if pte == 0 {
                    continue;
                }
                let mut new = (pte & (PTE_PFN_MASK | _PAGE_ACCESSED | _PAGE_DIRTY)) | prot;
                if !shared && pte & _PAGE_RW != 0 && vm_flags & VM_WRITE != 0 {
                    new |= _PAGE_RW;
                }
                if new & _PAGE_PRESENT == 0 {
                    new &= !_PAGE_RW;
                }
                set_entry(sys, pt, idx, new);
            }
        });
    }

    /// `copy_page_range()` for fork: maps every page of the private `vma`
    /// into `child` too; for a COW mapping both PTEs lose write access.
    /// The child's PTEs are old (not accessed), as Linux's `pte_mkold`.
    pub(crate) fn copy_page_range(
        &self,
        sys: &Mm,
        child: &MmStruct,
        vma: &Vma,
    ) -> Result<(), Errno> {
        let cow = vma.is_cow_mapping();
        let mut err = Ok(());
        self.for_each_pte_table(sys, vma.vm_start, vma.vm_end, |pt, base, lo, hi| {
            if err.is_err() {
                return;
            }
            let mut dst = None;
            for idx in lo..hi {
                let mut pte = read_entry(sys, pt, idx);
                if pte == 0 {
                    continue;
                }
                let addr = base + (((idx - lo) as u64) << PAGE_SHIFT);
                let dpt = match dst {
                    Some(d) => d,
                    None => match child.pte_alloc(sys, addr) {
                        Ok(d) => *dst.insert(d),
                        Err(_) => {
                            err = Err(ENOMEM);
                            return;
                        }
                    },
                };
                if cow && pte & _PAGE_RW != 0 {
                    pte &= !_PAGE_RW;
                    set_entry(sys, pt, idx, pte);
                }
                let pfn = pte_pfn(pte);
                sys.get_page(pfn);
                child.page_add_rmap(sys, pfn, Mapping::Anon, addr);
                set_entry(sys, dpt, idx, pte & !_PAGE_ACCESSED);
            }
        });
        err
    }

    /// `move_page_tables()` for mremap: moves the PTEs of `[old, old+len)`
    /// to `new`; pages keep their mappings (private ones are re-addressed
    /// in the reverse map). Destination tables are allocated first, so a
    /// failure leaves everything in place.
    pub(crate) fn move_page_tables(
        &self,
        sys: &Mm,
        old: u64,
        new: u64,
        len: u64,
        anon: bool,
    ) -> Result<(), Errno> {
        let mut present = Vec::new();
        self.for_each_pte_table(sys, old, old + len, |pt, base, lo, hi| {
            for idx in lo..hi {
                if read_entry(sys, pt, idx) != 0 {
                    present.push((pt, idx, base + (((idx - lo) as u64) << PAGE_SHIFT)));
                }
            }
        });
        let mut dst = Vec::with_capacity(present.len());
        for &(_, _, addr) in &present {
            let to = new + (addr - old);
            let dpt = self.pte_alloc(sys, to).map_err(|_| ENOMEM)?;
            dst.push((dpt, table_index(to, 0)));
        }
        for (&(pt, idx, addr), &(dpt, didx)) in present.iter().zip(&dst) {
            let pte = read_entry(sys, pt, idx);
            set_entry(sys, pt, idx, 0);
            set_entry(sys, dpt, didx, pte);
            if anon {
                let to = new + (addr - old);
                sys.anon_rmap.move_addr(pte_pfn(pte), &self.this, addr, to);
            }
        }
        Ok(())
    }

    /// `exit_mmap()`: unmaps everything and frees every page and page-table
    /// page. Idempotent.
    pub fn exit_mmap(&self) {
        let k = self.sys();
        let sys = &k.mm;
        let mut l = self.mmap_lock.write();
        self.update_hiwater_rss(&mut l);
        let vmas = std::mem::take(&mut l.vmas);
        for v in vmas.values() {
            self.zap_page_range(sys, v, v.vm_start, v.vm_end);
        }
        l.total_vm = 0;
        l.data_vm = 0;
        l.stack_vm = 0;
        self.free_all_pgtables(sys);
        drop(l);
        // the shmem objects of shared mappings go with their last VMA
        drop(vmas);
    }

    /// `dup_mmap()` for fork: a copy of this address space in which private
    /// pages are shared copy-on-write and shared mappings stay shared.
    pub fn dup_mmap(&self) -> Result<std::sync::Arc<MmStruct>, Errno> {
        let k = self.sys();
        let sys = &k.mm;
        let child = MmStruct::new();
        *child.memcg.lock() = self.memcg();
        {
            let old = self.mmap_lock.write();
            let mut new = child.mmap_lock.write();
            new.mmap_base = old.mmap_base;
            new.start_brk = old.start_brk;
            new.brk = old.brk;
            new.start_stack = old.start_stack;
            new.total_vm = old.total_vm;
            new.data_vm = old.data_vm;
            new.stack_vm = old.stack_vm;
            new.hiwater_vm = old.total_vm;
            for (&start, v) in &old.vmas {
                new.vmas.insert(start, v.clone());
                // shared mappings refault from their shmem object, as
                // Linux skips VMAs without an anon_vma
                if v.vm_file.is_none() {
                    self.copy_page_range(sys, &child, v)?;
                }
            }
            new.hiwater_rss = child.rss_pages();
        }
        Ok(child)
    }
}

/// `expand_stack()` (`expand_downwards()`): grows the `VM_GROWSDOWN` VMA
/// above `addr` down to it, within RLIMIT_STACK, `mmap_min_addr` and the
/// stack guard gap. Caller holds `mmap_lock` for writing.
fn expand_stack(l: &mut MmLayout, addr: u64) -> bool {
    let new_start = addr & !0xfff;
    let Some(vma) = l.find_vma(addr).cloned() else {
        return false;
    };
    if vma.vm_start <= addr {
        // another thread grew it meanwhile
        return true;
    }
    if vma.vm_flags & VM_GROWSDOWN == 0
        || new_start < MMAP_MIN_ADDR
        || vma.vm_end - new_start > STACK_RLIMIT
    {
        return false;
    }
    if let Some(prev) = l.find_vma_prev(vma.vm_start) {
        if prev.vm_flags & VM_GROWSDOWN == 0
            && prev.is_accessible()
            && new_start.saturating_sub(prev.vm_end) < STACK_GUARD_GAP
        {
            return false;
        }
    }
    let grow = (vma.vm_start - new_start) >> PAGE_SHIFT;
    l.vmas.remove(&vma.vm_start);
    let v = Vma {
        vm_start: new_start,
        vm_pgoff: vma.vm_pgoff.saturating_sub(grow),
        ..vma
    };
    l.vm_stat_account(v.vm_flags, grow as i64);
    l.vmas.insert(new_start, v);
    true
}
