//! Differential tests against the host kernel (gVisor's method): small
//! syscall programs written once against ulib run both on usk (booted in
//! this process, programs entered through the syscall ABI) and on the host
//! Linux (ulib's host backend, in a forked child), and must print the same
//! transcript — return values, errno names, wait statuses, data read.
//!
//! Documented differences: none in these programs. (Known ones elsewhere:
//! usk has no core dumps, so WCOREFLAG is never set; RLIMIT_CORE is 0 on
//! both sides here.)

use hw::ConsoleBackend;
use kernel::init::kernel::BootConfig;
use kernel::kernel::printk::Console;
use std::fmt::Write as _;
use std::sync::Mutex;
use ulib::errno::Errno;
use ulib::uapi::fcntl::*;
use ulib::uapi::signal::*;
use ulib::wait::*;

type Program = fn(&mut String);

const PROGRAMS: &[(&str, Program)] = &[
    ("pipes", pipes),
    ("fork_wait", fork_wait),
    ("signals", signals),
    ("dup_fcntl", dup_fcntl),
    ("lseek", lseek),
    ("bad_pointers", bad_pointers),
    ("bad_arguments", bad_arguments),
];

/// `name = value` or `name = -1 ENAME`.
fn rec<T: std::fmt::Debug>(t: &mut String, what: &str, r: Result<T, Errno>) {
    match r {
        Ok(v) => writeln!(t, "{what} = {v:?}"),
        Err(e) => writeln!(t, "{what} = -1 {}", e.name().unwrap_or("?")),
    }
    .unwrap();
}

fn status(st: i32) -> String {
    if wifexited(st) {
        format!("exited({})", wexitstatus(st))
    } else if wifsignaled(st) {
        format!("signaled({})", wtermsig(st))
    } else if wifstopped(st) {
        format!("stopped({})", wstopsig(st))
    } else {
        format!("{st:#x}")
    }
}

fn pipes(t: &mut String) {
    let (r, w) = ulib::pipe2(0).unwrap();
    rec(t, "write 5", ulib::write(w, b"hello"));
    let mut b = [0u8; 10];
    rec(t, "read 10", ulib::read(r, &mut b));
    writeln!(t, "data = {:?}", std::str::from_utf8(&b[..5]).unwrap()).unwrap();
    rec(
        t,
        "fcntl GETFL",
        ulib::fcntl(r, F_GETFL, 0).map(|f| f as u32 & O_ACCMODE),
    );
    rec(
        t,
        "set O_NONBLOCK",
        ulib::fcntl(r, F_SETFL, O_NONBLOCK as u64),
    );
    rec(t, "read empty nonblock", ulib::read(r, &mut b));
    rec(t, "close w", ulib::close(w));
    rec(t, "read at eof", ulib::read(r, &mut b));
    let (r2, w2) = ulib::pipe2(O_CLOEXEC).unwrap();
    rec(t, "close r2", ulib::close(r2));
    ulib::signal_ignore(SIGPIPE).unwrap();
    rec(
        t,
        "write no reader (SIGPIPE ignored)",
        ulib::write(w2, b"x"),
    );
    ulib::signal_default(SIGPIPE).unwrap();
    let (r3, w3) = ulib::pipe2(0).unwrap();
    let pid = ulib::fork(move || {
        let _ = ulib::close(r3);
        let _ = ulib::write(w3, b"x");
        0
    })
    .unwrap();
    ulib::close(w3).unwrap();
    // The child's write succeeds (we still hold r3): exit 0.
    let (_, st) = ulib::wait4(pid, 0).unwrap();
    writeln!(t, "child with reader = {}", status(st)).unwrap();
    let (r4, w4) = ulib::pipe2(0).unwrap();
    ulib::close(r4).unwrap();
    let pid = ulib::fork(move || {
        let _ = ulib::write(w4, b"x");
        0
    })
    .unwrap();
    ulib::close(w4).unwrap();
    let (_, st) = ulib::wait4(pid, 0).unwrap();
    writeln!(t, "child without reader = {}", status(st)).unwrap();
}

