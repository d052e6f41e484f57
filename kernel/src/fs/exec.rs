//! Program execution (fs/exec.c, fs/binfmt_script.c): `execve()`.
//!
//! `do_execve` copies argv/envp out of the old address space, keeps the
//! exec state in a kzalloc'd `linux_binprm` (`alloc_bprm`), reads the
//! file's head into `bprm->buf` and asks each binary format in turn:
//! `binfmt_script` (`#!interp [arg]`, re-entered at most
//! [`BINPRM_MAX_RECURSION`] times) and
//! `binfmt_applet` (`#!applet NAME`, usk's executable format: the loader
//! resolves NAME to a code address in the user library). Past the point of
//! no return the task gets a fresh address space whose stack holds argc,
//! argv, envp and the auxiliary vector exactly as the x86-64 ELF loader
//! lays them out, its other threads are gone, close-on-exec descriptors are
//! closed and caught signals are reset to SIG_DFL.
//!
//! Invariants: a failure before the point of no return leaves the caller's
//! process untouched (it gets the errno); after it, a failure kills the
//! process with SIGSEGV, as Linux does.

use crate::alloc::KBox;
use crate::kernel::panic::{unwind, Unwind};
use crate::kernel::process::{ProcessState, SigHand};
use crate::mm::gfp::{__GFP_ZERO, GFP_KERNEL};
use crate::mm::MmStruct;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use uapi::errno::*;
use uapi::signal::{SIG_DFL, SIG_IGN};

/// `MAX_ARG_STRLEN`: longest single argument or environment string.
pub const MAX_ARG_STRLEN: usize = 32 * 4096;
/// `MAX_ARG_STRINGS`.
pub const MAX_ARG_STRINGS: usize = 0x7fff_ffff;
/// Nested interpreters allowed (`BINPRM_MAX_RECURSION`).
pub const BINPRM_MAX_RECURSION: u32 = 4;
/// Bytes of the file the formats look at (`BINPRM_BUF_SIZE`).
pub const BINPRM_BUF_SIZE: usize = 256;

// Auxiliary vector tags (include/uapi/linux/auxvec.h).
pub const AT_NULL: u64 = 0;
pub const AT_PAGESZ: u64 = 6;
pub const AT_ENTRY: u64 = 9;
pub const AT_UID: u64 = 11;
pub const AT_EUID: u64 = 12;
pub const AT_GID: u64 = 13;
pub const AT_EGID: u64 = 14;
pub const AT_CLKTCK: u64 = 17;
pub const AT_SECURE: u64 = 23;
pub const AT_RANDOM: u64 = 25;
pub const AT_EXECFN: u64 = 31;

/// `struct linux_binprm`, kzalloc'd by `alloc_bprm()` (a [`KBox`]).
pub struct LinuxBinprm {
    /// The head of the file being loaded (`bprm->buf`), NUL-padded.
    pub buf: [u8; BINPRM_BUF_SIZE],
    pub filename: String,
    pub argv: Vec<Vec<u8>>,
    pub envp: Vec<Vec<u8>>,
    /// Program entry address (`bprm->entry`... set by the format).
    pub entry: u64,
    /// The name the task takes (`comm`).
    pub comm: String,
}

impl LinuxBinprm {
    /// The first line of `buf` after `skip` bytes: up to a newline or the
    /// NUL padding.
    fn first_line(&self, skip: usize) -> &[u8] {
        let rest = self.buf.get(skip..).unwrap_or(&[]);
        let end = rest
            .iter()
            .position(|&b| b == b'\n' || b == 0)
            .unwrap_or(rest.len());
        &rest[..end]
    }
}

/// `alloc_bprm()`: the exec state in a kzalloc'd `linux_binprm`.
fn alloc_bprm(
    filename: &str,
    argv: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
) -> Result<KBox<LinuxBinprm>, Errno> {
    KBox::new(
        LinuxBinprm {
            buf: [0; BINPRM_BUF_SIZE],
            filename: filename.to_string(),
            argv,
            envp,
            entry: 0,
            comm: filename.rsplit('/').next().unwrap_or(filename).to_string(),
        },
        GFP_KERNEL | __GFP_ZERO,
    )
}

/// Copy a NULL-terminated array of string pointers out of user memory
/// (`copy_strings`); a NULL array is an empty one.
pub fn copy_strings_from_user(
    mm: &MmStruct,
    array: u64,
    total: &mut usize,
    limit: usize,
) -> Result<Vec<Vec<u8>>, Errno> {
    let mut out = Vec::new();
    if array == 0 {
        return Ok(out);
    }
    for i in 0.. {
        if i >= MAX_ARG_STRINGS {
            return Err(E2BIG);
        }
        let slot = array.checked_add(8 * i as u64).ok_or(EFAULT)?;
        let p = mm.get_user_u64(slot)?;
        if p == 0 {
            break;
        }
        let s = match mm.strncpy_from_user(p, MAX_ARG_STRLEN) {
            Err(ENAMETOOLONG) => return Err(E2BIG),
            r => r?,
        };
        *total += s.len() + 1 + 8;
        if *total > limit {
            return Err(E2BIG);
        }
        out.push(s);
        crate::kernel::sched::core::cond_resched();
    }
    Ok(out)
}

