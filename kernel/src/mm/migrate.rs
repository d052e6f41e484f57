//! Page migration for non-LRU movable pages: Linux's mm/migrate.c with the
//! `movable_operations` interface (include/linux/migrate.h).
//!
//! Mechanism: whoever owns a movable page registers a [`MovableOps`] and
//! marks the page with `__SetPageMovable` (the ops id goes into
//! `page->mapping` with the `PAGE_MAPPING_MOVABLE` bit, as in Linux).
//! Compaction isolates such a page (`PG_isolated`, one extra reference),
//! copies the frame, and asks the owner to switch its reference from the old
//! pfn to the new one (`migrate_page`); the old page is then freed. User
//! (anonymous) memory will use the same hook from its rmap walk.
//!
//! Invariants: a page is isolated by at most one migrator (PG_isolated is
//! test-and-set); an owner that frees a page clears its movable mark first,
//! so a migrator that finds the mark gone just drops its reference; the new
//! page is fully copied before the owner can see it. Owners must not hold
//! the lock their `migrate_page` takes while they allocate memory: an
//! allocation may compact, and compaction calls `migrate_page`.

use super::page::{PageFlag, Pfn, PAGE_MAPPING_MOVABLE, PG_ISOLATED};
use super::Mm;
use parking_lot::RwLock;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// `enum migrate_reason` names (`migrate_reason_names`).
pub const MIGRATE_REASON_NAMES: [&str; 8] = [
    "compaction",
    "memory_failure",
    "memory_hotplug",
    "syscall_or_cpuset",
    "mempolicy_mbind",
    "numa_misplaced",
    "contig_range",
    "longterm_pin",
];
pub const MR_COMPACTION: i8 = 0;

/// Why a migration did not happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MigrateError {
    /// The owner no longer holds the page (it was freed meanwhile).
    Gone,
    /// The owner cannot move it right now (`-EAGAIN`).
    Busy,
}

/// `struct movable_operations`.
pub trait MovableOps: Send + Sync {
    /// `isolate_page`: may this page be taken for migration now?
    fn isolate_page(&self, _pfn: Pfn) -> bool {
        true
    }
    /// `migrate_page`: `new` already holds `old`'s contents and metadata;
    /// switch every reference from `old` to `new`.
    fn migrate_page(&self, old: Pfn, new: Pfn) -> Result<(), MigrateError>;
    /// `putback_page`: migration of an isolated page was abandoned.
    fn putback_page(&self, _pfn: Pfn) {}
}

/// Registered movable-page owners; ids are indices.
#[derive(Default)]
pub struct MovableRegistry {
    ops: RwLock<Vec<Arc<dyn MovableOps>>>,
}

/// A registered owner's id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MovableId(pub u64);

impl MovableRegistry {
    pub fn register(&self, ops: Arc<dyn MovableOps>) -> MovableId {
        let mut v = self.ops.write();
        v.push(ops);
        MovableId(v.len() as u64)
    }
    fn get(&self, id: u64) -> Option<Arc<dyn MovableOps>> {
        let v = self.ops.read();
        v.get((id as usize).checked_sub(1)?).cloned()
    }
}

impl Mm {
    /// `__SetPageMovable()`.
    pub fn set_page_movable(&self, pfn: Pfn, id: MovableId) {
        if let Some(p) = self.mem_map.get(pfn) {
            p.mapping
                .store((id.0 << 2) | PAGE_MAPPING_MOVABLE, Ordering::Release);
        }
    }

    /// `__ClearPageMovable()`: the owner is about to free the page.
    pub fn clear_page_movable(&self, pfn: Pfn) {
        if let Some(p) = self.mem_map.get(pfn) {
            p.mapping.store(0, Ordering::Release);
        }
    }

    fn movable_ops(&self, pfn: Pfn) -> Option<Arc<dyn MovableOps>> {
        let m = self.mem_map[pfn].mapping.load(Ordering::Acquire);
        if m & PAGE_MAPPING_MOVABLE == 0 {
            return None;
        }
        self.movable.get(m >> 2)
    }

