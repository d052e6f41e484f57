//! The process layer through the raw syscall ABI: fork/exec/exit/wait4,
//! copy-on-write, signals (default actions, handlers, masks, job-control
//! stops), pipes with SIGPIPE, EFAULT on bad pointers, ENOSYS, orphans.
//!
//! User programs here speak to the kernel only through `uapi::abi` (the
//! `syscall` instruction and the MMU), with a deliberately tiny runtime
//! of their own (`rt` below) so that this file tests the kernel's ABI and
//! not the user library's.

use kernel::testing::config;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use uapi::abi::{PtRegs, UserEntry};
use uapi::errno::*;
use uapi::signal::*;
use uapi::unistd::*;
use uapi::wait::*;

/// The minimal user runtime: raw syscalls, loads/stores, applets and fork
/// continuations.
mod rt {
    use super::*;
    use std::collections::HashMap;

    pub type Main = fn(&[String]) -> i32;
    type Cont = Box<dyn FnOnce() -> i32 + Send>;

    const APPLET_BASE: u64 = 0x40_0000;
    const CONT_BASE: u64 = 0x6000_0000_0000;

    static CONTS: Mutex<Option<HashMap<u64, Cont>>> = Mutex::new(None);
    static NEXT: AtomicU64 = AtomicU64::new(1);

    pub fn syscall(nr: u64, args: &[u64]) -> i64 {
        let mut regs = PtRegs {
            nr,
            ..Default::default()
        };
        regs.args[..args.len()].copy_from_slice(args);
        (uapi::abi::kernel_entry().unwrap().syscall)(&mut regs)
    }

    pub fn load(addr: u64, buf: &mut [u8]) {
        (uapi::abi::kernel_entry().unwrap().load)(addr, buf)
    }

    pub fn store(addr: u64, buf: &[u8]) {
        (uapi::abi::kernel_entry().unwrap().store)(addr, buf)
    }

    pub fn load_u64(addr: u64) -> u64 {
        let mut b = [0u8; 8];
        load(addr, &mut b);
        u64::from_ne_bytes(b)
    }

    /// fork() whose child runs `f`.
    pub fn fork(f: impl FnOnce() -> i32 + Send + 'static) -> i64 {
        clone(__NR_fork, [0; 6], f)
    }

    /// A clone-family call (`nr` fork, vfork or clone with `args`) whose
    /// child runs `f`.
    pub fn clone(nr: u64, args: [u64; 6], f: impl FnOnce() -> i32 + Send + 'static) -> i64 {
        let ip = CONT_BASE + NEXT.fetch_add(1, Ordering::Relaxed) * 16;
        CONTS
            .lock()
            .unwrap()
            .get_or_insert_with(HashMap::new)
            .insert(ip, Box::new(f));
        let mut regs = PtRegs {
            nr,
            args,
            ip,
            ..Default::default()
        };
        (uapi::abi::kernel_entry().unwrap().syscall)(&mut regs)
    }

    /// An anonymous read-write mapping.
    pub fn mmap(len: u64) -> u64 {
        let r = syscall(__NR_mmap, &[0, len, 3, 0x22, u64::MAX, 0]);
        assert!(r > 0, "mmap: {r}");
        r as u64
    }

    /// A NUL-terminated copy of `s` in fresh user memory.
    pub fn cstr(s: &str) -> u64 {
        let a = mmap(4096);
        let mut b = s.as_bytes().to_vec();
        b.push(0);
        store(a, &b);
        a
    }

    pub fn exit(code: i32) -> ! {
        syscall(__NR_exit_group, &[code as u64]);
        unreachable!("exit_group returned")
    }

    pub fn wait(pid: i64, options: u32) -> (i64, i32) {
        let st = mmap(4096);
        let r = syscall(__NR_wait4, &[pid as u64, st, options as u64, 0]);
        let mut b = [0u8; 4];
        load(st, &mut b);
        (r, i32::from_ne_bytes(b))
    }

