//! `struct mutex`: a sleeping lock with an owner.
//!
//! Fast path: one compare-and-swap of the owner word from 0 to the task.
//! Slow path: under `wait_lock`, set `MUTEX_FLAG_WAITERS` in the owner word,
//! retry, then queue and sleep (see `lock_waiters`). Unlock with waiters
//! hands the mutex to the first waiter (Linux's `MUTEX_FLAG_HANDOFF`, always
//! on), so waiters are served FIFO and none starves. Unlocking a mutex the
//! caller does not own prints Linux's `DEBUG_LOCKS_WARN_ON` warning.
//! `mutex_lock` may sleep: `might_sleep()` checks the context.

use super::lock_waiters::{sleep_until_granted, WaitList, Waiter};
use super::spinlock::SpinLock;
use crate::kernel::sched::current::with_current;
use crate::kernel::sched::task::{Task, TASK_INTERRUPTIBLE, TASK_KILLABLE, TASK_UNINTERRUPTIBLE};
use std::cell::UnsafeCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use uapi::errno::Errno;

const MUTEX_FLAG_WAITERS: usize = 1;

pub struct Mutex<T: ?Sized> {
    /// Owner task address | MUTEX_FLAG_WAITERS.
    owner: AtomicUsize,
    wait_lock: SpinLock<WaitList>,
    data: UnsafeCell<T>,
}

// SAFETY: the owner word gives mutual exclusion; data is reached only
// through a guard held by the owner.
unsafe impl<T: ?Sized + Send> Send for Mutex<T> {}
// SAFETY: as above.
unsafe impl<T: ?Sized + Send> Sync for Mutex<T> {}

fn me() -> usize {
    with_current(|t| t as *const Task as usize)
}

impl<T> Mutex<T> {
    pub fn new(v: T) -> Self {
        Mutex {
            owner: AtomicUsize::new(0),
            wait_lock: SpinLock::new(WaitList::default()),
            data: UnsafeCell::new(v),
        }
    }
}

impl<T: Default> Default for Mutex<T> {
    fn default() -> Self {
        Mutex::new(T::default())
    }
}

impl<T: ?Sized> Mutex<T> {
    /// `mutex_lock`.
    #[track_caller]
    pub fn lock(&self) -> MutexGuard<'_, T> {
        crate::kernel::panic::might_sleep();
        if self.try_fast() {
            return MutexGuard {
                m: self,
                _not_send: std::marker::PhantomData,
            };
        }
        self.lock_slow(TASK_UNINTERRUPTIBLE)
            .expect("uninterruptible mutex wait cannot fail");
        MutexGuard {
            m: self,
            _not_send: std::marker::PhantomData,
        }
    }

    /// `mutex_lock_interruptible`: `Err(EINTR)` if a signal arrives first.
    #[track_caller]
    pub fn lock_interruptible(&self) -> Result<MutexGuard<'_, T>, Errno> {
        crate::kernel::panic::might_sleep();
        if !self.try_fast() {
            self.lock_slow(TASK_INTERRUPTIBLE)?;
        }
        Ok(MutexGuard {
            m: self,
            _not_send: std::marker::PhantomData,
        })
    }

    /// `mutex_lock_killable`.
    #[track_caller]
    pub fn lock_killable(&self) -> Result<MutexGuard<'_, T>, Errno> {
        crate::kernel::panic::might_sleep();
        if !self.try_fast() {
            self.lock_slow(TASK_KILLABLE)?;
        }
        Ok(MutexGuard {
            m: self,
            _not_send: std::marker::PhantomData,
        })
    }

    /// `mutex_trylock`.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        self.try_fast().then_some(MutexGuard {
            m: self,
            _not_send: std::marker::PhantomData,
        })
    }

    /// `mutex_is_locked`.
    pub fn is_locked(&self) -> bool {
        self.owner.load(Ordering::Relaxed) & !MUTEX_FLAG_WAITERS != 0
    }

    #[inline]
    fn try_fast(&self) -> bool {
        self.owner
            .compare_exchange(0, me(), Ordering::Acquire, Ordering::Relaxed)
            .is_ok()
    }

    #[cold]
    fn lock_slow(&self, state: u32) -> Result<(), Errno> {
        let mut wl = self.wait_lock.lock_irqsave();
        // Announce a waiter; the owner's unlock then takes the slow path.
        let prev = self.owner.fetch_or(MUTEX_FLAG_WAITERS, Ordering::AcqRel);
        if prev & !MUTEX_FLAG_WAITERS == 0 {
            // Free: take it, keeping the flag only if others queue.
            let flag = if wl.is_empty() { 0 } else { MUTEX_FLAG_WAITERS };
            self.owner.store(me() | flag, Ordering::Release);
            return Ok(());
        }
        let w = Waiter::new(false);
        wl.push(w.clone());
        drop(wl);
        match sleep_until_granted(&w, state, None) {
            Ok(()) => Ok(()),
            Err(e) => {
                let mut wl = self.wait_lock.lock_irqsave();
                if w.is_granted() {
                    return Ok(());
                }
                wl.remove(&w);
                if wl.is_empty() {
                    self.owner.fetch_and(!MUTEX_FLAG_WAITERS, Ordering::AcqRel);
                }
                Err(e)
            }
        }
    }

    fn unlock(&self) {
        let owner = self.owner.load(Ordering::Relaxed);
        if owner & !MUTEX_FLAG_WAITERS != me() {
            crate::WARN!(true, "DEBUG_LOCKS_WARN_ON(__owner_task(owner) != current)");
        }
        if owner & MUTEX_FLAG_WAITERS == 0
            && self
                .owner
                .compare_exchange(owner, 0, Ordering::Release, Ordering::Relaxed)
                .is_ok()
        {
            return;
        }
        let mut wl = self.wait_lock.lock_irqsave();
        match wl.pop() {
            Some(next) => {
                let flag = if wl.is_empty() { 0 } else { MUTEX_FLAG_WAITERS };
                self.owner.store(
                    &*next.task as *const Task as usize | flag,
                    Ordering::Release,
                );
                next.grant();
            }
            None => self.owner.store(0, Ordering::Release),
        }
    }

    pub fn get_mut(&mut self) -> &mut T {
        self.data.get_mut()
    }
}

pub struct MutexGuard<'a, T: ?Sized> {
    m: &'a Mutex<T>,
    /// Guards stay on the task (and CPU) that took them.
    _not_send: std::marker::PhantomData<*const ()>,
}

impl<T: ?Sized> std::ops::Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: the guard exists only while its task owns the mutex.
        unsafe { &*self.m.data.get() }
    }
}

impl<T: ?Sized> std::ops::DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: owner-exclusive, and the guard is mutably borrowed.
        unsafe { &mut *self.m.data.get() }
    }
}

impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    /// `mutex_unlock`.
    fn drop(&mut self) {
        self.m.unlock();
    }
}
