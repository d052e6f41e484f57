//! `struct mm_struct` and `struct vm_area_struct`: one user address space
//! (include/linux/mm_types.h).
//!
//! Mechanism: the VMAs of an address space live in a `BTreeMap` keyed by
//! `vm_start` inside [`MmLayout`], which `mmap_lock` (a reader-writer lock)
//! protects together with brk and the stack start. Page faults and user
//! accesses hold `mmap_lock` for reading; everything that changes the layout
//! (mmap, munmap, mprotect, mremap, brk, fork's copy, exit) holds it for
//! writing. The page tables hang off `pgd` (see pgtable.rs); the resident
//! set counters (`rss_stat`) and `pgtables_bytes` are atomics because faults
//! change them under the read lock. Threads (CLONE_VM) share one
//! `Arc<MmStruct>`.
//!
//! Invariants: VMAs never overlap, are page aligned and non-empty, and the
//! map key equals `vm_start`; `total_vm`/`data_vm`/`stack_vm` are the sums of
//! `vm_stat_account` over the VMAs; every present PTE in a VMA holds one
//! reference and one mapcount of its page and is counted once in `rss_stat`;
//! an `MmStruct` only ever talks to the page allocator of the kernel it was
//! created in.

use super::pgtable::PtlTable;
use super::shmem::ShmemFile;
use parking_lot::{Mutex, RwLock};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

/// x86-64 user limit (`TASK_SIZE_MAX`, 47-bit addresses minus a guard page).
pub const TASK_SIZE: u64 = 0x0000_7fff_ffff_f000;
/// Initial stack top after exec.
pub const STACK_TOP: u64 = TASK_SIZE;
/// RLIMIT_STACK: the most a `VM_GROWSDOWN` stack grows to on faults.
pub const STACK_RLIMIT: u64 = 8 << 20;
/// Top of the top-down mmap area (`mm->mmap_base`, below the stack gap).
pub const TASK_UNMAPPED_BASE: u64 = 0x0000_7f00_0000_0000;
/// `start_brk` after exec.
pub const ELF_ET_DYN_BASE_BRK: u64 = 0x0000_5555_5600_0000;
/// `vm.mmap_min_addr`: nothing may be mapped below it.
pub const MMAP_MIN_ADDR: u64 = 65536;
/// `stack_guard_gap`: 256 pages kept free below a growing stack.
pub const STACK_GUARD_GAP: u64 = 256 << 12;
/// `vm.max_map_count` default.
pub const DEFAULT_MAX_MAP_COUNT: usize = 65530;
/// The stack exec sets up: 128 KiB of room plus a page of arguments
/// (`setup_arg_pages`' `stack_expand`), 132 KiB as on Linux.
pub const INITIAL_STACK_SIZE: u64 = (128 << 10) + 4096;

/// `si_code` of a SIGSEGV: no mapping at the address.
pub const SEGV_MAPERR: i32 = 1;
/// `si_code` of a SIGSEGV: mapping exists, access not permitted.
pub const SEGV_ACCERR: i32 = 2;

// vm_flags (include/linux/mm.h)
pub const VM_NONE: u64 = 0;
pub const VM_READ: u64 = 0x1;
pub const VM_WRITE: u64 = 0x2;
pub const VM_EXEC: u64 = 0x4;
pub const VM_SHARED: u64 = 0x8;
pub const VM_MAYREAD: u64 = 0x10;
pub const VM_MAYWRITE: u64 = 0x20;
pub const VM_MAYEXEC: u64 = 0x40;
pub const VM_MAYSHARE: u64 = 0x80;
pub const VM_GROWSDOWN: u64 = 0x100;
pub const VM_STACK: u64 = VM_GROWSDOWN;
/// `VM_DATA_DEFAULT_FLAGS` on x86-64 (brk and the heap).
pub const VM_DATA_DEFAULT_FLAGS: u64 = VM_READ | VM_WRITE | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
/// `VM_STACK_DEFAULT_FLAGS` (the exec stack).
pub const VM_STACK_DEFAULT_FLAGS: u64 = VM_DATA_DEFAULT_FLAGS | VM_STACK;

/// `enum { MM_FILEPAGES, MM_ANONPAGES, MM_SWAPENTS, MM_SHMEMPAGES }`.
pub const MM_FILEPAGES: usize = 0;
pub const MM_ANONPAGES: usize = 1;
pub const MM_SWAPENTS: usize = 2;
pub const MM_SHMEMPAGES: usize = 3;
pub const NR_MM_COUNTERS: usize = 4;

/// Why a user-mode access could not be completed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultError {
    /// SIGSEGV: si_code SEGV_MAPERR (1, no VMA) or SEGV_ACCERR (2, protection).
    Segv { addr: u64, code: i32 },
    /// The address space's memory cgroup is at its limit (the caller runs
    /// the memcg OOM killer).
    Memcg,
    /// The page allocator could not give a page (the caller runs the OOM
    /// killer and retries or kills).
    Oom,
}

