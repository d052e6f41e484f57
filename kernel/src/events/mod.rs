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
//! A counter with a sample period is a sampling event: every period-th
//! occurrence also writes a `PERF_RECORD_SAMPLE` (Linux's binary layout,
//! with the call chain of `callchain.rs`) into the event's sample buffer,
//! which `perf_event_open(2)`'s file hands to user space (`core.rs`).
//!
//! Invariants: a counter counts only between enable and disable, exactly
//! once per occurrence in its scope; a sampling event samples exactly the
//! occurrences whose running count is a multiple of the period; the sample
//! buffer holds whole records, at most `SAMPLE_BUFFER_BYTES`, and counts
//! the samples it had to drop.

pub mod callchain;
pub mod core;

use crate::init::kernel::kernel;
use crate::kernel::sched::task::Pid;
use crate::trace::events;
use crate::trace::TraceEvent;
use crate::trace::{ProbeHandle, Record};
use parking_lot::Mutex;
use std::collections::{BTreeSet, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::sync::OnceLock;
use uapi::errno::{Errno, EINVAL, ENOENT, ENOSPC};
pub use uapi::perf_event::*;

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

impl EventType {
    /// Can it sample? Only probe-backed events: sampling a clock needs a
    /// timer, and page faults have no probe here.
    fn can_sample(&self) -> bool {
        !matches!(
            self,
            EventType::Software(SwEvent::TaskClock | SwEvent::CpuClock | SwEvent::PageFaults)
        )
    }
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
    sampler: OnceLock<Sampler>,
}

/// The sample fields usk records.
pub const SAMPLE_SUPPORTED: u64 = PERF_SAMPLE_IP
    | PERF_SAMPLE_TID
    | PERF_SAMPLE_TIME
    | PERF_SAMPLE_CALLCHAIN
    | PERF_SAMPLE_CPU
    | PERF_SAMPLE_PERIOD
    | PERF_SAMPLE_RAW;

/// `struct perf_event_header`: type, misc, size.
pub const HEADER_SIZE: usize = 8;
/// A sampling event's buffer, like 4096 pages of perf's ring buffer.
pub const SAMPLE_BUFFER_BYTES: usize = 16 << 20;

/// What a sampling event records.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SampleConfig {
    pub period: u64,
    pub sample_type: u64,
    pub callchain_kernel: bool,
    pub callchain_user: bool,
    pub max_stack: usize,
    /// `attr.comm`: a `PERF_RECORD_COMM` precedes the first sample of a
    /// thread and every sample after its name changed (exec).
    pub comm: bool,
}

struct SampleBuffer {
    records: VecDeque<Vec<u8>>,
    bytes: usize,
    lost: u64,
    comms: std::collections::HashMap<i32, [u8; 16]>,
}

struct Sampler {
    cfg: SampleConfig,
    buf: Mutex<SampleBuffer>,
}

/// `perf_event_header` followed by `body`, size filled in.
fn record(ty: u32, misc: u16, body: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(HEADER_SIZE + body.len());
    v.extend_from_slice(&ty.to_le_bytes());
    v.extend_from_slice(&misc.to_le_bytes());
    v.extend_from_slice(&((HEADER_SIZE + body.len()) as u16).to_le_bytes());
    v.extend_from_slice(body);
    v
}

/// `perf_prepare_sample()` + `perf_output_sample()` for a tracepoint
/// record, fields in `PERF_SAMPLE_*` bit order.
fn tgid_of(r: &Record) -> i32 {
    crate::kernel::sched::current::with_current(|c| if c.pid == r.pid { c.tgid } else { r.pid })
}

/// `perf_event_comm_output()`: pid, tid, the NUL-terminated name padded
/// to 8 bytes.
fn build_comm(r: &Record) -> Vec<u8> {
    let mut b = Vec::with_capacity(32);
    b.extend_from_slice(&tgid_of(r).to_le_bytes());
    b.extend_from_slice(&r.pid.to_le_bytes());
    let n = r.comm.iter().position(|&c| c == 0).unwrap_or(15).min(15);
    b.extend_from_slice(&r.comm[..n]);
    b.resize(8 + (n + 1).next_multiple_of(8), 0);
    record(PERF_RECORD_COMM, 0, &b)
}

fn build_sample(cfg: &SampleConfig, r: &Record) -> Vec<u8> {
    let st = cfg.sample_type;
    let chain = if st & (PERF_SAMPLE_CALLCHAIN | PERF_SAMPLE_IP) != 0 {
        callchain::perf_callchain(
            cfg.callchain_kernel || st & PERF_SAMPLE_CALLCHAIN == 0,
            cfg.callchain_user && st & PERF_SAMPLE_CALLCHAIN != 0,
            cfg.max_stack,
        )
    } else {
        Vec::new()
    };
    let mut b = Vec::with_capacity(64 + chain.len() * 8 + 96);
    if st & PERF_SAMPLE_IP != 0 {
        let ip = chain
            .iter()
            .copied()
            .find(|&a| a < PERF_CONTEXT_MAX)
            .unwrap_or(0);
        b.extend_from_slice(&ip.to_le_bytes());
    }
    if st & PERF_SAMPLE_TID != 0 {
        b.extend_from_slice(&tgid_of(r).to_le_bytes());
        b.extend_from_slice(&r.pid.to_le_bytes());
    }
    if st & PERF_SAMPLE_TIME != 0 {
        b.extend_from_slice(&r.ts.to_le_bytes());
    }
    if st & PERF_SAMPLE_CPU != 0 {
        b.extend_from_slice(&(r.cpu as u32).to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes());
    }
    if st & PERF_SAMPLE_PERIOD != 0 {
        b.extend_from_slice(&cfg.period.to_le_bytes());
    }
    if st & PERF_SAMPLE_CALLCHAIN != 0 {
        b.extend_from_slice(&(chain.len() as u64).to_le_bytes());
        for ip in &chain {
            b.extend_from_slice(&ip.to_le_bytes());
        }
    }
    if st & PERF_SAMPLE_RAW != 0 {
        // the trace entry: common fields, then the event's fields; the
        // size is padded so that size word + data end on 8 bytes
        let mut raw = Vec::with_capacity(crate::trace::FIELDS_START + crate::trace::PAYLOAD);
        raw.extend_from_slice(&r.event.to_le_bytes());
        raw.push(r.flags);
        raw.push(r.preempt);
        raw.extend_from_slice(&r.pid.to_le_bytes());
        raw.extend_from_slice(&r.data);
        let size = (4 + raw.len()).next_multiple_of(8) - 4;
        raw.resize(size, 0);
        b.extend_from_slice(&(size as u32).to_le_bytes());
        b.extend_from_slice(&raw);
    }
    record(PERF_RECORD_SAMPLE, PERF_RECORD_MISC_KERNEL, &b)
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
            let e = events::all()
                .iter()
                .find(|e| e.system == sys && e.name == ev)
                .ok_or(ENOENT)?;
            EventType::Tracepoint(e)
        }
    })
}

