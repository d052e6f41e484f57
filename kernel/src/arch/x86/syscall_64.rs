//! The x86-64 system call table (arch/x86/entry/syscall_64.c): number →
//! handler, Linux's numbers from `uapi::unistd`.
//!
//! Every handler gets the raw register values and must survive any of
//! them; an unknown number is `ENOSYS`. The signal, memory and process
//! calls that need only a few lines live here; the rest call into their
//! subsystem (`fs::syscalls`, `kernel::sys`, `kernel::signal`, ...).
//! With `strace` on, each call is logged in strace's format (strace.rs).
#![allow(non_upper_case_globals)] // matching on Linux's __NR_* names

use crate::fs::syscalls as fs;
use crate::kernel::sys;
use uapi::abi::PtRegs;
use uapi::errno::*;
use uapi::signal::{KernelSigaction, SigSet};
use uapi::unistd::*;

/// Dispatch one system call; the return value is what rax gets.
///
/// `raw_syscalls:sys_enter` and the call's `syscalls:sys_enter_<name>` fire
/// before the handler, `sys_exit` and `sys_exit_<name>` after it (Linux's
/// `syscall_trace_enter`/`syscall_exit_work`); calls that never return here
/// (exit, exit_group, a successful execve) have no exit events. The
/// per-call events are listed in `trace/syscalls.rs`, which must name
/// every call `dispatch()` handles.
pub fn do_syscall_64(regs: &mut PtRegs) -> i64 {
    crate::trace::trace(&crate::trace::events::SYS_ENTER, |w| {
        w.i64(8, regs.nr as i64);
        for (i, a) in regs.args.iter().enumerate() {
            w.u64(16 + 8 * i, *a);
        }
    });
    crate::trace::syscalls::trace_sys_enter(regs);
    let strace = crate::kernel().strace_enabled();
    if strace {
        super::strace::format_entry(regs);
    }
    let r = match dispatch(regs) {
        Ok(v) => v,
        Err(e) => -(e.0 as i64),
    };
    if strace {
        super::strace::log(regs, r);
    }
    crate::trace::trace(&crate::trace::events::SYS_EXIT, |w| {
        w.i64(8, regs.nr as i64).i64(16, r);
    });
    crate::trace::syscalls::trace_sys_exit(regs, r);
    r
}

fn fd(v: u64) -> i32 {
    v as u32 as i32
}

