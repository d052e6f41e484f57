//! The text of /proc/<pid>/stat and /proc/<pid>/status (fs/proc/array.c),
//! field for field in Linux's order and format. Kernel threads have no
//! address space, so their memory fields are zero and `status` has no `Vm*`
//! lines, exactly as on Linux.

use crate::kernel::sched::task::{Task, PF_KTHREAD};
use crate::kernel::time::nsec_to_clock_t;
use std::fmt::Write;
use std::sync::atomic::Ordering;

/// `%*pbl`: a CPU mask as a list ("0-3", "0,2").
pub fn cpumask_list(mask: u64, nr_cpus: usize) -> String {
    let mut out = Vec::new();
    let mut c = 0;
    while c < nr_cpus {
        if mask & (1 << c) != 0 {
            let start = c;
            while c + 1 < nr_cpus && mask & (1 << (c + 1)) != 0 {
                c += 1;
            }
            out.push(if start == c {
                format!("{start}")
            } else {
                format!("{start}-{c}")
            });
        }
        c += 1;
    }
    out.join(",")
}

/// `%*pb`: a CPU mask in hex, limited to the possible CPUs.
pub fn cpumask_hex(mask: u64, nr_cpus: usize) -> String {
    let m = if nr_cpus >= 64 {
        mask
    } else {
        mask & ((1u64 << nr_cpus) - 1)
    };
    format!("{m:x}")
}

fn times(t: &Task) -> (u64, u64) {
    let utime = t.stats.utime.load(Ordering::Relaxed);
    let stime = t.sum_exec_runtime().saturating_sub(utime);
    (nsec_to_clock_t(utime), nsec_to_clock_t(stime))
}

/// What a process adds to stat/status: (pgrp, session, tty_nr, tpgid,
/// threads, vsize bytes, rss pages, cutime, cstime, pending, shared
/// pending, blocked, ignored, caught, uid, gid, fd table size).
struct ProcView {
    pgrp: i32,
    session: i32,
    tty_nr: i32,
    tpgid: i32,
    threads: usize,
    vsize: u64,
    rss: u64,
    cutime: u64,
    cstime: u64,
    sigpnd: u64,
    shdpnd: u64,
    blocked: u64,
    ignored: u64,
    caught: u64,
}

fn proc_view(t: &Task) -> Option<ProcView> {
    let p = t.process()?;
    let (mut ignored, mut caught) = (0u64, 0u64);
    for (i, a) in p.sighand().action.lock().iter().enumerate() {
        match a.sa_handler {
            uapi::signal::SIG_DFL => {}
            uapi::signal::SIG_IGN => ignored |= 1 << i,
            _ => caught |= 1 << i,
        }
    }
    let mm = p.mm();
    let tty = crate::kernel().tty.console_pgrp_session();
    let session = p.signal.session();
    let (tty_nr, tpgid) = match tty {
        Some((pgrp, sess)) if sess == session && sess != 0 => ((5 << 8) | 1, pgrp),
        _ => (0, -1),
    };
    Some(ProcView {
        pgrp: p.signal.pgrp(),
        session,
        tty_nr,
        tpgid,
        threads: crate::kernel::signal::thread_group(t).len().max(1),
        vsize: mm.as_ref().map_or(0, |m| m.total_vm_pages() * 4096),
        rss: mm.as_ref().map_or(0, |m| m.rss_pages()),
        cutime: nsec_to_clock_t(p.signal.cutime.load(Ordering::Relaxed)),
        cstime: nsec_to_clock_t(p.signal.cstime.load(Ordering::Relaxed)),
        sigpnd: p.pending.lock().signal,
        shdpnd: p.signal.shared_pending.lock().signal,
        blocked: p.blocked(),
        ignored,
        caught,
    })
}

/// `do_task_stat()`.
pub fn proc_pid_stat(t: &Task) -> String {
    let (utime, stime) = times(t);
    let kthread = t.flags() & PF_KTHREAD != 0;
    let pv = proc_view(t);
    let mut s = String::new();
    let _ = write!(
        s,
        "{} ({}) {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} {} 0 {} {} {} {}",
        t.pid,
        t.comm(),
        t.state_char(),
        t.ppid.load(Ordering::Relaxed),
        pv.as_ref()
            .map_or(if kthread { 0 } else { t.pid }, |v| v.pgrp),
        pv.as_ref()
            .map_or(if kthread { 0 } else { t.pid }, |v| v.session),
        pv.as_ref().map_or(0, |v| v.tty_nr),
        pv.as_ref().map_or(-1, |v| v.tpgid),
        t.flags(),
        0, // minflt
        0, // cminflt
        0, // majflt
        0, // cmajflt
        utime,
        stime,
        pv.as_ref().map_or(0, |v| v.cutime),
        pv.as_ref().map_or(0, |v| v.cstime),
        t.prio() - 100,
        t.nice(),
        pv.as_ref().map_or(1, |v| v.threads),
        nsec_to_clock_t(t.start_time),
        pv.as_ref().map_or(0, |v| v.vsize),
        pv.as_ref().map_or(0, |v| v.rss),
        u64::MAX, // rsslim
    );
    // startcode endcode startstack kstkesp kstkeip signal blocked sigignore
    // sigcatch wchan 0 0
    let (pnd, blk, ign, cgt) = pv.as_ref().map_or((0, 0, 0, 0), |v| {
        (v.sigpnd | v.shdpnd, v.blocked, v.ignored, v.caught)
    });
    let _ = write!(s, " 0 0 0 0 0 {pnd} {blk} {ign} {cgt}");
    let _ = write!(s, " {}", (t.state_char() != 'R') as u8);
    let _ = writeln!(s, " 0 0 17 {} 0 0 0 0 0 0 0 0 0 0 0 0 0", t.cpu());
    s
}

