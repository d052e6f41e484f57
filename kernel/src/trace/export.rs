//! Export of trace records as Chrome Trace Event JSON (`traceEvents`,
//! `ph`, `ts`, `pid`, `tid`), which Perfetto and chrome://tracing load.
//!
//! Each CPU is a thread (`tid` = CPU) of one process ("usk", pid 0):
//! `sched_switch` records become complete slices (`ph: "X"`) named after
//! the task that ran, hardirq handlers and softirqs become begin/end pairs
//! (`B`/`E`), and every other event an instant (`ph: "i"`) with its fields
//! as text.
//!
//! System calls live on per-task tracks of a second process ("usk tasks",
//! pid 1, `tid` = the task's pid): a `raw_syscalls:sys_enter` and the
//! task's next `sys_exit` of the same number become one complete slice
//! named after the call (`uapi::unistd::syscall_name`) with its arguments
//! and return value. A task's calls never overlap, so the slices nest
//! properly even when the task sleeps or migrates inside a call. A call
//! that never returns (exit_group, a successful execve) is an instant; one
//! still running at the end of the trace is closed there.

use super::{events, Record};
use std::collections::BTreeMap;
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
    // Per task: its comm, and the system call it is in (nr, args, start).
    let mut tasks: BTreeMap<i32, String> = BTreeMap::new();
    let mut in_syscall: BTreeMap<i32, (i64, [u64; 6], u64)> = BTreeMap::new();
    for r in records {
        let cpu = r.cpu as usize;
        let e = events::all()[r.event as usize];
        let ts = us(r.ts);
        if std::ptr::eq(e, &events::SYS_ENTER) || std::ptr::eq(e, &events::SYS_EXIT) {
            tasks.insert(r.pid, r.comm());
        }
        match e.name {
            "sys_enter" => {
                let args = std::array::from_fn(|i| r.u64(16 + 8 * i));
                if let Some(prev) = in_syscall.insert(r.pid, (r.i64(8), args, r.ts)) {
                    ev.push(syscall_instant(r.pid, prev));
                }
            }
            "sys_exit" => match in_syscall.remove(&r.pid) {
                Some((nr, args, start)) if nr == r.i64(8) => {
                    ev.push(syscall_slice(
                        r.pid,
                        nr,
                        &args,
                        start,
                        r.ts,
                        Some(r.i64(16)),
                    ));
                }
                // the entry was of another call that never returned
                Some(prev) => ev.push(syscall_instant(r.pid, prev)),
                // tracing started inside the call
                None => {}
            },
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
    for (pid, (nr, args, start)) in in_syscall {
        ev.push(syscall_slice(
            pid,
            nr,
            &args,
            start,
            last_ts.max(start),
            None,
        ));
    }
    if !tasks.is_empty() {
        ev.push(
            "{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":1,\"tid\":0,\"args\":{\"name\":\"usk tasks\"}}"
                .into(),
        );
    }
    for (pid, comm) in tasks {
        ev.push(format!(
            "{{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":1,\"tid\":{pid},\"args\":{{\"name\":\"{}-{pid}\"}}}}",
            esc(&comm)
        ));
    }
    format!(
        "{{\"traceEvents\":[\n{}\n],\"displayTimeUnit\":\"ns\"}}\n",
        ev.join(",\n")
    )
}

fn syscall_label(nr: i64) -> String {
    u64::try_from(nr)
        .ok()
        .and_then(uapi::unistd::syscall_name)
        .map_or_else(|| format!("syscall_{nr}"), str::to_string)
}

/// A returned call: a complete slice on the task's track.
fn syscall_slice(
    pid: i32,
    nr: i64,
    args: &[u64; 6],
    start: u64,
    end: u64,
    ret: Option<i64>,
) -> String {
    let ret = ret.map_or_else(|| "null".to_string(), |r| r.to_string());
    format!(
        "{{\"name\":\"{}\",\"cat\":\"raw_syscalls\",\"ph\":\"X\",\"ts\":{},\"dur\":{},\"pid\":1,\"tid\":{pid},\"args\":{{\"nr\":{nr},\"args\":\"{:x}, {:x}, {:x}, {:x}, {:x}, {:x}\",\"ret\":{ret}}}}}",
        esc(&syscall_label(nr)),
        us(start),
        us(end - start),
        args[0], args[1], args[2], args[3], args[4], args[5]
    )
}

/// A call that never returned (exit_group, execve): an instant.
fn syscall_instant(pid: i32, (nr, args, start): (i64, [u64; 6], u64)) -> String {
    format!(
        "{{\"name\":\"{}\",\"cat\":\"raw_syscalls\",\"ph\":\"i\",\"s\":\"t\",\"ts\":{},\"pid\":1,\"tid\":{pid},\"args\":{{\"nr\":{nr},\"args\":\"{:x}, {:x}, {:x}, {:x}, {:x}, {:x}\"}}}}",
        esc(&syscall_label(nr)),
        us(start),
        args[0], args[1], args[2], args[3], args[4], args[5]
    )
}