    pub fn sigaction(sig: i32, handler: fn(i32), flags: u64) -> i64 {
        HANDLER_FNS.lock().unwrap().push(handler);
        let h = handler as usize as u64;
        let act = KernelSigaction {
            sa_handler: h,
            sa_flags: flags,
            ..Default::default()
        };
        let a = mmap(4096);
        store(a, &act.to_bytes());
        syscall(__NR_rt_sigaction, &[sig as u64, a, 0, 8])
    }

    fn enter(regs: &PtRegs) -> bool {
        if regs.ip >= CONT_BASE {
            let f = CONTS
                .lock()
                .unwrap()
                .get_or_insert_with(HashMap::new)
                .remove(&regs.ip);
            let Some(f) = f else { return false };
            let code = f();
            if regs.nr == __NR_clone && regs.args[0] & uapi::sched::CLONE_THREAD != 0 {
                syscall(__NR_exit, &[code as u64]);
            }
            exit(code)
        }
        let idx = regs.ip.wrapping_sub(APPLET_BASE) / 0x1000;
        let Some(&(_, main)) = APPLETS.get(idx as usize) else {
            return false;
        };
        let argc = load_u64(regs.sp);
        let mut args = Vec::new();
        for i in 0..argc {
            let p = load_u64(regs.sp + 8 + 8 * i);
            let mut s = Vec::new();
            for j in 0.. {
                let mut b = [0u8];
                load(p + j, &mut b);
                if b[0] == 0 {
                    break;
                }
                s.push(b[0]);
            }
            args.push(String::from_utf8(s).unwrap());
        }
        exit(main(&args))
    }

    /// Handlers are registered `fn(i32)`s; any other address is not code.
    fn handle_signal(handler: u64, sig: i32) -> bool {
        let f = HANDLER_FNS
            .lock()
            .unwrap()
            .iter()
            .copied()
            .find(|&f| f as usize as u64 == handler);
        match f {
            Some(f) => {
                f(sig);
                true
            }
            None => false,
        }
    }

    pub static HANDLER_FNS: Mutex<Vec<fn(i32)>> = Mutex::new(Vec::new());

    fn resolve(name: &str) -> Option<u64> {
        APPLETS
            .iter()
            .position(|(n, _)| *n == name)
            .map(|i| APPLET_BASE + i as u64 * 0x1000)
    }

    pub static ENTRY: UserEntry = UserEntry {
        enter,
        handle_signal,
        resolve_applet: resolve,
    };

    pub static APPLETS: &[(&str, Main)] =
        &[("testinit", super::testinit), ("echoargs", super::echoargs)];
}

/// Boot with `/sbin/testinit <test>` as init; returns init's exit code and
/// the log.
fn boot_test(test: &str) -> (i32, String) {
    uapi::abi::install_user(&rt::ENTRY);
    let mut cfg = config(2);
    cfg.initramfs = vec![
        (
            "/sbin/testinit".into(),
            0o755,
            b"#!applet testinit\n".to_vec(),
        ),
        (
            "/bin/echoargs".into(),
            0o755,
            b"#!applet echoargs\n".to_vec(),
        ),
        ("/bin/noexec".into(), 0o644, b"#!applet echoargs\n".to_vec()),
        ("/bin/garbage".into(), 0o755, b"\x7fELF....".to_vec()),
    ];
    cfg.init_argv = Some(vec!["/sbin/testinit".into(), test.into()]);
    let (c, out) = kernel::testing::boot_user_space(cfg);
    (c, out.dmesg)
}

/// exec target: exit with argc*10 + length of argv[1].
fn echoargs(args: &[String]) -> i32 {
    (args.len() * 10 + args.get(1).map_or(0, |a| a.len())) as i32
}

fn check(cond: bool, code: i32) -> Result<(), i32> {
    if cond {
        Ok(())
    } else {
        Err(code)
    }
}

