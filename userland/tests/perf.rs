//! perf inside usk, end to end: `perf stat` counts a workload with a
//! known number of events exactly, `perf record -g` → `perf report` and
//! `perf script` round trips (call chains from the tracepoint's kernel
//! function out through the syscall entry into the applet).

mod common;

use common::usk;

#[test]
fn stat_counts_process_exits_exactly() {
    let r = usk("perf stat -e sched:sched_process_exit,sched:sched_process_fork -- sh -c '/bin/true; /bin/true; /bin/true; /bin/true' 2>&1\n");
    assert_eq!(r.status, 0, "{}\n{}", r.output, r.dmesg);
    let count = |ev: &str| -> u64 {
        let l = r
            .output
            .lines()
            .find(|l| l.contains(ev))
            .unwrap_or_else(|| panic!("{ev} in\n{}", r.output));
        l.split_whitespace().next().unwrap().parse().unwrap()
    };
    // four children forked by sh, each exits, and sh itself exits
    assert_eq!(count("sched:sched_process_fork"), 4, "{}", r.output);
    assert_eq!(count("sched:sched_process_exit"), 5, "{}", r.output);
    assert!(r.output.contains("seconds time elapsed"));
    assert!(r.output.contains("seconds user") && r.output.contains("seconds sys"));
}

#[test]
fn record_report_script_round_trip() {
    let r = usk("perf record -g -e kmem:mm_page_alloc -o /tmp/p.data -- ls /proc >/dev/null 2>/tmp/err || exit 9\n\
perf report --stdio -n -i /tmp/p.data\n\
echo ===\n\
perf script -i /tmp/p.data\n");
    assert_eq!(r.status, 0, "{}", r.output);
    let (report, script) = r.output.split_once("===\n").expect("both parts");
    assert!(report.contains("# Samples: "), "{report}");
    assert!(report.contains("of event 'kmem:mm_page_alloc'"), "{report}");
    assert!(
        report.contains("# Overhead       Samples  Command"),
        "{report}"
    );
    assert!(
        report.contains("[kernel.kallsyms]  [k] __alloc_pages"),
        "{report}"
    );
    // every chain starts at __alloc_pages; those of system calls continue
    // through the syscall entry into the applet
    let samples: Vec<&str> = script
        .split("\n\n")
        .filter(|s| !s.trim().is_empty())
        .collect();
    assert!(!samples.is_empty());
    for s in &samples {
        let mut lines = s.lines();
        let head = lines.next().unwrap();
        assert!(head.contains(": kmem:mm_page_alloc: pfn="), "{head}");
        let frames: Vec<&str> = lines.collect();
        assert!(
            frames[0].ends_with(" __alloc_pages ([kernel.kallsyms])"),
            "{s}"
        );
        assert!(frames.iter().all(|f| f.starts_with('\t')), "{s}");
    }
    assert!(
        samples
            .iter()
            .any(|s| s.contains(" entry_syscall_64 ([kernel.kallsyms])\n")
                && (s.contains(" execve (perf)") || s.contains(" execve_inner (perf)"))),
        "{script}"
    );
}
