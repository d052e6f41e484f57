//! Reporting kernel bugs the way Linux does: `panic()`, `BUG()`/`BUG_ON()`,
//! `WARN()`/`WARN_ON()`, `dump_stack()`, `might_sleep()` and oopses.
//!
//! Texts follow Linux: `------------[ cut here ]------------`,
//! `WARNING: CPU: 0 PID: 1 at FILE:LINE func`, `kernel BUG at FILE:LINE!`,
//! `BUG: sleeping function called from invalid context at FILE:LINE`,
//! `Kernel panic - not syncing: …`, each with a `Call Trace:` taken from the
//! host unwinder. A `BUG()` in task context kills that task (an oops); in
//! interrupt context, or in the idle task, it panics the kernel. A Rust panic
//! in a kernel thread is reported as an oops too. `panic()` stops the whole
//! machine: every task thread unwinds and `boot()` returns the panic message,
//! so the process exits non-zero without leaking threads.

use crate::init::kernel::{kernel, Kernel};
use crate::kernel::preempt::{in_atomic, in_interrupt, irqs_disabled, preempt_count};
use crate::kernel::sched::current::{in_kernel_thread, with_current};
use std::fmt::Write as _;
use std::panic::Location;
use std::sync::atomic::Ordering;

/// Release string reported by uname and in oops headers.
pub const UTS_RELEASE: &str = "6.8.0-usk";

/// Taint flags (`TAINT_WARN` is the only one usk sets today).
pub const TAINT_WARN: u32 = 1 << 9;

/// Payloads used to unwind a task thread on purpose.
#[derive(Debug)]
pub(crate) enum Unwind {
    /// The machine is powering off or has panicked: leave at once.
    Halt,
    /// The task oopsed and must die (`make_task_dead`).
    Oops,
    /// A user task leaves user mode for good (exit, fatal signal); its
    /// wait status is in its process state.
    Exit,
    /// execve() replaced the program: enter user mode afresh.
    Exec,
}

/// Unwind the current task thread.
pub(crate) fn unwind(why: Unwind) -> ! {
    std::panic::resume_unwind(Box::new(why))
}

/// The call trace of the caller, one frame per line as Linux prints it
/// between `<TASK>` and `</TASK>`; frames of the reporting machinery, the
/// Rust runtime and the unwinder are left out.
pub fn call_trace() -> String {
    let bt = backtrace::Backtrace::new();
    let mut out = String::new();
    'frames: for frame in bt.frames() {
        for sym in frame.symbols() {
            let Some(name) = sym.name() else { continue };
            let name = format!("{name:#}");
            if skip_frame(&name) {
                continue;
            }
            // Offsets only when the symbol address is in the same address
            // space as the IP (inlined frames report none).
            let off = sym
                .addr()
                .map(|a| (frame.ip() as usize).wrapping_sub(a as usize))
                .filter(|&o| o < 0x10_0000);
            match off {
                Some(o) => {
                    let _ = writeln!(out, " {name}+{o:#x}");
                }
                None => {
                    let _ = writeln!(out, " {name}");
                }
            }
            // The task's entry point is where a kernel thread's stack begins
            // (Linux's ret_from_fork); what is below is host plumbing.
            if name.ends_with("task_entry") {
                break 'frames;
            }
        }
    }
    out
}

fn skip_frame(name: &str) -> bool {
    const SKIP: [&str; 16] = [
        "backtrace::",
        "std::",
        "core::",
        "alloc::",
        "<alloc::",
        "<core::",
        "<std::",
        "__rust",
        "kernel::kernel::panic::call_trace",
        "kernel::kernel::panic::trace_block",
        "call_trace",
        "trace_block",
        "call_once",
        "catch_unwind",
        "do_call",
        "{closure",
    ];
    SKIP.iter().any(|p| name.starts_with(p))
}

/// `CPU: 0 PID: 1 Comm: init Not tainted 6.8.0-usk #1`.
fn cpu_line(k: &Kernel) -> String {
    let (cpu, pid, comm) = with_current(|t| (t.cpu(), t.pid, t.comm()));
    let taint = k.taint.load(Ordering::Relaxed);
    let t = if taint == 0 {
        "Not tainted".to_string()
    } else {
        format!(
            "Tainted: G{}",
            if taint & TAINT_WARN != 0 {
                "        W"
            } else {
                ""
            }
        )
    };
    format!("CPU: {cpu} PID: {pid} Comm: {comm} {t} {UTS_RELEASE} #1")
}

fn trace_block() -> String {
    format!("Call Trace:\n <TASK>\n{} </TASK>", call_trace())
}

/// `dump_stack()`.
pub fn dump_stack() {
    let k = kernel();
    crate::pr_warn!("{}\n{}", cpu_line(&k), trace_block());
}

/// `panic()`: print the message and a trace, stop every CPU, and make
/// `boot()` return the message.
pub fn panic(msg: &str) -> ! {
    let k = kernel();
    if !k.panicked.swap(true, Ordering::AcqRel) {
        crate::pr_emerg!("Kernel panic - not syncing: {msg}");
        crate::pr_emerg!("{}\n{}", cpu_line(&k), trace_block());
        crate::pr_emerg!("---[ end Kernel panic - not syncing: {msg} ]---");
        k.power_off(crate::init::kernel::ExitReason::Panic(msg.to_string()));
    }
    unwind(Unwind::Halt)
}

