//! Time, system information and log calls: nanosleep, clock_gettime,
//! sched_yield, uname, sysinfo, prlimit64, syslog.
//!
//! `struct utsname`, `struct sysinfo` and `struct rlimit64` are not in
//! uapi yet; their x86-64 layouts are decoded here.

use super::sc;
use crate::mem::Scratch;
use crate::Result;
use uapi::stat::Timespec;
use uapi::unistd::*;

fn ts_bytes(t: &Timespec) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&t.tv_sec.to_ne_bytes());
    b[8..].copy_from_slice(&t.tv_nsec.to_ne_bytes());
    b
}

fn ts_at(s: &Scratch, off: usize) -> Timespec {
    Timespec {
        tv_sec: s.get_u64(off) as i64,
        tv_nsec: s.get_u64(off + 8) as i64,
    }
}

/// nanosleep(2); on EINTR the remaining time is returned with the error.
pub fn nanosleep(req: &Timespec) -> core::result::Result<(), (uapi::Errno, Timespec)> {
    let s = Scratch::new(32).map_err(|e| (e, *req))?;
    s.put(0, &ts_bytes(req));
    s.put(16, &[0; 16]);
    match sc(__NR_nanosleep, &[s.addr(0), s.addr(16)]) {
        Ok(_) => Ok(()),
        Err(e) => Err((e, ts_at(&s, 16))),
    }
}

pub const CLOCK_REALTIME: i32 = 0;
pub const CLOCK_MONOTONIC: i32 = 1;

pub fn clock_gettime(clock: i32) -> Result<Timespec> {
    let s = Scratch::new(16)?;
    sc(__NR_clock_gettime, &[clock as u64, s.addr(0)])?;
    Ok(ts_at(&s, 0))
}

/// CLOCK_MONOTONIC in nanoseconds (0 if the clock cannot be read).
pub fn monotonic_ns() -> u64 {
    clock_gettime(CLOCK_MONOTONIC)
        .map(|t| t.tv_sec as u64 * 1_000_000_000 + t.tv_nsec as u64)
        .unwrap_or(0)
}

pub fn sched_yield() -> Result<()> {
    sc(__NR_sched_yield, &[]).map(drop)
}

/// `struct utsname` (six 65-byte fields).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Utsname {
    pub sysname: String,
    pub nodename: String,
    pub release: String,
    pub version: String,
    pub machine: String,
    pub domainname: String,
}

pub fn uname() -> Result<Utsname> {
    const F: usize = 65;
    let s = Scratch::new(6 * F)?;
    sc(__NR_uname, &[s.addr(0)])?;
    let b = s.get_vec(0, 6 * F);
    let field = |i: usize| {
        let f = &b[i * F..(i + 1) * F];
        let n = f.iter().position(|&c| c == 0).unwrap_or(F);
        String::from_utf8_lossy(&f[..n]).into_owned()
    };
    Ok(Utsname {
        sysname: field(0),
        nodename: field(1),
        release: field(2),
        version: field(3),
        machine: field(4),
        domainname: field(5),
    })
}

/// `struct sysinfo` on x86-64 (112 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sysinfo {
    pub uptime: i64,
    pub loads: [u64; 3],
    pub totalram: u64,
    pub freeram: u64,
    pub sharedram: u64,
    pub bufferram: u64,
    pub totalswap: u64,
    pub freeswap: u64,
    pub procs: u16,
    pub totalhigh: u64,
    pub freehigh: u64,
    pub mem_unit: u32,
}

pub fn sysinfo() -> Result<Sysinfo> {
    let s = Scratch::new(112)?;
    sc(__NR_sysinfo, &[s.addr(0)])?;
    let q = |o: usize| s.get_u64(o);
    let mut small = [0u8; 4];
    s.get(104, &mut small);
    let mut procs = [0u8; 2];
    s.get(80, &mut procs);
    Ok(Sysinfo {
        uptime: q(0) as i64,
        loads: [q(8), q(16), q(24)],
        totalram: q(32),
        freeram: q(40),
        sharedram: q(48),
        bufferram: q(56),
        totalswap: q(64),
        freeswap: q(72),
        procs: u16::from_ne_bytes(procs),
        totalhigh: q(88),
        freehigh: q(96),
        mem_unit: u32::from_ne_bytes(small),
    })
}

