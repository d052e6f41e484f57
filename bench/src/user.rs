//! Harness of the user-space benchmarks (issue 4): the `ubench` applet
//! (`userland/src/ubench.rs`) run as init of a booted usk, and the same
//! applet — or a raw libc peer — run on the host kernel, in a host process
//! of its own.
//!
//! usk side: [`usk_ubench`] boots a small machine (2 CPUs, 128 MiB) whose
//! pid 1 execs `/bin/ubench WHAT N`; the applet times its loop with
//! `clock_gettime` inside usk and prints `ubench WHAT iters=N ns=T` on the
//! console, which the harness reads back. Boot, exec and power-off are
//! not counted.
//!
//! Host side: [`host_ubench`] re-executes the current benchmark binary
//! with [`CHILD_ENV`] set (the binary's `main` calls [`host_child_main`]
//! first), so the host program is a fresh, small process — a host `fork`
//! then copies that process, not the benchmark's heap — and prints the
//! same line. Peer [`Peer::Ulib`] runs the very same applet on ulib's host
//! backend; [`Peer::Libc`] runs a raw-libc version of the workload
//! (plain `read`/`write` on a pipe, pointer stores into `mmap`ed memory),
//! which is what "a host pipe" and "a host page fault" mean.
//!
//! Caveat: process start-up is outside the timed loops on both sides, but
//! the host child is started once per call, so short calls pay an
//! untimed ~1 ms each; criterion's iteration counts keep calls long.

use hw::{ConsoleBackend, MemoryConsole};
use kernel::init::kernel::{BootConfig, ExitReason};
use kernel::kernel::printk::Console;
use std::process::{Command, Stdio};
use std::time::Duration;
use userland::ubench::{FAULT_BATCH, PIPE_CHUNK};

/// Simulated CPUs of the usk machine.
pub const CPUS: usize = 2;
/// Memory of the usk machine.
pub const MEM: u64 = 128 << 20;

/// Set (to anything) in the environment of a host child run.
pub const CHILD_ENV: &str = "USK_BENCH_UBENCH_CHILD";

/// Which host program a host run executes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Peer {
    /// The `ubench` applet on ulib's host backend.
    Ulib,
    /// The raw-libc version of the workload (`pipe` and `fault` only).
    Libc,
}

impl Peer {
    fn name(self) -> &'static str {
        match self {
            Peer::Ulib => "ulib",
            Peer::Libc => "libc",
        }
    }
}

/// The ns of `ubench WHAT iters=N ns=T` in `out`.
fn parse_ns(out: &[u8], what: &str, n: u64) -> Option<u64> {
    let head = format!("ubench {what} iters={n} ns=");
    String::from_utf8_lossy(out)
        .lines()
        .find_map(|l| l.trim().strip_prefix(&head).map(|v| v.parse().ok()))
        .flatten()
}

/// Run `ubench WHAT N` as init of a fresh usk; the time its loop took.
/// Panics (with the console and the kernel log) if the run fails.
pub fn usk_ubench(what: &str, n: u64) -> Duration {
    run_usk(
        vec!["/bin/ubench".into(), what.into(), n.to_string()],
        what,
        n,
    )
}

/// Run `PREFIX ubench WHAT N` (e.g. under `perf stat ... --`) through the
/// shell as init; the time ubench's own loop took.
pub fn usk_ubench_under(prefix: &str, what: &str, n: u64) -> Duration {
    let cmd = format!("{prefix} ubench {what} {n}");
    run_usk(vec!["/sbin/init".into(), "-c".into(), cmd], what, n)
}

fn run_usk(init_argv: Vec<String>, what: &str, n: u64) -> Duration {
    userland::install();
    let console = MemoryConsole::new();
    let cfg = BootConfig {
        cpus: CPUS,
        mem_bytes: MEM,
        cmdline: "quiet".into(),
        console: Console::Silent,
        tty_console: ConsoleBackend::Memory(console.clone()),
        initramfs: userland::initramfs(),
        init_argv: Some(init_argv),
        ..Default::default()
    };
    let out = kernel::init::boot(cfg).expect("valid boot config");
    let text = console.output();
    match (&out.exit, parse_ns(&text, what, n)) {
        (ExitReason::PowerOff(0), Some(ns)) => Duration::from_nanos(ns),
        _ => panic!(
            "usk ubench {what} {n}: {:?}\nconsole:\n{}\ndmesg:\n{}",
            out.exit,
            String::from_utf8_lossy(&text),
            out.dmesg
        ),
    }
}

/// Run workload `what` for `n` iterations in a host child process.
pub fn host_ubench(peer: Peer, what: &str, n: u64) -> Duration {
    let exe = std::env::current_exe().expect("current executable");
    let out = Command::new(exe)
        .env(CHILD_ENV, "1")
        .args([peer.name(), what, &n.to_string()])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .expect("spawn the host child");
    match parse_ns(&out.stdout, what, n) {
        Some(ns) if out.status.success() => Duration::from_nanos(ns),
        _ => panic!(
            "host {} ubench {what} {n}: {}\n{}",
            peer.name(),
            out.status,
            String::from_utf8_lossy(&out.stdout)
        ),
    }
}

