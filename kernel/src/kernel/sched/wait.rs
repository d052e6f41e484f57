//! Wait queues (`wait_queue_head_t`, `wait_queue_entry_t`) and the
//! `wait_event*` family.
//!
//! Every entry carries its own wake function, as in Linux:
//! `default_wake_function` wakes the entry's task, `autoremove_wake_function`
//! also unlinks the entry, and an arbitrary callback may do anything that is legal
//! in the waker's context instead of waking a task — this is what lets
//! asynchronous I/O continue from a wake-up without a sleeping thread.
//! `__wake_up_common` walks the list under the head's lock, calls each wake
//! function, stops after `nr_exclusive` successful exclusive wake-ups (or
//! when a function returns a negative value), and unlinks entries whose
//! function asked for it (`list_del_init` from inside the callback).
//! Non-exclusive waiters are added at the head, exclusive ones at the tail.

use super::core::{
    schedule, schedule_timeout, set_current_state, try_to_wake_up, MAX_SCHEDULE_TIMEOUT,
};
use super::current::current;
use super::task::{
    Task, TASK_INTERRUPTIBLE, TASK_KILLABLE, TASK_NORMAL, TASK_RUNNING, TASK_UNINTERRUPTIBLE,
};
use crate::kernel::locking::{SpinLock, SpinLockGuard};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::Arc;
use uapi::errno::{Errno, ERESTARTSYS};

pub const WQ_FLAG_EXCLUSIVE: u32 = 0x01;

/// Signature of a custom wake function: (entry, mode, wake_flags, key) →
/// non-zero if it "woke" something, negative to stop the walk.
pub type WakeFn = dyn Fn(&WaitQueueEntry, u32, u32, usize) -> i32 + Send + Sync;

enum WakeFunc {
    Default,
    Autoremove,
    Custom(Box<WakeFn>),
}

pub struct WaitQueueEntry {
    flags: AtomicU32,
    /// The task to wake (`entry->private`), if any.
    pub private: Option<Arc<Task>>,
    func: WakeFunc,
    on_list: AtomicBool,
    del_requested: AtomicBool,
}

impl WaitQueueEntry {
    fn new(private: Option<Arc<Task>>, func: WakeFunc) -> Arc<Self> {
        Arc::new(WaitQueueEntry {
            flags: AtomicU32::new(0),
            private,
            func,
            on_list: AtomicBool::new(false),
            del_requested: AtomicBool::new(false),
        })
    }

    /// `DEFINE_WAIT(name)`: the current task with `autoremove_wake_function`.
    pub fn autoremove() -> Arc<Self> {
        Self::new(Some(current()), WakeFunc::Autoremove)
    }

    /// `init_waitqueue_entry(entry, task)`: `default_wake_function`.
    pub fn for_task(task: Arc<Task>) -> Arc<Self> {
        Self::new(Some(task), WakeFunc::Default)
    }

    /// `init_waitqueue_func_entry(entry, func)`: a callback that runs in the
    /// waker's context (possibly hardirq) instead of waking a task.
    pub fn with_func(
        f: impl Fn(&WaitQueueEntry, u32, u32, usize) -> i32 + Send + Sync + 'static,
    ) -> Arc<Self> {
        Self::new(None, WakeFunc::Custom(Box::new(f)))
    }

    pub fn flags(&self) -> u32 {
        self.flags.load(Ordering::Acquire)
    }

    pub fn is_queued(&self) -> bool {
        self.on_list.load(Ordering::Acquire)
    }

    /// `list_del_init(&entry->entry)` from inside a wake function.
    pub fn list_del_init(&self) {
        self.del_requested.store(true, Ordering::Release);
    }

    /// `default_wake_function`.
    pub fn default_wake_function(&self, mode: u32) -> i32 {
        match &self.private {
            Some(t) => try_to_wake_up(t, mode) as i32,
            None => 0,
        }
    }

