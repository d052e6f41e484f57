//! Time: `jiffies` and `HZ`, the clock (`ktime_get`, `local_clock`),
//! conversions, sleeping (`msleep`) and busy delays (`udelay`).
//!
//! `jiffies` is 64-bit and starts at Linux's `INITIAL_JIFFIES` (five minutes
//! before the 32-bit wrap) so that wrap-unsafe comparisons show up; compare
//! with [`time_after`] and friends. It is advanced by the ticking CPUs from
//! the clock source (`tick_do_update_jiffies64`), so it stays right across
//! NO_HZ idle periods.

pub mod tick;
pub mod timer;

use crate::init::kernel::kernel;

pub const HZ: u64 = 250;
pub const TICK_NSEC: u64 = 1_000_000_000 / HZ;
pub const NSEC_PER_SEC: u64 = 1_000_000_000;
/// `INITIAL_JIFFIES`: `(unsigned long)(unsigned int)(-300 * HZ)`.
pub const INITIAL_JIFFIES: u64 = (-(300 * HZ as i64)) as u32 as u64;
/// `LOAD_FREQ`: 5 s + 1 tick.
pub const LOAD_FREQ: u64 = 5 * HZ + 1;
/// USER_HZ, the unit of /proc/stat and /proc/<pid>/stat times.
pub const USER_HZ: u64 = 100;

/// `time_after(a, b)`: a is later than b (wrap-safe).
#[inline]
pub fn time_after(a: u64, b: u64) -> bool {
    (b.wrapping_sub(a) as i64) < 0
}
#[inline]
pub fn time_before(a: u64, b: u64) -> bool {
    time_after(b, a)
}
#[inline]
pub fn time_after_eq(a: u64, b: u64) -> bool {
    (a.wrapping_sub(b) as i64) >= 0
}

pub fn msecs_to_jiffies(ms: u64) -> u64 {
    ms.saturating_mul(HZ).div_ceil(1000)
}
pub fn usecs_to_jiffies(us: u64) -> u64 {
    us.saturating_mul(HZ).div_ceil(1_000_000)
}
pub fn jiffies_to_msecs(j: u64) -> u64 {
    j * (1000 / HZ)
}
/// ns → clock_t (USER_HZ ticks).
pub fn nsec_to_clock_t(ns: u64) -> u64 {
    ns / (NSEC_PER_SEC / USER_HZ)
}

/// `ktime_get()`: monotonic ns since boot.
pub fn ktime_get() -> u64 {
    kernel().clock.now_ns()
}

/// `local_clock()`/`sched_clock()`: ns since boot from the time-stamp
/// counter — cheaper than `ktime_get()` and as exact as Linux's (virtual
/// time in deterministic mode).
pub fn local_clock() -> u64 {
    kernel().clock.sched_clock()
}

/// `jiffies`.
pub fn jiffies() -> u64 {
    kernel().jiffies()
}

/// `msleep()`: sleep at least `ms` milliseconds (uninterruptible).
#[track_caller]
pub fn msleep(ms: u64) {
    crate::kernel::panic::might_sleep();
    let mut left = msecs_to_jiffies(ms) + 1;
    while left > 0 {
        left = crate::kernel::sched::schedule_timeout_uninterruptible(left);
    }
}

/// `msleep_interruptible()`: returns the milliseconds left if a signal
/// cut the sleep short.
#[track_caller]
pub fn msleep_interruptible(ms: u64) -> u64 {
    crate::kernel::panic::might_sleep();
    let mut left = msecs_to_jiffies(ms) + 1;
    while left > 0 && !crate::current().signal_pending() {
        left = crate::kernel::sched::schedule_timeout_interruptible(left);
    }
    jiffies_to_msecs(left)
}

/// `ndelay`/`udelay`/`mdelay`: spin on the clock (no sleeping); interrupts
/// are taken meanwhile unless the caller disabled them.
pub fn ndelay(ns: u64) {
    let k = kernel();
    let end = k.clock.now_ns() + ns;
    while k.clock.now_ns() < end {
        crate::kernel::irq::irq_point();
        crate::kernel::smp::cpu_relax();
    }
}
pub fn udelay(us: u64) {
    ndelay(us * 1000)
}
pub fn mdelay(ms: u64) {
    ndelay(ms * 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jiffies_comparisons_survive_the_wrap() {
        let before = u64::MAX - 5;
        let after = before.wrapping_add(10);
        assert!(time_after(after, before));
        assert!(time_before(before, after));
        assert!(time_after_eq(after, after));
        assert_eq!(INITIAL_JIFFIES, 0xfffe_db08);
        assert_eq!(msecs_to_jiffies(1), 1);
        assert_eq!(msecs_to_jiffies(1000), HZ);
    }
}
