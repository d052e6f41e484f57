//! `perf report --stdio` and `perf script` over usk's `perf.data`.
//!
//! report: perf's header, then one line per (command, shared object,
//! symbol) of the sampled address — `[k]` kernel, `[.]` user — sorted by
//! overhead; `--sort` picks and orders the keys (comm, dso, sym), `-n`
//! adds the sample counts, `--children` (with call chains) credits every
//! function on a chain once per sample next to its self overhead.
//!
//! script: perf's text, `comm tid [cpu] secs.usecs: event: fields` (the
//! fields of a tracepoint decoded from its format file as `name=value`),
//! and with call chains one `\t<addr> <sym> (<dso>)` line per frame and a
//! blank line after the sample — what stackcollapse-perf.pl and inferno's
//! collapse-perf read. Kernel frames' object is `[kernel.kallsyms]`, user
//! frames' the command (usk's applets have no separate ELF files).
//!
//! Invariant: a malformed perf.data is an error message, never a panic.

use super::data::{self, PerfData, Sample};
use std::collections::HashMap;
use ulib::{ueprintln, uprint, uprintln};

/// Read and decode a perf.data file: its header and its samples (with
/// the count of lost ones); on failure perf's message is printed and
/// `None` returned (the caller exits with status 1).
fn load(path: &str) -> Option<(PerfData, Vec<Sample>, u64)> {
    let decoded = ulib::read_file(path)
        .map_err(|e| {
            format!(
                "failed to open {path}: {}  (try 'perf record' first)",
                e.message()
            )
        })
        .and_then(|b| {
            let d = PerfData::parse(&b)?;
            let (samples, lost) = data::samples(&d)?;
            Ok((d, samples, lost))
        });
    decoded.map_err(|e| ueprintln!("{e}")).ok()
}

fn sym_name(d: &PerfData, a: u64) -> String {
    match d.syms.get(&a) {
        Some(s) => s
            .rsplit_once("+0x")
            .map_or(s.as_str(), |(n, _)| n)
            .to_string(),
        None => "[unknown]".to_string(),
    }
}

fn dso(s: &Sample, kernel: bool) -> String {
    if kernel {
        "[kernel.kallsyms]".into()
    } else {
        s.comm.clone()
    }
}

type Key = Vec<String>;

fn key_of(keys: &[String], s: &Sample, d: &PerfData, a: u64, kernel: bool) -> Key {
    keys.iter()
        .map(|k| match k.as_str() {
            "comm" => s.comm.clone(),
            "dso" => dso(s, kernel),
            _ => format!("[{}] {}", if kernel { 'k' } else { '.' }, sym_name(d, a)),
        })
        .collect()
}

