//! The waiter queue shared by the sleeping locks (mutex, semaphore, rwsem).
//!
//! A would-be owner that cannot take the lock queues a [`Waiter`] (FIFO)
//! under the lock's `wait_lock` and sleeps. The releaser never lets the lock
//! go free while someone waits: it transfers ownership to the waiter(s) at
//! the head, sets their `granted` flag and wakes them. A waiter sets its task
//! state *before* testing `granted`, so the grant-then-wake order cannot lose
//! a wake-up. A waiter that gives up (signal, timeout) removes itself under
//! `wait_lock` — unless it was granted in the meantime, in which case it owns
//! the lock and must keep it.

use crate::kernel::sched::core::MAX_SCHEDULE_TIMEOUT;
use crate::kernel::sched::current::current;
use crate::kernel::sched::task::{Task, TASK_RUNNING};
use crate::kernel::sched::{schedule_timeout, set_current_state, wake_up_process};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use uapi::errno::{Errno, EINTR, ETIME};

pub(crate) struct Waiter {
    pub task: Arc<Task>,
    /// Shared (rwsem reader) or exclusive.
    pub shared: bool,
    granted: AtomicBool,
}

impl Waiter {
    pub fn new(shared: bool) -> Arc<Self> {
        Arc::new(Waiter {
            task: current(),
            shared,
            granted: AtomicBool::new(false),
        })
    }

    pub fn is_granted(&self) -> bool {
        self.granted.load(Ordering::Acquire)
    }

    /// Hand the lock to this waiter and wake it (releaser side, under
    /// `wait_lock`).
    pub fn grant(&self) {
        self.granted.store(true, Ordering::Release);
        wake_up_process(&self.task);
    }
}

#[derive(Default)]
pub(crate) struct WaitList {
    q: VecDeque<Arc<Waiter>>,
}

impl WaitList {
    pub fn push(&mut self, w: Arc<Waiter>) {
        self.q.push_back(w);
    }
    pub fn front(&self) -> Option<&Arc<Waiter>> {
        self.q.front()
    }
    pub fn pop(&mut self) -> Option<Arc<Waiter>> {
        self.q.pop_front()
    }
    pub fn is_empty(&self) -> bool {
        self.q.is_empty()
    }
    pub fn remove(&mut self, w: &Arc<Waiter>) {
        self.q.retain(|x| !Arc::ptr_eq(x, w));
    }
}

/// Sleep in `state` until `w` is granted. Returns `Err(EINTR)` if the state
/// is interruptible and a signal is pending, `Err(ETIME)` once `timeout`
/// jiffies passed — the caller then runs its give-up path under `wait_lock`.
pub(crate) fn sleep_until_granted(
    w: &Waiter,
    state: u32,
    timeout: Option<u64>,
) -> Result<(), Errno> {
    let mut left = timeout.unwrap_or(MAX_SCHEDULE_TIMEOUT);
    loop {
        set_current_state(state);
        if w.is_granted() {
            set_current_state(TASK_RUNNING);
            return Ok(());
        }
        if state & crate::kernel::sched::task::TASK_INTERRUPTIBLE != 0 && w.task.signal_pending() {
            set_current_state(TASK_RUNNING);
            return Err(EINTR);
        }
        if left == 0 {
            set_current_state(TASK_RUNNING);
            return Err(ETIME);
        }
        left = schedule_timeout(left);
    }
}