/// pid 1: run one scenario; 0 means it passed, anything else names the
/// failing check.
fn testinit(args: &[String]) -> i32 {
    let r = match args.get(1).map(String::as_str) {
        Some("fork_wait") => fork_wait(),
        Some("cow") => cow(),
        Some("exec") => exec(),
        Some("signals") => signals(),
        Some("handler") => handler(),
        Some("pipe") => pipe(),
        Some("efault") => efault(),
        Some("stop_cont") => stop_cont(),
        Some("orphans") => orphans(),
        Some("oom") => oom(),
        Some("ttin") => ttin(),
        Some("creds") => creds(),
        Some("vfork") => vfork(),
        Some("threads") => threads(),
        Some("misc") => misc(),
        _ => Err(99),
    };
    match r {
        Ok(()) => 0,
        Err(c) => c,
    }
}

fn fork_wait() -> Result<(), i32> {
    let me = rt::syscall(__NR_getpid, &[]);
    check(me == 1, 1)?;
    let pid = rt::fork(move || {
        if rt::syscall(__NR_getppid, &[]) != 1 {
            return 50;
        }
        7
    });
    check(pid > 1, 2)?;
    let (r, st) = rt::wait(pid, 0);
    check(r == pid, 3)?;
    check(wifexited(st) && wexitstatus(st) == 7, 4)?;
    // No children left.
    check(rt::wait(-1, 0).0 == ECHILD.as_ret() as i64, 5)?;
    // WNOHANG with a running child returns 0.
    let p2 = rt::fork(|| {
        rt::syscall(__NR_sched_yield, &[]);
        0
    });
    let (r, _) = rt::wait(p2, WNOHANG);
    check(r == 0 || r == p2, 6)?;
    if r == 0 {
        check(rt::wait(p2, 0).0 == p2, 7)?;
    }
    // An unknown syscall.
    check(rt::syscall(100_000, &[]) == ENOSYS.as_ret() as i64, 8)?;
    Ok(())
}

fn cow() -> Result<(), i32> {
    let a = rt::mmap(8192);
    rt::store(a, b"parent");
    let pid = rt::fork(move || {
        let mut b = [0u8; 6];
        rt::load(a, &mut b);
        if &b != b"parent" {
            return 1;
        }
        rt::store(a, b"child!");
        rt::load(a, &mut b);
        if &b != b"child!" {
            return 2;
        }
        0
    });
    let (_, st) = rt::wait(pid, 0);
    check(wexitstatus(st) == 0 && wifexited(st), 10 + wexitstatus(st))?;
    let mut b = [0u8; 6];
    rt::load(a, &mut b);
    check(&b == b"parent", 20)
}

fn exec() -> Result<(), i32> {
    let path = rt::cstr("/bin/echoargs");
    let arg0 = rt::cstr("echoargs");
    let arg1 = rt::cstr("hello");
    let argv = rt::mmap(4096);
    for (i, p) in [arg0, arg1, 0].iter().enumerate() {
        rt::store(argv + 8 * i as u64, &p.to_ne_bytes());
    }
    let pid = rt::fork(move || {
        rt::syscall(__NR_execve, &[path, argv, 0]);
        100
    });
    let (_, st) = rt::wait(pid, 0);
    check(wexitstatus(st) == 25, 30)?;
    // Failures leave the caller intact with Linux's errnos.
    let r = rt::syscall(__NR_execve, &[rt::cstr("/bin/none"), argv, 0]);
    check(r == ENOENT.as_ret() as i64, 31)?;
    let r = rt::syscall(__NR_execve, &[rt::cstr("/bin/noexec"), argv, 0]);
    check(r == EACCES.as_ret() as i64, 32)?;
    let r = rt::syscall(__NR_execve, &[rt::cstr("/bin/garbage"), argv, 0]);
    check(r == ENOEXEC.as_ret() as i64, 33)?;
    let r = rt::syscall(__NR_execve, &[0xdead_0000, argv, 0]);
    check(r == EFAULT.as_ret() as i64, 34)
}

