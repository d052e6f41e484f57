//! Per-system-call events (kernel/trace/trace_syscalls.c,
//! `CONFIG_FTRACE_SYSCALLS`): `syscalls:sys_enter_<name>` and
//! `syscalls:sys_exit_<name>` for every call of the syscall table.
//!
//! Linux generates them from `SYSCALL_DEFINEn`'s metadata (name, argument
//! types and names); here that metadata is one const table,
//! [`SYSCALLS`], and the events are built from it once per process. Their
//! layout is Linux's: after the common fields, `int __syscall_nr` at offset
//! 8 and one `unsigned long`-sized field per argument from offset 16
//! (`sys_enter_*`), or `long ret` at 16 (`sys_exit_*`); the print formats
//! are `__set_enter_print_fmt()`'s and `"0x%lx", REC->ret`; and `trace`
//! shows them as `print_syscall_enter()`/`print_syscall_exit()` do:
//! `sys_openat(dfd: ffffff9c, filename: 7ff0…, flags: 0, mode: 0)` and
//! `sys_openat -> 0x3`, without the `event: ` prefix of other events.
//!
//! Cost when off: the syscall entry and exit each load one counter, the
//! call's entry in [`NR_KEYS`] — the number of enabled or probed events of
//! that call over every kernel of the process (Linux's per-number
//! `enabled_enter_syscalls` bitmap) — and branch on it; only a call whose
//! events are on looks its event up, so enabling one call's events costs
//! the others nothing.
//!
//! Invariants: `SYSCALLS` is sorted by number without duplicates; the
//! event of entry `i` has id `first_id() + 2i` (enter) and `+ 2i + 1`
//! (exit); every call `do_syscall_64` dispatches has an entry (tested
//! against the dispatch table's source).
#![allow(non_upper_case_globals)] // Linux's __NR_* names

use super::{EventClass, Field, FieldType, Record, TraceEvent};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::LazyLock;
use uapi::abi::PtRegs;
use uapi::unistd::*;

/// A system call's `SYSCALL_DEFINE` metadata: number, name (without
/// `sys_`), and its arguments as (C type, name).
pub struct SyscallMeta {
    pub nr: u64,
    pub name: &'static str,
    pub args: &'static [(&'static str, &'static str)],
}

macro_rules! sc {
    ($nr:ident, $name:literal $(, $t:literal $a:tt)*) => {
        SyscallMeta { nr: $nr, name: $name, args: &[$(($t, stringify!($a))),*] }
    };
}

