//! liburcu peers (feature `liburcu`; needs Debian's `liburcu-dev`): the
//! memory-barrier ("memb", membarrier-based) and QSBR flavours through the
//! library's exported functions.
//!
//! These are out-of-line calls into the shared library: C programs built
//! with `_LGPL_SOURCE` inline `rcu_read_lock()`/`rcu_read_unlock()` instead,
//! so the read-side figures here include two calls that an LGPL C reader
//! would not pay (for QSBR the two calls are all there is: its read-side
//! functions are empty).

use std::hint::black_box;
use std::os::raw::c_void;
use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// `struct rcu_head` (urcu/call-rcu.h): a wait-free queue node and the
/// callback.
#[repr(C)]
pub struct RcuHead {
    next: *mut c_void,
    func: Option<unsafe extern "C" fn(*mut RcuHead)>,
}

#[link(name = "urcu-memb")]
extern "C" {
    fn urcu_memb_register_thread();
    fn urcu_memb_unregister_thread();
    fn urcu_memb_read_lock();
    fn urcu_memb_read_unlock();
    fn urcu_memb_synchronize_rcu();
    fn urcu_memb_call_rcu(head: *mut RcuHead, func: unsafe extern "C" fn(*mut RcuHead));
    fn urcu_memb_barrier();
}

#[link(name = "urcu-qsbr")]
extern "C" {
    fn urcu_qsbr_register_thread();
    fn urcu_qsbr_unregister_thread();
    fn urcu_qsbr_read_lock();
    fn urcu_qsbr_read_unlock();
}

const VALUE: u64 = 42;

/// The RCU-protected pointer of the read-side workloads.
fn shared() -> &'static AtomicPtr<u64> {
    static P: AtomicPtr<u64> = AtomicPtr::new(ptr::null_mut());
    static V: u64 = VALUE;
    P.store(&V as *const u64 as *mut u64, Ordering::Release);
    &P
}

/// Which liburcu flavour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Urcu {
    Memb,
    Qsbr,
}

/// `n` read-side sections on a thread registered for `flavour`.
fn reads(flavour: Urcu, n: u64) -> u64 {
    let p = black_box(shared());
    // SAFETY: the caller registered the thread for `flavour`; the pointer
    // refers to a static that is never freed.
    unsafe {
        match flavour {
            Urcu::Memb => crate::rcu::read_sections(n, || {
                urcu_memb_read_lock();
                let v = *p.load(Ordering::Acquire);
                urcu_memb_read_unlock();
                v
            }),
            Urcu::Qsbr => crate::rcu::read_sections(n, || {
                urcu_qsbr_read_lock();
                let v = *p.load(Ordering::Acquire);
                urcu_qsbr_read_unlock();
                v
            }),
        }
    }
}

/// `rcu_read_lock()` + `rcu_dereference()` + read + `rcu_read_unlock()` on
/// `threads` host threads (thread registration outside the timed loop).
pub fn urcu_read(flavour: Urcu, threads: usize, iters: u64) -> Duration {
    let started = std::sync::atomic::AtomicUsize::new(0);
    std::thread::scope(|s| {
        let hs: Vec<_> = (0..threads)
            .map(|_| {
                s.spawn(|| {
                    // SAFETY: registration pairs with the unregistration below.
                    unsafe {
                        match flavour {
                            Urcu::Memb => urcu_memb_register_thread(),
                            Urcu::Qsbr => urcu_qsbr_register_thread(),
                        }
                    }
                    started.fetch_add(1, Ordering::AcqRel);
                    while started.load(Ordering::Acquire) < threads {
                        std::hint::spin_loop();
                    }
                    let t0 = Instant::now();
                    let sum = reads(flavour, iters);
                    let d = t0.elapsed();
                    // SAFETY: registered above.
                    unsafe {
                        match flavour {
                            Urcu::Memb => urcu_memb_unregister_thread(),
                            Urcu::Qsbr => urcu_qsbr_unregister_thread(),
                        }
                    }
                    assert_eq!(sum, iters * VALUE);
                    d
                })
            })
            .collect();
        hs.into_iter().map(|h| h.join().unwrap()).max().unwrap()
    })
}