fn signals() -> Result<(), i32> {
    // Default action: terminate.
    let pid = rt::fork(|| loop {
        rt::syscall(__NR_pause, &[]);
    });
    check(
        rt::syscall(__NR_kill, &[pid as u64, SIGTERM as u64]) == 0,
        40,
    )?;
    let (_, st) = rt::wait(pid, 0);
    check(wifsignaled(st) && wtermsig(st) == SIGTERM, 41)?;
    // SIGKILL cannot be caught; bad signal numbers are EINVAL.
    check(
        rt::sigaction(SIGKILL, |_| {}, 0) == EINVAL.as_ret() as i64,
        42,
    )?;
    check(
        rt::syscall(__NR_kill, &[1, 65]) == EINVAL.as_ret() as i64,
        43,
    )?;
    check(
        rt::syscall(__NR_kill, &[30000, 0]) == ESRCH.as_ret() as i64,
        44,
    )?;
    // A bad address in user mode: SIGSEGV.
    let pid = rt::fork(|| {
        rt::store(0x10, b"x");
        0
    });
    let (_, st) = rt::wait(pid, 0);
    check(wifsignaled(st) && wtermsig(st) == SIGSEGV, 45)
}

static GOT: AtomicU64 = AtomicU64::new(0);

fn on_usr1(sig: i32) {
    GOT.fetch_add(sig as u64, Ordering::SeqCst);
}

fn handler() -> Result<(), i32> {
    check(rt::sigaction(SIGUSR1, on_usr1, 0) == 0, 50)?;
    let me = rt::syscall(__NR_getpid, &[]) as u64;
    rt::syscall(__NR_kill, &[me, SIGUSR1 as u64]);
    check(GOT.load(Ordering::SeqCst) == SIGUSR1 as u64, 51)?;
    // Blocked: stays pending until unblocked.
    let set = rt::mmap(4096);
    rt::store(set, &sigmask(SIGUSR1).to_ne_bytes());
    rt::syscall(__NR_rt_sigprocmask, &[SIG_BLOCK as u64, set, 0, 8]);
    rt::syscall(__NR_kill, &[me, SIGUSR1 as u64]);
    check(GOT.load(Ordering::SeqCst) == SIGUSR1 as u64, 52)?;
    rt::syscall(__NR_rt_sigprocmask, &[SIG_UNBLOCK as u64, set, 0, 8]);
    check(GOT.load(Ordering::SeqCst) == 2 * SIGUSR1 as u64, 53)
}

fn pipe() -> Result<(), i32> {
    let fds = rt::mmap(4096);
    check(rt::syscall(__NR_pipe2, &[fds, 0]) == 0, 60)?;
    let mut b = [0u8; 8];
    rt::load(fds, &mut b);
    let rfd = i32::from_ne_bytes(b[..4].try_into().unwrap()) as u64;
    let wfd = i32::from_ne_bytes(b[4..].try_into().unwrap()) as u64;
    let msg = rt::cstr("through the pipe");
    let pid = rt::fork(move || {
        rt::syscall(__NR_close, &[rfd]);
        (rt::syscall(__NR_write, &[wfd, msg, 16]) != 16) as i32
    });
    rt::syscall(__NR_close, &[wfd]);
    let buf = rt::mmap(4096);
    check(rt::syscall(__NR_read, &[rfd, buf, 100]) == 16, 61)?;
    check(rt::syscall(__NR_read, &[rfd, buf, 100]) == 0, 62)?;
    check(wexitstatus(rt::wait(pid, 0).1) == 0, 63)?;
    // Writing with no reader: EPIPE and SIGPIPE (which kills by default).
    rt::syscall(__NR_pipe2, &[fds, 0]);
    rt::load(fds, &mut b);
    let rfd = i32::from_ne_bytes(b[..4].try_into().unwrap()) as u64;
    let wfd = i32::from_ne_bytes(b[4..].try_into().unwrap()) as u64;
    rt::syscall(__NR_close, &[rfd]);
    let pid = rt::fork(move || {
        rt::syscall(__NR_write, &[wfd, msg, 1]);
        0
    });
    let (_, st) = rt::wait(pid, 0);
    check(wifsignaled(st) && wtermsig(st) == SIGPIPE, 64)
}

