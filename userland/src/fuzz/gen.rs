//! The syscall fuzzer's generator (trinity-style): a seeded PRNG, the
//! argument kinds of every system call usk implements, the edge-case values
//! of each kind (bad pointers, huge lengths, negative fds, unterminated
//! strings, ...), and the sanitiser that keeps a call inside the fuzz child.
//!
//! The child owns an [`Env`]: a pool of valid descriptors and an arena
//! mapping laid out as 16 read-write pages, one read-only page filled with
//! non-NUL bytes, one PROT_NONE page and an unmapped hole after it, so
//! "valid", "read-only", "faulting" and "just past the end" addresses all
//! exist. Structured arguments (paths, iovecs, pollfds, timespecs, argv,
//! sigactions) are built in per-argument slots at the top of the RW pages.
//!
//! Invariants: a call is a pure function of the PRNG state and the `Env`,
//! so a seed reproduces a batch's calls; after [`sanitize`], a call can
//! only affect the calling child, its process group and `/tmp/fuzz` — never
//! pid 1, the fuzz parent, the console, the report pipe, or files outside
//! `/tmp/fuzz` (mounts only on `/tmp/fuzz/d0`).
#![allow(non_upper_case_globals)] // matching on Linux's __NR_* names

use std::cell::Cell;
use ulib::uapi::unistd::*;

/// xorshift64* seeded through splitmix64: small, fast and reproducible.
/// The state is a `Cell` so that a draw can appear inside the argument
/// list of another draw.
pub struct Rng(Cell<u64>);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Rng(Cell::new((z ^ (z >> 31)) | 1))
    }

    pub fn next(&self) -> u64 {
        let mut x = self.0.get();
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0.set(x);
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&self, n: u64) -> u64 {
        self.next() % n
    }

    /// True with probability `1/n`.
    pub fn one_in(&self, n: u64) -> bool {
        self.below(n) == 0
    }

    pub fn pick<T: Copy>(&self, v: &[T]) -> T {
        v[self.below(v.len() as u64) as usize]
    }
}

pub const PAGE: u64 = 4096;
/// Read-write pages at the start of the arena.
pub const RW_PAGES: u64 = 16;
/// Pages mapped for the arena (RW, one RO, one PROT_NONE, a 2-page hole
/// that is unmapped again).
pub const ARENA_PAGES: u64 = RW_PAGES + 4;
/// Bytes of the RW area used for plain buffers; slots follow.
const BUF_AREA: u64 = 8 * PAGE;
/// Size of each argument's slot for structured data (room for a path of
/// PATH_MAX + 1 bytes).
const SLOT: u64 = 5 * 1024;
/// The descriptor the child reports on; no generated fd ever equals it.
pub const REPORT_FD: i32 = 200;

/// What the child has to aim at.
pub struct Env {
    /// This child's pid (also its process group).
    pub pid: i32,
    /// Valid descriptors of the pool.
    pub fds: Vec<i32>,
    /// Start of the arena mapping.
    pub arena: u64,
    /// A MAP_SHARED anonymous page.
    pub shared: u64,
}

impl Env {
    fn rw_end(&self) -> u64 {
        self.arena + RW_PAGES * PAGE
    }
    fn ro(&self) -> u64 {
        self.rw_end()
    }
    fn none(&self) -> u64 {
        self.rw_end() + PAGE
    }
    /// The first unmapped address after the arena's last mapping.
    fn end(&self) -> u64 {
        self.rw_end() + 2 * PAGE
    }
    fn slot(&self, i: usize) -> u64 {
        self.arena + BUF_AREA + i as u64 * SLOT
    }
}