/// `iters` × `synchronize_rcu()` (memb flavour) from a registered host
/// thread, after one untimed call. With `busy`, two more registered host
/// threads loop on read-side critical sections meanwhile.
pub fn urcu_synchronize(iters: u64, busy: bool) -> Duration {
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let readers: Vec<_> = (0..if busy { 2 } else { 0 })
            .map(|_| {
                s.spawn(|| {
                    let p = shared();
                    let mut sum = 0u64;
                    // SAFETY: as in `reads`.
                    unsafe {
                        urcu_memb_register_thread();
                        while !stop.load(Ordering::Relaxed) {
                            urcu_memb_read_lock();
                            sum = sum.wrapping_add(*p.load(Ordering::Acquire));
                            urcu_memb_read_unlock();
                        }
                        urcu_memb_unregister_thread();
                    }
                    black_box(sum);
                })
            })
            .collect();
        let d = s
            .spawn(|| {
                // SAFETY: synchronize_rcu() outside any read-side section.
                unsafe {
                    urcu_memb_register_thread();
                    urcu_memb_synchronize_rcu();
                    let t0 = Instant::now();
                    for _ in 0..iters {
                        urcu_memb_synchronize_rcu();
                    }
                    let d = t0.elapsed();
                    urcu_memb_unregister_thread();
                    d
                }
            })
            .join()
            .unwrap();
        stop.store(true, Ordering::Relaxed);
        for r in readers {
            r.join().unwrap();
        }
        d
    })
}

/// `iters` × `rcu_barrier()` (memb flavour) with no callbacks queued.
pub fn urcu_barrier(iters: u64) -> Duration {
    std::thread::spawn(move || {
        // SAFETY: a registered thread outside any read-side section.
        unsafe {
            urcu_memb_register_thread();
            urcu_memb_barrier();
            let t0 = Instant::now();
            for _ in 0..iters {
                urcu_memb_barrier();
            }
            let d = t0.elapsed();
            urcu_memb_unregister_thread();
            d
        }
    })
    .join()
    .unwrap()
}

static URCU_CALLBACKS_RUN: AtomicU64 = AtomicU64::new(0);

/// A 32-byte object with its `rcu_head` in front, as a C structure freed
/// with `call_rcu()` embeds one.
#[repr(C)]
struct Obj {
    head: RcuHead,
    data: [u64; 2],
}

unsafe extern "C" fn free_obj(head: *mut RcuHead) {
    // SAFETY: `head` is the first field of an `Obj` leaked by `urcu_call_rcu`.
    drop(unsafe { Box::from_raw(head as *mut Obj) });
    URCU_CALLBACKS_RUN.fetch_add(1, Ordering::Relaxed);
}

/// `n` × `call_rcu()` (memb flavour, liburcu's default call_rcu thread),
/// each freeing a fresh 32-byte object, then `rcu_barrier()`: (time to
/// queue them, time until the barrier returned).
pub fn urcu_call_rcu(n: u64) -> (Duration, Duration) {
    std::thread::spawn(move || {
        // SAFETY: a registered thread; every head belongs to a leaked Obj
        // that its callback frees.
        unsafe {
            urcu_memb_register_thread();
            urcu_memb_barrier();
            URCU_CALLBACKS_RUN.store(0, Ordering::Relaxed);
            let t0 = Instant::now();
            for i in 0..n {
                let o = Box::into_raw(Box::new(Obj {
                    head: RcuHead {
                        next: ptr::null_mut(),
                        func: None,
                    },
                    data: [i; 2],
                }));
                urcu_memb_call_rcu(ptr::addr_of_mut!((*o).head), free_obj);
            }
            let queued = t0.elapsed();
            urcu_memb_barrier();
            let total = t0.elapsed();
            urcu_memb_unregister_thread();
            assert_eq!(URCU_CALLBACKS_RUN.load(Ordering::Relaxed), n);
            (queued, total)
        }
    })
    .join()
    .unwrap()
}
