//! ulib's usk backend against a miniature mock kernel: a per-process
//! paged address space reached only through load/store, fork that copies
//! it and enters the child at the continuation address on a new thread,
//! exit_group that unwinds the task's thread, rt_sigaction/kill that run
//! handlers through `UserEntry::handle_signal`, and program entry from an
//! initial stack. This exercises exactly the paths a usk kernel drives.

#![allow(non_upper_case_globals)] // Linux's __NR_* names in match patterns.

use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread::JoinHandle;
use uapi::abi::{install_kernel, user_entry, KernelEntry, PtRegs};
use uapi::signal::{KernelSigaction, SIGUSR1};
use uapi::unistd::*;

const PAGE: u64 = 4096;

type Space = BTreeMap<u64, Vec<u8>>;

struct Exit(i32);

#[derive(Default)]
struct Mock {
    spaces: HashMap<i32, Space>,
    output: Vec<u8>,
    handlers: HashMap<(i32, i32), u64>,
    children: HashMap<i32, JoinHandle<i32>>,
}

fn mock() -> &'static Mutex<Mock> {
    static M: OnceLock<Mutex<Mock>> = OnceLock::new();
    M.get_or_init(Default::default)
}

static NEXT_PID: AtomicI32 = AtomicI32::new(100);
static NEXT_MAP: AtomicU64 = AtomicU64::new(0x1000_0000);

thread_local! {
    static PID: Cell<i32> = const { Cell::new(1) };
}

fn pid() -> i32 {
    PID.with(|p| p.get())
}

fn access(addr: u64, len: usize, mut f: impl FnMut(&mut [u8], usize)) {
    let mut m = mock().lock().unwrap();
    let space = m.spaces.entry(pid()).or_default();
    let mut done = 0;
    while done < len {
        let a = addr + done as u64;
        let page = space
            .get_mut(&(a / PAGE))
            .unwrap_or_else(|| panic!("SIGSEGV at {a:#x}"));
        let off = (a % PAGE) as usize;
        let n = (PAGE as usize - off).min(len - done);
        f(&mut page[off..off + n], done);
        done += n;
    }
}

fn load(addr: u64, buf: &mut [u8]) {
    let len = buf.len();
    access(addr, len, |page, at| {
        let n = page.len();
        buf[at..at + n].copy_from_slice(page)
    });
}

fn store(addr: u64, buf: &[u8]) {
    access(addr, buf.len(), |page, at| {
        let n = page.len();
        page.copy_from_slice(&buf[at..at + n])
    });
}

/// Run user code for task `pid` on a new thread, as the scheduler would.
fn spawn_task(pid: i32, regs: PtRegs) -> JoinHandle<i32> {
    std::thread::spawn(move || {
        PID.with(|p| p.set(pid));
        let ue = user_entry().expect("ulib installed");
        match std::panic::catch_unwind(|| (ue.enter)(&regs)) {
            Ok(false) => 128 + 11,
            Ok(true) => 0,
            Err(e) => match e.downcast::<Exit>() {
                Ok(x) => x.0,
                Err(e) => std::panic::resume_unwind(e),
            },
        }
    })
}

fn syscall(regs: &mut PtRegs) -> i64 {
    let a = regs.args;
    match regs.nr {
        __NR_mmap => {
            let len = a[1].div_ceil(PAGE) * PAGE;
            let base = NEXT_MAP.fetch_add(len + PAGE, Ordering::SeqCst);
            let mut m = mock().lock().unwrap();
            let space = m.spaces.entry(pid()).or_default();
            for p in 0..len / PAGE {
                space.insert(base / PAGE + p, vec![0; PAGE as usize]);
            }
            base as i64
        }
        __NR_munmap => {
            let mut m = mock().lock().unwrap();
            let space = m.spaces.entry(pid()).or_default();
            for p in 0..a[1].div_ceil(PAGE) {
                space.remove(&(a[0] / PAGE + p));
            }
            0
        }
        __NR_write => {
            let mut b = vec![0; a[2] as usize];
            load(a[1], &mut b);
            mock().lock().unwrap().output.extend_from_slice(&b);
            a[2] as i64
        }
        __NR_getpid => pid() as i64,
        __NR_fork => {
            let child = NEXT_PID.fetch_add(1, Ordering::SeqCst);
            {
                let mut m = mock().lock().unwrap();
                let copy = m.spaces.get(&pid()).cloned().unwrap_or_default();
                m.spaces.insert(child, copy);
            }
            let h = spawn_task(
                child,
                PtRegs {
                    ip: regs.ip,
                    ax: 0,
                    ..PtRegs::default()
                },
            );
            mock().lock().unwrap().children.insert(child, h);
            child as i64
        }
        __NR_wait4 => {
            let h = mock().lock().unwrap().children.remove(&(a[0] as i32));
            match h {
                None => -10,
                Some(h) => {
                    let code = h.join().unwrap();
                    if a[1] != 0 {
                        store(a[1], &uapi::wait::w_exitcode(code, 0).to_ne_bytes());
                    }
                    a[0] as i64
                }
            }
        }
        __NR_rt_sigaction => {
            let key = (pid(), a[0] as i32);
            let old = mock()
                .lock()
                .unwrap()
                .handlers
                .get(&key)
                .copied()
                .unwrap_or(0);
            if a[1] != 0 {
                let mut b = [0u8; KernelSigaction::SIZE];
                load(a[1], &mut b);
                let act = KernelSigaction::from_bytes(&b);
                mock().lock().unwrap().handlers.insert(key, act.sa_handler);
            }
            if a[2] != 0 {
                let o = KernelSigaction {
                    sa_handler: old,
                    ..Default::default()
                };
                store(a[2], &o.to_bytes());
            }
            0
        }
        __NR_kill => {
            let h = mock()
                .lock()
                .unwrap()
                .handlers
                .get(&(a[0] as i32, a[1] as i32))
                .copied();
            match h {
                Some(h) if a[0] as i32 == pid() => {
                    // Delivery on the way back to user mode.
                    let ue = user_entry().unwrap();
                    if !(ue.handle_signal)(h, a[1] as i32) {
                        std::panic::resume_unwind(Box::new(Exit(128 + 11)));
                    }
                    0
                }
                _ => -3,
            }
        }
        __NR_exit_group | __NR_exit => std::panic::resume_unwind(Box::new(Exit(a[0] as i32))),
        _ => -38,
    }
}

