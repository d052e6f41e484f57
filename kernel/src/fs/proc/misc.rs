//! The system-wide /proc files of the core: cpuinfo, stat, uptime,
//! loadavg, softirqs, interrupts, version, cmdline — each in Linux's
//! layout — and their registration (`proc_root_init`).

use crate::fs::seq_file::SeqFile;
use crate::init::kernel::{kernel, Kernel};
use crate::kernel::softirq::{NR_SOFTIRQS, SOFTIRQ_NAMES};
use crate::kernel::time::{nsec_to_clock_t, NSEC_PER_SEC};
use std::fmt::{self, Write};
use std::sync::atomic::Ordering;

/// Per-CPU time split for /proc/stat, in ns:
/// (user, nice, system, idle, iowait, irq, softirq).
pub fn cpu_times(k: &Kernel, cpu: usize) -> [u64; 7] {
    let up = k.clock.now_ns();
    let idle = k.rqs.per_cpu(cpu).idle_ns.load(Ordering::Relaxed).min(up);
    let st = k.irq.cpu_stat.per_cpu(cpu);
    let irq = st.irq_time_ns.load(Ordering::Relaxed);
    let softirq = st.softirq_time_ns.load(Ordering::Relaxed);
    let user = k.cpu_state_of(cpu).user_ns.load(Ordering::Relaxed);
    let system = up.saturating_sub(idle + irq + softirq + user);
    [user, 0, system, idle, 0, irq, softirq]
}

fn show_stat(m: &mut SeqFile) -> fmt::Result {
    let k = kernel();
    let n = k.nr_cpus();
    let per: Vec<[u64; 7]> = (0..n).map(|c| cpu_times(&k, c)).collect();
    let mut sum = [0u64; 7];
    for t in &per {
        for i in 0..7 {
            sum[i] += t[i];
        }
    }
    let line = |m: &mut SeqFile, name: &str, t: &[u64; 7]| -> fmt::Result {
        write!(m, "{name}")?;
        for v in t {
            write!(m, " {}", nsec_to_clock_t(*v))?;
        }
        writeln!(m, " 0 0 0")
    };
    line(m, "cpu ", &sum)?;
    for (c, t) in per.iter().enumerate() {
        line(m, &format!("cpu{c}"), t)?;
    }
    let irqs: Vec<u64> = k.irq.descs.iter().map(|d| d.total()).collect();
    let arch: u64 = (0..n)
        .map(|c| {
            let s = k.irq.cpu_stat.per_cpu(c);
            s.local_timer.load(Ordering::Relaxed)
                + s.resched.load(Ordering::Relaxed)
                + k.call_queues.per_cpu(c).count.load(Ordering::Relaxed) as u64
        })
        .sum();
    write!(m, "intr {}", irqs.iter().sum::<u64>() + arch)?;
    for v in &irqs {
        write!(m, " {v}")?;
    }
    writeln!(m)?;
    writeln!(m, "ctxt {}", k.nr_context_switches.load(Ordering::Relaxed))?;
    writeln!(m, "btime {}", k.boot_time_secs)?;
    writeln!(m, "processes {}", k.nr_forks.load(Ordering::Relaxed))?;
    writeln!(
        m,
        "procs_running {}",
        crate::kernel::sched::core::nr_running(&k)
    )?;
    writeln!(
        m,
        "procs_blocked {}",
        crate::kernel::sched::core::nr_uninterruptible(&k)
    )?;
    let per_vec: Vec<u64> = (0..NR_SOFTIRQS)
        .map(|i| (0..n).map(|c| k.softirq.count(c, i)).sum())
        .collect();
    write!(m, "softirq {}", per_vec.iter().sum::<u64>())?;
    for v in per_vec {
        write!(m, " {v}")?;
    }
    writeln!(m)
}

fn show_softirqs(m: &mut SeqFile) -> fmt::Result {
    let k = kernel();
    m.puts("                    ");
    for c in 0..k.nr_cpus() {
        write!(m, "CPU{c:<8}")?;
    }
    m.write_char('\n')?;
    for (i, name) in SOFTIRQ_NAMES.iter().enumerate() {
        write!(m, "{name:>12}:")?;
        for c in 0..k.nr_cpus() {
            write!(m, " {:10}", k.softirq.count(c, i))?;
        }
        m.write_char('\n')?;
    }
    Ok(())
}