fn dispatch(regs: &mut PtRegs) -> Result<i64, Errno> {
    let a = regs.args;
    match regs.nr {
        __NR_read => fs::sys_read(a[0], a[1], a[2]),
        __NR_write => fs::sys_write(a[0], a[1], a[2]),
        __NR_open => fs::sys_open(a[0], a[1], a[2]),
        __NR_openat => fs::sys_openat(a[0], a[1], a[2], a[3]),
        __NR_creat => fs::sys_creat(a[0], a[1]),
        __NR_close => fs::sys_close(a[0]),
        __NR_stat | __NR_lstat => fs::sys_stat(a[0], a[1]),
        __NR_fstat => fs::sys_fstat(a[0], a[1]),
        __NR_newfstatat => fs::sys_newfstatat(a[0], a[1], a[2], a[3]),
        __NR_lseek => fs::sys_lseek(a[0], a[1], a[2]),
        __NR_pread64 => fs::sys_pread64(a[0], a[1], a[2], a[3]),
        __NR_pwrite64 => fs::sys_pwrite64(a[0], a[1], a[2], a[3]),
        __NR_readv => fs::sys_readv(a[0], a[1], a[2]),
        __NR_writev => fs::sys_writev(a[0], a[1], a[2]),
        __NR_preadv => fs::sys_preadv(a[0], a[1], a[2], a[3]),
        __NR_pwritev => fs::sys_pwritev(a[0], a[1], a[2], a[3]),
        __NR_access => fs::sys_faccessat(AT_FDCWD_U64, a[0], a[1]),
        __NR_faccessat | __NR_faccessat2 => fs::sys_faccessat(a[0], a[1], a[2]),
        __NR_pipe => fs::sys_pipe2(a[0], 0),
        __NR_pipe2 => fs::sys_pipe2(a[0], a[1]),
        __NR_dup => fs::sys_dup(a[0]),
        __NR_dup2 => fs::sys_dup2(a[0], a[1]),
        __NR_dup3 => fs::sys_dup3(a[0], a[1], a[2]),
        __NR_fcntl => fs::sys_fcntl(a[0], a[1], a[2]),
        __NR_ioctl => fs::sys_ioctl(a[0], a[1], a[2]),
        __NR_poll => fs::sys_poll(a[0], a[1], a[2]),
        __NR_getdents64 => fs::sys_getdents64(a[0], a[1], a[2]),
        __NR_getcwd => fs::sys_getcwd(a[0], a[1]),
        __NR_chdir => fs::sys_chdir(a[0]),
        __NR_fchdir => fs::sys_fchdir(a[0]),
        __NR_mkdir => fs::sys_mkdirat(AT_FDCWD_U64, a[0], a[1]),
        __NR_mkdirat => fs::sys_mkdirat(a[0], a[1], a[2]),
        __NR_unlink => fs::sys_unlinkat(AT_FDCWD_U64, a[0], 0),
        __NR_rmdir => fs::sys_unlinkat(AT_FDCWD_U64, a[0], uapi::fcntl::AT_REMOVEDIR as u64),
        __NR_unlinkat => fs::sys_unlinkat(a[0], a[1], a[2]),
        __NR_umask => fs::sys_umask(a[0]),
        __NR_mount => fs::sys_mount(a[0], a[1], a[2], a[3], a[4]),
        __NR_umount2 => fs::sys_umount2(a[0], a[1]),
        // ramfs and the pseudo filesystems have nothing to write back.
        __NR_sync => Ok(0),
        __NR_syncfs | __NR_fsync | __NR_fdatasync => fs::sys_fsync(a[0]),

        __NR_mmap => sys_mmap(a),
        __NR_munmap => mm()?.munmap(a[0], a[1]).map(|_| 0),
        __NR_mprotect => mm()?.mprotect(a[0], a[1], a[2]).map(|_| 0),
        __NR_brk => Ok(mm()?.brk(a[0]) as i64),
        __NR_mremap => mm()?.mremap(a[0], a[1], a[2], a[3], a[4]).map(|v| v as i64),

        __NR_rt_sigaction => sys_rt_sigaction(a),
        __NR_rt_sigprocmask => sys_rt_sigprocmask(a),
        __NR_rt_sigpending => sys_rt_sigpending(a),
        __NR_rt_sigsuspend => sys_rt_sigsuspend(a),
        __NR_rt_sigreturn => crate::kernel::signal::sys_rt_sigreturn(),
        __NR_pause => crate::kernel::signal::sys_pause(),
        __NR_kill => crate::kernel::signal::sys_kill(fd(a[0]), fd(a[1])),
        __NR_tgkill => crate::kernel::signal::sys_tgkill(fd(a[0]), fd(a[1]), fd(a[2])),
        __NR_tkill => crate::kernel::signal::sys_tgkill(-1, fd(a[0]), fd(a[1])),

        __NR_fork => crate::kernel::fork::sys_fork(regs),
        __NR_vfork => crate::kernel::fork::sys_vfork(regs),
        __NR_clone => crate::kernel::fork::sys_clone(regs),
        __NR_execve => sys_execve(a),
        __NR_exit => crate::kernel::exit::sys_exit(a[0] as i32),
        __NR_exit_group => crate::kernel::exit::sys_exit_group(a[0] as i32),
        __NR_wait4 => sys_wait4(a),

        __NR_getpid => sys::sys_getpid(),
        __NR_gettid => sys::sys_gettid(),
        __NR_getppid => sys::sys_getppid(),
        __NR_getuid => sys::sys_getuid(),
        __NR_geteuid => sys::sys_geteuid(),
        __NR_getgid => sys::sys_getgid(),
        __NR_getegid => sys::sys_getegid(),
        __NR_setuid => sys::sys_setuid(a[0]),
        __NR_setgid => sys::sys_setgid(a[0]),
        __NR_setpgid => sys::sys_setpgid(a[0], a[1]),
        __NR_getpgid => sys::sys_getpgid(a[0]),
        __NR_getpgrp => sys::sys_getpgid(0),
        __NR_setsid => sys::sys_setsid(),
        __NR_getsid => sys::sys_getsid(a[0]),
        __NR_uname => sys::sys_uname(a[0]),
        __NR_getrlimit => sys::sys_getrlimit(a[0], a[1]),
        __NR_setrlimit => sys::sys_setrlimit(a[0], a[1]),
        __NR_prlimit64 => sys::sys_prlimit64(a[0], a[1], a[2], a[3]),
        __NR_sysinfo => sys::sys_sysinfo(a[0]),
        __NR_sched_yield => sys::sys_sched_yield(),
        __NR_nanosleep => sys::sys_nanosleep(a[0], a[1]),
        __NR_clock_nanosleep => sys::sys_clock_nanosleep(a[0], a[1], a[2], a[3]),
        __NR_clock_gettime => sys::sys_clock_gettime(a[0], a[1]),
        __NR_gettimeofday => sys::sys_gettimeofday(a[0], a[1]),
        __NR_times => sys::sys_times(a[0]),
        __NR_syslog => sys::sys_syslog(a[0], a[1], a[2]),
        __NR_set_tid_address => sys::sys_set_tid_address(a[0]),
        __NR_init_module => crate::kernel::module::sys_init_module(a[0], a[1], a[2]),
        __NR_finit_module => crate::kernel::module::sys_finit_module(fd(a[0]), a[1], a[2]),
        __NR_delete_module => crate::kernel::module::sys_delete_module(a[0], a[1]),
        __NR_perf_event_open => {
            crate::events::core::sys_perf_event_open(a[0], a[1], a[2], a[3], a[4])
        }
        _ => Err(ENOSYS),
    }
}