/// The kind of one argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Fd,
    AtFd,
    Path,
    /// A path that is a mount target: only `/tmp/fuzz/d0` or bad values.
    MountDir,
    /// A buffer the kernel reads or fills.
    Ptr,
    Len,
    Off,
    Flags,
    Int,
    Mode,
    Sig,
    /// A pid that may only name this child or nobody.
    Pid,
    /// wait4's pid: any value (only our own children can match).
    WaitPid,
    Count,
    /// A sigset size: 8 mostly.
    SigSize,
    /// An mmap offset: page aligned mostly.
    MapOff,
    Iov,
    PollFds,
    Timeout,
    Timespec,
    SigSet,
    SigAction,
    SigHow,
    WaitOpts,
    Argv,
    Addr,
    Prot,
    MapFlags,
    Whence,
    IoctlCmd,
    FcntlCmd,
    Resource,
    Rlimit,
    CloneFlags,
    /// A `struct perf_event_attr` (136 bytes): mostly plausible types,
    /// sizes and configs, with random bits and tails.
    PerfAttr,
    /// A CPU number for perf_event_open: -1, small, or out of range.
    Cpu,
    /// perf_event_open's flags: 0 or PERF_FLAG_FD_CLOEXEC mostly.
    PerfFlags,
    /// perf_event_open's group_fd: -1 mostly, else a descriptor.
    GroupFd,
    Any,
}

use Kind::*;

/// The syscalls usk implements, with their argument kinds and weights.
pub fn table() -> &'static [(u64, u32, &'static [Kind])] {
    &[
        (__NR_read, 10, &[Fd, Ptr, Len]),
        (__NR_write, 10, &[Fd, Ptr, Len]),
        (__NR_open, 8, &[Path, Flags, Mode]),
        (__NR_openat, 8, &[AtFd, Path, Flags, Mode]),
        (__NR_creat, 3, &[Path, Mode]),
        (__NR_close, 5, &[Fd]),
        (__NR_stat, 4, &[Path, Ptr]),
        (__NR_lstat, 3, &[Path, Ptr]),
        (__NR_fstat, 4, &[Fd, Ptr]),
        (__NR_newfstatat, 4, &[AtFd, Path, Ptr, Flags]),
        (__NR_lseek, 5, &[Fd, Off, Whence]),
        (__NR_pread64, 6, &[Fd, Ptr, Len, Off]),
        (__NR_pwrite64, 6, &[Fd, Ptr, Len, Off]),
        (__NR_readv, 6, &[Fd, Iov, Count]),
        (__NR_writev, 6, &[Fd, Iov, Count]),
        (__NR_preadv, 5, &[Fd, Iov, Count, Off]),
        (__NR_pwritev, 5, &[Fd, Iov, Count, Off]),
        (__NR_access, 3, &[Path, Mode]),
        (__NR_faccessat, 3, &[AtFd, Path, Mode]),
        (__NR_faccessat2, 2, &[AtFd, Path, Mode, Flags]),
        (__NR_pipe, 3, &[Ptr]),
        (__NR_pipe2, 3, &[Ptr, Flags]),
        (__NR_dup, 4, &[Fd]),
        (__NR_dup2, 4, &[Fd, Fd]),
        (__NR_dup3, 4, &[Fd, Fd, Flags]),
        (__NR_fcntl, 8, &[Fd, FcntlCmd, Any]),
        (__NR_ioctl, 8, &[Fd, IoctlCmd, Ptr]),
        (__NR_poll, 5, &[PollFds, Count, Timeout]),
        (__NR_getdents64, 5, &[Fd, Ptr, Len]),
        (__NR_getcwd, 3, &[Ptr, Len]),
        (__NR_chdir, 2, &[Path]),
        (__NR_fchdir, 2, &[Fd]),
        (__NR_mkdir, 4, &[Path, Mode]),
        (__NR_mkdirat, 3, &[AtFd, Path, Mode]),
        (__NR_unlink, 3, &[Path]),
        (__NR_rmdir, 3, &[Path]),
        (__NR_unlinkat, 3, &[AtFd, Path, Flags]),
        (__NR_umask, 2, &[Mode]),
        (__NR_mount, 2, &[Path, MountDir, Path, Flags, Ptr]),
        (__NR_umount2, 2, &[MountDir, Flags]),
        (__NR_sync, 1, &[]),
        (__NR_fsync, 1, &[Fd]),
        (__NR_mmap, 10, &[Addr, Len, Prot, MapFlags, Fd, MapOff]),
        (__NR_munmap, 5, &[Addr, Len]),
        (__NR_mprotect, 5, &[Addr, Len, Prot]),
        (__NR_brk, 4, &[Addr]),
        (__NR_mremap, 6, &[Addr, Len, Len, Flags, Addr]),
        (__NR_rt_sigaction, 6, &[Sig, SigAction, Ptr, SigSize]),
        (__NR_rt_sigprocmask, 5, &[SigHow, SigSet, Ptr, SigSize]),
        (__NR_rt_sigpending, 3, &[Ptr, SigSize]),
        (__NR_rt_sigsuspend, 1, &[SigSet, SigSize]),
        (__NR_rt_sigreturn, 1, &[]),
        (__NR_pause, 1, &[]),
        (__NR_kill, 2, &[Pid, Sig]),
        (__NR_tgkill, 2, &[Pid, Pid, Sig]),
        (__NR_tkill, 2, &[Pid, Sig]),
        (__NR_fork, 2, &[]),
        (__NR_vfork, 2, &[]),
        (__NR_clone, 3, &[CloneFlags, Addr, Ptr, Ptr, Any]),
        (__NR_execve, 2, &[Path, Argv, Argv]),
        (__NR_exit, 1, &[Int]),
        (__NR_exit_group, 1, &[Int]),
        (__NR_wait4, 5, &[WaitPid, Ptr, WaitOpts, Ptr]),
        (__NR_getpid, 1, &[]),
        (__NR_gettid, 1, &[]),
        (__NR_getppid, 1, &[]),
        (__NR_getuid, 1, &[]),
        (__NR_geteuid, 1, &[]),
        (__NR_getgid, 1, &[]),
        (__NR_getegid, 1, &[]),
        (__NR_setuid, 1, &[Int]),
        (__NR_setgid, 1, &[Int]),
        (__NR_setpgid, 2, &[Pid, Pid]),
        (__NR_getpgid, 2, &[Pid]),
        (__NR_getpgrp, 1, &[]),
        (__NR_setsid, 1, &[]),
        (__NR_getsid, 2, &[Pid]),
        (__NR_uname, 2, &[Ptr]),
        (__NR_getrlimit, 3, &[Resource, Ptr]),
        (__NR_setrlimit, 3, &[Resource, Rlimit]),
        (__NR_prlimit64, 3, &[Pid, Resource, Rlimit, Ptr]),
        (__NR_sysinfo, 2, &[Ptr]),
        (__NR_sched_yield, 1, &[]),
        (__NR_nanosleep, 3, &[Timespec, Ptr]),
        (__NR_clock_nanosleep, 3, &[Int, Flags, Timespec, Ptr]),
        (__NR_clock_gettime, 3, &[Int, Ptr]),
        (__NR_gettimeofday, 2, &[Ptr, Ptr]),
        (__NR_times, 2, &[Ptr]),
        (__NR_syslog, 2, &[Int, Ptr, Len]),
        (
            __NR_perf_event_open,
            3,
            &[PerfAttr, Pid, Cpu, GroupFd, PerfFlags],
        ),
        (__NR_set_tid_address, 2, &[Ptr]),
    ]
}

