//! The mapping system calls on anonymous memory: Linux's mm/mmap.c
//! (`do_mmap`, `mmap_region`, `get_unmapped_area`, `do_munmap`, `sys_brk`,
//! `vma_merge`, `__split_vma`), mm/mprotect.c and mm/mremap.c, with Linux's
//! argument checks and errno values, and exec's initial stack
//! (`setup_arg_pages`).
//!
//! Mechanism: every call takes `mmap_lock` for writing, edits the VMA tree
//! (splitting VMAs at the edges of the range, merging a changed or new VMA
//! with compatible neighbours), then fixes the page tables: zap and free
//! them for munmap, rewrite protections for mprotect, move PTEs for
//! mremap. Free address space is found top-down below `mmap_base`
//! (falling back to bottom-up above `TASK_SIZE / 3`), keeping the guard gap
//! below a growing stack.
//!
//! Invariants: the VMA tree invariants of mm_types.rs hold whenever
//! `mmap_lock` is released; nothing is ever mapped below `mmap_min_addr` or
//! at or above `TASK_SIZE`; a failed call leaves the layout unchanged,
//! except mprotect, which (as on Linux) keeps the changes it made to the
//! VMAs before the hole it failed on.

use super::mm_types::*;
use super::shmem::ShmemFile;
use super::{Mm, PAGE_SHIFT};
use std::sync::Arc;
use uapi::errno::{Errno, EBADF, EEXIST, EFAULT, EINVAL, ENODEV, ENOMEM, EPERM};
use uapi::mman::*;

const MAP_TYPE: u64 = 0x0f;
const PROT_SEM: u64 = 0x8;
/// `PROT_GROWSDOWN`/`PROT_GROWSUP` of mprotect.
pub const PROT_GROWSDOWN: u64 = 0x0100_0000;
pub const PROT_GROWSUP: u64 = 0x0200_0000;
/// `mmap_legacy_base`: where the bottom-up fallback search starts.
const TASK_UNMAPPED_BASE_LEGACY: u64 = (TASK_SIZE / 3 + PAGE_SIZE - 1) & !(PAGE_SIZE - 1);

/// `PAGE_ALIGN()`, None when it would wrap.
fn page_align(v: u64) -> Option<u64> {
    v.checked_add(PAGE_SIZE - 1).map(|x| x & !(PAGE_SIZE - 1))
}

/// `calc_vm_prot_bits()`.
fn calc_vm_prot_bits(prot: u64) -> u64 {
    (if prot & PROT_READ != 0 { VM_READ } else { 0 })
        | (if prot & PROT_WRITE != 0 { VM_WRITE } else { 0 })
        | (if prot & PROT_EXEC != 0 { VM_EXEC } else { 0 })
}

/// `__split_vma()`: makes `addr` a VMA boundary if a VMA spans it.
fn split_vma(l: &mut MmLayout, addr: u64) -> Result<(), Errno> {
    let Some(v) = l.vma_lookup(addr).filter(|v| v.vm_start < addr).cloned() else {
        return Ok(());
    };
    if l.map_count() >= DEFAULT_MAX_MAP_COUNT {
        return Err(ENOMEM);
    }
    if let Some(lo) = l.vmas.get_mut(&v.vm_start) {
        lo.vm_end = addr;
    }
    let hi = Vma {
        vm_start: addr,
        vm_pgoff: v.vm_pgoff + ((addr - v.vm_start) >> PAGE_SHIFT),
        ..v
    };
    l.vmas.insert(addr, hi);
    Ok(())
}