impl PerfEvent {
    /// `perf_event_create_kernel_counter()`: created disabled; a
    /// task-scoped counter follows the task's future children.
    pub fn create(ty: EventType, scope: Scope) -> Result<Arc<PerfEvent>, Errno> {
        Self::create_with(ty, scope, true, None)
    }

    /// `perf_event_alloc()`: `inherit` makes a task-scoped counter follow
    /// the task's future children; `sample` makes it a sampling event
    /// (tracepoints and the tracepoint-backed software events only).
    pub fn create_with(
        ty: EventType,
        scope: Scope,
        inherit: bool,
        sample: Option<SampleConfig>,
    ) -> Result<Arc<PerfEvent>, Errno> {
        let k = kernel();
        match scope {
            Scope::Cpu(c) if c >= k.nr_cpus() => return Err(EINVAL),
            Scope::Task(p) if k.find_task(p).is_none() => return Err(uapi::errno::ESRCH),
            _ => {}
        }
        if sample.is_some_and(|cfg| !ty.can_sample() || cfg.period == 0) {
            return Err(EINVAL);
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
            sampler: OnceLock::new(),
        });
        if let Some(cfg) = sample {
            let _ = ev.sampler.set(Sampler {
                cfg,
                buf: Mutex::new(SampleBuffer {
                    records: VecDeque::new(),
                    bytes: 0,
                    lost: 0,
                    comms: std::collections::HashMap::new(),
                }),
            });
        }
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
                    ev.perf_tp_event(r);
                }
            });
            *ev.probe.lock() = Some(h);
        }
        if let (Scope::Task(_), true) = (scope, inherit) {
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

    /// `perf_tp_event()`: count an occurrence, and sample it when the
    /// count reaches a multiple of the period.
    #[inline(never)]
    fn perf_tp_event(&self, r: &Record) {
        if !self.enabled.load(Ordering::Acquire) || !self.in_scope(r) {
            return;
        }
        let n = self.count.fetch_add(1, Ordering::Relaxed) + 1;
        if let Some(s) = self.sampler.get() {
            if n.checked_rem(s.cfg.period) == Some(0) {
                let rec = build_sample(&s.cfg, r);
                let mut b = s.buf.lock();
                if s.cfg.comm && b.comms.get(&r.pid) != Some(&r.comm) {
                    let c = build_comm(r);
                    if b.bytes + c.len() <= SAMPLE_BUFFER_BYTES {
                        b.comms.insert(r.pid, r.comm);
                        b.bytes += c.len();
                        b.records.push_back(c);
                    }
                }
                if b.bytes + rec.len() > SAMPLE_BUFFER_BYTES {
                    b.lost += 1;
                } else {
                    b.bytes += rec.len();
                    b.records.push_back(rec);
                }
            }
        }
    }

    /// Is this a sampling event?
    pub fn is_sampling(&self) -> bool {
        self.sampler.get().is_some()
    }

    /// Take whole records from the sample buffer, oldest first, up to
    /// `max` bytes; a `PERF_RECORD_LOST` comes first when samples were
    /// dropped since the last call. `EINVAL` for a counting event,
    /// `ENOSPC` when the next record does not fit in `max`.
    pub fn take_samples(&self, max: usize) -> Result<Vec<u8>, Errno> {
        let s = self.sampler.get().ok_or(EINVAL)?;
        let mut b = s.buf.lock();
        let mut out = Vec::new();
        if b.lost > 0 {
            let mut body = [0u8; 16];
            body[8..].copy_from_slice(&b.lost.to_le_bytes());
            let lost = record(PERF_RECORD_LOST, 0, &body);
            if lost.len() > max {
                return Err(ENOSPC);
            }
            out.extend_from_slice(&lost);
            b.lost = 0;
        }
        while let Some(front) = b.records.front() {
            if out.len() + front.len() > max {
                if out.is_empty() {
                    return Err(ENOSPC);
                }
                break;
            }
            let r = b.records.pop_front().expect("front exists");
            b.bytes -= r.len();
            out.extend_from_slice(&r);
        }
        Ok(out)
    }

    /// `PERF_EVENT_IOC_RESET`: the count (and a clock's total) back to 0.
    pub fn reset(&self) {
        self.count.store(0, Ordering::Relaxed);
        self.clock_total.store(0, Ordering::Relaxed);
        let mut start = self.clock_start.lock();
        if start.is_some() {
            *start = Some(self.clock_now());
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
