//! `fuzz`: the system-call fuzzer of issue 4 ("Bad input"), in the
//! manner of trinity/syzkaller: random syscall numbers with random and
//! edge-case arguments (see [`gen`]), run in forked children.
//!
//! The parent forks one child per batch. The child moves into its own
//! process group, points fds 0-2 at /dev/null, builds its descriptor pool
//! and arena, and issues the batch; before and after each call it writes a
//! fixed-size record (call, then result) to the report pipe. The parent
//! reads the records, counts results per syscall and errno, and SIGKILLs the
//! child's group when no record arrived for `--stall-ms` (a call that
//! blocks forever: pause, a read on an empty pipe) or the batch ran past
//! `--batch-ms`. A child that does not die after SIGKILL is a kernel bug.
//! After each batch the parent reaps, unmounts what the child mounted, and
//! scans the kernel log for new "BUG:", "Oops", "WARNING:" lines.
//!
//! At the end /tmp/fuzz is removed and the free page count (buddy plus
//! per-CPU lists, from /proc/zoneinfo, with empty slabs dropped) must be
//! back to exactly where it was before the first child; the parent touches no new memory in between
//! (its scratch is warmed up first). Exit status 0 when clean, 1 on any
//! failure, 2 for a bad command line.
//!
//! Invariants: every random call runs in a child, never in the parent; the
//! parent's own address space is the same at both page counts.

pub mod gen;

use gen::{Call, Env, Rng, ARENA_PAGES, PAGE, REPORT_FD, RW_PAGES};
use std::collections::{BTreeMap, BTreeSet};
use ulib::uapi::fcntl::*;
use ulib::uapi::mman::*;
use ulib::uapi::poll::{PollFd, POLLIN};
use ulib::uapi::signal::{SIGKILL, SIGPIPE};
use ulib::uapi::stat::Timespec;
use ulib::uapi::unistd::syscall_name;
use ulib::wait::*;
use ulib::{ueprintln, uprintln};

const USAGE: &str = "Usage: fuzz [--iterations N] [--seed S] [--batch B] [--stall-ms MS] [--batch-ms MS] [--verbose]
Issue N random system calls (default 2000) in forked children, B per child
(default 100), with seed S (default 1). A child that makes no progress for
MS milliseconds (default 250) or runs longer than --batch-ms (default 10000)
is killed with SIGKILL. Exits 0 when no kernel bug showed: no oops in the
kernel log, every child died when killed, and the free page count came back.";

const DIR: &str = "/tmp/fuzz";
const REC: usize = 72;
const PRE: u64 = 1;
const POST: u64 = 2;
/// Longest a SIGKILLed child may take to die before it counts as a bug.
const KILL_GRACE_MS: u64 = 30_000;
/// The newest bytes of the kernel log scanned after each batch; also the
/// largest buffer the parent ever passes to the kernel.
const LOG_WINDOW: usize = 1 << 17;

struct Opts {
    iterations: u64,
    seed: u64,
    batch: u64,
    stall_ms: u64,
    batch_ms: u64,
    verbose: bool,
}

fn parse(args: &[String]) -> Result<Opts, String> {
    let mut o = Opts {
        iterations: 2000,
        seed: 1,
        batch: 100,
        stall_ms: 250,
        batch_ms: 10_000,
        verbose: false,
    };
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        let mut num = |name: &str| -> Result<u64, String> {
            let v = it
                .next()
                .ok_or_else(|| format!("{name}: option requires an argument"))?;
            v.parse()
                .map_err(|_| format!("{name}: '{v}' is not a number"))
        };
        match a.as_str() {
            "--iterations" | "-n" => o.iterations = num(a)?,
            "--seed" | "-s" => o.seed = num(a)?,
            "--batch" => o.batch = num(a)?.max(1),
            "--stall-ms" => o.stall_ms = num(a)?.max(1),
            "--batch-ms" => o.batch_ms = num(a)?.max(1),
            "--verbose" | "-v" => o.verbose = true,
            "--help" | "-h" => return Err(String::new()),
            _ => return Err(format!("unknown option '{a}'")),
        }
    }
    Ok(o)
}

fn now_ms() -> u64 {
    ulib::monotonic_ns() / 1_000_000
}

fn sleep_ms(ms: u64) {
    let _ = ulib::nanosleep(&Timespec {
        tv_sec: (ms / 1000) as i64,
        tv_nsec: (ms % 1000 * 1_000_000) as i64,
    });
}

fn name(nr: u64) -> String {
    syscall_name(nr).map_or_else(|| format!("syscall_{nr}"), str::to_string)
}