/// `struct vm_area_struct`: one mapping. Every usk mapping is anonymous:
/// private ones own their pages (copy-on-write after fork), shared ones
/// (MAP_SHARED|MAP_ANONYMOUS) find their pages in a [`ShmemFile`], as
/// Linux backs them with a shmem file.
#[derive(Clone)]
pub struct Vma {
    pub vm_start: u64,
    pub vm_end: u64,
    pub vm_flags: u64,
    /// Offset in pages: into the shmem file for shared mappings, the
    /// original `vm_start >> PAGE_SHIFT` for private ones (as Linux).
    pub vm_pgoff: u64,
    /// The shmem object of a shared anonymous mapping (Linux's `vm_file`).
    pub vm_file: Option<Arc<ShmemFile>>,
}

impl std::fmt::Debug for Vma {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Vma({:#x}-{:#x} flags {:#x} pgoff {:#x}{})",
            self.vm_start,
            self.vm_end,
            self.vm_flags,
            self.vm_pgoff,
            if self.vm_file.is_some() { " shmem" } else { "" }
        )
    }
}

impl Vma {
    /// `vma_pages()`.
    pub fn pages(&self) -> u64 {
        (self.vm_end - self.vm_start) >> 12
    }
    /// `vma_is_anonymous()`: private anonymous memory (no backing object).
    pub fn is_anonymous(&self) -> bool {
        self.vm_file.is_none()
    }
    /// `vma_is_accessible()`.
    pub fn is_accessible(&self) -> bool {
        self.vm_flags & (VM_READ | VM_WRITE | VM_EXEC) != 0
    }
    /// `is_cow_mapping()`: private and may become writable.
    pub fn is_cow_mapping(&self) -> bool {
        self.vm_flags & (VM_SHARED | VM_MAYWRITE) == VM_MAYWRITE
    }
    /// `vm_start_gap()`: the start including the guard gap of a stack.
    pub fn start_gap(&self) -> u64 {
        if self.vm_flags & VM_GROWSDOWN != 0 {
            self.vm_start.saturating_sub(STACK_GUARD_GAP)
        } else {
            self.vm_start
        }
    }
    /// `is_mergeable_vma()` + the pgoff rule of `can_vma_merge_after()`:
    /// may `next` (starting where `self` ends) be folded into `self`?
    pub fn can_merge_with(&self, next: &Vma) -> bool {
        self.vm_end == next.vm_start
            && self.vm_flags == next.vm_flags
            && self.vm_pgoff + self.pages() == next.vm_pgoff
            && match (&self.vm_file, &next.vm_file) {
                (None, None) => true,
                (Some(a), Some(b)) => Arc::ptr_eq(a, b),
                _ => false,
            }
    }
}

/// What `mmap_lock` protects: the VMA tree and the layout fields of
/// `mm_struct`, and the virtual-memory counters that only change with them.
#[derive(Default)]
pub struct MmLayout {
    /// VMAs keyed by `vm_start`.
    pub vmas: BTreeMap<u64, Vma>,
    pub mmap_base: u64,
    pub start_brk: u64,
    pub brk: u64,
    pub start_stack: u64,
    /// Pages mapped (`total_vm`), private writable (`data_vm`), stack
    /// (`stack_vm`), and the peaks (`hiwater_vm`, `hiwater_rss`).
    pub total_vm: u64,
    pub data_vm: u64,
    pub stack_vm: u64,
    pub hiwater_vm: u64,
    pub hiwater_rss: u64,
}

impl MmLayout {
    /// `find_vma()`: the first VMA ending above `addr`.
    pub fn find_vma(&self, addr: u64) -> Option<&Vma> {
        if let Some((_, v)) = self.vmas.range(..=addr).next_back() {
            if v.vm_end > addr {
                return Some(v);
            }
        }
        self.vmas.range(addr..).next().map(|(_, v)| v)
    }

    /// The VMA containing `addr` (`vma_lookup()`).
    pub fn vma_lookup(&self, addr: u64) -> Option<&Vma> {
        self.find_vma(addr).filter(|v| v.vm_start <= addr)
    }

    /// The VMA before `addr` (ending at or below it).
    pub fn find_vma_prev(&self, addr: u64) -> Option<&Vma> {
        self.vmas
            .range(..addr)
            .next_back()
            .map(|(_, v)| v)
            .filter(|v| v.vm_end <= addr)
    }

    /// `find_vma_intersection()`.
    pub fn intersects(&self, start: u64, end: u64) -> bool {
        self.find_vma(start).is_some_and(|v| v.vm_start < end)
    }

    /// `vm_stat_account()`: `npages` more (or fewer) pages with `flags`.
    pub fn vm_stat_account(&mut self, flags: u64, npages: i64) {
        let add = |c: &mut u64| *c = c.saturating_add_signed(npages);
        add(&mut self.total_vm);
        if flags & VM_STACK == VM_STACK {
            add(&mut self.stack_vm);
        } else if flags & (VM_WRITE | VM_SHARED | VM_STACK) == VM_WRITE {
            add(&mut self.data_vm);
        }
        self.hiwater_vm = self.hiwater_vm.max(self.total_vm);
    }

