//! `usk trace pagealloc`: Mel Gorman's page-allocator post-processing
//! (seed 004; Linux's Documentation/trace/postprocess/
//! trace-pagealloc-postprocess.pl) over a usk run.
//!
//! Mechanism: boot usk into user space with the six page-allocator
//! tracepoints on (`trace_event=kmem:mm_page_alloc,...`), run one shell
//! command line under init, and fold the ftrace text the kernel leaves at
//! power-off (`BootOutcome::trace`) per process (`comm-pid`), exactly as the
//! script does: events of mm_page_alloc, mm_page_alloc_zone_locked,
//! mm_page_free, mm_page_free_batched and mm_page_pcpu_drain; a run of
//! consecutive drains (refills) of one process is one "PCPU drain"
//! ("refill"); mm_page_alloc_extfrag is a fallback, "causing"
//! fragmentation when `fragmenting=1` (severe if `fallback_order <= 3`,
//! else moderate), "MigType changed" when `change_ownership=1`; any other
//! event is "Unknown". The table has the script's columns, rows sorted by
//! allocations (the script leaves them in hash order).
//!
//! Invariant: the page totals under the table (each event weighted by
//! `1 << order`, failed allocations left out) count what `/proc/vmstat`'s
//! `pgalloc_*` and `pgfree` count over the same stretch of time, because the
//! kernel bumps those counters next to the tracepoints (`prep_new_page` /
//! `__alloc_pages`, `free_pages_prepare`); a test checks it.

use kernel::init::kernel::ExitReason;
use std::collections::BTreeMap;
use std::process::ExitCode;

/// The events the script reads (and `usk trace pagealloc` enables).
pub const PAGEALLOC_EVENTS: [&str; 6] = [
    "kmem:mm_page_alloc",
    "kmem:mm_page_alloc_zone_locked",
    "kmem:mm_page_free",
    "kmem:mm_page_free_batched",
    "kmem:mm_page_pcpu_drain",
    "kmem:mm_page_alloc_extfrag",
];

/// One line of ftrace text: `<comm>-<pid> [cpu] [flags] secs.usecs: event: details`.
#[derive(Debug, PartialEq, Eq)]
pub struct TraceLine<'a> {
    /// `comm-pid` as printed (the script's process key).
    pub task: &'a str,
    pub cpu: u32,
    pub event: &'a str,
    pub details: &'a str,
}

/// Parse one line; `None` for comments, blank lines and anything else.
pub fn parse_line(l: &str) -> Option<TraceLine<'_>> {
    let open = l.find(" [")?;
    let task = l[..open].trim();
    let rest = &l[open + 2..];
    let close = rest.find(']')?;
    let cpu = rest[..close].parse().ok()?;
    // the timestamp ends at the first ": " (the flags column has no ':')
    let after = &rest[close + 1..];
    let colon = after.find(": ")?;
    let ts = after[..colon].split_whitespace().last()?;
    if ts.is_empty() || !ts.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let (event, details) = match after[colon + 2..].split_once(": ") {
        Some((e, d)) => (e, d),
        None => (after[colon + 2..].trim_end_matches(':'), ""),
    };
    if task.is_empty() || event.contains(' ') {
        return None;
    }
    Some(TraceLine {
        task,
        cpu,
        event,
        details,
    })
}

/// `key=value` from an event's details.
fn field<'a>(details: &'a str, key: &str) -> Option<&'a str> {
    details
        .split_whitespace()
        .find_map(|t| t.strip_prefix(key)?.strip_prefix('='))
}

fn field_num(details: &str, key: &str) -> Option<i64> {
    let v = field(details, key)?;
    match v.strip_prefix("0x") {
        Some(h) => i64::from_str_radix(h, 16).ok(),
        None => v.parse().ok(),
    }
}

