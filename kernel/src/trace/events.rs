//! The events usk emits, with Linux's systems, names, fields and print
//! formats (include/trace/events/{sched,irq,timer,workqueue,module,rcu,kmem,
//! signal,syscalls,compaction}.h).
//! Variable-length strings (`__string` in Linux) are fixed `char[32]` here;
//! everything else has Linux's types and order.

use super::{EventClass, Field, FieldType as T, Record, TraceEvent};
use crate::kernel::kallsyms::{sprint_symbol, sprint_symbol_no_offset};
use crate::mm::gfp::{format_gfp, Gfp};
use std::sync::atomic::AtomicU32;
use std::sync::LazyLock;

/// A field type by name; `UnsignedLongArray6` is `unsigned long x[6]`.
macro_rules! field_type {
    (UnsignedLongArray6) => {
        T::UnsignedLongArray(6)
    };
    ($t:ident) => {
        T::$t
    };
}

macro_rules! event {
    ($id:expr, $sys:literal, $name:literal, [$($f:literal : $t:ident @ $o:literal),*], $fmt:expr, $out:expr) => {
        TraceEvent {
            system: $sys,
            name: $name,
            id: $id,
            fields: &[$(Field { name: $f, ty: field_type!($t), offset: $o }),*],
            print_fmt: $fmt,
            output: $out,
            class: EventClass::Trace,
            key: AtomicU32::new(0),
        }
    };
}

fn task_state(r: &Record, off: usize) -> String {
    let s = r.i64(off);
    // Bit 0x100 marks a preempted (still runnable) task, Linux's "R+".
    let base = match s & 0xff {
        0 => "R",
        1 => "S",
        2 => "D",
        0x40 => "P",
        0x80 => "X",
        _ => "I",
    };
    format!("{base}{}", if s & 0x100 != 0 { "+" } else { "" })
}

pub static SCHED_SWITCH: TraceEvent = event!(0, "sched", "sched_switch",
    ["prev_comm": Comm @ 8, "prev_pid": PidT @ 24, "prev_prio": Int @ 28, "prev_state": Long @ 32,
     "next_comm": Comm @ 40, "next_pid": PidT @ 56, "next_prio": Int @ 60],
    "\"prev_comm=%s prev_pid=%d prev_prio=%d prev_state=%s%s ==> next_comm=%s next_pid=%d next_prio=%d\", REC->prev_comm, REC->prev_pid, REC->prev_prio, (REC->prev_state & ((((0x00000000 | 0x00000001 | 0x00000002 | 0x00000004 | 0x00000008 | 0x00000010 | 0x00000020 | 0x00000040) + 1) << 1) - 1)) ? __print_flags(REC->prev_state, \"|\", { 0x00000001, \"S\" }, { 0x00000002, \"D\" }) : \"R\", REC->prev_state & (((0x00000000 | 0x00000001 | 0x00000002 | 0x00000004 | 0x00000008 | 0x00000010 | 0x00000020 | 0x00000040) + 1) << 1) ? \"+\" : \"\", REC->next_comm, REC->next_pid, REC->next_prio",
    |r| format!("prev_comm={} prev_pid={} prev_prio={} prev_state={} ==> next_comm={} next_pid={} next_prio={}",
        r.str(8, 16), r.i32(24), r.i32(28), task_state(r, 32), r.str(40, 16), r.i32(56), r.i32(60)));

pub static SCHED_WAKEUP: TraceEvent = event!(1, "sched", "sched_wakeup",
    ["comm": Comm @ 8, "pid": PidT @ 24, "prio": Int @ 28, "target_cpu": Int @ 32],
    "\"comm=%s pid=%d prio=%d target_cpu=%03d\", REC->comm, REC->pid, REC->prio, REC->target_cpu",
    |r| format!("comm={} pid={} prio={} target_cpu={:03}", r.str(8, 16), r.i32(24), r.i32(28), r.i32(32)));