/// The calls of `do_syscall_64`, with the names and argument lists of
/// their `SYSCALL_DEFINE`s (x86-64: `stat` is `newstat`, `uname` is
/// `newuname`, `umount2` is `umount`).
pub const SYSCALLS: &[SyscallMeta] = &[
    sc!(__NR_read, "read", "unsigned int" fd, "char *" buf, "size_t" count),
    sc!(__NR_write, "write", "unsigned int" fd, "const char *" buf, "size_t" count),
    sc!(__NR_open, "open", "const char *" filename, "int" flags, "umode_t" mode),
    sc!(__NR_close, "close", "unsigned int" fd),
    sc!(__NR_stat, "newstat", "const char *" filename, "struct stat *" statbuf),
    sc!(__NR_fstat, "newfstat", "unsigned int" fd, "struct stat *" statbuf),
    sc!(__NR_lstat, "newlstat", "const char *" filename, "struct stat *" statbuf),
    sc!(__NR_poll, "poll", "struct pollfd *" ufds, "unsigned int" nfds, "int" timeout_msecs),
    sc!(__NR_lseek, "lseek", "unsigned int" fd, "off_t" offset, "unsigned int" whence),
    sc!(__NR_mmap, "mmap", "unsigned long" addr, "unsigned long" len, "unsigned long" prot,
        "unsigned long" flags, "unsigned long" fd, "unsigned long" off),
    sc!(__NR_mprotect, "mprotect", "unsigned long" start, "size_t" len, "unsigned long" prot),
    sc!(__NR_munmap, "munmap", "unsigned long" addr, "size_t" len),
    sc!(__NR_brk, "brk", "unsigned long" brk),
    sc!(__NR_rt_sigaction, "rt_sigaction", "int" sig, "const struct sigaction *" act,
        "struct sigaction *" oact, "size_t" sigsetsize),
    sc!(__NR_rt_sigprocmask, "rt_sigprocmask", "int" how, "sigset_t *" nset, "sigset_t *" oset,
        "size_t" sigsetsize),
    sc!(__NR_rt_sigreturn, "rt_sigreturn"),
    sc!(__NR_ioctl, "ioctl", "unsigned int" fd, "unsigned int" cmd, "unsigned long" arg),
    sc!(__NR_pread64, "pread64", "unsigned int" fd, "char *" buf, "size_t" count, "loff_t" pos),
    sc!(__NR_pwrite64, "pwrite64", "unsigned int" fd, "const char *" buf, "size_t" count,
        "loff_t" pos),
    sc!(__NR_readv, "readv", "unsigned long" fd, "const struct iovec *" vec, "unsigned long" vlen),
    sc!(__NR_writev, "writev", "unsigned long" fd, "const struct iovec *" vec, "unsigned long" vlen),
    sc!(__NR_access, "access", "const char *" filename, "int" mode),
    sc!(__NR_pipe, "pipe", "int *" fildes),
    sc!(__NR_sched_yield, "sched_yield"),
    sc!(__NR_mremap, "mremap", "unsigned long" addr, "unsigned long" old_len,
        "unsigned long" new_len, "unsigned long" flags, "unsigned long" new_addr),
    sc!(__NR_dup, "dup", "unsigned int" fildes),
    sc!(__NR_dup2, "dup2", "unsigned int" oldfd, "unsigned int" newfd),
    sc!(__NR_pause, "pause"),
    sc!(__NR_nanosleep, "nanosleep", "struct __kernel_timespec *" rqtp,
        "struct __kernel_timespec *" rmtp),
    sc!(__NR_getpid, "getpid"),
    sc!(__NR_clone, "clone", "unsigned long" clone_flags, "unsigned long" newsp,
        "int *" parent_tidptr, "int *" child_tidptr, "unsigned long" tls),
    sc!(__NR_fork, "fork"),
    sc!(__NR_vfork, "vfork"),
    sc!(__NR_execve, "execve", "const char *" filename, "const char *const *" argv,
        "const char *const *" envp),
    sc!(__NR_exit, "exit", "int" error_code),
    sc!(__NR_wait4, "wait4", "pid_t" upid, "int *" stat_addr, "int" options,
        "struct rusage *" ru),
    sc!(__NR_kill, "kill", "pid_t" pid, "int" sig),
    sc!(__NR_uname, "newuname", "struct new_utsname *" name),
    sc!(__NR_fcntl, "fcntl", "unsigned int" fd, "unsigned int" cmd, "unsigned long" arg),
    sc!(__NR_fsync, "fsync", "unsigned int" fd),
    sc!(__NR_fdatasync, "fdatasync", "unsigned int" fd),
    sc!(__NR_getcwd, "getcwd", "char *" buf, "unsigned long" size),
    sc!(__NR_chdir, "chdir", "const char *" filename),
    sc!(__NR_fchdir, "fchdir", "unsigned int" fd),
    sc!(__NR_mkdir, "mkdir", "const char *" pathname, "umode_t" mode),
    sc!(__NR_rmdir, "rmdir", "const char *" pathname),
    sc!(__NR_creat, "creat", "const char *" pathname, "umode_t" mode),
    sc!(__NR_unlink, "unlink", "const char *" pathname),
    sc!(__NR_umask, "umask", "int" mask),
    sc!(__NR_gettimeofday, "gettimeofday", "struct __kernel_old_timeval *" tv,
        "struct timezone *" tz),
    sc!(__NR_getrlimit, "getrlimit", "unsigned int" resource, "struct rlimit *" rlim),
    sc!(__NR_sysinfo, "sysinfo", "struct sysinfo *" info),
    sc!(__NR_times, "times", "struct tms *" tbuf),
    sc!(__NR_getuid, "getuid"),
    sc!(__NR_syslog, "syslog", "int" type, "char *" buf, "int" len),
    sc!(__NR_getgid, "getgid"),
    sc!(__NR_setuid, "setuid", "uid_t" uid),
    sc!(__NR_setgid, "setgid", "gid_t" gid),
    sc!(__NR_geteuid, "geteuid"),
    sc!(__NR_getegid, "getegid"),
    sc!(__NR_setpgid, "setpgid", "pid_t" pid, "pid_t" pgid),
    sc!(__NR_getppid, "getppid"),
    sc!(__NR_getpgrp, "getpgrp"),
    sc!(__NR_setsid, "setsid"),
    sc!(__NR_getpgid, "getpgid", "pid_t" pid),
    sc!(__NR_getsid, "getsid", "pid_t" pid),
    sc!(__NR_rt_sigpending, "rt_sigpending", "sigset_t *" uset, "size_t" sigsetsize),
    sc!(__NR_rt_sigsuspend, "rt_sigsuspend", "sigset_t *" unewset, "size_t" sigsetsize),
    sc!(__NR_setrlimit, "setrlimit", "unsigned int" resource, "struct rlimit *" rlim),
    sc!(__NR_sync, "sync"),
    sc!(__NR_mount, "mount", "char *" dev_name, "char *" dir_name, "char *" type,
        "unsigned long" flags, "void *" data),
    sc!(__NR_umount2, "umount", "char *" name, "int" flags),
    sc!(__NR_init_module, "init_module", "void *" umod, "unsigned long" len,
        "const char *" uargs),
    sc!(__NR_delete_module, "delete_module", "const char *" name_user, "unsigned int" flags),
    sc!(__NR_gettid, "gettid"),
    sc!(__NR_tkill, "tkill", "pid_t" pid, "int" sig),
    sc!(__NR_getdents64, "getdents64", "unsigned int" fd, "struct linux_dirent64 *" dirent,
        "unsigned int" count),
    sc!(__NR_set_tid_address, "set_tid_address", "int *" tidptr),
    sc!(__NR_clock_gettime, "clock_gettime", "const clockid_t" which_clock,
        "struct __kernel_timespec *" tp),
    sc!(__NR_clock_nanosleep, "clock_nanosleep", "const clockid_t" which_clock, "int" flags,
        "const struct __kernel_timespec *" rqtp, "struct __kernel_timespec *" rmtp),
    sc!(__NR_exit_group, "exit_group", "int" error_code),
    sc!(__NR_tgkill, "tgkill", "pid_t" tgid, "pid_t" pid, "int" sig),
    sc!(__NR_openat, "openat", "int" dfd, "const char *" filename, "int" flags, "umode_t" mode),
    sc!(__NR_mkdirat, "mkdirat", "int" dfd, "const char *" pathname, "umode_t" mode),
    sc!(__NR_newfstatat, "newfstatat", "int" dfd, "const char *" filename,
        "struct stat *" statbuf, "int" flag),
    sc!(__NR_unlinkat, "unlinkat", "int" dfd, "const char *" pathname, "int" flag),
    sc!(__NR_faccessat, "faccessat", "int" dfd, "const char *" filename, "int" mode),
    sc!(__NR_dup3, "dup3", "unsigned int" oldfd, "unsigned int" newfd, "int" flags),
    sc!(__NR_pipe2, "pipe2", "int *" fildes, "int" flags),
    sc!(__NR_preadv, "preadv", "unsigned long" fd, "const struct iovec *" vec,
        "unsigned long" vlen, "unsigned long" pos_l, "unsigned long" pos_h),
    sc!(__NR_pwritev, "pwritev", "unsigned long" fd, "const struct iovec *" vec,
        "unsigned long" vlen, "unsigned long" pos_l, "unsigned long" pos_h),
    sc!(__NR_perf_event_open, "perf_event_open", "struct perf_event_attr *" attr_uptr,
        "pid_t" pid, "int" cpu, "int" group_fd, "unsigned long" flags),
    sc!(__NR_prlimit64, "prlimit64", "pid_t" pid, "unsigned int" resource,
        "const struct rlimit64 *" new_rlim, "struct rlimit64 *" old_rlim),
    sc!(__NR_syncfs, "syncfs", "int" fd),
    sc!(__NR_finit_module, "finit_module", "int" fd, "const char *" uargs, "int" flags),
    sc!(__NR_faccessat2, "faccessat2", "int" dfd, "const char *" filename, "int" mode,
        "int" flags),
];