/// One process's counts: the script's columns plus page totals.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub alloc: u64,
    pub alloc_zone_locked: u64,
    pub free: u64,
    pub free_batched: u64,
    pub pcpu_drain: u64,
    pub high_pcpu_drains: u64,
    pub high_pcpu_refills: u64,
    pub extfrag: u64,
    pub ext_frag_causing: u64,
    pub ext_frag_changed: u64,
    pub ext_frag_severe: u64,
    pub ext_frag_moderate: u64,
    pub unknown: u64,
    /// Pages handed out: `1 << order` per successful mm_page_alloc (pgalloc_*).
    pub pages_alloc: u64,
    /// mm_page_alloc events that failed (`page=0000000000000000`).
    pub alloc_failed: u64,
    /// Pages freed: `1 << order` per mm_page_free (pgfree).
    pub pages_freed: u64,
    state_drained: bool,
    state_refilled: bool,
}

impl Stats {
    fn add(&mut self, o: &Stats) {
        self.alloc += o.alloc;
        self.alloc_zone_locked += o.alloc_zone_locked;
        self.free += o.free;
        self.free_batched += o.free_batched;
        self.pcpu_drain += o.pcpu_drain;
        self.high_pcpu_drains += o.high_pcpu_drains;
        self.high_pcpu_refills += o.high_pcpu_refills;
        self.extfrag += o.extfrag;
        self.ext_frag_causing += o.ext_frag_causing;
        self.ext_frag_changed += o.ext_frag_changed;
        self.ext_frag_severe += o.ext_frag_severe;
        self.ext_frag_moderate += o.ext_frag_moderate;
        self.unknown += o.unknown;
        self.pages_alloc += o.pages_alloc;
        self.alloc_failed += o.alloc_failed;
        self.pages_freed += o.pages_freed;
    }

    /// The script's end-of-input step: an open run of drains or refills
    /// counts as one.
    fn finish(&mut self) {
        if std::mem::take(&mut self.state_drained) {
            self.high_pcpu_drains += 1;
        }
        if std::mem::take(&mut self.state_refilled) {
            self.high_pcpu_refills += 1;
        }
    }
}

/// The per-process table being built.
#[derive(Default)]
pub struct Report {
    per: BTreeMap<String, Stats>,
    /// mm_page_alloc_extfrag lines whose details did not parse.
    pub bad_extfrag: u64,
}

impl Report {
    /// Fold a whole ftrace text.
    pub fn from_trace(text: &str) -> Report {
        let mut r = Report::default();
        for l in text.lines().filter_map(parse_line) {
            r.add(&l);
        }
        r
    }

    /// Account one event to its process (`process_events` of the script).
    pub fn add(&mut self, l: &TraceLine<'_>) {
        let s = self.per.entry(l.task.to_string()).or_default();
        let order = || field_num(l.details, "order").map_or(1, |o| 1u64 << o.clamp(0, 63));
        match l.event {
            "mm_page_alloc" => {
                s.alloc += 1;
                if field(l.details, "page").is_some_and(|p| p.bytes().all(|b| b == b'0')) {
                    s.alloc_failed += 1;
                } else {
                    s.pages_alloc += order();
                }
            }
            "mm_page_free" => {
                s.free += 1;
                s.pages_freed += order();
            }
            "mm_page_free_batched" => s.free_batched += 1,
            "mm_page_pcpu_drain" => {
                s.pcpu_drain += 1;
                s.state_drained = true;
            }
            "mm_page_alloc_zone_locked" => {
                s.alloc_zone_locked += 1;
                s.state_refilled = true;
            }
            "mm_page_alloc_extfrag" => {
                let f = |k| field_num(l.details, k);
                match (f("fallback_order"), f("fragmenting"), f("change_ownership")) {
                    (Some(fallback_order), Some(fragmenting), Some(changed)) => {
                        s.extfrag += 1;
                        if fragmenting != 0 {
                            s.ext_frag_causing += 1;
                            if fallback_order <= 3 {
                                s.ext_frag_severe += 1;
                            } else {
                                s.ext_frag_moderate += 1;
                            }
                        }
                        if changed != 0 {
                            s.ext_frag_changed += 1;
                        }
                    }
                    _ => self.bad_extfrag += 1,
                }
            }
            _ => s.unknown += 1,
        }
        // a run of drains (refills) ends at this process's next other event
        if s.state_drained && l.event != "mm_page_pcpu_drain" {
            s.high_pcpu_drains += 1;
            s.state_drained = false;
        }
        if s.state_refilled && l.event != "mm_page_alloc_zone_locked" {
            s.high_pcpu_refills += 1;
            s.state_refilled = false;
        }
    }

