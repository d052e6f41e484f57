//! Export of trace records as Chrome Trace Event JSON (`traceEvents`,
//! `ph`, `ts`, `pid`, `tid`), which Perfetto and chrome://tracing load.
//!
//! Each CPU is a thread (`tid` = CPU) of one process ("usk", pid 0):
//! `sched_switch` records become complete slices (`ph: "X"`) named after
//! the task that ran, hardirq handlers and softirqs become begin/end pairs
//! (`B`/`E`), and every other event an instant (`ph: "i"`) with its fields
//! as text.

use super::{events, Record};
use std::fmt::Write;

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(o, "\\u{:04x}", c as u32);
            }
            c => o.push(c),
        }
    }
    o
}

fn us(ns: u64) -> String {
    format!("{}.{:03}", ns / 1000, ns % 1000)
}

/// The JSON document for `records` (oldest first) from `nr_cpus` CPUs.
pub fn chrome_trace_json(records: &[Record], nr_cpus: usize) -> String {
    let mut ev: Vec<String> = Vec::new();
    for cpu in 0..nr_cpus {
        ev.push(format!(
            "{{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":0,\"tid\":{cpu},\"args\":{{\"name\":\"CPU {cpu}\"}}}}"
        ));
    }
    ev.push(
        "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":0,\"tid\":0,\"args\":{\"name\":\"usk\"}}"
            .into(),
    );
    // The task running on each CPU since (name, pid, start).
    let mut running: Vec<Option<(String, i32, u64)>> = vec![None; nr_cpus];
    let last_ts = records.last().map(|r| r.ts).unwrap_or(0);
    for r in records {
        let cpu = r.cpu as usize;
        let e = events::ALL[r.event as usize];
        let ts = us(r.ts);
        match e.name {
            "sched_switch" if cpu < nr_cpus => {
                let (pc, pp) = (r.str(8, 16), r.i32(24));
                let start = running[cpu].take().map(|(_, _, s)| s);
                if let Some(start) = start {
                    let name = if pp == 0 {
                        "idle".to_string()
                    } else {
                        format!("{pc} ({pp})")
                    };
                    ev.push(format!(
                        "{{\"name\":\"{}\",\"cat\":\"sched\",\"ph\":\"X\",\"ts\":{},\"dur\":{},\"pid\":0,\"tid\":{cpu},\"args\":{{\"pid\":{pp}}}}}",
                        esc(&name),
                        us(start),
                        us(r.ts - start)
                    ));
                }
                running[cpu] = Some((r.str(40, 16), r.i32(56), r.ts));
            }
            "irq_handler_entry" | "softirq_entry" | "irq_handler_exit" | "softirq_exit" => {
                let begin = e.name.ends_with("entry");
                let name = if e.name.starts_with("irq") {
                    format!("irq {}", r.i32(8))
                } else {
                    let v = r.u32(8) as usize;
                    format!(
                        "softirq {}",
                        crate::kernel::softirq::SOFTIRQ_NAMES
                            .get(v)
                            .copied()
                            .unwrap_or("?")
                    )
                };
                ev.push(format!(
                    "{{\"name\":\"{}\",\"cat\":\"{}\",\"ph\":\"{}\",\"ts\":{ts},\"pid\":0,\"tid\":{cpu}}}",
                    esc(&name),
                    e.system,
                    if begin { "B" } else { "E" }
                ));
            }
            _ => {
                ev.push(format!(
                    "{{\"name\":\"{}\",\"cat\":\"{}\",\"ph\":\"i\",\"s\":\"t\",\"ts\":{ts},\"pid\":0,\"tid\":{cpu},\"args\":{{\"fields\":\"{}\",\"comm\":\"{}\",\"task_pid\":{}}}}}",
                    e.name,
                    e.system,
                    esc(&(e.output)(r)),
                    esc(&r.comm()),
                    r.pid
                ));
            }
        }
    }
    // Close the slices still open at the end.
    for (cpu, run) in running.into_iter().enumerate() {
        if let Some((n, p, start)) = run {
            let name = if p == 0 {
                "idle".to_string()
            } else {
                format!("{n} ({p})")
            };
            ev.push(format!(
                "{{\"name\":\"{}\",\"cat\":\"sched\",\"ph\":\"X\",\"ts\":{},\"dur\":{},\"pid\":0,\"tid\":{cpu},\"args\":{{\"pid\":{p}}}}}",
                esc(&name),
                us(start),
                us(last_ts.saturating_sub(start))
            ));
        }
    }
    format!(
        "{{\"traceEvents\":[\n{}\n],\"displayTimeUnit\":\"ns\"}}\n",
        ev.join(",\n")
    )
}