/// Safe paths: everything writable lies under /tmp/fuzz; the rest is
/// read-only procfs or does not exist.
const PATHS: &[&str] = &[
    "/tmp/fuzz",
    "/tmp/fuzz/f0",
    "/tmp/fuzz/f1",
    "/tmp/fuzz/d0",
    "/tmp/fuzz/d0/f2",
    "/tmp/fuzz/d0/d1",
    "/tmp/fuzz/d0/..",
    "/tmp/fuzz/f0/",
    "/tmp/fuzz/f0/.",
    "/tmp/fuzz//f1",
    "/tmp/fuzz/nonexistent/x",
    "/tmp/fuzz/x\u{1}\u{7f}\u{ff}y",
    "f0",
    "d1",
    "d0/../f3",
    "./f4",
    "..",
    ".",
    "",
    "/proc/self/status",
    "/proc/self/maps",
    "/proc/self/cmdline",
    "/proc/vmstat",
    "/proc/self",
    "/nonexistent",
];

fn small_int(rng: &Rng) -> u64 {
    rng.pick(&[
        0u64,
        1,
        2,
        3,
        7,
        8,
        16,
        31,
        32,
        63,
        64,
        65,
        127,
        128,
        255,
        256,
        1023,
        1024,
        4095,
        4096,
        -1i64 as u64,
        -2i64 as u64,
        i32::MAX as u64,
        i32::MIN as i64 as u64,
        u32::MAX as u64,
        0x8000_0000,
        i64::MAX as u64,
        i64::MIN as u64,
        u64::MAX,
    ])
}

