//! The software MMU and the uaccess routines: what x86's page walker and
//! `#PF` do for a user-mode access, and Linux's `copy_from_user`,
//! `copy_to_user`, `strncpy_from_user`, `get_user`, `put_user`
//! (arch/x86/lib/usercopy_64.c, lib/strncpy_from_user.c) on top of it.
//!
//! Mechanism: an access holds `mmap_lock` for reading once, then handles
//! one page at a time. The fast path walks the four levels without a lock;
//! if the PTE is present, user-accessible (and writable for a store) with
//! ACCESSED (and DIRTY) already set, the bytes move at once; a load then
//! re-reads the PTE and retries if a concurrent COW break replaced it. Any
//! other case takes the table's split PTE lock: set ACCESSED/DIRTY and
//! move the bytes under it, or drop it and fault (`do_user_addr_fault`),
//! then retry. uaccess applies `access_ok()` first (range below
//! `TASK_SIZE`, no wrap-around) and turns every fault into `EFAULT`
//! (`ENOMEM` when the page allocator failed).
//!
//! Invariants: one lock round per page at most on the fast path, no heap
//! allocation per access; no input (address, length) can panic; a byte is
//! only read or written through a PTE that permits it, with A/D set as the
//! hardware would; a store through a PTE never races a change of that PTE
//! (writable PTEs only change under the `mmap_lock` write lock).

use super::mm_types::*;
use super::page::Pfn;
use super::pgtable::*;
use super::{Mm, PAGE_SIZE};
use hw::physmem::PhysMem;
use std::sync::atomic::{fence, Ordering};
use uapi::errno::{Errno, EFAULT, ENAMETOOLONG, ENOMEM};

/// `access_ok()`.
#[inline]
fn access_ok(addr: u64, len: usize) -> bool {
    (len as u64) <= TASK_SIZE && addr <= TASK_SIZE - len as u64
}

/// A fault seen by the kernel on behalf of the task.
fn fault_errno(e: FaultError) -> Errno {
    match e {
        FaultError::Segv { .. } => EFAULT,
        FaultError::Oom | FaultError::Memcg => ENOMEM,
    }
}

impl MmStruct {
    /// One page of an access: `op(physmem, phys_addr)` moves the bytes.
    /// Returns false when the access needs a page fault.
    #[inline]
    fn access_page(
        &self,
        sys: &Mm,
        addr: u64,
        write: bool,
        op: &mut impl FnMut(&PhysMem, u64),
    ) -> bool {
        let Some(pt) = self.pte_table(sys, addr) else {
            return false;
        };
        let idx = table_index(addr, 0);
        let need = _PAGE_PRESENT | _PAGE_USER | if write { _PAGE_RW } else { 0 };
        let ad = _PAGE_ACCESSED | if write { _PAGE_DIRTY } else { 0 };
        let off = addr & 0xfff;
        let pte = read_entry(sys, pt, idx);
        if pte & need != need {
            return false;
        }
        if pte & ad == ad {
            op(&sys.physmem, (pte & PTE_PFN_MASK) | off);
            if write {
                return true;
            }
            // the bytes were read before the PTE is read again
            fence(Ordering::Acquire);
            if read_entry(sys, pt, idx) == pte {
                return true;
            }
        }
        self.access_page_locked(sys, pt, idx, off, need, ad, op)
    }

    /// The slow path of [`Self::access_page`]: under the split PTE lock.
    #[cold]
    #[allow(clippy::too_many_arguments)]
    fn access_page_locked(
        &self,
        sys: &Mm,
        pt: Pfn,
        idx: usize,
        off: u64,
        need: u64,
        ad: u64,
        op: &mut impl FnMut(&PhysMem, u64),
    ) -> bool {
        let _l = self.pte_lockptr(pt).lock();
        let pte = read_entry(sys, pt, idx);
        if pte & need != need {
            return false;
        }
        if pte & ad != ad {
            set_entry(sys, pt, idx, pte | ad);
        }
        op(&sys.physmem, (pte & PTE_PFN_MASK) | off);
        true
    }

    /// Walks `[addr, addr + len)` page by page as the CPU would, faulting
    /// pages in; `op(physmem, phys_addr, done, n)` moves `n` bytes at
    /// offset `done` of the access. Stops at the first page that cannot be
    /// accessed, reporting its first byte.
    fn access(
        &self,
        addr: u64,
        len: usize,
        write: bool,
        mut op: impl FnMut(&PhysMem, u64, usize, usize),
    ) -> Result<(), FaultError> {
        if len == 0 {
            return Ok(());
        }
        let k = self.sys();
        let sys = &k.mm;
        let mut g = self.mmap_lock.read();
        let mut done = 0usize;
        while done < len {
            let cur = match addr.checked_add(done as u64) {
                Some(a) if a < TASK_SIZE => a,
                Some(a) => {
                    return Err(FaultError::Segv {
                        addr: a,
                        code: SEGV_MAPERR,
                    })
                }
                None => {
                    return Err(FaultError::Segv {
                        addr: addr.wrapping_add(done as u64),
                        code: SEGV_MAPERR,
                    })
                }
            };
            let n = (len - done).min(PAGE_SIZE - (cur & 0xfff) as usize);
            let mut page_op = |pm: &PhysMem, phys: u64| op(pm, phys, done, n);
            while !self.access_page(sys, cur, write, &mut page_op) {
                let (ng, r) = self.do_user_addr_fault(sys, g, cur, write);
                g = ng;
                r?;
            }
            done += n;
        }
        Ok(())
    }

