//! ulib on the host backend: the wrappers against the host Linux kernel.
//! Anything that forks, execs or installs signal handlers does so in a
//! child process (ulib::fork), whose exit status carries the verdict.

use std::sync::atomic::{AtomicI32, Ordering};
use ulib::errno::*;
use ulib::uapi::fcntl::*;
use ulib::uapi::signal::*;
use ulib::uapi::unistd::*;
use ulib::wait::*;

/// Run `f` in a forked child; its raw wait status.
fn in_child(f: impl FnOnce() -> i32 + Send + 'static) -> i32 {
    let pid = ulib::fork(f).expect("fork");
    let (p, st) = ulib::wait4(pid, 0).expect("wait4");
    assert_eq!(p, pid);
    st
}

fn tmp_path(tag: &str) -> String {
    format!("/tmp/ulib-test-{}-{tag}", std::process::id())
}

#[test]
fn pipe_write_read_and_eof() {
    let (r, w) = ulib::pipe2(O_CLOEXEC).unwrap();
    assert_eq!(ulib::write(w, b"hello").unwrap(), 5);
    let mut b = [0u8; 16];
    assert_eq!(ulib::read(r, &mut b).unwrap(), 5);
    assert_eq!(&b[..5], b"hello");
    ulib::close(w).unwrap();
    assert_eq!(ulib::read(r, &mut b).unwrap(), 0);
    ulib::close(r).unwrap();
}

#[test]
fn fork_and_wait_status_encoding() {
    let st = in_child(|| 7);
    assert!(wifexited(st));
    assert_eq!(wexitstatus(st), 7);
    let st = in_child(|| {
        let _ = ulib::kill(ulib::getpid(), SIGKILL);
        0
    });
    assert!(wifsignaled(st));
    assert_eq!(wtermsig(st), SIGKILL);
    // A child of another process is not ours to wait for.
    assert_eq!(ulib::wait4(1, WNOHANG), Err(ECHILD));
}

#[test]
fn dup2_and_fcntl() {
    let (r, w) = ulib::pipe2(O_CLOEXEC).unwrap();
    let d = ulib::dup2(w, 200).unwrap();
    assert_eq!(d, 200);
    assert_eq!(ulib::fcntl(200, F_GETFD, 0).unwrap(), 0);
    ulib::write_all(200, b"via dup").unwrap();
    ulib::close(200).unwrap();
    ulib::close(w).unwrap();
    assert_eq!(ulib::read_to_end(r).unwrap(), b"via dup");
    let d3 = ulib::dup3(r, 201, O_CLOEXEC).unwrap();
    assert_eq!(ulib::fcntl(d3, F_GETFD, 0).unwrap(), FD_CLOEXEC as i64);
    assert_eq!(ulib::dup3(r, r, 0), Err(EINVAL));
    ulib::close(d3).unwrap();
    ulib::close(r).unwrap();
}

#[test]
fn files_lseek_positional_and_vectored_io() {
    let path = tmp_path("lseek");
    let fd = ulib::open(&path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600).unwrap();
    assert_eq!(ulib::writev(fd, &[b"hel", b"lo"]).unwrap(), 5);
    assert_eq!(ulib::lseek(fd, 0, SEEK_END).unwrap(), 5);
    assert_eq!(ulib::lseek(fd, 1, SEEK_SET).unwrap(), 1);
    let mut b = [0u8; 4];
    assert_eq!(ulib::read(fd, &mut b).unwrap(), 4);
    assert_eq!(&b, b"ello");
    assert_eq!(ulib::pwrite64(fd, b"J", 0).unwrap(), 1);
    let mut one = [0u8; 1];
    assert_eq!(ulib::pread64(fd, &mut one, 0).unwrap(), 1);
    assert_eq!(&one, b"J");
    ulib::lseek(fd, 0, SEEK_SET).unwrap();
    let (mut x, mut y) = ([0u8; 2], [0u8; 8]);
    assert_eq!(ulib::readv(fd, &mut [&mut x, &mut y]).unwrap(), 5);
    assert_eq!((&x, &y[..3]), (b"Je", &b"llo"[..]));
    let st = ulib::fstat(fd).unwrap();
    assert!(s_isreg(st.st_mode));
    assert_eq!(st.st_size, 5);
    assert_eq!(ulib::stat(&path).unwrap().st_ino, st.st_ino);
    ulib::close(fd).unwrap();
    ulib::unlink(&path).unwrap();
    assert_eq!(ulib::stat(&path), Err(ENOENT));
}

