//! `usk perf`: perf's `list` and `stat`, run against a freshly booted
//! kernel's counting perf events (kernel/src/events).
//!
//! Until user space exists the measured command is one of init's built-in
//! commands (`sleep`, `insmod`, `rmmod`, `cat`, …); once it does, the same
//! counters serve the `perf` applet. Output follows perf's layout.

use kernel::events::{parse_event, EventType, PerfEvent, Scope, SwEvent, SW_EVENT_NAMES};
use kernel::init::kernel::{BootConfig, ExitReason};
use kernel::kernel::printk::Console;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

#[derive(clap::Subcommand, Debug)]
pub enum PerfCmd {
    /// List the events perf can count.
    List,
    /// Count events while a command runs: `usk perf stat [-a] [-e ev,...] [-r N] -- sleep 1`.
    Stat(StatArgs),
    /// Record call chains of a shell command inside usk and draw a flame
    /// graph: `usk perf flamegraph -o out.svg [-e ev] -- ls /proc`.
    Flamegraph(crate::flamegraph::FlamegraphArgs),
}

#[derive(clap::Args, Debug)]
pub struct StatArgs {
    /// System-wide collection from all CPUs.
    #[arg(short = 'a', long = "all-cpus")]
    all: bool,
    /// Event selector(s), comma-separated or repeated.
    #[arg(short = 'e', long = "event", value_delimiter = ',')]
    events: Vec<String>,
    /// Repeat the command and print averages and their spread.
    #[arg(short = 'r', long = "repeat", default_value_t = 1)]
    repeat: u32,
    /// CPUs of the kernel booted for the measurement.
    #[arg(long, default_value_t = 2)]
    cpus: usize,
    /// Extra kernel command line.
    #[arg(long, default_value = "")]
    cmdline: String,
    /// The command (an init built-in until user space exists).
    #[arg(trailing_var_arg = true, required = true)]
    cmd: Vec<String>,
}

pub fn main(cmd: PerfCmd) -> ExitCode {
    match cmd {
        PerfCmd::List => list(),
        PerfCmd::Stat(a) => stat(a),
        PerfCmd::Flamegraph(a) => crate::flamegraph::main(a),
    }
}

fn list() -> ExitCode {
    println!();
    println!("List of pre-defined events (to be used in -e or -M):");
    println!();
    for n in SW_EVENT_NAMES {
        println!("  {n:<50} [Software event]");
    }
    println!();
    for e in kernel::trace::events::ALL {
        println!(
            "  {:<50} [Tracepoint event]",
            format!("{}:{}", e.system, e.name)
        );
    }
    println!();
    ExitCode::SUCCESS
}

struct Run {
    counts: Vec<u64>,
    elapsed_ns: u64,
    status: i32,
}