pub static SCHED_WAKEUP_NEW: TraceEvent = event!(2, "sched", "sched_wakeup_new",
    ["comm": Comm @ 8, "pid": PidT @ 24, "prio": Int @ 28, "target_cpu": Int @ 32],
    "\"comm=%s pid=%d prio=%d target_cpu=%03d\", REC->comm, REC->pid, REC->prio, REC->target_cpu",
    |r| format!("comm={} pid={} prio={} target_cpu={:03}", r.str(8, 16), r.i32(24), r.i32(28), r.i32(32)));

pub static SCHED_MIGRATE_TASK: TraceEvent = event!(3, "sched", "sched_migrate_task",
    ["comm": Comm @ 8, "pid": PidT @ 24, "prio": Int @ 28, "orig_cpu": Int @ 32, "dest_cpu": Int @ 36],
    "\"comm=%s pid=%d prio=%d orig_cpu=%d dest_cpu=%d\", REC->comm, REC->pid, REC->prio, REC->orig_cpu, REC->dest_cpu",
    |r| format!("comm={} pid={} prio={} orig_cpu={} dest_cpu={}", r.str(8, 16), r.i32(24), r.i32(28), r.i32(32), r.i32(36)));

pub static SCHED_PROCESS_EXIT: TraceEvent = event!(4, "sched", "sched_process_exit",
    ["comm": Comm @ 8, "pid": PidT @ 24, "prio": Int @ 28],
    "\"comm=%s pid=%d prio=%d\", REC->comm, REC->pid, REC->prio",
    |r| format!("comm={} pid={} prio={}", r.str(8, 16), r.i32(24), r.i32(28)));

pub static SCHED_PROCESS_FORK: TraceEvent = event!(28, "sched", "sched_process_fork",
    ["parent_comm": Comm @ 8, "parent_pid": PidT @ 24, "child_comm": Comm @ 28, "child_pid": PidT @ 44],
    "\"comm=%s pid=%d child_comm=%s child_pid=%d\", REC->parent_comm, REC->parent_pid, REC->child_comm, REC->child_pid",
    |r| format!("comm={} pid={} child_comm={} child_pid={}", r.str(8, 16), r.i32(24), r.str(28, 16), r.i32(44)));

pub static SIGNAL_GENERATE: TraceEvent = event!(29, "signal", "signal_generate",
    ["sig": Int @ 8, "errno": Int @ 12, "code": Int @ 16, "comm": Comm @ 20, "pid": PidT @ 36, "group": Int @ 40, "result": Int @ 44],
    "\"sig=%d errno=%d code=%d comm=%s pid=%d grp=%d res=%d\", REC->sig, REC->errno, REC->code, REC->comm, REC->pid, REC->group, REC->result",
    |r| format!("sig={} errno={} code={} comm={} pid={} grp={} res={}", r.i32(8), r.i32(12), r.i32(16), r.str(20, 16), r.i32(36), r.i32(40), r.i32(44)));

pub static SIGNAL_DELIVER: TraceEvent = event!(30, "signal", "signal_deliver",
    ["sig": Int @ 8, "errno": Int @ 12, "code": Int @ 16, "sa_handler": Long @ 24, "sa_flags": Long @ 32],
    "\"sig=%d errno=%d code=%d sa_handler=%lx sa_flags=%lx\", REC->sig, REC->errno, REC->code, REC->sa_handler, REC->sa_flags",
    |r| format!("sig={} errno={} code={} sa_handler={:x} sa_flags={:x}", r.i32(8), r.i32(12), r.i32(16), r.i64(24), r.i64(32)));

pub static IRQ_HANDLER_ENTRY: TraceEvent = event!(5, "irq", "irq_handler_entry",
    ["irq": Int @ 8, "name": Name32 @ 12],
    "\"irq=%d name=%s\", REC->irq, __get_str(name)",
    |r| format!("irq={} name={}", r.i32(8), r.str(12, 32)));