    fn call(&self, mode: u32, wake_flags: u32, key: usize) -> i32 {
        match &self.func {
            WakeFunc::Default => self.default_wake_function(mode),
            WakeFunc::Autoremove => {
                let r = self.default_wake_function(mode);
                if r != 0 {
                    self.list_del_init();
                }
                r
            }
            WakeFunc::Custom(f) => f(self, mode, wake_flags, key),
        }
    }
}

#[derive(Default)]
pub struct WaitQueueHead {
    list: SpinLock<VecDeque<Arc<WaitQueueEntry>>>,
}

impl WaitQueueHead {
    /// `init_waitqueue_head`.
    pub fn new() -> Self {
        Self::default()
    }

    fn add_locked(l: &mut VecDeque<Arc<WaitQueueEntry>>, e: &Arc<WaitQueueEntry>) {
        if e.on_list.swap(true, Ordering::AcqRel) {
            return;
        }
        if e.flags() & WQ_FLAG_EXCLUSIVE != 0 {
            l.push_back(Arc::clone(e));
        } else {
            l.push_front(Arc::clone(e));
        }
    }

    fn remove_locked(l: &mut VecDeque<Arc<WaitQueueEntry>>, e: &Arc<WaitQueueEntry>) {
        if e.on_list.swap(false, Ordering::AcqRel) {
            l.retain(|x| !Arc::ptr_eq(x, e));
        }
    }

    /// `add_wait_queue`.
    pub fn add_wait_queue(&self, e: &Arc<WaitQueueEntry>) {
        e.flags.fetch_and(!WQ_FLAG_EXCLUSIVE, Ordering::AcqRel);
        Self::add_locked(&mut self.list.lock_irqsave(), e);
    }

    /// `add_wait_queue_exclusive`.
    pub fn add_wait_queue_exclusive(&self, e: &Arc<WaitQueueEntry>) {
        e.flags.fetch_or(WQ_FLAG_EXCLUSIVE, Ordering::AcqRel);
        Self::add_locked(&mut self.list.lock_irqsave(), e);
    }

    /// `remove_wait_queue`.
    pub fn remove_wait_queue(&self, e: &Arc<WaitQueueEntry>) {
        Self::remove_locked(&mut self.list.lock_irqsave(), e);
    }

    /// `waitqueue_active`.
    pub fn waitqueue_active(&self) -> bool {
        !self.list.lock_irqsave().is_empty()
    }