/// In a host child run (see [`host_ubench`]), run the workload named by
/// the arguments and exit; otherwise return at once. A benchmark binary
/// that uses [`host_ubench`] calls this first in `main`.
pub fn host_child_main() {
    if std::env::var_os(CHILD_ENV).is_none() {
        return;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (peer, what, n) = match &args[..] {
        [p, w, n] => (p.as_str(), w.clone(), n.parse::<u64>().unwrap_or(0)),
        _ => {
            eprintln!("host child: expected PEER WHAT N, got {args:?}");
            std::process::exit(2)
        }
    };
    match peer {
        "ulib" => ulib::rt::host_run(
            userland::ubench::main,
            vec!["ubench".into(), what, n.to_string()],
        ),
        "libc" => {
            let ns = match what.as_str() {
                "pipe" => libc_pipe(n),
                "fault" => libc_fault(n),
                _ => {
                    eprintln!("host child: no libc peer for '{what}'");
                    std::process::exit(2)
                }
            };
            println!("ubench {what} iters={n} ns={ns}");
            std::process::exit(0)
        }
        _ => {
            eprintln!("host child: unknown peer '{peer}'");
            std::process::exit(2)
        }
    }
}

fn now_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for the kernel to fill.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// Read exactly `want` bytes from `fd` into `buf`, chunk by chunk.
fn libc_read_exact(fd: i32, buf: &mut [u8], mut want: usize) -> bool {
    while want > 0 {
        let k = want.min(buf.len());
        // SAFETY: `buf[..k]` is writable memory we own.
        let got = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), k) };
        if got <= 0 {
            return false;
        }
        want -= got as usize;
    }
    true
}

/// The libc peer of `ubench pipe N`: a forked writer, 64 KiB `write`s and
/// `read`s on a host pipe, one untimed warm-up chunk.
fn libc_pipe(n: u64) -> u64 {
    let mut fds = [0i32; 2];
    // SAFETY: `fds` has room for the two descriptors.
    assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0, "pipe");
    let (r, w) = (fds[0], fds[1]);
    let mut buf = vec![0x5au8; PIPE_CHUNK];
    // SAFETY: the child only writes to the pipe and `_exit`s.
    let pid = unsafe { libc::fork() };
    assert!(pid >= 0, "fork");
    if pid == 0 {
        // SAFETY: descriptors we own; `buf` is readable; `_exit` skips
        // the parent's destructors.
        unsafe {
            libc::close(r);
            for _ in 0..=n {
                let mut off = 0;
                while off < PIPE_CHUNK {
                    let k = libc::write(w, buf[off..].as_ptr().cast(), PIPE_CHUNK - off);
                    if k <= 0 {
                        libc::_exit(1);
                    }
                    off += k as usize;
                }
            }
            libc::_exit(0)
        }
    }
    // SAFETY: our copy of the write end.
    unsafe { libc::close(w) };
    assert!(libc_read_exact(r, &mut buf, PIPE_CHUNK), "warm-up chunk");
    let t0 = now_ns();
    assert!(
        libc_read_exact(r, &mut buf, n as usize * PIPE_CHUNK),
        "data"
    );
    // SAFETY: as in `libc_read_exact`.
    let eof = unsafe { libc::read(r, buf.as_mut_ptr().cast(), PIPE_CHUNK) };
    let d = now_ns() - t0;
    assert_eq!(eof, 0, "end of file");
    let mut st = 0;
    // SAFETY: `st` receives the status of our child.
    unsafe {
        libc::close(r);
        libc::waitpid(pid, &mut st, 0);
    }
    assert!(libc::WIFEXITED(st) && libc::WEXITSTATUS(st) == 0, "writer");
    d
}

/// The libc peer of `ubench fault N`: `mmap` [`FAULT_BATCH`] pages at a
/// time (no transparent huge pages), store one byte into each page
/// through a pointer, `munmap`; only the stores are timed.
fn libc_fault(n: u64) -> u64 {
    const PAGE: usize = 4096;
    let mut left = n;
    let mut d = 0;
    while left > 0 {
        let pages = left.min(FAULT_BATCH) as usize;
        let len = pages * PAGE;
        // SAFETY: a fresh private anonymous mapping; nothing else refers
        // to it, and it is unmapped below before anyone else could.
        unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            );
            assert_ne!(p, libc::MAP_FAILED, "mmap");
            libc::madvise(p, len, libc::MADV_NOHUGEPAGE);
            let base = p.cast::<u8>();
            let t0 = now_ns();
            for i in 0..pages {
                std::ptr::write_volatile(base.add(i * PAGE), 1);
            }
            d += now_ns() - t0;
            libc::munmap(p, len);
        }
        left -= pages as u64;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::parse_ns;

    #[test]
    fn parses_the_result_line_among_others() {
        let out = b"boot noise\r\nubench pipe iters=5 ns=1234\r\n";
        assert_eq!(parse_ns(out, "pipe", 5), Some(1234));
        assert_eq!(parse_ns(out, "pipe", 6), None);
        assert_eq!(parse_ns(out, "fork", 5), None);
        assert_eq!(parse_ns(b"ubench pipe iters=5 ns=x", "pipe", 5), None);
    }
}
