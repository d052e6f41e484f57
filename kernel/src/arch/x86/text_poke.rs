//! Patching live kernel text (Linux's `text_poke_bp_batch()` in
//! `arch/x86/kernel/alternative.c`), for static calls.
//!
//! usk's text is the host process's own code, executed meanwhile by every
//! CPU thread of every kernel in the process. A 5-byte instruction cannot
//! be replaced with one store, so, like Linux, the batch goes in three
//! steps with every CPU serialised (`sync_core`) after each:
//!
//! 1. the first two bytes of each site become `jmp .` (`eb fe`), so any
//!    thread reaching the site waits there (Linux uses `int3` and an
//!    exception handler that emulates the new instruction; a self-jump needs
//!    no handler in a host process);
//! 2. bytes 2..5 get their new values, which nothing executes yet;
//! 3. the first two bytes get theirs, releasing the waiting threads into
//!    the complete new instruction.
//!
//! Each two-byte store is atomic because sites are 2-byte aligned.
//! `sync_core` is `membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE)`:
//! an IPI that makes every thread of the process execute a serialising
//! instruction, as Linux's `text_poke_sync()`. Step 2 is safe only because
//! of it (a CPU that fetched the old first bytes before step 1 could
//! otherwise decode them with the new tail), so a host without it (Linux
//! before 4.16, or a seccomp filter) cannot patch: the batch fails and
//! nothing is changed. The text pages are writable only for the duration
//! of a batch.

use std::collections::BTreeSet;
use std::io;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::OnceLock;

/// One site to rewrite: its address and its new five bytes.
pub struct Poke {
    pub addr: usize,
    pub new: [u8; 5],
}

/// `jmp .`: a two-byte jump to itself.
const JMP8_SELF: [u8; 2] = [0xeb, 0xfe];

// include/uapi/linux/membarrier.h
const MEMBARRIER_CMD_QUERY: libc::c_long = 0;
const MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE: libc::c_long = 1 << 5;
const MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE: libc::c_long = 1 << 6;

/// Whether this process registered for `membarrier` core serialisation.
fn membarrier_sync_core() -> bool {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    *REGISTERED.get_or_init(|| {
        // SAFETY: membarrier takes two integers and touches no memory.
        let mask = unsafe { libc::syscall(libc::SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0) };
        mask >= 0
            && mask & MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE != 0
            // SAFETY: as above.
            && unsafe {
                libc::syscall(
                    libc::SYS_membarrier,
                    MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED_SYNC_CORE,
                    0,
                    0,
                )
            } == 0
    })
}

/// `text_poke_sync()`: every thread of the process has executed a
/// serialising instruction (and seen every store before this) on return.
/// Only called once [`membarrier_sync_core`] said yes.
fn sync_core() {
    std::sync::atomic::fence(Ordering::SeqCst);
    // SAFETY: as in membarrier_sync_core(). Once registered the command
    // cannot fail (it returns an error only for bad flags or no
    // registration).
    unsafe {
        libc::syscall(
            libc::SYS_membarrier,
            MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE,
            0,
            0,
        )
    };
}

fn page_size() -> usize {
    // SAFETY: sysconf reads a constant.
    (unsafe { libc::sysconf(libc::_SC_PAGESIZE) }) as usize
}

fn protect(pages: &BTreeSet<usize>, prot: libc::c_int) -> io::Result<()> {
    let ps = page_size();
    for &p in pages {
        // SAFETY: `p` is a page of this binary's text (it holds a static
        // call site); changing its protection keeps it mapped and
        // executable throughout.
        if unsafe { libc::mprotect(p as *mut libc::c_void, ps, prot) } != 0 {
            return Err(io::Error::last_os_error());
        }
    }
    Ok(())
}

/// Store two bytes of code at `addr` in one atomic write.
///
/// # Safety
/// `addr` is 2-byte aligned, in text made writable by `text_poke_batch`.
unsafe fn poke2(addr: usize, bytes: [u8; 2]) {
    // SAFETY: per the function's contract; other threads only execute
    // these bytes, and an aligned 2-byte store reaches them whole.
    unsafe { AtomicU16::from_ptr(addr as *mut u16) }
        .store(u16::from_ne_bytes(bytes), Ordering::Relaxed);
}

/// The five bytes at `addr` now.
fn current(addr: usize) -> [u8; 5] {
    // SAFETY: `addr` is a static call site: five bytes of mapped text.
    unsafe { std::ptr::read_volatile(addr as *const [u8; 5]) }
}

/// Rewrite every site of `pokes` whose bytes differ from its `new`, while
/// other threads may be executing them. Callers serialise batches (the
/// static-call mutex). Fails, changing nothing, if a site is not 2-byte
/// aligned, if the host cannot serialise other CPUs (no membarrier
/// SYNC_CORE) or if it refuses to make the text writable.
pub fn text_poke_batch(pokes: &[Poke]) -> io::Result<()> {
    let todo: Vec<&Poke> = pokes.iter().filter(|p| current(p.addr) != p.new).collect();
    if todo.is_empty() {
        return Ok(());
    }
    if let Some(p) = todo.iter().find(|p| p.addr % 2 != 0) {
        return Err(io::Error::other(format!(
            "static call site {:#x} is not 2-byte aligned",
            p.addr
        )));
    }
    if !membarrier_sync_core() {
        return Err(io::Error::other(
            "membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED_SYNC_CORE) is unavailable",
        ));
    }
    let ps = page_size();
    let pages: BTreeSet<usize> = todo
        .iter()
        .flat_map(|p| [p.addr & !(ps - 1), (p.addr + 4) & !(ps - 1)])
        .collect();
    let rx = libc::PROT_READ | libc::PROT_EXEC;
    if let Err(e) = protect(&pages, rx | libc::PROT_WRITE) {
        protect(&pages, rx)?;
        return Err(e);
    }
    for p in &todo {
        // SAFETY: aligned (checked above), in a page made writable above.
        unsafe { poke2(p.addr, JMP8_SELF) };
    }
    sync_core();
    for p in &todo {
        for (i, &b) in p.new.iter().enumerate().skip(2) {
            // SAFETY: bytes 2..5 of a site no thread can now reach.
            unsafe { std::ptr::write_volatile((p.addr + i) as *mut u8, b) };
        }
    }
    sync_core();
    for p in &todo {
        // SAFETY: as for the first store.
        unsafe { poke2(p.addr, [p.new[0], p.new[1]]) };
    }
    sync_core();
    // The sites are patched whatever happens now: a host that will not
    // take the write permission back leaves the pages writable, no worse.
    if let Err(e) = protect(&pages, rx) {
        crate::pr_warn!("text_poke: kernel text left writable: {e}");
    }
    Ok(())
}