pub static IRQ_HANDLER_EXIT: TraceEvent = event!(6, "irq", "irq_handler_exit",
    ["irq": Int @ 8, "ret": Int @ 12],
    "\"irq=%d ret=%s\", REC->irq, REC->ret ? \"handled\" : \"unhandled\"",
    |r| format!("irq={} ret={}", r.i32(8), if r.i32(12) != 0 { "handled" } else { "unhandled" }));

fn softirq_out(r: &Record) -> String {
    let v = r.u32(8);
    let name = crate::kernel::softirq::SOFTIRQ_NAMES
        .get(v as usize)
        .copied()
        .unwrap_or("?");
    format!("vec={v} [action={name}]")
}

const SOFTIRQ_FMT: &str = "\"vec=%u [action=%s]\", REC->vec, __print_symbolic(REC->vec, { 0, \"HI\" }, { 1, \"TIMER\" }, { 2, \"NET_TX\" }, { 3, \"NET_RX\" }, { 4, \"BLOCK\" }, { 5, \"IRQ_POLL\" }, { 6, \"TASKLET\" }, { 7, \"SCHED\" }, { 8, \"HRTIMER\" }, { 9, \"RCU\" })";

pub static SOFTIRQ_ENTRY: TraceEvent =
    event!(7, "irq", "softirq_entry", ["vec": UnsignedInt @ 8], SOFTIRQ_FMT, softirq_out);
pub static SOFTIRQ_EXIT: TraceEvent =
    event!(8, "irq", "softirq_exit", ["vec": UnsignedInt @ 8], SOFTIRQ_FMT, softirq_out);
pub static SOFTIRQ_RAISE: TraceEvent =
    event!(9, "irq", "softirq_raise", ["vec": UnsignedInt @ 8], SOFTIRQ_FMT, softirq_out);

pub static TIMER_EXPIRE_ENTRY: TraceEvent = event!(10, "timer", "timer_expire_entry",
    ["timer": U64 @ 8, "now": U64 @ 16],
    "\"timer=%p now=%lu\", REC->timer, REC->now",
    |r| format!("timer={:016x} now={}", r.u64(8), r.u64(16)));

pub static TIMER_EXPIRE_EXIT: TraceEvent = event!(11, "timer", "timer_expire_exit",
    ["timer": U64 @ 8],
    "\"timer=%p\", REC->timer",
    |r| format!("timer={:016x}", r.u64(8)));

pub static WORKQUEUE_QUEUE_WORK: TraceEvent = event!(12, "workqueue", "workqueue_queue_work",
    ["work": U64 @ 8, "function": U64 @ 16, "workqueue": Name32 @ 24, "req_cpu": Int @ 56, "cpu": Int @ 60],
    "\"work struct=%p function=%ps workqueue=%s req_cpu=%d cpu=%d\", REC->work, REC->function, __get_str(workqueue), REC->req_cpu, REC->cpu",
    |r| format!("work struct={:016x} function={:016x} workqueue={} req_cpu={} cpu={}", r.u64(8), r.u64(16), r.str(24, 32), r.i32(56), r.i32(60)));

pub static WORKQUEUE_EXECUTE_START: TraceEvent = event!(13, "workqueue", "workqueue_execute_start",
    ["work": U64 @ 8, "function": U64 @ 16],
    "\"work struct %p: function %ps\", REC->work, REC->function",
    |r| format!("work struct {:016x}: function {:016x}", r.u64(8), r.u64(16)));

pub static WORKQUEUE_EXECUTE_END: TraceEvent = event!(14, "workqueue", "workqueue_execute_end",
    ["work": U64 @ 8, "function": U64 @ 16],
    "\"work struct %p: function %ps\", REC->work, REC->function",
    |r| format!("work struct {:016x}: function {:016x}", r.u64(8), r.u64(16)));

