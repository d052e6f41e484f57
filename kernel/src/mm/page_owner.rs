//! page_owner: who allocated every page (seed 003, "/proc/page_owner"), in
//! today's Linux format (mm/page_owner.c).
//!
//! Mechanism: with `page_owner=on` each frame gets a `page_ext` record. On
//! allocation `set_page_owner` records order, gfp mask, pid, tgid, comm, a
//! `local_clock()` timestamp and the allocating call chain, deduplicated in
//! the stack depot (the record keeps a 4-byte handle). On free the record is
//! marked not-allocated and stamped with the free time; on migration the
//! record moves with the contents ("Page has been migrated, last migrate
//! reason: compaction"). `/sys/kernel/debug/page_owner` prints, for every
//! allocated head page:
//!
//! ```text
//! Page allocated via order 0, mask 0xcc0(GFP_KERNEL), pid 1, tgid 1 (init), ts 1234 ns
//! PFN 0x1234 type Unmovable Block 9 type Unmovable Flags 0x…(node=0|zone=1)
//!  __alloc_pages+0x…
//!  …
//!
//! ```
//!
//! which Linux's tools/mm/page_owner_sort and ours (`usk page_owner_sort`)
//! fold into "N times:" blocks. Off means zero cost: `Mm::page_owner` is
//! `None` and the allocator tests one pointer.
//!
//! Invariants: a record is written only by the thread that owns the page at
//! that moment (allocator, freer or migrator), so writers never race each
//! other; readers go through the record's sequence count (a seqcount, as
//! `read_seqcount_begin()`/`_retry()`), so they see a consistent snapshot,
//! never a torn one, and the writer takes no lock.

use super::gfp::{format_gfp, gfp_migratetype, Gfp};
use super::mmzone::MigrateType;
use super::page::{PageFlag, Pfn};
use super::stackdepot::{DepotStackHandle, StackDepot};
use super::Mm;
use std::fmt::Write;
use std::sync::atomic::{fence, AtomicU32, AtomicU64, Ordering};

/// `PAGE_OWNER_STACK_DEPTH`.
pub const PAGE_OWNER_STACK_DEPTH: usize = 16;
/// Frames the capture machinery itself adds on top of the recorded chain
/// when `save_stack` unwinds a second time (`backtrace::trace`'s own,
/// `save_stack`, `set_page_owner`, …).
const CAPTURE_SKIP_MAX: usize = 6;

const PAGE_EXT_OWNER: u8 = 1;
const PAGE_EXT_OWNER_ALLOCATED: u8 = 2;

/// `struct page_owner`.
#[derive(Clone, Copy, Debug, Default)]
pub struct PageOwnerRec {
    pub ext_flags: u8,
    pub order: u8,
    pub last_migrate_reason: i8,
    pub gfp_mask: u32,
    pub handle: DepotStackHandle,
    pub ts_nsec: u64,
    pub free_ts_nsec: u64,
    pub pid: i32,
    pub tgid: i32,
    pub comm: [u8; 16],
}

impl PageOwnerRec {
    pub fn comm(&self) -> &str {
        let n = self.comm.iter().position(|&b| b == 0).unwrap_or(16);
        std::str::from_utf8(&self.comm[..n]).unwrap_or("?")
    }
}

/// Words of a packed `PageOwnerRec`.
const REC_WORDS: usize = 7;

impl PageOwnerRec {
    fn pack(&self) -> [u64; REC_WORDS] {
        let c = |i: usize| u64::from_le_bytes(self.comm[i..i + 8].try_into().unwrap());
        [
            self.ext_flags as u64
                | (self.order as u64) << 8
                | (self.last_migrate_reason as u8 as u64) << 16
                | (self.gfp_mask as u64) << 32,
            self.handle as u64 | (self.pid as u32 as u64) << 32,
            self.tgid as u32 as u64,
            self.ts_nsec,
            self.free_ts_nsec,
            c(0),
            c(8),
        ]
    }

