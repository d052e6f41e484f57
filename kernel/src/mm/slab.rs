//! The slab allocator and kmalloc: Linux's mm/slub.c + mm/slab_common.c.
//!
//! Mechanism (SLUB): a cache (`kmem_cache`) carves slabs — compound pages of
//! `order` from the buddy allocator, marked `PG_slab` with the cache id in
//! `page->mapping` — into equal objects. Free objects of a slab form a
//! singly linked freelist whose next pointers live *inside the free objects*
//! in simulated physical memory, as in SLUB; `page->index` holds the
//! freelist head and `page->private` the in-use count. A cache keeps a
//! partial list; empty slabs beyond `min_partial` go back to the buddy
//! allocator. Caches created with `SLAB_RECLAIM_ACCOUNT` allocate their
//! slabs with `__GFP_RECLAIMABLE` (seed 003's KERNRCLM) and count as
//! SReclaimable. `kmalloc` rounds up to the kmalloc size classes
//! (kmalloc-8 … kmalloc-8k) and serves larger sizes straight from the page
//! allocator. Shrinkers (`register_shrinker`) are called from direct
//! reclaim. `/proc/slabinfo` prints version 2.1 in Linux's layout.
//!
//! Not modelled: per-CPU slabs (one lock per cache instead), NUMA-node
//! partial lists, debugging redzones, memcg accounting.
//!
//! Invariants: `inuse + free objects = objects` for every slab; a slab is on
//! the partial list iff it has a free object; object addresses are
//! direct-map addresses `slab_base + k·size`; bad frees (foreign pointers,
//! wrong cache, freelist-head double free) are reported, never followed.

use super::gfp::*;
use super::page::{PageFlag, Pfn};
use super::{page_address, Mm, MmError, PAGE_SIZE};
use crate::lib::stacktrace::{frame_address, return_address};
use crate::trace::{events as ev, trace};
use parking_lot::{Mutex, RwLock};
use std::fmt::Write;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// `SLAB_HWCACHE_ALIGN`.
pub const SLAB_HWCACHE_ALIGN: u32 = 0x2000;
/// `SLAB_RECLAIM_ACCOUNT`.
pub const SLAB_RECLAIM_ACCOUNT: u32 = 0x20000;
/// `ZERO_SIZE_PTR`: what `kmalloc(0)` returns.
pub const ZERO_SIZE_PTR: u64 = 16;
/// Largest kmalloc served by a cache (`KMALLOC_MAX_CACHE_SIZE`, 2 pages).
pub const KMALLOC_MAX_CACHE_SIZE: usize = 8192;
const KMALLOC_SIZES: [usize; 13] = [
    8, 16, 32, 64, 96, 128, 192, 256, 512, 1024, 2048, 4096, 8192,
];
const SLUB_MAX_ORDER: u32 = 3;
const MIN_PARTIAL: usize = 5;

#[derive(Default)]
struct CacheState {
    partial: Vec<Pfn>,
    nr_slabs: usize,
    active_objs: usize,
    empty: usize,
}

/// `struct kmem_cache`.
pub struct KmemCache {
    pub name: String,
    pub object_size: usize,
    /// Object size including alignment padding (`s->size`).
    pub size: usize,
    pub order: u32,
    pub objects: usize,
    pub flags: u32,
    id: u64,
    state: Mutex<CacheState>,
}

impl std::fmt::Debug for KmemCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "kmem_cache({})", self.name)
    }
}

/// `struct shrinker`.
pub trait Shrinker: Send + Sync {
    fn count_objects(&self) -> usize;
    /// Free up to `nr_to_scan` objects; return how many were freed.
    fn scan_objects(&self, mm: &Mm, nr_to_scan: usize) -> usize;
}

/// Slab state of one kernel.
#[derive(Default)]
pub struct Slab {
    caches: RwLock<Vec<Option<Arc<KmemCache>>>>,
    kmalloc: std::sync::OnceLock<Vec<Arc<KmemCache>>>,
    shrinkers: Mutex<Vec<Arc<dyn Shrinker>>>,
}

/// `calculate_order()`: smallest order wasting at most 1/16.
fn calculate_order(size: usize) -> Option<u32> {
    for order in 0..=SLUB_MAX_ORDER {
        let slab = PAGE_SIZE << order;
        if slab < size {
            continue;
        }
        let waste = slab % size;
        if waste * 16 <= slab || order == SLUB_MAX_ORDER {
            return Some(order);
        }
    }
    None
}