static KERNEL: KernelEntry = KernelEntry {
    syscall,
    load,
    store,
};

static CAUGHT: AtomicI32 = AtomicI32::new(0);

fn on_usr1(sig: i32) {
    CAUGHT.store(sig, Ordering::SeqCst);
}

/// The test program: output, a signal to itself, a fork child that uses
/// the inherited scratch and environment, wait4.
fn program(args: &[String]) -> i32 {
    ulib::uprintln!("argv={}", args.join(","));
    ulib::signal(SIGUSR1, on_usr1).unwrap();
    ulib::kill(ulib::getpid(), SIGUSR1).unwrap();
    if CAUGHT.load(Ordering::SeqCst) != SIGUSR1 {
        return 1;
    }
    let child = ulib::fork(|| {
        ulib::uprintln!(
            "child {} sees K={}",
            ulib::getpid(),
            ulib::env::get("K").unwrap_or_default()
        );
        5
    })
    .unwrap();
    let (p, st) = ulib::wait4(child, 0).unwrap();
    if p != child || uapi::wait::wexitstatus(st) != 5 {
        return 2;
    }
    assert!(ulib::syscall6(999, [0; 6]) == -38);
    7
}

static APPLETS: &[(&str, ulib::rt::AppletMain)] = &[("other", |_| 0), ("prog", program)];

#[test]
fn usk_backend_end_to_end() {
    install_kernel(&KERNEL);
    ulib::rt::install();
    ulib::rt::register_applets(APPLETS);
    assert!(!ulib::backend::is_host());
    let ip = ulib::rt::resolve_applet("prog").unwrap();
    assert_eq!(ip, ulib::rt::APPLET_BASE + ulib::rt::APPLET_STRIDE);
    let ue = user_entry().unwrap();
    assert!(!(ue.handle_signal)(0xdead, 10));

    // The initial stack of `prog a b` with K=v, laid out by "the loader".
    let sp = syscall(&mut PtRegs {
        nr: __NR_mmap,
        args: [0, PAGE, 3, 0x22, u64::MAX, 0],
        ..Default::default()
    }) as u64;
    let strs: [&[u8]; 4] = [b"prog\0", b"a\0", b"b\0", b"K=v\0"];
    let mut at = sp + 1024;
    let mut ptrs = Vec::new();
    for s in strs {
        store(at, s);
        ptrs.push(at);
        at += s.len() as u64;
    }
    let words = [3, ptrs[0], ptrs[1], ptrs[2], 0, ptrs[3], 0, 0, 0];
    let bytes: Vec<u8> = words.iter().flat_map(|w: &u64| w.to_ne_bytes()).collect();
    store(sp, &bytes);

    let code = spawn_task(
        1,
        PtRegs {
            ip,
            sp,
            ..Default::default()
        },
    )
    .join()
    .unwrap();
    assert_eq!(code, 7);
    let out = String::from_utf8(mock().lock().unwrap().output.clone()).unwrap();
    assert_eq!(out, "argv=prog,a,b\nchild 100 sees K=v\n");
    // A jump to an address that is not user code: SIGSEGV.
    let bad = spawn_task(
        2,
        PtRegs {
            ip: 0x1234,
            ..Default::default()
        },
    );
    assert_eq!(bad.join().unwrap(), 139);
}