    fn unpack(w: [u64; REC_WORDS]) -> PageOwnerRec {
        let mut comm = [0u8; 16];
        comm[..8].copy_from_slice(&w[5].to_le_bytes());
        comm[8..].copy_from_slice(&w[6].to_le_bytes());
        PageOwnerRec {
            ext_flags: w[0] as u8,
            order: (w[0] >> 8) as u8,
            last_migrate_reason: (w[0] >> 16) as u8 as i8,
            gfp_mask: (w[0] >> 32) as u32,
            handle: w[1] as u32,
            pid: (w[1] >> 32) as u32 as i32,
            tgid: w[2] as u32 as i32,
            ts_nsec: w[3],
            free_ts_nsec: w[4],
            comm,
        }
    }
}

/// One frame's `page_ext` slot: the packed record behind a sequence count
/// (odd while its owner rewrites it), on a cache line of its own.
#[repr(align(64))]
struct PageOwnerSlot {
    seq: AtomicU32,
    words: [AtomicU64; REC_WORDS],
}

impl PageOwnerSlot {
    fn new(r: &PageOwnerRec) -> Self {
        PageOwnerSlot {
            seq: AtomicU32::new(0),
            words: r.pack().map(AtomicU64::new),
        }
    }

    /// A consistent copy (`read_seqcount_begin()` … `_retry()`).
    fn read(&self) -> PageOwnerRec {
        loop {
            let s = self.seq.load(Ordering::Acquire);
            if s & 1 == 0 {
                let w = std::array::from_fn(|i| self.words[i].load(Ordering::Relaxed));
                fence(Ordering::Acquire);
                if self.seq.load(Ordering::Relaxed) == s {
                    return PageOwnerRec::unpack(w);
                }
            }
            std::hint::spin_loop();
        }
    }

    /// Write `words` (those at `which`) as the page's owner, the only
    /// writer (`write_seqcount_begin()` … `_end()`).
    #[inline]
    fn write(&self, which: impl Iterator<Item = usize>, words: &[u64; REC_WORDS]) {
        let s = self.seq.load(Ordering::Relaxed);
        self.seq.store(s.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        for i in which {
            self.words[i].store(words[i], Ordering::Relaxed);
        }
        self.seq.store(s.wrapping_add(2), Ordering::Release);
    }

    /// Rewrite the record with `f` (the owner's own view needs no retry).
    fn update(&self, f: impl FnOnce(&mut PageOwnerRec)) {
        let mut r = PageOwnerRec::unpack(std::array::from_fn(|i| {
            self.words[i].load(Ordering::Relaxed)
        }));
        f(&mut r);
        self.write(0..REC_WORDS, &r.pack());
    }
}

/// page_owner state: one record per frame plus the stack depot.
pub struct PageOwner {
    recs: Box<[PageOwnerSlot]>,
    pub depot: StackDepot,
}

/// `save_stack()`: capture and deduplicate the call chain above the live
/// frame `fp` (the caller's, so the walk does not hop through this
/// function's own frames).
///
/// The common case — a chain seen before — costs one frame-pointer walk
/// (`stack_trace_save_from`) and a depot lookup. Only a chain the depot has not seen
/// is unwound a second time to learn each frame's function start, which the
/// printed `function+offset` needs; starts are kept per return address, so
/// the second unwind's own (different) top frames do not matter.
#[inline(never)]
fn save_stack(depot: &StackDepot, fp: usize) -> DepotStackHandle {
    const DEPTH: usize = PAGE_OWNER_STACK_DEPTH;
    thread_local! {
        /// The last chain this thread saved: (depot, length, chain, handle).
        /// A loop allocating from one place repeats its chain, and then
        /// the depot's lock is not touched at all.
        static LAST: std::cell::RefCell<(u64, usize, [usize; DEPTH], DepotStackHandle)> =
            const { std::cell::RefCell::new((0, 0, [0; DEPTH], 0)) };
    }
    let mut ips = [0usize; DEPTH];
    let n = crate::lib::stacktrace::stack_trace_save_from(fp, &mut ips);
    let key = depot.id;
    // compared in place: copying the chain out costs more than the compare
    let hit = LAST.with(|l| {
        let (d, len, last, h) = &*l.borrow();
        let same = last[..n].iter().zip(&ips[..n]).all(|(a, b)| a == b);
        (*d == key && *len == n && same && *h != 0).then_some(*h)
    });
    if let Some(h) = hit {
        return h;
    }
    let (handle, new) = depot.save_new(&ips[..n]);
    LAST.with(|l| *l.borrow_mut() = (key, n, ips, handle));
    if new {
        let mut starts = Vec::with_capacity(n + CAPTURE_SKIP_MAX);
        backtrace::trace(|f| {
            starts.push((f.ip() as usize, f.symbol_address() as usize));
            starts.len() < n + CAPTURE_SKIP_MAX
        });
        depot.record_starts(&starts);
    }
    handle
}

impl PageOwner {
    pub fn new(nr_pages: usize) -> PageOwner {
        PageOwner {
            recs: (0..nr_pages)
                .map(|_| {
                    PageOwnerSlot::new(&PageOwnerRec {
                        last_migrate_reason: -1,
                        ..Default::default()
                    })
                })
                .collect(),
            depot: StackDepot::default(),
        }
    }