    pub fn len(&self) -> usize {
        self.list.lock_irqsave().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `prepare_to_wait`.
    pub fn prepare_to_wait(&self, e: &Arc<WaitQueueEntry>, state: u32) {
        let mut l = self.list.lock_irqsave();
        e.flags.fetch_and(!WQ_FLAG_EXCLUSIVE, Ordering::AcqRel);
        Self::add_locked(&mut l, e);
        set_current_state(state);
    }

    /// `prepare_to_wait_exclusive`.
    pub fn prepare_to_wait_exclusive(&self, e: &Arc<WaitQueueEntry>, state: u32) {
        let mut l = self.list.lock_irqsave();
        e.flags.fetch_or(WQ_FLAG_EXCLUSIVE, Ordering::AcqRel);
        Self::add_locked(&mut l, e);
        set_current_state(state);
    }

    /// `finish_wait`.
    pub fn finish_wait(&self, e: &Arc<WaitQueueEntry>) {
        set_current_state(TASK_RUNNING);
        if e.is_queued() {
            Self::remove_locked(&mut self.list.lock_irqsave(), e);
        }
    }

    /// `__wake_up_common`; returns how many exclusive wake-ups remained.
    fn wake_up_common(
        l: &mut VecDeque<Arc<WaitQueueEntry>>,
        mode: u32,
        mut nr_exclusive: usize,
        wake_flags: u32,
        key: usize,
    ) -> usize {
        let mut i = 0;
        while i < l.len() {
            let e = Arc::clone(&l[i]);
            let ret = e.call(mode, wake_flags, key);
            if e.del_requested.swap(false, Ordering::AcqRel) {
                e.on_list.store(false, Ordering::Release);
                l.remove(i);
            } else {
                i += 1;
            }
            if ret < 0 {
                break;
            }
            if ret != 0 && e.flags() & WQ_FLAG_EXCLUSIVE != 0 {
                nr_exclusive -= 1;
                if nr_exclusive == 0 {
                    break;
                }
            }
        }
        nr_exclusive
    }

    /// `__wake_up(wq, mode, nr_exclusive, key)`; `nr_exclusive == 0` wakes all.
    pub fn __wake_up(&self, mode: u32, nr_exclusive: usize, key: usize) {
        let nr = if nr_exclusive == 0 {
            usize::MAX
        } else {
            nr_exclusive
        };
        Self::wake_up_common(&mut self.list.lock_irqsave(), mode, nr, 0, key);
    }

    /// `wake_up`: everyone non-exclusive plus one exclusive waiter.
    pub fn wake_up(&self) {
        self.__wake_up(TASK_NORMAL, 1, 0)
    }
    /// `wake_up_nr`.
    pub fn wake_up_nr(&self, nr: usize) {
        self.__wake_up(TASK_NORMAL, nr.max(1), 0)
    }
    /// `wake_up_all`.
    pub fn wake_up_all(&self) {
        self.__wake_up(TASK_NORMAL, 0, 0)
    }
    /// `wake_up_interruptible`.
    pub fn wake_up_interruptible(&self) {
        self.__wake_up(TASK_INTERRUPTIBLE, 1, 0)
    }
    /// `wake_up_interruptible_all`.
    pub fn wake_up_interruptible_all(&self) {
        self.__wake_up(TASK_INTERRUPTIBLE, 0, 0)
    }
    /// `wake_up_poll(wq, key)`: the key (poll mask) reaches custom functions.
    pub fn wake_up_poll(&self, key: usize) {
        self.__wake_up(TASK_NORMAL, 1, key)
    }
    /// `wake_up_interruptible_sync_poll(wq, key)` (`WF_SYNC`): the waker
    /// is about to sleep, so the woken task may be placed on the waker's
    /// CPU (`wake_affine`) — what pipes do in both directions.
    pub fn wake_up_interruptible_sync_poll(&self, key: usize) {
        let me = current();
        let was = me
            .wake_sync
            .swap(true, std::sync::atomic::Ordering::Relaxed);
        self.__wake_up(TASK_INTERRUPTIBLE, 1, key);
        me.wake_sync
            .store(was, std::sync::atomic::Ordering::Relaxed);
    }
}

/// The loop behind every `wait_event*` variant. Returns the jiffies left
/// (at least 1 if the condition became true) or `ERESTARTSYS`.
fn __wait_event(
    wq: &WaitQueueHead,
    state: u32,
    exclusive: bool,
    mut timeout: u64,
    mut cond: impl FnMut() -> bool,
) -> Result<u64, Errno> {
    let e = WaitQueueEntry::autoremove();
    loop {
        if exclusive {
            wq.prepare_to_wait_exclusive(&e, state);
        } else {
            wq.prepare_to_wait(&e, state);
        }
        if cond() {
            break;
        }
        let me = current();
        let interrupted = if state & TASK_INTERRUPTIBLE != 0 {
            me.signal_pending()
        } else if state & crate::kernel::sched::task::TASK_WAKEKILL != 0 {
            me.signal_pending() && crate::kernel::signal::fatal_signal_pending(&me)
        } else {
            false
        };
        if interrupted {
            wq.finish_wait(&e);
            return Err(ERESTARTSYS);
        }
        if timeout == 0 {
            break;
        }
        timeout = if timeout == MAX_SCHEDULE_TIMEOUT {
            schedule();
            MAX_SCHEDULE_TIMEOUT
        } else {
            schedule_timeout(timeout)
        };
    }
    wq.finish_wait(&e);
    if cond() {
        Ok(timeout.max(1))
    } else {
        Ok(0)
    }
}

/// `wait_event(wq, condition)`: uninterruptible.
#[track_caller]
pub fn wait_event(wq: &WaitQueueHead, cond: impl FnMut() -> bool) {
    crate::kernel::panic::might_sleep();
    let mut cond = cond;
    if !cond() {
        let _ = __wait_event(wq, TASK_UNINTERRUPTIBLE, false, MAX_SCHEDULE_TIMEOUT, cond);
    }
}

/// `wait_event_exclusive`-style uninterruptible exclusive wait.
#[track_caller]
pub fn wait_event_exclusive(wq: &WaitQueueHead, cond: impl FnMut() -> bool) {
    crate::kernel::panic::might_sleep();
    let mut cond = cond;
    if !cond() {
        let _ = __wait_event(wq, TASK_UNINTERRUPTIBLE, true, MAX_SCHEDULE_TIMEOUT, cond);
    }
}

/// `wait_event_timeout`: 0 if the condition is still false after `timeout`
/// jiffies, else the jiffies left (at least 1).
#[track_caller]
pub fn wait_event_timeout(wq: &WaitQueueHead, cond: impl FnMut() -> bool, timeout: u64) -> u64 {
    crate::kernel::panic::might_sleep();
    let mut cond = cond;
    if cond() {
        return timeout.max(1);
    }
    __wait_event(wq, TASK_UNINTERRUPTIBLE, false, timeout, cond).unwrap_or(0)
}

/// `wait_event_interruptible`: `Err(ERESTARTSYS)` if a signal arrives.
#[track_caller]
pub fn wait_event_interruptible(
    wq: &WaitQueueHead,
    cond: impl FnMut() -> bool,
) -> Result<(), Errno> {
    crate::kernel::panic::might_sleep();
    let mut cond = cond;
    if cond() {
        return Ok(());
    }
    __wait_event(wq, TASK_INTERRUPTIBLE, false, MAX_SCHEDULE_TIMEOUT, cond).map(|_| ())
}

/// `wait_event_interruptible_timeout`.
#[track_caller]
pub fn wait_event_interruptible_timeout(
    wq: &WaitQueueHead,
    cond: impl FnMut() -> bool,
    timeout: u64,
) -> Result<u64, Errno> {
    crate::kernel::panic::might_sleep();
    let mut cond = cond;
    if cond() {
        return Ok(timeout.max(1));
    }
    __wait_event(wq, TASK_INTERRUPTIBLE, false, timeout, cond)
}

/// `wait_event_killable`.
#[track_caller]
pub fn wait_event_killable(wq: &WaitQueueHead, cond: impl FnMut() -> bool) -> Result<(), Errno> {
    crate::kernel::panic::might_sleep();
    let mut cond = cond;
    if cond() {
        return Ok(());
    }
    __wait_event(wq, TASK_KILLABLE, false, MAX_SCHEDULE_TIMEOUT, cond).map(|_| ())
}

/// `wait_event_lock_irq(wq, condition, lock)`: `condition` is evaluated
/// with `lock` held (taken with `spin_lock_irq`); the lock is dropped while
/// sleeping and held again on return.
#[track_caller]
pub fn wait_event_lock_irq<T>(
    wq: &WaitQueueHead,
    guard: &mut SpinLockGuard<'_, T>,
    mut cond: impl FnMut(&mut T) -> bool,
) {
    if cond(guard) {
        return;
    }
    let e = WaitQueueEntry::autoremove();
    loop {
        wq.prepare_to_wait(&e, TASK_UNINTERRUPTIBLE);
        if cond(guard) {
            break;
        }
        guard.unlocked(|| {
            crate::kernel::preempt::local_irq_enable();
            schedule();
            crate::kernel::preempt::local_irq_disable();
        });
    }
    wq.finish_wait(&e);
}