/// `struct rlimit64`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rlimit {
    pub cur: u64,
    pub max: u64,
}

pub const RLIM_INFINITY: u64 = u64::MAX;
pub const RLIMIT_NOFILE: u32 = 7;
pub const RLIMIT_NPROC: u32 = 6;
pub const RLIMIT_STACK: u32 = 3;
pub const RLIMIT_AS: u32 = 9;

/// prlimit64(2): set `new` (if any) for `resource` of `pid`; returns the old.
pub fn prlimit64(pid: i32, resource: u32, new: Option<Rlimit>) -> Result<Rlimit> {
    let s = Scratch::new(32)?;
    if let Some(n) = new {
        s.put(0, &n.cur.to_ne_bytes());
        s.put(8, &n.max.to_ne_bytes());
    }
    let np = if new.is_some() { s.addr(0) } else { 0 };
    sc(
        __NR_prlimit64,
        &[pid as u64, resource as u64, np, s.addr(16)],
    )?;
    Ok(Rlimit {
        cur: s.get_u64(16),
        max: s.get_u64(24),
    })
}

/// syslog(2) actions (`SYSLOG_ACTION_*`).
pub const SYSLOG_ACTION_READ_ALL: i32 = 3;
pub const SYSLOG_ACTION_CLEAR: i32 = 5;
pub const SYSLOG_ACTION_SIZE_UNREAD: i32 = 9;
pub const SYSLOG_ACTION_SIZE_BUFFER: i32 = 10;

/// syslog(2) for the actions without a buffer (SIZE_BUFFER, CLEAR, ...).
pub fn syslog(action: i32, len: i32) -> Result<i64> {
    sc(__NR_syslog, &[action as u64, 0, len as i64 as u64])
}

/// syslog(2) for the reading actions: up to `len` bytes of the log.
pub fn syslog_read(action: i32, len: usize) -> Result<Vec<u8>> {
    let s = Scratch::new(len)?;
    let n = sc(__NR_syslog, &[action as u64, s.addr(0), len as u64])? as usize;
    Ok(s.get_vec(0, n.min(len)))
}

/// finit_module(2): load the module in the file at `fd` with `params`
/// ("a=1 b=2").
pub fn finit_module(fd: i32, params: &str, flags: u64) -> Result<()> {
    let mut l = crate::mem::Layout::default();
    let p = l.push_cstr(params)?;
    let s = l.build()?;
    sc(__NR_finit_module, &[fd as u64, s.addr(p), flags]).map(drop)
}

/// delete_module(2).
pub fn delete_module(name: &str, flags: u64) -> Result<()> {
    let mut l = crate::mem::Layout::default();
    let n = l.push_cstr(name)?;
    let s = l.build()?;
    sc(__NR_delete_module, &[s.addr(n), flags]).map(drop)
}

/// perf_event_open(2): `attr` is a `struct perf_event_attr` image (its
/// `size` field says how much of it the kernel reads).
pub fn perf_event_open(attr: &[u8], pid: i32, cpu: i32, group_fd: i32, flags: u64) -> Result<i32> {
    let s = Scratch::new(attr.len())?;
    s.put(0, attr);
    sc(
        __NR_perf_event_open,
        &[
            s.addr(0),
            pid as i64 as u64,
            cpu as i64 as u64,
            group_fd as i64 as u64,
            flags,
        ],
    )
    .map(|fd| fd as i32)
}

/// times(2): `[tms_utime, tms_stime, tms_cutime, tms_cstime]` in clock
/// ticks (`USER_HZ`, 100 a second).
pub fn times() -> Result<[u64; 4]> {
    let s = Scratch::new(32)?;
    sc(__NR_times, &[s.addr(0)])?;
    Ok([s.get_u64(0), s.get_u64(8), s.get_u64(16), s.get_u64(24)])
}