#[test]
fn directories() {
    let dir = tmp_path("dir");
    ulib::mkdir(&dir, 0o755).unwrap();
    assert_eq!(ulib::mkdir(&dir, 0o755), Err(EEXIST));
    let f = format!("{dir}/file");
    let fd = ulib::open(&f, O_WRONLY | O_CREAT, 0o644).unwrap();
    ulib::close(fd).unwrap();
    let mut names: Vec<String> = ulib::read_dir(&dir)
        .unwrap()
        .into_iter()
        .map(|d| d.d_name)
        .collect();
    names.sort();
    assert_eq!(names, [".", "..", "file"]);
    assert_eq!(ulib::rmdir(&dir), Err(ENOTEMPTY));
    ulib::unlink(&f).unwrap();
    ulib::rmdir(&dir).unwrap();
    let st = in_child(|| {
        ulib::chdir("/tmp").unwrap();
        i32::from(ulib::getcwd().unwrap() != "/tmp")
    });
    assert_eq!(st, 0);
}

#[test]
fn errors_come_back_as_errno() {
    assert_eq!(ulib::close(-1), Err(EBADF));
    let mut b = [0u8; 4];
    assert_eq!(ulib::read(987_654, &mut b), Err(EBADF));
    let (r, w) = ulib::pipe().unwrap();
    assert_eq!(ulib::lseek(r, 0, SEEK_SET), Err(ESPIPE));
    ulib::write(w, b"x").unwrap();
    // A bad user address: the kernel answers EFAULT, nothing crashes.
    assert_eq!(ulib::syscall6(__NR_read, [r as u64, 8, 1, 0, 0, 0]), -14);
    assert_eq!(ulib::syscall6(__NR_write, [w as u64, 16, 1, 0, 0, 0]), -14);
    assert_eq!(ulib::mmap(0, 0, 3, 0x22, -1, 0), Err(EINVAL));
    assert_eq!(ulib::open("a\0b", O_RDONLY, 0), Err(EINVAL));
    assert_eq!(ulib::syscall6(100_000, [0; 6]), -(ENOSYS.0 as i64));
    assert_eq!(ulib::sigaction(0, None), Err(EINVAL));
    assert_eq!(ulib::kill(i32::MAX, 0), Err(ESRCH));
    assert!(!ulib::isatty(r));
    assert_eq!(ulib::tcgetattr(r), Err(ENOTTY));
    ulib::close(r).unwrap();
    ulib::close(w).unwrap();
}

#[test]
fn memory_calls() {
    let a = ulib::mmap(0, 8192, 3, 0x22, -1, 0).unwrap();
    ulib::backend::store(a + 4000, b"abc");
    let mut b = [0u8; 3];
    ulib::backend::load(a + 4000, &mut b);
    assert_eq!(&b, b"abc");
    let a2 = ulib::mremap(a, 8192, 16384, 1, 0).unwrap();
    ulib::backend::load(a2 + 4000, &mut b);
    assert_eq!(&b, b"abc");
    ulib::mprotect(a2, 4096, 1).unwrap();
    // Spanning two mappings now: Linux refuses with EFAULT.
    assert_eq!(ulib::mremap(a2, 16384, 32768, 1, 0), Err(EFAULT));
    ulib::munmap(a2, 16384).unwrap();
    assert!(ulib::brk(0) > 0);
}

static CAUGHT: AtomicI32 = AtomicI32::new(0);

fn on_usr1(sig: i32) {
    CAUGHT.store(sig, Ordering::SeqCst);
}

#[test]
fn signal_handler_runs_on_kill_to_self() {
    let st = in_child(|| {
        ulib::signal(SIGUSR1, on_usr1).unwrap();
        let old = ulib::sigaction(SIGUSR1, None).unwrap();
        if old.sa_handler != on_usr1 as *const () as u64 {
            return 2;
        }
        ulib::kill(ulib::getpid(), SIGUSR1).unwrap();
        if CAUGHT.load(Ordering::SeqCst) != SIGUSR1 {
            return 3;
        }
        // Blocked, the signal stays pending until unblocked.
        CAUGHT.store(0, Ordering::SeqCst);
        ulib::sigprocmask(SIG_BLOCK, Some(sigmask(SIGUSR1))).unwrap();
        ulib::kill(ulib::getpid(), SIGUSR1).unwrap();
        if CAUGHT.load(Ordering::SeqCst) != 0 {
            return 4;
        }
        ulib::sigprocmask(SIG_UNBLOCK, Some(sigmask(SIGUSR1))).unwrap();
        if CAUGHT.load(Ordering::SeqCst) != SIGUSR1 {
            return 5;
        }
        ulib::signal_ignore(SIGTERM).unwrap();
        ulib::kill(ulib::getpid(), SIGTERM).unwrap();
        0
    });
    assert_eq!(st, 0, "child verdict {}", wexitstatus(st));
}