/// `vma_merge()` around the VMA starting at `start`: folds it into a
/// compatible previous VMA and the next one into it. Returns the start of
/// the (possibly merged) VMA.
fn vma_merge(l: &mut MmLayout, start: u64) -> u64 {
    let mut cur = start;
    if let (Some(v), Some(prev)) = (l.vmas.get(&start), l.find_vma_prev(start)) {
        if prev.can_merge_with(v) {
            let (ps, end) = (prev.vm_start, v.vm_end);
            l.vmas.remove(&start);
            if let Some(p) = l.vmas.get_mut(&ps) {
                p.vm_end = end;
            }
            cur = ps;
        }
    }
    let next_start = l.vmas.get(&cur).map(|v| v.vm_end);
    if let Some(ns) = next_start {
        let mergeable = match (l.vmas.get(&cur), l.vmas.get(&ns)) {
            (Some(v), Some(n)) => v.can_merge_with(n),
            _ => false,
        };
        if mergeable {
            if let Some(n) = l.vmas.remove(&ns) {
                if let Some(v) = l.vmas.get_mut(&cur) {
                    v.vm_end = n.vm_end;
                }
            }
        }
    }
    cur
}

/// `vm_unmapped_area()` top-down: the highest free range of `len` bytes
/// in `[low, high)`.
fn unmapped_area_topdown(l: &MmLayout, len: u64, low: u64, high: u64) -> Option<u64> {
    let mut end = high;
    for v in l.vmas.values().rev() {
        let vs = v.start_gap();
        if vs >= end {
            continue;
        }
        if let Some(cand) = end.checked_sub(len) {
            if cand >= v.vm_end && cand >= low {
                return Some(cand);
            }
        }
        end = vs;
        if end < low.saturating_add(len) {
            return None;
        }
    }
    end.checked_sub(len).filter(|&c| c >= low)
}

/// `vm_unmapped_area()` bottom-up: the lowest free range in `[low, high)`.
fn unmapped_area(l: &MmLayout, len: u64, low: u64, high: u64) -> Option<u64> {
    let mut start = low;
    for v in l.vmas.values() {
        if v.vm_end <= start {
            continue;
        }
        if start
            .checked_add(len)
            .is_some_and(|e| e <= v.start_gap() && e <= high)
        {
            return Some(start);
        }
        start = start.max(v.vm_end);
    }
    start.checked_add(len).filter(|&e| e <= high).map(|_| start)
}

/// `get_unmapped_area()` + x86's `arch_get_unmapped_area_topdown()` and
/// `security_mmap_addr()`.
fn get_unmapped_area(l: &MmLayout, addr: u64, len: u64, flags: u64) -> Result<u64, Errno> {
    if len > TASK_SIZE || len > TASK_SIZE - MMAP_MIN_ADDR {
        return Err(ENOMEM);
    }
    let addr = if flags & MAP_FIXED != 0 {
        addr
    } else {
        let hint = page_align(addr).unwrap_or(0);
        let hint_ok = hint != 0
            && hint >= MMAP_MIN_ADDR
            && hint <= TASK_SIZE - len
            && l.find_vma(hint).is_none_or(|v| hint + len <= v.start_gap());
        if hint_ok {
            hint
        } else {
            unmapped_area_topdown(l, len, MMAP_MIN_ADDR, l.mmap_base)
                .or_else(|| unmapped_area(l, len, TASK_UNMAPPED_BASE_LEGACY, TASK_SIZE))
                .ok_or(ENOMEM)?
        }
    };
    if addr > TASK_SIZE - len {
        return Err(ENOMEM);
    }
    if addr & (PAGE_SIZE - 1) != 0 {
        return Err(EINVAL);
    }
    if addr < MMAP_MIN_ADDR {
        return Err(EPERM);
    }
    Ok(addr)
}

impl MmStruct {
    /// `do_munmap()` on `[start, end)` (page aligned, validated): split the
    /// edge VMAs, remove the ones inside, zap their pages and free the
    /// page tables left empty. Holes are fine.
    pub(crate) fn do_munmap(
        &self,
        sys: &Mm,
        l: &mut MmLayout,
        start: u64,
        end: u64,
    ) -> Result<(), Errno> {
        if !l.intersects(start, end) {
            return Ok(());
        }
        // a split in the middle of one VMA needs one more slot
        if l.vma_lookup(start)
            .is_some_and(|v| v.vm_start < start && v.vm_end > end)
            && l.map_count() >= DEFAULT_MAX_MAP_COUNT
        {
            return Err(ENOMEM);
        }
        split_vma(l, start)?;
        split_vma(l, end)?;
        self.update_hiwater_rss(l);
        let keys: Vec<u64> = l.vmas.range(start..end).map(|(&k, _)| k).collect();
        let mut gone = Vec::with_capacity(keys.len());
        for k in keys {
            if let Some(v) = l.vmas.remove(&k) {
                self.zap_page_range(sys, &v, v.vm_start, v.vm_end);
                l.vm_stat_account(v.vm_flags, -(v.pages() as i64));
                gone.push(v);
            }
        }
        self.free_pgtables(sys, start, end);
        // shmem objects whose last mapping this was are truncated here
        drop(gone);
        Ok(())
    }

