//! `perf stat [-a] [-e ev[,ev…]] [-r N] [--] cmd`: counting events around a
//! command, printed in perf's layout (right-aligned counts, the event
//! name, rates for software events, `seconds time elapsed`, user and sys)
//! on standard error, as perf writes it, so the command's own output stays
//! alone on standard output.
//!
//! Invariant: a counter is enabled only after the command was forked and
//! before it is released, and disabled after it was reaped.

use super::{Child, EventSpec};
use super::{PERF_EVENT_IOC_DISABLE, PERF_EVENT_IOC_ENABLE};
use ulib::ueprintln;

struct Run {
    counts: Vec<u64>,
    elapsed_ns: u64,
    user_ticks: u64,
    sys_ticks: u64,
    status: i32,
}

fn is_clock(e: &EventSpec) -> bool {
    e.ty == super::PERF_TYPE_SOFTWARE && e.config <= 1
}

fn run_once(evs: &[EventSpec], all: bool, cmd: &[String]) -> Result<Run, String> {
    let child = Child::start(cmd)?;
    let fds = super::open_events(evs, all, &child, 0, 0, 0)?;
    let t0 = ulib::monotonic_ns();
    let tm0 = ulib::times().unwrap_or([0; 4]);
    fds.iter().flatten().for_each(|&fd| {
        let _ = ulib::ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
    });
    child.release();
    let status = child.wait();
    fds.iter().flatten().for_each(|&fd| {
        let _ = ulib::ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
    });
    let elapsed_ns = ulib::monotonic_ns().saturating_sub(t0);
    let tm1 = ulib::times().unwrap_or([0; 4]);
    let counts = fds
        .iter()
        .map(|v| {
            v.iter()
                .map(|&fd| {
                    let mut b = [0u8; 8];
                    let n = ulib::read(fd, &mut b).unwrap_or(0);
                    let _ = ulib::close(fd);
                    if n == 8 {
                        u64::from_le_bytes(b)
                    } else {
                        0
                    }
                })
                .sum()
        })
        .collect();
    Ok(Run {
        counts,
        elapsed_ns,
        user_ticks: tm1[2].saturating_sub(tm0[2]),
        sys_ticks: tm1[3].saturating_sub(tm0[3]),
        status,
    })
}

fn mean_and_spread(v: &[f64]) -> (f64, f64) {
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    if v.len() < 2 || mean == 0.0 {
        return (mean, 0.0);
    }
    let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    // perf prints the relative standard error of the mean
    (mean, 100.0 * (var / n).sqrt() / mean)
}

fn print(evs: &[EventSpec], all: bool, cmd: &[String], runs: &[Run]) {
    let what = if all {
        "system wide".to_string()
    } else {
        cmd.join(" ")
    };
    let reps = if runs.len() > 1 {
        format!(" ({} runs)", runs.len())
    } else {
        String::new()
    };
    ueprintln!();
    ueprintln!(" Performance counter stats for '{what}'{reps}:");
    ueprintln!();
    let secs: Vec<f64> = runs.iter().map(|r| r.elapsed_ns as f64 / 1e9).collect();
    let (elapsed, elapsed_spread) = mean_and_spread(&secs);
    let spread = |s: f64| {
        if runs.len() > 1 {
            format!("  ( +- {s:>5.2}% )")
        } else {
            String::new()
        }
    };
    for (i, e) in evs.iter().enumerate() {
        let (m, s) = mean_and_spread(&runs.iter().map(|r| r.counts[i] as f64).collect::<Vec<_>>());
        let n = &e.name;
        if is_clock(e) {
            let msec = m / 1e6;
            let cpus = if elapsed > 0.0 {
                msec / 1e3 / elapsed
            } else {
                0.0
            };
            ueprintln!(
                "{msec:>18.2} msec {n:<25}#{cpus:>9.3} CPUs utilized          {}",
                spread(s)
            );
        } else if e.ty == super::PERF_TYPE_SOFTWARE {
            let rate = if elapsed > 0.0 { m / elapsed } else { 0.0 };
            ueprintln!(
                "{:>18}      {n:<25}#{rate:>9.3} /sec                   {}",
                m.round() as u64,
                spread(s)
            );
        } else {
            ueprintln!("{:>18}      {n:<51}{}", m.round() as u64, spread(s));
        }
    }
    ueprintln!();
    if runs.len() > 1 {
        ueprintln!(
            "       {elapsed:.4} +- {:.4} seconds time elapsed  ( +- {elapsed_spread:>5.2}% )",
            elapsed * elapsed_spread / 100.0
        );
    } else {
        ueprintln!("{elapsed:>18.9} seconds time elapsed");
    }
    ueprintln!();
    if let Some(r) = runs.last() {
        ueprintln!("{:>18.9} seconds user", r.user_ticks as f64 / 100.0);
        ueprintln!("{:>18.9} seconds sys", r.sys_ticks as f64 / 100.0);
        ueprintln!();
    }
}

pub fn main(args: &[String]) -> i32 {
    let mut all = false;
    let mut names: Vec<String> = Vec::new();
    let mut repeat = 1u32;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "-a" | "--all-cpus" => all = true,
            "-e" | "--event" => {
                i += 1;
                let Some(v) = args.get(i) else {
                    ueprintln!("  Error: switch `e' requires a value");
                    return 129;
                };
                names.extend(v.split(',').filter(|s| !s.is_empty()).map(String::from));
            }
            "-r" | "--repeat" => {
                i += 1;
                match args.get(i).and_then(|v| v.parse::<u32>().ok()) {
                    Some(n) if n > 0 => repeat = n,
                    _ => {
                        ueprintln!("  Error: switch `r' expects a positive number");
                        return 129;
                    }
                }
            }
            "--" => {
                i += 1;
                break;
            }
            s if s.starts_with('-') => {
                ueprintln!("  Error: unknown switch `{}'", s.trim_start_matches('-'));
                return 129;
            }
            _ => break,
        }
        i += 1;
    }
    const DEFAULT: [&str; 4] = [
        "task-clock",
        "context-switches",
        "cpu-migrations",
        "page-faults",
    ];
    let (evs, cmd) = match super::events_and_command(args, i, &names, &DEFAULT, "perf stat") {
        Ok(v) => v,
        Err(code) => return code,
    };
    let mut runs = Vec::new();
    for _ in 0..repeat {
        match run_once(&evs, all, cmd) {
            Ok(r) => runs.push(r),
            Err(e) => {
                ueprintln!("{e}");
                return 1;
            }
        }
    }
    print(&evs, all, cmd, &runs);
    runs.last().map_or(0, |r| r.status)
}