fn fork_wait(t: &mut String) {
    let pid = ulib::fork(|| 3).unwrap();
    let (p, st) = ulib::wait4(pid, 0).unwrap();
    writeln!(
        t,
        "same pid = {}, status = {st:#x} {}",
        p == pid,
        status(st)
    )
    .unwrap();
    let pid = ulib::fork(|| loop {
        let _ = ulib::sched_yield();
    })
    .unwrap();
    rec(
        t,
        "wnohang running",
        ulib::wait4(pid, WNOHANG).map(|(p, _)| p),
    );
    rec(t, "kill TERM", ulib::kill(pid, SIGTERM));
    let (_, st) = ulib::wait4(pid, 0).unwrap();
    writeln!(t, "killed = {st:#x} {}", status(st)).unwrap();
    rec(t, "wait no children", ulib::wait4(-1, 0));
    rec(t, "wait bad options", ulib::wait4(-1, 0x0010_0000));
    let pid = ulib::fork(|| {
        ulib::kill(ulib::getpid(), SIGSTOP).unwrap();
        4
    })
    .unwrap();
    let (_, st) = ulib::wait4(pid, WUNTRACED).unwrap();
    writeln!(t, "stopped = {st:#x} {}", status(st)).unwrap();
    rec(t, "cont", ulib::kill(pid, SIGCONT));
    let (_, st) = ulib::wait4(pid, 0).unwrap();
    writeln!(t, "after cont = {}", status(st)).unwrap();
    let pid = ulib::fork(|| {
        ulib::backend::store(8, b"x");
        0
    })
    .unwrap();
    let (_, st) = ulib::wait4(pid, 0).unwrap();
    writeln!(t, "bad store = {}", status(st)).unwrap();
}

static HITS: Mutex<Vec<i32>> = Mutex::new(Vec::new());

fn on_signal(sig: i32) {
    HITS.lock().unwrap().push(sig);
}

fn signals(t: &mut String) {
    ulib::signal(SIGUSR1, on_signal).unwrap();
    ulib::signal(SIGUSR2, on_signal).unwrap();
    let me = ulib::getpid();
    rec(t, "kill self USR1", ulib::kill(me, SIGUSR1));
    writeln!(t, "hits = {:?}", HITS.lock().unwrap()).unwrap();
    rec(
        t,
        "block USR2",
        ulib::sigprocmask(SIG_BLOCK, Some(sigmask(SIGUSR2))),
    );
    rec(t, "kill self USR2", ulib::kill(me, SIGUSR2));
    writeln!(t, "hits while blocked = {:?}", HITS.lock().unwrap()).unwrap();
    let mut pending = 0u64;
    let s = ulib::mem::Scratch::new(8).unwrap();
    let r = ulib::backend::syscall6(
        ulib::uapi::unistd::__NR_rt_sigpending,
        [s.addr(0), 8, 0, 0, 0, 0],
    );
    if r == 0 {
        pending = s.get_u64(0);
    }
    writeln!(t, "pending USR2 = {}", pending & sigmask(SIGUSR2) != 0).unwrap();
    rec(
        t,
        "unblock",
        ulib::sigprocmask(SIG_UNBLOCK, Some(sigmask(SIGUSR2)))
            .map(|old| old & sigmask(SIGUSR2) != 0),
    );
    writeln!(t, "hits after unblock = {:?}", HITS.lock().unwrap()).unwrap();
    rec(
        t,
        "catch KILL",
        ulib::signal(SIGKILL, on_signal).map(|_| ()),
    );
    rec(
        t,
        "catch STOP",
        ulib::signal(SIGSTOP, on_signal).map(|_| ()),
    );
    rec(t, "kill sig 65", ulib::kill(me, 65));
    rec(t, "kill sig 0", ulib::kill(me, 0));
    rec(t, "kill no such pid", ulib::kill(4_000_000, SIGTERM));
    rec(t, "sigprocmask bad how", ulib::sigprocmask(7, Some(0)));
    // A handler-less fatal signal in a child.
    let pid = ulib::fork(|| {
        let _ = ulib::kill(ulib::getpid(), SIGUSR1);
        0
    })
    .unwrap();
    let (_, st) = ulib::wait4(pid, 0).unwrap();
    // The child inherited the handler, so it survives.
    writeln!(t, "child with inherited handler = {}", status(st)).unwrap();
    let pid = ulib::fork(|| {
        ulib::signal_default(SIGUSR1).unwrap();
        let _ = ulib::kill(ulib::getpid(), SIGUSR1);
        0
    })
    .unwrap();
    let (_, st) = ulib::wait4(pid, 0).unwrap();
    writeln!(t, "child with default = {}", status(st)).unwrap();
}