    /// `mmap_region()`: maps `vma` (over a free range, or MAP_FIXED over
    /// whatever was there).
    fn mmap_region(&self, sys: &Mm, l: &mut MmLayout, vma: Vma) -> Result<(), Errno> {
        self.do_munmap(sys, l, vma.vm_start, vma.vm_end)?;
        if l.map_count() >= DEFAULT_MAX_MAP_COUNT {
            return Err(ENOMEM);
        }
        let (start, flags, pages) = (vma.vm_start, vma.vm_flags, vma.pages());
        l.vmas.insert(start, vma);
        l.vm_stat_account(flags, pages as i64);
        vma_merge(l, start);
        Ok(())
    }

    /// `mmap(2)` of anonymous memory (`ksys_mmap_pgoff` + `do_mmap`).
    pub fn mmap(
        &self,
        addr: u64,
        len: u64,
        prot: u64,
        flags: u64,
        fd: i64,
        off: u64,
    ) -> Result<u64, Errno> {
        if off & (PAGE_SIZE - 1) != 0 {
            return Err(EINVAL);
        }
        if flags & MAP_ANONYMOUS == 0 {
            // no file can be mapped: a bad descriptor, or a file without mmap
            return Err(if fd < 0 || fd > i32::MAX as i64 {
                EBADF
            } else {
                ENODEV
            });
        }
        if len == 0 {
            return Err(EINVAL);
        }
        let mut flags = flags;
        if flags & MAP_FIXED_NOREPLACE != 0 {
            flags |= MAP_FIXED;
        }
        let addr = if flags & MAP_FIXED == 0 {
            // round_hint_to_min()
            let hint = addr & !(PAGE_SIZE - 1);
            if hint != 0 && hint < MMAP_MIN_ADDR {
                MMAP_MIN_ADDR
            } else {
                hint
            }
        } else {
            addr
        };
        let len = page_align(len).ok_or(ENOMEM)?;
        let k = self.sys();
        let sys = &k.mm;
        let mut l = self.mmap_lock.write();
        if l.map_count() > DEFAULT_MAX_MAP_COUNT {
            return Err(ENOMEM);
        }
        let addr = get_unmapped_area(&l, addr, len, flags)?;
        if flags & MAP_FIXED_NOREPLACE != 0 && l.intersects(addr, addr + len) {
            return Err(EEXIST);
        }
        let mut vm_flags = calc_vm_prot_bits(prot) | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
        if flags & MAP_GROWSDOWN != 0 {
            vm_flags |= VM_GROWSDOWN;
        }
        let (pgoff, file) = match flags & MAP_TYPE {
            MAP_SHARED => {
                if vm_flags & VM_GROWSDOWN != 0 {
                    return Err(EINVAL);
                }
                vm_flags |= VM_SHARED | VM_MAYSHARE;
                (0, Some(Arc::new(ShmemFile::new())))
            }
            MAP_PRIVATE => (addr >> PAGE_SHIFT, None),
            _ => return Err(EINVAL),
        };
        let vma = Vma {
            vm_start: addr,
            vm_end: addr + len,
            vm_flags,
            vm_pgoff: pgoff,
            vm_file: file,
        };
        self.mmap_region(sys, &mut l, vma)?;
        drop(l);
        if flags & MAP_POPULATE != 0 {
            self.mm_populate(sys, addr, len);
        }
        Ok(addr)
    }

