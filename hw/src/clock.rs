//! The machine's clock source.
//!
//! `Clock::Real` reads the host monotonic clock, relative to power-on.
//! `Clock::Virtual` is a nanosecond counter that only the kernel's
//! deterministic scheduler advances; it never goes backwards.
//!
//! [`Clock::sched_clock`] is the cheap, slightly less exact clock Linux's
//! `sched_clock()`/`local_clock()` are: on x86-64 the time-stamp counter
//! scaled by a factor measured once per host process (about 1 ms against
//! the host clock), where reading the host clock costs a vDSO call of tens
//! of nanoseconds. It may drift from `now_ns` by a few parts per million;
//! in virtual time it is `now_ns`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

#[derive(Debug)]
pub enum Clock {
    /// Host monotonic time since power-on; `tsc0` is the time-stamp
    /// counter at power-on (0 where there is none).
    Real { power_on: Instant, tsc0: u64 },
    /// Virtual nanoseconds since power-on.
    Virtual { ns: AtomicU64 },
}

impl Clock {
    pub fn real() -> Self {
        Clock::Real {
            power_on: Instant::now(),
            tsc0: rdtsc(),
        }
    }

    pub fn virtual_clock() -> Self {
        Clock::Virtual {
            ns: AtomicU64::new(0),
        }
    }

    pub fn is_virtual(&self) -> bool {
        matches!(self, Clock::Virtual { .. })
    }

    /// Nanoseconds since power-on.
    #[inline]
    pub fn now_ns(&self) -> u64 {
        match self {
            Clock::Real { power_on, .. } => power_on.elapsed().as_nanos() as u64,
            Clock::Virtual { ns } => ns.load(Ordering::Acquire),
        }
    }

    /// `sched_clock()`: nanoseconds since power-on from the time-stamp
    /// counter (see the module comment).
    #[inline]
    pub fn sched_clock(&self) -> u64 {
        match self {
            Clock::Real { tsc0, .. } if *tsc0 != 0 => {
                let (mult, shift) = tsc_scale();
                ((rdtsc().wrapping_sub(*tsc0) as u128 * mult as u128) >> shift) as u64
            }
            _ => self.now_ns(),
        }
    }

    /// Move virtual time forward by `delta` ns (no effect on a real clock).
    pub fn advance(&self, delta: u64) {
        if let Clock::Virtual { ns } = self {
            ns.fetch_add(delta, Ordering::AcqRel);
        }
    }

    /// Move virtual time forward to `t` if it is in the future.
    pub fn advance_to(&self, t: u64) {
        if let Clock::Virtual { ns } = self {
            ns.fetch_max(t, Ordering::AcqRel);
        }
    }

    /// The host instant corresponding to machine time `t` (real clock only).
    pub fn instant_at(&self, t: u64) -> Option<Instant> {
        match self {
            Clock::Real { power_on, .. } => Some(*power_on + std::time::Duration::from_nanos(t)),
            Clock::Virtual { .. } => None,
        }
    }
}

/// The time-stamp counter, 0 where the architecture has none.
#[inline]
fn rdtsc() -> u64 {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: RDTSC exists on every x86-64 CPU and only reads a counter.
    unsafe {
        std::arch::x86_64::_rdtsc()
    }
    #[cfg(not(target_arch = "x86_64"))]
    0
}

/// ns = ticks * mult >> shift, measured once per process over ~1 ms.
fn tsc_scale() -> (u64, u32) {
    static SCALE: std::sync::OnceLock<(u64, u32)> = std::sync::OnceLock::new();
    *SCALE.get_or_init(|| {
        let (t0, c0) = (Instant::now(), rdtsc());
        while t0.elapsed() < std::time::Duration::from_millis(1) {
            std::hint::spin_loop();
        }
        let (ns, ticks) = (t0.elapsed().as_nanos() as u64, rdtsc().wrapping_sub(c0));
        const SHIFT: u32 = 24;
        (
            (((ns as u128) << SHIFT) / ticks.max(1) as u128) as u64,
            SHIFT,
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn virtual_clock_moves_only_forward() {
        let c = Clock::virtual_clock();
        assert_eq!(c.now_ns(), 0);
        c.advance(10);
        c.advance_to(5);
        assert_eq!(c.now_ns(), 10);
        c.advance_to(100);
        assert_eq!(c.now_ns(), 100);
    }

    #[test]
    fn real_clock_is_monotonic() {
        let c = Clock::real();
        let a = c.now_ns();
        let b = c.now_ns();
        assert!(b >= a);
    }

    #[test]
    fn sched_clock_follows_the_host_clock() {
        let c = Clock::real();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let (a, b) = (c.sched_clock(), c.now_ns());
        assert!(a >= 15_000_000, "sched_clock {a} after 20 ms");
        // Same time base: they agree to within a few percent.
        assert!(a.abs_diff(b) < b / 20 + 1_000_000, "{a} vs {b}");
        assert_eq!(Clock::virtual_clock().sched_clock(), 0);
    }
}
