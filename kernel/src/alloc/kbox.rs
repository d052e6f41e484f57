//! `KBox<T>` (rust/kernel/alloc/kbox.rs): a box whose value lives in a
//! kmalloc object of the simulated RAM instead of the host heap.
//!
//! Mechanism: `KBox::new(x, flags)` is `kmalloc(size_of::<T>(), flags)` —
//! the object comes from the kmalloc size class that holds `T`, with the
//! `kmem:kmalloc` event, slab accounting and `/proc/slabinfo` counts that
//! go with it — and moves `x` into that object's bytes of physical memory.
//! Dropping the box runs `T`'s destructor in place, then `kfree`s the
//! object (`kmem:kfree`). `KBox::new_in(x, cache, flags)` does the same
//! with an object of a dedicated cache (`kmem_cache_alloc`/`_free`, as
//! `__getname()` uses `names_cache`). Kernel paths that allocate so in
//! Linux (`alloc_bprm`, `alloc_pipe_info`, `getname`) keep their structure
//! in a `KBox`, so `perf stat -e kmem:kmalloc` sees what a real kernel
//! would.
//!
//! Invariants: a kmalloc object is accessed only by its owner — slab
//! objects are private to whoever allocated them, no other path reads or
//! writes them while allocated, and the slab allocator touches the bytes
//! only before handing the object out and after it is freed (both ordered
//! with the owner's accesses by the cache lock). The box holds the `Mm`
//! whose RAM it points into, so the memory outlives the box. `T` needs at
//! most kmalloc's minimum alignment (8, `ARCH_KMALLOC_MINALIGN`) and a
//! non-zero size (`kmalloc(0)` is `ZERO_SIZE_PTR`); both are checked at
//! compile time.

use crate::mm::gfp::Gfp;
use crate::mm::slab::KmemCache;
use crate::mm::{Mm, PAGE_OFFSET};
use std::marker::PhantomData;
use std::ptr::NonNull;
use std::sync::Arc;
use uapi::errno::{Errno, EINVAL, ENOMEM};

/// `ARCH_KMALLOC_MINALIGN`: every kmalloc object is aligned this much.
const KMALLOC_MINALIGN: usize = 8;

pub struct KBox<T> {
    /// The value, in RAM.
    ptr: NonNull<T>,
    /// The object's direct-map address (what `kfree` takes).
    obj: u64,
    /// The cache the object came from; `None`: kmalloc.
    cache: Option<Arc<KmemCache>>,
    mm: Arc<Mm>,
    _owns: PhantomData<T>,
}

// SAFETY: a KBox owns its T exactly like Box<T> does (no other reference
// to the object exists), so it may cross threads when T may.
unsafe impl<T: Send> Send for KBox<T> {}
// SAFETY: as for Box<T>: &KBox<T> only gives out &T.
unsafe impl<T: Sync> Sync for KBox<T> {}

impl<T> KBox<T> {
    /// `kmalloc(sizeof(T), flags)` in the running kernel, and move `x`
    /// into the object; `ENOMEM` if the allocation fails.
    #[inline(always)]
    pub fn new(x: T, flags: Gfp) -> Result<Self, Errno> {
        Self::alloc(x, None, flags)
    }

    /// `kmem_cache_alloc(cache, flags)` in the running kernel, and move
    /// `x` into the object; `EINVAL` if a `T` does not fit the cache's
    /// objects, `ENOMEM` if the allocation fails.
    #[inline(always)]
    pub fn new_in(x: T, cache: &Arc<KmemCache>, flags: Gfp) -> Result<Self, Errno> {
        if std::mem::size_of::<T>() > cache.object_size {
            return Err(EINVAL);
        }
        Self::alloc(x, Some(Arc::clone(cache)), flags)
    }

    /// Inlined into the caller, so that the allocator's `_RET_IP_` (the
    /// events' `call_site`) names the function that wanted the box, as
    /// `kmalloc` inlined into its caller does in Linux.
    #[inline(always)]
    fn alloc(x: T, cache: Option<Arc<KmemCache>>, flags: Gfp) -> Result<Self, Errno> {
        const {
            assert!(std::mem::size_of::<T>() > 0, "KBox of a zero-sized type");
            assert!(
                std::mem::align_of::<T>() <= KMALLOC_MINALIGN,
                "KBox of a type aligned beyond kmalloc's minimum"
            );
        }
        let mm = Arc::clone(&crate::kernel().mm);
        let size = std::mem::size_of::<T>();
        let obj = match &cache {
            Some(c) => mm.kmem_cache_alloc(c, flags),
            None => mm.kmalloc(size, flags),
        }
        .ok_or(ENOMEM)?;
        // slab objects are 8-aligned direct-map addresses of RAM.
        let host = obj
            .checked_sub(PAGE_OFFSET)
            .and_then(|phys| mm.physmem.host_ptr(phys, size).ok())
            .and_then(|p| NonNull::new(p.cast::<T>()))
            .filter(|p| p.as_ptr().is_aligned());
        let Some(ptr) = host else {
            free(&mm, cache.as_deref(), obj);
            return Err(ENOMEM);
        };
        // SAFETY: `ptr` covers `size` bytes of RAM inside the object we
        // just allocated, is aligned for T (checked), and nobody else
        // accesses the object while we own it (module invariant).
        unsafe { ptr.as_ptr().write(x) };
        Ok(KBox {
            ptr,
            obj,
            cache,
            mm,
            _owns: PhantomData,
        })
    }

