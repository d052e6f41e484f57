//! System-call tracing in strace's output format (`usk boot --strace`,
//! like `strace -f`): `[pid  42] openat(AT_FDCWD, "/x", O_RDONLY) = -1
//! ENOENT (No such file or directory)`.
//!
//! Arguments are decoded per call as strace does: descriptors and numbers
//! in decimal, paths and buffers as quoted C strings cut at 32 bytes with
//! `...`, open flags, signals and wait options symbolically, other pointers
//! in hex. Buffers a call fills (read, getcwd) are printed after it
//! returned. Calls that do not return (exit_group, a successful execve)
//! are printed with `= ?` / `= 0` as strace prints them.
#![allow(non_upper_case_globals)] // matching on Linux's __NR_* names

use std::cell::RefCell;
use uapi::abi::PtRegs;
use uapi::errno::Errno;
use uapi::fcntl::{O_CREAT, O_TMPFILE};
use uapi::unistd::*;

/// How one argument is shown.
#[derive(Clone, Copy)]
enum Arg {
    Int,
    Hex,
    Fd,
    AtFd,
    Path,
    /// A buffer the call reads, length in argument N.
    InBuf(usize),
    /// A buffer the call fills; its length is the return value.
    OutBuf,
    OpenFlags,
    Octal,
    Signal,
    SigHow,
    WaitOpts,
    StrArray,
}

fn signature(nr: u64) -> &'static [Arg] {
    use Arg::*;
    match nr {
        __NR_read => &[Fd, OutBuf, Int],
        __NR_write => &[Fd, InBuf(2), Int],
        __NR_pread64 => &[Fd, OutBuf, Int, Int],
        __NR_pwrite64 => &[Fd, InBuf(2), Int, Int],
        __NR_open => &[Path, OpenFlags, Octal],
        __NR_openat => &[AtFd, Path, OpenFlags, Octal],
        __NR_close | __NR_dup | __NR_fchdir => &[Fd],
        __NR_dup2 => &[Fd, Fd],
        __NR_dup3 => &[Fd, Fd, OpenFlags],
        __NR_stat | __NR_lstat => &[Path, Hex],
        __NR_fstat => &[Fd, Hex],
        __NR_newfstatat => &[AtFd, Path, Hex, Hex],
        __NR_lseek => &[Fd, Int, Int],
        __NR_readv | __NR_writev => &[Fd, Hex, Int],
        __NR_ioctl => &[Fd, Hex, Hex],
        __NR_fcntl => &[Fd, Int, Hex],
        __NR_pipe | __NR_pipe2 => &[Hex, OpenFlags],
        __NR_getdents64 => &[Fd, Hex, Int],
        __NR_getcwd => &[OutBuf, Int],
        __NR_chdir | __NR_rmdir | __NR_unlink => &[Path],
        __NR_mkdir => &[Path, Octal],
        __NR_mkdirat => &[AtFd, Path, Octal],
        __NR_unlinkat => &[AtFd, Path, Hex],
        __NR_access => &[Path, Octal],
        __NR_mmap => &[Hex, Int, Hex, Hex, Fd, Hex],
        __NR_munmap => &[Hex, Int],
        __NR_mprotect => &[Hex, Int, Hex],
        __NR_brk => &[Hex],
        __NR_rt_sigaction => &[Signal, Hex, Hex, Int],
        __NR_rt_sigprocmask => &[SigHow, Hex, Hex, Int],
        __NR_kill => &[Int, Signal],
        __NR_tgkill => &[Int, Int, Signal],
        __NR_wait4 => &[Int, Hex, WaitOpts, Hex],
        __NR_execve => &[Path, StrArray, Hex],
        __NR_exit | __NR_exit_group | __NR_umask => &[Int],
        __NR_clone => &[Hex, Hex, Hex, Hex, Hex],
        __NR_setpgid => &[Int, Int],
        __NR_getpgid | __NR_getsid | __NR_setuid | __NR_setgid => &[Int],
        __NR_nanosleep => &[Hex, Hex],
        __NR_poll => &[Hex, Int, Int],
        __NR_uname | __NR_sysinfo | __NR_times | __NR_set_tid_address => &[Hex],
        __NR_syslog => &[Int, Hex, Int],
        __NR_mount => &[Path, Path, Path, Hex, Hex],
        __NR_prlimit64 => &[Int, Int, Hex, Hex],
        __NR_init_module => &[Hex, Int, Path],
        __NR_finit_module => &[Fd, Path, Hex],
        __NR_delete_module => &[Path, OpenFlags],
        _ => &[],
    }
}

