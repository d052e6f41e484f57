//! Performance events (kernel/events/): counting `perf_event`s, the kernel
//! side of `perf stat`.
//!
//! A counter is a software event (`task-clock`, `cpu-clock`,
//! `context-switches`, `cpu-migrations`, `page-faults`) or a tracepoint
//! (`kmem:kmalloc`, …), scoped to one task (and the tasks it creates after
//! the counter exists, perf's `inherit`) or to one CPU or every CPU (`-a`).
//! Tracepoint counters — and the software events that are tracepoints in
//! disguise — attach a probe to the event (`register_probe`), so counting
//! costs nothing while no counter exists and does not need the event to be
//! enabled in the trace buffer. `task-clock` reads the scheduler's exact
//! runtime accounting.
//!
//! Invariant: a counter counts only between enable and disable, exactly
//! once per occurrence in its scope.

use crate::init::kernel::kernel;
use crate::kernel::sched::task::Pid;
use crate::trace::events;
use crate::trace::TraceEvent;
use crate::trace::{ProbeHandle, Record};
use parking_lot::Mutex;
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use uapi::errno::{Errno, EINVAL, ENOENT};

/// `PERF_COUNT_SW_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwEvent {
    CpuClock,
    TaskClock,
    ContextSwitches,
    CpuMigrations,
    PageFaults,
}

#[derive(Clone, Copy, Debug)]
pub enum EventType {
    Software(SwEvent),
    Tracepoint(&'static TraceEvent),
}

/// What a counter watches: a task tree, or CPUs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Task(Pid),
    Cpu(usize),
    AllCpus,
}

pub struct PerfEvent {
    pub ty: EventType,
    pub scope: Scope,
    count: AtomicU64,
    enabled: Arc<AtomicBool>,
    probe: Mutex<Option<ProbeHandle>>,
    inherit_probe: Mutex<Option<ProbeHandle>>,
    /// The task tree of a task-scoped counter (perf's `inherit`).
    tasks: Arc<Mutex<BTreeSet<Pid>>>,
    clock_start: Mutex<Option<u64>>,
    clock_total: AtomicU64,
}

/// Parse perf's event names: `task-clock`, `context-switches` (`cs`),
/// `cpu-migrations` (`migrations`), `page-faults` (`faults`), `cpu-clock`,
/// or `system:event`.
pub fn parse_event(name: &str) -> Result<EventType, Errno> {
    Ok(match name {
        "task-clock" => EventType::Software(SwEvent::TaskClock),
        "cpu-clock" => EventType::Software(SwEvent::CpuClock),
        "context-switches" | "cs" => EventType::Software(SwEvent::ContextSwitches),
        "cpu-migrations" | "migrations" => EventType::Software(SwEvent::CpuMigrations),
        "page-faults" | "faults" => EventType::Software(SwEvent::PageFaults),
        tp => {
            let (sys, ev) = tp.split_once(':').ok_or(EINVAL)?;
            let e = events::ALL
                .iter()
                .find(|e| e.system == sys && e.name == ev)
                .ok_or(ENOENT)?;
            EventType::Tracepoint(e)
        }
    })
}

/// `perf list`'s software events.
pub const SW_EVENT_NAMES: [&str; 5] = [
    "cpu-clock",
    "task-clock",
    "page-faults",
    "context-switches",
    "cpu-migrations",
];

