//! Miscellaneous process system calls (kernel/sys.c, kernel/time/,
//! kernel/printk/printk.c's syslog, kernel/sched/core.c's sched_yield):
//! ids, credentials, process groups and sessions, uname, rlimits, sysinfo,
//! clocks and sleeping.
//!
//! Credentials follow Linux's rules: root (CAP_SETUID) may set any uid and
//! `setuid` to a non-zero uid drops every capability; others may only swap
//! between their real and saved ids. Process groups: `setpgid` moves a
//! process of the caller's session (itself or a child that has not
//! exec'd... usk does not track exec, so any child) into an existing group
//! of the same session or a new one; a session leader cannot move.

use crate::kernel::process::*;
use crate::kernel::sched::task::{Pid, Task};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use uapi::errno::*;

/// `capable()`.
pub fn capable(cap: u32) -> bool {
    let me = crate::current();
    me.process().is_none_or(|p| p.cred().capable(cap))
}

/// `EPERM` unless the caller holds `cap`.
pub fn require_cap(cap: u32) -> Result<(), Errno> {
    if capable(cap) {
        Ok(())
    } else {
        Err(EPERM)
    }
}

pub fn sys_getpid() -> Result<i64, Errno> {
    Ok(crate::current().tgid as i64)
}

pub fn sys_gettid() -> Result<i64, Errno> {
    Ok(crate::current().pid as i64)
}

pub fn sys_getppid() -> Result<i64, Errno> {
    Ok(crate::current().ppid.load(Ordering::Acquire) as i64)
}

pub fn sys_getuid() -> Result<i64, Errno> {
    Ok(crate::current().process().ok_or(ENOSYS)?.cred().uid as i64)
}

pub fn sys_geteuid() -> Result<i64, Errno> {
    Ok(crate::current().process().ok_or(ENOSYS)?.cred().euid as i64)
}

pub fn sys_getgid() -> Result<i64, Errno> {
    Ok(crate::current().process().ok_or(ENOSYS)?.cred().gid as i64)
}

pub fn sys_getegid() -> Result<i64, Errno> {
    Ok(crate::current().process().ok_or(ENOSYS)?.cred().egid as i64)
}

/// `setuid(2)`.
pub fn sys_setuid(uid: u64) -> Result<i64, Errno> {
    let uid = u32::try_from(uid).map_err(|_| EINVAL)?;
    if uid == u32::MAX {
        return Err(EINVAL);
    }
    let me = crate::current();
    let p = me.process().ok_or(ENOSYS)?;
    let mut c = (*p.cred()).clone();
    if c.capable(CAP_SETUID) {
        c.uid = uid;
        c.euid = uid;
        c.suid = uid;
    } else if uid == c.uid || uid == c.suid {
        c.euid = uid;
    } else {
        return Err(EPERM);
    }
    // Leaving uid 0 drops the capabilities (cap_emulate_setxuid).
    if c.euid != 0 && c.uid != 0 && c.suid != 0 {
        c.cap_effective = 0;
    }
    *p.cred.lock() = Arc::new(c);
    Ok(0)
}

/// `setgid(2)`.
pub fn sys_setgid(gid: u64) -> Result<i64, Errno> {
    let gid = u32::try_from(gid).map_err(|_| EINVAL)?;
    if gid == u32::MAX {
        return Err(EINVAL);
    }
    let me = crate::current();
    let p = me.process().ok_or(ENOSYS)?;
    let mut c = (*p.cred()).clone();
    if c.capable(CAP_SETGID) {
        c.gid = gid;
        c.egid = gid;
        c.sgid = gid;
    } else if gid == c.gid || gid == c.sgid {
        c.egid = gid;
    } else {
        return Err(EPERM);
    }
    *p.cred.lock() = Arc::new(c);
    Ok(0)
}

fn find_process(pid: Pid) -> Option<Arc<Task>> {
    let t = crate::kernel().find_task(pid)?;
    (t.pid == t.tgid && t.process().is_some_and(|p| p.exit_state() == 0)).then_some(t)
}

