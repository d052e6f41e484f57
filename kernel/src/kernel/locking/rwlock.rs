//! `rwlock_t`: a spinning reader-writer lock.
//!
//! Many readers or one writer. Like the classic Linux rwlock it favours
//! readers (a reader may enter while a writer waits), which is what lets
//! `read_lock` be taken recursively and from interrupts without `_irqsave`
//! on the read side. Holding either side disables preemption; the `_irq`,
//! `_irqsave` and `_bh` variants mask as their spinlock counterparts do.

use super::{LockKind, Release};
use crate::kernel::smp::cpu_relax;
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicU32, Ordering};

const WRITER: u32 = 1 << 31;

pub struct RwLock<T: ?Sized> {
    state: AtomicU32,
    data: UnsafeCell<T>,
}

// SAFETY: readers get &T only while no writer holds the lock; the writer
// gets &mut T only while no reader or other writer does.
unsafe impl<T: ?Sized + Send> Send for RwLock<T> {}
// SAFETY: as above; T: Sync is needed since readers share &T.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwLock<T> {}

impl<T> RwLock<T> {
    pub const fn new(v: T) -> Self {
        RwLock {
            state: AtomicU32::new(0),
            data: UnsafeCell::new(v),
        }
    }
}

impl<T: ?Sized> RwLock<T> {
    fn spin(&self) {
        if !crate::kernel::preempt::irqs_disabled() {
            crate::kernel::irq::irq_point();
        }
        cpu_relax();
    }

    fn read_kind(&self, kind: LockKind) -> RwLockReadGuard<'_, T> {
        let release = Release::begin(kind);
        loop {
            let s = self.state.load(Ordering::Relaxed);
            if s & WRITER == 0
                && self
                    .state
                    .compare_exchange_weak(s, s + 1, Ordering::Acquire, Ordering::Relaxed)
                    .is_ok()
            {
                return RwLockReadGuard {
                    lock: self,
                    release,
                    _not_send: std::marker::PhantomData,
                };
            }
            self.spin();
        }
    }

    fn write_kind(&self, kind: LockKind) -> RwLockWriteGuard<'_, T> {
        let release = Release::begin(kind);
        while self
            .state
            .compare_exchange_weak(0, WRITER, Ordering::Acquire, Ordering::Relaxed)
            .is_err()
        {
            self.spin();
        }
        RwLockWriteGuard {
            lock: self,
            release,
            _not_send: std::marker::PhantomData,
        }
    }

    /// `read_lock`.
    pub fn read(&self) -> RwLockReadGuard<'_, T> {
        self.read_kind(LockKind::Plain)
    }
    /// `read_lock_irqsave`.
    pub fn read_irqsave(&self) -> RwLockReadGuard<'_, T> {
        self.read_kind(LockKind::IrqSave)
    }
    /// `read_lock_bh`.
    pub fn read_bh(&self) -> RwLockReadGuard<'_, T> {
        self.read_kind(LockKind::Bh)
    }
    /// `write_lock`.
    pub fn write(&self) -> RwLockWriteGuard<'_, T> {
        self.write_kind(LockKind::Plain)
    }
    /// `write_lock_irq`.
    pub fn write_irq(&self) -> RwLockWriteGuard<'_, T> {
        self.write_kind(LockKind::Irq)
    }
    /// `write_lock_irqsave`.
    pub fn write_irqsave(&self) -> RwLockWriteGuard<'_, T> {
        self.write_kind(LockKind::IrqSave)
    }
    /// `write_lock_bh`.
    pub fn write_bh(&self) -> RwLockWriteGuard<'_, T> {
        self.write_kind(LockKind::Bh)
    }
}

pub struct RwLockReadGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    release: Release,
    /// Guards stay on the task (and CPU) that took them.
    _not_send: std::marker::PhantomData<*const ()>,
}

pub struct RwLockWriteGuard<'a, T: ?Sized> {
    lock: &'a RwLock<T>,
    release: Release,
    /// Guards stay on the task (and CPU) that took them.
    _not_send: std::marker::PhantomData<*const ()>,
}

impl<T: ?Sized> std::ops::Deref for RwLockReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: a read guard exists only while the reader count is held.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockReadGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.state.fetch_sub(1, Ordering::Release);
        self.release.finish();
    }
}

impl<T: ?Sized> std::ops::Deref for RwLockWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the write guard is exclusive.
        unsafe { &*self.lock.data.get() }
    }
}

impl<T: ?Sized> std::ops::DerefMut for RwLockWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: the write guard is exclusive and mutably borrowed.
        unsafe { &mut *self.lock.data.get() }
    }
}

impl<T: ?Sized> Drop for RwLockWriteGuard<'_, T> {
    fn drop(&mut self) {
        self.lock.state.store(0, Ordering::Release);
        self.release.finish();
    }
}