    /// `__set_page_owner()`. Out of line so that the chain it records
    /// starts where the allocator called it, however the allocator itself
    /// was inlined.
    #[inline(never)]
    pub(crate) fn set_page_owner(&self, _mm: &Mm, pfn: Pfn, order: u32, gfp: Gfp) {
        let handle = save_stack(&self.depot, crate::lib::stacktrace::frame_address());
        let (pid, tgid, comm) = super::glue::current_comm16();
        let words = PageOwnerRec {
            ext_flags: PAGE_EXT_OWNER | PAGE_EXT_OWNER_ALLOCATED,
            order: order as u8,
            last_migrate_reason: -1,
            gfp_mask: gfp.0,
            handle,
            ts_nsec: super::glue::local_clock(),
            free_ts_nsec: 0,
            pid,
            tgid,
            comm,
        }
        .pack();
        for i in 0..(1usize << order) {
            if let Some(r) = self.recs.get(pfn + i) {
                // every word but the last free time (word 4)
                r.write([0, 1, 2, 3, 5, 6].into_iter(), &words);
            }
        }
    }

    /// `__reset_page_owner()`.
    pub(crate) fn reset_page_owner(&self, pfn: Pfn, order: u32) {
        let ts = super::glue::local_clock();
        for i in 0..(1usize << order) {
            if let Some(r) = self.recs.get(pfn + i) {
                // word 0 holds ext_flags in its low byte; word 4 the free time
                let mut w = [0; REC_WORDS];
                w[0] = r.words[0].load(Ordering::Relaxed) & !(PAGE_EXT_OWNER_ALLOCATED as u64);
                w[4] = ts;
                r.write([0, 4].into_iter(), &w);
            }
        }
    }

    /// `split_page_owner()` for one page: it is now an order-0 allocation.
    pub(crate) fn split(&self, pfn: Pfn) {
        if let Some(r) = self.recs.get(pfn) {
            r.update(|r| r.order = 0);
        }
    }

    /// `__folio_copy_owner()`.
    pub(crate) fn copy_owner(&self, old: Pfn, new: Pfn, reason: i8) {
        let Some(o) = self.record(old) else {
            return;
        };
        if let Some(r) = self.recs.get(new) {
            r.update(|n| {
                *n = o;
                n.last_migrate_reason = reason;
            });
        }
    }

    pub fn record(&self, pfn: Pfn) -> Option<PageOwnerRec> {
        self.recs.get(pfn).map(PageOwnerSlot::read)
    }