    /// `isolate_movable_page()`: take a reference and mark it isolated.
    pub(crate) fn isolate_movable_page(&self, pfn: Pfn) -> bool {
        let p = &self.mem_map[pfn];
        if !p.page_movable() || p.is_tail() || p.test(PageFlag::Head) {
            return false;
        }
        // get_page_unless_zero()
        let mut c = p._refcount.load(Ordering::Acquire);
        loop {
            if c <= 0 {
                return false;
            }
            match p
                ._refcount
                .compare_exchange(c, c + 1, Ordering::AcqRel, Ordering::Acquire)
            {
                Ok(_) => break,
                Err(now) => c = now,
            }
        }
        let ok = p.page_movable()
            && !p.test_and_set(PG_ISOLATED)
            && self.movable_ops(pfn).is_some_and(|o| o.isolate_page(pfn));
        if !ok {
            if p.page_movable() {
                // someone else isolated it, or the owner refused
            }
            self.put_page(pfn);
            return false;
        }
        true
    }

    /// `putback_movable_pages()` for one page.
    pub(crate) fn putback_movable_page(&self, pfn: Pfn) {
        if let Some(o) = self.movable_ops(pfn) {
            o.putback_page(pfn);
        }
        self.mem_map[pfn].clear(PG_ISOLATED);
        self.put_page(pfn);
    }

    /// `move_to_new_folio()` + `migrate_folio_move()`: move isolated `old`
    /// into the free page `new` (refcount 0, not on any list). On success
    /// `old` is released; on failure `new` is untouched and still free.
    pub(crate) fn migrate_one(&self, old: Pfn, new: Pfn) -> Result<(), MigrateError> {
        let op = &self.mem_map[old];
        let np = &self.mem_map[new];
        let Some(ops) = self.movable_ops(old) else {
            // freed from under us: drop our reference, the page goes away
            op.clear(PG_ISOLATED);
            self.put_page(old);
            return Err(MigrateError::Gone);
        };
        if op.page_ref_count() == 1 {
            op.clear(PG_ISOLATED);
            self.put_page(old);
            return Err(MigrateError::Gone);
        }
        // copy contents and the fields the owner set
        let _ = self.physmem.copy_frame(new, old);
        np.index
            .store(op.index.load(Ordering::Relaxed), Ordering::Relaxed);
        np.private
            .store(op.private.load(Ordering::Relaxed), Ordering::Relaxed);
        const COPY: [PageFlag; 5] = [
            PageFlag::Uptodate,
            PageFlag::Dirty,
            PageFlag::Referenced,
            PageFlag::Active,
            PageFlag::Workingset,
        ];
        for f in COPY {
            if op.test(f) {
                np.set(f);
            }
        }
        np._mapcount.store(-1, Ordering::Relaxed);
        np._refcount.store(1, Ordering::Release);
        np.mapping
            .store(op.mapping.load(Ordering::Acquire), Ordering::Release);
        match ops.migrate_page(old, new) {
            Ok(()) => {
                if let Some(po) = &self.page_owner {
                    po.copy_owner(old, new, MR_COMPACTION);
                }
                op.mapping.store(0, Ordering::Release);
                for f in COPY {
                    op.clear(f);
                }
                op.clear(PG_ISOLATED);
                // the owner's reference moved to `new`; drop the old page's
                // owner reference and ours
                op._refcount.fetch_sub(1, Ordering::AcqRel);
                self.put_page(old);
                Ok(())
            }
            Err(e) => {
                np.mapping.store(0, Ordering::Release);
                np.index.store(0, Ordering::Relaxed);
                np.private.store(0, Ordering::Relaxed);
                np._refcount.store(0, Ordering::Release);
                for f in COPY {
                    np.clear(f);
                }
                self.putback_movable_page(old);
                Err(e)
            }
        }
    }
}
