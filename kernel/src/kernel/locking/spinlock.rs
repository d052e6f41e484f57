//! `spinlock_t`: a ticket spinlock with the `_irq`, `_irqsave` and `_bh`
//! variants.
//!
//! The raw lock is a pair of 16-bit tickets (owner, next), as in
//! Linux's ticket locks before qspinlock: FIFO-fair, one atomic add to take
//! a ticket, spin until `owner` reaches it. Holding the lock disables
//! preemption; the variants additionally mask this CPU's interrupts or
//! softirqs, and the guard undoes exactly what the lock call did.
//!
//! Seed 004 ("Inline spinlocks"): `__raw_spin_lock`/`__raw_spin_unlock` are
//! the inline bodies; `_raw_spin_lock`/`_raw_spin_unlock` are out-of-line
//! functions. `SpinLock` calls the inline ones when the `inline-spinlocks`
//! cargo feature (`CONFIG_INLINE_SPIN_LOCK`) is on and the out-of-line ones
//! otherwise; the benchmark measures both in one run.
//!
//! While spinning with interrupts enabled the CPU still takes interrupts (as
//! Linux does), and in deterministic mode `cpu_relax()` passes the baton so
//! the holder can run.
//!
//! `HostSpinLock` is the bare lock for code that must also run on plain
//! host threads with no booted kernel (mm's per-CPU page lists, driven by
//! tests, experiments and benchmarks): test-and-set, one atomic exchange to
//! take, a release store to drop, no preemption or interrupt state; a
//! waiter yields the host core.

use super::{LockKind, Release};
use crate::kernel::smp::cpu_relax;
use parking_lot::lock_api;
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};

#[derive(Default)]
pub struct RawSpinLock {
    /// Ticket of the holder.
    owner: AtomicU16,
    /// Next ticket to hand out.
    next: AtomicU16,
}

impl RawSpinLock {
    pub const fn new() -> Self {
        RawSpinLock {
            owner: AtomicU16::new(0),
            next: AtomicU16::new(0),
        }
    }

    pub fn is_locked(&self) -> bool {
        self.next.load(Ordering::Relaxed) != self.owner.load(Ordering::Relaxed)
    }

    /// Inline body of `spin_lock` (`__raw_spin_lock`).
    #[inline(always)]
    pub fn __raw_spin_lock(&self) {
        let me = self.next.fetch_add(1, Ordering::Relaxed);
        if self.owner.load(Ordering::Acquire) != me {
            self.spin_wait(me);
        }
    }

    #[cold]
    #[inline(never)]
    fn spin_wait(&self, me: u16) {
        while self.owner.load(Ordering::Acquire) != me {
            if !crate::kernel::preempt::irqs_disabled() {
                crate::kernel::irq::irq_point();
            }
            cpu_relax();
        }
    }

    /// Inline body of `spin_unlock` (`__raw_spin_unlock`): only the holder
    /// writes `owner`, so a plain release store suffices.
    #[inline(always)]
    pub fn __raw_spin_unlock(&self) {
        let o = self.owner.load(Ordering::Relaxed);
        self.owner.store(o.wrapping_add(1), Ordering::Release);
    }

    /// Take the lock only if nobody holds or waits for it: `next == owner`
    /// at the moment `next` is bumped means the ticket drawn is the owner's.
    #[inline(always)]
    pub fn __raw_spin_trylock(&self) -> bool {
        let o = self.owner.load(Ordering::Acquire);
        self.next
            .compare_exchange(o, o.wrapping_add(1), Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    /// Out-of-line `_raw_spin_lock` (kernel/locking/spinlock.c).
    #[inline(never)]
    pub fn _raw_spin_lock(&self) {
        self.__raw_spin_lock()
    }

    /// Out-of-line `_raw_spin_unlock`.
    #[inline(never)]
    pub fn _raw_spin_unlock(&self) {
        self.__raw_spin_unlock()
    }

    #[inline(always)]
    pub fn raw_lock(&self) {
        if cfg!(feature = "inline-spinlocks") {
            self.__raw_spin_lock()
        } else {
            self._raw_spin_lock()
        }
    }

    #[inline(always)]
    pub fn raw_unlock(&self) {
        if cfg!(feature = "inline-spinlocks") {
            self.__raw_spin_unlock()
        } else {
            self._raw_spin_unlock()
        }
    }
}

/// A spinlock protecting a `T`.
pub struct SpinLock<T: ?Sized> {
    raw: RawSpinLock,
    data: UnsafeCell<T>,
}

// SAFETY: the ticket lock gives mutual exclusion; the data is only reached
// through a guard, which exists only while the lock is held.
unsafe impl<T: ?Sized + Send> Send for SpinLock<T> {}
// SAFETY: as above — &SpinLock only yields &mut T to the lock holder.
unsafe impl<T: ?Sized + Send> Sync for SpinLock<T> {}

impl<T> SpinLock<T> {
    pub const fn new(v: T) -> Self {
        SpinLock {
            raw: RawSpinLock::new(),
            data: UnsafeCell::new(v),
        }
    }

    pub fn into_inner(self) -> T {
        self.data.into_inner()
    }
}

impl<T: Default> Default for SpinLock<T> {
    fn default() -> Self {
        SpinLock::new(T::default())
    }
}

impl<T: ?Sized> SpinLock<T> {
    #[inline]
    fn lock_kind(&self, kind: LockKind) -> SpinLockGuard<'_, T> {
        let release = Release::begin(kind);
        self.raw.raw_lock();
        SpinLockGuard {
            lock: self,
            release,
            _not_send: std::marker::PhantomData,
        }
    }

    /// `spin_lock`.
    #[inline]
    pub fn lock(&self) -> SpinLockGuard<'_, T> {
        self.lock_kind(LockKind::Plain)
    }

