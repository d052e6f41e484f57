//! Tracepoints and the trace buffer (seed 004, "Fun with tracepoints").
//!
//! An event is a `static TraceEvent`: system, name, typed fields with the
//! binary layout of its record (after Linux's 8 bytes of common fields),
//! Linux's `print fmt`, and a renderer for the text of `trace`. Emitting
//! costs one relaxed load of the event's static key and a predicted branch
//! while the event is off in every kernel of the process; the record (and
//! the work of building it) only happens when it is on. Enabled records go
//! into the emitting CPU's ring buffer, a lock-free bounded queue
//! (`crossbeam_queue::ArrayQueue`): in overwrite mode the oldest record
//! makes room (Linux's default), otherwise new records are dropped; both
//! count what was lost.
//!
//! Besides the events declared in `events.rs`, `syscalls.rs` builds a
//! `sys_enter_*`/`sys_exit_*` pair per system call from a metadata table;
//! `events::all()` is the registry of both, indexed by id.
//!
//! The tracefs tree (`/sys/kernel/tracing`, in `tracefs.rs`) exposes
//! `available_events`, `set_event`, `events/<system>/<event>/{enable,
//! format,id}`, `trace`, `trace_pipe`, `tracing_on`, `buffer_size_kb` and
//! `trace_options`-style overwrite control, in Linux's formats.

pub mod events;
pub mod export;
pub mod filter;
pub mod syscalls;
pub mod tracefs;

use crate::init::kernel::Kernel;
use crate::kernel::percpu::PerCpu;
use crossbeam_queue::ArrayQueue;
use parking_lot::RwLock;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::Arc;

/// C types of record fields, as the format file names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldType {
    /// `char name[16]` (task comm).
    Comm,
    /// `char name[32]` (a function or module name).
    Name32,
    Int,
    PidT,
    UnsignedInt,
    Long,
    U64,
    UnsignedLong,
    /// `void *`.
    Ptr,
    /// `bool` (one byte).
    Bool,
    /// `unsigned long name[N]` (Linux's `__array`; not filterable).
    UnsignedLongArray(usize),
    /// A system call argument: its C type as declared, stored as an
    /// `unsigned long` (`syscalls:sys_enter_*`).
    SyscallArg(&'static str),
}

impl FieldType {
    pub fn size(self) -> usize {
        match self {
            FieldType::Comm => 16,
            FieldType::Name32 => 32,
            FieldType::Bool => 1,
            FieldType::Int | FieldType::PidT | FieldType::UnsignedInt => 4,
            FieldType::Long
            | FieldType::U64
            | FieldType::UnsignedLong
            | FieldType::Ptr
            | FieldType::SyscallArg(_) => 8,
            FieldType::UnsignedLongArray(n) => 8 * n,
        }
    }

    fn signed(self) -> bool {
        matches!(self, FieldType::Int | FieldType::PidT | FieldType::Long)
    }

    fn c_decl(self, name: &str) -> String {
        match self {
            FieldType::Comm => format!("char {name}[16]"),
            FieldType::Name32 => format!("char {name}[32]"),
            FieldType::Int => format!("int {name}"),
            FieldType::PidT => format!("pid_t {name}"),
            FieldType::UnsignedInt => format!("unsigned int {name}"),
            FieldType::Long => format!("long {name}"),
            FieldType::U64 => format!("u64 {name}"),
            FieldType::UnsignedLong => format!("unsigned long {name}"),
            FieldType::Ptr => format!("void * {name}"),
            FieldType::Bool => format!("bool {name}"),
            FieldType::UnsignedLongArray(n) => format!("unsigned long {name}[{n}]"),
            FieldType::SyscallArg(t) => format!("{t} {name}"),
        }
    }
}

pub struct Field {
    pub name: &'static str,
    pub ty: FieldType,
    pub offset: usize,
}

/// Size of a record's payload (the common fields are kept apart).
pub const PAYLOAD: usize = 64;
/// Where event fields start in Linux's layout (after the common fields).
pub const FIELDS_START: usize = 8;

/// How an event is printed and keyed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventClass {
    /// A `TRACE_EVENT`: `trace` shows `name: fields`.
    Trace,
    /// A `syscalls:` event: `trace` shows its own text (`sys_x(...)`,
    /// `sys_x -> ret`), and its key also counts in its call's key, which
    /// the syscall path checks.
    Syscall,
}