/// Size of the per-number key table (x86-64's numbers stay below it).
const NR_SYSCALLS: usize = 512;

/// Per system call number: enabled or probed `sys_enter_*`/`sys_exit_*`
/// events of that call, over every kernel of the process — the one load
/// the syscall path pays while they are off.
static NR_KEYS: [AtomicU32; NR_SYSCALLS] = [const { AtomicU32::new(0) }; NR_SYSCALLS];

/// The key of the call a syscall event (by id) belongs to.
fn nr_key(id: u16) -> Option<&'static AtomicU32> {
    let m = SYSCALLS.get((id as usize).checked_sub(first_id())? / 2)?;
    NR_KEYS.get(m.nr as usize)
}

/// `n` more users of the syscall event `id` (see `TraceEvent::key_add`).
pub(super) fn nr_key_add(id: u16, n: u32) {
    if let Some(k) = nr_key(id) {
        k.fetch_add(n, Ordering::AcqRel);
    }
}

/// `n` fewer users of the syscall event `id`.
pub(super) fn nr_key_sub(id: u16, n: u32) {
    if let Some(k) = nr_key(id) {
        k.fetch_sub(n, Ordering::AcqRel);
    }
}

/// Whether call `nr` has an event on.
#[inline(always)]
fn nr_hot(nr: u64) -> bool {
    NR_KEYS
        .get(nr as usize)
        .is_some_and(|k| k.load(Ordering::Relaxed) != 0)
}

