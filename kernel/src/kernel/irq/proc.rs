//! `/proc/interrupts` (kernel/irq/proc.c `show_interrupts` plus x86's
//! `arch_show_interrupts`), as a `const` seq_operations table iterating over
//! interrupt numbers: a header with one `CPUn` column per online CPU, one
//! row per line that has actions or counts (`IO-APIC`, hwirq, `-edge`, the
//! action names), then NMI/LOC/RES/CAL rows and ERR/MIS totals.

use crate::fs::seq_file::{SeqFile, SeqOperations};
use crate::init::kernel::kernel;
use std::fmt::{self, Write};
use std::sync::atomic::Ordering;

fn int_seq_start(_m: &mut SeqFile, pos: u64) -> Option<usize> {
    let n = kernel().irq.nr_irqs();
    ((pos as usize) <= n).then_some(pos as usize)
}

fn int_seq_next(_m: &mut SeqFile, _v: usize, pos: &mut u64) -> Option<usize> {
    *pos += 1;
    let n = kernel().irq.nr_irqs();
    ((*pos as usize) <= n).then_some(*pos as usize)
}

fn int_seq_stop(_m: &mut SeqFile) {}

fn prec_for(nr_irqs: usize) -> usize {
    let mut prec = 3;
    let mut j = 1000;
    while prec < 10 && j <= nr_irqs {
        prec += 1;
        j *= 10;
    }
    prec
}

fn show_interrupts(m: &mut SeqFile, &i: &usize) -> fmt::Result {
    let k = kernel();
    let nr = k.irq.nr_irqs();
    let prec = prec_for(nr);
    let ncpu = k.nr_cpus();
    if i == nr {
        return arch_show_interrupts(m, prec);
    }
    if i == 0 {
        write!(m, "{:w$}", "", w = prec + 8)?;
        for c in 0..ncpu {
            write!(m, "CPU{c:<8}")?;
        }
        m.write_char('\n')?;
    }
    let desc = &k.irq.descs[i];
    let names = desc.action_names();
    if names.is_empty() && desc.total() == 0 {
        return Ok(());
    }
    write!(m, "{i:>prec$}: ")?;
    for c in 0..ncpu {
        write!(m, "{:10} ", desc.kstat_irqs[c].load(Ordering::Relaxed))?;
    }
    write!(m, " {:>8}", "IO-APIC")?;
    write!(m, " {i:>prec$}")?;
    write!(m, "-{:<8}", "edge")?;
    for (n, name) in names.iter().enumerate() {
        write!(m, "{}{name}", if n == 0 { "  " } else { ", " })?;
    }
    m.write_char('\n')
}

fn arch_show_interrupts(m: &mut SeqFile, prec: usize) -> fmt::Result {
    let k = kernel();
    let ncpu = k.nr_cpus();
    let row = |m: &mut SeqFile, name: &str, f: &dyn Fn(usize) -> u64, desc: &str| -> fmt::Result {
        write!(m, "{name:>prec$}: ")?;
        for c in 0..ncpu {
            write!(m, "{:10} ", f(c))?;
        }
        writeln!(m, "  {desc}")
    };
    let st = |c: usize| k.irq.cpu_stat.per_cpu(c);
    row(
        m,
        "NMI",
        &|c| st(c).nmi.load(Ordering::Relaxed),
        "Non-maskable interrupts",
    )?;
    row(
        m,
        "LOC",
        &|c| st(c).local_timer.load(Ordering::Relaxed),
        "Local timer interrupts",
    )?;
    row(
        m,
        "RES",
        &|c| st(c).resched.load(Ordering::Relaxed),
        "Rescheduling interrupts",
    )?;
    row(
        m,
        "CAL",
        &|c| k.call_queues.per_cpu(c).count.load(Ordering::Relaxed) as u64,
        "Function call interrupts",
    )?;
    writeln!(
        m,
        "{:>prec$}: {:10}",
        "ERR",
        k.irq.err_count.load(Ordering::Relaxed)
    )?;
    writeln!(m, "{:>prec$}: {:10}", "MIS", 0)
}

/// The table registered for `/proc/interrupts`; immutable by construction.
pub static INTERRUPTS_SEQ_OPS: SeqOperations<usize> = SeqOperations {
    start: int_seq_start,
    next: int_seq_next,
    stop: int_seq_stop,
    show: show_interrupts,
};