    /// A user-mode load of `buf.len()` bytes at `addr`.
    pub fn load(&self, addr: u64, buf: &mut [u8]) -> Result<(), FaultError> {
        self.access(addr, buf.len(), false, |pm, phys, done, n| {
            let _ = pm.read(phys, &mut buf[done..done + n]);
        })
    }

    /// A user-mode store of `buf` at `addr`.
    pub fn store(&self, addr: u64, buf: &[u8]) -> Result<(), FaultError> {
        self.access(addr, buf.len(), true, |pm, phys, done, n| {
            let _ = pm.write(phys, &buf[done..done + n]);
        })
    }

    /// `copy_from_user()`: all of `dst` from `addr`, or `EFAULT` with `dst`
    /// zeroed (Linux zeroes what it could not copy; usk zeroes it all, so a
    /// failed copy never leaves user bytes behind).
    pub fn copy_from_user(&self, dst: &mut [u8], addr: u64) -> Result<(), Errno> {
        if dst.is_empty() {
            return Ok(());
        }
        if !access_ok(addr, dst.len()) {
            dst.fill(0);
            return Err(EFAULT);
        }
        self.load(addr, dst).map_err(|e| {
            dst.fill(0);
            fault_errno(e)
        })
    }

    /// `copy_to_user()`: all of `src` to `addr`, or `EFAULT`.
    pub fn copy_to_user(&self, addr: u64, src: &[u8]) -> Result<(), Errno> {
        if src.is_empty() {
            return Ok(());
        }
        if !access_ok(addr, src.len()) {
            return Err(EFAULT);
        }
        self.store(addr, src).map_err(fault_errno)
    }

    /// `strncpy_from_user()` as `getname()` uses it: the bytes before the
    /// NUL at `addr`; `ENAMETOOLONG` if there is none within `max` bytes,
    /// `EFAULT` if the string runs into a bad address first.
    pub fn strncpy_from_user(&self, addr: u64, max: usize) -> Result<Vec<u8>, Errno> {
        if addr >= TASK_SIZE {
            return Err(EFAULT);
        }
        // bytes below TASK_SIZE; anything past it faults
        let room = (TASK_SIZE - addr).min(usize::MAX as u64) as usize;
        let mut out = Vec::new();
        let mut a = addr;
        let mut page = [0u8; PAGE_SIZE];
        while out.len() < max {
            if out.len() >= room {
                return Err(EFAULT);
            }
            let n = (PAGE_SIZE - (a & 0xfff) as usize)
                .min(max - out.len())
                .min(room - out.len());
            self.load(a, &mut page[..n]).map_err(fault_errno)?;
            if let Some(z) = page[..n].iter().position(|&b| b == 0) {
                out.extend_from_slice(&page[..z]);
                return Ok(out);
            }
            out.extend_from_slice(&page[..n]);
            a += n as u64;
        }
        Err(ENAMETOOLONG)
    }

    /// `get_user()` of a u64.
    pub fn get_user_u64(&self, addr: u64) -> Result<u64, Errno> {
        let mut b = [0u8; 8];
        self.copy_from_user(&mut b, addr)?;
        Ok(u64::from_le_bytes(b))
    }

    /// `put_user()` of a u64.
    pub fn put_user_u64(&self, addr: u64, v: u64) -> Result<(), Errno> {
        self.copy_to_user(addr, &v.to_le_bytes())
    }

    /// The flag bits of the PTE mapping `addr` (x86 positions: PRESENT,
    /// RW, USER, ACCESSED, DIRTY, PROTNONE), or None if nothing is mapped.
    pub fn pte_flags(&self, addr: u64) -> Option<u64> {
        if addr >= TASK_SIZE {
            return None;
        }
        let k = self.sys();
        let _g = self.mmap_lock.read();
        let pte = self.read_pte(&k.mm, addr & !0xfff);
        (pte != 0).then_some(pte & !PTE_PFN_MASK & !_PAGE_NX)
    }

    /// The frame mapped at `addr`, if any (for tests and `/proc/<pid>/pagemap`-style views).
    pub fn pte_pfn(&self, addr: u64) -> Option<Pfn> {
        if addr >= TASK_SIZE {
            return None;
        }
        let k = self.sys();
        let _g = self.mmap_lock.read();
        let pte = self.read_pte(&k.mm, addr & !0xfff);
        pte_present(pte).then(|| pte_pfn(pte))
    }
}

impl crate::fs::iov_iter::UserMemory for MmStruct {
    fn copy_to_user(&self, addr: u64, src: &[u8]) -> Result<(), Errno> {
        MmStruct::copy_to_user(self, addr, src)
    }
    fn copy_from_user(&self, dst: &mut [u8], addr: u64) -> Result<(), Errno> {
        MmStruct::copy_from_user(self, dst, addr)
    }
}