fn dup_fcntl(t: &mut String) {
    let (r, w) = ulib::pipe2(0).unwrap();
    let d = ulib::dup(w).unwrap();
    writeln!(t, "dup > w = {}", d > w).unwrap();
    rec(t, "dup2 same", ulib::dup2(w, w).map(|fd| fd == w));
    rec(t, "dup3 same", ulib::dup3(w, w, 0));
    rec(t, "dup3 bad flags", ulib::dup3(w, 40, 1));
    rec(t, "dup2 to 40", ulib::dup2(w, 40));
    rec(t, "GETFD", ulib::fcntl(40, F_GETFD, 0));
    rec(t, "SETFD", ulib::fcntl(40, F_SETFD, FD_CLOEXEC as u64));
    rec(t, "GETFD", ulib::fcntl(40, F_GETFD, 0));
    rec(t, "DUPFD 50", ulib::fcntl(w, F_DUPFD, 50));
    rec(t, "DUPFD_CLOEXEC 50", ulib::fcntl(w, F_DUPFD_CLOEXEC, 50));
    rec(t, "GETFD 51", ulib::fcntl(51, F_GETFD, 0));
    rec(t, "fcntl bad cmd", ulib::fcntl(w, 9999, 0));
    rec(t, "fcntl bad fd", ulib::fcntl(999, F_GETFD, 0));
    for fd in [d, 40, 50, 51, r, w] {
        let _ = ulib::close(fd);
    }
    rec(t, "close closed", ulib::close(w));
    rec(t, "close -1", ulib::close(-1));
    rec(t, "dup bad", ulib::dup(-5));
}

fn lseek(t: &mut String) {
    let path = format!("/tmp/usk-diff-lseek-{}", ulib::getpid());
    let fd = ulib::open(&path, O_RDWR | O_CREAT | O_TRUNC, 0o600).unwrap();
    rec(t, "write", ulib::write(fd, b"0123456789"));
    rec(t, "SEEK_SET 2", ulib::lseek(fd, 2, SEEK_SET));
    let mut b = [0u8; 3];
    rec(t, "read 3", ulib::read(fd, &mut b));
    writeln!(t, "data = {:?}", std::str::from_utf8(&b).unwrap()).unwrap();
    rec(t, "SEEK_CUR", ulib::lseek(fd, 0, SEEK_CUR));
    rec(t, "SEEK_END -1", ulib::lseek(fd, -1, SEEK_END));
    rec(t, "SEEK_CUR -100", ulib::lseek(fd, -100, SEEK_CUR));
    rec(t, "bad whence", ulib::lseek(fd, 0, 17));
    rec(t, "SEEK_SET 20", ulib::lseek(fd, 20, SEEK_SET));
    rec(t, "read past end", ulib::read(fd, &mut b));
    rec(t, "pread 7", ulib::pread64(fd, &mut b, 7));
    writeln!(t, "data = {:?}", std::str::from_utf8(&b).unwrap()).unwrap();
    rec(t, "pread negative", ulib::pread64(fd, &mut b, -1));
    rec(t, "fstat size", ulib::fstat(fd).map(|s| s.st_size));
    let (r, w) = ulib::pipe2(0).unwrap();
    rec(t, "lseek pipe", ulib::lseek(r, 0, SEEK_SET));
    rec(t, "pread pipe", ulib::pread64(r, &mut b, 0));
    for x in [fd, r, w] {
        ulib::close(x).unwrap();
    }
    rec(t, "unlink", ulib::unlink(&path));
    rec(t, "unlink again", ulib::unlink(&path));
    rec(t, "open missing", ulib::open(&path, O_RDONLY, 0));
    rec(t, "open dir for write", ulib::open("/tmp", O_WRONLY, 0));
}

fn bad_pointers(t: &mut String) {
    use ulib::backend::syscall6;
    use ulib::uapi::unistd::*;
    let (r, w) = ulib::pipe2(0).unwrap();
    ulib::write(w, b"data").unwrap();
    let calls: [(&str, u64, [u64; 6]); 8] = [
        ("read to 0x10", __NR_read, [r as u64, 0x10, 4, 0, 0, 0]),
        ("write from 0x10", __NR_write, [w as u64, 0x10, 4, 0, 0, 0]),
        (
            "write from kernel half",
            __NR_write,
            [w as u64, 0xffff_8000_0000_0000, 4, 0, 0, 0],
        ),
        ("openat NULL", __NR_openat, [AT_FDCWD as u64, 0, 0, 0, 0, 0]),
        ("pipe2 to 0x8", __NR_pipe2, [8, 0, 0, 0, 0, 0]),
        ("uname to 0x10", __NR_uname, [0x10, 0, 0, 0, 0, 0]),
        (
            "rt_sigaction act 0x10",
            __NR_rt_sigaction,
            [10, 0x10, 0, 8, 0, 0],
        ),
        ("fstat to 0x10", __NR_fstat, [r as u64, 0x10, 0, 0, 0, 0]),
    ];
    for (what, nr, args) in calls {
        let ret = syscall6(nr, args);
        rec(t, what, ulib::check(ret).map(|_| ()));
    }
    let mut b = [0u8; 8];
    rec(t, "data still there", ulib::read(r, &mut b));
}