/// Render a return value: a number, or an errno name.
fn ret_class(r: i64) -> String {
    match ulib::check(r) {
        Ok(_) => "ok".into(),
        Err(e) => e
            .name()
            .map_or_else(|| format!("errno {}", e.0), str::to_string),
    }
}

// ---- the child ------------------------------------------------------------

fn report(kind: u64, c: &Call, ret: i64) {
    let mut b = [0u8; REC];
    b[0..8].copy_from_slice(&kind.to_ne_bytes());
    b[8..16].copy_from_slice(&c.nr.to_ne_bytes());
    for (i, a) in c.args.iter().enumerate() {
        b[16 + 8 * i..24 + 8 * i].copy_from_slice(&a.to_ne_bytes());
    }
    b[64..72].copy_from_slice(&ret.to_ne_bytes());
    loop {
        match ulib::write(REPORT_FD, &b) {
            Ok(_) => return,
            Err(e) if e == ulib::errno::EINTR => continue,
            // The parent cannot hear us any more: nothing left to do.
            Err(_) => ulib::exit_group(3),
        }
    }
}

/// Open the descriptor pool; returns the valid fds.
fn make_pool() -> Vec<i32> {
    let mut fds = Vec::new();
    let opens: &[(&str, u32)] = &[
        ("/dev/null", O_RDWR),
        ("/dev/zero", O_RDWR),
        ("/tmp/fuzz/f0", O_RDWR | O_CREAT),
        ("/tmp/fuzz/f1", O_RDWR | O_CREAT | O_APPEND),
        ("/tmp/fuzz", O_RDONLY | O_DIRECTORY),
        ("/proc/self/status", O_RDONLY),
        ("/proc/vmstat", O_RDONLY),
        ("/proc/self/maps", O_RDONLY),
    ];
    for (p, fl) in opens {
        if let Ok(fd) = ulib::open(p, *fl, 0o644) {
            fds.push(fd);
        }
    }
    if let Ok((r, w)) = ulib::pipe2(O_NONBLOCK) {
        fds.extend([r, w]);
    }
    if let Ok((r, w)) = ulib::pipe() {
        // A blocking pipe with data in it and one whose reader is gone.
        let _ = ulib::write(w, b"fuzz");
        fds.extend([r, w]);
    }
    if let Ok((r, w)) = ulib::pipe() {
        let _ = ulib::close(r);
        fds.push(w);
    }
    fds
}

/// Map the arena: RW pages, a read-only page of non-NUL bytes, a PROT_NONE
/// page, then a hole.
fn make_arena(rng: &Rng) -> Option<(u64, u64)> {
    let len = ARENA_PAGES * PAGE;
    let a = ulib::mmap(
        0,
        len,
        PROT_READ | PROT_WRITE,
        MAP_PRIVATE | MAP_ANONYMOUS,
        -1,
        0,
    )
    .ok()?;
    let rw = RW_PAGES * PAGE;
    let junk: Vec<u8> = (0..rw).map(|_| rng.next() as u8).collect();
    ulib::backend::store(a, &junk);
    ulib::backend::store(a + rw, &[b'a'; PAGE as usize]);
    ulib::mprotect(a + rw, PAGE, PROT_READ).ok()?;
    ulib::mprotect(a + rw + PAGE, PAGE, PROT_NONE).ok()?;
    ulib::munmap(a + rw + 2 * PAGE, 2 * PAGE).ok()?;
    let shared = ulib::mmap(
        0,
        PAGE,
        PROT_READ | PROT_WRITE,
        MAP_SHARED | MAP_ANONYMOUS,
        -1,
        0,
    )
    .ok()?;
    Some((a, shared))
}

/// The child's body: set up, then `n` calls.
fn child(seed: u64, n: u64, report_w: i32) -> i32 {
    let pid = ulib::getpid();
    let _ = ulib::setpgid(0, 0);
    if ulib::dup3(report_w, REPORT_FD, O_CLOEXEC).is_err() {
        return 4;
    }
    let _ = ulib::close(report_w);
    if let Ok(null) = ulib::open("/dev/null", O_RDWR, 0) {
        for fd in 0..3 {
            let _ = ulib::dup2(null, fd);
        }
        if null > 2 {
            let _ = ulib::close(null);
        }
    }
    for fd in 3..64 {
        let _ = ulib::close(fd);
    }
    let _ = ulib::signal_ignore(SIGPIPE);
    let _ = ulib::chdir(DIR);
    let rng = Rng::new(seed);
    let fds = make_pool();
    let Some((arena, shared)) = make_arena(&rng) else {
        return 5;
    };
    if fds.is_empty() {
        return 6;
    }
    let env = Env {
        pid,
        fds,
        arena,
        shared,
    };
    for _ in 0..n {
        let c = env.call(&rng);
        report(PRE, &c, 0);
        let r = ulib::syscall6(c.nr, c.args);
        report(POST, &c, r);
    }
    0
}