pub struct TraceEvent {
    pub system: &'static str,
    pub name: &'static str,
    pub id: u16,
    pub fields: &'static [Field],
    pub print_fmt: &'static str,
    /// Renders a record's fields for `trace`.
    pub output: fn(&Record) -> String,
    pub class: EventClass,
    /// Static key: the number of kernels in this process with it enabled.
    pub key: AtomicU32,
}

impl std::fmt::Debug for TraceEvent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.system, self.name)
    }
}

impl TraceEvent {
    /// Is the event on in any kernel? The whole cost of a disabled event.
    #[inline(always)]
    pub fn is_hot(&'static self) -> bool {
        self.key.load(Ordering::Relaxed) != 0
    }

    /// `n` more users (enables or probes) of the event.
    fn key_add(&self, n: u32) {
        self.key.fetch_add(n, Ordering::AcqRel);
        if self.class == EventClass::Syscall {
            syscalls::nr_key_add(self.id, n);
        }
    }

    /// `n` fewer users of the event.
    fn key_sub(&self, n: u32) {
        self.key.fetch_sub(n, Ordering::AcqRel);
        if self.class == EventClass::Syscall {
            syscalls::nr_key_sub(self.id, n);
        }
    }
}

/// One record as stored: the common fields plus the payload at Linux's
/// offsets (payload[0] is record offset 8).
#[derive(Clone)]
pub struct Record {
    pub ts: u64,
    pub event: u16,
    pub flags: u8,
    pub preempt: u8,
    pub pid: i32,
    pub cpu: u16,
    pub comm: [u8; 16],
    pub data: [u8; PAYLOAD],
}

impl Record {
    fn at(&self, off: usize, len: usize) -> &[u8] {
        &self.data[off - FIELDS_START..off - FIELDS_START + len]
    }
    pub fn i32(&self, off: usize) -> i32 {
        i32::from_le_bytes(self.at(off, 4).try_into().expect("4 bytes"))
    }
    pub fn u32(&self, off: usize) -> u32 {
        u32::from_le_bytes(self.at(off, 4).try_into().expect("4 bytes"))
    }
    pub fn i64(&self, off: usize) -> i64 {
        i64::from_le_bytes(self.at(off, 8).try_into().expect("8 bytes"))
    }
    pub fn u64(&self, off: usize) -> u64 {
        u64::from_le_bytes(self.at(off, 8).try_into().expect("8 bytes"))
    }
    pub fn bool(&self, off: usize) -> bool {
        self.at(off, 1)[0] != 0
    }
    pub fn str(&self, off: usize, len: usize) -> String {
        let b = self.at(off, len);
        let end = b.iter().position(|&c| c == 0).unwrap_or(len);
        String::from_utf8_lossy(&b[..end]).into_owned()
    }
    pub fn comm(&self) -> String {
        let end = self.comm.iter().position(|&c| c == 0).unwrap_or(16);
        String::from_utf8_lossy(&self.comm[..end]).into_owned()
    }
}

/// Builds a record's payload at the event's field offsets.
pub struct RecordWriter {
    data: [u8; PAYLOAD],
}

impl RecordWriter {
    fn put(&mut self, off: usize, b: &[u8]) -> &mut Self {
        self.data[off - FIELDS_START..off - FIELDS_START + b.len()].copy_from_slice(b);
        self
    }
    pub fn i32(&mut self, off: usize, v: i32) -> &mut Self {
        self.put(off, &v.to_le_bytes())
    }
    pub fn u32(&mut self, off: usize, v: u32) -> &mut Self {
        self.put(off, &v.to_le_bytes())
    }
    pub fn i64(&mut self, off: usize, v: i64) -> &mut Self {
        self.put(off, &v.to_le_bytes())
    }
    pub fn u64(&mut self, off: usize, v: u64) -> &mut Self {
        self.put(off, &v.to_le_bytes())
    }
    pub fn bool(&mut self, off: usize, v: bool) -> &mut Self {
        self.put(off, &[v as u8])
    }
    /// A NUL-padded string of at most `len - 1` bytes.
    pub fn str(&mut self, off: usize, len: usize, s: &str) -> &mut Self {
        let b = s.as_bytes();
        let n = b.len().min(len - 1);
        let mut buf = [0u8; 32];
        buf[..n].copy_from_slice(&b[..n]);
        self.put(off, &buf[..len])
    }
}