impl PerfEvent {
    /// `perf_event_create_kernel_counter()`: created disabled.
    pub fn create(ty: EventType, scope: Scope) -> Result<Arc<PerfEvent>, Errno> {
        let k = kernel();
        match scope {
            Scope::Cpu(c) if c >= k.nr_cpus() => return Err(EINVAL),
            Scope::Task(p) if k.find_task(p).is_none() => return Err(uapi::errno::ESRCH),
            _ => {}
        }
        let ev = Arc::new(PerfEvent {
            ty,
            scope,
            count: AtomicU64::new(0),
            enabled: Arc::new(AtomicBool::new(false)),
            probe: Mutex::new(None),
            inherit_probe: Mutex::new(None),
            tasks: Arc::new(Mutex::new(match scope {
                Scope::Task(p) => BTreeSet::from([p]),
                _ => BTreeSet::new(),
            })),
            clock_start: Mutex::new(None),
            clock_total: AtomicU64::new(0),
        });
        let tp = match ty {
            EventType::Tracepoint(e) => Some(e),
            EventType::Software(SwEvent::ContextSwitches) => Some(&events::SCHED_SWITCH),
            EventType::Software(SwEvent::CpuMigrations) => Some(&events::SCHED_MIGRATE_TASK),
            _ => None,
        };
        if let Some(tp) = tp {
            let weak = Arc::downgrade(&ev);
            let h = k.tracing.register_probe(tp, move |r: &Record| {
                if let Some(ev) = weak.upgrade() {
                    ev.on_record(r);
                }
            });
            *ev.probe.lock() = Some(h);
        }
        if let Scope::Task(_) = scope {
            // inherit: follow tasks created by the tree after this point.
            let tasks = Arc::clone(&ev.tasks);
            let h2 = k
                .tracing
                .register_probe(&events::SCHED_WAKEUP_NEW, move |r: &Record| {
                    let mut t = tasks.lock();
                    if t.contains(&r.pid) {
                        t.insert(r.i32(24));
                    }
                });
            // Kept alive with the counter; released with it.
            ev.inherit_probe.lock().replace(h2);
        }
        Ok(ev)
    }

    fn in_scope(&self, r: &Record) -> bool {
        match self.scope {
            Scope::AllCpus => true,
            Scope::Cpu(c) => r.cpu as usize == c,
            Scope::Task(_) => {
                // A context switch belongs to the task switched out, a
                // migration to the task moved (both at offset 24).
                let pid = if r.event == events::SCHED_SWITCH.id
                    || r.event == events::SCHED_MIGRATE_TASK.id
                {
                    r.i32(24)
                } else {
                    r.pid
                };
                self.tasks.lock().contains(&pid)
            }
        }
    }

    fn on_record(&self, r: &Record) {
        if self.enabled.load(Ordering::Acquire) && self.in_scope(r) {
            self.count.fetch_add(1, Ordering::Relaxed);
        }
    }

    fn clock_now(&self) -> u64 {
        let k = kernel();
        match (self.ty, self.scope) {
            (EventType::Software(SwEvent::TaskClock), Scope::Task(_)) => {
                let tasks: Vec<Pid> = self.tasks.lock().iter().copied().collect();
                tasks
                    .iter()
                    .filter_map(|p| k.find_task(*p))
                    .map(|t| crate::kernel::sched::core::task_sched_runtime(&k, &t))
                    .sum()
            }
            (_, Scope::AllCpus) => k.clock.now_ns() * k.nr_cpus() as u64,
            _ => k.clock.now_ns(),
        }
    }

    fn is_clock(&self) -> bool {
        matches!(
            self.ty,
            EventType::Software(SwEvent::TaskClock | SwEvent::CpuClock)
        )
    }

    /// `perf_event_enable()`.
    pub fn enable(&self) {
        if self.is_clock() {
            *self.clock_start.lock() = Some(self.clock_now());
        }
        self.enabled.store(true, Ordering::Release);
    }

    /// `perf_event_disable()`.
    pub fn disable(&self) {
        self.enabled.store(false, Ordering::Release);
        if let Some(start) = self.clock_start.lock().take() {
            self.clock_total
                .fetch_add(self.clock_now().saturating_sub(start), Ordering::Relaxed);
        }
    }

    /// `perf_event_read_value()`: the count (ns for the clocks).
    pub fn read(&self) -> u64 {
        if self.is_clock() {
            let running = self
                .clock_start
                .lock()
                .map(|s| self.clock_now().saturating_sub(s))
                .unwrap_or(0);
            return self.clock_total.load(Ordering::Relaxed) + running;
        }
        self.count.load(Ordering::Relaxed)
    }
}

impl Drop for PerfEvent {
    /// `perf_event_release_kernel()`.
    fn drop(&mut self) {
        if !crate::kernel::sched::current::in_kernel_thread() {
            return;
        }
        let k = kernel();
        for h in [self.probe.lock().take(), self.inherit_probe.lock().take()]
            .into_iter()
            .flatten()
        {
            k.tracing.unregister_probe(h);
        }
    }
}