    /// `__mm_populate()`: faults in `[addr, addr + len)` as `MAP_POPULATE`
    /// asks (writable private pages are written, so COW is broken now);
    /// failures are ignored, the mapping stands.
    fn mm_populate(&self, sys: &Mm, addr: u64, len: u64) {
        let l = self.mmap_lock.read();
        let mut a = addr;
        while a < addr + len {
            let Some(v) = l.vma_lookup(a).cloned() else {
                break;
            };
            let write = v.vm_flags & (VM_WRITE | VM_SHARED) == VM_WRITE;
            let end = v.vm_end.min(addr + len);
            if v.is_accessible() {
                while a < end {
                    let pte = self.read_pte(sys, a);
                    let ok = pte & super::pgtable::_PAGE_PRESENT != 0
                        && (!write || pte & super::pgtable::_PAGE_RW != 0);
                    if !ok && self.handle_mm_fault(sys, &v, a, write).is_err() {
                        return;
                    }
                    a += PAGE_SIZE;
                }
            }
            a = end;
        }
    }

    /// `munmap(2)`.
    pub fn munmap(&self, addr: u64, len: u64) -> Result<(), Errno> {
        if addr & (PAGE_SIZE - 1) != 0 || addr > TASK_SIZE || len > TASK_SIZE - addr {
            return Err(EINVAL);
        }
        let len = page_align(len).ok_or(EINVAL)?;
        if len == 0 {
            return Err(EINVAL);
        }
        let k = self.sys();
        let mut l = self.mmap_lock.write();
        self.do_munmap(&k.mm, &mut l, addr, addr + len)
    }

    /// `mprotect(2)`: ENOMEM on a hole (changes made to the VMAs before it
    /// stay, as on Linux).
    pub fn mprotect(&self, start: u64, len: u64, prot: u64) -> Result<(), Errno> {
        let grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
        let prot = prot & !grows;
        if grows == PROT_GROWSDOWN | PROT_GROWSUP || start & (PAGE_SIZE - 1) != 0 {
            return Err(EINVAL);
        }
        if len == 0 {
            return Ok(());
        }
        let len = page_align(len).ok_or(ENOMEM)?;
        let end = start.checked_add(len).ok_or(ENOMEM)?;
        if prot & !(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM) != 0 {
            return Err(EINVAL);
        }
        let k = self.sys();
        let sys = &k.mm;
        let mut l = self.mmap_lock.write();
        let first = l.find_vma(start).cloned().ok_or(ENOMEM)?;
        let mut nstart = start;
        if grows & PROT_GROWSDOWN != 0 {
            if first.vm_start >= end {
                return Err(ENOMEM);
            }
            if first.vm_flags & VM_GROWSDOWN == 0 {
                return Err(EINVAL);
            }
            nstart = first.vm_start;
        } else {
            if first.vm_start > start {
                return Err(ENOMEM);
            }
            if grows & PROT_GROWSUP != 0 {
                return Err(EINVAL);
            }
        }
        let newprot = calc_vm_prot_bits(prot);
        loop {
            let v = l.vma_lookup(nstart).cloned().ok_or(ENOMEM)?;
            let tmp = v.vm_end.min(end);
            let newflags = newprot | (v.vm_flags & !(VM_READ | VM_WRITE | VM_EXEC));
            if newflags != v.vm_flags {
                // mprotect_fixup()
                split_vma(&mut l, nstart)?;
                split_vma(&mut l, tmp)?;
                if let Some(m) = l.vmas.get_mut(&nstart) {
                    m.vm_flags = newflags;
                }
                let n = ((tmp - nstart) >> PAGE_SHIFT) as i64;
                l.vm_stat_account(v.vm_flags, -n);
                l.vm_stat_account(newflags, n);
                self.change_protection(sys, nstart, tmp, newflags);
                vma_merge(&mut l, nstart);
            }
            nstart = tmp;
            if nstart >= end {
                return Ok(());
            }
        }
    }

