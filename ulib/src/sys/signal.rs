//! Signal calls: rt_sigaction (with Rust `fn(i32)` handlers), signal masks,
//! kill, tgkill, rt_sigsuspend.
//!
//! A handler is a plain `fn(i32)`; its address (`handler as usize`) is what
//! the kernel stores in `sa_handler` and hands back to
//! [`uapi::abi::UserEntry::handle_signal`]. Only handlers registered here
//! are ever called.

use super::sc;
use crate::mem::Scratch;
use crate::{backend, rt, Result};
use uapi::signal::{KernelSigaction, SigSet, SA_RESTART, SIG_DFL, SIG_IGN};
use uapi::unistd::*;
use uapi::Errno;

/// rt_sigaction(2): install `act` (if any) for `sig`; returns the old action.
pub fn sigaction(sig: i32, act: Option<&KernelSigaction>) -> Result<KernelSigaction> {
    if backend::is_host() {
        return backend::host::sigaction(sig, act);
    }
    let s = Scratch::new(2 * KernelSigaction::SIZE)?;
    if let Some(a) = act {
        s.put(0, &a.to_bytes());
    }
    let new = if act.is_some() { s.addr(0) } else { 0 };
    sc(
        __NR_rt_sigaction,
        &[sig as u64, new, s.addr(KernelSigaction::SIZE), 8],
    )?;
    let mut b = [0u8; KernelSigaction::SIZE];
    s.get(KernelSigaction::SIZE, &mut b);
    Ok(KernelSigaction::from_bytes(&b))
}

/// Catch `sig` with `handler` (SA_RESTART, like glibc's `signal`).
pub fn signal(sig: i32, handler: fn(i32)) -> Result<KernelSigaction> {
    let addr = rt::register_signal_handler(handler);
    sigaction(
        sig,
        Some(&KernelSigaction {
            sa_handler: addr,
            sa_flags: SA_RESTART,
            ..KernelSigaction::default()
        }),
    )
}

/// Set `sig` to SIG_IGN.
pub fn signal_ignore(sig: i32) -> Result<KernelSigaction> {
    set_disposition(sig, SIG_IGN)
}

/// Set `sig` to SIG_DFL.
pub fn signal_default(sig: i32) -> Result<KernelSigaction> {
    set_disposition(sig, SIG_DFL)
}

fn set_disposition(sig: i32, h: u64) -> Result<KernelSigaction> {
    sigaction(
        sig,
        Some(&KernelSigaction {
            sa_handler: h,
            ..KernelSigaction::default()
        }),
    )
}

/// rt_sigprocmask(2): apply `set` with `how`; returns the old mask.
pub fn sigprocmask(how: i32, set: Option<SigSet>) -> Result<SigSet> {
    let s = Scratch::new(16)?;
    if let Some(m) = set {
        s.put(0, &m.to_ne_bytes());
    }
    let p = if set.is_some() { s.addr(0) } else { 0 };
    sc(__NR_rt_sigprocmask, &[how as u64, p, s.addr(8), 8])?;
    Ok(s.get_u64(8))
}

pub fn kill(pid: i32, sig: i32) -> Result<()> {
    sc(__NR_kill, &[pid as i64 as u64, sig as u64]).map(drop)
}

pub fn tgkill(tgid: i32, tid: i32, sig: i32) -> Result<()> {
    sc(__NR_tgkill, &[tgid as u64, tid as u64, sig as u64]).map(drop)
}

/// rt_sigsuspend(2): wait for a signal with `mask` blocked; always returns
/// an error (EINTR after a handler ran).
pub fn sigsuspend(mask: SigSet) -> Errno {
    let s = match Scratch::new(8) {
        Ok(s) => s,
        Err(e) => return e,
    };
    s.put(0, &mask.to_ne_bytes());
    match sc(__NR_rt_sigsuspend, &[s.addr(0), 8]) {
        Err(e) => e,
        Ok(_) => uapi::errno::EINTR,
    }
}
