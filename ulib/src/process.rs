//! fork, vfork and clone with continuations.
//!
//! On usk the child's code is a closure: it is registered under an opaque
//! code address ([`crate::rt`]) passed in `PtRegs::ip`, and the kernel later
//! enters the child there. The child starts on a fresh host thread, so the
//! parent's per-thread user state (scratch addresses, environment) travels
//! inside the continuation. On the host backend these are real forks.
//!
//! Invariant: stdout/stderr buffers are flushed before the split, so no
//! buffered output is duplicated or lost.

use crate::backend::{self, syscall_ip};
use crate::sys::check;
use crate::{env, io, mem, rt, Result};
use uapi::errno::ENOSYS;
use uapi::sched::{CLONE_THREAD, CLONE_VFORK, CLONE_VM, CSIGNAL};
use uapi::signal::SIGCHLD;
use uapi::unistd::{__NR_clone, __NR_fork, __NR_vfork};

/// A process (or thread) id.
pub type Pid = i32;

/// fork(2): `child` runs in the child process, which then exits with its
/// result; the parent gets the child's pid.
pub fn fork(child: impl FnOnce() -> i32 + Send + 'static) -> Result<Pid> {
    spawn(__NR_fork, [0; 6], SIGCHLD as u64, Box::new(child))
}

/// vfork(2): like [`fork`], but the parent is suspended until the child
/// execs or exits.
pub fn vfork(child: impl FnOnce() -> i32 + Send + 'static) -> Result<Pid> {
    spawn(
        __NR_vfork,
        [0; 6],
        CLONE_VM | CLONE_VFORK | SIGCHLD as u64,
        Box::new(child),
    )
}

/// clone(2) with `flags` (CLONE_VM, CLONE_THREAD, ...; the low byte is the
/// exit signal). On the host backend only fork-like flags are supported.
pub fn clone(flags: u64, child: impl FnOnce() -> i32 + Send + 'static) -> Result<Pid> {
    spawn(__NR_clone, [flags, 0, 0, 0, 0, 0], flags, Box::new(child))
}

type Child = Box<dyn FnOnce() -> i32 + Send + 'static>;

fn spawn(nr: u64, args: [u64; 6], flags: u64, child: Child) -> Result<Pid> {
    io::flush_all();
    if backend::is_host() {
        if flags & !CSIGNAL & !(CLONE_VM | CLONE_VFORK) != 0
            || flags & CLONE_VM != 0 && nr == __NR_clone
        {
            return Err(ENOSYS);
        }
        return check(backend::host::fork(child)).map(|p| p as Pid);
    }
    // A child sharing the address space while the parent runs on needs
    // its own scratch; otherwise it reuses the parent's addresses.
    let regions = if flags & CLONE_VM != 0 && flags & CLONE_VFORK == 0 {
        Vec::new()
    } else {
        mem::regions()
    };
    let environ = env::snapshot();
    let thread = flags & CLONE_THREAD != 0;
    let cont = move || {
        mem::adopt(&regions);
        env::restore(environ);
        let code = child();
        if thread {
            crate::sys::exit(code)
        }
        code
    };
    let ip = rt::register_continuation(Box::new(cont));
    let r = check(syscall_ip(nr, args, ip));
    if r.is_err() {
        rt::cancel_continuation(ip);
    }
    r.map(|p| p as Pid)
}