fn bad_arguments(t: &mut String) {
    use ulib::uapi::mman::*;
    rec(
        t,
        "mmap len 0",
        ulib::mmap(0, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0).map(|_| ()),
    );
    rec(
        t,
        "mmap no type",
        ulib::mmap(0, 4096, PROT_READ, MAP_ANONYMOUS, -1, 0).map(|_| ()),
    );
    rec(
        t,
        "mmap unaligned fixed",
        ulib::mmap(
            0x1000_0001,
            4096,
            PROT_READ,
            MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
            -1,
            0,
        )
        .map(|_| ()),
    );
    rec(t, "munmap unaligned", ulib::munmap(0x1001, 4096));
    rec(t, "pipe2 bad flags", ulib::pipe2(0x1).map(|_| ()));
    rec(t, "open bad dirfd", ulib::openat(999, "x", O_RDONLY, 0));
    rec(t, "read bad fd", ulib::read(-3, &mut [0u8; 1]));
    rec(t, "write to read end", {
        let (r, _w) = ulib::pipe2(0).unwrap();
        ulib::write(r, b"x")
    });
    rec(
        t,
        "execve missing",
        Err::<(), _>(ulib::execve("/nonexistent", &["x"], &[] as &[&str])),
    );
    // The host run may be unprivileged (CI need not be root), so only
    // what holds for any caller is compared: keeping one's own uid works;
    // once dropped to nobody, uid 0 is out of reach (in a child, so this
    // process keeps its credentials).
    rec(t, "setuid to own uid", ulib::setuid(ulib::getuid()));
    let pid = ulib::fork(|| {
        let _ = ulib::setuid(65534);
        ulib::setuid(0).err().map_or(0, |e| e.0)
    })
    .unwrap();
    let (_, st) = ulib::wait4(pid, 0).unwrap();
    writeln!(t, "setuid 0 after dropping to nobody = {}", status(st)).unwrap();
    rec(
        t,
        "unknown syscall",
        ulib::check(ulib::backend::syscall6(1000, [0; 6])).map(|_| ()),
    );
}

/// The test program as an applet: run `argv[1]`, print its transcript.
fn difftest(args: &[String]) -> i32 {
    let Some(&(_, prog)) = PROGRAMS
        .iter()
        .find(|(n, _)| Some(*n) == args.get(1).map(String::as_str))
    else {
        return 2;
    };
    let mut t = String::new();
    prog(&mut t);
    ulib::write_all(1, t.as_bytes()).unwrap();
    0
}

static APPLETS: &[(&str, ulib::rt::AppletMain)] = &[("difftest", difftest)];

/// One forked host process (or usk boot) at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn on_host(name: &str) -> String {
    let _g = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    ulib::rt::use_host_backend();
    let (r, w) = ulib::pipe2(O_CLOEXEC).unwrap();
    let argv = vec!["difftest".to_string(), name.to_string()];
    let pid = ulib::fork(move || {
        ulib::dup2(w, 1).unwrap();
        let _ = ulib::signal_default(SIGPIPE);
        ulib::rt::run_main(difftest, &argv, &[])
    })
    .unwrap();
    ulib::close(w).unwrap();
    let out = ulib::read_to_end(r).unwrap();
    ulib::close(r).unwrap();
    let (_, st) = ulib::wait4(pid, 0).unwrap();
    assert_eq!(st, 0, "host run of {name} failed");
    String::from_utf8(out).unwrap()
}

fn on_usk(name: &str) -> String {
    let _g = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    ulib::rt::install();
    ulib::rt::register_applets(APPLETS);
    let console = hw::console::MemoryConsole::new();
    let cfg = BootConfig {
        cpus: 2,
        mem_bytes: 64 << 20,
        console: Console::Silent,
        tty_console: ConsoleBackend::Memory(console.clone()),
        initramfs: vec![(
            "/sbin/difftest".into(),
            0o755,
            b"#!applet difftest\n".to_vec(),
        )],
        init_argv: Some(vec!["/sbin/difftest".into(), name.into()]),
        ..Default::default()
    };
    let (status, out) = kernel::testing::boot_user_space(cfg);
    assert_eq!(status, 0, "{}", out.dmesg);
    String::from_utf8(console.output())
        .unwrap()
        .replace("\r\n", "\n")
}

#[test]
fn usk_matches_the_host_kernel() {
    for (name, _) in PROGRAMS {
        let host = on_host(name);
        let usk = on_usk(name);
        assert!(!host.is_empty());
        assert_eq!(
            usk, host,
            "program {name}: usk (left) differs from the host (right)"
        );
    }
}