/// Default per-CPU buffer size, KiB (Linux's is 1408 on many configs).
pub const DEFAULT_BUFFER_KB: usize = 1408;
/// Largest per-CPU buffer usk accepts, KiB (the buffers are allocated
/// up front, per CPU).
pub const MAX_BUFFER_KB: usize = 64 << 10;

/// A kernel's tracing state.
/// A probe attached to an event: called with each record, in the emitting
/// context (possibly hardirq), under `rcu_read_lock()`.
pub struct Probe {
    id: u64,
    func: Box<dyn Fn(&Record) + Send + Sync>,
}

/// What `register_trace_probe` returns, for `unregister_trace_probe`.
pub struct ProbeHandle {
    ev: &'static TraceEvent,
    id: u64,
}

pub struct Tracing {
    enabled: Box<[AtomicBool]>,
    probes: Box<[crate::kernel::rcu::RcuList<Probe>]>,
    nr_probes: Box<[AtomicU32]>,
    next_probe: AtomicU64,
    filters: Box<[RwLock<Option<Arc<filter::Filter>>>]>,
    buffers: RwLock<Arc<PerCpu<ArrayQueue<Record>>>>,
    buffer_kb: AtomicU32,
    pub tracing_on: AtomicBool,
    pub overwrite: AtomicBool,
    written: PerCpu<AtomicU64>,
    lost: PerCpu<AtomicU64>,
    nr_cpus: usize,
}

fn entries_for_kb(kb: usize) -> usize {
    (kb * 1024 / std::mem::size_of::<Record>()).max(16)
}

impl Tracing {
    pub fn new(nr_cpus: usize, buffer_kb: usize) -> Self {
        let buffer_kb = buffer_kb.clamp(1, MAX_BUFFER_KB);
        Tracing {
            enabled: events::all()
                .iter()
                .map(|_| AtomicBool::new(false))
                .collect(),
            probes: events::all()
                .iter()
                .map(|_| crate::kernel::rcu::RcuList::new())
                .collect(),
            nr_probes: events::all().iter().map(|_| AtomicU32::new(0)).collect(),
            next_probe: AtomicU64::new(1),
            filters: events::all().iter().map(|_| RwLock::new(None)).collect(),
            buffers: RwLock::new(Arc::new(PerCpu::new(nr_cpus, |_| {
                ArrayQueue::new(entries_for_kb(buffer_kb))
            }))),
            buffer_kb: AtomicU32::new(buffer_kb as u32),
            tracing_on: AtomicBool::new(true),
            overwrite: AtomicBool::new(true),
            written: PerCpu::new(nr_cpus, |_| AtomicU64::new(0)),
            lost: PerCpu::new(nr_cpus, |_| AtomicU64::new(0)),
            nr_cpus,
        }
    }

    pub fn is_enabled(&self, ev: &TraceEvent) -> bool {
        self.enabled[ev.id as usize].load(Ordering::Acquire)
    }

    /// Turn an event on or off in this kernel (and its static key).
    pub fn set_enabled(&self, ev: &'static TraceEvent, on: bool) {
        let was = self.enabled[ev.id as usize].swap(on, Ordering::AcqRel);
        match (was, on) {
            (false, true) => ev.key_add(1),
            (true, false) => ev.key_sub(1),
            _ => {}
        }
    }

    /// Turn everything off (at power-off: the static keys are shared).
    pub fn disable_all(&self) {
        for ev in events::all() {
            self.set_enabled(ev, false);
            let n = self.nr_probes[ev.id as usize].swap(0, Ordering::AcqRel);
            ev.key_sub(n);
        }
    }

    /// `tracepoint_probe_register()`: call `func` for every `ev` record of
    /// this kernel, whether or not the event is enabled for the buffer.
    pub fn register_probe(
        &self,
        ev: &'static TraceEvent,
        func: impl Fn(&Record) + Send + Sync + 'static,
    ) -> ProbeHandle {
        let id = self.next_probe.fetch_add(1, Ordering::Relaxed);
        self.probes[ev.id as usize].add(Probe {
            id,
            func: Box::new(func),
        });
        self.nr_probes[ev.id as usize].fetch_add(1, Ordering::AcqRel);
        ev.key_add(1);
        ProbeHandle { ev, id }
    }