fn efault() -> Result<(), i32> {
    let zero = rt::syscall(__NR_openat, &[AT_FDCWD_U, rt::cstr("/dev/zero"), 0, 0]);
    check(zero >= 3, 69)?;
    for (nr, args) in [
        (__NR_write, vec![1, 0xdead_0000, 10]),
        (__NR_read, vec![zero as u64, 0x10, 10]),
        (__NR_openat, vec![AT_FDCWD_U, 0xdead_0000, 0, 0]),
        (__NR_pipe2, vec![0x8, 0]),
        (__NR_uname, vec![u64::MAX - 5]),
        (__NR_wait4, vec![u64::MAX, 0xdead_0000, 0, 0]),
    ] {
        let r = rt::syscall(nr, &args);
        if r != EFAULT.as_ret() as i64 && !(nr == __NR_wait4 && r == ECHILD.as_ret() as i64) {
            return Err(70 + nr as i32 % 20);
        }
    }
    check(
        rt::syscall(__NR_close, &[u64::MAX]) == EBADF.as_ret() as i64,
        90,
    )
}

const AT_FDCWD_U: u64 = uapi::fcntl::AT_FDCWD as u32 as u64;

fn stop_cont() -> Result<(), i32> {
    let pid = rt::fork(|| loop {
        rt::syscall(__NR_pause, &[]);
    });
    rt::syscall(__NR_kill, &[pid as u64, SIGSTOP as u64]);
    let (r, st) = rt::wait(pid, WUNTRACED);
    check(r == pid && wifstopped(st) && wstopsig(st) == SIGSTOP, 80)?;
    rt::syscall(__NR_kill, &[pid as u64, SIGCONT as u64]);
    let (r, st) = rt::wait(pid, WCONTINUED);
    check(r == pid && wifcontinued(st), 81)?;
    rt::syscall(__NR_kill, &[pid as u64, SIGKILL as u64]);
    let (_, st) = rt::wait(pid, 0);
    check(wifsignaled(st) && wtermsig(st) == SIGKILL, 82)
}

fn orphans() -> Result<(), i32> {
    // The child forks a grandchild and exits at once: init adopts the
    // grandchild and reaps it.
    let pid = rt::fork(|| {
        rt::fork(|| 5);
        0
    });
    check(wexitstatus(rt::wait(pid, 0).1) == 0, 90)?;
    let (r, st) = rt::wait(-1, 0);
    check(r > pid && wexitstatus(st) == 5, 91)
}

/// A child touching more memory than the machine has is the OOM killer's
/// victim; its parent carries on.
fn oom() -> Result<(), i32> {
    let pid = rt::fork(|| {
        let len = 256u64 << 20;
        let a = rt::mmap(len);
        let mut off = 0;
        while off < len {
            rt::store(a + off, &[1]);
            off += 4096;
        }
        0
    });
    let (r, st) = rt::wait(pid, 0);
    check(r == pid && wifsignaled(st) && wtermsig(st) == SIGKILL, 100)?;
    // The memory is back: a modest allocation works again.
    let a = rt::mmap(1 << 20);
    rt::store(a + (1 << 20) - 1, &[1]);
    Ok(())
}

/// A background process group reading the controlling tty is stopped
/// by SIGTTIN; continued, it tries again.
fn ttin() -> Result<(), i32> {
    let buf = rt::mmap(4096);
    let pid = rt::fork(move || {
        rt::syscall(__NR_setpgid, &[0, 0]);
        rt::syscall(__NR_read, &[0, buf, 10]);
        0
    });
    let (r, st) = rt::wait(pid, WUNTRACED);
    check(r == pid && wifstopped(st) && wstopsig(st) == SIGTTIN, 110)?;
    rt::syscall(__NR_kill, &[pid as u64, SIGKILL as u64]);
    let (_, st) = rt::wait(pid, 0);
    check(wifsignaled(st) && wtermsig(st) == SIGKILL, 111)
}