#[test]
fn execve_in_child() {
    let st = in_child(|| {
        let e = ulib::execve("/bin/sh", &["sh", "-c", "exit $X"], &["X=9"]);
        100 + e.0
    });
    assert_eq!(wexitstatus(st), 9);
    let st = in_child(|| {
        let e = ulib::execve("/nonexistent", &["x"], &[] as &[&str]);
        i32::from(e != ENOENT)
    });
    assert_eq!(wexitstatus(st), 0);
}

#[test]
fn identity_and_info() {
    assert_eq!(ulib::getpid() as u32, std::process::id());
    // In a container the parent or the session leader may live in an
    // ancestor PID namespace, where Linux reports 0: compare with what
    // the host kernel itself publishes instead of assuming > 0.
    assert_eq!(ulib::getppid() as u32, std::os::unix::process::parent_id());
    assert!(ulib::gettid() > 0);
    assert_eq!(
        ulib::getpgid(0).unwrap(),
        ulib::getpgid(ulib::getpid()).unwrap()
    );
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    let after_comm: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let session: i32 = after_comm[3].parse().unwrap();
    assert_eq!(ulib::getsid(0).unwrap(), session);
    assert_eq!(ulib::getsid(ulib::getpid()).unwrap(), session);
    let u = ulib::uname().unwrap();
    assert_eq!(u.sysname, "Linux");
    assert_eq!(u.machine, "x86_64");
    let si = ulib::sysinfo().unwrap();
    assert!(si.totalram > 0 && si.mem_unit > 0);
    let t0 = ulib::clock_gettime(ulib::CLOCK_MONOTONIC).unwrap();
    ulib::nanosleep(&ulib::uapi::stat::Timespec {
        tv_sec: 0,
        tv_nsec: 2_000_000,
    })
    .unwrap();
    let t1 = ulib::clock_gettime(ulib::CLOCK_MONOTONIC).unwrap();
    assert!((t1.tv_sec - t0.tv_sec) * 1_000_000_000 + (t1.tv_nsec - t0.tv_nsec) >= 2_000_000);
    let lim = ulib::prlimit64(0, ulib::RLIMIT_NOFILE, None).unwrap();
    assert!(lim.cur > 0 && lim.cur <= lim.max);
    ulib::sched_yield().unwrap();
    let mut fds = [ulib::uapi::poll::PollFd {
        fd: -1,
        events: 1,
        revents: 0,
    }];
    assert_eq!(ulib::poll(&mut fds, 0).unwrap(), 0);
}

#[test]
fn scratch_levels_nest() {
    let a = ulib::mem::Scratch::new(10).unwrap();
    a.put(0, b"outer");
    {
        let b = ulib::mem::Scratch::new(100_000).unwrap();
        assert_ne!(a.addr(0), b.addr(0));
        b.put(0, b"inner");
    }
    assert_eq!(a.get_vec(0, 5), b"outer");
}

/// Program entry through the UserEntry table: an initial stack built in
/// user memory, the applet run, and exit_group with its status.
fn entry_applet(args: &[String]) -> i32 {
    let ok = args == ["prog", "a1", "two words"] && ulib::env::get("K").as_deref() == Some("v=1");
    if ok {
        42
    } else {
        1
    }
}

static TABLE: &[(&str, ulib::rt::AppletMain)] = &[("prog", entry_applet)];

#[test]
fn program_entry_reads_the_initial_stack() {
    ulib::rt::install();
    ulib::rt::register_applets(TABLE);
    let ip = ulib::rt::resolve_applet("prog").unwrap();
    assert_eq!(ulib::rt::resolve_applet("nope"), None);
    let ue = ulib::uapi::abi::user_entry().unwrap();
    assert!(!(ue.enter)(&ulib::uapi::abi::PtRegs {
        ip: 0x1234,
        ..Default::default()
    }));
    assert!(!(ue.handle_signal)(0x1234, 10));
    let st = in_child(move || {
        let base = ulib::mmap(0, 4096, 3, 0x22, -1, 0).unwrap();
        let strs = [&b"prog\0"[..], b"a1\0", b"two words\0", b"K=v=1\0"];
        let mut at = base + 512;
        let mut ptrs = Vec::new();
        for s in strs {
            ulib::backend::store(at, s);
            ptrs.push(at);
            at += s.len() as u64;
        }
        let words = [3, ptrs[0], ptrs[1], ptrs[2], 0, ptrs[3], 0, 0, 0];
        let bytes: Vec<u8> = words.iter().flat_map(|w: &u64| w.to_ne_bytes()).collect();
        ulib::backend::store(base, &bytes);
        let regs = ulib::uapi::abi::PtRegs {
            ip,
            sp: base,
            ..Default::default()
        };
        (ue.enter)(&regs);
        99
    });
    assert_eq!(wexitstatus(st), 42);
}
