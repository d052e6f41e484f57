//! Call chains of perf samples (kernel/events/callchain.c,
//! `perf_callchain()` with `PERF_SAMPLE_CALLCHAIN`).
//!
//! A chain is Linux's: `PERF_CONTEXT_KERNEL`, the kernel return addresses
//! innermost first, then `PERF_CONTEXT_USER` and the user ones. usk's user
//! code runs on the task's host thread, so one walk of the host stack
//! (`stack_trace_save`'s frame pointers, return addresses mapped to their
//! function starts through the kallsyms table — no symbolisation on the
//! hot path) sees both: frames up to a kernel entry
//! (`entry_syscall_64` behind `KERNEL_ENTRY.syscall`, or the MMU's
//! `user_load`/`user_store`, where a user access page-faults) are kernel
//! frames, the frames from there out to the user runtime's entry
//! (`UserEntry::enter`) are user frames, and what lies beyond (the task
//! body, the host thread start) is neither and is left out. An event outside
//! a system call (a kernel thread, an interrupt) has only kernel frames.
//!
//! The chain ends at the first address outside the executable image (the
//! host C library's thread start), which `/proc/kallsyms` does not list.
//!
//! The frames of the capture itself (this unwind, the perf probe, the
//! tracepoint's emit path) are skipped; which functions those are is
//! decided once per function start by its demangled name and cached.
//!
//! Invariants: at most `PERF_MAX_STACK_DEPTH` addresses plus the context
//! markers; a marker is only present when frames of its context follow.

use parking_lot::RwLock;
use std::collections::HashMap;
use std::sync::OnceLock;
use uapi::perf_event::*;

/// `sysctl_perf_event_max_stack`.
pub const PERF_MAX_STACK_DEPTH: usize = 127;

/// How many innermost frames may belong to the capture machinery.
const CAPTURE_WINDOW: usize = 16;

fn machinery_cache() -> &'static RwLock<HashMap<usize, bool>> {
    static C: OnceLock<RwLock<HashMap<usize, bool>>> = OnceLock::new();
    C.get_or_init(|| RwLock::new(HashMap::new()))
}

/// Is the function starting at `start` (a return address in it: `ip`)
/// part of the capture path?
fn is_machinery(ip: usize, start: usize) -> bool {
    if let Some(&m) = machinery_cache().read().get(&start) {
        return m;
    }
    let mut name = String::new();
    backtrace::resolve(ip.wrapping_sub(1) as *mut std::ffi::c_void, |s| {
        if let Some(n) = s.name() {
            // the last report is the real function (earlier ones are inlined)
            name = format!("{n:#}");
        }
    });
    // Full paths where the debug info has linkage names, the bare names
    // that line-tables-only debug info gives otherwise; closures inside
    // the emit path count too (they only matter in the leading run).
    let bare = name.rsplit("::").next().unwrap_or(&name);
    let m = name.starts_with("backtrace::")
        || name.starts_with("kernel::events::")
        || name.starts_with("kernel::lib::stacktrace::")
        || name.starts_with("<kernel::events::")
        || name.starts_with("kernel::trace::emit")
        || name.starts_with("kernel::trace::trace_slow")
        || name == "kernel::trace::trace"
        || name.starts_with("kernel::trace::trace<")
        || name.starts_with("trace<")
        || name.starts_with("trace_slow")
        || name.starts_with("{closure")
        || matches!(
            bare,
            "trace"
                | "perf_callchain"
                | "perf_tp_event"
                | "perf_swevent_event"
                | "stack_trace_save"
        )
        || bare.starts_with("perf_sw");
    machinery_cache().write().insert(start, m);
    m
}

/// Capture the current call chain in Linux's layout. `kernel`/`user`
/// select the contexts (`exclude_callchain_kernel/user`), `max` caps the
/// number of addresses (`sample_max_stack`).
#[inline(never)]
pub fn perf_callchain(kernel: bool, user: bool, max: usize) -> Vec<u64> {
    let ke = &crate::arch::x86::entry::KERNEL_ENTRY;
    let entries = [ke.syscall as usize, ke.load as usize, ke.store as usize];
    let user_enter = uapi::abi::user_entry().map(|u| u.enter as usize);
    // Return addresses by the frame-pointer walk (a few ns, where the
    // DWARF unwinder takes microseconds); each one's function start comes
    // from the symbol table, looked up at the call instruction (`ip - 1`,
    // the return address of a call ending a function lies past it).
    let mut ips = [0usize; PERF_MAX_STACK_DEPTH + CAPTURE_WINDOW];
    let n = crate::lib::stacktrace::stack_trace_save(&mut ips);
    // 0: outside the image (the end of the stack, or host code such as
    // libc's thread start that kallsyms cannot name)
    let start_of =
        |ip: usize| crate::kernel::kallsyms::lookup(ip.wrapping_sub(1)).map_or(0, |k| k.addr);
    // The leading run of capture frames (unwinder, probe, emit path).
    let skip = ips[..n]
        .iter()
        .take(CAPTURE_WINDOW)
        .take_while(|&&ip| is_machinery(ip, start_of(ip)))
        .count();
    let max = max.min(PERF_MAX_STACK_DEPTH);
    let mut kips = Vec::new();
    let mut uips = Vec::new();
    let mut in_user = false;
    for &ip in &ips[skip..n] {
        let start = start_of(ip);
        if ip == 0 || start == 0 {
            break;
        }
        if in_user {
            uips.push(ip as u64);
            if Some(start) == user_enter {
                break;
            }
        } else {
            kips.push(ip as u64);
            if entries.contains(&start) {
                in_user = true;
            }
        }
    }
    // a chain that never reached user code ends where the task body
    // starts; keep it as the kernel's own chain
    if !in_user {
        uips.clear();
    }
    let mut out = Vec::with_capacity(kips.len() + uips.len() + 2);
    let mut room = max;
    if kernel && !kips.is_empty() {
        out.push(PERF_CONTEXT_KERNEL);
        let n = kips.len().min(room);
        out.extend_from_slice(&kips[..n]);
        room -= n;
    }
    if user && !uips.is_empty() && room > 0 {
        out.push(PERF_CONTEXT_USER);
        let n = uips.len().min(room);
        out.extend_from_slice(&uips[..n]);
    }
    out
}