/// `setpgid(2)`.
pub fn sys_setpgid(pid: u64, pgid: u64) -> Result<i64, Errno> {
    let me = crate::current();
    let mp = me.process().ok_or(ENOSYS)?;
    let pid = pid as u32 as i32;
    let pgid = pgid as u32 as i32;
    if pgid < 0 || pid < 0 {
        return Err(EINVAL);
    }
    let pid = if pid == 0 { me.tgid } else { pid };
    let pgid = if pgid == 0 { pid } else { pgid };
    let t = find_process(pid).ok_or(ESRCH)?;
    let tp = t.process().ok_or(ESRCH)?;
    let is_child = t.ppid.load(Ordering::Acquire) == me.tgid;
    if t.tgid != me.tgid && !is_child {
        return Err(ESRCH);
    }
    if is_child && tp.signal.session() != mp.signal.session() {
        return Err(EPERM);
    }
    if tp.signal.session() == t.tgid {
        return Err(EPERM); // a session leader
    }
    if pgid != pid {
        // The group must exist in the caller's session.
        let k = crate::kernel();
        let exists = k.tasks.read().values().any(|x| {
            x.process().is_some_and(|xp| {
                xp.signal.pgrp() == pgid && xp.signal.session() == mp.signal.session()
            })
        });
        if !exists {
            return Err(EPERM);
        }
    }
    tp.signal.pgrp.store(pgid, Ordering::Release);
    Ok(0)
}

/// `getpgid(2)`.
pub fn sys_getpgid(pid: u64) -> Result<i64, Errno> {
    let me = crate::current();
    let mp = me.process().ok_or(ENOSYS)?;
    let pid = pid as u32 as i32;
    if pid == 0 || pid == me.tgid {
        return Ok(mp.signal.pgrp() as i64);
    }
    let t = find_process(pid).ok_or(ESRCH)?;
    Ok(t.process().ok_or(ESRCH)?.signal.pgrp() as i64)
}

/// `getsid(2)`.
pub fn sys_getsid(pid: u64) -> Result<i64, Errno> {
    let me = crate::current();
    let mp = me.process().ok_or(ENOSYS)?;
    let pid = pid as u32 as i32;
    if pid == 0 || pid == me.tgid {
        return Ok(mp.signal.session() as i64);
    }
    let t = find_process(pid).ok_or(ESRCH)?;
    Ok(t.process().ok_or(ESRCH)?.signal.session() as i64)
}

/// `setsid(2)`: a new session and group led by the caller.
pub fn sys_setsid() -> Result<i64, Errno> {
    let me = crate::current();
    let mp = me.process().ok_or(ENOSYS)?;
    let k = crate::kernel();
    let leads_group =
        k.tasks.read().values().any(|x| {
            x.tgid != me.tgid && x.process().is_some_and(|xp| xp.signal.pgrp() == me.tgid)
        });
    if mp.signal.pgrp() == me.tgid || leads_group {
        return Err(EPERM);
    }
    mp.signal.session.store(me.tgid, Ordering::Release);
    mp.signal.pgrp.store(me.tgid, Ordering::Release);
    Ok(me.tgid as i64)
}

/// `struct new_utsname`: six 65-byte fields.
pub fn sys_uname(buf: u64) -> Result<i64, Errno> {
    let c = crate::fs::syscalls::caller()?;
    let fields = [
        "Linux",
        "usk",
        crate::kernel::panic::UTS_RELEASE,
        "#1 SMP",
        "x86_64",
        "(none)",
    ];
    let mut b = vec![0u8; 65 * 6];
    for (i, f) in fields.iter().enumerate() {
        b[i * 65..i * 65 + f.len()].copy_from_slice(f.as_bytes());
    }
    c.mm.copy_to_user(buf, &b)?;
    Ok(0)
}

