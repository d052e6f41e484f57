//! poll(2) machinery (`fs/select.c`): `poll_table`, `poll_wait` and
//! `do_poll`.
//!
//! A file's `poll` method returns its readiness mask and, given a table,
//! registers the caller on the wait queues that will signal a change
//! (`poll_wait`). Each registration is a wait-queue entry with a custom
//! wake function (`pollwake`): it ignores wake-ups whose key (the `POLL*`
//! mask passed to `wake_up_poll`) does not intersect the events asked
//! for, otherwise sets `triggered` and wakes the polling task. `do_poll`
//! registers on the first pass only, then sleeps until triggered, a
//! timeout or a signal; the `triggered` flag is checked after setting the
//! task state, so no wake-up is lost. Dropping the table unhooks every
//! entry (`poll_freewait`).

use super::file::File;
use crate::kernel::sched::core::{schedule_timeout, set_current_state, try_to_wake_up};
use crate::kernel::sched::task::{TASK_INTERRUPTIBLE, TASK_NORMAL, TASK_RUNNING};
use crate::kernel::sched::wait::{WaitQueueEntry, WaitQueueHead};
use crate::kernel::sched::MAX_SCHEDULE_TIMEOUT;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use uapi::errno::{Errno, EINTR};
use uapi::poll::*;

/// What a file without `poll` reports (`DEFAULT_POLLMASK`).
pub const DEFAULT_POLLMASK: u32 = POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM;

/// `struct poll_wqueues` / `poll_table`.
pub struct PollTable {
    /// `_key`: events of interest for the file being polled.
    key: u32,
    entries: Vec<(Arc<WaitQueueHead>, Arc<WaitQueueEntry>)>,
    triggered: Arc<AtomicBool>,
}

impl Default for PollTable {
    fn default() -> Self {
        Self::new()
    }
}

impl PollTable {
    /// `poll_initwait()`.
    pub fn new() -> Self {
        PollTable {
            key: !0,
            entries: Vec::new(),
            triggered: Arc::new(AtomicBool::new(false)),
        }
    }

    pub fn set_key(&mut self, key: u32) {
        self.key = key;
    }

    /// Something this table waits on signalled readiness.
    pub fn triggered(&self) -> bool {
        self.triggered.load(Ordering::Acquire)
    }
}

impl Drop for PollTable {
    /// `poll_freewait()`.
    fn drop(&mut self) {
        for (head, e) in self.entries.drain(..) {
            head.remove_wait_queue(&e);
        }
    }
}

/// `poll_wait(file, wait_address, p)`.
pub fn poll_wait(pt: Option<&mut PollTable>, head: &Arc<WaitQueueHead>) {
    let Some(pt) = pt else { return };
    let task = crate::current();
    let triggered = Arc::clone(&pt.triggered);
    let key = pt.key;
    let e = WaitQueueEntry::with_func(move |_e, _mode, _flags, wake_key| {
        // pollwake(): a keyed wake-up for other events is not ours.
        if wake_key != 0 && (wake_key as u32) & (key | POLLERR | POLLHUP) == 0 {
            return 0;
        }
        triggered.store(true, Ordering::Release);
        try_to_wake_up(&task, TASK_NORMAL) as i32
    });
    head.add_wait_queue(&e);
    pt.entries.push((Arc::clone(head), e));
}

/// `vfs_poll()`.
pub fn vfs_poll(file: &File, pt: Option<&mut PollTable>) -> u32 {
    match file.f_op.poll {
        Some(p) => p(file, pt),
        None => DEFAULT_POLLMASK,
    }
}

/// One `struct pollfd` after fd lookup: `None` is a bad descriptor.
pub struct PollEntry {
    pub file: Option<Arc<File>>,
    pub events: u32,
    pub revents: u32,
}

/// `do_poll()`: wait until an entry is ready, `timeout` jiffies pass
/// (`None`: forever, `Some(0)`: just look) or a signal arrives (`EINTR`).
/// Returns the number of entries with a non-zero `revents`.
pub fn do_poll(entries: &mut [PollEntry], timeout: Option<u64>) -> Result<usize, Errno> {
    let mut table = PollTable::new();
    let mut first = true;
    let mut left = timeout.unwrap_or(MAX_SCHEDULE_TIMEOUT);
    loop {
        let mut count = 0;
        for e in entries.iter_mut() {
            e.revents = match &e.file {
                None => POLLNVAL,
                Some(f) => {
                    let mask = if first && left != 0 {
                        table.set_key(e.events);
                        vfs_poll(f, Some(&mut table))
                    } else {
                        vfs_poll(f, None)
                    };
                    mask & (e.events | POLLERR | POLLHUP)
                }
            };
            if e.revents != 0 {
                count += 1;
            }
        }
        first = false;
        if count > 0 || left == 0 {
            return Ok(count);
        }
        if crate::current().signal_pending() {
            return Err(EINTR);
        }
        // poll_schedule_timeout().
        set_current_state(TASK_INTERRUPTIBLE);
        if !table.triggered.swap(false, Ordering::AcqRel) {
            left = schedule_timeout(left);
        } else {
            set_current_state(TASK_RUNNING);
        }
        table.triggered.store(false, Ordering::Release);
    }
}
