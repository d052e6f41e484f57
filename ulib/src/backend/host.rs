//! The host backend: ulib's primitives on the host Linux kernel, for
//! differential tests (the same program run on usk and on the host must
//! behave the same).
//!
//! This is the only module of ulib with `unsafe`. Loads and stores go
//! through `process_vm_readv`/`process_vm_writev` on the calling process,
//! so a bad address fails with EFAULT inside the host kernel instead of
//! corrupting memory; like the usk MMU, such a fault raises SIGSEGV.
//! Signal handlers are Rust `fn(i32)` values: the host kernel calls an
//! `extern "C"` trampoline that looks the registered handler up by signal
//! number (glibc's `sigaction` supplies the `SA_RESTORER` return path).
#![allow(unsafe_code)]

use std::sync::atomic::{AtomicU64, Ordering};
use uapi::signal::{KernelSigaction, SA_RESTORER, SIGSEGV, SIG_DFL, SIG_IGN};

/// The registered handler address of each signal (per host process, like
/// the host kernel's own dispositions).
static HANDLERS: [AtomicU64; 65] = [const { AtomicU64::new(0) }; 65];

/// A raw host system call; negative errno on failure.
pub(crate) fn syscall(nr: u64, a: [u64; 6]) -> i64 {
    // SAFETY: the host kernel validates every argument of a system call;
    // pointers into this process's memory can only be produced by callers
    // of this module (scratch areas they own) or by the fuzzer, whose
    // calls are the test itself. Memory-unmapping calls are the caller's
    // responsibility, as with any raw syscall.
    let r = unsafe {
        libc::syscall(
            nr as libc::c_long,
            a[0] as libc::c_long,
            a[1] as libc::c_long,
            a[2] as libc::c_long,
            a[3] as libc::c_long,
            a[4] as libc::c_long,
            a[5] as libc::c_long,
        )
    };
    if r == -1 {
        -(errno() as i64)
    } else {
        r as i64
    }
}

fn errno() -> i32 {
    std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO)
}

/// Raise SIGSEGV at ourselves, as a user-mode access to a bad address does.
fn segv() {
    // As usk's force_sig: a handler the program registered runs; after it
    // returns the access would fault again, so the process dies of SIGSEGV
    // either way. Handlers not registered through ulib (the Rust runtime's
    // stack-overflow handler) do not count.
    let registered = HANDLERS
        .get(SIGSEGV as usize)
        .is_some_and(|h| h.load(Ordering::SeqCst) > 1);
    // SAFETY: plain system calls without pointer arguments, and resetting a
    // disposition to SIG_DFL.
    unsafe {
        if registered {
            libc::kill(libc::getpid(), SIGSEGV);
        }
        libc::signal(SIGSEGV, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, SIGSEGV);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::kill(libc::getpid(), SIGSEGV);
    }
}

/// A user-mode load through `process_vm_readv`.
pub(crate) fn load(addr: u64, buf: &mut [u8]) {
    let mut done = 0usize;
    while done < buf.len() {
        let local = libc::iovec {
            iov_base: buf[done..].as_mut_ptr().cast(),
            iov_len: buf.len() - done,
        };
        let remote = libc::iovec {
            iov_base: (addr as usize).wrapping_add(done) as *mut libc::c_void,
            iov_len: buf.len() - done,
        };
        // SAFETY: the local iovec covers exactly the unfilled part of
        // `buf`, which we borrow mutably; the remote side is checked by the
        // host kernel (EFAULT on a bad address, no memory is touched).
        let n = unsafe { libc::process_vm_readv(libc::getpid(), &local, 1, &remote, 1, 0) };
        if n <= 0 {
            segv();
            return;
        }
        done += n as usize;
    }
}

