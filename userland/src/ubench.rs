//! `ubench WHAT N`: the user-space microbenchmarks of issue 4, one program
//! for usk and the host (the differential idea: the same ulib code on both
//! kernels). It times N iterations of one workload with
//! `clock_gettime(CLOCK_MONOTONIC)` and prints `ubench WHAT iters=N ns=T`.
//!
//! * `getpid N`: N `getpid()` system calls.
//! * `fork N`: N × (fork, the child exits 0 at once, wait4). Before the
//!   timer starts the parent maps 1 MiB of anonymous memory and writes all
//!   of it, so each fork copies 256 resident, private PTEs (write-protecting
//!   them for copy-on-write: after the first fork they are already
//!   read-only), and each exit tears the child's copy down again. The child
//!   touches nothing.
//! * `pipe N`: a forked writer writes N + 1 chunks of 64 KiB into a pipe;
//!   the parent reads them with 64 KiB reads. The timer starts once the
//!   first (warm-up) chunk has been read and stops at end of file, so fork
//!   and wait are not counted.
//! * `fault N`: the first touch (a one-byte store) of N fresh anonymous
//!   pages, mapped 4 MiB at a time; only the stores are timed, not mmap
//!   and munmap.
//!
//! Caveats: what a "store" is depends on the backend. On usk a user store
//! goes through the software MMU; on the host backend ulib's stores are
//! `process_vm_writev` calls, one system call each, so `fault` on the host
//! measures that call and not a hardware page fault (the benchmarks compare
//! usk's `fault` with a raw-pointer peer instead). The clock read brackets
//! the whole loop, so its own cost is negligible for large N.

use ulib::uapi::errno::EIO;
use ulib::uapi::mman::{MAP_ANONYMOUS, MAP_PRIVATE, PAGE_SIZE, PROT_READ, PROT_WRITE};
use ulib::wait::{wexitstatus, wifexited};
use ulib::{ueprintln, uprintln, Result};

/// Bytes the parent of `fork` has written before forking.
pub const FORK_TOUCH: u64 = 1 << 20;
/// The size of each write and read of `pipe`.
pub const PIPE_CHUNK: usize = 64 * 1024;
/// Pages mapped at a time by `fault`.
pub const FAULT_BATCH: u64 = 1024;

/// What `ubench` can measure.
pub const WORKLOADS: &[&str] = &["getpid", "fork", "pipe", "fault"];

fn anon_map(len: u64) -> Result<u64> {
    ulib::mmap(
        0,
        len,
        PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS,
        -1,
        0,
    )
}

/// `n` getpid() calls; ns taken.
pub fn getpid_loop(n: u64) -> Result<u64> {
    let me = ulib::getpid();
    let t0 = ulib::monotonic_ns();
    for _ in 0..n {
        if std::hint::black_box(ulib::getpid()) != me {
            return Err(EIO);
        }
    }
    Ok(ulib::monotonic_ns() - t0)
}

/// `n` × (fork, child exits at once, wait4) with [`FORK_TOUCH`] bytes
/// written before the first fork; ns taken.
pub fn fork_loop(n: u64) -> Result<u64> {
    let a = anon_map(FORK_TOUCH)?;
    ulib::backend::store(a, &vec![0xa5; FORK_TOUCH as usize]);
    let t0 = ulib::monotonic_ns();
    for _ in 0..n {
        let pid = ulib::fork(|| 0)?;
        let (p, st) = ulib::wait4(pid, 0)?;
        if p != pid || !wifexited(st) || wexitstatus(st) != 0 {
            return Err(EIO);
        }
    }
    let d = ulib::monotonic_ns() - t0;
    ulib::munmap(a, FORK_TOUCH)?;
    Ok(d)
}

/// Read exactly `want` bytes from `fd` in reads of up to [`PIPE_CHUNK`];
/// false at an early end of file.
fn read_exact(fd: i32, buf: &mut [u8], mut want: usize) -> Result<bool> {
    while want > 0 {
        let k = want.min(buf.len());
        let got = ulib::read(fd, &mut buf[..k])?;
        if got == 0 {
            return Ok(false);
        }
        want -= got;
    }
    Ok(true)
}

/// `n` chunks of [`PIPE_CHUNK`] bytes from a writer child to the parent
/// (after one untimed chunk); ns taken.
pub fn pipe_loop(n: u64) -> Result<u64> {
    let (r, w) = ulib::pipe()?;
    let child = ulib::fork(move || {
        let _ = ulib::close(r);
        let chunk = vec![0x5a; PIPE_CHUNK];
        for _ in 0..=n {
            if ulib::write_all(w, &chunk).is_err() {
                return 1;
            }
        }
        0
    })?;
    ulib::close(w)?;
    let mut buf = vec![0u8; PIPE_CHUNK];
    let warm = read_exact(r, &mut buf, PIPE_CHUNK)?;
    let t0 = ulib::monotonic_ns();
    let all = warm && read_exact(r, &mut buf, n as usize * PIPE_CHUNK)?;
    let eof = ulib::read(r, &mut buf)? == 0;
    let d = ulib::monotonic_ns() - t0;
    ulib::close(r)?;
    let (_, st) = ulib::wait4(child, 0)?;
    if !all || !eof || !wifexited(st) || wexitstatus(st) != 0 || buf[0] != 0x5a {
        return Err(EIO);
    }
    Ok(d)
}

/// First touch of `n` fresh anonymous pages, [`FAULT_BATCH`] pages per
/// mapping; ns taken by the stores alone.
pub fn fault_loop(n: u64) -> Result<u64> {
    let mut left = n;
    let mut d = 0;
    while left > 0 {
        let pages = left.min(FAULT_BATCH);
        let a = anon_map(pages * PAGE_SIZE)?;
        let t0 = ulib::monotonic_ns();
        for i in 0..pages {
            ulib::backend::store(a + i * PAGE_SIZE, &[1]);
        }
        d += ulib::monotonic_ns() - t0;
        ulib::munmap(a, pages * PAGE_SIZE)?;
        left -= pages;
    }
    Ok(d)
}

/// Run workload `what` for `n` iterations; ns taken.
pub fn run(what: &str, n: u64) -> Option<Result<u64>> {
    Some(match what {
        "getpid" => getpid_loop(n),
        "fork" => fork_loop(n),
        "pipe" => pipe_loop(n),
        "fault" => fault_loop(n),
        _ => return None,
    })
}

pub fn main(args: &[String]) -> i32 {
    let parsed = match args {
        [_, what, n] => n.parse::<u64>().ok().map(|n| (what.as_str(), n)),
        _ => None,
    };
    let Some((what, n)) = parsed else {
        ueprintln!("usage: ubench {{{}}} N", WORKLOADS.join("|"));
        return 2;
    };
    match run(what, n) {
        Some(Ok(ns)) => {
            uprintln!("ubench {what} iters={n} ns={ns}");
            0
        }
        Some(Err(e)) => {
            ueprintln!("ubench: {what}: {}", e.message());
            1
        }
        None => {
            ueprintln!(
                "ubench: unknown workload '{what}' (try {})",
                WORKLOADS.join(", ")
            );
            2
        }
    }
}