pub static MODULE_LOAD: TraceEvent = event!(15, "module", "module_load",
    ["taints": UnsignedInt @ 8, "name": Name32 @ 12],
    "\"%s %s\", __get_str(name), __print_flags(REC->taints, \"\", { (1UL << 0), \"P\" }, { (1UL << 12), \"O\" }, { (1UL << 1), \"F\" }, { (1UL << 13), \"E\" })",
    |r| r.str(12, 32));

pub static MODULE_FREE: TraceEvent = event!(16, "module", "module_free",
    ["name": Name32 @ 8],
    "\"%s\", __get_str(name)",
    |r| r.str(8, 32));

pub static RCU_GRACE_PERIOD: TraceEvent = event!(17, "rcu", "rcu_grace_period",
    ["rcuname": Comm @ 8, "gp_seq": Long @ 24, "gpevent": Comm @ 32],
    "\"%s %ld %s\", REC->rcuname, REC->gp_seq, REC->gpevent",
    |r| format!("{} {} {}", r.str(8, 16), r.i64(24), r.str(32, 16)));

/// kmalloc and kmem_cache_alloc: `%pS` call site, `show_gfp_flags()`.
fn kmem_alloc_out(r: &Record) -> String {
    format!(
        "call_site={} ptr={:016x} bytes_req={} bytes_alloc={} gfp_flags={} node={}",
        sprint_symbol(r.u64(8) as usize),
        r.u64(16),
        r.u64(24),
        r.u64(32),
        format_gfp(Gfp(r.u64(40) as u32)),
        r.i32(48)
    )
}

pub static KMALLOC: TraceEvent = event!(18, "kmem", "kmalloc",
    ["call_site": U64 @ 8, "ptr": U64 @ 16, "bytes_req": U64 @ 24, "bytes_alloc": U64 @ 32, "gfp_flags": U64 @ 40, "node": Int @ 48],
    "\"call_site=%pS ptr=%p bytes_req=%zu bytes_alloc=%zu gfp_flags=%s node=%d\", (void *)REC->call_site, REC->ptr, REC->bytes_req, REC->bytes_alloc, show_gfp_flags(REC->gfp_flags), REC->node",
    kmem_alloc_out);

pub static KFREE: TraceEvent = event!(19, "kmem", "kfree",
    ["call_site": U64 @ 8, "ptr": U64 @ 16],
    "\"call_site=%pS ptr=%p\", (void *)REC->call_site, REC->ptr",
    |r| format!("call_site={} ptr={:016x}", sprint_symbol(r.u64(8) as usize), r.u64(16)));

pub static KMEM_CACHE_ALLOC: TraceEvent = event!(20, "kmem", "kmem_cache_alloc",
    ["call_site": U64 @ 8, "ptr": U64 @ 16, "bytes_req": U64 @ 24, "bytes_alloc": U64 @ 32, "gfp_flags": U64 @ 40, "node": Int @ 48],
    "\"call_site=%pS ptr=%p bytes_req=%zu bytes_alloc=%zu gfp_flags=%s node=%d\", (void *)REC->call_site, REC->ptr, REC->bytes_req, REC->bytes_alloc, show_gfp_flags(REC->gfp_flags), REC->node",
    kmem_alloc_out);

pub static KMEM_CACHE_FREE: TraceEvent = event!(21, "kmem", "kmem_cache_free",
    ["call_site": U64 @ 8, "ptr": U64 @ 16, "name": Name32 @ 24],
    "\"call_site=%pS ptr=%p name=%s\", (void *)REC->call_site, REC->ptr, __get_str(name)",
    |r| format!("call_site={} ptr={:016x} name={}", sprint_symbol(r.u64(8) as usize), r.u64(16), r.str(24, 32)));