/// setuid to a user drops the capabilities: mount, signalling init and
/// going back to root are refused; RLIMIT_NOFILE caps the fd table.
fn creds() -> Result<(), i32> {
    let pid = rt::fork(|| {
        if rt::syscall(__NR_setuid, &[1000]) != 0 || rt::syscall(__NR_getuid, &[]) != 1000 {
            return 1;
        }
        let (d, t) = (rt::cstr("none"), rt::cstr("/tmp"));
        if rt::syscall(__NR_mount, &[d, t, rt::cstr("ramfs"), 0, 0]) != EPERM.as_ret() as i64 {
            return 2;
        }
        if rt::syscall(__NR_kill, &[1, SIGTERM as u64]) != EPERM.as_ret() as i64 {
            return 3;
        }
        if rt::syscall(__NR_setuid, &[0]) != EPERM.as_ret() as i64 {
            return 4;
        }
        let lim = rt::mmap(4096);
        rt::store(lim, &[5u64.to_ne_bytes(), 5u64.to_ne_bytes()].concat());
        if rt::syscall(__NR_setrlimit, &[7, lim]) != 0 {
            return 5;
        }
        let path = rt::cstr("/dev/null");
        let mut last = 0;
        for _ in 0..10 {
            last = rt::syscall(__NR_openat, &[AT_FDCWD_U, path, 0, 0]);
            if last < 0 {
                break;
            }
        }
        if last != EMFILE.as_ret() as i64 {
            return 6;
        }
        0
    });
    let (_, st) = rt::wait(pid, 0);
    check(wifexited(st) && wexitstatus(st) == 0, 120 + wexitstatus(st))
}

/// vfork: the parent sleeps until the child execs; the child shares its
/// memory until then.
fn vfork() -> Result<(), i32> {
    let flag = rt::mmap(4096);
    let path = rt::cstr("/bin/echoargs");
    let argv = rt::mmap(4096);
    rt::store(
        argv,
        &[rt::cstr("echoargs").to_ne_bytes(), 0u64.to_ne_bytes()].concat(),
    );
    let pid = rt::clone(__NR_vfork, [0; 6], move || {
        rt::store(flag, b"v");
        rt::syscall(__NR_execve, &[path, argv, 0]);
        99
    });
    let mut b = [0u8];
    rt::load(flag, &mut b);
    check(&b == b"v", 130)?;
    let (_, st) = rt::wait(pid, 0);
    check(wifexited(st) && wexitstatus(st) == 10, 131)
}

/// A CLONE_THREAD thread shares the address space and the tgid; its exit
/// clears the CLONE_CHILD_CLEARTID word.
fn threads() -> Result<(), i32> {
    use uapi::sched::*;
    let shared = rt::mmap(4096);
    let tidword = shared + 8;
    rt::store(tidword, &u32::MAX.to_ne_bytes());
    let flags = CLONE_VM
        | CLONE_FS
        | CLONE_FILES
        | CLONE_SIGHAND
        | CLONE_THREAD
        | CLONE_CHILD_CLEARTID
        | CLONE_PARENT_SETTID;
    let me = rt::syscall(__NR_getpid, &[]);
    let tid = rt::clone(__NR_clone, [flags, 0, tidword, tidword, 0, 0], move || {
        let same_tgid = rt::syscall(__NR_getpid, &[]) == me;
        let own_tid = rt::syscall(__NR_gettid, &[]) != me;
        rt::store(shared, &[(same_tgid && own_tid) as u8 + 1]);
        0
    });
    check(tid > me, 140)?;
    // The thread is not a child to wait for; the cleared tid word tells.
    let mut w = [0u8; 4];
    for _ in 0..100_000 {
        rt::load(tidword, &mut w);
        if u32::from_ne_bytes(w) == 0 {
            break;
        }
        rt::syscall(__NR_sched_yield, &[]);
    }
    check(u32::from_ne_bytes(w) == 0, 141)?;
    let mut b = [0u8];
    rt::load(shared, &mut b);
    check(b[0] == 2, 142)?;
    check(rt::wait(-1, 0).0 == ECHILD.as_ret() as i64, 143)
}