pub fn report_main(args: &[String]) -> i32 {
    let mut input = "perf.data".to_string();
    let mut keys: Vec<String> = vec!["comm".into(), "dso".into(), "sym".into()];
    let mut show_n = false;
    let mut children = false;
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--stdio" | "-g" | "--no-children" => {}
            "-n" | "--show-nr-samples" => show_n = true,
            "--children" => children = true,
            "-i" | "--input" => {
                i += 1;
                match args.get(i) {
                    Some(v) => input = v.clone(),
                    None => {
                        ueprintln!("  Error: switch `i' requires a value");
                        return 129;
                    }
                }
            }
            "-s" | "--sort" => {
                i += 1;
                let Some(v) = args.get(i) else {
                    ueprintln!("  Error: switch `s' requires a value");
                    return 129;
                };
                keys = v.split(',').map(|s| s.trim().to_string()).collect();
                if let Some(bad) = keys
                    .iter()
                    .find(|k| !matches!(k.as_str(), "comm" | "dso" | "sym"))
                {
                    ueprintln!("Error:\nUnknown --sort key: `{bad}'");
                    return 129;
                }
            }
            s if s.starts_with("--sort=") => {
                let mut a = vec!["--sort".to_string(), s["--sort=".len()..].to_string()];
                a.extend_from_slice(&args[i + 1..]);
                a.splice(0..0, args[..i].iter().cloned());
                return report_main(&a);
            }
            s => {
                ueprintln!("  Error: unknown option `{}'", s.trim_start_matches('-'));
                return 129;
            }
        }
        i += 1;
    }
    let Some((d, samples, lost)) = load(&input) else {
        return 1;
    };
    let has_chains = samples.iter().any(|s| !s.chain.is_empty());
    let children = children && has_chains;
    uprintln!("# To display the perf.data header info, please use --header/--header-only options.");
    uprintln!("#");
    uprintln!("#");
    uprintln!("# Total Lost Samples: {lost}");
    uprintln!("#");
    for (ei, e) in d.events.iter().enumerate() {
        let ss: Vec<&Sample> = samples.iter().filter(|s| s.event == ei).collect();
        let total: u64 = ss.iter().map(|s| s.period.max(1)).sum();
        uprintln!("# Samples: {}  of event '{}'", ss.len(), e.name);
        uprintln!("# Event count (approx.): {total}");
        uprintln!("#");
        // key -> (self period, children period, samples)
        let mut rows: HashMap<Key, (u64, u64, u64)> = HashMap::new();
        for s in &ss {
            let fr = data::frames(s);
            let p = s.period.max(1);
            if let Some(&(a, k)) = fr.first() {
                let r = rows.entry(key_of(&keys, s, &d, a, k)).or_default();
                r.0 += p;
                r.2 += 1;
            }
            if children {
                let mut seen = std::collections::HashSet::new();
                for &(a, k) in &fr {
                    let key = key_of(&keys, s, &d, a, k);
                    if seen.insert(key.clone()) {
                        rows.entry(key).or_default().1 += p;
                    }
                }
            }
        }
        let mut rows: Vec<(Key, (u64, u64, u64))> = rows.into_iter().collect();
        rows.sort_by(|a, b| {
            let ka = if children { a.1 .1 } else { a.1 .0 };
            let kb = if children { b.1 .1 } else { b.1 .0 };
            kb.cmp(&ka).then_with(|| a.0.cmp(&b.0))
        });
        let titles: Vec<&str> = keys
            .iter()
            .map(|k| match k.as_str() {
                "comm" => "Command",
                "dso" => "Shared Object",
                _ => "Symbol",
            })
            .collect();
        let widths: Vec<usize> = (0..keys.len())
            .map(|c| {
                rows.iter()
                    .map(|r| r.0[c].len())
                    .chain([titles[c].len()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut head = String::from("#");
        let mut dots = String::from("#");
        if children {
            head.push_str(" Children      Self");
            dots.push_str(" ........  ........");
        } else {
            head.push_str(" Overhead");
            dots.push_str(" ........");
        }
        if show_n {
            head.push_str("       Samples");
            dots.push_str("  ............");
        }
        for (c, t) in titles.iter().enumerate() {
            let last = c + 1 == titles.len();
            head.push_str(&format!(
                "  {:<w$}",
                t,
                w = if last { 0 } else { widths[c] }
            ));
            dots.push_str(&format!("  {}", ".".repeat(widths[c])));
        }
        uprintln!("{}", head.trim_end());
        uprintln!("{dots}");
        uprintln!("#");
        uprintln!();
        let pct = |v: u64| {
            if total == 0 {
                0.0
            } else {
                100.0 * v as f64 / total as f64
            }
        };
        for (key, (selfp, childp, n)) in &rows {
            if children {
                uprint!("  {:>6.2}%  {:>6.2}%", pct(*childp), pct(*selfp));
            } else {
                uprint!("  {:>7.2}%", pct(*selfp));
            }
            if show_n {
                uprint!("  {n:>12}");
            }
            let mut line = String::new();
            for (c, v) in key.iter().enumerate() {
                line.push_str(&format!("  {:<w$}", v, w = widths[c]));
            }
            uprintln!("{}", line.trim_end());
        }
        uprintln!();
        uprintln!();
    }
    uprintln!("#");
    uprintln!("# (Tip: For a higher level overview, try: perf report --sort comm,dso)");
    uprintln!("#");
    0
}

/// One tracepoint field of a format file.
struct FieldDesc {
    name: String,
    offset: usize,
    size: usize,
    signed: bool,
    is_char: bool,
}

fn parse_format(f: &str) -> Vec<FieldDesc> {
    f.lines()
        .filter_map(|l| {
            let l = l.trim();
            let decl = l.strip_prefix("field:")?.split(';').next()?;
            let get = |k: &str| {
                l.split(';').find_map(|p| {
                    p.trim()
                        .strip_prefix(k)
                        .and_then(|v| v.parse::<usize>().ok())
                })
            };
            let name_part = decl.rsplit(' ').next()?;
            let is_char = decl.starts_with("char ");
            let name = name_part.split('[').next()?.to_string();
            if name.starts_with("common_") {
                return None;
            }
            Some(FieldDesc {
                name,
                offset: get("offset:")?,
                size: get("size:")?,
                signed: get("signed:")? == 1,
                is_char,
            })
        })
        .collect()
}

/// The fields of a sample as perf prints them: `name=value` pairs, or for
/// the `syscalls:` events their print formats (`dfd: 0x%08lx, ...` and
/// `0x%lx` of `ret`), which is what libtraceevent renders.
/// A numeric field's value (little-endian, at most 8 bytes; 0 if the
/// record is too short for it).
fn field_u64(f: &FieldDesc, raw: &[u8]) -> u64 {
    let mut x = [0u8; 8];
    if let Some(b) = raw.get(f.offset..f.offset + f.size.min(8)) {
        x[..b.len()].copy_from_slice(b);
    }
    u64::from_le_bytes(x)
}

fn fields_text(fs: &[FieldDesc], raw: &[u8]) -> String {
    if fs.first().is_some_and(|f| f.name == "__syscall_nr") {
        let word = |f: &FieldDesc| field_u64(f, raw);
        return match &fs[1..] {
            [ret] if ret.name == "ret" => format!("{:#x}", word(ret)),
            args => args
                .iter()
                .map(|f| format!("{}: 0x{:08x}", f.name, word(f)))
                .collect::<Vec<_>>()
                .join(", "),
        };
    }
    let mut out = Vec::new();
    for f in fs {
        let Some(b) = raw.get(f.offset..f.offset + f.size) else {
            continue;
        };
        let v = if f.is_char {
            let end = b.iter().position(|&c| c == 0).unwrap_or(b.len());
            String::from_utf8_lossy(&b[..end]).into_owned()
        } else {
            let u = field_u64(f, raw);
            let hex = f.name == "call_site" || f.name.ends_with("ptr") || f.name.ends_with("addr");
            match (hex, f.signed, f.size) {
                (true, _, _) => format!("{u:#x}"),
                (false, true, 4) => (u as u32 as i32).to_string(),
                (false, true, _) => (u as i64).to_string(),
                (false, false, _) => u.to_string(),
            }
        };
        out.push(format!("{}={v}", f.name));
    }
    out.join(" ")
}

pub fn script_main(args: &[String]) -> i32 {
    let mut input = "perf.data".to_string();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "-i" | "--input" => {
                i += 1;
                match args.get(i) {
                    Some(v) => input = v.clone(),
                    None => {
                        ueprintln!("  Error: switch `i' requires a value");
                        return 129;
                    }
                }
            }
            "-G" | "--hide-call-graph" => {}
            s => {
                ueprintln!("  Error: unknown option `{}'", s.trim_start_matches('-'));
                return 129;
            }
        }
        i += 1;
    }
    let Some((d, samples, _)) = load(&input) else {
        return 1;
    };
    let formats: Vec<Vec<FieldDesc>> = d.events.iter().map(|e| parse_format(&e.format)).collect();
    for s in &samples {
        let e = &d.events[s.event];
        uprintln!(
            "{:>16} {:>5} [{:03}] {:>5}.{:06}: {}: {}",
            s.comm,
            s.tid,
            s.cpu,
            s.time / 1_000_000_000,
            (s.time % 1_000_000_000) / 1000,
            e.name,
            fields_text(&formats[s.event], &s.raw)
        );
        if !s.chain.is_empty() {
            for (a, k) in data::frames(s) {
                uprintln!("\t{a:>16x} {} ({})", sym_name(&d, a), dso(s, k));
            }
            uprintln!();
        }
    }
    0
}
