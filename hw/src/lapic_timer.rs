//! The per-CPU programmable timer (a local APIC timer): the clock event
//! device each CPU's tick runs on.
//!
//! Programmed periodic (fires every `period` ns, on multiples of the period)
//! or one-shot (fires once at a deadline), or shut down. Each firing raises
//! the `LocalTimer` vector on its CPU. Reprogramming bumps a generation
//! number, so an event scheduled under an older programming never fires.

use crate::irqchip::{InterruptController, Vector};
use crate::timerq::{EventId, TimerQueue};
use parking_lot::Mutex;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerMode {
    Shutdown,
    Periodic { period: u64 },
    Oneshot,
}

struct State {
    mode: TimerMode,
    gen: u64,
    event: Option<EventId>,
}

pub struct LapicTimer {
    cpu: usize,
    timerq: Arc<TimerQueue>,
    irqchip: Arc<InterruptController>,
    state: Mutex<State>,
}

impl LapicTimer {
    pub fn new(
        cpu: usize,
        timerq: Arc<TimerQueue>,
        irqchip: Arc<InterruptController>,
    ) -> Arc<Self> {
        Arc::new(LapicTimer {
            cpu,
            timerq,
            irqchip,
            state: Mutex::new(State {
                mode: TimerMode::Shutdown,
                gen: 0,
                event: None,
            }),
        })
    }

    pub fn mode(&self) -> TimerMode {
        self.state.lock().mode
    }

    fn reprogram(self: &Arc<Self>, mode: TimerMode, first: Option<u64>) {
        let mut st = self.state.lock();
        st.gen += 1;
        if let Some(ev) = st.event.take() {
            self.timerq.cancel(ev);
        }
        st.mode = mode;
        if let Some(at) = first {
            st.event = Some(self.arm(at, st.gen));
        }
    }

    fn arm(self: &Arc<Self>, at: u64, gen: u64) -> EventId {
        let me = Arc::clone(self);
        self.timerq
            .schedule_at(at, Box::new(move || me.fire(at, gen)))
    }

    fn fire(self: &Arc<Self>, at: u64, gen: u64) {
        let mut st = self.state.lock();
        if st.gen != gen {
            return;
        }
        st.event = None;
        match st.mode {
            TimerMode::Periodic { period } => {
                // Skip ticks that were missed (the host may have stalled us).
                let now = self.timerq.clock().now_ns();
                let mut next = at + period;
                if next <= now {
                    next = (now / period + 1) * period;
                }
                st.event = Some(self.arm(next, gen));
            }
            TimerMode::Oneshot => st.mode = TimerMode::Shutdown,
            TimerMode::Shutdown => return,
        }
        drop(st);
        self.irqchip.send_vector(self.cpu, Vector::LocalTimer);
    }

    /// Fire every `period` ns, starting at the next multiple of `period`.
    pub fn set_periodic(self: &Arc<Self>, period: u64) {
        let now = self.timerq.clock().now_ns();
        let first = (now / period + 1) * period;
        self.reprogram(TimerMode::Periodic { period }, Some(first));
    }

    /// Fire once at machine time `deadline`.
    pub fn set_oneshot(self: &Arc<Self>, deadline: u64) {
        self.reprogram(TimerMode::Oneshot, Some(deadline));
    }

    pub fn shutdown(self: &Arc<Self>) {
        self.reprogram(TimerMode::Shutdown, None);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;

    #[test]
    fn periodic_then_oneshot_then_shutdown() {
        let clock = Arc::new(Clock::virtual_clock());
        let q = TimerQueue::new(Arc::clone(&clock));
        let ic = Arc::new(InterruptController::new(1));
        let t = LapicTimer::new(0, Arc::clone(&q), Arc::clone(&ic));
        t.set_periodic(100);
        clock.advance_to(350);
        q.run_due();
        // Fired at 100, 200, 300; the bits coalesce until acknowledged.
        assert_eq!(ic.ack_pending(0).vectors, Vector::LocalTimer.bit());
        assert_eq!(q.next_deadline(), Some(400));
        t.set_oneshot(1000);
        assert_eq!(q.next_deadline(), Some(1000));
        clock.advance_to(1000);
        q.run_due();
        assert!(ic.has_pending(0));
        assert_eq!(t.mode(), TimerMode::Shutdown);
        assert_eq!(q.next_deadline(), None);
        q.shutdown();
    }
}