    /// The object's address (`%p` of the structure in Linux).
    pub fn obj(&self) -> u64 {
        self.obj
    }
}

impl<T> std::ops::Deref for KBox<T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: `ptr` holds a live T written in `new`, owned by this box,
        // in memory kept alive by `self.mm`.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T> std::ops::DerefMut for KBox<T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` makes the access unique.
        unsafe { self.ptr.as_mut() }
    }
}

impl<T> Drop for KBox<T> {
    fn drop(&mut self) {
        // SAFETY: the T written in `new` is still there and is dropped
        // exactly once, here; nothing uses the bytes afterwards but kfree.
        unsafe { std::ptr::drop_in_place(self.ptr.as_ptr()) };
        free(&self.mm, self.cache.as_deref(), self.obj);
    }
}

/// Give an object back where it came from.
fn free(mm: &Mm, cache: Option<&KmemCache>, obj: u64) {
    match cache {
        Some(c) => mm.kmem_cache_free(c, obj),
        None => mm.kfree(obj),
    }
}

impl<T: std::fmt::Debug> std::fmt::Debug for KBox<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        (**self).fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mm::gfp::GFP_KERNEL;
    use crate::testing::{config, run};

    /// `repr(C)`: the test reads `words` back from RAM at its offset.
    #[repr(C)]
    struct Big {
        words: [u64; 40],
        name: String,
        _alive: Arc<()>,
    }

    #[test]
    fn value_lives_in_a_kmalloc_object_and_drop_frees_it() {
        let (r, _) = run(config(1), || {
            let k = crate::kernel();
            let alive = Arc::new(());
            let before = k.mm.slabinfo();
            let mut b = KBox::new(
                Big {
                    words: [7; 40],
                    name: "bprm".into(),
                    _alive: Arc::clone(&alive),
                },
                GFP_KERNEL,
            )
            .unwrap();
            b.words[39] = 42;
            b.name.push_str("-x");
            // the bytes are in RAM at the object's address
            let mut raw = [0u8; 8];
            k.mm.physmem
                .read(b.obj() - PAGE_OFFSET + 39 * 8, &mut raw)
                .unwrap();
            let in_ram = u64::from_le_bytes(raw);
            let class = k.mm.ksize(b.obj());
            let during = k.mm.slabinfo();
            let seen = (b.words[0], b.name.clone(), Arc::strong_count(&alive));
            drop(b);
            (
                in_ram,
                class,
                seen,
                Arc::strong_count(&alive),
                before,
                during,
                k.mm.slabinfo(),
            )
        });
        let (in_ram, class, seen, after, before, during, end) = r;
        assert_eq!(in_ram, 42);
        // 40 words + String + Arc = 352 bytes: kmalloc-512
        assert_eq!(class, 512);
        assert_eq!(seen, (7, "bprm-x".to_string(), 2));
        assert_eq!(after, 1, "T's destructor ran");
        let active = |s: &str| -> usize {
            s.lines()
                .find(|l| l.starts_with("kmalloc-512 "))
                .map_or(0, |l| l.split_whitespace().nth(1).unwrap().parse().unwrap())
        };
        assert_eq!(active(&during), active(&before) + 1);
        assert_eq!(active(&end), active(&before));
    }

    #[test]
    fn cache_objects_go_back_to_their_cache() {
        let (r, _) = run(config(1), || {
            let k = crate::kernel();
            let c = k.mm.kmem_cache_create("kbox_test", 64, 0, 0).unwrap();
            let b = KBox::new_in([3u64; 8], &c, GFP_KERNEL).unwrap();
            let during = k.mm.kmem_cache_stats(&c).0;
            let sum: u64 = b.iter().sum();
            let too_big = KBox::new_in([0u64; 9], &c, GFP_KERNEL).map(|_| ());
            drop(b);
            let after = k.mm.kmem_cache_stats(&c).0;
            let destroyed = k.mm.kmem_cache_destroy(c).is_ok();
            (during, sum, too_big, after, destroyed)
        });
        assert_eq!(r, (1, 24, Err(EINVAL), 0, true));
    }
}