    /// `sys_brk()`: returns the new break, or the old one on failure.
    pub fn brk(&self, new_brk: u64) -> u64 {
        let k = self.sys();
        let sys = &k.mm;
        let mut l = self.mmap_lock.write();
        let origbrk = l.brk;
        if new_brk < l.start_brk {
            return origbrk;
        }
        let (Some(newbrk), Some(oldbrk)) = (page_align(new_brk), page_align(l.brk)) else {
            return origbrk;
        };
        if oldbrk == newbrk {
            l.brk = new_brk;
            return new_brk;
        }
        if new_brk <= l.brk {
            // shrinking: unmap the pages above the new break
            l.brk = new_brk;
            if self.do_munmap(sys, &mut l, newbrk, oldbrk).is_err() {
                l.brk = origbrk;
                return origbrk;
            }
            return new_brk;
        }
        if l.find_vma(oldbrk)
            .is_some_and(|next| newbrk.saturating_add(PAGE_SIZE) > next.start_gap())
        {
            return origbrk;
        }
        // do_brk_flags()
        let len = newbrk - oldbrk;
        if get_unmapped_area(&l, oldbrk, len, MAP_FIXED).is_err()
            || l.map_count() >= DEFAULT_MAX_MAP_COUNT
        {
            return origbrk;
        }
        l.vmas.insert(
            oldbrk,
            Vma {
                vm_start: oldbrk,
                vm_end: newbrk,
                vm_flags: VM_DATA_DEFAULT_FLAGS,
                vm_pgoff: oldbrk >> PAGE_SHIFT,
                vm_file: None,
            },
        );
        l.vm_stat_account(VM_DATA_DEFAULT_FLAGS, (len >> PAGE_SHIFT) as i64);
        vma_merge(&mut l, oldbrk);
        l.brk = new_brk;
        new_brk
    }

    /// `vma_to_resize()`: the VMA holding `[addr, addr + old_len)`.
    fn vma_to_resize(l: &MmLayout, addr: u64, old_len: u64) -> Result<Vma, Errno> {
        let v = l.vma_lookup(addr).ok_or(EFAULT)?;
        if old_len > v.vm_end - addr {
            return Err(EFAULT);
        }
        if old_len == 0 && v.vm_flags & (VM_SHARED | VM_MAYSHARE) == 0 {
            return Err(EINVAL);
        }
        Ok(v.clone())
    }

    /// `move_vma()`: maps the part `[old, old + old_len)` of `v` at the
    /// free range `new`, moving its pages, and unmaps the old range.
    fn move_vma(
        &self,
        sys: &Mm,
        l: &mut MmLayout,
        v: &Vma,
        old: u64,
        old_len: u64,
        new: std::ops::Range<u64>,
    ) -> Result<u64, Errno> {
        let (new_addr, new_len) = (new.start, new.end - new.start);
        if l.map_count() >= DEFAULT_MAX_MAP_COUNT - 3 {
            return Err(ENOMEM);
        }
        self.move_page_tables(sys, old, new_addr, old_len, v.is_anonymous())?;
        l.vmas.insert(
            new_addr,
            Vma {
                vm_start: new_addr,
                vm_end: new_addr + new_len,
                vm_flags: v.vm_flags,
                vm_pgoff: v.vm_pgoff + ((old - v.vm_start) >> PAGE_SHIFT),
                vm_file: v.vm_file.clone(),
            },
        );
        l.vm_stat_account(v.vm_flags, (new_len >> PAGE_SHIFT) as i64);
        if old_len > 0 {
            self.do_munmap(sys, l, old, old + old_len)?;
        }
        vma_merge(l, new_addr);
        Ok(new_addr)
    }

