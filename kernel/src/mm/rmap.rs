//! The reverse map of private anonymous pages, and their migration: what
//! Linux's mm/rmap.c (anon_vma, `try_to_migrate`, `remove_migration_ptes`)
//! does so that compaction can move user memory.
//!
//! Mechanism: every mapping of a private anonymous page is recorded as
//! (address space, user address) in a table sharded by pfn. A mapped
//! anonymous page is a non-LRU movable page of this owner (migrate.rs):
//! compaction isolates it (only when it holds a single reference, i.e. one
//! mapping), copies it and calls [`AnonRmap::migrate_page`], which takes the
//! mapping address space's `mmap_lock` for writing (try-lock: a fault of
//! that address space may be what is compacting), copies the frame again
//! (the first copy raced user stores), points the PTE at the new frame and
//! moves the rmap entry.
//!
//! Invariants: the entries of a pfn are exactly the PTEs mapping it, kept
//! in step under the mapping's `mmap_lock` (read with the PTE lock for
//! faults, write for unmap, fork and mremap); a page is marked movable
//! while it has at least one mapping and the mark is cleared before the
//! mapping's reference is dropped; lock order is `mmap_lock` → PTE lock →
//! rmap shard.

use super::migrate::{MigrateError, MovableId, MovableOps};
use super::mm_types::MmStruct;
use super::page::{PageFlag, Pfn};
use super::pgtable::{pte_pfn, read_entry, set_entry, table_index, PTE_PFN_MASK};
use super::PAGE_SHIFT;
use crossbeam_utils::CachePadded;
use parking_lot::Mutex;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{OnceLock, Weak};

const NR_SHARDS: usize = 64;

/// One mapping of a page.
#[derive(Clone)]
struct RmapItem {
    mm: Weak<MmStruct>,
    addr: u64,
}

impl RmapItem {
    fn is(&self, mm: &Weak<MmStruct>, addr: u64) -> bool {
        self.addr == addr && Weak::ptr_eq(&self.mm, mm)
    }
}

type Shard = CachePadded<Mutex<HashMap<Pfn, Vec<RmapItem>>>>;

/// The reverse map of one kernel's anonymous pages, and their movable-page
/// owner.
pub struct AnonRmap {
    shards: Box<[Shard]>,
    id: OnceLock<MovableId>,
}

impl Default for AnonRmap {
    fn default() -> Self {
        AnonRmap {
            shards: (0..NR_SHARDS).map(|_| Shard::default()).collect(),
            id: OnceLock::new(),
        }
    }
}

impl AnonRmap {
    /// Records the id the movable-page registry gave this owner.
    pub fn set_movable_id(&self, id: MovableId) {
        let _ = self.id.set(id);
    }

    pub(crate) fn movable_id(&self) -> Option<MovableId> {
        self.id.get().copied()
    }

    fn shard(&self, pfn: Pfn) -> &Mutex<HashMap<Pfn, Vec<RmapItem>>> {
        &self.shards[pfn % NR_SHARDS]
    }

    /// `page_add_anon_rmap()`'s record.
    pub(crate) fn add(&self, pfn: Pfn, mm: &Weak<MmStruct>, addr: u64) {
        self.shard(pfn)
            .lock()
            .entry(pfn)
            .or_default()
            .push(RmapItem {
                mm: mm.clone(),
                addr,
            });
    }

    /// `page_remove_rmap()`'s record.
    pub(crate) fn remove(&self, pfn: Pfn, mm: &Weak<MmStruct>, addr: u64) {
        let mut s = self.shard(pfn).lock();
        if let Some(v) = s.get_mut(&pfn) {
            if let Some(i) = v.iter().position(|it| it.is(mm, addr)) {
                v.swap_remove(i);
            }
            if v.is_empty() {
                s.remove(&pfn);
            }
        }
    }

    /// mremap moved the mapping at `old_addr` to `new_addr`.
    pub(crate) fn move_addr(&self, pfn: Pfn, mm: &Weak<MmStruct>, old_addr: u64, new_addr: u64) {
        if let Some(it) = self
            .shard(pfn)
            .lock()
            .get_mut(&pfn)
            .and_then(|v| v.iter_mut().find(|it| it.is(mm, old_addr)))
        {
            it.addr = new_addr;
        }
    }

    /// How many PTEs the rmap knows for `pfn`.
    pub fn nr_mappings(&self, pfn: Pfn) -> usize {
        self.shard(pfn).lock().get(&pfn).map_or(0, |v| v.len())
    }

    fn only_mapping(&self, pfn: Pfn) -> Result<RmapItem, MigrateError> {
        match self.shard(pfn).lock().get(&pfn).map(|v| v.as_slice()) {
            None | Some([]) => Err(MigrateError::Gone),
            Some([it]) => Ok(it.clone()),
            Some(_) => Err(MigrateError::Busy),
        }
    }
}

impl MovableOps for AnonRmap {
    /// Moves the single mapping of `old` to `new` (see the module comment).
    fn migrate_page(&self, old: Pfn, new: Pfn) -> Result<(), MigrateError> {
        if crate::kernel::sched::current::kernel_ptr().is_null() {
            return Err(MigrateError::Busy);
        }
        let item = self.only_mapping(old)?;
        let mm = item.mm.upgrade().ok_or(MigrateError::Busy)?;
        let k = crate::init::kernel::kernel();
        let sys = &k.mm;
        // (the guard is dropped before `mm`, which may be the last reference)
        let _w = mm.mmap_lock.try_write().ok_or(MigrateError::Busy)?;
        let again = self.only_mapping(old)?;
        let op = &sys.mem_map[old];
        // one mapping, and the only other reference is the isolation's
        if !again.is(&item.mm, item.addr) || op.page_mapcount() != 1 || op.page_ref_count() != 2 {
            return Err(MigrateError::Busy);
        }
        let pt = mm.pte_table(sys, item.addr).ok_or(MigrateError::Busy)?;
        let idx = table_index(item.addr, 0);
        let pte = read_entry(sys, pt, idx);
        if pte_pfn(pte) != old {
            return Err(MigrateError::Busy);
        }
        // user stores may have landed after migrate_one's copy
        let _ = sys.physmem.copy_frame(new, old);
        let np = &sys.mem_map[new];
        np.set(PageFlag::Swapbacked);
        np._mapcount.store(0, Ordering::Release);
        op._mapcount.store(-1, Ordering::Release);
        set_entry(
            sys,
            pt,
            idx,
            (pte & !PTE_PFN_MASK) | ((new as u64) << PAGE_SHIFT),
        );
        let mut s = self.shard(old).lock();
        s.remove(&old);
        drop(s);
        self.add(new, &item.mm, item.addr);
        Ok(())
    }
}