impl Mm {
    /// `kmem_cache_create()`.
    pub fn kmem_cache_create(
        &self,
        name: &str,
        size: usize,
        align: usize,
        flags: u32,
    ) -> Result<Arc<KmemCache>, MmError> {
        if name.is_empty() || size == 0 || size > (PAGE_SIZE << SLUB_MAX_ORDER) {
            return Err(MmError::Invalid(format!(
                "kmem_cache_create({name}): bad size {size}"
            )));
        }
        if align != 0 && !align.is_power_of_two() {
            return Err(MmError::Invalid(format!(
                "kmem_cache_create({name}): align {align} is not a power of two"
            )));
        }
        let mut a = align.max(8);
        if flags & SLAB_HWCACHE_ALIGN != 0 {
            a = a.max(if size > 32 {
                64
            } else {
                size.next_power_of_two().max(8)
            });
        }
        let sz = size.div_ceil(a) * a;
        let order = calculate_order(sz)
            .ok_or_else(|| MmError::Invalid(format!("kmem_cache_create({name}): too big")))?;
        let mut caches = self.slab.caches.write();
        if caches.iter().flatten().any(|c| c.name == name) {
            return Err(MmError::Invalid(format!(
                "kmem_cache_create({name}): a cache of that name exists"
            )));
        }
        let c = Arc::new(KmemCache {
            name: name.to_string(),
            object_size: size,
            size: sz,
            order,
            objects: (PAGE_SIZE << order) / sz,
            flags,
            id: caches.len() as u64 + 1,
            state: Mutex::new(CacheState::default()),
        });
        caches.push(Some(c.clone()));
        Ok(c)
    }

    fn cache_by_id(&self, id: u64) -> Option<Arc<KmemCache>> {
        self.slab
            .caches
            .read()
            .get((id as usize).checked_sub(1)?)?
            .clone()
    }

    fn slab_stat(&self, c: &KmemCache, pfn: Pfn, pages: i64) {
        let item = if c.flags & SLAB_RECLAIM_ACCOUNT != 0 {
            super::vmstat::NR_SLAB_RECLAIMABLE_B
        } else {
            super::vmstat::NR_SLAB_UNRECLAIMABLE_B
        };
        let node = self.mem_map[pfn].page_to_nid();
        self.nodes[node].vm_stat[item].fetch_add(pages * PAGE_SIZE as i64, Ordering::Relaxed);
    }

    /// `allocate_slab()`: pages from the buddy allocator, freelist threaded.
    fn allocate_slab(&self, c: &KmemCache, gfp: Gfp) -> Option<Pfn> {
        let mut g = (gfp & !(__GFP_ZERO | GFP_MOVABLE_MASK)) | __GFP_COMP | __GFP_NOWARN;
        if c.flags & SLAB_RECLAIM_ACCOUNT != 0 {
            g = g | __GFP_RECLAIMABLE;
        }
        let pfn = self.alloc_pages(g, c.order)?;
        let page = &self.mem_map[pfn];
        let base = (pfn as u64) << super::PAGE_SHIFT;
        for k in 0..c.objects {
            let next = if k + 1 < c.objects {
                page_address(pfn) + ((k + 1) * c.size) as u64
            } else {
                0
            };
            let _ = self.physmem.write_u64(base + (k * c.size) as u64, next);
        }
        for i in 0..(1usize << c.order) {
            self.mem_map[pfn + i].set(PageFlag::Slab);
        }
        page.mapping.store(c.id << 2, Ordering::Release);
        page.index.store(page_address(pfn), Ordering::Relaxed);
        page.private.store(0, Ordering::Relaxed);
        self.slab_stat(c, pfn, 1 << c.order);
        Some(pfn)
    }

    fn discard_slab(&self, c: &KmemCache, pfn: Pfn) {
        for i in 0..(1usize << c.order) {
            self.mem_map[pfn + i].clear(PageFlag::Slab);
        }
        let page = &self.mem_map[pfn];
        page.mapping.store(0, Ordering::Release);
        page.index.store(0, Ordering::Relaxed);
        page.private.store(0, Ordering::Relaxed);
        self.slab_stat(c, pfn, -(1 << c.order));
        self.__free_pages(pfn, c.order);
    }

