//! The user runtime: the [`UserEntry`] table the kernel returns to user
//! mode through — program entry (crt0), fork/clone continuations and
//! signal-handler calls — and the applet table behind `#!applet` binaries.
//!
//! Code addresses: applet `i` of the registered table enters at
//! `APPLET_BASE + i * APPLET_STRIDE`; continuations get unique addresses
//! from `CONT_BASE` up; a signal handler's address is its `fn(i32)`
//! pointer. Only addresses registered here are ever run: anything else
//! makes `enter`/`handle_signal` return false (the kernel raises SIGSEGV).
//! The registries are the "text segment" shared by all processes of the
//! host process; no per-process state lives here.

use crate::{backend, env, io, mem};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use uapi::abi::{install_user, PtRegs, UserEntry};

/// An applet's `main`: argv in (argv[0] is the name it was invoked as),
/// exit status out.
pub type AppletMain = fn(&[String]) -> i32;

/// Entry address of applet 0.
pub const APPLET_BASE: u64 = 0x40_0000;
/// Distance between applet entry addresses.
pub const APPLET_STRIDE: u64 = 0x1000;
/// First continuation address.
pub const CONT_BASE: u64 = 0x7e00_0000_0000;

/// Most arguments or environment strings read from an initial stack.
const MAX_ARGS: u64 = 1 << 16;

type Continuation = Box<dyn FnOnce() -> i32 + Send + 'static>;

static APPLETS: OnceLock<&'static [(&'static str, AppletMain)]> = OnceLock::new();
static NEXT_CONT: AtomicU64 = AtomicU64::new(CONT_BASE);

fn continuations() -> &'static Mutex<HashMap<u64, Continuation>> {
    static C: OnceLock<Mutex<HashMap<u64, Continuation>>> = OnceLock::new();
    C.get_or_init(Default::default)
}

type HandlerTable = Mutex<HashMap<u64, fn(i32)>>;

fn handlers() -> &'static HandlerTable {
    static H: OnceLock<HandlerTable> = OnceLock::new();
    H.get_or_init(Default::default)
}

static USER_ENTRY: UserEntry = UserEntry {
    enter,
    handle_signal,
    resolve_applet,
};

/// Install ulib's [`UserEntry`] table (idempotent).
pub fn install() {
    install_user(&USER_ENTRY);
}

/// Register the applet table (the first registration wins).
pub fn register_applets(table: &'static [(&'static str, AppletMain)]) {
    let _ = APPLETS.set(table);
}

/// Force the host backend for the current thread (differential tests).
pub fn use_host_backend() {
    backend::force_host();
}

/// The program-entry address of applet `name`.
pub fn resolve_applet(name: &str) -> Option<u64> {
    let t = APPLETS.get()?;
    t.iter()
        .position(|(n, _)| *n == name)
        .map(|i| APPLET_BASE + i as u64 * APPLET_STRIDE)
}

/// The applet entered at `ip`, if any.
fn applet_at(ip: u64) -> Option<AppletMain> {
    let t = APPLETS.get()?;
    let off = ip.checked_sub(APPLET_BASE)?;
    if off % APPLET_STRIDE != 0 {
        return None;
    }
    t.get((off / APPLET_STRIDE) as usize).map(|(_, m)| *m)
}

pub(crate) fn register_continuation(c: Continuation) -> u64 {
    let ip = NEXT_CONT.fetch_add(16, Ordering::Relaxed);
    continuations()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(ip, c);
    ip
}

pub(crate) fn cancel_continuation(ip: u64) {
    continuations()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&ip);
}

/// Register `h` as a signal handler; returns the address to pass as
/// `sa_handler`.
pub fn register_signal_handler(h: fn(i32)) -> u64 {
    let addr = h as usize as u64;
    handlers()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(addr, h);
    addr
}

/// Run the handler registered at `addr`; false if there is none.
pub(crate) fn run_signal_handler(addr: u64, sig: i32) -> bool {
    let h = handlers()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .get(&addr)
        .copied();
    match h {
        Some(h) => {
            h(sig);
            true
        }
        None => false,
    }
}

fn handle_signal(handler: u64, sig: i32) -> bool {
    run_signal_handler(handler, sig)
}

/// The x86-64 initial stack at `sp`: argc, argv[argc], NULL, envp..., NULL
/// (the auxiliary vector follows and is not needed).
fn read_initial_stack(sp: u64) -> (Vec<String>, Vec<String>) {
    let argc = mem::load_u64(sp).min(MAX_ARGS);
    let str_at = |p: u64| {
        String::from_utf8_lossy(&mem::load_cstr(p, uapi::fcntl::PATH_MAX * 32)).into_owned()
    };
    let argv: Vec<String> = (0..argc)
        .map(|i| mem::load_u64(sp + 8 + 8 * i))
        .take_while(|&p| p != 0)
        .map(str_at)
        .collect();
    let mut envp = Vec::new();
    let mut p = sp + 8 + 8 * (argc + 1);
    while (envp.len() as u64) < MAX_ARGS {
        let a = mem::load_u64(p);
        if a == 0 {
            break;
        }
        envp.push(str_at(a));
        p += 8;
    }
    (argv, envp)
}

/// Run a program's `main` with `argv` and `envp` in a fresh per-thread
/// user state; returns its exit status (stdout flushed).
pub fn run_main(main: AppletMain, argv: &[String], envp: &[String]) -> i32 {
    mem::adopt(&[]);
    io::reset();
    env::set_from_envp(envp);
    let code = main(argv);
    io::flush_all();
    code
}

fn enter(regs: &PtRegs) -> bool {
    let cont = continuations()
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&regs.ip);
    if let Some(c) = cont {
        let code = c();
        crate::sys::exit_group(code);
    }
    match applet_at(regs.ip) {
        Some(main) => {
            let (argv, envp) = read_initial_stack(regs.sp);
            let code = run_main(main, &argv, &envp);
            crate::sys::exit_group(code)
        }
        None => false,
    }
}

/// Run `main` as a host program (examples and differential tests): host
/// backend, the host's argv and environment, exit_group with its status.
pub fn host_main(main: AppletMain) -> ! {
    host_run(main, std::env::args().collect())
}

/// Run `main` with `argv` as a host program (see [`host_main`]).
pub fn host_run(main: AppletMain, argv: Vec<String>) -> ! {
    use_host_backend();
    // The Rust runtime ignores SIGPIPE; a C program (and an exec'd child,
    // which inherits ignored signals) starts with the default.
    let _ = crate::sys::signal_default(uapi::signal::SIGPIPE);
    let envp: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
    let code = run_main(main, &argv, &envp);
    crate::sys::exit_group(code)
}