// ---- the parent -----------------------------------------------------------

#[derive(Default)]
struct Stats {
    calls: u64,
    /// Per syscall: result class → count.
    per_call: BTreeMap<u64, BTreeMap<String, u64>>,
    per_errno: BTreeMap<String, u64>,
    children: u64,
    exited: u64,
    signaled: BTreeMap<i32, u64>,
    killed_stalled: u64,
    killed_overtime: u64,
    /// The call in flight when a child died, for the log.
    unfinished: u64,
    failures: Vec<String>,
}

/// Free pages: buddy ("pages free") plus the per-CPU lists ("count:"),
/// summed over zones from one read of /proc/zoneinfo, after empty slabs
/// went back to the page allocator (`echo 2 > /proc/sys/vm/drop_caches`)
/// — which empty slabs a cache keeps depends on the order of frees, and
/// is not a leak.
fn free_pages(buf: &mut Vec<u8>) -> Option<u64> {
    if let Ok(fd) = ulib::open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC, 0) {
        let _ = ulib::write(fd, b"2");
        let _ = ulib::close(fd);
    }
    buf.clear();
    let fd = ulib::open("/proc/zoneinfo", O_RDONLY | O_CLOEXEC, 0).ok()?;
    let mut chunk = [0u8; 8192];
    loop {
        match ulib::read(fd, &mut chunk) {
            Ok(0) => break,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
            Err(_) => {
                let _ = ulib::close(fd);
                return None;
            }
        }
    }
    let _ = ulib::close(fd);
    let text = std::str::from_utf8(buf).ok()?;
    let mut total = 0;
    for l in text.lines() {
        let l = l.trim();
        if let Some(v) = l
            .strip_prefix("pages free")
            .or_else(|| l.strip_prefix("count:"))
        {
            total += v.trim().parse::<u64>().ok()?;
        }
    }
    Some(total)
}

/// New oops lines in the kernel log.
fn new_oopses(seen: &mut BTreeSet<String>) -> Vec<String> {
    let Ok(log) = ulib::syslog_read(3, LOG_WINDOW) else {
        return Vec::new();
    };
    let text = String::from_utf8_lossy(&log);
    let mut out = Vec::new();
    for l in text.lines() {
        if ["BUG:", "kernel BUG", "Oops", "WARNING:", "Kernel panic"]
            .iter()
            .any(|m| l.contains(m))
            && seen.insert(l.to_string())
        {
            out.push(l.to_string());
        }
    }
    out
}

fn rm_rf(path: &str) {
    if let Ok(ents) = ulib::read_dir(path) {
        for e in ents {
            if e.d_name == "." || e.d_name == ".." {
                continue;
            }
            let p = format!("{path}/{}", e.d_name);
            if e.d_type == ulib::uapi::fcntl::DT_DIR {
                rm_rf(&p);
            } else {
                let _ = ulib::unlink(&p);
            }
        }
    }
    let _ = ulib::rmdir(path);
}

/// Undo what a child may have mounted on /tmp/fuzz/d0.
fn umount_all() {
    for _ in 0..1000 {
        if umount_once().is_err() {
            return;
        }
    }
}

fn umount_once() -> ulib::Result<()> {
    ulib::umount2("/tmp/fuzz/d0", 0)
}

/// Decode records from `buf`, leaving a partial one in place.
fn take_records(buf: &mut Vec<u8>, st: &mut Stats, inflight: &mut Option<Call>, verbose: bool) {
    let whole = buf.len() / REC * REC;
    for r in buf[..whole].chunks(REC) {
        let w = |i: usize| u64::from_ne_bytes(r[i..i + 8].try_into().expect("8 bytes"));
        let mut args = [0u64; 6];
        for (i, a) in args.iter_mut().enumerate() {
            *a = w(16 + 8 * i);
        }
        let c = Call { nr: w(8), args };
        match w(0) {
            PRE => {
                st.calls += 1;
                *inflight = Some(c);
            }
            POST => {
                let ret = w(64) as i64;
                let class = ret_class(ret);
                if verbose {
                    uprintln!("{}({:#x?}) = {ret} {class}", name(c.nr), c.args);
                }
                *st.per_call
                    .entry(c.nr)
                    .or_default()
                    .entry(class.clone())
                    .or_default() += 1;
                *st.per_errno.entry(class).or_default() += 1;
                *inflight = None;
            }
            _ => st.failures.push("garbled report record".into()),
        }
    }
    buf.drain(..whole);
}

