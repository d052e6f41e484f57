//! Backend selection: the three primitives that differ between running on
//! usk and on the host kernel — the `syscall` instruction, a user-mode load
//! and a user-mode store.
//!
//! The usk backend calls the kernel's [`uapi::abi::KernelEntry`]; the host
//! backend ([`host`]) issues real Linux system calls and copies through raw
//! pointers. The choice is per thread: usk when a kernel entry is installed,
//! unless [`crate::rt::use_host_backend`] forced the host for this thread.

pub(crate) mod host;

use std::cell::Cell;
use uapi::abi::{kernel_entry, KernelEntry, PtRegs};

thread_local! {
    static FORCE_HOST: Cell<bool> = const { Cell::new(false) };
}

/// Which kernel this thread talks to.
#[derive(Clone, Copy)]
pub enum Backend {
    /// The usk kernel linked into this process.
    Usk(&'static KernelEntry),
    /// The host Linux kernel (differential tests only).
    Host,
}

/// Force the host backend for the current thread.
pub(crate) fn force_host() {
    FORCE_HOST.with(|f| f.set(true));
}

/// The backend of the current thread.
pub fn current() -> Backend {
    if FORCE_HOST.with(|f| f.get()) {
        return Backend::Host;
    }
    match kernel_entry() {
        Some(k) => Backend::Usk(k),
        None => Backend::Host,
    }
}

/// True when this thread talks to the host kernel.
pub fn is_host() -> bool {
    matches!(current(), Backend::Host)
}

/// Issue system call `nr` with `args`; returns the raw result (negative
/// errno on failure). `ip` is the continuation passed to fork/clone on usk.
pub(crate) fn syscall_ip(nr: u64, args: [u64; 6], ip: u64) -> i64 {
    match current() {
        Backend::Usk(k) => {
            let mut regs = PtRegs {
                nr,
                args,
                ip,
                ..PtRegs::default()
            };
            (k.syscall)(&mut regs)
        }
        Backend::Host => host::syscall(nr, args),
    }
}

/// The raw system call: `nr` and six arguments in, the kernel's return
/// value (negative errno on failure) out. Any argument is allowed: this is
/// what the syscall fuzzer drives.
pub fn syscall6(nr: u64, args: [u64; 6]) -> i64 {
    syscall_ip(nr, args, 0)
}

/// A user-mode load of `buf.len()` bytes at `addr`.
pub fn load(addr: u64, buf: &mut [u8]) {
    match current() {
        Backend::Usk(k) => (k.load)(addr, buf),
        Backend::Host => host::load(addr, buf),
    }
}

/// A user-mode store of `buf` at `addr`.
pub fn store(addr: u64, buf: &[u8]) {
    match current() {
        Backend::Usk(k) => (k.store)(addr, buf),
        Backend::Host => host::store(addr, buf),
    }
}
