//! The few things mm needs from the kernel core: which CPU and task we run
//! on, a clock, and printk.
//!
//! On a kernel thread of a booted kernel these are the core's own:
//! `smp_processor_id()`, `current`, `local_clock()`, printk into the
//! kernel's log buffer, the core's call traces. The mm data structures can
//! also be driven from a plain host thread (unit tests, `usk exp
//! fragmentation`, benchmarks); there the CPU and task identity are
//! thread-local values the caller sets ([`set_cpu`], [`set_current`]) and
//! printk goes to the `Mm`'s own log buffer (and to stderr when
//! `USK_MM_PRINTK` is set).
//!
//! Invariant: every function here is callable from any host thread and
//! never panics.

use std::cell::Cell;
use std::sync::OnceLock;

/// The identity a host thread has for page_owner and error reports:
/// `current->pid`, `->tgid` and `->comm` as Linux stores it (16
/// NUL-padded bytes), kept ready because page_owner reads it on every
/// allocation. A thread nobody named is the boot task `swapper/<cpu>`.
#[derive(Clone, Copy)]
struct Ident {
    pid: i32,
    tgid: i32,
    comm: [u8; 16],
    named: bool,
}

impl Ident {
    const fn swapper(cpu: usize) -> Ident {
        let mut comm = *b"swapper/\0\0\0\0\0\0\0\0";
        let mut digits = 1;
        while digits < 7 && cpu >= 10usize.pow(digits as u32) {
            digits += 1;
        }
        let (mut n, mut i) = (cpu, digits);
        while i > 0 {
            i -= 1;
            comm[8 + i] = b'0' + (n % 10) as u8;
            n /= 10;
        }
        Ident {
            pid: 0,
            tgid: 0,
            comm,
            named: false,
        }
    }
}

thread_local! {
    static CPU: Cell<usize> = const { Cell::new(0) };
    static IDENT: Cell<Ident> = const { Cell::new(Ident::swapper(0)) };
}

/// Binds the calling host thread to simulated CPU `cpu`.
pub fn set_cpu(cpu: usize) {
    CPU.with(|c| c.set(cpu));
    IDENT.with(|i| {
        if !i.get().named {
            i.set(Ident::swapper(cpu));
        }
    });
}

#[inline]
fn in_kernel() -> bool {
    crate::kernel::sched::current::in_kernel_thread()
}

/// `smp_processor_id()` for mm's per-CPU data.
#[inline]
pub fn smp_processor_id() -> usize {
    if in_kernel() {
        crate::smp_processor_id()
    } else {
        CPU.with(|c| c.get())
    }
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

/// Sets the identity `current` has for page_owner and error reports; an
/// empty `comm` makes the thread the boot task again. `comm` is cut to 15
/// bytes, at a character boundary.
pub fn set_current(pid: i32, tgid: i32, comm: &str) {
    let ident = if comm.is_empty() {
        Ident::swapper(CPU.with(Cell::get))
    } else {
        let mut c = [0u8; 16];
        let n = (0..=comm.len().min(15))
            .rev()
            .find(|&n| comm.is_char_boundary(n))
            .unwrap_or(0);
        c[..n].copy_from_slice(&comm.as_bytes()[..n]);
        Ident {
            pid,
            tgid,
            comm: c,
            named: true,
        }
    };
    IDENT.with(|i| i.set(ident));
}

/// `(current->pid, current->tgid, current->comm)`.
pub fn current() -> (i32, i32, String) {
    let (pid, tgid, c) = current_comm16();
    let n = c.iter().position(|&b| b == 0).unwrap_or(16);
    (pid, tgid, String::from_utf8_lossy(&c[..n]).into_owned())
}

/// [`current`] with `comm` as Linux stores it: 16 NUL-padded bytes.
pub fn current_comm16() -> (i32, i32, [u8; 16]) {
    if in_kernel() {
        return crate::kernel::sched::current::with_current(|t| (t.pid, t.tgid, t.comm_bytes()));
    }
    let i = IDENT.with(Cell::get);
    (i.pid, i.tgid, i.comm)
}

/// `local_clock()`: nanoseconds since the first call in this process.
pub fn local_clock() -> u64 {
    if in_kernel() {
        return crate::kernel::time::local_clock();
    }
    static START: OnceLock<hw::clock::Clock> = OnceLock::new();
    START.get_or_init(hw::clock::Clock::real).sched_clock()
}

/// The kernel log ring that printk writes and dmesg reads.
#[derive(Default)]
pub struct Log {
    buf: parking_lot::Mutex<String>,
}

/// Bytes of log kept (`CONFIG_LOG_BUF_SHIFT`=17).
const LOG_BUF_LEN: usize = 1 << 17;

impl Log {
    /// printk at KERN_WARNING (bug reports, allocation failures).
    pub fn printk(&self, text: &str) {
        self.printk_level(crate::kernel::printk::KERN_WARNING, text)
    }

    /// printk at `level`: the kernel's log on a kernel thread, else ours.
    pub fn printk_level(&self, level: u8, text: &str) {
        if in_kernel() {
            crate::kernel::printk::vprintk(level, format_args!("{text}"));
            return;
        }
        if std::env::var_os("USK_MM_PRINTK").is_some() {
            eprint!("{text}");
        }
        let mut b = self.buf.lock();
        b.push_str(text);
        if b.len() > LOG_BUF_LEN {
            let cut = b.len() - LOG_BUF_LEN;
            let cut = (cut..b.len())
                .find(|&i| b.is_char_boundary(i))
                .unwrap_or(b.len());
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
    if in_kernel() {
        return crate::kernel::panic::call_trace();
    }
    let mut s = String::from("Call Trace:\n");
    let mut n = 0;
    backtrace::trace(|f| {
        let ip = f.ip() as usize;
        let mut name = None;
        backtrace::resolve_frame(f, |sym| {
            if name.is_none() {
                name = sym
                    .name()
                    .map(|n| super::stackdepot::short_symbol(&n.to_string()));
            }
        });
        if let Some(name) = name {
            if !name.starts_with("backtrace") && !name.contains("call_trace") && name != "trace" {
                let off = ip.wrapping_sub(f.symbol_address() as usize);
                s.push_str(&format!(" {name}+{off:#x}\n"));
                n += 1;
            }
        }
        n < 24
    });
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Outside a kernel thread with no identity set, page_owner's comm is
    /// the idle task's, `swapper/<cpu>`.
    #[test]
    fn idle_comm_names_the_cpu() {
        std::thread::spawn(|| {
            set_cpu(12);
            let (pid, tgid, c) = current_comm16();
            assert_eq!((pid, tgid), (0, 0));
            assert_eq!(&c[..11], b"swapper/12\0");
        })
        .join()
        .unwrap();
    }
}