/// Offset of `__syscall_nr`, and of the first argument / `ret`.
const NR_OFFSET: usize = 8;
const ARGS_OFFSET: usize = 16;

/// What the events of one call are built from (owned by [`DESCS`], so
/// the events can borrow it for the life of the process).
struct Desc {
    enter_name: String,
    exit_name: String,
    enter_fields: Vec<Field>,
    enter_fmt: String,
}

static DESCS: LazyLock<Vec<Desc>> = LazyLock::new(|| {
    SYSCALLS
        .iter()
        .map(|m| {
            let mut enter_fields = vec![Field {
                name: "__syscall_nr",
                ty: FieldType::Int,
                offset: NR_OFFSET,
            }];
            enter_fields.extend(m.args.iter().enumerate().map(|(i, &(ty, name))| Field {
                name,
                ty: FieldType::SyscallArg(ty),
                offset: ARGS_OFFSET + 8 * i,
            }));
            // __set_enter_print_fmt()
            let fmts: Vec<String> = m
                .args
                .iter()
                .map(|(_, a)| format!("{a}: 0x%08lx"))
                .collect();
            let mut enter_fmt = format!("\"{}\"", fmts.join(", "));
            for (_, a) in m.args {
                enter_fmt.push_str(&format!(", ((unsigned long)(REC->{a}))"));
            }
            Desc {
                enter_name: format!("sys_enter_{}", m.name),
                exit_name: format!("sys_exit_{}", m.name),
                enter_fields,
                enter_fmt,
            }
        })
        .collect()
});

static EXIT_FIELDS: [Field; 2] = [
    Field {
        name: "__syscall_nr",
        ty: FieldType::Int,
        offset: NR_OFFSET,
    },
    Field {
        name: "ret",
        ty: FieldType::Long,
        offset: ARGS_OFFSET,
    },
];