/// A generated call.
#[derive(Clone, Copy, Debug)]
pub struct Call {
    pub nr: u64,
    pub args: [u64; 6],
}

/// Writes structured arguments into the arena.
fn put(addr: u64, bytes: &[u8]) {
    if !bytes.is_empty() {
        ulib::backend::store(addr, bytes);
    }
}

impl Env {
    fn ptr(&self, rng: &Rng) -> u64 {
        match rng.below(24) {
            0 => 0,
            1 => rng.pick(&[1, 8, 0xfff, 0x1000, 0x10000]),
            2 => rng.pick(&[
                0xffff_8000_0000_0000,
                0xffff_ffff_8100_0000,
                0xffff_ffff_ffff_f000,
            ]),
            3 => rng.pick(&[u64::MAX, u64::MAX - 7, u64::MAX - 4095]),
            4 => rng.pick(&[
                0x7fff_ffff_f000,
                0x7fff_ffff_fffc,
                0x8000_0000_0000,
                0x7fff_ffff_ffff,
            ]),
            5 => self.end() + rng.below(2 * PAGE),
            6 => self.end() - 1 - rng.below(16),
            7 => self.ro() + rng.below(PAGE),
            8 => self.none() + rng.below(PAGE),
            9 => self.rw_end() - 1 - rng.below(64),
            10 => self.shared + rng.below(PAGE),
            11 => rng.next(),
            12 => self.arena + rng.below(BUF_AREA) / 8 * 8 + 1,
            _ => self.arena + rng.below(BUF_AREA) / 8 * 8,
        }
    }

    fn len(&self, rng: &Rng) -> u64 {
        match rng.below(8) {
            0..=2 => rng.below(256),
            3 => rng.below(2 * BUF_AREA),
            4 => rng.pick(&[
                4095,
                4096,
                4097,
                BUF_AREA,
                RW_PAGES * PAGE,
                RW_PAGES * PAGE + 1,
                0x7fff_f000,
                1 << 31,
                1 << 32,
                i64::MAX as u64,
                u64::MAX,
                u64::MAX - 4095,
                1 << 47,
            ]),
            5 => rng.next(),
            _ => small_int(rng),
        }
    }

    fn fd(&self, rng: &Rng) -> u64 {
        match rng.below(10) {
            0 => rng.pick(&[
                -1i64 as u64,
                -100i64 as u64,
                1023,
                1024,
                4096,
                i32::MAX as u64,
                i32::MIN as i64 as u64,
                65535,
            ]),
            1 => 0xffff_ffff_0000_0000 | rng.pick(&self.fds) as u64,
            2 => rng.below(64),
            _ => rng.pick(&self.fds) as u64,
        }
    }

    fn addr(&self, rng: &Rng) -> u64 {
        match rng.below(10) {
            0 => 0,
            1 => self.arena + rng.below(ARENA_PAGES + 2) * PAGE,
            2 => self.arena + 1,
            3 => self.end(),
            4 => rng.next() & 0x7fff_ffff_f000,
            5 => rng.pick(&[
                0xffff_8000_0000_0000,
                !0xfff,
                0x10000,
                0x7fff_ffff_f000,
                0x8000_0000_0000 - 2 * PAGE,
            ]),
            6 => rng.next(),
            7 => self.shared,
            _ => self.arena + rng.below(RW_PAGES) * PAGE,
        }
    }

    fn path(&self, rng: &Rng, slot: u64) -> u64 {
        match rng.below(12) {
            0 => return self.ptr(rng),
            // Runs off the read-only page into PROT_NONE without a NUL.
            1 => return self.ro() + rng.below(PAGE),
            _ => {}
        }
        let s: String = match rng.below(10) {
            0 => format!("/tmp/fuzz/{}", "n".repeat(rng.pick(&[255, 256, 4000]))),
            1 => "/tmp/fuzz/".to_string() + &"d/".repeat(2100),
            _ => rng.pick(PATHS).to_string(),
        };
        let mut b = s.into_bytes();
        b.truncate((SLOT - 1) as usize);
        b.push(0);
        put(slot, &b);
        slot
    }