/// Read the head of `bprm.filename` into `bprm.buf` after the permission
/// checks of `open_exec()` (`prepare_binprm()`).
fn open_exec(bprm: &mut LinuxBinprm) -> Result<(), Errno> {
    let path = bprm.filename.as_str();
    let fs = crate::kernel().vfs.current_fs().ok_or(ENOENT)?;
    let file = crate::fs::namei::do_filp_open(&fs, None, path, uapi::fcntl::O_RDONLY, 0)?;
    let mode = file.inode().mode();
    if !uapi::fcntl::s_isreg(mode) {
        return Err(EACCES);
    }
    if mode & 0o111 == 0 {
        return Err(EACCES);
    }
    bprm.buf = [0; BINPRM_BUF_SIZE];
    crate::fs::read_write::kernel_read(&file, &mut bprm.buf)?;
    Ok(())
}

/// Find a format for `bprm`, re-entering for interpreters.
fn search_binary_handler(bprm: &mut LinuxBinprm, depth: u32) -> Result<(), Errno> {
    if depth > BINPRM_MAX_RECURSION {
        return Err(ELOOP);
    }
    open_exec(bprm)?;
    if bprm.buf.starts_with(uapi::abi::APPLET_MAGIC) {
        return load_applet(bprm);
    }
    if bprm.buf.starts_with(b"#!") {
        return load_script(bprm, depth);
    }
    Err(ENOEXEC)
}

/// `binfmt_applet`: `#!applet NAME\n`.
fn load_applet(bprm: &mut LinuxBinprm) -> Result<(), Errno> {
    let line = bprm.first_line(uapi::abi::APPLET_MAGIC.len());
    let name = std::str::from_utf8(line).map_err(|_| ENOEXEC)?.trim();
    let ue = uapi::abi::user_entry().ok_or(ENOEXEC)?;
    bprm.entry = (ue.resolve_applet)(name).ok_or(ENOEXEC)?;
    Ok(())
}

/// `binfmt_script`: `#!interpreter [one-arg]`; argv becomes
/// `interpreter [one-arg] filename argv[1..]`.
fn load_script(bprm: &mut LinuxBinprm, depth: u32) -> Result<(), Errno> {
    let line = bprm.first_line(2);
    let line = std::str::from_utf8(line).map_err(|_| ENOEXEC)?.trim();
    if line.is_empty() {
        return Err(ENOEXEC);
    }
    let (interp, arg) = match line.split_once([' ', '\t']) {
        Some((i, a)) => (i, Some(a.trim())),
        None => (line, None),
    };
    let mut argv = vec![interp.as_bytes().to_vec()];
    if let Some(a) = arg.filter(|a| !a.is_empty()) {
        argv.push(a.as_bytes().to_vec());
    }
    argv.push(bprm.filename.as_bytes().to_vec());
    argv.extend(bprm.argv.iter().skip(1).cloned());
    bprm.filename = interp.to_string();
    bprm.argv = argv;
    search_binary_handler(bprm, depth + 1)
}

/// Build the initial stack (`create_elf_tables`) in `mm`: strings at the
/// top, then AT_RANDOM bytes, then (16-byte aligned) argc, argv[], NULL,
/// envp[], NULL, auxv pairs ending with AT_NULL. Returns the stack pointer.
fn create_elf_tables(
    mm: &MmStruct,
    top: u64,
    bprm: &LinuxBinprm,
    p: &ProcessState,
) -> Result<u64, Errno> {
    // Strings, ascending: argv then envp (arg_start..arg_end..env_end),
    // then the file name, then an 8-byte end marker.
    let size = |v: &[Vec<u8>]| v.iter().map(|s| s.len() as u64 + 1).sum::<u64>();
    let execfn = top - 8 - (bprm.filename.len() as u64 + 1);
    let arg_start = execfn - size(&bprm.envp) - size(&bprm.argv);
    let mut blob = Vec::new();
    let place = |blob: &mut Vec<u8>, strings: &[Vec<u8>]| -> Vec<u64> {
        strings
            .iter()
            .map(|s| {
                let at = arg_start + blob.len() as u64;
                blob.extend_from_slice(s);
                blob.push(0);
                at
            })
            .collect()
    };
    let argv = place(&mut blob, &bprm.argv);
    let arg_end = arg_start + blob.len() as u64;
    let envp = place(&mut blob, &bprm.envp);
    blob.extend_from_slice(bprm.filename.as_bytes());
    blob.push(0);
    mm.copy_to_user(arg_start, &blob)?;
    *p.arg_range.lock() = (arg_start, arg_end);
    let mut sp = arg_start & !15;
    sp -= 16;
    let random = sp;
    let mut rnd = [0u8; 16];
    let k = crate::kernel();
    for (i, b) in rnd.iter_mut().enumerate() {
        *b = (k.clock.now_ns().wrapping_mul(0x9e37_79b9_7f4a_7c15) >> (i * 3)) as u8;
    }
    mm.copy_to_user(random, &rnd)?;
    let cred = p.cred();
    let auxv = [
        (AT_PAGESZ, 4096),
        (AT_CLKTCK, 100),
        (AT_ENTRY, bprm.entry),
        (AT_UID, cred.uid as u64),
        (AT_EUID, cred.euid as u64),
        (AT_GID, cred.gid as u64),
        (AT_EGID, cred.egid as u64),
        (AT_SECURE, 0),
        (AT_RANDOM, random),
        (AT_EXECFN, execfn),
        (AT_NULL, 0),
    ];
    let words = 1 + argv.len() + 1 + envp.len() + 1 + 2 * auxv.len();
    sp -= 8 * words as u64;
    sp &= !15;
    let mut table = Vec::with_capacity(words * 8);
    table.extend_from_slice(&(argv.len() as u64).to_ne_bytes());
    for a in argv.iter().chain([&0]).chain(envp.iter()).chain([&0]) {
        table.extend_from_slice(&a.to_ne_bytes());
    }
    for (t, v) in auxv {
        table.extend_from_slice(&t.to_ne_bytes());
        table.extend_from_slice(&v.to_ne_bytes());
    }
    mm.copy_to_user(sp, &table)?;
    Ok(sp)
}