    /// `kmem_cache_alloc()`: a direct-map address, or None.
    #[inline(never)]
    pub fn kmem_cache_alloc(&self, c: &KmemCache, gfp: Gfp) -> Option<u64> {
        let fp = frame_address();
        let obj = self.slab_alloc(c, gfp);
        trace(&ev::KMEM_CACHE_ALLOC, |w| {
            w.u64(8, return_address(fp) as u64)
                .u64(16, obj.unwrap_or(0))
                .u64(24, c.object_size as u64)
                .u64(32, c.size as u64)
                .u64(40, gfp.0 as u64)
                .i32(48, -1);
        });
        obj
    }

    fn slab_alloc(&self, c: &KmemCache, gfp: Gfp) -> Option<u64> {
        let mut st = c.state.lock();
        if st.partial.is_empty() {
            drop(st);
            let pfn = self.allocate_slab(c, gfp)?;
            st = c.state.lock();
            st.partial.push(pfn);
            st.nr_slabs += 1;
            st.empty += 1;
        }
        let pfn = *st.partial.last()?;
        let page = &self.mem_map[pfn];
        let obj = page.index.load(Ordering::Relaxed);
        let next = self.physmem.read_u64(obj - super::PAGE_OFFSET).unwrap_or(0);
        page.index.store(next, Ordering::Relaxed);
        let inuse = page.private.fetch_add(1, Ordering::Relaxed) + 1;
        if inuse == 1 {
            st.empty -= 1;
        }
        if next == 0 {
            st.partial.pop();
        }
        st.active_objs += 1;
        drop(st);
        let _ = self.physmem.write_u64(obj - super::PAGE_OFFSET, 0);
        if gfp.intersects(__GFP_ZERO) {
            let _ = self
                .physmem
                .write(obj - super::PAGE_OFFSET, &vec![0u8; c.object_size]);
        }
        Some(obj)
    }

    fn slab_error(&self, msg: &str) {
        self.log
            .printk(&format!("BUG: {msg}\n{}", super::glue::call_trace()));
    }

    /// `kmem_cache_free()`.
    #[inline(never)]
    pub fn kmem_cache_free(&self, c: &KmemCache, obj: u64) {
        let fp = frame_address();
        trace(&ev::KMEM_CACHE_FREE, |w| {
            w.u64(8, return_address(fp) as u64)
                .u64(16, obj)
                .str(24, 32, &c.name);
        });
        self.slab_free(c, obj)
    }

    fn slab_free(&self, c: &KmemCache, obj: u64) {
        let Some(pfn) = self.virt_to_page(obj) else {
            self.slab_error(&format!(
                "kmem_cache_free({}): bad address {obj:#x}",
                c.name
            ));
            return;
        };
        let head = self.compound_head(pfn);
        let page = &self.mem_map[head];
        if !page.test(PageFlag::Slab) || page.mapping.load(Ordering::Acquire) != c.id << 2 {
            let other = self
                .cache_by_id(page.mapping.load(Ordering::Acquire) >> 2)
                .filter(|_| page.test(PageFlag::Slab))
                .map(|o| o.name.clone())
                .unwrap_or_else(|| "no slab".into());
            self.slab_error(&format!(
                "cache_from_obj: Wrong slab cache. {} but object is from {other}",
                c.name
            ));
            return;
        }
        let base = page_address(head);
        if !((obj - base) as usize).is_multiple_of(c.size)
            || (obj - base) as usize >= c.objects * c.size
        {
            self.slab_error(&format!("{}: invalid object pointer {obj:#x}", c.name));
            return;
        }
        let mut st = c.state.lock();
        let fl = page.index.load(Ordering::Relaxed);
        if fl == obj {
            drop(st);
            self.slab_error(&format!(
                "{}: double free or corruption detected, object {obj:#x}",
                c.name
            ));
            return;
        }
        let _ = self.physmem.write_u64(obj - super::PAGE_OFFSET, fl);
        page.index.store(obj, Ordering::Relaxed);
        let inuse = page.private.fetch_sub(1, Ordering::Relaxed) - 1;
        st.active_objs -= 1;
        if fl == 0 {
            st.partial.push(head);
        }
        if inuse == 0 {
            st.empty += 1;
            if st.empty > MIN_PARTIAL {
                st.partial.retain(|&p| p != head);
                st.empty -= 1;
                st.nr_slabs -= 1;
                drop(st);
                self.discard_slab(c, head);
            }
        }
    }

