//! The few things mm needs from the kernel core: which CPU and task we run
//! on, a clock, and printk.
//!
//! Phase-1 shims: until the mm subsystem is wired into a booted kernel, the
//! CPU and task identity are thread-local values a test or tool sets
//! ([`set_cpu`], [`set_current`]); a booted kernel calls the same setters
//! from its task switch path. printk output goes to the `Mm`'s log buffer
//! (and to stderr when `USK_MM_PRINTK` is set), which is where dmesg reads it.
//!
//! Invariant: every function here is callable from any host thread and
//! never panics.

use std::cell::RefCell;
use std::sync::OnceLock;
use std::time::Instant;

thread_local! {
    static CPU: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
    static CURRENT: RefCell<(i32, i32, String)> = RefCell::new((0, 0, String::new()));
}

/// Binds the calling host thread to simulated CPU `cpu`.
pub fn set_cpu(cpu: usize) {
    CPU.with(|c| c.set(cpu));
}

/// `smp_processor_id()` for mm's per-CPU data.
pub fn smp_processor_id() -> usize {
    CPU.with(|c| c.get())
}

/// `smp_processor_id()` folded into `0..len` (per-CPU arrays are sized by
/// the boot CPU count); the division is only paid by a misconfigured
/// caller, never on the fast path.
#[inline]
pub fn cpu_index(len: usize) -> usize {
    let c = smp_processor_id();
    if c < len {
        c
    } else {
        c % len.max(1)
    }
}

/// Sets the identity `current` has for page_owner and error reports.
pub fn set_current(pid: i32, tgid: i32, comm: &str) {
    CURRENT.with(|c| *c.borrow_mut() = (pid, tgid, comm.chars().take(15).collect()));
}

/// `(current->pid, current->tgid, current->comm)`; a thread nobody named is
/// the boot task `swapper/N`.
pub fn current() -> (i32, i32, String) {
    CURRENT.with(|c| {
        let c = c.borrow();
        if c.2.is_empty() {
            (0, 0, format!("swapper/{}", smp_processor_id()))
        } else {
            c.clone()
        }
    })
}

/// `local_clock()`: nanoseconds since the first call in this process.
pub fn local_clock() -> u64 {
    static START: OnceLock<Instant> = OnceLock::new();
    START.get_or_init(Instant::now).elapsed().as_nanos() as u64
}

/// The kernel log ring that printk writes and dmesg reads.
#[derive(Default)]
pub struct Log {
    buf: parking_lot::Mutex<String>,
}

/// Bytes of log kept (`CONFIG_LOG_BUF_SHIFT`=17).
const LOG_BUF_LEN: usize = 1 << 17;

impl Log {
    pub fn printk(&self, text: &str) {
        if std::env::var_os("USK_MM_PRINTK").is_some() {
            eprint!("{text}");
        }
        let mut b = self.buf.lock();
        b.push_str(text);
        if b.len() > LOG_BUF_LEN {
            let cut = b.len() - LOG_BUF_LEN;
            let cut = (cut..b.len()).find(|&i| b.is_char_boundary(i)).unwrap_or(b.len());
            b.drain(..cut);
        }
    }
    pub fn dmesg(&self) -> String {
        self.buf.lock().clone()
    }
    pub fn clear(&self) {
        self.buf.lock().clear();
    }
}

/// `dump_stack()`'s "Call Trace:" block for the calling thread.
pub fn call_trace() -> String {
    let mut s = String::from("Call Trace:\n");
    let mut n = 0;
    backtrace::trace(|f| {
        let ip = f.ip() as usize;
        let mut name = None;
        backtrace::resolve_frame(f, |sym| {
            if name.is_none() {
                name = sym.name().map(|n| super::stackdepot::short_symbol(&n.to_string()));
            }
        });
        if let Some(name) = name {
            if !name.starts_with("backtrace") && !name.contains("call_trace") {
                let off = ip.wrapping_sub(f.symbol_address() as usize);
                s.push_str(&format!(" {name}+{off:#x}\n"));
                n += 1;
            }
        }
        n < 24
    });
    s
}