    /// `mremap(2)`: shrink in place, grow in place when the next VMA leaves
    /// room, otherwise move (`MREMAP_MAYMOVE`, or to `new_addr` with
    /// `MREMAP_FIXED`).
    pub fn mremap(
        &self,
        old: u64,
        old_len: u64,
        new_len: u64,
        flags: u64,
        new_addr: u64,
    ) -> Result<u64, Errno> {
        if flags & !(MREMAP_FIXED | MREMAP_MAYMOVE) != 0
            || (flags & MREMAP_FIXED != 0 && flags & MREMAP_MAYMOVE == 0)
            || old & (PAGE_SIZE - 1) != 0
        {
            return Err(EINVAL);
        }
        let old_len = page_align(old_len).ok_or(EINVAL)?;
        let new_len = page_align(new_len).ok_or(EINVAL)?;
        if new_len == 0 {
            return Err(EINVAL);
        }
        let k = self.sys();
        let sys = &k.mm;
        let mut l = self.mmap_lock.write();
        if flags & MREMAP_FIXED != 0 {
            // mremap_to()
            if new_addr & (PAGE_SIZE - 1) != 0
                || new_len > TASK_SIZE
                || new_addr > TASK_SIZE - new_len
            {
                return Err(EINVAL);
            }
            let old_end = old.checked_add(old_len).ok_or(EINVAL)?;
            if new_addr < old_end && old < new_addr + new_len {
                return Err(EINVAL);
            }
            self.do_munmap(sys, &mut l, new_addr, new_addr + new_len)?;
            let mut old_len = old_len;
            if old_len > new_len {
                self.do_munmap(sys, &mut l, old + new_len, old_end)?;
                old_len = new_len;
            }
            let v = Self::vma_to_resize(&l, old, old_len)?;
            let new_addr = get_unmapped_area(&l, new_addr, new_len, MAP_FIXED)?;
            return self.move_vma(sys, &mut l, &v, old, old_len, new_addr..new_addr + new_len);
        }
        if old_len >= new_len {
            if old_len > new_len {
                // __do_munmap()'s checks of the tail
                let start = old
                    .checked_add(new_len)
                    .filter(|&s| s <= TASK_SIZE)
                    .ok_or(EINVAL)?;
                let tail = old_len - new_len;
                if tail > TASK_SIZE - start {
                    return Err(EINVAL);
                }
                self.do_munmap(sys, &mut l, start, start + tail)?;
            }
            return Ok(old);
        }
        let v = Self::vma_to_resize(&l, old, old_len)?;
        if old_len == v.vm_end - old {
            // vma_expandable()
            let new_end = old.saturating_add(new_len);
            let room = new_end <= TASK_SIZE
                && l.vmas
                    .range(v.vm_end..)
                    .next()
                    .is_none_or(|(_, n)| new_end <= n.start_gap());
            if room {
                if let Some(m) = l.vmas.get_mut(&v.vm_start) {
                    m.vm_end = new_end;
                }
                l.vm_stat_account(v.vm_flags, ((new_len - old_len) >> PAGE_SHIFT) as i64);
                vma_merge(&mut l, v.vm_start);
                return Ok(old);
            }
        }
        if flags & MREMAP_MAYMOVE == 0 {
            return Err(ENOMEM);
        }
        let map_flags = if v.vm_flags & VM_MAYSHARE != 0 {
            MAP_SHARED
        } else {
            0
        };
        let new_addr = get_unmapped_area(&l, 0, new_len, map_flags)?;
        self.move_vma(sys, &mut l, &v, old, old_len, new_addr..new_addr + new_len)
    }

    /// exec's `setup_arg_pages()`: the `[stack]` VMA (growing down, within
    /// `STACK_RLIMIT`) ending at `STACK_TOP`, and an empty heap at
    /// `ELF_ET_DYN_BASE_BRK`. Returns `STACK_TOP`.
    pub fn setup_exec_layout(&self) -> Result<u64, Errno> {
        let mut l = self.mmap_lock.write();
        let start = STACK_TOP - INITIAL_STACK_SIZE;
        if l.intersects(start, STACK_TOP) {
            return Err(EEXIST);
        }
        l.vmas.insert(
            start,
            Vma {
                vm_start: start,
                vm_end: STACK_TOP,
                vm_flags: VM_STACK_DEFAULT_FLAGS,
                vm_pgoff: start >> PAGE_SHIFT,
                vm_file: None,
            },
        );
        l.vm_stat_account(
            VM_STACK_DEFAULT_FLAGS,
            (INITIAL_STACK_SIZE >> PAGE_SHIFT) as i64,
        );
        l.start_stack = STACK_TOP;
        l.start_brk = ELF_ET_DYN_BASE_BRK;
        l.brk = ELF_ET_DYN_BASE_BRK;
        Ok(STACK_TOP)
    }
}
