//! The machine's clock source.
//!
//! `Clock::Real` reads the host monotonic clock, relative to power-on.
//! `Clock::Virtual` is a nanosecond counter that only the kernel's
//! deterministic scheduler advances; it never goes backwards.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

#[derive(Debug)]
pub enum Clock {
    /// Host monotonic time since power-on.
    Real { power_on: Instant },
    /// Virtual nanoseconds since power-on.
    Virtual { ns: AtomicU64 },
}

impl Clock {
    pub fn real() -> Self {
        Clock::Real {
            power_on: Instant::now(),
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
            Clock::Real { power_on } => power_on.elapsed().as_nanos() as u64,
            Clock::Virtual { ns } => ns.load(Ordering::Acquire),
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
            Clock::Real { power_on } => Some(*power_on + std::time::Duration::from_nanos(t)),
            Clock::Virtual { .. } => None,
        }
    }
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
}