fn stat(a: StatArgs) -> ExitCode {
    let names: Vec<String> = if a.events.is_empty() {
        [
            "task-clock",
            "context-switches",
            "cpu-migrations",
            "page-faults",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect()
    } else {
        a.events.clone()
    };
    // perf checks the event syntax before running anything.
    for n in &names {
        if parse_event(n).is_err() {
            eprintln!("event syntax error: '{n}'\n                     \\___ unknown tracepoint\nRun 'perf list' for a list of valid events");
            return ExitCode::from(129);
        }
    }
    if a.cpus == 0 || a.cpus > kernel::init::kernel::NR_CPUS || a.repeat == 0 {
        eprintln!("usk perf: --cpus must be 1..=64 and -r at least 1");
        return ExitCode::from(2);
    }
    let line = a.cmd.join(" ");
    let mut runs = Vec::new();
    for _ in 0..a.repeat {
        let slot: Arc<Mutex<Option<Run>>> = Arc::new(Mutex::new(None));
        let s2 = Arc::clone(&slot);
        let (names2, line2, all) = (names.clone(), line.clone(), a.all);
        let cfg = BootConfig {
            cpus: a.cpus,
            mem_bytes: 128 << 20,
            console: Console::Silent,
            cmdline: format!("selftests=off {}", a.cmdline),
            init: Some(Box::new(move || {
                let k = kernel::kernel();
                let scope = if all {
                    Scope::AllCpus
                } else {
                    Scope::Task(kernel::current().pid)
                };
                let evs: Vec<Arc<PerfEvent>> = names2
                    .iter()
                    .map(|n| {
                        PerfEvent::create(parse_event(n).expect("checked"), scope)
                            .expect("valid scope")
                    })
                    .collect();
                let t0 = k.clock.now_ns();
                evs.iter().for_each(|e| e.enable());
                let status = kernel::init::builtin::run_command(&k, &line2);
                evs.iter().for_each(|e| e.disable());
                let elapsed_ns = k.clock.now_ns() - t0;
                *s2.lock().expect("lock") = Some(Run {
                    counts: evs.iter().map(|e| e.read()).collect(),
                    elapsed_ns,
                    status,
                });
                0
            })),
            ..Default::default()
        };
        match kernel::init::boot(cfg) {
            Ok(out) => {
                if let ExitReason::Panic(m) = out.exit {
                    eprintln!("usk perf: kernel panic: {m}");
                    return ExitCode::from(1);
                }
            }
            Err(e) => {
                eprintln!("usk perf: {e}");
                return ExitCode::from(2);
            }
        }
        let run = slot.lock().expect("lock").take();
        match run {
            Some(r) => runs.push(r),
            None => return ExitCode::from(1),
        }
    }
    print_stat(&a, &names, &line, &runs);
    ExitCode::from(runs.last().map_or(0, |r| r.status.clamp(0, 255) as u8))
}

fn mean_and_spread(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    if v.len() < 2 || mean == 0.0 {
        return (mean, 0.0);
    }
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    // perf prints the relative standard error of the mean.
    (mean, 100.0 * (var / n).sqrt() / mean)
}

fn print_stat(a: &StatArgs, names: &[String], line: &str, runs: &[Run]) {
    let what = if a.all {
        "system wide".to_string()
    } else {
        line.to_string()
    };
    let reps = if runs.len() > 1 {
        format!(" ({} runs)", runs.len())
    } else {
        String::new()
    };
    println!();
    println!(" Performance counter stats for '{what}'{reps}:");
    println!();
    let (elapsed, elapsed_spread) = mean_and_spread(
        &runs
            .iter()
            .map(|r| r.elapsed_ns as f64 / 1e9)
            .collect::<Vec<_>>(),
    );
    let spread = |s: f64| {
        if runs.len() > 1 {
            format!("  ( +- {s:>5.2}% )")
        } else {
            String::new()
        }
    };
    for (i, n) in names.iter().enumerate() {
        let (m, s) = mean_and_spread(&runs.iter().map(|r| r.counts[i] as f64).collect::<Vec<_>>());
        match parse_event(n) {
            Ok(EventType::Software(SwEvent::TaskClock | SwEvent::CpuClock)) => {
                let msec = m / 1e6;
                let cpus = if elapsed > 0.0 {
                    msec / 1e3 / elapsed
                } else {
                    0.0
                };
                println!(
                    "{msec:>18.2} msec {n:<25}#{cpus:>9.3} CPUs utilized          {}",
                    spread(s)
                );
            }
            Ok(EventType::Software(_)) => {
                let rate = if elapsed > 0.0 { m / elapsed } else { 0.0 };
                println!(
                    "{:>18}      {n:<25}#{rate:>9.3} /sec                   {}",
                    m.round() as u64,
                    spread(s)
                );
            }
            _ => println!("{:>18}      {n:<51}{}", m.round() as u64, spread(s)),
        }
    }
    println!();
    if runs.len() > 1 {
        println!(
            "       {elapsed:.4} +- {:.4} seconds time elapsed  ( +- {elapsed_spread:>5.2}% )",
            elapsed * elapsed_spread / 100.0
        );
    } else {
        println!("{elapsed:>18.9} seconds time elapsed");
    }
    println!();
}
