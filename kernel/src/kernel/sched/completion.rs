//! `struct completion`: "this has happened" for one or many waiters.
//!
//! `done` counts completions; `complete()` adds one and wakes one exclusive
//! waiter, `complete_all()` sets it to `UINT_MAX` (every current and future
//! wait returns at once until `reinit_completion()`). A wait consumes one
//! unit unless `done` is `UINT_MAX`. `complete*` may be called from any
//! context, including hardirq.

use super::core::{schedule_timeout, set_current_state, MAX_SCHEDULE_TIMEOUT};
use super::current::current;
use super::task::{TASK_INTERRUPTIBLE, TASK_KILLABLE, TASK_RUNNING, TASK_UNINTERRUPTIBLE};
use super::wait::{WaitQueueEntry, WaitQueueHead};
use std::sync::atomic::{AtomicU32, Ordering};
use uapi::errno::{Errno, ERESTARTSYS};

pub struct Completion {
    done: AtomicU32,
    wait: WaitQueueHead,
}

impl Default for Completion {
    fn default() -> Self {
        Self::new()
    }
}

impl Completion {
    /// `init_completion`.
    pub fn new() -> Self {
        Completion {
            done: AtomicU32::new(0),
            wait: WaitQueueHead::new(),
        }
    }

    /// `complete()`.
    pub fn complete(&self) {
        let _ = self
            .done
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |d| {
                (d != u32::MAX).then_some(d + 1)
            });
        self.wait.wake_up();
    }

    /// `complete_all()`.
    pub fn complete_all(&self) {
        self.done.store(u32::MAX, Ordering::Release);
        self.wait.wake_up_all();
    }

    /// `reinit_completion()`.
    pub fn reinit(&self) {
        self.done.store(0, Ordering::Release);
    }

    /// `completion_done()`: would a wait return at once?
    pub fn completion_done(&self) -> bool {
        self.done.load(Ordering::Acquire) != 0
    }

    /// `try_wait_for_completion()`: consume a unit without sleeping.
    pub fn try_wait_for_completion(&self) -> bool {
        self.done
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |d| match d {
                0 => None,
                u32::MAX => Some(u32::MAX),
                d => Some(d - 1),
            })
            .is_ok()
    }

    fn do_wait(&self, state: u32, timeout: u64) -> Result<u64, Errno> {
        if self.try_wait_for_completion() {
            return Ok(timeout.max(1));
        }
        let e = WaitQueueEntry::for_task(current());
        let mut left = timeout;
        loop {
            self.wait.prepare_to_wait_exclusive(&e, state);
            if self.try_wait_for_completion() {
                self.wait.finish_wait(&e);
                return Ok(left.max(1));
            }
            if (state & TASK_INTERRUPTIBLE != 0 || state == TASK_KILLABLE)
                && current().signal_pending()
            {
                self.wait.finish_wait(&e);
                return Err(ERESTARTSYS);
            }
            if left == 0 {
                self.wait.finish_wait(&e);
                return Ok(0);
            }
            left = schedule_timeout(left);
            set_current_state(TASK_RUNNING);
        }
    }

    /// `wait_for_completion()`.
    #[track_caller]
    pub fn wait_for_completion(&self) {
        crate::kernel::panic::might_sleep();
        let _ = self.do_wait(TASK_UNINTERRUPTIBLE, MAX_SCHEDULE_TIMEOUT);
    }

    /// `wait_for_completion_timeout()`: 0 on timeout, else jiffies left.
    #[track_caller]
    pub fn wait_for_completion_timeout(&self, timeout: u64) -> u64 {
        crate::kernel::panic::might_sleep();
        self.do_wait(TASK_UNINTERRUPTIBLE, timeout).unwrap_or(0)
    }

    /// `wait_for_completion_interruptible()`.
    #[track_caller]
    pub fn wait_for_completion_interruptible(&self) -> Result<(), Errno> {
        crate::kernel::panic::might_sleep();
        self.do_wait(TASK_INTERRUPTIBLE, MAX_SCHEDULE_TIMEOUT)
            .map(|_| ())
    }

    /// `wait_for_completion_killable()`.
    #[track_caller]
    pub fn wait_for_completion_killable(&self) -> Result<(), Errno> {
        crate::kernel::panic::might_sleep();
        self.do_wait(TASK_KILLABLE, MAX_SCHEDULE_TIMEOUT)
            .map(|_| ())
    }
}