    /// `tracepoint_probe_unregister()`: the probe may still be running on
    /// another CPU until a grace period passes (its memory is freed then);
    /// `tracepoint_synchronize_unregister()` is `synchronize_rcu()`.
    pub fn unregister_probe(&self, h: ProbeHandle) {
        let ev = h.ev;
        if let Some(old) = self.probes[ev.id as usize].remove(|p| p.id == h.id) {
            self.nr_probes[ev.id as usize].fetch_sub(1, Ordering::AcqRel);
            ev.key_sub(1);
            old.free_after_gp();
        }
    }

    /// Set (`Some`) or remove (`None`) the event's filter.
    pub fn set_filter(&self, ev: &TraceEvent, f: Option<filter::Filter>) {
        *self.filters[ev.id as usize].write() = f.map(Arc::new);
    }

    pub fn filter_text(&self, ev: &TraceEvent) -> Option<String> {
        self.filters[ev.id as usize]
            .read()
            .as_ref()
            .map(|f| f.text.clone())
    }

    pub fn buffer_kb(&self) -> usize {
        self.buffer_kb.load(Ordering::Relaxed) as usize
    }

    /// `buffer_size_kb` write: resize (and clear) every CPU's buffer.
    pub fn resize(&self, kb: usize) {
        *self.buffers.write() = Arc::new(PerCpu::new(self.nr_cpus, |_| {
            ArrayQueue::new(entries_for_kb(kb))
        }));
        self.buffer_kb.store(kb as u32, Ordering::Relaxed);
    }

    /// Clear every buffer (`echo > trace`).
    pub fn clear(&self) {
        let b = Arc::clone(&self.buffers.read());
        for (_, q) in b.iter() {
            while q.pop().is_some() {}
        }
    }