const AT_FDCWD_U64: u64 = uapi::fcntl::AT_FDCWD as u32 as u64;

fn mm() -> Result<std::sync::Arc<crate::mm::MmStruct>, Errno> {
    crate::kernel::process::current_mm().ok_or(EFAULT)
}

/// `mmap(2)`: offset must be page aligned.
fn sys_mmap(a: [u64; 6]) -> Result<i64, Errno> {
    if a[5] & 0xfff != 0 {
        return Err(EINVAL);
    }
    mm()?
        .mmap(a[0], a[1], a[2], a[3], a[4] as u32 as i32 as i64, a[5])
        .map(|v| v as i64)
}

/// `rt_sigaction(sig, act, oact, sigsetsize)`.
fn sys_rt_sigaction(a: [u64; 6]) -> Result<i64, Errno> {
    if a[3] != 8 {
        return Err(EINVAL);
    }
    let mm = mm()?;
    let act = if a[1] != 0 {
        let mut b = [0u8; KernelSigaction::SIZE];
        mm.copy_from_user(&mut b, a[1])?;
        Some(KernelSigaction::from_bytes(&b))
    } else {
        None
    };
    let old = crate::kernel::signal::do_sigaction(fd(a[0]), act)?;
    if a[2] != 0 {
        mm.copy_to_user(a[2], &old.to_bytes())?;
    }
    Ok(0)
}

fn get_sigset(mm: &crate::mm::MmStruct, addr: u64) -> Result<SigSet, Errno> {
    let mut b = [0u8; 8];
    mm.copy_from_user(&mut b, addr)?;
    Ok(u64::from_ne_bytes(b))
}

/// `rt_sigprocmask(how, set, oset, sigsetsize)`.
fn sys_rt_sigprocmask(a: [u64; 6]) -> Result<i64, Errno> {
    if a[3] != 8 {
        return Err(EINVAL);
    }
    let mm = mm()?;
    let set = if a[1] != 0 {
        Some(get_sigset(&mm, a[1])?)
    } else {
        None
    };
    let old = crate::kernel::signal::do_sigprocmask(fd(a[0]), set)?;
    if a[2] != 0 {
        mm.copy_to_user(a[2], &old.to_ne_bytes())?;
    }
    Ok(0)
}

fn sys_rt_sigpending(a: [u64; 6]) -> Result<i64, Errno> {
    if a[1] > 8 {
        return Err(EINVAL);
    }
    let set = crate::kernel::signal::do_sigpending();
    mm()?.copy_to_user(a[0], &set.to_ne_bytes()[..a[1] as usize])?;
    Ok(0)
}

fn sys_rt_sigsuspend(a: [u64; 6]) -> Result<i64, Errno> {
    if a[1] != 8 {
        return Err(EINVAL);
    }
    let mask = get_sigset(&*mm()?, a[0])?;
    crate::kernel::signal::do_sigsuspend(mask)
}

/// `execve(filename, argv, envp)`.
fn sys_execve(a: [u64; 6]) -> Result<i64, Errno> {
    let mm = mm()?;
    let name = fs::getname(&mm, a[0])?;
    let limit = crate::current()
        .process()
        .map(|p| p.signal.rlimit(crate::kernel::process::RLIMIT_STACK).cur)
        .unwrap_or(8 << 20)
        .min(6 << 20) as usize
        / 4
        * 3;
    let mut total = 0;
    let argv = crate::fs::exec::copy_strings_from_user(&mm, a[1], &mut total, limit)?;
    let envp = crate::fs::exec::copy_strings_from_user(&mm, a[2], &mut total, limit)?;
    drop(mm);
    Err(crate::fs::exec::do_execve(&name, argv, envp))
}

/// `wait4(pid, wstatus, options, rusage)`.
fn sys_wait4(a: [u64; 6]) -> Result<i64, Errno> {
    let (pid, status, times) = crate::kernel::exit::do_wait(fd(a[0]), a[2] as u32)?;
    if pid > 0 {
        let mm = mm()?;
        if a[1] != 0 {
            mm.copy_to_user(a[1], &status.to_ne_bytes())?;
        }
        if a[3] != 0 {
            // struct rusage: ru_utime and ru_stime (timevals) lead; usk
            // keeps none of the other fields, which stay 0
            let mut ru = [0u8; 144];
            for (off, ns) in [(0, times.utime_ns), (16, times.stime_ns)] {
                ru[off..off + 8].copy_from_slice(&(ns / 1_000_000_000).to_ne_bytes());
                ru[off + 8..off + 16].copy_from_slice(&(ns % 1_000_000_000 / 1000).to_ne_bytes());
            }
            mm.copy_to_user(a[3], &ru)?;
        }
    }
    Ok(pid as i64)
}
