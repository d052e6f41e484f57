//! `struct semaphore`: a counting semaphore.
//!
//! `down()` takes a unit or sleeps; `up()` gives one back — directly to the
//! first waiter if there is one, so the count never goes up while tasks
//! wait. Interruptible, killable, timed and try variants return Linux's
//! errors (`EINTR`, `ETIME`).

use super::lock_waiters::{sleep_until_granted, WaitList, Waiter};
use super::spinlock::SpinLock;
use crate::kernel::sched::task::{TASK_INTERRUPTIBLE, TASK_KILLABLE, TASK_UNINTERRUPTIBLE};
use uapi::errno::Errno;

struct Inner {
    count: u32,
    waiters: WaitList,
}

pub struct Semaphore {
    lock: SpinLock<Inner>,
}

impl Semaphore {
    /// `sema_init(sem, count)`.
    pub fn new(count: u32) -> Self {
        Semaphore {
            lock: SpinLock::new(Inner {
                count,
                waiters: WaitList::default(),
            }),
        }
    }

    fn down_common(&self, state: u32, timeout: Option<u64>) -> Result<(), Errno> {
        let mut g = self.lock.lock_irqsave();
        if g.count > 0 {
            g.count -= 1;
            return Ok(());
        }
        let w = Waiter::new(false);
        g.waiters.push(w.clone());
        drop(g);
        sleep_until_granted(&w, state, timeout).or_else(|e| {
            let mut g = self.lock.lock_irqsave();
            if w.is_granted() {
                return Ok(());
            }
            g.waiters.remove(&w);
            Err(e)
        })
    }

    /// `down()`.
    #[track_caller]
    pub fn down(&self) {
        crate::kernel::panic::might_sleep();
        self.down_common(TASK_UNINTERRUPTIBLE, None)
            .expect("uninterruptible down cannot fail");
    }

    /// `down_interruptible()`: `Err(EINTR)` on a signal.
    #[track_caller]
    pub fn down_interruptible(&self) -> Result<(), Errno> {
        crate::kernel::panic::might_sleep();
        self.down_common(TASK_INTERRUPTIBLE, None)
    }

    /// `down_killable()`.
    #[track_caller]
    pub fn down_killable(&self) -> Result<(), Errno> {
        crate::kernel::panic::might_sleep();
        self.down_common(TASK_KILLABLE, None)
    }

    /// `down_timeout(sem, jiffies)`: `Err(ETIME)` when it expires.
    #[track_caller]
    pub fn down_timeout(&self, jiffies: u64) -> Result<(), Errno> {
        crate::kernel::panic::might_sleep();
        self.down_common(TASK_UNINTERRUPTIBLE, Some(jiffies))
    }

    /// `down_trylock()`: true if taken (note: Linux returns 0 on success).
    pub fn down_trylock(&self) -> bool {
        let mut g = self.lock.lock_irqsave();
        if g.count > 0 {
            g.count -= 1;
            true
        } else {
            false
        }
    }

    /// `up()`: may be called from any context.
    pub fn up(&self) {
        let mut g = self.lock.lock_irqsave();
        match g.waiters.pop() {
            Some(w) => w.grant(),
            None => g.count += 1,
        }
    }
}