/// `prlimit64(2)` (also getrlimit/setrlimit with pid 0).
pub fn sys_prlimit64(pid: u64, resource: u64, new: u64, old: u64) -> Result<i64, Errno> {
    let me = crate::current();
    let _ = me.process().ok_or(ENOSYS)?;
    let c = crate::fs::syscalls::caller()?;
    let res = resource as usize;
    if res >= RLIM_NLIMITS {
        return Err(EINVAL);
    }
    let pid = pid as u32 as i32;
    let t = if pid == 0 || pid == me.tgid {
        me
    } else {
        find_process(pid).ok_or(ESRCH)?
    };
    let tp = t.process().ok_or(ESRCH)?;
    let newlim = if new != 0 {
        let mut b = [0u8; 16];
        c.mm.copy_from_user(&mut b, new)?;
        let cur = u64::from_ne_bytes(b[..8].try_into().expect("8"));
        let max = u64::from_ne_bytes(b[8..].try_into().expect("8"));
        if cur > max {
            return Err(EINVAL);
        }
        Some(Rlimit { cur, max })
    } else {
        None
    };
    let oldlim = {
        let mut rl = tp.signal.rlim.lock();
        let oldlim = rl[res];
        if let Some(n) = newlim {
            if n.max > oldlim.max && !capable(CAP_SYS_RESOURCE) {
                return Err(EPERM);
            }
            if res == RLIMIT_NOFILE && n.cur > 1 << 20 {
                return Err(EPERM);
            }
            rl[res] = n;
        }
        oldlim
    };
    if let (Some(n), RLIMIT_NOFILE) = (newlim, res) {
        tp.files().set_rlimit_nofile(n.cur.min(1 << 20) as usize)?;
    }
    if old != 0 {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&oldlim.cur.to_ne_bytes());
        b[8..].copy_from_slice(&oldlim.max.to_ne_bytes());
        c.mm.copy_to_user(old, &b)?;
    }
    Ok(0)
}

pub fn sys_getrlimit(resource: u64, rlim: u64) -> Result<i64, Errno> {
    sys_prlimit64(0, resource, 0, rlim)
}

pub fn sys_setrlimit(resource: u64, rlim: u64) -> Result<i64, Errno> {
    if rlim == 0 {
        return Err(EFAULT);
    }
    sys_prlimit64(0, resource, rlim, 0)
}

/// `sysinfo(2)`: `struct sysinfo` (112 bytes on x86-64).
pub fn sys_sysinfo(info: u64) -> Result<i64, Errno> {
    let c = crate::fs::syscalls::caller()?;
    let k = crate::kernel();
    let mut b = vec![0u8; 112];
    let put =
        |b: &mut Vec<u8>, off: usize, v: u64| b[off..off + 8].copy_from_slice(&v.to_ne_bytes());
    put(&mut b, 0, k.clock.now_ns() / 1_000_000_000);
    // loads[] scale: 1 << SI_LOAD_SHIFT (16); avenrun is 1 << FSHIFT (11).
    for (i, a) in k.loadavg.avenrun.iter().enumerate() {
        put(&mut b, 8 + 8 * i, a.load(Ordering::Relaxed) << 5);
    }
    put(&mut b, 32, k.mm.totalram_pages() * 4096);
    put(&mut b, 40, k.mm.nr_free_pages() * 4096);
    b[80..82].copy_from_slice(&(k.pids().len() as u16).to_ne_bytes());
    b[104..108].copy_from_slice(&1u32.to_ne_bytes()); // mem_unit
    c.mm.copy_to_user(info, &b)?;
    Ok(0)
}

/// `sched_yield(2)`.
pub fn sys_sched_yield() -> Result<i64, Errno> {
    crate::kernel::sched::core::yield_now();
    Ok(0)
}

/// Clock ids.
pub const CLOCK_REALTIME: u64 = 0;
pub const CLOCK_MONOTONIC: u64 = 1;
pub const CLOCK_PROCESS_CPUTIME_ID: u64 = 2;
pub const CLOCK_THREAD_CPUTIME_ID: u64 = 3;
pub const CLOCK_MONOTONIC_RAW: u64 = 4;
pub const CLOCK_BOOTTIME: u64 = 7;
pub const TIMER_ABSTIME: u64 = 1;

fn clock_now(which: u64) -> Result<u64, Errno> {
    let k = crate::kernel();
    let mono = k.clock.now_ns();
    Ok(match which {
        CLOCK_REALTIME => k.boot_time_secs * 1_000_000_000 + mono,
        CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_BOOTTIME | 5 | 6 => mono,
        CLOCK_PROCESS_CPUTIME_ID | CLOCK_THREAD_CPUTIME_ID => crate::current().sum_exec_runtime(),
        _ => return Err(EINVAL),
    })
}

