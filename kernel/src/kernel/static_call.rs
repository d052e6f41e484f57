//! Static calls (Linux's `include/linux/static_call.h` and
//! `kernel/static_call_inline.c`), in the `static_call_cond()` form: a call
//! that is usually absent, made present by patching the code — here, the
//! preemptible-RCU reader bookkeeping that a boot option selects.
//!
//! `static_call_cond!(KEY, func)` is a 5-byte NOP while `KEY` is off and
//! a call of `func` — through a thunk that preserves every register — while
//! it is on (`arch/x86/static_call.rs` lays out the sites and thunks,
//! `arch/x86/text_poke.rs` rewrites them). Linux's sites all call
//! one function that `static_call_update()` changes; usk's name their own
//! function and a key switches a family of them between that function and
//! NULL — so the lock and unlock halves of a primitive share one key. Keys
//! are reference-counted like `static_key_slow_inc()`/`_dec()`: the sites
//! are calls exactly while the count is above zero, and the count changes
//! only under `static_call_mutex`, after the patching going up and before
//! it going down, so a reader of `StaticCall::enabled()` never sees the key
//! on while some site is still a NOP.
//!
//! On hosts other than x86-64 a site is a load of the count and a call.

use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The key of a family of `static_call_cond!` sites, initially off (NULL,
/// as `DEFINE_STATIC_CALL_NULL`).
pub struct StaticCall {
    enabled: AtomicUsize,
}

/// `static_call_mutex`: one patching batch at a time.
static STATIC_CALL_MUTEX: parking_lot::Mutex<()> = parking_lot::const_mutex(());

impl StaticCall {
    /// Off: every site a NOP.
    pub const fn new() -> Self {
        StaticCall {
            enabled: AtomicUsize::new(0),
        }
    }

    /// Whether the key's sites call (a load, for slow paths and the
    /// fallback of other architectures).
    pub fn enabled(&self) -> bool {
        self.enabled.load(Ordering::Acquire) != 0
    }

    /// Take a reference, turning every site into its call with the first
    /// (`static_key_slow_inc()`, `static_call_update()` to the function).
    /// Fails, leaving the key off, only if the host refuses to make code
    /// writable.
    pub fn inc(&'static self) -> io::Result<()> {
        let _g = STATIC_CALL_MUTEX.lock();
        if self.enabled.load(Ordering::Relaxed) == 0 {
            self.update(true)?;
        }
        self.enabled.fetch_add(1, Ordering::Release);
        Ok(())
    }

    /// Drop a reference taken by [`Self::inc`], turning the sites back into
    /// NOPs with the last one (`static_key_slow_dec()`).
    pub fn dec(&'static self) {
        let _g = STATIC_CALL_MUTEX.lock();
        let was = self.enabled.fetch_sub(1, Ordering::Release);
        assert!(was > 0, "StaticCall::dec() of a key that is off");
        if was == 1 {
            // The sites were writable a moment ago (inc patched them); if
            // the host now refuses, they stay calls: the key is off, so
            // their functions must (and do) find nothing to do.
            if let Err(e) = self.update(false) {
                crate::pr_warn!("static_call: cannot restore NOPs: {e}");
            }
        }
    }

    /// `__static_call_update()`: point every site of this key one way.
    fn update(&'static self, enable: bool) -> io::Result<()> {
        #[cfg(target_arch = "x86_64")]
        {
            use crate::arch::x86::static_call::{arch_static_call_transform, static_call_sites};
            let me = self as *const Self as usize;
            arch_static_call_transform(static_call_sites().filter(|s| s.key() == me), enable)
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            let _ = enable;
            Ok(())
        }
    }
}

impl Default for StaticCall {
    fn default() -> Self {
        Self::new()
    }
}

/// `static_call_cond(name)()`: call `$func` (an `extern "C" fn()` that
/// does not unwind, with a `static_call_thunk!($func)` beside it) while
/// `$key` (the path of a `static StaticCall`) is on; a 5-byte NOP
/// otherwise.
#[macro_export]
macro_rules! static_call_cond {
    ($key:path, $func:ident) => {{
        #[cfg(target_arch = "x86_64")]
        $crate::arch_static_call_cond!($key, $func);
        #[cfg(not(target_arch = "x86_64"))]
        if $key.enabled() {
            $func();
        }
    }};
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;

    static TEST_KEY: StaticCall = StaticCall::new();
    static OTHER_KEY: StaticCall = StaticCall::new();
    static TEST_CALLS: AtomicUsize = AtomicUsize::new(0);
    static OTHER_CALLS: AtomicUsize = AtomicUsize::new(0);

    extern "C" fn count_test() {
        TEST_CALLS.fetch_add(1, Ordering::Relaxed);
    }
    crate::static_call_thunk!(count_test);

    extern "C" fn count_other() {
        OTHER_CALLS.fetch_add(1, Ordering::Relaxed);
    }
    crate::static_call_thunk!(count_other);

    static FLIP_KEY: StaticCall = StaticCall::new();
    static FLIP_CALLS: AtomicUsize = AtomicUsize::new(0);

    /// Clobbers what a C function may (the thunk must restore all of it).
    extern "C" fn count_flip() {
        FLIP_CALLS.fetch_add(1, Ordering::Relaxed);
    }
    crate::static_call_thunk!(count_flip);

    #[inline(never)]
    fn site() {
        crate::static_call_cond!(FLIP_KEY, count_flip);
    }

    static CLOBBER_KEY: StaticCall = StaticCall::new();

    /// Dirties general-purpose and SSE registers, as any C function may.
    extern "C" fn clobber() {
        let v: [f64; 16] = std::array::from_fn(|i| std::hint::black_box(i as f64) * 1.5);
        let w: [u64; 9] = std::array::from_fn(|i| std::hint::black_box(i as u64) * 7);
        std::hint::black_box((v.iter().sum::<f64>(), w.iter().sum::<u64>()));
    }
    crate::static_call_thunk!(clobber);

    /// Values the compiler keeps in caller-saved registers across a site
    /// (it was told the site clobbers none).
    #[inline(never)]
    fn live_across_site(x: u64, f: f64) -> (u64, f64) {
        let (x, f) = std::hint::black_box((x, f));
        let a: [u64; 8] = std::array::from_fn(|i| x.wrapping_mul(i as u64 + 3));
        let b: [f64; 8] = std::array::from_fn(|i| f * (i as f64 + 0.5));
        crate::static_call_cond!(CLOBBER_KEY, clobber);
        (
            a.iter().fold(0u64, |s, v| s.rotate_left(5) ^ v),
            b.iter().fold(0.0, |s, v| s * 1.25 + v),
        )
    }

    #[test]
    fn the_thunk_preserves_every_register() {
        let want = live_across_site(0x1234_5678, 3.75);
        CLOBBER_KEY.inc().expect("patch");
        let got = live_across_site(0x1234_5678, 3.75);
        CLOBBER_KEY.dec();
        assert_eq!(want, got);
    }

    /// One pass over a site of each key; the calls each made.
    #[inline(never)]
    fn sites() -> (usize, usize) {
        let (t, o) = (
            TEST_CALLS.load(Ordering::Relaxed),
            OTHER_CALLS.load(Ordering::Relaxed),
        );
        crate::static_call_cond!(TEST_KEY, count_test);
        crate::static_call_cond!(OTHER_KEY, count_other);
        (
            TEST_CALLS.load(Ordering::Relaxed) - t,
            OTHER_CALLS.load(Ordering::Relaxed) - o,
        )
    }

    #[test]
    fn sites_follow_the_reference_count_and_only_their_key() {
        assert_eq!(sites(), (0, 0));
        TEST_KEY.inc().expect("patch");
        TEST_KEY.inc().expect("patch");
        assert!(TEST_KEY.enabled());
        assert_eq!(sites(), (1, 0));
        TEST_KEY.dec();
        assert_eq!(sites(), (1, 0), "one reference is left");
        TEST_KEY.dec();
        assert!(!TEST_KEY.enabled());
        assert_eq!(sites(), (0, 0));
    }

    /// Threads run through a site while it is flipped back and forth: every
    /// pass executes one of the two instructions whole (a half-written one
    /// would crash the test), and after each flip the flipping thread sees
    /// the new state at once.
    #[test]
    fn patching_while_other_threads_execute_the_site() {
        let stop = AtomicBool::new(false);
        let passes = AtomicUsize::new(0);
        std::thread::scope(|s| {
            for _ in 0..2 {
                s.spawn(|| {
                    while !stop.load(Ordering::Relaxed) {
                        site();
                        passes.fetch_add(1, Ordering::Relaxed);
                    }
                });
            }
            for _ in 0..200 {
                FLIP_KEY.inc().expect("patch");
                let before = FLIP_CALLS.load(Ordering::Relaxed);
                site();
                assert!(FLIP_CALLS.load(Ordering::Relaxed) > before);
                FLIP_KEY.dec();
            }
            stop.store(true, Ordering::Relaxed);
        });
        assert!(passes.load(Ordering::Relaxed) > 0);
    }
}