    /// `map_count`.
    pub fn map_count(&self) -> usize {
        self.vmas.len()
    }
}

/// `struct mm_struct`.
pub struct MmStruct {
    /// `mmap_lock`: the layout. Read for faults and accesses, write for
    /// changes of the layout.
    pub mmap_lock: RwLock<MmLayout>,
    /// `page_table_lock`: populating the PGD and the upper levels.
    pub page_table_lock: Mutex<()>,
    /// Split PTE locks (`pte_lockptr()`), hashed by PTE-table frame.
    pub(crate) ptl: PtlTable,
    /// Frame of the PGD, 0 until the first page table is needed.
    pub(crate) pgd: AtomicUsize,
    /// `rss_stat`, indexed by `MM_*PAGES`.
    pub(crate) rss_stat: [AtomicI64; NR_MM_COUNTERS],
    /// `pgtables_bytes`: PTE, PMD and PUD tables (VmPTE).
    pub(crate) pgtables_bytes: AtomicI64,
    /// The kernel whose page allocator backs this address space.
    pub(crate) owner: crate::kernel::sched::current::OwnerKernel,
    /// This address space, as the reverse map names it.
    pub(crate) this: Weak<MmStruct>,
    /// The memory cgroup its private pages are charged to (the owner's
    /// group; `None`: the root group, which is not limited or counted).
    pub(crate) memcg: parking_lot::Mutex<Option<Arc<crate::kernel::cgroup::MemCgroup>>>,
}

impl std::fmt::Debug for MmStruct {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MmStruct")
            .field("rss", &self.rss_pages())
            .finish()
    }
}

impl MmStruct {
    /// `mm_alloc()`: an empty address space of the calling task's kernel.
    pub fn new() -> Arc<MmStruct> {
        Arc::new_cyclic(|this| MmStruct {
            mmap_lock: RwLock::new(MmLayout {
                mmap_base: TASK_UNMAPPED_BASE,
                ..Default::default()
            }),
            page_table_lock: Mutex::new(()),
            ptl: PtlTable::default(),
            pgd: AtomicUsize::new(0),
            rss_stat: Default::default(),
            pgtables_bytes: AtomicI64::new(0),
            memcg: parking_lot::Mutex::new(None),
            owner: crate::kernel::sched::current::OwnerKernel::current(),
            this: this.clone(),
        })
    }

    /// The owning kernel; an address space used from another kernel's
    /// thread would hand its frames to the wrong allocator, a usk bug.
    #[inline]
    pub(crate) fn sys(&self) -> crate::init::kernel::KernelRef {
        assert!(
            self.owner.is_current(),
            "mm_struct used outside the kernel that created it"
        );
        crate::init::kernel::kernel()
    }

    #[inline]
    pub(crate) fn add_mm_counter(&self, member: usize, v: i64) {
        self.rss_stat[member].fetch_add(v, Ordering::Relaxed);
    }

    pub fn get_mm_counter(&self, member: usize) -> u64 {
        self.rss_stat[member].load(Ordering::Relaxed).max(0) as u64
    }

    /// `get_mm_rss()`: resident pages (anonymous + shmem; no file pages).
    pub fn rss_pages(&self) -> u64 {
        self.get_mm_counter(MM_FILEPAGES)
            + self.get_mm_counter(MM_ANONPAGES)
            + self.get_mm_counter(MM_SHMEMPAGES)
    }

    /// `total_vm`.
    pub fn total_vm_pages(&self) -> u64 {
        self.mmap_lock.read().total_vm
    }

    /// `mm_pgtables_bytes()`.
    pub fn pgtables_bytes(&self) -> u64 {
        self.pgtables_bytes.load(Ordering::Relaxed).max(0) as u64
    }

    /// `update_hiwater_rss()`: called before pages go away.
    pub(crate) fn update_hiwater_rss(&self, l: &mut MmLayout) {
        l.hiwater_rss = l.hiwater_rss.max(self.rss_pages());
    }

    /// Records where exec put the initial stack pointer (`mm->start_stack`).
    pub fn set_start_stack(&self, sp: u64) {
        self.mmap_lock.write().start_stack = sp;
    }

    /// `(start_brk, brk)`.
    pub fn brk_range(&self) -> (u64, u64) {
        let l = self.mmap_lock.read();
        (l.start_brk, l.brk)
    }

    /// A snapshot of the VMAs, in address order.
    pub fn vmas(&self) -> Vec<Vma> {
        self.mmap_lock.read().vmas.values().cloned().collect()
    }
}

impl Drop for MmStruct {
    /// `mmput()` of the last user: `exit_mmap()`. On a thread outside the
    /// owning kernel (the kernel is gone) there is nothing left to free.
    fn drop(&mut self) {
        if self.owner.is_current() {
            self.exit_mmap();
        }
    }
}