pub static MM_PAGE_ALLOC: TraceEvent = event!(22, "kmem", "mm_page_alloc",
["pfn": U64 @ 8, "order": UnsignedInt @ 16, "gfp_flags": U64 @ 24, "migratetype": Int @ 32],
"\"page=%p pfn=0x%lx order=%d migratetype=%d gfp_flags=%s\", REC->pfn != -1UL ? (((struct page *)vmemmap_base) + (REC->pfn)) : ((void *)0), REC->pfn != -1UL ? REC->pfn : 0, REC->order, REC->migratetype, show_gfp_flags(REC->gfp_flags)",
|r| {
    // A failed allocation has pfn -1: NULL page, pfn 0 (the print fmt's `REC->pfn != -1UL ?`).
    let (page, pfn) = match r.u64(8) {
        u64::MAX => (0, 0),
        pfn => (0xffff_ea00_0000_0000u64.wrapping_add(pfn.wrapping_mul(64)), pfn),
    };
    format!("page={page:016x} pfn={pfn:#x} order={} migratetype={} gfp_flags={}", r.u32(16), r.i32(32), format_gfp(Gfp(r.u64(24) as u32)))
});

pub static MM_PAGE_FREE: TraceEvent = event!(23, "kmem", "mm_page_free",
    ["pfn": U64 @ 8, "order": UnsignedInt @ 16],
    "\"page=%p pfn=0x%lx order=%d\", (((struct page *)vmemmap_base) + (REC->pfn)), REC->pfn, REC->order",
    |r| format!("page={:016x} pfn={:#x} order={}", 0xffff_ea00_0000_0000u64 + r.u64(8) * 64, r.u64(8), r.u32(16)));

pub static MM_PAGE_FREE_BATCHED: TraceEvent = event!(24, "kmem", "mm_page_free_batched",
    ["pfn": U64 @ 8],
    "\"page=%p pfn=0x%lx order=0\", (((struct page *)vmemmap_base) + (REC->pfn)), REC->pfn",
    |r| format!("page={:016x} pfn={:#x} order=0", 0xffff_ea00_0000_0000u64 + r.u64(8) * 64, r.u64(8)));

pub static MM_PAGE_ALLOC_ZONE_LOCKED: TraceEvent = event!(25, "kmem", "mm_page_alloc_zone_locked",
    ["pfn": U64 @ 8, "order": UnsignedInt @ 16, "migratetype": Int @ 20, "percpu_refill": Int @ 24],
    "\"page=%p pfn=0x%lx order=%u migratetype=%d percpu_refill=%d\", REC->pfn != -1UL ? (((struct page *)vmemmap_base) + (REC->pfn)) : ((void *)0), REC->pfn != -1UL ? REC->pfn : 0, REC->order, REC->migratetype, REC->percpu_refill",
    |r| format!("page={:016x} pfn={:#x} order={} migratetype={} percpu_refill={}", 0xffff_ea00_0000_0000u64 + r.u64(8) * 64, r.u64(8), r.u32(16), r.i32(20), r.i32(24)));

pub static MM_PAGE_PCPU_DRAIN: TraceEvent = event!(26, "kmem", "mm_page_pcpu_drain",
    ["pfn": U64 @ 8, "order": UnsignedInt @ 16, "migratetype": Int @ 20],
    "\"page=%p pfn=0x%lx order=%d migratetype=%d\", (((struct page *)vmemmap_base) + (REC->pfn)), REC->pfn, REC->order, REC->migratetype",
    |r| format!("page={:016x} pfn={:#x} order={} migratetype={}", 0xffff_ea00_0000_0000u64 + r.u64(8) * 64, r.u64(8), r.u32(16), r.i32(20)));