    /// `spin_lock_irq` (interrupts must be enabled on entry).
    #[inline]
    pub fn lock_irq(&self) -> SpinLockGuard<'_, T> {
        self.lock_kind(LockKind::Irq)
    }

    /// `spin_lock_irqsave`.
    #[inline]
    pub fn lock_irqsave(&self) -> SpinLockGuard<'_, T> {
        self.lock_kind(LockKind::IrqSave)
    }

    /// `spin_lock_bh`.
    #[inline]
    pub fn lock_bh(&self) -> SpinLockGuard<'_, T> {
        self.lock_kind(LockKind::Bh)
    }

    /// `spin_trylock`.
    pub fn try_lock(&self) -> Option<SpinLockGuard<'_, T>> {
        let release = Release::begin(LockKind::Plain);
        if self.raw.__raw_spin_trylock() {
            Some(SpinLockGuard {
                lock: self,
                release,
                _not_send: std::marker::PhantomData,
            })
        } else {
            release.finish();
            None
        }
    }

    /// `spin_is_locked`.
    pub fn is_locked(&self) -> bool {
        self.raw.is_locked()
    }

    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

pub struct SpinLockGuard<'a, T: ?Sized> {
    lock: &'a SpinLock<T>,
    release: Release,
    /// Guards stay on the task (and CPU) that took them.
    _not_send: std::marker::PhantomData<*const ()>,
}

impl<'a, T: ?Sized> SpinLockGuard<'a, T> {
    /// Drop the lock (keeping the irq/bh state as the lock call left it)
    /// around `f`, then take it again — the `wait_event_lock_irq` pattern.
    pub fn unlocked<R>(&mut self, f: impl FnOnce() -> R) -> R {
        self.lock.raw.raw_unlock();
        crate::kernel::preempt::preempt_enable_no_resched();
        let r = f();
        crate::kernel::preempt::preempt_disable();
        self.lock.raw.raw_lock();
        r
    }
}

impl<T: ?Sized> std::ops::Deref for SpinLockGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while the lock is held.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> std::ops::DerefMut for SpinLockGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the guard exists only while the lock is held, and it is
        // borrowed mutably, so this is the only reference.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for SpinLockGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.raw.raw_unlock();
        self.release.finish();
    }
}

/// The raw lock of [`HostSpinLock`]: a test-and-set flag.
pub struct RawHostSpinLock {
    locked: AtomicBool,
}

// SAFETY: `try_lock` succeeds only for the caller that flips the flag from
// false to true, and only the holder clears it, so at most one holder
// exists; Acquire/Release order the protected data with the flag.
unsafe impl lock_api::RawMutex for RawHostSpinLock {
    #[allow(clippy::declare_interior_mutable_const)]
    const INIT: Self = RawHostSpinLock {
        locked: AtomicBool::new(false),
    };
    type GuardMarker = lock_api::GuardNoSend;

    fn lock(&self) {
        while !self.try_lock() {
            while self.locked.load(Ordering::Relaxed) {
                std::thread::yield_now();
            }
        }
    }

    #[inline]
    fn try_lock(&self) -> bool {
        !self.locked.swap(true, Ordering::Acquire)
    }

    #[inline]
    unsafe fn unlock(&self) {
        self.locked.store(false, Ordering::Release);
    }

    fn is_locked(&self) -> bool {
        self.locked.load(Ordering::Relaxed)
    }
}

/// A spinlock usable from any host thread (see the module header).
pub type HostSpinLock<T> = lock_api::Mutex<RawHostSpinLock, T>;