/// Id of the first syscall event (they follow the declared events).
fn first_id() -> usize {
    super::events::DECLARED.len()
}

/// The events, enter and exit alternating in [`SYSCALLS`] order.
pub(super) static EVENTS: LazyLock<Vec<TraceEvent>> = LazyLock::new(|| {
    let base = first_id();
    DESCS
        .iter()
        .enumerate()
        .flat_map(|(i, d)| {
            let id = (base + 2 * i) as u16;
            [
                TraceEvent {
                    system: "syscalls",
                    name: &d.enter_name,
                    id,
                    fields: &d.enter_fields,
                    print_fmt: &d.enter_fmt,
                    output: print_syscall_enter,
                    class: EventClass::Syscall,
                    key: AtomicU32::new(0),
                },
                TraceEvent {
                    system: "syscalls",
                    name: &d.exit_name,
                    id: id + 1,
                    fields: &EXIT_FIELDS,
                    print_fmt: "\"0x%lx\", REC->ret",
                    output: print_syscall_exit,
                    class: EventClass::Syscall,
                    key: AtomicU32::new(0),
                },
            ]
        })
        .collect()
});

/// The metadata of the call a syscall record belongs to.
fn meta_of(r: &Record) -> Option<&'static SyscallMeta> {
    SYSCALLS.get((r.event as usize).checked_sub(first_id())? / 2)
}

/// `print_syscall_enter()`: `sys_openat(dfd: ffffff9c, filename: …)`.
fn print_syscall_enter(r: &Record) -> String {
    let Some(m) = meta_of(r) else {
        return String::new();
    };
    let args: Vec<String> = m
        .args
        .iter()
        .enumerate()
        .map(|(i, (_, a))| format!("{a}: {:x}", r.u64(ARGS_OFFSET + 8 * i)))
        .collect();
    format!("sys_{}({})", m.name, args.join(", "))
}

/// `print_syscall_exit()`: `sys_openat -> 0x3`.
fn print_syscall_exit(r: &Record) -> String {
    let Some(m) = meta_of(r) else {
        return String::new();
    };
    format!("sys_{} -> {:#x}", m.name, r.u64(ARGS_OFFSET))
}

/// The index of call `nr` in [`SYSCALLS`].
fn index_of(nr: u64) -> Option<usize> {
    SYSCALLS.binary_search_by_key(&nr, |m| m.nr).ok()
}

/// The `SYSCALL_DEFINE` metadata of call `nr`, if the table has it.
pub fn meta(nr: u64) -> Option<&'static SyscallMeta> {
    index_of(nr).map(|i| &SYSCALLS[i])
}

/// `ftrace_syscall_enter()`, called before the handler.
#[inline]
pub fn trace_sys_enter(regs: &PtRegs) {
    if nr_hot(regs.nr) {
        sys_enter_slow(regs);
    }
}

#[cold]
fn sys_enter_slow(regs: &PtRegs) {
    let Some(i) = index_of(regs.nr) else { return };
    let nargs = SYSCALLS[i].args.len();
    super::trace(&EVENTS[2 * i], |w| {
        w.i32(NR_OFFSET, regs.nr as i32);
        for (k, a) in regs.args[..nargs].iter().enumerate() {
            w.u64(ARGS_OFFSET + 8 * k, *a);
        }
    });
}

/// `ftrace_syscall_exit()`, called after the handler with its result.
#[inline]
pub fn trace_sys_exit(regs: &PtRegs, ret: i64) {
    if nr_hot(regs.nr) {
        sys_exit_slow(regs, ret);
    }
}