thread_local! {
    /// The entry text of the call in progress on this task.
    static PENDING: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// A C string the way strace quotes it, cut at 32 bytes.
fn quote(bytes: &[u8], truncated: bool) -> String {
    let mut s = String::from("\"");
    for &b in bytes.iter().take(32) {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\r' => s.push_str("\\r"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\{b:o}")),
        }
    }
    s.push('"');
    if truncated || bytes.len() > 32 {
        s.push_str("...");
    }
    s
}

fn user_bytes(addr: u64, len: usize) -> Option<Vec<u8>> {
    let mm = crate::kernel::process::current_mm()?;
    let mut b = vec![0u8; len.min(33)];
    mm.copy_from_user(&mut b, addr).ok()?;
    Some(b)
}

fn user_str(addr: u64) -> String {
    let Some(mm) = crate::kernel::process::current_mm() else {
        return format!("{addr:#x}");
    };
    match mm.strncpy_from_user(addr, 33) {
        Ok(b) => quote(&b, false),
        Err(uapi::errno::ENAMETOOLONG) => {
            let mut b = vec![0u8; 32];
            let _ = mm.copy_from_user(&mut b, addr);
            quote(&b, true)
        }
        Err(_) => format!("{addr:#x}"),
    }
}

fn open_flags(v: u64) -> String {
    use uapi::fcntl::*;
    let v = v as u32;
    let mut parts = vec![match v & O_ACCMODE {
        O_RDONLY => "O_RDONLY",
        O_WRONLY => "O_WRONLY",
        _ => "O_RDWR",
    }
    .to_string()];
    for (bit, name) in [
        (O_CREAT, "O_CREAT"),
        (O_EXCL, "O_EXCL"),
        (O_NOCTTY, "O_NOCTTY"),
        (O_TRUNC, "O_TRUNC"),
        (O_APPEND, "O_APPEND"),
        (O_NONBLOCK, "O_NONBLOCK"),
        (O_DIRECTORY, "O_DIRECTORY"),
        (O_CLOEXEC, "O_CLOEXEC"),
    ] {
        if v & bit != 0 {
            parts.push(name.to_string());
        }
    }
    parts.join("|")
}

fn signal(v: u64) -> String {
    let s = v as i32;
    uapi::signal::signal_name(s).map_or_else(|| s.to_string(), str::to_string)
}

fn wait_opts(v: u64) -> String {
    use uapi::wait::*;
    let v = v as u32;
    if v == 0 {
        return "0".into();
    }
    let mut parts = Vec::new();
    for (bit, name) in [
        (WNOHANG, "WNOHANG"),
        (WUNTRACED, "WSTOPPED"),
        (WCONTINUED, "WCONTINUED"),
    ] {
        if v & bit != 0 {
            parts.push(name);
        }
    }
    if parts.is_empty() {
        format!("{v:#x}")
    } else {
        parts.join("|")
    }
}

fn str_array(addr: u64) -> String {
    let Some(mm) = crate::kernel::process::current_mm() else {
        return format!("{addr:#x}");
    };
    let mut items = Vec::new();
    for i in 0..32u64 {
        match mm.get_user_u64(addr.wrapping_add(8 * i)) {
            Ok(0) => return format!("[{}]", items.join(", ")),
            Ok(p) => items.push(user_str(p)),
            Err(_) => return format!("{addr:#x}"),
        }
    }
    format!("[{}, ...]", items.join(", "))
}

