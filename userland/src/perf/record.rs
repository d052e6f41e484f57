//! `perf record [-a] [-c N] [-g] -e ev [-o file] [--] cmd`: sampling events
//! around a command, written to `perf.data` (format in `data.rs`).
//!
//! The samples' addresses are symbolised at the end of the run against
//! `/proc/kallsyms` and the names stored with the data, so a report in a
//! later boot (another host process, other addresses) still reads them.
//!
//! Invariant: every record read from the kernel is stored unchanged.

use super::data::{self, EventDesc, PerfData};
use super::Child;
use super::{ATTR_COMM, PERF_EVENT_IOC_DISABLE, PERF_EVENT_IOC_ENABLE};
use std::collections::{BTreeSet, HashMap};
use ulib::uapi::fcntl::{O_CREAT, O_TRUNC, O_WRONLY};
use ulib::ueprintln;

/// `/proc/kallsyms`, sorted by address.
pub(crate) fn kallsyms() -> Vec<(u64, String)> {
    let Ok(b) = ulib::read_file("/proc/kallsyms") else {
        return Vec::new();
    };
    let mut v: Vec<(u64, String)> = String::from_utf8_lossy(&b)
        .lines()
        .filter_map(|l| {
            let mut f = l.splitn(3, ' ');
            let a = u64::from_str_radix(f.next()?, 16).ok()?;
            f.next()?;
            Some((a, f.next()?.to_string()))
        })
        .collect();
    v.sort();
    v
}

/// `name+0xoff` of the symbol at or below `a`.
pub(crate) fn symbolise(table: &[(u64, String)], a: u64) -> Option<String> {
    let i = table.partition_point(|(s, _)| *s <= a).checked_sub(1)?;
    Some(format!("{}+{:#x}", table[i].1, a - table[i].0))
}

fn drain(fd: i32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 256 * 1024];
    while let Ok(n) = ulib::read(fd, &mut buf) {
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    out
}

pub fn main(args: &[String]) -> i32 {
    let mut all = false;
    let mut period = 1u64;
    let mut callgraph = false;
    let mut names = Vec::new();
    let mut output = "perf.data".to_string();
    let mut i = 0;
    while i < args.len() {
        let a = args[i].as_str();
        let mut value = |what: &str| -> Option<String> {
            i += 1;
            let v = args.get(i).cloned();
            if v.is_none() {
                ueprintln!("  Error: switch `{what}' requires a value");
            }
            v
        };
        match a {
            "-a" | "--all-cpus" => all = true,
            "-g" => callgraph = true,
            "-c" | "--count" => match value("c").and_then(|v| v.parse::<u64>().ok()) {
                Some(n) if n > 0 && n < 1 << 63 => period = n,
                _ => {
                    ueprintln!("  Error: switch `c' expects a positive number");
                    return 129;
                }
            },
            "-e" | "--event" => match value("e") {
                Some(v) => names.extend(v.split(',').filter(|s| !s.is_empty()).map(String::from)),
                None => return 129,
            },
            "-o" | "--output" => match value("o") {
                Some(v) => output = v,
                None => return 129,
            },
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
    let (evs, cmd) =
        match super::events_and_command(args, i, &names, &["context-switches"], "perf record") {
            Ok(v) => v,
            Err(code) => return code,
        };
    let sample_type = data::PERF_SAMPLE_IP
        | data::PERF_SAMPLE_TID
        | data::PERF_SAMPLE_TIME
        | data::PERF_SAMPLE_CPU
        | data::PERF_SAMPLE_PERIOD
        | if callgraph {
            data::PERF_SAMPLE_CALLCHAIN
        } else {
            0
        }
        | if evs.iter().any(|e| e.ty == super::PERF_TYPE_TRACEPOINT) {
            data::PERF_SAMPLE_RAW
        } else {
            0
        };
    let child = match Child::start(cmd) {
        Ok(c) => c,
        Err(e) => {
            ueprintln!("perf: {e}");
            return 1;
        }
    };
    let fds: Vec<(u32, i32)> =
        match super::open_events(&evs, all, &child, period, sample_type, ATTR_COMM) {
            Ok(per_event) => per_event
                .into_iter()
                .enumerate()
                .flat_map(|(idx, v)| v.into_iter().map(move |fd| (idx as u32, fd)))
                .collect(),
            Err(e) => {
                ueprintln!("{e}");
                return 1;
            }
        };
    for &(_, fd) in &fds {
        let _ = ulib::ioctl(fd, PERF_EVENT_IOC_ENABLE, 0);
    }
    child.release();
    let status = child.wait();
    let mut d = PerfData::default();
    for &(idx, fd) in &fds {
        let _ = ulib::ioctl(fd, PERF_EVENT_IOC_DISABLE, 0);
        d.streams.push((idx, drain(fd)));
        let _ = ulib::close(fd);
    }
    for e in &evs {
        let format = match e.name.split_once(':') {
            Some((sys, ev)) if e.ty == super::PERF_TYPE_TRACEPOINT => {
                ulib::read_file(&format!("/sys/kernel/tracing/events/{sys}/{ev}/format"))
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default()
            }
            _ => String::new(),
        };
        d.events.push(EventDesc {
            ty: e.ty,
            config: e.config,
            sample_type,
            period,
            name: e.name.clone(),
            format,
        });
    }
    let (samples, _) = match data::samples(&d) {
        Ok(s) => s,
        Err(e) => {
            ueprintln!("perf: {e}");
            return 1;
        }
    };
    let addrs: BTreeSet<u64> = samples
        .iter()
        .flat_map(|s| data::frames(s).into_iter().map(|f| f.0))
        .collect();
    if !addrs.is_empty() {
        let table = kallsyms();
        let syms: HashMap<u64, String> = addrs
            .into_iter()
            .filter_map(|a| symbolise(&table, a).map(|n| (a, n)))
            .collect();
        d.syms = syms;
    }
    let bytes = d.to_bytes();
    let fd = match ulib::open(&output, O_WRONLY | O_CREAT | O_TRUNC, 0o600) {
        Ok(fd) => fd,
        Err(e) => {
            ueprintln!("failed to open {output}: {e}");
            return 1;
        }
    };
    let w = ulib::write_all(fd, &bytes);
    let _ = ulib::close(fd);
    if let Err(e) = w {
        ueprintln!("failed to write {output}: {e}");
        return 1;
    }
    ueprintln!("[ perf record: Woken up 1 times to write data ]");
    ueprintln!(
        "[ perf record: Captured and wrote {:.3} MB {output} ({} samples) ]",
        bytes.len() as f64 / (1024.0 * 1024.0),
        samples.len()
    );
    status
}