pub static MM_PAGE_ALLOC_EXTFRAG: TraceEvent = event!(27, "kmem", "mm_page_alloc_extfrag",
    ["pfn": U64 @ 8, "alloc_order": Int @ 16, "fallback_order": Int @ 20, "alloc_migratetype": Int @ 24, "fallback_migratetype": Int @ 28, "change_ownership": Int @ 32],
    "\"page=%p pfn=0x%lx alloc_order=%d fallback_order=%d pageblock_order=%d alloc_migratetype=%d fallback_migratetype=%d fragmenting=%d change_ownership=%d\", (((struct page *)vmemmap_base) + (REC->pfn)), REC->pfn, REC->alloc_order, REC->fallback_order, 9, REC->alloc_migratetype, REC->fallback_migratetype, REC->fallback_order < 9, REC->change_ownership",
    |r| format!("page={:016x} pfn={:#x} alloc_order={} fallback_order={} pageblock_order=9 alloc_migratetype={} fallback_migratetype={} fragmenting={} change_ownership={}",
        0xffff_ea00_0000_0000u64 + r.u64(8) * 64, r.u64(8), r.i32(16), r.i32(20), r.i32(24), r.i32(28), (r.i32(20) < 9) as u8, r.i32(32)));

pub static SYS_ENTER: TraceEvent = event!(31, "raw_syscalls", "sys_enter",
    ["id": Long @ 8, "args": UnsignedLongArray6 @ 16],
    "\"NR %ld (%lx, %lx, %lx, %lx, %lx, %lx)\", REC->id, REC->args[0], REC->args[1], REC->args[2], REC->args[3], REC->args[4], REC->args[5]",
    |r| format!("NR {} ({:x}, {:x}, {:x}, {:x}, {:x}, {:x})", r.i64(8), r.u64(16), r.u64(24), r.u64(32), r.u64(40), r.u64(48), r.u64(56)));

pub static SYS_EXIT: TraceEvent = event!(32, "raw_syscalls", "sys_exit",
    ["id": Long @ 8, "ret": Long @ 16],
    "\"NR %ld = %ld\", REC->id, REC->ret",
    |r| format!("NR {} = {}", r.i64(8), r.i64(16)));

pub static SCHED_PROCESS_EXEC: TraceEvent = event!(33, "sched", "sched_process_exec",
    ["filename": Name32 @ 8, "pid": PidT @ 40, "old_pid": PidT @ 44],
    "\"filename=%s pid=%d old_pid=%d\", __get_str(filename), REC->pid, REC->old_pid",
    |r| format!("filename={} pid={} old_pid={}", r.str(8, 32), r.i32(40), r.i32(44)));

pub static SCHED_PROCESS_WAIT: TraceEvent = event!(34, "sched", "sched_process_wait",
    ["comm": Comm @ 8, "pid": PidT @ 24, "prio": Int @ 28],
    "\"comm=%s pid=%d prio=%d\", REC->comm, REC->pid, REC->prio",
    |r| format!("comm={} pid={} prio={}", r.str(8, 16), r.i32(24), r.i32(28)));

fn compaction_mode(r: &Record) -> &'static str {
    if r.bool(40) {
        "sync"
    } else {
        "async"
    }
}

/// `enum compact_result` names (include/linux/compaction.h order).
pub const COMPACT_RESULT_NAMES: [&str; 9] = [
    "not_suitable_zone",
    "skipped",
    "deferred",
    "no_suitable_page",
    "continue",
    "complete",
    "partial_skipped",
    "contended",
    "success",
];

pub static MM_COMPACTION_BEGIN: TraceEvent = event!(35, "compaction", "mm_compaction_begin",
    ["zone_start": UnsignedLong @ 8, "migrate_pfn": UnsignedLong @ 16, "free_pfn": UnsignedLong @ 24, "zone_end": UnsignedLong @ 32, "sync": Bool @ 40],
    "\"zone_start=0x%lx migrate_pfn=0x%lx free_pfn=0x%lx zone_end=0x%lx, mode=%s\", REC->zone_start, REC->migrate_pfn, REC->free_pfn, REC->zone_end, REC->sync ? \"sync\" : \"async\"",
    |r| format!("zone_start=0x{:x} migrate_pfn=0x{:x} free_pfn=0x{:x} zone_end=0x{:x}, mode={}", r.u64(8), r.u64(16), r.u64(24), r.u64(32), compaction_mode(r)));