#[cold]
fn sys_exit_slow(regs: &PtRegs, ret: i64) {
    let Some(i) = index_of(regs.nr) else { return };
    super::trace(&EVENTS[2 * i + 1], |w| {
        w.i32(NR_OFFSET, regs.nr as i32).i64(ARGS_OFFSET, ret);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_names_are_linux_define_names() {
        assert!(SYSCALLS.windows(2).all(|w| w[0].nr < w[1].nr));
        for m in SYSCALLS {
            assert!(m.args.len() <= 6, "{}", m.name);
            assert!((m.nr as usize) < NR_SYSCALLS, "{}", m.name);
            // the SYSCALL_DEFINE name is the table name, or its new* twin
            let table = uapi::unistd::syscall_name(m.nr).expect("a known number");
            assert!(
                m.name == table || m.name == format!("new{table}") || m.nr == __NR_umount2,
                "{} vs {table}",
                m.name
            );
        }
    }

    /// An event's users key its own call only.
    #[test]
    fn keys_are_per_call() {
        let open = 2 * index_of(__NR_openat).unwrap();
        let exit = EVENTS[open + 1].id;
        assert!(!nr_hot(__NR_openat) && !nr_hot(__NR_getpid));
        nr_key_add(exit, 2);
        assert!(nr_hot(__NR_openat) && !nr_hot(__NR_getpid) && !nr_hot(100_000));
        nr_key_sub(exit, 2);
        assert!(!nr_hot(__NR_openat));
        // ids of declared events have no call
        assert!(nr_key(0).is_none());
    }

    /// Every call `dispatch()` handles has metadata, and nothing more.
    #[test]
    fn every_dispatched_call_has_metadata() {
        let src = include_str!("../arch/x86/syscall_64.rs");
        let body = src
            .split("fn dispatch(")
            .nth(1)
            .and_then(|s| s.split("\n}\n").next())
            .expect("dispatch() in syscall_64.rs");
        let mut dispatched: Vec<u64> = body
            .lines()
            .filter(|l| l.contains("=>"))
            .flat_map(|l| {
                l.split("=>")
                    .next()
                    .unwrap_or("")
                    .split('|')
                    .filter_map(|p| {
                        let p = p.trim().strip_prefix("__NR_")?;
                        uapi::unistd::SYSCALL_NAMES
                            .iter()
                            .find(|(_, n)| *n == p)
                            .map(|&(nr, _)| nr)
                    })
            })
            .collect();
        dispatched.sort_unstable();
        dispatched.dedup();
        let table: Vec<u64> = SYSCALLS.iter().map(|m| m.nr).collect();
        assert_eq!(dispatched, table);
    }

    #[test]
    fn openat_format_is_linuxs() {
        let i = index_of(__NR_openat).unwrap();
        let e = &EVENTS[2 * i];
        assert_eq!(e.name, "sys_enter_openat");
        assert_eq!(
            super::super::format_file(e)
                .split_once("format:\n")
                .unwrap()
                .1,
            "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n\
             \tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n\
             \tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n\
             \tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n\n\
             \tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n\
             \tfield:int dfd;\toffset:16;\tsize:8;\tsigned:0;\n\
             \tfield:const char * filename;\toffset:24;\tsize:8;\tsigned:0;\n\
             \tfield:int flags;\toffset:32;\tsize:8;\tsigned:0;\n\
             \tfield:umode_t mode;\toffset:40;\tsize:8;\tsigned:0;\n\n\
             print fmt: \"dfd: 0x%08lx, filename: 0x%08lx, flags: 0x%08lx, mode: 0x%08lx\", ((unsigned long)(REC->dfd)), ((unsigned long)(REC->filename)), ((unsigned long)(REC->flags)), ((unsigned long)(REC->mode))\n"
        );
        let x = &EVENTS[2 * i + 1];
        assert_eq!(x.name, "sys_exit_openat");
        assert!(super::super::format_file(x).ends_with(
            "\tfield:int __syscall_nr;\toffset:8;\tsize:4;\tsigned:1;\n\
             \tfield:long ret;\toffset:16;\tsize:8;\tsigned:1;\n\n\
             print fmt: \"0x%lx\", REC->ret\n"
        ));
        // no arguments: an empty format string, as Linux prints it
        let g = &EVENTS[2 * index_of(__NR_getpid).unwrap()];
        assert_eq!(g.print_fmt, "\"\"");
    }
}
