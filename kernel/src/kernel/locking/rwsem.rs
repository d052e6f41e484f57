//! `struct rw_semaphore` protecting a `T`: sleeping reader-writer lock.
//!
//! Many readers or one writer; queued waiters are served FIFO, and when the
//! lock is handed on, a writer at the head gets it alone while readers at
//! the head are woken together, up to the next queued writer. New readers
//! queue behind a waiting writer, so writers do not starve.
//! `downgrade_write` turns a write hold into a read hold atomically and
//! lets the queued readers in.

use super::lock_waiters::{sleep_until_granted, WaitList, Waiter};
use super::spinlock::SpinLock;
use crate::kernel::sched::task::{TASK_INTERRUPTIBLE, TASK_UNINTERRUPTIBLE};
use std::cell::UnsafeCell;
use uapi::errno::Errno;

struct Inner {
    readers: u32,
    writer: bool,
    waiters: WaitList,
}

pub struct RwSem<T: ?Sized> {
    lock: SpinLock<Inner>,
    data: UnsafeCell<T>,
}

// SAFETY: readers share &T only while no writer holds the semaphore; the
// writer's &mut T is exclusive.
unsafe impl<T: ?Sized + Send> Send for RwSem<T> {}
// SAFETY: as above; readers on several tasks need T: Sync.
unsafe impl<T: ?Sized + Send + Sync> Sync for RwSem<T> {}

impl<T> RwSem<T> {
    /// `init_rwsem`.
    pub fn new(v: T) -> Self {
        RwSem {
            lock: SpinLock::new(Inner {
                readers: 0,
                writer: false,
                waiters: WaitList::default(),
            }),
            data: UnsafeCell::new(v),
        }
    }
}

impl<T: ?Sized> RwSem<T> {
    fn acquire(&self, shared: bool, state: u32) -> Result<(), Errno> {
        let mut g = self.lock.lock_irqsave();
        let free = if shared {
            !g.writer && g.waiters.is_empty()
        } else {
            !g.writer && g.readers == 0
        };
        if free {
            if shared {
                g.readers += 1;
            } else {
                g.writer = true;
            }
            return Ok(());
        }
        let w = Waiter::new(shared);
        g.waiters.push(w.clone());
        drop(g);
        sleep_until_granted(&w, state, None).or_else(|e| {
            let mut g = self.lock.lock_irqsave();
            if w.is_granted() {
                return Ok(());
            }
            g.waiters.remove(&w);
            // A reader behind us may have been blocked only by us.
            Self::wake_waiters(&mut g);
            Err(e)
        })
    }

    /// Hand the semaphore to the waiters at the head, if it is available.
    fn wake_waiters(g: &mut Inner) {
        if g.writer {
            return;
        }
        while let Some(front) = g.waiters.front() {
            if front.shared {
                let w = g.waiters.pop().expect("front exists");
                g.readers += 1;
                w.grant();
            } else {
                if g.readers == 0 {
                    let w = g.waiters.pop().expect("front exists");
                    g.writer = true;
                    w.grant();
                }
                return;
            }
        }
    }

    /// `down_read`.
    #[track_caller]
    pub fn down_read(&self) -> RwSemReadGuard<'_, T> {
        crate::kernel::panic::might_sleep();
        self.acquire(true, TASK_UNINTERRUPTIBLE)
            .expect("uninterruptible wait cannot fail");
        RwSemReadGuard {
            s: self,
            _not_send: std::marker::PhantomData,
        }
    }

    /// `down_read_interruptible`.
    #[track_caller]
    pub fn down_read_interruptible(&self) -> Result<RwSemReadGuard<'_, T>, Errno> {
        crate::kernel::panic::might_sleep();
        self.acquire(true, TASK_INTERRUPTIBLE)?;
        Ok(RwSemReadGuard {
            s: self,
            _not_send: std::marker::PhantomData,
        })
    }

    /// `down_write`.
    #[track_caller]
    pub fn down_write(&self) -> RwSemWriteGuard<'_, T> {
        crate::kernel::panic::might_sleep();
        self.acquire(false, TASK_UNINTERRUPTIBLE)
            .expect("uninterruptible wait cannot fail");
        RwSemWriteGuard {
            s: self,
            _not_send: std::marker::PhantomData,
        }
    }

    /// `down_write_killable`-style interruptible write lock.
    #[track_caller]
    pub fn down_write_interruptible(&self) -> Result<RwSemWriteGuard<'_, T>, Errno> {
        crate::kernel::panic::might_sleep();
        self.acquire(false, TASK_INTERRUPTIBLE)?;
        Ok(RwSemWriteGuard {
            s: self,
            _not_send: std::marker::PhantomData,
        })
    }

    /// `down_read_trylock`.
    pub fn try_read(&self) -> Option<RwSemReadGuard<'_, T>> {
        let mut g = self.lock.lock_irqsave();
        if !g.writer && g.waiters.is_empty() {
            g.readers += 1;
            Some(RwSemReadGuard {
                s: self,
                _not_send: std::marker::PhantomData,
            })
        } else {
            None
        }
    }

    /// `down_write_trylock`.
    pub fn try_write(&self) -> Option<RwSemWriteGuard<'_, T>> {
        let mut g = self.lock.lock_irqsave();
        if !g.writer && g.readers == 0 {
            g.writer = true;
            Some(RwSemWriteGuard {
                s: self,
                _not_send: std::marker::PhantomData,
            })
        } else {
            None
        }
    }
}

pub struct RwSemReadGuard<'a, T: ?Sized> {
    s: &'a RwSem<T>,
    /// Guards stay on the task (and CPU) that took them.
    _not_send: std::marker::PhantomData<*const ()>,
}

pub struct RwSemWriteGuard<'a, T: ?Sized> {
    s: &'a RwSem<T>,
    /// Guards stay on the task (and CPU) that took them.
    _not_send: std::marker::PhantomData<*const ()>,
}

impl<'a, T: ?Sized> RwSemWriteGuard<'a, T> {
    /// `downgrade_write`.
    pub fn downgrade(self) -> RwSemReadGuard<'a, T> {
        let s = self.s;
        std::mem::forget(self);
        let mut g = s.lock.lock_irqsave();
        g.writer = false;
        g.readers += 1;
        // Let queued readers in (up to the first queued writer).
        while let Some(front) = g.waiters.front() {
            if !front.shared {
                break;
            }
            let w = g.waiters.pop().expect("front exists");
            g.readers += 1;
            w.grant();
        }
        RwSemReadGuard {
            s,
            _not_send: std::marker::PhantomData,
        }
    }
}

impl<T: ?Sized> std::ops::Deref for RwSemReadGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: held for read: no writer exists.
        unsafe { &*self.s.data.get() }
    }
}

impl<T: ?Sized> Drop for RwSemReadGuard<'_, T> {
    /// `up_read`.
    fn drop(&mut self) {
        let mut g = self.s.lock.lock_irqsave();
        g.readers -= 1;
        RwSem::<T>::wake_waiters(&mut g);
    }
}

impl<T: ?Sized> std::ops::Deref for RwSemWriteGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: held for write: exclusive.
        unsafe { &*self.s.data.get() }
    }
}

impl<T: ?Sized> std::ops::DerefMut for RwSemWriteGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: held for write and mutably borrowed: exclusive.
        unsafe { &mut *self.s.data.get() }
    }
}

impl<T: ?Sized> Drop for RwSemWriteGuard<'_, T> {
    /// `up_write`.
    fn drop(&mut self) {
        let mut g = self.s.lock.lock_irqsave();
        g.writer = false;
        RwSem::<T>::wake_waiters(&mut g);
    }
}