/// Implementation of `WARN_ON!`/`WARN!`.
#[track_caller]
pub fn __warn(msg: Option<std::fmt::Arguments<'_>>) {
    let loc = Location::caller();
    let k = kernel();
    let (cpu, pid) = with_current(|t| (t.cpu(), t.pid));
    k.taint.fetch_or(TAINT_WARN, Ordering::Relaxed);
    let mut s = String::from("------------[ cut here ]------------\n");
    if let Some(m) = msg {
        let _ = writeln!(s, "{m}");
    }
    let _ = writeln!(
        s,
        "WARNING: CPU: {cpu} PID: {pid} at {}:{}",
        loc.file(),
        loc.line()
    );
    let _ = writeln!(s, "Modules linked in:");
    let _ = writeln!(s, "{}", cpu_line(&k));
    let _ = writeln!(s, "{}", trace_block());
    s.push_str("---[ end trace 0000000000000000 ]---");
    crate::pr_warn!("{s}");
}

/// Implementation of `BUG()`/`BUG_ON()`: an oops.
#[track_caller]
pub fn __bug() -> ! {
    let loc = Location::caller();
    oops(
        &format!("kernel BUG at {}:{}!", loc.file(), loc.line()),
        "invalid opcode: 0000",
    )
}

/// Print an oops and kill the current task (or panic in atomic context).
pub(crate) fn oops(headline: &str, what: &str) -> ! {
    crate::pr_emerg!("------------[ cut here ]------------\n{headline}");
    oops_quiet(what)
}

/// The oops body (`die()`): `what [#n] SMP`, CPU line, call trace; then the
/// task dies — or the kernel panics if the task cannot die.
pub(crate) fn oops_quiet(what: &str) -> ! {
    let k = kernel();
    let n = k.oops_count.fetch_add(1, Ordering::Relaxed) + 1;
    crate::pr_emerg!(
        "{what} [#{n}] SMP\n{}\n{}\n---[ end trace 0000000000000000 ]---",
        cpu_line(&k),
        trace_block()
    );
    if in_interrupt() {
        panic("Fatal exception in interrupt");
    }
    if with_current(|t| t.is_idle()) {
        panic("Attempted to kill the idle task!");
    }
    if with_current(|t| t.pid == 1) {
        panic("Attempted to kill init! exitcode=0x0000000b");
    }
    unwind(Unwind::Oops)
}

/// Rust panics on kernel threads become oopses: the hook prints the report,
/// the task entry then reaps the task. Other threads keep Rust's report.
pub(crate) fn install_panic_hook() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !in_kernel_thread() {
                return default(info);
            }
            let k = kernel();
            let n = k.oops_count.fetch_add(1, Ordering::Relaxed) + 1;
            let loc = info
                .location()
                .map(|l| format!("{}:{}", l.file(), l.line()))
                .unwrap_or_default();
            let msg = info
                .payload()
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| info.payload().downcast_ref::<String>().cloned())
                .unwrap_or_default();
            crate::pr_emerg!(
                "------------[ cut here ]------------\nkernel BUG at {loc}!\nRust panic: {msg}\ninvalid opcode: 0000 [#{n}] SMP\n{}\n{}\n---[ end trace 0000000000000000 ]---",
                cpu_line(&k),
                trace_block()
            );
        }));
    });
}

/// `might_sleep()`: complain when called where sleeping is not allowed.
#[track_caller]
pub fn might_sleep() {
    if in_atomic() || irqs_disabled() {
        let loc = Location::caller();
        __might_sleep_report(loc);
    }
}

#[cold]
fn __might_sleep_report(loc: &Location<'_>) {
    let k = kernel();
    // Like Linux, at most one report per second.
    let now = k.clock.now_ns();
    let last = k.might_sleep_last.load(Ordering::Relaxed);
    if last != 0 && now.saturating_sub(last) < 1_000_000_000 {
        return;
    }
    k.might_sleep_last.store(now.max(1), Ordering::Relaxed);
    let (pid, comm) = with_current(|t| (t.pid, t.comm()));
    crate::pr_err!(
        "BUG: sleeping function called from invalid context at {}:{}\nin_atomic(): {}, irqs_disabled(): {}, non_block: 0, pid: {pid}, name: {comm}\npreempt_count: {:x}, expected: 0\nRCU nest depth: 0, expected: 0\n{}\n{}",
        loc.file(),
        loc.line(),
        in_atomic() as u32,
        irqs_disabled() as u32,
        preempt_count(),
        cpu_line(&k),
        trace_block()
    );
}

/// `WARN_ON(cond)`: report when `cond` holds; evaluates to `cond`.
#[macro_export]
macro_rules! WARN_ON {
    ($cond:expr) => {{
        let c: bool = $cond;
        if c {
            $crate::kernel::panic::__warn(None);
        }
        c
    }};
}

/// `WARN(cond, fmt, ...)`.
#[macro_export]
macro_rules! WARN {
    ($cond:expr, $($arg:tt)*) => {{
        let c: bool = $cond;
        if c {
            $crate::kernel::panic::__warn(Some(format_args!($($arg)*)));
        }
        c
    }};
}

/// `BUG_ON(cond)`.
#[macro_export]
macro_rules! BUG_ON {
    ($cond:expr) => {{
        if $cond {
            $crate::kernel::panic::__bug();
        }
    }};
}

/// `BUG()`.
#[macro_export]
macro_rules! BUG {
    () => {
        $crate::kernel::panic::__bug()
    };
}