/// SIGKILL the child's group and wait for it; false if it would not die.
fn kill_and_reap(pid: i32) -> Option<i32> {
    let _ = ulib::kill(-pid, SIGKILL);
    let _ = ulib::kill(pid, SIGKILL);
    let start = now_ms();
    loop {
        match ulib::wait4(pid, WNOHANG | __WALL) {
            Ok((p, st)) if p == pid => return Some(st),
            Ok(_) => {}
            Err(_) => return Some(0),
        }
        if now_ms().saturating_sub(start) > KILL_GRACE_MS {
            return None;
        }
        sleep_ms(2);
    }
}

/// Run one child with `n` calls; updates `st`.
fn run_batch(o: &Opts, idx: u64, n: u64, st: &mut Stats) {
    let seed = o.seed.wrapping_mul(0x9e37_79b9).wrapping_add(idx);
    let Ok((r, w)) = ulib::pipe2(O_CLOEXEC) else {
        st.failures.push("pipe2 failed in the parent".into());
        return;
    };
    st.children += 1;
    let pid = match ulib::fork(move || child(seed, n, w)) {
        Ok(p) => p,
        Err(e) => {
            st.failures.push(format!("fork: {}", e.message()));
            let _ = ulib::close(r);
            let _ = ulib::close(w);
            return;
        }
    };
    let _ = ulib::close(w);
    let mut buf = Vec::with_capacity(64 * REC);
    let mut chunk = [0u8; 64 * REC];
    let mut inflight = None;
    let start = now_ms();
    let mut last = start;
    let mut status = None;
    let mut eof = false;
    while status.is_none() {
        let mut pfd = [PollFd {
            fd: r,
            events: POLLIN as i16,
            revents: 0,
        }];
        if !eof && matches!(ulib::poll(&mut pfd, 10), Ok(n) if n > 0) {
            match ulib::read(r, &mut chunk) {
                Ok(0) => eof = true,
                Ok(k) => {
                    buf.extend_from_slice(&chunk[..k]);
                    take_records(&mut buf, st, &mut inflight, o.verbose);
                    last = now_ms();
                }
                Err(_) => eof = true,
            }
        } else if eof {
            sleep_ms(1);
        }
        match ulib::wait4(pid, WNOHANG) {
            Ok((p, s)) if p == pid => {
                status = Some(s);
                break;
            }
            Ok(_) => {}
            Err(e) => {
                st.failures.push(format!("wait4({pid}): {}", e.message()));
                break;
            }
        }
        let t = now_ms();
        let stalled = t.saturating_sub(last) > o.stall_ms;
        let overtime = t.saturating_sub(start) > o.batch_ms;
        if stalled || overtime {
            if stalled {
                st.killed_stalled += 1;
            } else {
                st.killed_overtime += 1;
            }
            match kill_and_reap(pid) {
                Some(s) => status = Some(s),
                None => {
                    st.failures.push(format!(
                        "child {pid} did not die within {}s of SIGKILL (in {})",
                        KILL_GRACE_MS / 1000,
                        inflight.map_or("user code".into(), |c: Call| format!(
                            "{}({:#x?})",
                            name(c.nr),
                            c.args
                        ))
                    ));
                    let _ = ulib::close(r);
                    return;
                }
            }
        }
    }
    // Drain what is left, then clean up the group and our own zombies
    // (a CLONE_PARENT grandchild is ours).
    while let Ok(k) = ulib::read(r, &mut chunk) {
        if k == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..k]);
        take_records(&mut buf, st, &mut inflight, o.verbose);
        if !eof {
            // Poll-less read on a pipe other processes may still hold:
            // stop after what is there now.
            break;
        }
    }
    let _ = ulib::close(r);
    let _ = ulib::kill(-pid, SIGKILL);
    while matches!(ulib::wait4(-1, WNOHANG | __WALL), Ok((p, _)) if p > 0) {}
    if inflight.is_some() {
        st.unfinished += 1;
    }
    if let Some(s) = status {
        if wifsignaled(s) {
            *st.signaled.entry(wtermsig(s)).or_default() += 1;
        } else {
            st.exited += 1;
        }
    }
    umount_all();
}