    pub(crate) fn alloc_info(&self, pfn: Pfn) -> Option<(u32, MigrateType)> {
        let r = self.record(pfn)?;
        (r.ext_flags & PAGE_EXT_OWNER_ALLOCATED != 0)
            .then(|| (r.order as u32, gfp_migratetype(Gfp(r.gfp_mask))))
    }
}

impl Mm {
    /// `print_page_owner()` for one record.
    fn print_page_owner(&self, out: &mut String, pfn: Pfn, r: &PageOwnerRec, po: &PageOwner) {
        let gfp = Gfp(r.gfp_mask);
        let _ = writeln!(
            out,
            "Page allocated via order {}, mask {:#x}({}), pid {}, tgid {} ({}), ts {} ns",
            r.order,
            r.gfp_mask,
            format_gfp(gfp),
            r.pid,
            r.tgid,
            r.comm(),
            r.ts_nsec
        );
        let zone = self.page_zone(pfn);
        let _ = writeln!(
            out,
            "PFN {:#x} type {} Block {} type {} Flags {}",
            pfn,
            gfp_migratetype(gfp).name(),
            pfn >> self.pageblock_order,
            zone.get_pageblock_migratetype(pfn).name(),
            super::page::format_page_flags(self.mem_map[pfn].flags.load(Ordering::Relaxed))
        );
        out.push_str(&po.depot.snprint(r.handle));
        if r.last_migrate_reason >= 0 {
            let _ = writeln!(
                out,
                "Page has been migrated, last migrate reason: {}",
                super::migrate::MIGRATE_REASON_NAMES
                    .get(r.last_migrate_reason as usize)
                    .copied()
                    .unwrap_or("unknown")
            );
        }
        out.push('\n');
    }

    /// `/sys/kernel/debug/page_owner` (`read_page_owner`, whole file).
    /// `Err(EINVAL)`-like `None` when page_owner is off, as Linux returns
    /// -EINVAL from read().
    pub fn page_owner_text(&self) -> Option<String> {
        let po = self.page_owner.as_ref()?;
        let mut out = String::new();
        let mut pfn = 0;
        while pfn < self.mem_map.len() {
            let page = &self.mem_map[pfn];
            if page.test(PageFlag::Buddy) {
                let o = page.buddy_order() as usize;
                pfn += if o < super::MAX_ORDER { 1 << o } else { 1 };
                continue;
            }
            let r = po.record(pfn).unwrap_or_default();
            if r.ext_flags & PAGE_EXT_OWNER == 0
                || r.ext_flags & PAGE_EXT_OWNER_ALLOCATED == 0
                || pfn & ((1usize << r.order) - 1) != 0
                || r.handle == 0
            {
                pfn += 1;
                continue;
            }
            self.print_page_owner(&mut out, pfn, &r, po);
            pfn += 1;
        }
        Some(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(n: u32) -> PageOwnerRec {
        let mut comm = [0u8; 16];
        comm[..15].fill(b'a' + (n % 26) as u8);
        PageOwnerRec {
            ext_flags: PAGE_EXT_OWNER | PAGE_EXT_OWNER_ALLOCATED,
            order: (n % 11) as u8,
            last_migrate_reason: if n.is_multiple_of(2) { -1 } else { 3 },
            gfp_mask: 0xcc0 | n << 20,
            handle: n,
            ts_nsec: n as u64 * 1000,
            free_ts_nsec: u64::MAX - n as u64,
            pid: -(n as i32),
            tgid: n as i32,
            comm,
        }
    }

    fn same(a: &PageOwnerRec, b: &PageOwnerRec) -> bool {
        a.pack() == b.pack()
            && (
                a.ext_flags,
                a.order,
                a.last_migrate_reason,
                a.gfp_mask,
                a.handle,
            ) == (
                b.ext_flags,
                b.order,
                b.last_migrate_reason,
                b.gfp_mask,
                b.handle,
            )
            && (a.ts_nsec, a.free_ts_nsec, a.pid, a.tgid, a.comm)
                == (b.ts_nsec, b.free_ts_nsec, b.pid, b.tgid, b.comm)
    }

    #[test]
    fn a_record_packs_and_unpacks_whole() {
        for n in [0, 1, 7, 0xffff, u32::MAX >> 12] {
            let r = rec(n);
            assert!(same(&PageOwnerRec::unpack(r.pack()), &r), "{n}");
        }
    }

    /// A reader racing the owner's rewrites only ever sees whole records.
    #[test]
    fn readers_never_see_a_torn_record() {
        let slot = PageOwnerSlot::new(&rec(0));
        let done = std::sync::atomic::AtomicBool::new(false);
        std::thread::scope(|s| {
            s.spawn(|| {
                for n in 1..200_000 {
                    slot.update(|r| *r = rec(n));
                }
                done.store(true, Ordering::Release);
            });
            while !done.load(Ordering::Acquire) {
                let r = slot.read();
                assert!(same(&r, &rec(r.handle)), "torn: {r:?}");
            }
        });
    }
}