    /// `kmem_cache_shrink()`: give every empty slab back.
    pub fn kmem_cache_shrink(&self, c: &KmemCache) -> usize {
        let mut st = c.state.lock();
        let empties: Vec<Pfn> = st
            .partial
            .iter()
            .copied()
            .filter(|&p| self.mem_map[p].private.load(Ordering::Relaxed) == 0)
            .collect();
        st.partial.retain(|p| !empties.contains(p));
        st.empty -= empties.len();
        st.nr_slabs -= empties.len();
        drop(st);
        for &p in &empties {
            self.discard_slab(c, p);
        }
        empties.len() << c.order
    }

    /// `kmem_cache_destroy()`: refuses (with Linux's complaint) while
    /// objects are still allocated.
    pub fn kmem_cache_destroy(&self, c: Arc<KmemCache>) -> Result<(), MmError> {
        if c.state.lock().active_objs > 0 {
            let msg = format!(
                "kmem_cache_destroy {}: Slab cache still has objects when called from kmem_cache_destroy",
                c.name
            );
            self.slab_error(&msg);
            return Err(MmError::Invalid(msg));
        }
        self.kmem_cache_shrink(&c);
        let mut caches = self.slab.caches.write();
        if let Some(slot) = caches.get_mut(c.id as usize - 1) {
            *slot = None;
        }
        Ok(())
    }

    /// `create_kmalloc_caches()`, on first use.
    fn kmalloc_caches(&self) -> &[Arc<KmemCache>] {
        self.slab.kmalloc.get_or_init(|| {
            KMALLOC_SIZES
                .iter()
                .filter_map(|&s| {
                    let name = if s >= 1024 && s % 1024 == 0 {
                        format!("kmalloc-{}k", s / 1024)
                    } else {
                        format!("kmalloc-{s}")
                    };
                    // sizes are valid by construction
                    self.kmem_cache_create(&name, s, 0, 0).ok()
                })
                .collect()
        })
    }

    /// `kmalloc_index()`: the smallest size class holding `size`.
    fn kmalloc_index(size: usize) -> usize {
        match size {
            0..=8 => 0,
            9..=16 => 1,
            17..=32 => 2,
            33..=64 => 3,
            65..=96 => 4,
            97..=128 => 5,
            129..=192 => 6,
            _ => 7 + (size.next_power_of_two().trailing_zeros() as usize).saturating_sub(8),
        }
    }

    /// `kmalloc()`; the event's `call_site` is the caller (`_RET_IP_`).
    #[inline(never)]
    pub fn kmalloc(&self, size: usize, gfp: Gfp) -> Option<u64> {
        let fp = frame_address();
        let obj = self.__kmalloc(size, gfp);
        trace(&ev::KMALLOC, |w| {
            w.u64(8, return_address(fp) as u64)
                .u64(16, obj.unwrap_or(0))
                .u64(24, size as u64)
                .u64(32, obj.map_or(0, |o| self.ksize(o)) as u64)
                .u64(40, gfp.0 as u64)
                .i32(48, -1);
        });
        obj
    }

    fn __kmalloc(&self, size: usize, gfp: Gfp) -> Option<u64> {
        if size == 0 {
            return Some(ZERO_SIZE_PTR);
        }
        if size > KMALLOC_MAX_CACHE_SIZE {
            // kmalloc_large()
            let pages = size.div_ceil(PAGE_SIZE);
            let order = pages.next_power_of_two().trailing_zeros();
            return self.alloc_pages(gfp | __GFP_COMP, order).map(page_address);
        }
        let c = self.kmalloc_caches().get(Self::kmalloc_index(size))?;
        self.slab_alloc(c, gfp)
    }

    /// `kzalloc()`: inline, so `kmalloc`'s call site is our caller's.
    #[inline(always)]
    pub fn kzalloc(&self, size: usize, gfp: Gfp) -> Option<u64> {
        self.kmalloc(size, gfp | __GFP_ZERO)
    }