fn summary(st: &Stats, o: &Opts, before: u64, after: Option<u64>) {
    uprintln!(
        "fuzz: seed {} — {} calls in {} children ({} exited, {} killed by signal, {} SIGKILLed when stalled, {} over --batch-ms; {} died mid-call)",
        o.seed,
        st.calls,
        st.children,
        st.exited,
        st.signaled.values().sum::<u64>(),
        st.killed_stalled,
        st.killed_overtime,
        st.unfinished
    );
    let sigs: Vec<String> = st
        .signaled
        .iter()
        .map(|(s, n)| {
            format!(
                "{}:{n}",
                crate::signames::short_name(*s).map_or_else(|| s.to_string(), str::to_string)
            )
        })
        .collect();
    if !sigs.is_empty() {
        uprintln!("fuzz: children killed by: {}", sigs.join(" "));
    }
    let mut errs: Vec<(&String, &u64)> = st.per_errno.iter().collect();
    errs.sort_by(|a, b| b.1.cmp(a.1));
    let errs: Vec<String> = errs.iter().map(|(e, n)| format!("{e}:{n}")).collect();
    uprintln!("fuzz: results: {}", errs.join(" "));
    uprintln!("fuzz: per syscall:");
    for (nr, m) in &st.per_call {
        let total: u64 = m.values().sum();
        let detail: Vec<String> = m.iter().map(|(e, n)| format!("{e}:{n}")).collect();
        uprintln!("  {:<16} {:>6}  {}", name(*nr), total, detail.join(" "));
    }
    match after {
        Some(a) => uprintln!("fuzz: free pages before {before} after {a}"),
        None => uprintln!("fuzz: free pages before {before} after (unreadable)"),
    }
}

pub fn main(args: &[String]) -> i32 {
    let o = match parse(args) {
        Ok(o) => o,
        Err(e) if e.is_empty() => {
            uprintln!("{USAGE}");
            return 0;
        }
        Err(e) => {
            ueprintln!("fuzz: {e}");
            ueprintln!("{USAGE}");
            return 2;
        }
    };
    rm_rf(DIR);
    if let Err(e) = ulib::mkdir(DIR, 0o755) {
        ueprintln!("fuzz: mkdir {DIR}: {}", e.message());
        return 1;
    }
    let mut seen = BTreeSet::new();
    let early = new_oopses(&mut seen);
    // Warm up: every buffer the parent uses from here on is touched now.
    let mut zbuf = Vec::with_capacity(1 << 16);
    if let Ok(null) = ulib::open("/dev/null", O_WRONLY | O_CLOEXEC, 0) {
        let _ = ulib::write(null, &vec![0u8; LOG_WINDOW]);
        let _ = ulib::close(null);
    }
    for _ in 0..2 {
        let _ = free_pages(&mut zbuf);
    }
    let mut st = Stats::default();
    for l in early {
        st.failures.push(format!("kernel log before fuzzing: {l}"));
    }
    // One child first so that its traces in the parent (COW-broken pages,
    // page tables) exist before the baseline is taken.
    run_batch(&o, u64::MAX, 1, &mut st);
    let st_warm_calls = st.calls;
    let Some(before) = free_pages(&mut zbuf) else {
        ueprintln!("fuzz: cannot read /proc/zoneinfo");
        return 1;
    };
    let mut idx = 0;
    let mut next_tick = o.iterations / 10;
    while st.calls - st_warm_calls < o.iterations && st.failures.is_empty() {
        let left = o.iterations - (st.calls - st_warm_calls);
        let _ = ulib::mkdir(DIR, 0o755);
        run_batch(&o, idx, left.min(o.batch), &mut st);
        idx += 1;
        for l in new_oopses(&mut seen) {
            st.failures.push(format!(
                "kernel log after batch {idx} (seed {}): {l}",
                o.seed
            ));
        }
        if st.calls - st_warm_calls >= next_tick && o.iterations >= 10 {
            uprintln!(
                "fuzz: {} / {} calls, {} children",
                st.calls - st_warm_calls,
                o.iterations,
                st.children
            );
            ulib::io::flush_all();
            next_tick += o.iterations / 10;
        }
    }
    rm_rf(DIR);
    // Exact: wait for stragglers (orphans init has not reaped) to let go.
    let mut after = None;
    for _ in 0..400 {
        after = free_pages(&mut zbuf);
        if after == Some(before) {
            break;
        }
        sleep_ms(5);
    }
    if after != Some(before) {
        st.failures.push(format!(
            "free pages did not come back: before {before}, after {after:?}"
        ));
    }
    summary(&st, &o, before, after);
    for f in &st.failures {
        uprintln!("fuzz: FAIL: {f}");
    }
    if st.failures.is_empty() {
        uprintln!("fuzz: clean");
        0
    } else {
        1
    }
}