    fn iov(&self, rng: &Rng, slot: u64) -> u64 {
        if rng.one_in(6) {
            return self.ptr(rng);
        }
        let n = rng.below(9);
        let mut b = Vec::new();
        for _ in 0..n {
            b.extend_from_slice(&self.ptr(rng).to_ne_bytes());
            b.extend_from_slice(&self.len(rng).to_ne_bytes());
        }
        put(slot, &b);
        slot
    }

    fn pollfds(&self, rng: &Rng, slot: u64) -> u64 {
        if rng.one_in(6) {
            return self.ptr(rng);
        }
        let mut b = Vec::new();
        for _ in 0..rng.below(8) {
            b.extend_from_slice(&(self.fd(rng) as u32).to_ne_bytes());
            b.extend_from_slice(&(rng.next() as u32 & 0xffff_003f).to_ne_bytes());
        }
        put(slot, &b);
        slot
    }

    fn timespec(&self, rng: &Rng, slot: u64) -> u64 {
        if rng.one_in(5) {
            return self.ptr(rng);
        }
        let sec: i64 = rng.pick(&[0, 0, 0, -1, i64::MIN]);
        let nsec: i64 = rng.pick(&[
            0,
            1,
            1000,
            rng.below(5_000_000) as i64,
            4_999_999,
            1_000_000_000,
            -1,
            i64::MAX,
        ]);
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&sec.to_ne_bytes());
        b[8..].copy_from_slice(&nsec.to_ne_bytes());
        put(slot, &b);
        slot
    }

    fn words(&self, rng: &Rng, slot: u64, words: &[u64]) -> u64 {
        if rng.one_in(5) {
            return self.ptr(rng);
        }
        let b: Vec<u8> = words.iter().flat_map(|w| w.to_ne_bytes()).collect();
        put(slot, &b);
        slot
    }

    fn argv(&self, rng: &Rng, slot: u64) -> u64 {
        if rng.one_in(4) {
            return self.ptr(rng);
        }
        let strs = slot + 512;
        put(strs, b"arg\0");
        let mut b = Vec::new();
        for _ in 0..rng.below(6) {
            let p = if rng.one_in(3) { self.ptr(rng) } else { strs };
            b.extend_from_slice(&p.to_ne_bytes());
        }
        if !rng.one_in(6) {
            b.extend_from_slice(&0u64.to_ne_bytes());
        }
        put(slot, &b);
        slot
    }

    fn pid(&self, rng: &Rng) -> u64 {
        let me = self.pid as i64;
        rng.pick(&[
            0,
            me,
            -me,
            0x3fff_0000,
            -0x3fff_0000,
            i32::MIN as i64,
            i32::MAX as i64,
        ]) as u64
    }

    fn arg(&self, rng: &Rng, k: Kind, i: usize) -> u64 {
        let slot = self.slot(i);
        if rng.one_in(24) && !matches!(k, Pid | MountDir | Path | Timespec | Timeout | Fd) {
            return rng.next();
        }
        match k {
            Fd => self.fd(rng),
            AtFd => {
                if rng.one_in(3) {
                    -100i64 as u64
                } else {
                    self.fd(rng)
                }
            }
            Path => self.path(rng, slot),
            MountDir => {
                if rng.one_in(4) {
                    self.ptr(rng)
                } else {
                    put(slot, b"/tmp/fuzz/d0\0");
                    slot
                }
            }
            Ptr => self.ptr(rng),
            Len | Count if rng.one_in(2) => self.len(rng),
            Len => self.len(rng),
            Count => rng.below(10),
            SigSize => rng.pick(&[8, 8, 8, 8, 0, 4, 16, u64::MAX]),
            MapOff => rng.pick(&[0, 0, 0, PAGE, 1 << 40, !0xfff, 1, rng.next()]),
            Off => rng.pick(&[
                0,
                1,
                4096,
                -1i64 as u64,
                i64::MAX as u64,
                i64::MIN as u64,
                1 << 40,
                rng.below(1 << 20),
            ]),
            Flags => match rng.below(4) {
                0 => 0,
                1 => rng.next() as u32 as u64,
                2 => rng.next(),
                _ => (1 << rng.below(32)) | (1 << rng.below(32)),
            },
            Int | Any => small_int(rng),
            Mode => rng.pick(&[0o777, 0o644, 0, 0o7777, u32::MAX as u64, rng.next()]),
            Sig => {
                if rng.one_in(8) {
                    small_int(rng)
                } else {
                    rng.below(66)
                }
            }
            Pid => self.pid(rng),
            WaitPid => rng.pick(&[
                -1i64 as u64,
                0,
                self.pid as u64,
                0x3fff_0000,
                small_int(rng),
            ]),
            Iov => self.iov(rng, slot),
            PollFds => self.pollfds(rng, slot),
            Timeout => rng.pick(&[0, 0, 1, 5, -1i64 as u64, i32::MIN as i64 as u64]),
            Timespec => self.timespec(rng, slot),
            SigSet => self.words(rng, slot, &[rng.next()]),
            SigAction => {
                let h = rng.pick(&[0, 1, 2, rng.next(), 0x40_0000]);
                let w = [h, rng.next() & 0xffff_ffff, rng.next(), rng.next()];
                self.words(rng, slot, &w)
            }
            SigHow => rng.pick(&[0, 1, 2, 3, -1i64 as u64, rng.next()]),
            WaitOpts => match rng.below(3) {
                0 => 1, // WNOHANG
                1 => 1 | (rng.next() & 0xe100_000e),
                _ => rng.next() as u32 as u64,
            },
            Argv => self.argv(rng, slot),
            Addr => self.addr(rng),
            Prot => rng.pick(&[0, 1, 2, 3, 4, 7, rng.next() & 0xff, rng.next()]),
            MapFlags => {
                let base = rng.pick(&[0x22u64, 0x21, 0x02, 0x01, 0x03, 0]);
                let extra = rng.pick(&[0u64, 0x10, 0x10_0000, 0x8000, 0x100, 0x4000]);
                if rng.one_in(8) {
                    rng.next()
                } else {
                    base | extra
                }
            }
            Whence => rng.pick(&[0, 1, 2, 3, 4, 5, -1i64 as u64]),
            IoctlCmd => rng.pick(&[
                0x5401,
                0x5402,
                0x5403,
                0x5404,
                0x540e,
                0x540f,
                0x5410,
                0x5413,
                0x5414,
                0x541b,
                0x5421,
                0x5422,
                0x5450,
                0x5451,
                0x5429,
                0x4004_667f,
                rng.next(),
            ]),
            FcntlCmd => rng.pick(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 1030, 1031, 1032, rng.next()]),
            Resource => rng.pick(&[0, 1, 2, 3, 6, 7, 9, 15, 16, -1i64 as u64, rng.next()]),
            Rlimit => {
                let w = [small_int(rng), small_int(rng)];
                self.words(rng, slot, &w)
            }
            CloneFlags => match rng.below(4) {
                0 => 17,
                1 => 17 | (rng.next() & 0x0000_3f00),
                _ => rng.next() & 0xffff_ffff,
            },
            PerfAttr if rng.one_in(2) => {
                // A valid counting or sampling event on this task.
                let ty = rng.pick(&[1u64, 2]);
                let mut w = [0u64; 17];
                w[0] = ty | rng.pick(&[136u64, 112, 128]) << 32;
                w[1] = if ty == 1 {
                    rng.below(10)
                } else {
                    rng.below(64)
                };
                w[2] = rng.pick(&[0, 0, 1, 10]);
                w[3] = rng.pick(&[0, 0x1 | 0x2 | 0x4, 0x1 | 0x20 | 0x400]);
                w[5] = rng.pick(&[0, 1, 2, 3]);
                self.words(rng, slot, &w)
            }
            PerfAttr => {
                let ty = rng.pick(&[0u64, 1, 1, 2, 2, 2, 7, rng.next() & 0xffff_ffff]);
                let size = rng.pick(&[136u64, 136, 128, 112, 64, 0, 4096, rng.below(512)]);
                let config = match ty {
                    1 => rng.below(12),
                    2 => rng.below(64),
                    _ => rng.next(),
                };
                let mut w = [0u64; 17];
                w[0] = ty | size << 32;
                w[1] = config;
                w[2] = rng.pick(&[0, 1, 100, 1 << 63, rng.next()]);
                w[3] = rng.pick(&[
                    0,
                    0x1 | 0x2 | 0x4 | 0x8 | 0x20,
                    0x1 | 0x20 | 0x400,
                    rng.next() & 0x7ff,
                ]);
                w[4] = rng.below(16);
                w[5] = rng.pick(&[0, 1, 2, 3, rng.next() & 0xffff]);
                if rng.one_in(6) {
                    w[16] = rng.next();
                }
                self.words(rng, slot, &w)
            }
            Cpu => rng.pick(&[u64::MAX, u64::MAX, 0, 1, 3, 64, 1 << 31, rng.next()]),
            PerfFlags => rng.pick(&[0, 0, 0, 8, rng.next()]),
            GroupFd if rng.one_in(4) => self.fd(rng),
            GroupFd => u64::MAX,
        }
    }

    /// Fill a few random bytes of the buffer area (what the kernel reads).
    pub fn scribble(&self, rng: &Rng) {
        let mut b = [0u8; 64];
        for x in b.iter_mut() {
            *x = rng.next() as u8;
        }
        put(self.arena + rng.below(BUF_AREA / 64) * 64, &b);
    }

    /// One call: usually a known syscall with typed arguments, sometimes a
    /// random number with random arguments.
    pub fn call(&self, rng: &Rng) -> Call {
        let t = table();
        if rng.one_in(20) {
            let nr = if rng.one_in(4) {
                rng.next()
            } else {
                rng.below(512)
            };
            if let Some((_, _, kinds)) = t.iter().find(|(n, _, _)| *n == nr) {
                return self.typed(rng, nr, kinds);
            }
            let mut args = [0u64; 6];
            for a in args.iter_mut() {
                *a = if rng.one_in(2) {
                    self.ptr(rng)
                } else {
                    small_int(rng)
                };
            }
            return Call { nr, args };
        }
        let total: u64 = t.iter().map(|(_, w, _)| *w as u64).sum();
        let mut x = rng.below(total);
        for (nr, w, kinds) in t {
            if x < *w as u64 {
                return self.typed(rng, *nr, kinds);
            }
            x -= *w as u64;
        }
        unreachable!("weights cover the table")
    }

    fn typed(&self, rng: &Rng, nr: u64, kinds: &[Kind]) -> Call {
        let mut args = [0u64; 6];
        for (i, k) in kinds.iter().enumerate() {
            args[i] = self.arg(rng, *k, i);
        }
        // Unused argument registers hold garbage, as after a real syscall.
        for a in args.iter_mut().skip(kinds.len()) {
            *a = if rng.one_in(2) { 0 } else { rng.next() };
        }
        if rng.one_in(4) {
            self.scribble(rng);
        }
        let mut c = Call { nr, args };
        sanitize(self, &mut c);
        c
    }
}