    /// `kfree()`: NULL and ZERO_SIZE_PTR are ignored.
    #[inline(never)]
    pub fn kfree(&self, obj: u64) {
        let fp = frame_address();
        trace(&ev::KFREE, |w| {
            w.u64(8, return_address(fp) as u64).u64(16, obj);
        });
        if obj <= ZERO_SIZE_PTR {
            return;
        }
        let Some(pfn) = self.virt_to_page(obj) else {
            self.slab_error(&format!("kfree: bad address {obj:#x}"));
            return;
        };
        let head = self.compound_head(pfn);
        let page = &self.mem_map[head];
        if !page.test(PageFlag::Slab) {
            if obj != page_address(head) || page.page_ref_count() <= 0 {
                self.slab_error(&format!("kfree: {obj:#x} was not allocated by kmalloc"));
                return;
            }
            self.put_page(head);
            return;
        }
        let id = page.mapping.load(Ordering::Acquire) >> 2;
        let caches = self.slab.caches.read();
        match caches
            .get((id as usize).wrapping_sub(1))
            .and_then(|c| c.as_ref())
        {
            Some(c) => self.slab_free(c, obj),
            None => {
                drop(caches);
                self.slab_error(&format!("kfree: {obj:#x} in a destroyed cache"))
            }
        }
    }

    /// `ksize()`.
    pub fn ksize(&self, obj: u64) -> usize {
        if obj <= ZERO_SIZE_PTR {
            return 0;
        }
        let Some(pfn) = self.virt_to_page(obj) else {
            return 0;
        };
        let head = self.compound_head(pfn);
        let page = &self.mem_map[head];
        if page.test(PageFlag::Slab) {
            self.cache_by_id(page.mapping.load(Ordering::Acquire) >> 2)
                .map(|c| c.size)
                .unwrap_or(0)
        } else {
            PAGE_SIZE << self.compound_order(head)
        }
    }

    /// `register_shrinker()`.
    pub fn register_shrinker(&self, s: Arc<dyn Shrinker>) {
        self.slab.shrinkers.lock().push(s);
    }

    /// `unregister_shrinker()`.
    pub fn unregister_shrinker(&self, s: &Arc<dyn Shrinker>) {
        self.slab.shrinkers.lock().retain(|x| !Arc::ptr_eq(x, s));
    }

    /// `shrink_slab()`: ask every shrinker for `nr_to_scan` objects, then
    /// give empty slabs back. Returns objects freed plus pages released.
    pub fn shrink_slab(&self, nr_to_scan: usize) -> usize {
        let shrinkers: Vec<_> = self.slab.shrinkers.lock().clone();
        let mut freed = 0;
        for s in shrinkers {
            let n = s.count_objects().min(nr_to_scan);
            if n > 0 {
                freed += s.scan_objects(self, n);
                self.events
                    .count_ev(super::vmstat::VmEvent::SLABS_SCANNED, n as u64);
            }
        }
        let caches: Vec<_> = self.slab.caches.read().iter().flatten().cloned().collect();
        for c in caches {
            freed += self.kmem_cache_shrink(&c);
        }
        freed
    }

    /// /proc/slabinfo (slabinfo version 2.1; newest cache first).
    pub fn slabinfo(&self) -> String {
        let mut m = String::from("slabinfo - version: 2.1\n# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n");
        let caches: Vec<_> = self.slab.caches.read().iter().flatten().cloned().collect();
        for c in caches.iter().rev() {
            let st = c.state.lock();
            let _ = writeln!(
                m,
                "{:<17} {:6} {:6} {:6} {:4} {:4} : tunables {:4} {:4} {:4} : slabdata {:6} {:6} {:6}",
                c.name,
                st.active_objs,
                st.nr_slabs * c.objects,
                c.size,
                c.objects,
                1 << c.order,
                0,
                0,
                0,
                st.nr_slabs,
                st.nr_slabs,
                0
            );
        }
        m
    }

    /// (active_objs, num_objs, num_slabs) of a cache, for tests and tools.
    pub fn kmem_cache_stats(&self, c: &KmemCache) -> (usize, usize, usize) {
        let st = c.state.lock();
        (st.active_objs, st.nr_slabs * c.objects, st.nr_slabs)
    }
}