/// `execve()` with argv/envp already in kernel memory. Returns only on
/// failure; on success the caller's user code is gone and the task
/// re-enters user mode at the new program.
pub fn do_execve(filename: &str, argv: Vec<Vec<u8>>, envp: Vec<Vec<u8>>) -> Errno {
    let me = crate::current();
    let Some(p) = me.process() else {
        return EINVAL;
    };
    let mut bprm = match alloc_bprm(filename, argv, envp) {
        Ok(b) => b,
        Err(e) => return e,
    };
    if let Err(e) = search_binary_handler(&mut bprm, 0) {
        return e;
    }
    // The point of no return.
    if crate::kernel().strace_enabled() {
        crate::arch::x86::strace::exec_succeeded();
    }
    let mm = MmStruct::new();
    // The new image stays in the process's memory cgroup.
    mm.set_memcg(p.mm().and_then(|old| old.memcg()));
    let sp = match mm
        .setup_exec_layout()
        .and_then(|top| create_elf_tables(&mm, top, &bprm, p))
    {
        Ok(sp) => sp,
        Err(_) => {
            drop(mm);
            crate::kernel::signal::force_sig(uapi::signal::SIGSEGV);
            return EFAULT;
        }
    };
    let old_pid = me.pid;
    de_thread(&me, p);
    *p.mm.lock() = Some(mm);
    crate::arch::x86::entry::set_user_mm(p.mm());
    crate::kernel::fork::mm_release(p);
    // unshare_files() + do_close_on_exec().
    {
        let mut files = p.files.lock();
        if Arc::strong_count(&files) > 1 {
            *files = files.dup_fd();
        }
        files.do_close_on_exec();
    }
    // flush_signal_handlers(): caught signals go back to SIG_DFL.
    {
        let mut sh = p.sighand.lock();
        if Arc::strong_count(&sh) > 1 {
            *sh = sh.copy();
        }
        let fresh: Arc<SigHand> = Arc::clone(&sh);
        drop(sh);
        for a in fresh.action.lock().iter_mut() {
            if a.sa_handler != SIG_IGN {
                a.sa_handler = SIG_DFL;
            }
            a.sa_flags = 0;
            a.sa_mask = 0;
            a.sa_restorer = 0;
        }
    }
    me.set_comm(&bprm.comm);
    me.flags
        .fetch_and(!crate::kernel::sched::task::PF_KTHREAD, Ordering::Relaxed);
    {
        let mut regs = p.regs.lock();
        *regs = uapi::abi::PtRegs {
            ip: bprm.entry,
            sp,
            ..Default::default()
        };
    }
    // exec_binprm(): the new image is in place.
    crate::trace::trace(&crate::trace::events::SCHED_PROCESS_EXEC, |w| {
        w.str(8, 32, &bprm.filename)
            .i32(40, me.pid)
            .i32(44, old_pid);
    });
    unwind(Unwind::Exec)
}

/// `de_thread()`: the other threads of the group die before the new
/// program runs.
fn de_thread(me: &Arc<crate::kernel::sched::task::Task>, p: &ProcessState) {
    let others: Vec<_> = crate::kernel::signal::thread_group(me)
        .into_iter()
        .filter(|t| !Arc::ptr_eq(t, me))
        .collect();
    if others.is_empty() {
        return;
    }
    p.signal.group_exec_task.store(me.pid, Ordering::Release);
    crate::kernel::signal::zap_other_threads(me, Some(me));
    while p.signal.live.load(Ordering::Acquire) > 1 {
        crate::kernel::sched::core::schedule_timeout_uninterruptible(1);
    }
    p.signal.group_exec_task.store(0, Ordering::Release);
}