pub static MM_COMPACTION_END: TraceEvent = event!(36, "compaction", "mm_compaction_end",
    ["zone_start": UnsignedLong @ 8, "migrate_pfn": UnsignedLong @ 16, "free_pfn": UnsignedLong @ 24, "zone_end": UnsignedLong @ 32, "sync": Bool @ 40, "status": Int @ 44],
    "\"zone_start=0x%lx migrate_pfn=0x%lx free_pfn=0x%lx zone_end=0x%lx, mode=%s status=%s\", REC->zone_start, REC->migrate_pfn, REC->free_pfn, REC->zone_end, REC->sync ? \"sync\" : \"async\", __print_symbolic(REC->status, { 1, \"skipped\" }, { 2, \"deferred\" }, { 4, \"continue\" }, { 8, \"success\" }, { 6, \"partial_skipped\" }, { 5, \"complete\" }, { 3, \"no_suitable_page\" }, { 0, \"not_suitable_zone\" }, { 7, \"contended\" })",
    |r| format!("zone_start=0x{:x} migrate_pfn=0x{:x} free_pfn=0x{:x} zone_end=0x{:x}, mode={} status={}", r.u64(8), r.u64(16), r.u64(24), r.u64(32), compaction_mode(r),
        COMPACT_RESULT_NAMES.get(r.i32(44) as usize).copied().unwrap_or("?")));

const COMPACTION_ISOLATE_FMT: &str = "\"range=(0x%lx ~ 0x%lx) nr_scanned=%lu nr_taken=%lu\", REC->start_pfn, REC->end_pfn, REC->nr_scanned, REC->nr_taken";

fn compaction_isolate_out(r: &Record) -> String {
    format!(
        "range=(0x{:x} ~ 0x{:x}) nr_scanned={} nr_taken={}",
        r.u64(8),
        r.u64(16),
        r.u64(24),
        r.u64(32)
    )
}

pub static MM_COMPACTION_ISOLATE_MIGRATEPAGES: TraceEvent = event!(37, "compaction", "mm_compaction_isolate_migratepages",
    ["start_pfn": UnsignedLong @ 8, "end_pfn": UnsignedLong @ 16, "nr_scanned": UnsignedLong @ 24, "nr_taken": UnsignedLong @ 32],
    COMPACTION_ISOLATE_FMT, compaction_isolate_out);

pub static MM_COMPACTION_ISOLATE_FREEPAGES: TraceEvent = event!(38, "compaction", "mm_compaction_isolate_freepages",
    ["start_pfn": UnsignedLong @ 8, "end_pfn": UnsignedLong @ 16, "nr_scanned": UnsignedLong @ 24, "nr_taken": UnsignedLong @ 32],
    COMPACTION_ISOLATE_FMT, compaction_isolate_out);

pub static MM_COMPACTION_MIGRATEPAGES: TraceEvent = event!(39, "compaction", "mm_compaction_migratepages",
    ["nr_migrated": UnsignedLong @ 8, "nr_failed": UnsignedLong @ 16],
    "\"nr_migrated=%lu nr_failed=%lu\", REC->nr_migrated, REC->nr_failed",
    |r| format!("nr_migrated={} nr_failed={}", r.u64(8), r.u64(16)));

const MODULE_REFCNT_FMT: &str =
    "\"%s call_site=%ps refcnt=%d\", __get_str(name), (void *)REC->ip, REC->refcnt";

fn module_refcnt_out(r: &Record) -> String {
    format!(
        "{} call_site={} refcnt={}",
        r.str(20, 32),
        sprint_symbol_no_offset(r.u64(8) as usize),
        r.i32(16)
    )
}

pub static MODULE_GET: TraceEvent = event!(40, "module", "module_get",
    ["ip": UnsignedLong @ 8, "refcnt": Int @ 16, "name": Name32 @ 20],
    MODULE_REFCNT_FMT, module_refcnt_out);