fn arg(kind: Arg, regs: &PtRegs, i: usize, ret: Option<i64>) -> String {
    let v = regs.args[i];
    match kind {
        Arg::Int => (v as i64).to_string(),
        Arg::Fd => (v as u32 as i32).to_string(),
        Arg::AtFd if v as u32 as i32 == uapi::fcntl::AT_FDCWD => "AT_FDCWD".into(),
        Arg::AtFd => (v as u32 as i32).to_string(),
        Arg::Hex if v == 0 => "NULL".into(),
        Arg::Hex => format!("{v:#x}"),
        Arg::Path => user_str(v),
        Arg::InBuf(n) => {
            user_bytes(v, regs.args[n] as usize).map_or(format!("{v:#x}"), |b| quote(&b, false))
        }
        Arg::OutBuf => match ret {
            Some(r) if r >= 0 => {
                user_bytes(v, r as usize).map_or(format!("{v:#x}"), |b| quote(&b, false))
            }
            _ => format!("{v:#x}"),
        },
        Arg::OpenFlags => open_flags(v),
        // C's octal, as strace prints modes: 0644, 000
        Arg::Octal => format!("0{v:02o}"),
        Arg::Signal => signal(v),
        Arg::SigHow => match v {
            0 => "SIG_BLOCK".into(),
            1 => "SIG_UNBLOCK".into(),
            2 => "SIG_SETMASK".into(),
            _ => v.to_string(),
        },
        Arg::WaitOpts => wait_opts(v),
        Arg::StrArray => str_array(v),
    }
}

fn name(nr: u64) -> String {
    syscall_name(nr).map_or_else(|| format!("syscall_{nr:#x}"), str::to_string)
}

/// `name(args…)`: decoded by the call's signature; a call without one
/// shows as many raw arguments as its `SYSCALL_DEFINE` has (all six for
/// an unknown number), in hex.
fn render(regs: &PtRegs, ret: Option<i64>) -> String {
    let mut sig = signature(regs.nr);
    // open/openat show their mode only when it is used (O_CREAT, O_TMPFILE)
    let flags = match regs.nr {
        __NR_open => Some(regs.args[1] as u32),
        __NR_openat => Some(regs.args[2] as u32),
        _ => None,
    };
    if flags.is_some_and(|f| f & O_CREAT == 0 && f & O_TMPFILE != O_TMPFILE) {
        sig = &sig[..sig.len() - 1];
    }
    let args: Vec<String> = if sig.is_empty() {
        let n = crate::trace::syscalls::meta(regs.nr).map_or(regs.args.len(), |m| m.args.len());
        regs.args[..n].iter().map(|a| format!("{a:#x}")).collect()
    } else {
        sig.iter()
            .enumerate()
            .map(|(i, &k)| arg(k, regs, i, ret))
            .collect()
    };
    format!("{}({})", name(regs.nr), args.join(", "))
}

/// Record the text of a call at entry (pointers it reads are still
/// valid); `exit`/`exit_group` are printed now, as they do not return.
pub fn format_entry(regs: &PtRegs) {
    let s = render(regs, None);
    if matches!(regs.nr, __NR_exit | __NR_exit_group) {
        emit(&format!("{s} = ?"));
    }
    PENDING.with(|p| *p.borrow_mut() = Some(s));
}

/// Log a finished call (its entry text was recorded by `format_entry`).
pub fn log(regs: &PtRegs, ret: i64) {
    let entry = PENDING.with(|p| p.borrow_mut().take());
    let text = match entry {
        Some(e) if !signature(regs.nr).iter().any(|a| matches!(a, Arg::OutBuf)) => e,
        _ => render(regs, Some(ret)),
    };
    let result = if (-4095..0).contains(&ret) {
        let e = Errno(-ret as i32);
        match e.name() {
            Some(n) => format!("-1 {n} ({})", e.message()),
            None => format!("-1 ({})", e.message()),
        }
    } else if matches!(regs.nr, __NR_mmap | __NR_brk | __NR_mremap) {
        format!("{ret:#x}")
    } else {
        ret.to_string()
    };
    emit(&format!("{text} = {result}"));
}

/// A successful execve does not return: print it now.
pub fn exec_succeeded() {
    if let Some(s) = PENDING.with(|p| p.borrow_mut().take()) {
        emit(&format!("{s} = 0"));
    }
}

/// A task left for good: `+++ exited with N +++` / `+++ killed by SIG +++`.
pub fn exited(status: i32) {
    let line = if uapi::wait::wifexited(status) {
        format!("+++ exited with {} +++", uapi::wait::wexitstatus(status))
    } else {
        format!(
            "+++ killed by {} +++",
            signal(uapi::wait::wtermsig(status) as u64)
        )
    };
    emit(&line);
}

fn emit(line: &str) {
    let pid = crate::current().pid;
    crate::kernel().strace_emit(&format!("[pid {pid:>5}] {line}"));
}