fn put_timespec(mm: &crate::mm::MmStruct, addr: u64, ns: u64) -> Result<(), Errno> {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&(ns / 1_000_000_000).to_ne_bytes());
    b[8..].copy_from_slice(&(ns % 1_000_000_000).to_ne_bytes());
    mm.copy_to_user(addr, &b)
}

fn get_timespec(mm: &crate::mm::MmStruct, addr: u64) -> Result<u64, Errno> {
    let mut b = [0u8; 16];
    mm.copy_from_user(&mut b, addr)?;
    let sec = i64::from_ne_bytes(b[..8].try_into().expect("8"));
    let nsec = i64::from_ne_bytes(b[8..].try_into().expect("8"));
    if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
        return Err(EINVAL);
    }
    Ok((sec as u64)
        .saturating_mul(1_000_000_000)
        .saturating_add(nsec as u64))
}

pub fn sys_clock_gettime(which: u64, tp: u64) -> Result<i64, Errno> {
    let c = crate::fs::syscalls::caller()?;
    put_timespec(&c.mm, tp, clock_now(which)?)?;
    Ok(0)
}

pub fn sys_gettimeofday(tv: u64, _tz: u64) -> Result<i64, Errno> {
    if tv == 0 {
        return Ok(0);
    }
    let c = crate::fs::syscalls::caller()?;
    let ns = clock_now(CLOCK_REALTIME)?;
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&(ns / 1_000_000_000).to_ne_bytes());
    b[8..].copy_from_slice(&((ns % 1_000_000_000) / 1000).to_ne_bytes());
    c.mm.copy_to_user(tv, &b)?;
    Ok(0)
}

/// Sleep until `deadline` on `which`'s clock; interruptible.
fn do_nanosleep(which: u64, deadline: u64, rem: u64) -> Result<i64, Errno> {
    let me = crate::current();
    loop {
        let now = clock_now(which)?;
        if now >= deadline {
            return Ok(0);
        }
        if me.signal_pending() {
            if rem != 0 {
                let c = crate::fs::syscalls::caller()?;
                put_timespec(&c.mm, rem, deadline - now)?;
            }
            return Err(ERESTART_RESTARTBLOCK);
        }
        let j = crate::kernel::time::usecs_to_jiffies((deadline - now).div_ceil(1000)).max(1);
        crate::kernel::sched::core::schedule_timeout_interruptible(j);
    }
}

pub fn sys_nanosleep(req: u64, rem: u64) -> Result<i64, Errno> {
    let c = crate::fs::syscalls::caller()?;
    let d = get_timespec(&c.mm, req)?;
    let now = clock_now(CLOCK_MONOTONIC)?;
    do_nanosleep(CLOCK_MONOTONIC, now.saturating_add(d), rem)
}

pub fn sys_clock_nanosleep(which: u64, flags: u64, req: u64, rem: u64) -> Result<i64, Errno> {
    let c = crate::fs::syscalls::caller()?;
    if matches!(which, CLOCK_THREAD_CPUTIME_ID) {
        return Err(EINVAL);
    }
    let d = get_timespec(&c.mm, req)?;
    let now = clock_now(which)?;
    if flags & TIMER_ABSTIME != 0 {
        do_nanosleep(which, d, 0)
    } else {
        do_nanosleep(which, now.saturating_add(d), rem)
    }
}

/// `syslog(2)` actions.
pub const SYSLOG_ACTION_CLOSE: u64 = 0;
pub const SYSLOG_ACTION_OPEN: u64 = 1;
pub const SYSLOG_ACTION_READ: u64 = 2;
pub const SYSLOG_ACTION_READ_ALL: u64 = 3;
pub const SYSLOG_ACTION_READ_CLEAR: u64 = 4;
pub const SYSLOG_ACTION_CLEAR: u64 = 5;
pub const SYSLOG_ACTION_CONSOLE_OFF: u64 = 6;
pub const SYSLOG_ACTION_CONSOLE_ON: u64 = 7;
pub const SYSLOG_ACTION_CONSOLE_LEVEL: u64 = 8;
pub const SYSLOG_ACTION_SIZE_UNREAD: u64 = 9;
pub const SYSLOG_ACTION_SIZE_BUFFER: u64 = 10;