/// `proc_pid_status()`.
pub fn proc_pid_status(t: &Task) -> String {
    let k = crate::kernel();
    let n = k.nr_cpus();
    let kthread = t.flags() & PF_KTHREAD != 0;
    let pid = t.pid;
    let ppid = t.ppid.load(Ordering::Relaxed);
    let pv = proc_view(t);
    let p = t.process();
    let umask = p.map_or(0, |p| p.fs().umask());
    let mut s = String::new();
    let _ = writeln!(s, "Name:\t{}", t.comm());
    let _ = writeln!(s, "Umask:\t{umask:04o}");
    let _ = writeln!(s, "State:\t{}", t.state_name());
    let _ = writeln!(s, "Tgid:\t{}", t.tgid);
    let _ = writeln!(s, "Ngid:\t0");
    let _ = writeln!(s, "Pid:\t{pid}");
    let _ = writeln!(s, "PPid:\t{ppid}");
    let _ = writeln!(s, "TracerPid:\t0");
    let (uid, gid) = p.map_or((0, 0), |p| {
        let c = p.cred();
        (c.uid, c.gid)
    });
    let _ = writeln!(s, "Uid:\t{uid}\t{uid}\t{uid}\t{uid}");
    let _ = writeln!(s, "Gid:\t{gid}\t{gid}\t{gid}\t{gid}");
    let _ = writeln!(s, "FDSize:\t{}", p.map_or(0, |p| p.files().max_fds()));
    let _ = writeln!(s, "Groups:\t ");
    let _ = writeln!(s, "NStgid:\t{}", t.tgid);
    let _ = writeln!(s, "NSpid:\t{pid}");
    let _ = writeln!(s, "NSpgid:\t{}", pv.as_ref().map_or(0, |v| v.pgrp));
    let _ = writeln!(s, "NSsid:\t{}", pv.as_ref().map_or(0, |v| v.session));
    let _ = writeln!(s, "Kthread:\t{}", kthread as u8);
    if let Some(mm) = p.and_then(|p| p.mm()) {
        s.push_str(&mm.proc_status());
    }
    let _ = writeln!(s, "Threads:\t{}", pv.as_ref().map_or(1, |v| v.threads));
    let _ = writeln!(s, "SigQ:\t0/63448");
    let _ = writeln!(s, "SigPnd:\t{:016x}", pv.as_ref().map_or(0, |v| v.sigpnd));
    let _ = writeln!(s, "ShdPnd:\t{:016x}", pv.as_ref().map_or(0, |v| v.shdpnd));
    let _ = writeln!(s, "SigBlk:\t{:016x}", pv.as_ref().map_or(0, |v| v.blocked));
    let _ = writeln!(
        s,
        "SigIgn:\t{:016x}",
        pv.as_ref().map_or(u64::MAX, |v| v.ignored)
    );
    let _ = writeln!(s, "SigCgt:\t{:016x}", pv.as_ref().map_or(0, |v| v.caught));
    let _ = writeln!(s, "CapInh:\t0000000000000000");
    let _ = writeln!(s, "CapPrm:\t000001ffffffffff");
    let _ = writeln!(s, "CapEff:\t000001ffffffffff");
    let _ = writeln!(s, "CapBnd:\t000001ffffffffff");
    let _ = writeln!(s, "CapAmb:\t0000000000000000");
    let _ = writeln!(s, "NoNewPrivs:\t0");
    let _ = writeln!(s, "Seccomp:\t0");
    let _ = writeln!(s, "Seccomp_filters:\t0");
    let _ = writeln!(s, "Speculation_Store_Bypass:\tthread vulnerable");
    let _ = writeln!(s, "SpeculationIndirectBranch:\tconditional enabled");
    let _ = writeln!(s, "Cpus_allowed:\t{}", cpumask_hex(t.cpus_allowed(), n));
    let _ = writeln!(
        s,
        "Cpus_allowed_list:\t{}",
        cpumask_list(t.cpus_allowed(), n)
    );
    let _ = writeln!(s, "Mems_allowed:\t00000000,00000001");
    let _ = writeln!(s, "Mems_allowed_list:\t0");
    let _ = writeln!(
        s,
        "voluntary_ctxt_switches:\t{}",
        t.stats.nvcsw.load(Ordering::Relaxed)
    );
    let _ = writeln!(
        s,
        "nonvoluntary_ctxt_switches:\t{}",
        t.stats.nivcsw.load(Ordering::Relaxed)
    );
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpumask_formats() {
        assert_eq!(cpumask_list(0b1111, 4), "0-3");
        assert_eq!(cpumask_list(0b1011, 4), "0-1,3");
        assert_eq!(cpumask_list(0b0100, 4), "2");
        assert_eq!(cpumask_hex(u64::MAX, 4), "f");
        assert_eq!(cpumask_hex(0b10, 4), "2");
    }
}