/// A pid argument that names only this child (or no process at all).
fn safe_pid(env: &Env, v: u64) -> u64 {
    let p = v as u32 as i32;
    let me = env.pid;
    if p == 0 || p == me || p == -me || !(-0x3fff_0000..=0x3fff_0000).contains(&p) {
        v
    } else {
        me as u64
    }
}

/// Keep a call inside the child: pids, the report fd and mount targets.
pub fn sanitize(env: &Env, c: &mut Call) {
    let pid_args: &[usize] = match c.nr {
        __NR_kill | __NR_tkill | __NR_prlimit64 => &[0],
        __NR_tgkill | __NR_setpgid => &[0, 1],
        _ => &[],
    };
    for &i in pid_args {
        c.args[i] = safe_pid(env, c.args[i]);
    }
    if let Some((_, _, kinds)) = table().iter().find(|(n, _, _)| *n == c.nr) {
        for (i, k) in kinds.iter().enumerate() {
            if matches!(k, Fd | AtFd) && c.args[i] as u32 as i32 == REPORT_FD {
                c.args[i] = env.fds[0] as u64;
            }
        }
    }
    // A destructive call names a path only through its own slot: the
    // buffer area may hold text the kernel wrote (getcwd's "/tmp", "/").
    if matches!(
        c.nr,
        __NR_mount | __NR_umount2 | __NR_rmdir | __NR_unlink | __NR_unlinkat
    ) {
        for i in 0..6 {
            let a = c.args[i];
            if a != env.slot(i) && (env.arena..env.end()).contains(&a) {
                c.args[i] = 0;
            }
        }
    }
}