/// `syslog(2)`: read the kernel log (what `dmesg` uses), clear it, and
/// control the console level. Reading all is open to everyone
/// (`dmesg_restrict=0`); the rest needs CAP_SYS_ADMIN.
pub fn sys_syslog(action: u64, buf: u64, len: u64) -> Result<i64, Errno> {
    let k = crate::kernel();
    let p = &k.printk;
    match action {
        SYSLOG_ACTION_CLOSE | SYSLOG_ACTION_OPEN => Ok(0),
        SYSLOG_ACTION_READ | SYSLOG_ACTION_READ_ALL | SYSLOG_ACTION_READ_CLEAR => {
            if action != SYSLOG_ACTION_READ_ALL {
                require_cap(CAP_SYS_ADMIN)?;
            }
            let len = usize::try_from(len as u32 as i32).map_err(|_| EINVAL)?;
            if buf == 0 {
                return Err(EINVAL);
            }
            let text = p.syslog_text();
            let bytes = text.as_bytes();
            // The newest `len` bytes, starting at a record boundary.
            let mut start = bytes.len().saturating_sub(len);
            while start > 0 && start < bytes.len() && bytes[start - 1] != b'\n' {
                start += 1;
            }
            let chunk = &bytes[start.min(bytes.len())..];
            let c = crate::fs::syscalls::caller()?;
            c.mm.copy_to_user(buf, chunk)?;
            if action == SYSLOG_ACTION_READ_CLEAR {
                p.syslog_clear();
            }
            Ok(chunk.len() as i64)
        }
        SYSLOG_ACTION_CLEAR => {
            require_cap(CAP_SYS_ADMIN)?;
            p.syslog_clear();
            Ok(0)
        }
        SYSLOG_ACTION_CONSOLE_OFF | SYSLOG_ACTION_CONSOLE_ON => {
            require_cap(CAP_SYS_ADMIN)?;
            if action == SYSLOG_ACTION_CONSOLE_OFF {
                p.console_off();
            } else {
                p.console_on();
            }
            Ok(0)
        }
        SYSLOG_ACTION_CONSOLE_LEVEL => {
            require_cap(CAP_SYS_ADMIN)?;
            if !(1..=8).contains(&len) {
                return Err(EINVAL);
            }
            p.console_loglevel
                .store(len.max(2) as u32, Ordering::Release);
            Ok(0)
        }
        SYSLOG_ACTION_SIZE_UNREAD | SYSLOG_ACTION_SIZE_BUFFER => {
            Ok(p.syslog_text().len().max(1 << 17) as i64)
        }
        _ => Err(EINVAL),
    }
}

/// `set_tid_address(2)`.
pub fn sys_set_tid_address(tidptr: u64) -> Result<i64, Errno> {
    let me = crate::current();
    let p = me.process().ok_or(ENOSYS)?;
    p.clear_child_tid.store(tidptr, Ordering::Release);
    Ok(me.pid as i64)
}

/// `times(2)`: `struct tms` in clock ticks; returns ticks since boot.
pub fn sys_times(buf: u64) -> Result<i64, Errno> {
    let me = crate::current();
    let p = me.process().ok_or(ENOSYS)?;
    let k = crate::kernel();
    let to_ticks = |ns: u64| ns / (1_000_000_000 / 100);
    if buf != 0 {
        let c = crate::fs::syscalls::caller()?;
        let u = me.stats.utime.load(Ordering::Relaxed);
        let s = me.sum_exec_runtime().saturating_sub(u);
        let mut b = [0u8; 32];
        b[0..8].copy_from_slice(&to_ticks(u).to_ne_bytes());
        b[8..16].copy_from_slice(&to_ticks(s).to_ne_bytes());
        b[16..24].copy_from_slice(&to_ticks(p.signal.cutime.load(Ordering::Relaxed)).to_ne_bytes());
        b[24..32].copy_from_slice(&to_ticks(p.signal.cstime.load(Ordering::Relaxed)).to_ne_bytes());
        c.mm.copy_to_user(buf, &b)?;
    }
    Ok(to_ticks(k.clock.now_ns()) as i64)
}
