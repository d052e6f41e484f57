//! /proc files of the core, read on a booted kernel and parsed back — with
//! the `procfs-core` crate where it has a parser — then checked against the
//! kernel's own counters.

use kernel::kernel::sched::task::PF_KTHREAD;
use kernel::testing::{config, run};
use procfs_core::{ExplicitSystemInfo, FromRead, FromReadSI};

const SI: ExplicitSystemInfo = ExplicitSystemInfo {
    boot_time_secs: 0,
    ticks_per_second: 100,
    page_size: 4096,
    is_little_endian: true,
};

fn read(path: &str) -> String {
    kernel::kernel()
        .procfs
        .read(path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn stat_parses_with_procfs_core_and_matches_counters() {
    let (text, _) = run(config(3), || {
        kernel::kernel::time::msleep(30);
        read("stat")
    });
    let ks = procfs_core::KernelStats::from_read(text.as_bytes(), &SI)
        .expect("procfs-core parses /proc/stat");
    assert_eq!(ks.cpu_time.len(), 3);
    assert!(ks.ctxt > 0);
    // init, kthreadd, 3 ksoftirqd, 3 per-CPU + 1 unbound kworker.
    assert!(ks.processes >= 9, "kthreads forked: {}", ks.processes);
    // Idle CPUs accumulate idle time.
    assert!(ks.total.idle > 0, "{text}");
    assert!(text.lines().any(|l| l.starts_with("softirq ")));
    assert!(text.lines().any(|l| l.starts_with("intr ")));
}

#[test]
fn loadavg_uptime_and_cpuinfo() {
    let ((load, up, cpu), _) = run(config(2), || {
        (read("loadavg"), read("uptime"), read("cpuinfo"))
    });
    let la = procfs_core::LoadAverage::from_read(load.as_bytes()).expect("parses /proc/loadavg");
    assert!(la.max > 0 && la.cur >= 1, "{load}");
    let parts: Vec<&str> = up.split_whitespace().collect();
    assert_eq!(parts.len(), 2);
    for p in parts {
        let (a, b) = p.split_once('.').expect("seconds.centis");
        assert!(a.parse::<u64>().is_ok() && b.len() == 2);
    }
    let info = procfs_core::CpuInfo::from_read(cpu.as_bytes()).expect("parses /proc/cpuinfo");
    assert_eq!(info.num_cores(), 2);
}

#[test]
fn pid_stat_and_status_of_a_kthread() {
    let ((stat, status, comm, ppid_kthreadd), _) = run(config(2), || {
        let k = kernel::kernel();
        let pid = k
            .tasks()
            .into_iter()
            .find(|t| t.comm() == "ksoftirqd/1")
            .expect("ksoftirqd/1 exists")
            .pid;
        (
            read(&format!("{pid}/stat")),
            read(&format!("{pid}/status")),
            read(&format!("{pid}/comm")),
            read("2/stat"),
        )
    });
    let st =
        procfs_core::process::Stat::from_read(stat.as_bytes()).expect("parses /proc/<pid>/stat");
    assert_eq!(st.comm, "ksoftirqd/1");
    assert_eq!(st.ppid, 2);
    assert_eq!(st.processor, Some(1));
    assert!(st.flags & PF_KTHREAD != 0);
    assert_eq!(stat.split_whitespace().count(), 52);
    let s = procfs_core::process::Status::from_read(status.as_bytes()).expect("parses status");
    assert_eq!(s.name, "ksoftirqd/1");
    assert_eq!(s.ppid, 2);
    assert_eq!(s.cpus_allowed_list, Some(vec![(1, 1)]));
    assert_eq!(comm, "ksoftirqd/1\n");
    assert!(ppid_kthreadd.starts_with("2 (kthreadd) "));
}

#[test]
fn interrupts_and_softirqs_layout() {
    let ((ints, softs), _) = run(config(2), || {
        kernel::kernel::time::msleep(20);
        (read("interrupts"), read("softirqs"))
    });
    let mut lines = ints.lines();
    assert_eq!(
        lines.next().unwrap(),
        format!("{:11}CPU0       CPU1       ", "")
    );
    for tag in ["NMI:", "LOC:", "RES:", "CAL:", "ERR:", "MIS:"] {
        assert!(
            ints.lines().any(|l| l.trim_start().starts_with(tag)),
            "{tag} in\n{ints}"
        );
    }
    let loc: Vec<u64> = ints
        .lines()
        .find(|l| l.trim_start().starts_with("LOC:"))
        .unwrap()
        .split_whitespace()
        .skip(1)
        .take(2)
        .map(|v| v.parse().unwrap())
        .collect();
    assert!(loc.iter().sum::<u64>() > 0, "the tick ran: {ints}");
    let names: Vec<&str> = softs
        .lines()
        .skip(1)
        .map(|l| l.split(':').next().unwrap().trim())
        .collect();
    assert_eq!(
        names,
        [
            "HI", "TIMER", "NET_TX", "NET_RX", "BLOCK", "IRQ_POLL", "TASKLET", "SCHED", "HRTIMER",
            "RCU"
        ]
    );
    assert!(softs.lines().skip(1).all(|l| l.len() == 13 + 2 * 11));
}

#[test]
fn unknown_files_give_errno() {
    let (r, _) = run(config(1), || {
        let p = &kernel::kernel().procfs;
        (
            p.read("nope"),
            p.read("999999/stat"),
            p.read("sys"),
            p.write("stat", "x"),
        )
    });
    assert_eq!(r.0, Err(uapi::errno::ENOENT));
    assert_eq!(r.1, Err(uapi::errno::ENOENT));
    assert_eq!(r.2, Err(uapi::errno::EISDIR));
    assert_eq!(r.3, Err(uapi::errno::EACCES));
}