    /// Rows (`comm-pid`, or `comm` with `ignore_pid`), finished, most
    /// allocations first.
    pub fn rows(&self, ignore_pid: bool) -> Vec<(String, Stats)> {
        let mut m: BTreeMap<String, Stats> = BTreeMap::new();
        for (k, v) in &self.per {
            let mut v = v.clone();
            v.finish();
            let key = if ignore_pid {
                // the script's `s/-([0-9])*$//`
                let name = k.trim_end_matches(|c: char| c.is_ascii_digit());
                let name = name.strip_suffix('-').unwrap_or(k);
                if name.is_empty() {
                    "NO_PROCESS_NAME".to_string()
                } else {
                    name.to_string()
                }
            } else {
                k.clone()
            };
            m.entry(key).or_default().add(&v);
        }
        let mut rows: Vec<(String, Stats)> = m.into_iter().collect();
        rows.sort_by(|a, b| b.1.alloc.cmp(&a.1.alloc).then_with(|| a.0.cmp(&b.0)));
        rows
    }

    /// Everything together.
    pub fn totals(&self) -> Stats {
        let mut t = Stats::default();
        for (_, s) in self.rows(false) {
            t.add(&s);
        }
        t
    }

    /// The script's table (`dump_stats`), then the page totals.
    pub fn render(&self, ignore_pid: bool) -> String {
        let rows = self.rows(ignore_pid);
        let w = self.per.keys().map(|k| k.len()).max().unwrap_or(0) + 2;
        let mut o = String::from("\n");
        let hdr = |c: [&str; 14]| {
            format!(
                "{:<w$} {:>8} {:>10}   {:>8} {:>8}   {:>8} {:>8} {:>8}   {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}\n",
                c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11], c[12], c[13]
            )
        };
        o += &hdr([
            "Process", "Pages", "Pages", "Pages", "Pages", "PCPU", "PCPU", "PCPU", "Fragment",
            "Fragment", "MigType", "Fragment", "Fragment", "Unknown",
        ]);
        o += &hdr([
            "details", "allocd", "allocd", "freed", "freed", "pages", "drains", "refills",
            "Fallback", "Causing", "Changed", "Severe", "Moderate", "",
        ]);
        o += &hdr([
            "",
            "",
            "under lock",
            "direct",
            "pagevec",
            "drain",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ]);
        for (name, s) in &rows {
            o += &format!(
                "{:<w$} {:>8} {:>10}   {:>8} {:>8}   {:>8} {:>8} {:>8}   {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}\n",
                name,
                s.alloc,
                s.alloc_zone_locked,
                s.free,
                s.free_batched,
                s.pcpu_drain,
                s.high_pcpu_drains,
                s.high_pcpu_refills,
                s.extfrag,
                s.ext_frag_causing,
                s.ext_frag_changed,
                s.ext_frag_severe,
                s.ext_frag_moderate,
                s.unknown
            );
        }
        let t = self.totals();
        o += &format!(
            "\nTotal: {} pages allocated in {} mm_page_alloc events ({} failed), {} pages freed in {} mm_page_free events ({} of them batched)\n",
            t.pages_alloc, t.alloc, t.alloc_failed, t.pages_freed, t.free, t.free_batched
        );
        if self.bad_extfrag > 0 {
            o += &format!(
                "WARNING: {} mm_page_alloc_extfrag lines did not parse\n",
                self.bad_extfrag
            );
        }
        o
    }
}