pub static MODULE_PUT: TraceEvent = event!(41, "module", "module_put",
    ["ip": UnsignedLong @ 8, "refcnt": Int @ 16, "name": Name32 @ 20],
    MODULE_REFCNT_FMT, module_refcnt_out);

pub static WORKQUEUE_ACTIVATE_WORK: TraceEvent = event!(42, "workqueue", "workqueue_activate_work",
    ["work": Ptr @ 8, "function": Ptr @ 16],
    "\"work struct %p function=%ps \", REC->work, REC->function",
    |r| format!("work struct {:016x} function={:#x} ", r.u64(8), r.u64(16)));

/// Every declared event, indexed by id.
pub static DECLARED: &[&TraceEvent] = &[
    &SCHED_SWITCH,
    &SCHED_WAKEUP,
    &SCHED_WAKEUP_NEW,
    &SCHED_MIGRATE_TASK,
    &SCHED_PROCESS_EXIT,
    &IRQ_HANDLER_ENTRY,
    &IRQ_HANDLER_EXIT,
    &SOFTIRQ_ENTRY,
    &SOFTIRQ_EXIT,
    &SOFTIRQ_RAISE,
    &TIMER_EXPIRE_ENTRY,
    &TIMER_EXPIRE_EXIT,
    &WORKQUEUE_QUEUE_WORK,
    &WORKQUEUE_EXECUTE_START,
    &WORKQUEUE_EXECUTE_END,
    &MODULE_LOAD,
    &MODULE_FREE,
    &RCU_GRACE_PERIOD,
    &KMALLOC,
    &KFREE,
    &KMEM_CACHE_ALLOC,
    &KMEM_CACHE_FREE,
    &MM_PAGE_ALLOC,
    &MM_PAGE_FREE,
    &MM_PAGE_FREE_BATCHED,
    &MM_PAGE_ALLOC_ZONE_LOCKED,
    &MM_PAGE_PCPU_DRAIN,
    &MM_PAGE_ALLOC_EXTFRAG,
    &SCHED_PROCESS_FORK,
    &SIGNAL_GENERATE,
    &SIGNAL_DELIVER,
    &SYS_ENTER,
    &SYS_EXIT,
    &SCHED_PROCESS_EXEC,
    &SCHED_PROCESS_WAIT,
    &MM_COMPACTION_BEGIN,
    &MM_COMPACTION_END,
    &MM_COMPACTION_ISOLATE_MIGRATEPAGES,
    &MM_COMPACTION_ISOLATE_FREEPAGES,
    &MM_COMPACTION_MIGRATEPAGES,
    &MODULE_GET,
    &MODULE_PUT,
    &WORKQUEUE_ACTIVATE_WORK,
];

static ALL: LazyLock<Vec<&'static TraceEvent>> = LazyLock::new(|| {
    DECLARED
        .iter()
        .copied()
        .chain(super::syscalls::EVENTS.iter())
        .collect()
});

/// Every event — the declared ones, then the `syscalls:` events —
/// indexed by id.
pub fn all() -> &'static [&'static TraceEvent] {
    &ALL
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_match_table_positions_and_fields_fit() {
        for (i, e) in all().iter().enumerate() {
            assert_eq!(e.id as usize, i, "{}", e.name);
            for f in e.fields {
                assert!(f.offset >= super::super::FIELDS_START);
                assert!(
                    f.offset + f.ty.size() <= super::super::FIELDS_START + super::super::PAYLOAD,
                    "{}.{}",
                    e.name,
                    f.name
                );
            }
            // Fields do not overlap.
            let mut spans: Vec<(usize, usize)> = e
                .fields
                .iter()
                .map(|f| (f.offset, f.offset + f.ty.size()))
                .collect();
            spans.sort();
            assert!(spans.windows(2).all(|w| w[0].1 <= w[1].0), "{}", e.name);
        }
    }
}
