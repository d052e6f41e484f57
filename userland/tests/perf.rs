//! perf inside usk, end to end: `perf stat` counts a workload with a
//! known number of events exactly, `perf record -g` → `perf report` and
//! `perf script` round trips (call chains from the tracepoint's kernel
//! function out through the syscall entry into the applet).

use hw::ConsoleBackend;
use kernel::init::kernel::{BootConfig, ExitReason};
use kernel::kernel::printk::Console;
use std::sync::Mutex;

/// One boot at a time keeps the 2-core CI machine responsive.
static SERIAL: Mutex<()> = Mutex::new(());

struct Run {
    status: i32,
    output: String,
}

fn usk(script: &str) -> Run {
    let _g = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    userland::install();
    let console = hw::console::MemoryConsole::new();
    let mut files = userland::initramfs();
    files.push(("/tmp/t.sh".into(), 0o755, script.as_bytes().to_vec()));
    let cfg = BootConfig {
        cpus: 2,
        mem_bytes: 64 << 20,
        console: Console::Silent,
        tty_console: ConsoleBackend::Memory(console.clone()),
        initramfs: files,
        init_argv: Some(vec!["/sbin/init".into(), "/tmp/t.sh".into()]),
        ..Default::default()
    };
    let out = kernel::init::boot(cfg).expect("boot");
    assert_eq!(out.threads_leaked, 0);
    assert_eq!(
        out.user_pages_at_exit,
        Some(0),
        "user pages leaked\n{}",
        out.dmesg
    );
    for bad in ["BUG:", "Oops", "WARNING:", "kernel BUG"] {
        assert!(!out.dmesg.contains(bad), "{bad} in dmesg:\n{}", out.dmesg);
    }
    let status = match out.exit {
        ExitReason::PowerOff(c) => c,
        ExitReason::Panic(m) => panic!("kernel panic: {m}\n{}", out.dmesg),
    };
    Run {
        status,
        output: String::from_utf8_lossy(&console.output()).replace("\r\n", "\n"),
    }
}

#[test]
fn stat_counts_process_exits_exactly() {
    let r = usk("perf stat -e sched:sched_process_exit,sched:sched_process_fork -- sh -c '/bin/true; /bin/true; /bin/true; /bin/true' 2>&1\n");
    assert_eq!(r.status, 0, "{}", r.output);
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
