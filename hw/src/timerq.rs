//! The machine's device event queue: "at machine time T, do this".
//!
//! Device models (the per-CPU timers, later disks and NICs) schedule their
//! future actions here — typically raising an interrupt. In wall-clock mode a
//! host thread sleeps until the earliest deadline and fires it; in virtual
//! mode nothing fires until the kernel's deterministic scheduler calls
//! [`TimerQueue::run_due`] after advancing the virtual clock, which makes
//! device timing part of the reproducible schedule.
//!
//! Invariants: events fire in (deadline, insertion) order; a cancelled event
//! never fires; actions run without any queue lock held, so an action may
//! schedule further events.

use crate::clock::Clock;
use parking_lot::{Condvar, Mutex};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::thread::JoinHandle;

pub type Action = Box<dyn FnOnce() + Send>;

/// Handle of a scheduled event, for [`TimerQueue::cancel`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId(u64, u64);

struct Inner {
    events: BTreeMap<(u64, u64), Action>,
    next_seq: u64,
    shutdown: bool,
}

pub struct TimerQueue {
    clock: Arc<Clock>,
    inner: Mutex<Inner>,
    changed: Condvar,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl TimerQueue {
    /// A queue on `clock`. With a real clock a host thread is started that
    /// fires events at their deadlines; call [`TimerQueue::shutdown`] to join it.
    pub fn new(clock: Arc<Clock>) -> Arc<Self> {
        let q = Arc::new(TimerQueue {
            clock,
            inner: Mutex::new(Inner {
                events: BTreeMap::new(),
                next_seq: 0,
                shutdown: false,
            }),
            changed: Condvar::new(),
            thread: Mutex::new(None),
        });
        if !q.clock.is_virtual() {
            let q2 = Arc::clone(&q);
            let h = std::thread::Builder::new()
                .name("hw-timerq".into())
                .spawn(move || q2.run_real())
                .expect("spawn hw timer thread");
            *q.thread.lock() = Some(h);
        }
        q
    }

    pub fn clock(&self) -> &Arc<Clock> {
        &self.clock
    }

    /// Schedule `action` at machine time `deadline_ns`.
    pub fn schedule_at(&self, deadline_ns: u64, action: Action) -> EventId {
        let mut g = self.inner.lock();
        let seq = g.next_seq;
        g.next_seq += 1;
        let first = g.events.keys().next().map(|k| k.0);
        g.events.insert((deadline_ns, seq), action);
        if first.is_none_or(|f| deadline_ns < f) {
            self.changed.notify_one();
        }
        EventId(deadline_ns, seq)
    }

    /// Cancel a pending event; returns whether it was still pending.
    pub fn cancel(&self, id: EventId) -> bool {
        self.inner.lock().events.remove(&(id.0, id.1)).is_some()
    }

    /// Earliest pending deadline.
    pub fn next_deadline(&self) -> Option<u64> {
        self.inner.lock().events.keys().next().map(|k| k.0)
    }

    /// Fire every event whose deadline is at or before the clock's now.
    /// Returns how many fired.
    pub fn run_due(&self) -> usize {
        let mut fired = 0;
        loop {
            let now = self.clock.now_ns();
            let action = {
                let mut g = self.inner.lock();
                match g.events.first_key_value() {
                    Some((k, _)) if k.0 <= now => g.events.pop_first().map(|(_, a)| a),
                    _ => None,
                }
            };
            match action {
                Some(a) => {
                    a();
                    fired += 1;
                }
                None => return fired,
            }
        }
    }

    fn run_real(&self) {
        let mut g = self.inner.lock();
        loop {
            if g.shutdown {
                return;
            }
            let now = self.clock.now_ns();
            match g.events.first_key_value().map(|(k, _)| k.0) {
                Some(d) if d <= now => {
                    let (_, a) = g.events.pop_first().expect("nonempty");
                    drop(g);
                    a();
                    g = self.inner.lock();
                }
                Some(d) => {
                    let until = self.clock.instant_at(d).expect("real clock");
                    self.changed.wait_until(&mut g, until);
                }
                None => self.changed.wait(&mut g),
            }
        }
    }

    /// Stop the host thread (if any) and drop all pending events.
    pub fn shutdown(&self) {
        {
            let mut g = self.inner.lock();
            g.shutdown = true;
            g.events.clear();
            self.changed.notify_all();
        }
        if let Some(h) = self.thread.lock().take() {
            let _ = h.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn virtual_events_fire_in_deadline_order() {
        let clock = Arc::new(Clock::virtual_clock());
        let q = TimerQueue::new(Arc::clone(&clock));
        let log = Arc::new(Mutex::new(Vec::new()));
        for (d, tag) in [(30, 'c'), (10, 'a'), (20, 'b'), (10, 'A')] {
            let log = Arc::clone(&log);
            q.schedule_at(d, Box::new(move || log.lock().push(tag)));
        }
        let cancelled = q.schedule_at(15, Box::new(|| panic!("cancelled event fired")));
        assert!(q.cancel(cancelled));
        assert_eq!(q.run_due(), 0);
        clock.advance_to(20);
        assert_eq!(q.run_due(), 3);
        assert_eq!(*log.lock(), vec!['a', 'A', 'b']);
        assert_eq!(q.next_deadline(), Some(30));
        q.shutdown();
    }

    #[test]
    fn real_events_fire_on_the_host_thread() {
        let q = TimerQueue::new(Arc::new(Clock::real()));
        let n = Arc::new(AtomicUsize::new(0));
        let (tx, rx) = std::sync::mpsc::channel();
        for i in 0..5u64 {
            let n = Arc::clone(&n);
            let tx = tx.clone();
            q.schedule_at(
                q.clock().now_ns() + i * 100_000,
                Box::new(move || {
                    n.fetch_add(1, Ordering::SeqCst);
                    tx.send(()).unwrap();
                }),
            );
        }
        for _ in 0..5 {
            rx.recv().unwrap();
        }
        assert_eq!(n.load(Ordering::SeqCst), 5);
        q.shutdown();
    }
}