/// `usk trace pagealloc [OPTIONS] -- COMMAND...`
#[derive(clap::Args, Debug)]
pub struct PageallocArgs {
    #[command(flatten)]
    machine: super::MachineArgs,
    /// Aggregate processes of the same name (the script's --ignore-pid).
    #[arg(long)]
    ignore_pid: bool,
    /// Also write the raw ftrace text here.
    #[arg(long, value_name = "FILE")]
    save_trace: Option<std::path::PathBuf>,
    /// The shell command line to run.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
    cmd: Vec<String>,
}

/// The kernel command line for a traced run: the page-allocator events on,
/// and a per-CPU buffer big enough for a short workload.
pub fn traced_cmdline(extra_events: &[&str], extra: &str) -> String {
    let mut evs: Vec<&str> = PAGEALLOC_EVENTS.to_vec();
    evs.extend_from_slice(extra_events);
    let quiet = if extra.contains("loglevel=") {
        ""
    } else {
        "quiet "
    };
    let buf = if extra.contains("trace_buf_size=") {
        ""
    } else {
        "trace_buf_size=16M "
    };
    format!("{quiet}{buf}trace_event={} {extra}", evs.join(","))
}

pub fn main(a: PageallocArgs) -> ExitCode {
    let machine = crate::MachineArgs {
        cmdline: traced_cmdline(&[], &a.machine.cmdline),
        ..a.machine
    };
    let cfg = crate::user_config(machine, vec!["-c".into(), a.cmd.join(" ")], Vec::new());
    let out = match kernel::init::boot(cfg) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("usk: {e}");
            return ExitCode::from(2);
        }
    };
    if let Some(p) = &a.save_trace {
        if let Err(e) = std::fs::write(p, &out.trace) {
            eprintln!("usk: cannot write {}: {e}", p.display());
            return ExitCode::from(2);
        }
    }
    print!("{}", Report::from_trace(&out.trace).render(a.ignore_pid));
    match out.exit {
        ExitReason::PowerOff(code) => ExitCode::from(code.clamp(0, 255) as u8),
        ExitReason::Panic(msg) => {
            eprintln!("usk: kernel panic: {msg}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernel::init::kernel::BootConfig;

    const SAMPLE: &str = "# tracer: nop
#
              sh-10      [000] .....     1.000001: mm_page_alloc_zone_locked: page=ffffea0000000040 pfn=0x1 order=0 migratetype=0 percpu_refill=1
              sh-10      [000] .....     1.000002: mm_page_alloc_zone_locked: page=ffffea0000000080 pfn=0x2 order=0 migratetype=0 percpu_refill=1
              sh-10      [000] .....     1.000003: mm_page_alloc: page=ffffea0000000040 pfn=0x1 order=0 migratetype=0 gfp_flags=GFP_KERNEL
              sh-10      [000] .....     1.000004: mm_page_alloc: page=ffffea0000000100 pfn=0x4 order=2 migratetype=0 gfp_flags=GFP_KERNEL
              sh-10      [000] .....     1.000005: mm_page_alloc: page=0000000000000000 pfn=0x0 order=9 migratetype=0 gfp_flags=GFP_KERNEL
          init-1       [001] d....     1.000006: mm_page_pcpu_drain: page=ffffea0000000040 pfn=0x1 order=0 migratetype=0
          init-1       [001] d....     1.000007: mm_page_pcpu_drain: page=ffffea0000000080 pfn=0x2 order=0 migratetype=0
          init-1       [001] .....     1.000008: mm_page_free: page=ffffea0000000040 pfn=0x1 order=0
          init-1       [001] .....     1.000009: mm_page_free_batched: page=ffffea0000000040 pfn=0x1 order=0
          init-1       [001] .....     1.000010: mm_page_alloc_extfrag: page=ffffea00003f0000 pfn=0xfc00 alloc_order=0 fallback_order=2 pageblock_order=9 alloc_migratetype=0 fallback_migratetype=1 fragmenting=1 change_ownership=1
          init-1       [001] .....     1.000011: mm_page_alloc_extfrag: page=ffffea00003f0000 pfn=0xfc00 alloc_order=0 fallback_order=10 pageblock_order=9 alloc_migratetype=0 fallback_migratetype=1 fragmenting=0 change_ownership=0
          init-1       [001] .....     1.000012: mm_page_pcpu_drain: page=ffffea0000000040 pfn=0x1 order=0 migratetype=0
   kworker/0:1-5       [000] ..s..     1.000013: kmalloc: call_site=do_pipe2+0x2f1/0xba9 ptr=ffff88800fc21000 bytes_req=8 bytes_alloc=8 gfp_flags=GFP_KERNEL node=-1
              sh-11    [000] .....     1.000014: mm_page_free: page=ffffea0000000100 pfn=0x4 order=2
";

    #[test]
    fn parses_ftrace_lines_with_and_without_the_flags_column() {
        let l = parse_line(
            "   kworker/0:1-5       [003] d.h1.    12.345678: mm_page_free: page=ffffea0000000040 pfn=0x1 order=0",
        )
        .unwrap();
        assert_eq!(
            l,
            TraceLine {
                task: "kworker/0:1-5",
                cpu: 3,
                event: "mm_page_free",
                details: "page=ffffea0000000040 pfn=0x1 order=0"
            }
        );
        // the 2009 layout the script was written for
        let l = parse_line("bash-1234  [001]  2.5: mm_page_alloc: page=1 pfn=2 order=0").unwrap();
        assert_eq!((l.task, l.cpu, l.event), ("bash-1234", 1, "mm_page_alloc"));
        assert!(parse_line("# tracer: nop").is_none());
        assert!(parse_line("").is_none());
    }

    #[test]
    fn report_counts_like_the_script() {
        let r = Report::from_trace(SAMPLE);
        let rows = r.rows(false);
        let names: Vec<&str> = rows.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["sh-10", "init-1", "kworker/0:1-5", "sh-11"]);
        let sh = &rows[0].1;
        assert_eq!(
            (sh.alloc, sh.alloc_zone_locked, sh.high_pcpu_refills),
            (3, 2, 1)
        );
        assert_eq!((sh.pages_alloc, sh.alloc_failed), (1 + 4, 1));
        let init = &rows[1].1;
        assert_eq!((init.free, init.free_batched, init.pages_freed), (1, 1, 1));
        // two drains in a row, then one left open at the end: two drains
        assert_eq!((init.pcpu_drain, init.high_pcpu_drains), (3, 2));
        assert_eq!(
            (
                init.extfrag,
                init.ext_frag_causing,
                init.ext_frag_severe,
                init.ext_frag_moderate,
                init.ext_frag_changed
            ),
            (2, 1, 1, 0, 1)
        );
        assert_eq!(rows[2].1.unknown, 1);
        let t = r.totals();
        assert_eq!((t.pages_alloc, t.pages_freed), (5, 5));
        // --ignore-pid folds sh-10 and sh-11
        let agg = r.rows(true);
        let sh = agg.iter().find(|(n, _)| n == "sh").unwrap();
        assert_eq!((sh.1.alloc, sh.1.free), (3, 1));
        assert!(agg.iter().any(|(n, _)| n == "kworker/0:1"));
    }

    #[test]
    fn render_has_the_scripts_columns() {
        let out = Report::from_trace(SAMPLE).render(false);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "");
        assert!(lines[1].starts_with("Process  "), "{out}");
        assert!(lines[2].contains("allocd") && lines[3].contains("under lock"));
        // "%-Ns %8d %10d   %8d ..." with N = longest name + 2
        let w = "kworker/0:1-5".len() + 2;
        assert_eq!(
            lines[4],
            format!(
                "{:<w$} {:>8} {:>10}   {:>8} {:>8}   {:>8} {:>8} {:>8}   {:>8} {:>8} {:>8} {:>8} {:>8} {:>8}",
                "sh-10", 3, 2, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0
            )
        );
        assert!(out.contains("\nTotal: 5 pages allocated in 3 mm_page_alloc events (1 failed), 5 pages freed in 2 mm_page_free events (1 of them batched)\n"), "{out}");
    }

    /// `name value` lines of /proc/vmstat.
    fn vmstat(text: &str) -> BTreeMap<String, u64> {
        text.lines()
            .filter_map(|l| {
                let (k, v) = l.split_once(' ')?;
                Some((k.to_string(), v.trim().parse().ok()?))
            })
            .collect()
    }

    /// The report's page totals equal the /proc/vmstat deltas over the
    /// same stretch of a run. The stretch starts when the first `cat`
    /// enters its read of /proc/vmstat (the text is produced there, before
    /// anything that read allocates) and ends when the second one enters
    /// its read; `raw_syscalls` mark both points in the trace.
    #[test]
    fn page_totals_equal_vmstat_deltas() {
        userland::install();
        let console = hw::MemoryConsole::new();
        let cmd = "cat /proc/vmstat > /tmp/a; \
                   dd if=/dev/zero of=/tmp/f bs=4096 count=32 2>/dev/null; ls /proc > /dev/null; \
                   echo x | wc -c > /dev/null; rm /tmp/f; \
                   cat /proc/vmstat > /tmp/b; cat /tmp/a; echo ====; cat /tmp/b";
        let cfg = BootConfig {
            cpus: 1,
            mem_bytes: 64 << 20,
            cmdline: traced_cmdline(&["raw_syscalls:sys_enter", "raw_syscalls:sys_exit"], ""),
            tty_console: hw::ConsoleBackend::Memory(console.clone()),
            initramfs: userland::initramfs(),
            init_argv: Some(vec!["/sbin/init".into(), "-c".into(), cmd.into()]),
            ..Default::default()
        };
        let out = kernel::init::boot(cfg).expect("boot");
        assert!(
            matches!(out.exit, ExitReason::PowerOff(0)),
            "{:?}",
            out.exit
        );
        let text = String::from_utf8_lossy(&console.output()).replace("\r\n", "\n");
        let (a, b) = text.split_once("====\n").expect("both snapshots");
        let (a, b) = (vmstat(a), vmstat(b));
        let delta = |k: &str| b[k] - a[k];
        let pgalloc = delta("pgalloc_dma") + delta("pgalloc_normal") + delta("pgalloc_movable");
        // the two reads of /proc/vmstat: the first read(2) on the fd each
        // `cat` process opened first
        let lines: Vec<TraceLine> = out.trace.lines().filter_map(parse_line).collect();
        let mut marks = Vec::new();
        let mut cats: Vec<&str> = Vec::new();
        let mut fd: BTreeMap<&str, i64> = BTreeMap::new();
        for (i, l) in lines.iter().enumerate() {
            if !l.task.starts_with("cat-") {
                continue;
            }
            if !cats.contains(&l.task) {
                cats.push(l.task);
            }
            let nr: Option<i64> = l
                .details
                .strip_prefix("NR ")
                .and_then(|d| d.split_whitespace().next())
                .and_then(|n| n.parse().ok());
            match (l.event, nr) {
                ("sys_exit", Some(2 | 257)) if !fd.contains_key(l.task) => {
                    let ret: i64 = l.details.rsplit(' ').next().unwrap().parse().unwrap();
                    if ret >= 0 {
                        fd.insert(l.task, ret);
                    }
                }
                ("sys_enter", Some(0)) if cats.len() <= 2 && marks.len() < cats.len() => {
                    let a0 = l.details.split(['(', ',']).nth(1).unwrap();
                    if fd.get(l.task).map(|f| format!("{f:x}")) == Some(a0.to_string()) {
                        marks.push(i);
                    }
                }
                _ => {}
            }
        }
        assert_eq!(marks.len(), 2, "{}", out.trace);
        let mut r = Report::default();
        for l in &lines[marks[0] + 1..marks[1]] {
            if !l.event.starts_with("sys_") {
                r.add(l);
            }
        }
        let t = r.totals();
        assert!(
            t.alloc > 0 && t.free > 0 && t.free_batched > 0,
            "{}",
            r.render(false)
        );
        assert_eq!(t.pages_alloc, pgalloc, "pgalloc_*\n{}", r.render(false));
        assert_eq!(
            t.pages_freed,
            delta("pgfree"),
            "pgfree\n{}",
            r.render(false)
        );
    }
}