    fn push(&self, cpu: usize, r: Record) {
        // The buffers are replaced only by a resize (buffer_size_kb), which
        // waits for this read guard.
        let b = self.buffers.read();
        let q = b.per_cpu(cpu);
        self.written.per_cpu(cpu).fetch_add(1, Ordering::Relaxed);
        if self.overwrite.load(Ordering::Relaxed) {
            if q.force_push(r).is_some() {
                self.lost.per_cpu(cpu).fetch_add(1, Ordering::Relaxed);
            }
        } else if q.push(r).is_err() {
            self.lost.per_cpu(cpu).fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Records now in the buffers, oldest first (non-consuming).
    pub fn snapshot(&self) -> Vec<Record> {
        let b = Arc::clone(&self.buffers.read());
        let mut all = Vec::new();
        for (_, q) in b.iter() {
            let n = q.len();
            for _ in 0..n {
                if let Some(r) = q.pop() {
                    all.push(r.clone());
                    // Put it back at the tail: order within the CPU is kept
                    // because we rotate the whole queue once.
                    let _ = q.force_push(r);
                }
            }
        }
        all.sort_by_key(|r| r.ts);
        all
    }

    /// Take every record (trace_pipe).
    pub fn consume(&self) -> Vec<Record> {
        let b = Arc::clone(&self.buffers.read());
        let mut all = Vec::new();
        for (_, q) in b.iter() {
            while let Some(r) = q.pop() {
                all.push(r);
            }
        }
        all.sort_by_key(|r| r.ts);
        all
    }

    pub fn written(&self) -> u64 {
        self.written
            .iter()
            .map(|(_, c)| c.load(Ordering::Relaxed))
            .sum()
    }

    pub fn lost(&self) -> u64 {
        self.lost
            .iter()
            .map(|(_, c)| c.load(Ordering::Relaxed))
            .sum()
    }
}

/// Emit `ev` if it is on in this kernel: `fill` writes the fields.
#[inline]
pub fn trace(ev: &'static TraceEvent, fill: impl FnOnce(&mut RecordWriter)) {
    if ev.is_hot() {
        trace_slow(ev, fill);
    }
}

#[cold]
fn trace_slow(ev: &'static TraceEvent, fill: impl FnOnce(&mut RecordWriter)) {
    if !crate::kernel::sched::current::in_kernel_thread() {
        return;
    }
    let k = crate::kernel();
    emit(&k, ev, fill);
}

fn emit(k: &Kernel, ev: &'static TraceEvent, fill: impl FnOnce(&mut RecordWriter)) {
    let t = &k.tracing;
    let buffered = t.is_enabled(ev) && t.tracing_on.load(Ordering::Relaxed);
    let probed = t.nr_probes[ev.id as usize].load(Ordering::Acquire) > 0;
    if !buffered && !probed {
        return;
    }
    let mut w = RecordWriter { data: [0; PAYLOAD] };
    fill(&mut w);
    let (pid, cpu, comm, pc, need) = crate::kernel::sched::current::with_current(|c| {
        (
            c.pid,
            c.cpu(),
            c.comm_bytes(),
            c.preempt_count(),
            c.need_resched.load(Ordering::Relaxed),
        )
    });
    let irqs_off = k.cpu_state_of(cpu).irqs_off.load(Ordering::Relaxed);
    let mut flags = 0u8;
    if irqs_off {
        flags |= 1;
    }
    if need {
        flags |= 2;
    }
    if pc & crate::kernel::preempt::HARDIRQ_MASK != 0 {
        flags |= 4;
    }
    if pc & crate::kernel::preempt::SOFTIRQ_OFFSET != 0 {
        flags |= 8;
    }
    let rec = Record {
        // trace_clock_local(): sched_clock, as Linux's default trace clock.
        ts: k.clock.sched_clock(),
        event: ev.id,
        flags,
        preempt: (pc & crate::kernel::preempt::PREEMPT_MASK) as u8,
        pid,
        cpu: cpu as u16,
        comm,
        data: w.data,
    };
    if probed {
        let g = crate::kernel::rcu::rcu_read_lock();
        for p in t.probes[ev.id as usize].iter(&g) {
            (p.func)(&rec);
        }
    }
    if !buffered {
        return;
    }
    // filter_check_discard()
    if let Some(f) = &*t.filters[ev.id as usize].read() {
        if !f.matches(&rec) {
            return;
        }
    }
    t.push(cpu, rec);
}

/// One line of `trace`/`trace_pipe` in Linux's default layout.
pub fn format_record(r: &Record) -> String {
    let ev = events::all()[r.event as usize];
    let comm = if r.pid == 0 {
        "<idle>".to_string()
    } else {
        r.comm()
    };
    let flags = format!(
        "{}{}{}{}.",
        if r.flags & 1 != 0 { 'd' } else { '.' },
        if r.flags & 2 != 0 { 'N' } else { '.' },
        match (r.flags & 4 != 0, r.flags & 8 != 0) {
            (true, true) => 'H',
            (true, false) => 'h',
            (false, true) => 's',
            _ => '.',
        },
        if r.preempt == 0 {
            '.'
        } else {
            char::from_digit((r.preempt as u32).min(15), 16).unwrap_or('f')
        }
    );
    let text = match ev.class {
        EventClass::Trace => format!("{}: {}", ev.name, (ev.output)(r)),
        EventClass::Syscall => (ev.output)(r),
    };
    format!(
        "{comm:>16}-{:<7} [{:03}] {flags} {:>5}.{:06}: {text}",
        r.pid,
        r.cpu,
        r.ts / 1_000_000_000,
        (r.ts % 1_000_000_000) / 1000,
    )
}

/// The format file of an event, in Linux's layout.
pub fn format_file(ev: &TraceEvent) -> String {
    let mut s = format!("name: {}\nID: {}\nformat:\n", ev.name, ev.id);
    s.push_str("\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n");
    s.push_str("\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n");
    s.push_str("\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n");
    s.push_str("\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n");
    for f in ev.fields {
        s.push_str(&format!(
            "\tfield:{};\toffset:{};\tsize:{};\tsigned:{};\n",
            f.ty.c_decl(f.name),
            f.offset,
            f.ty.size(),
            f.ty.signed() as u8
        ));
    }
    s.push_str(&format!("\nprint fmt: {}\n", ev.print_fmt));
    s
}
