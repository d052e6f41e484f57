//! Process calls: ids, process groups and sessions, credentials, execve,
//! exit, wait4. (fork/vfork/clone are in [`crate::process`]: they need
//! continuations.)

use super::{sc, syscall6};
use crate::mem::Layout;
use crate::Result;
use uapi::unistd::*;
use uapi::Errno;

pub fn getpid() -> i32 {
    syscall6(__NR_getpid, [0; 6]) as i32
}
pub fn getppid() -> i32 {
    syscall6(__NR_getppid, [0; 6]) as i32
}
pub fn gettid() -> i32 {
    syscall6(__NR_gettid, [0; 6]) as i32
}
pub fn getuid() -> u32 {
    syscall6(__NR_getuid, [0; 6]) as u32
}
pub fn geteuid() -> u32 {
    syscall6(__NR_geteuid, [0; 6]) as u32
}
pub fn getgid() -> u32 {
    syscall6(__NR_getgid, [0; 6]) as u32
}
pub fn getegid() -> u32 {
    syscall6(__NR_getegid, [0; 6]) as u32
}
pub fn setuid(uid: u32) -> Result<()> {
    sc(__NR_setuid, &[uid as u64]).map(drop)
}
pub fn setgid(gid: u32) -> Result<()> {
    sc(__NR_setgid, &[gid as u64]).map(drop)
}
pub fn setpgid(pid: i32, pgid: i32) -> Result<()> {
    sc(__NR_setpgid, &[pid as u64, pgid as u64]).map(drop)
}
pub fn getpgid(pid: i32) -> Result<i32> {
    Ok(sc(__NR_getpgid, &[pid as u64])? as i32)
}
pub fn setsid() -> Result<i32> {
    Ok(sc(__NR_setsid, &[])? as i32)
}
pub fn getsid(pid: i32) -> Result<i32> {
    Ok(sc(__NR_getsid, &[pid as u64])? as i32)
}

/// execve(2): only returns on failure.
pub fn execve<A: AsRef<str>, E: AsRef<str>>(path: &str, argv: &[A], envp: &[E]) -> Errno {
    match execve_inner(path, argv, envp) {
        Ok(()) => uapi::errno::EIO,
        Err(e) => e,
    }
}

fn execve_inner<A: AsRef<str>, E: AsRef<str>>(path: &str, argv: &[A], envp: &[E]) -> Result<()> {
    crate::io::flush_all();
    let mut l = Layout::default();
    let p = l.push_cstr(path)?;
    let a: Vec<usize> = argv
        .iter()
        .map(|s| l.push_cstr(s.as_ref()))
        .collect::<Result<_>>()?;
    let e: Vec<usize> = envp
        .iter()
        .map(|s| l.push_cstr(s.as_ref()))
        .collect::<Result<_>>()?;
    let av = l.reserve(8 * (a.len() + 1));
    let ev = l.reserve(8 * (e.len() + 1));
    let s = l.build()?;
    let table = |offs: &[usize]| {
        let mut v: Vec<u8> = offs.iter().flat_map(|&o| s.addr(o).to_ne_bytes()).collect();
        v.extend_from_slice(&[0; 8]);
        v
    };
    s.put(av, &table(&a));
    s.put(ev, &table(&e));
    sc(__NR_execve, &[s.addr(p), s.addr(av), s.addr(ev)]).map(drop)
}

/// exit(2): end the calling thread.
pub fn exit(code: i32) -> ! {
    crate::io::flush_all();
    syscall6(__NR_exit, [code as u64, 0, 0, 0, 0, 0]);
    panic!("exit({code}) returned");
}

/// exit_group(2): end the process (stdout is flushed first).
pub fn exit_group(code: i32) -> ! {
    crate::io::flush_all();
    syscall6(__NR_exit_group, [code as u64, 0, 0, 0, 0, 0]);
    panic!("exit_group({code}) returned");
}

/// wait4(2) without rusage: `(pid, status)`; pid 0 with WNOHANG when no
/// child has changed state.
pub fn wait4(pid: i32, options: u32) -> Result<(i32, i32)> {
    let s = crate::mem::Scratch::new(8)?;
    s.put(0, &[0; 4]);
    let r = sc(
        __NR_wait4,
        &[pid as i64 as u64, s.addr(0), options as u64, 0],
    )? as i32;
    let mut b = [0u8; 4];
    s.get(0, &mut b);
    Ok((r, i32::from_ne_bytes(b)))
}