fn show_uptime(m: &mut SeqFile) -> fmt::Result {
    let k = kernel();
    let up = k.clock.now_ns();
    let idle: u64 = (0..k.nr_cpus())
        .map(|c| k.rqs.per_cpu(c).idle_ns.load(Ordering::Relaxed))
        .sum();
    writeln!(
        m,
        "{}.{:02} {}.{:02}",
        up / NSEC_PER_SEC,
        (up % NSEC_PER_SEC) / 10_000_000,
        idle / NSEC_PER_SEC,
        (idle % NSEC_PER_SEC) / 10_000_000
    )
}

fn show_loadavg(m: &mut SeqFile) -> fmt::Result {
    let k = kernel();
    let [a, b, c] = k.loadavg.formatted();
    writeln!(
        m,
        "{a} {b} {c} {}/{} {}",
        crate::kernel::sched::core::nr_running(&k),
        k.pids().len(),
        k.last_pid()
    )
}

fn show_version(m: &mut SeqFile) -> fmt::Result {
    writeln!(
        m,
        "Linux version {} (usk@usk) (rustc) #1 SMP PREEMPT_{}",
        crate::kernel::panic::UTS_RELEASE,
        if kernel().preempt_full {
            "DYNAMIC full"
        } else {
            "NONE"
        }
    )
}

fn show_cmdline(m: &mut SeqFile) -> fmt::Result {
    writeln!(m, "{}", kernel().cmdline.raw())
}

fn show_cpuinfo(m: &mut SeqFile) -> fmt::Result {
    let k = kernel();
    let n = k.nr_cpus();
    for c in 0..n {
        writeln!(m, "processor\t: {c}")?;
        writeln!(m, "vendor_id\t: UskVirtual")?;
        writeln!(m, "cpu family\t: 6")?;
        writeln!(m, "model\t\t: 0")?;
        writeln!(m, "model name\t: usk simulated CPU (host thread slot)")?;
        writeln!(m, "stepping\t: 0")?;
        writeln!(m, "cpu MHz\t\t: {}.000", k.cpu_mhz)?;
        writeln!(m, "cache size\t: 0 KB")?;
        writeln!(m, "physical id\t: 0")?;
        writeln!(m, "siblings\t: {n}")?;
        writeln!(m, "core id\t\t: {c}")?;
        writeln!(m, "cpu cores\t: {n}")?;
        writeln!(m, "apicid\t\t: {c}")?;
        writeln!(m, "initial apicid\t: {c}")?;
        writeln!(m, "fpu\t\t: yes")?;
        writeln!(m, "fpu_exception\t: yes")?;
        writeln!(m, "cpuid level\t: 0")?;
        writeln!(m, "wp\t\t: yes")?;
        writeln!(m, "flags\t\t: fpu tsc apic constant_tsc nonstop_tsc")?;
        writeln!(m, "bugs\t\t:")?;
        writeln!(m, "bogomips\t: {}.00", k.cpu_mhz * 2)?;
        writeln!(m, "clflush size\t: 64")?;
        writeln!(m, "cache_alignment\t: 64")?;
        writeln!(m, "address sizes\t: 46 bits physical, 48 bits virtual")?;
        writeln!(m, "power management:")?;
        writeln!(m)?;
    }
    Ok(())
}

/// `proc_root_init()` for the core's files.
pub(crate) fn proc_root_init(k: &Kernel) {
    let p = &k.procfs;
    let files: [(&str, crate::fs::seq_file::ShowFn); 7] = [
        ("stat", show_stat),
        ("softirqs", show_softirqs),
        ("uptime", show_uptime),
        ("loadavg", show_loadavg),
        ("version", show_version),
        ("cmdline", show_cmdline),
        ("cpuinfo", show_cpuinfo),
    ];
    for (name, show) in files {
        p.create_single(name, 0o444, show).expect("fresh procfs");
    }
    p.create_seq(
        "interrupts",
        0o444,
        &crate::kernel::irq::proc::INTERRUPTS_SEQ_OPS,
    )
    .expect("fresh procfs");
    p.mkdir("sys").expect("fresh procfs");
}
