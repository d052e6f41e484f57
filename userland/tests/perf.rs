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

#[test]
fn syscall_events_in_trace_pipe_perf_list_and_stat() {
    let r = usk("cd /sys/kernel/tracing\n\
echo 'syscalls:sys_enter_openat syscalls:sys_exit_openat syscalls:sys_enter_read syscalls:sys_exit_read' > set_event\n\
cat /etc/rc > /dev/null\n\
echo '' > set_event\n\
cat trace_pipe > /tmp/pipe\n\
cd /\n\
grep cat- /tmp/pipe\n\
echo ===\n\
perf list | grep 'syscalls:sys_e[a-z]*_openat '\n\
echo ===\n\
perf stat -e syscalls:sys_enter_getpid -- ubench getpid 1000 2>&1\n\
echo ===\n\
perf stat -e 'syscalls:*' -- true 2>&1\n\
echo ===\n\
perf record -e syscalls:sys_enter_openat,syscalls:sys_exit_openat -o /tmp/p.data -- cat /etc/rc >/dev/null 2>&1\n\
perf script -i /tmp/p.data\n");
    assert_eq!(r.status, 0, "{}\n{}", r.output, r.dmesg);
    let parts: Vec<&str> = r.output.split("===\n").collect();
    let (pipe, list, stat, glob, script) = (parts[0], parts[1], parts[2], parts[3], parts[4]);
    // cat opens /etc/rc (fd 3 after stdin/out/err), reads it to EOF
    let open = pipe
        .lines()
        .find(|l| l.contains(": sys_openat(dfd: "))
        .unwrap_or_else(|| panic!("{pipe}"));
    assert!(
        open.contains(", filename: ") && open.contains(", flags: ") && open.contains(", mode: "),
        "{open}"
    );
    assert!(pipe.contains(": sys_openat -> 0x3\n"), "{pipe}");
    assert!(pipe.contains(": sys_read(fd: 3, buf: "), "{pipe}");
    assert!(pipe.contains(": sys_read -> 0x0\n"), "{pipe}");
    assert_eq!(
        list.lines().map(str::trim).collect::<Vec<_>>(),
        [
            "syscalls:sys_enter_openat                          [Tracepoint event]",
            "syscalls:sys_exit_openat                           [Tracepoint event]"
        ],
        "{list}"
    );
    let count = |text: &str, ev: &str| -> u64 {
        let l = text
            .lines()
            .find(|l| l.split_whitespace().nth(1) == Some(ev))
            .unwrap_or_else(|| panic!("{ev} in\n{text}"));
        l.split_whitespace()
            .next()
            .unwrap()
            .replace(',', "")
            .parse()
            .unwrap()
    };
    // ubench's own getpid, then the 1000 it times
    assert_eq!(count(stat, "syscalls:sys_enter_getpid"), 1001, "{stat}");
    assert_eq!(count(glob, "syscalls:sys_enter_exit_group"), 1, "{glob}");
    assert_eq!(count(glob, "syscalls:sys_exit_exit_group"), 0, "{glob}");
    assert!(count(glob, "syscalls:sys_enter_execve") <= 1, "{glob}");
    // perf script renders syscall events with their print formats
    let lines: Vec<&str> = script.lines().collect();
    assert_eq!(lines.len(), 2, "{script}");
    let (_, enter) = lines[0]
        .split_once(": syscalls:sys_enter_openat: ")
        .expect(script);
    assert!(enter.starts_with("dfd: 0x"), "{script}");
    assert!(
        enter.ends_with(", flags: 0x00080000, mode: 0x00000000"),
        "{script}"
    );
    assert!(
        lines[1].ends_with(": syscalls:sys_exit_openat: 0x3"),
        "{script}"
    );
}

#[test]
fn stat_counts_kmalloc_of_make_and_getnames_of_cat() {
    let r = usk("cd /usr/src/hello\nperf stat -e kmem:kmalloc make 2>&1\n\
perf stat -e kmem:kmem_cache_alloc -- cat /etc/rc > /tmp/stat 2>&1\n\
grep kmem: /tmp/stat\n");
    assert_eq!(r.status, 0, "{}\n{}", r.output, r.dmesg);
    assert!(
        r.output.contains("Performance counter stats for 'make':\n"),
        "{}",
        r.output
    );
    let l = r
        .output
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some("kmem:kmalloc"))
        .unwrap_or_else(|| panic!("{}", r.output));
    let n: u64 = l
        .split_whitespace()
        .next()
        .unwrap()
        .replace(',', "")
        .parse()
        .unwrap();
    // at least one linux_binprm per exec: make runs three recipes, each a
    // shell that execs cc
    assert!(n >= 6, "{}", r.output);
    assert!(r.output.contains("seconds time elapsed"), "{}", r.output);
    // getname()'s names_cache objects: execve's path and cat's openat
    let l = r
        .output
        .lines()
        .find(|l| l.split_whitespace().nth(1) == Some("kmem:kmem_cache_alloc"))
        .unwrap_or_else(|| panic!("{}", r.output));
    assert!(l.trim_start().starts_with("2 "), "{}", r.output);
}