/// A user-mode store through `process_vm_writev`.
pub(crate) fn store(addr: u64, buf: &[u8]) {
    let mut done = 0usize;
    while done < buf.len() {
        let local = libc::iovec {
            iov_base: buf[done..].as_ptr() as *mut libc::c_void,
            iov_len: buf.len() - done,
        };
        let remote = libc::iovec {
            iov_base: (addr as usize).wrapping_add(done) as *mut libc::c_void,
            iov_len: buf.len() - done,
        };
        // SAFETY: the local iovec is only read from; the remote side is
        // checked by the host kernel (EFAULT on a bad or read-only address).
        let n = unsafe { libc::process_vm_writev(libc::getpid(), &local, 1, &remote, 1, 0) };
        if n <= 0 {
            segv();
            return;
        }
        done += n as usize;
    }
}

/// fork(2) through glibc (so its atfork handlers keep malloc consistent in
/// the child); the child runs `child` and `_exit`s with its result.
pub(crate) fn fork(child: Box<dyn FnOnce() -> i32>) -> i64 {
    // SAFETY: the child runs only `child` and then `_exit`s; it never
    // returns into the caller's frames. Threads other than the caller do
    // not exist in the child, which is why the host backend is for tests.
    let pid = unsafe { libc::fork() };
    match pid {
        -1 => -(errno() as i64),
        0 => {
            let code = child();
            crate::io::flush_all();
            // SAFETY: terminates the child process without running the
            // parent's atexit handlers or destructors.
            unsafe { libc::_exit(code) }
        }
        p => p as i64,
    }
}

extern "C" fn trampoline(sig: libc::c_int) {
    let h = HANDLERS
        .get(sig as usize)
        .map(|h| h.load(Ordering::SeqCst))
        .unwrap_or(0);
    crate::rt::run_signal_handler(h, sig);
}

/// rt_sigaction(2) with Rust handlers mapped to the trampoline.
pub(crate) fn sigaction(
    sig: i32,
    act: Option<&KernelSigaction>,
) -> Result<KernelSigaction, uapi::Errno> {
    if !(1..=64).contains(&sig) {
        return Err(uapi::errno::EINVAL);
    }
    // SAFETY: `sigaction` structs are plain data; zeroed is a valid value.
    let mut new: libc::sigaction = unsafe { std::mem::zeroed() };
    // SAFETY: as above.
    let mut old: libc::sigaction = unsafe { std::mem::zeroed() };
    if let Some(a) = act {
        new.sa_sigaction = match a.sa_handler {
            SIG_DFL | SIG_IGN => a.sa_handler as usize,
            _ => trampoline as *const () as usize,
        };
        new.sa_flags = (a.sa_flags & !SA_RESTORER) as libc::c_int;
        // SAFETY: `new.sa_mask` is a valid sigset_t owned by us.
        unsafe {
            libc::sigemptyset(&mut new.sa_mask);
            for s in 1..=64 {
                if a.sa_mask & uapi::signal::sigmask(s) != 0 {
                    libc::sigaddset(&mut new.sa_mask, s);
                }
            }
        }
    }
    let prev = HANDLERS[sig as usize].load(Ordering::SeqCst);
    if let Some(a) = act {
        if a.sa_handler != SIG_DFL && a.sa_handler != SIG_IGN {
            HANDLERS[sig as usize].store(a.sa_handler, Ordering::SeqCst);
        }
    }
    let newp = if act.is_some() {
        &new as *const libc::sigaction
    } else {
        std::ptr::null()
    };
    // SAFETY: both pointers are to live sigaction structs (or null).
    let r = unsafe { libc::sigaction(sig, newp, &mut old) };
    if r != 0 {
        HANDLERS[sig as usize].store(prev, Ordering::SeqCst);
        return Err(uapi::Errno(errno()));
    }
    let mut mask = 0u64;
    for s in 1..=64 {
        // SAFETY: `old.sa_mask` was filled by the kernel.
        if unsafe { libc::sigismember(&old.sa_mask, s) } == 1 {
            mask |= uapi::signal::sigmask(s);
        }
    }
    let handler = old.sa_sigaction as u64;
    Ok(KernelSigaction {
        sa_handler: if handler == trampoline as *const () as u64 {
            prev
        } else {
            handler
        },
        sa_flags: old.sa_flags as u64 & !SA_RESTORER,
        sa_restorer: 0,
        sa_mask: mask,
    })
}