/// fsync checks its descriptor; syslog's clear hides what was logged and
/// its console level is range-checked; rt_sigreturn without a signal frame
/// is SIGSEGV.
fn misc() -> Result<(), i32> {
    check(
        rt::syscall(__NR_fsync, &[u64::MAX]) == EBADF.as_ret() as i64,
        150,
    )?;
    let zero = rt::syscall(__NR_openat, &[AT_FDCWD_U, rt::cstr("/dev/zero"), 0, 0]);
    check(rt::syscall(__NR_fsync, &[zero as u64]) == 0, 151)?;
    let buf = rt::mmap(1 << 17);
    check(rt::syscall(__NR_syslog, &[3, buf, 1 << 17]) > 0, 152)?;
    check(rt::syscall(__NR_syslog, &[5, 0, 0]) == 0, 153)?;
    check(rt::syscall(__NR_syslog, &[3, buf, 1 << 17]) == 0, 154)?;
    check(
        rt::syscall(__NR_syslog, &[8, 0, 9]) == EINVAL.as_ret() as i64,
        155,
    )?;
    let pid = rt::fork(|| {
        rt::syscall(__NR_rt_sigreturn, &[]);
        0
    });
    let (_, st) = rt::wait(pid, 0);
    check(wifsignaled(st) && wtermsig(st) == SIGSEGV, 156)?;
    // wait4's rusage carries the reaped child's CPU time (ru_utime at 0,
    // ru_stime at 16, timevals).
    // CPU time is charged a tick at a time, so the child works until its
    // own times(2) shows some (a fixed loop could finish between ticks).
    let pid = rt::fork(|| {
        let tms = rt::mmap(4096);
        let mut b = [0u8; 16];
        for _ in 0..1_000_000 {
            for _ in 0..1000 {
                rt::syscall(__NR_getpid, &[]);
            }
            rt::syscall(__NR_times, &[tms]);
            rt::load(tms, &mut b);
            if b.iter().any(|&x| x != 0) {
                break;
            }
        }
        0
    });
    let ru = rt::mmap(4096);
    check(rt::syscall(__NR_wait4, &[pid as u64, 0, 0, ru]) == pid, 157)?;
    let mut b = [0u8; 32];
    rt::load(ru, &mut b);
    let word = |i: usize| u64::from_ne_bytes(b[i * 8..i * 8 + 8].try_into().unwrap());
    let (usec_u, usec_s) = (word(1), word(3));
    check(usec_u < 1_000_000 && usec_s < 1_000_000, 158)?;
    let total_us = (word(0) + word(2)) * 1_000_000 + usec_u + usec_s;
    check(total_us > 0, 159)
}

macro_rules! scenario {
    ($name:ident) => {
        mod $name {
            #[test]
            fn passes() {
                let (code, dmesg) = super::boot_test(stringify!($name));
                assert_eq!(code, 0, "check {code} failed\n{dmesg}");
            }
        }
    };
}

scenario!(fork_wait);
scenario!(cow);
scenario!(exec);
scenario!(signals);
scenario!(handler);
scenario!(pipe);
scenario!(efault);
scenario!(stop_cont);
scenario!(orphans);
scenario!(ttin);
scenario!(creds);
scenario!(vfork);
scenario!(threads);
scenario!(misc);

#[test]
fn oom_killer_logs_its_victim() {
    let (code, dmesg) = boot_test("oom");
    assert_eq!(code, 0, "check {code} failed\n{dmesg}");
    assert!(dmesg.contains("invoked oom-killer"), "{dmesg}");
    assert!(
        dmesg.contains("Out of memory: Killed process") && dmesg.contains("(testinit)"),
        "{dmesg}"
    );
}
