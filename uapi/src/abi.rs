//! The user/kernel boundary of usk: how user code enters the kernel and how
//! the kernel starts, resumes and signals user code.
//!
//! User programs are Rust functions (applets) running on their task's host
//! thread. They name no kernel type: they reach the kernel only through the
//! [`KernelEntry`] table (the `syscall` instruction and the MMU), and the
//! kernel reaches them only through the [`UserEntry`] table (the return to
//! user mode). Both tables are installed once per host process: the kernel
//! installs its entry at boot, the user library (`ulib`) installs its own.
//!
//! The "user register file" is [`PtRegs`]. A user program's own variables
//! live on the host stack, like registers; everything the kernel may see
//! (buffers, paths, argv, the stack at exec) lives in the simulated address
//! space at plain integer addresses and is touched only through
//! [`KernelEntry::load`] / [`KernelEntry::store`], which walk the page
//! tables and set the accessed/dirty bits exactly as a hardware MMU would.
//!
//! Continuations: the instruction pointer `ip` of a fork/clone caller is the
//! point the child resumes at. ulib registers the child's continuation under
//! an opaque code address and passes it in `PtRegs::ip`; the kernel copies it
//! into the child and later calls [`UserEntry::enter`] with it. An `ip` the
//! user side does not recognise is a jump to a bad address: SIGSEGV.

use std::sync::OnceLock;

/// The registers saved at kernel entry (a subset of x86-64 `struct pt_regs`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PtRegs {
    /// `orig_ax`: the system call number.
    pub nr: u64,
    /// rdi, rsi, rdx, r10, r8, r9.
    pub args: [u64; 6],
    /// rax on return to user mode.
    pub ax: i64,
    /// The user instruction pointer (continuation or program entry).
    pub ip: u64,
    /// The user stack pointer.
    pub sp: u64,
}

/// What user code calls: installed by the kernel.
pub struct KernelEntry {
    /// The `syscall` instruction: `regs.nr` and `regs.args` in, the return
    /// value (negative errno on failure) out. May not return at all (exit,
    /// execve, a fatal signal).
    pub syscall: fn(&mut PtRegs) -> i64,
    /// A user-mode load of `buf.len()` bytes at `addr`. A fault that cannot
    /// be resolved raises SIGSEGV; when that kills the task this does not
    /// return.
    pub load: fn(addr: u64, buf: &mut [u8]),
    /// A user-mode store, with the same fault behaviour as `load`.
    pub store: fn(addr: u64, buf: &[u8]),
}

/// What the kernel calls on the way back to user mode: installed by ulib.
pub struct UserEntry {
    /// Run user code at `regs.ip` (a program entry after execve, with
    /// `regs.sp` at argc/argv/envp as on x86-64; or a fork/clone child's
    /// continuation with `regs.ax == 0`). Returns `false` at once when
    /// `regs.ip` is not user code (the kernel then raises SIGSEGV); user code
    /// itself ends with exit_group and never returns here.
    pub enter: fn(regs: &PtRegs) -> bool,
    /// Run the signal handler at address `handler` for `sig`. Returns `false`
    /// when `handler` is not user code.
    pub handle_signal: fn(handler: u64, sig: i32) -> bool,
    /// The program-entry address of the applet called `name`: the loader's
    /// symbol lookup for `#!applet` executables.
    pub resolve_applet: fn(name: &str) -> Option<u64>,
}

static KERNEL: OnceLock<&'static KernelEntry> = OnceLock::new();
static USER: OnceLock<&'static UserEntry> = OnceLock::new();

/// Install the kernel's entry table (idempotent; the first one wins).
pub fn install_kernel(k: &'static KernelEntry) {
    let _ = KERNEL.set(k);
}

/// Install the user library's entry table (idempotent; the first one wins).
pub fn install_user(u: &'static UserEntry) {
    let _ = USER.set(u);
}

/// The kernel entry, if a kernel is linked into this process.
pub fn kernel_entry() -> Option<&'static KernelEntry> {
    KERNEL.get().copied()
}

/// The user entry, if a user library is linked into this process.
pub fn user_entry() -> Option<&'static UserEntry> {
    USER.get().copied()
}

/// The first bytes of an applet executable: `#!applet <name>\n`.
pub const APPLET_MAGIC: &[u8] = b"#!applet ";
