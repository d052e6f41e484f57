//! The `usk` binary as a user runs it: bad command lines, a boot, perf.

use std::process::Command;

fn usk(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_usk"))
        .args(args)
        .output()
        .expect("run usk");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn bad_command_lines_exit_2_with_one_line() {
    for args in [
        &["boot", "--cpus", "0"][..],
        &["boot", "--mem", "1"],
        &["boot", "--bogus"],
        &["boot", "--cpus", "many"],
    ] {
        let (code, out, err) = usk(args);
        assert_eq!(code, 2, "{args:?}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("usk: "), "{err}");
    }
}

#[test]
fn boot_prints_the_log_and_proc_views() {
    let (code, out, _) = usk(&[
        "boot",
        "--cpus",
        "2",
        "--mem",
        "64M",
        "--cmdline",
        "selftests=off",
    ]);
    assert_eq!(code, 0);
    assert!(out.contains("Linux version 6.8.0-usk"), "{out}");
    assert!(out.contains("# cat /proc/interrupts"));
    assert!(out.contains("LOC:"));
    assert!(out.contains("# ps"));
    assert!(out.contains("reboot: Power down"));
}

#[test]
fn perf_list_and_stat() {
    let (code, out, _) = usk(&["perf", "list"]);
    assert_eq!(code, 0);
    assert!(out
        .lines()
        .any(|l| l.trim_start().starts_with("kmem:kmalloc") && l.ends_with("[Tracepoint event]")));
    let (code, out, _) = usk(&[
        "perf",
        "stat",
        "-a",
        "-e",
        "sched:sched_switch,context-switches",
        "--",
        "sleep",
        "0.05",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains(" Performance counter stats for 'system wide':"),
        "{out}"
    );
    assert!(out.contains("seconds time elapsed"), "{out}");
    // perf runs inside usk: its messages come on usk's console.
    let (code, out, _) = usk(&["perf", "stat", "-e", "nosuch:event", "--", "sleep", "0"]);
    assert_eq!(code, 129);
    assert!(out.contains("event syntax error: 'nosuch:event'"), "{out}");
}

#[test]
fn syscall_exec_and_wait_events_fire_in_user_space() {
    let (code, out, err) = usk(&[
        "--cpus",
        "1",
        "--cmdline",
        "trace_event=raw_syscalls:*,sched:sched_process_exec,sched:sched_process_wait",
        "-c",
        "true; cat /sys/kernel/tracing/trace",
    ]);
    assert_eq!(code, 0, "{err}");
    // the shell waits for `true` with wait4(-1, ...): wo_pid is 0
    assert!(
        out.lines()
            .any(|l| l.contains(": sys_enter: NR 61 (ffffffffffffffff, ")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.contains(": sched_process_wait: comm=sh pid=0 prio=120")),
        "{out}"
    );
    let exec = out
        .lines()
        .find(|l| l.contains(": sched_process_exec: filename=/bin/true "))
        .unwrap_or_else(|| panic!("{out}"));
    let (task, _) = exec.trim_start().split_once(' ').unwrap();
    let pid = task.rsplit('-').next().unwrap();
    assert!(
        exec.ends_with(&format!("pid={pid} old_pid={pid}")),
        "{exec}"
    );
    // every sys_exit names its call and a return value
    assert!(out.lines().filter(|l| l.contains(": sys_exit: ")).all(|l| l
        .split(": sys_exit: NR ")
        .nth(1)
        .unwrap()
        .contains(" = ")));
}

#[test]
fn trace_pagealloc_reports_per_process() {
    let (code, out, err) = usk(&[
        "trace",
        "pagealloc",
        "--cpus",
        "1",
        "--",
        "ls /proc > /dev/null; echo hi",
    ]);
    assert_eq!(code, 0, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    let hdr = lines
        .iter()
        .position(|l| l.starts_with("Process "))
        .expect(&out);
    assert!(lines[hdr + 1].starts_with("details ") && lines[hdr + 2].contains("under lock"));
    let rows: Vec<&str> = lines[hdr + 3..]
        .iter()
        .take_while(|l| !l.is_empty())
        .copied()
        .collect();
    assert!(rows.iter().any(|r| r.starts_with("ls-")), "{out}");
    let allocs: Vec<u64> = rows
        .iter()
        .map(|r| r.split_whitespace().nth(1).unwrap().parse().unwrap())
        .collect();
    assert!(allocs.windows(2).all(|w| w[0] >= w[1]), "{out}");
    assert!(out.contains("\nTotal: "), "{out}");
}

#[test]
fn perf_flamegraph_writes_an_svg_of_recorded_chains() {
    let dir = std::env::temp_dir().join(format!("usk-flame-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (svg, folded) = (dir.join("f.svg"), dir.join("f.folded"));
    let (code, _, err) = usk(&[
        "perf",
        "flamegraph",
        "-o",
        svg.to_str().unwrap(),
        "--folded",
        folded.to_str().unwrap(),
        "--",
        "ls",
        "/proc",
    ]);
    assert_eq!(code, 0, "{err}");
    let f = std::fs::read_to_string(&folded).unwrap();
    // ls's own frames, then the page fault into the allocator.
    assert!(
        f.lines().any(|l| l.starts_with("ls;")
            && l.contains("do_user_addr_fault_[k]")
            && l.contains("__alloc_pages_[k]")),
        "{f}"
    );
    let s = std::fs::read_to_string(&svg).unwrap();
    assert!(s.starts_with("<?xml") && s.contains("__alloc_pages"));
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `usk --strace`: every call in strace's format on stderr — decoded
/// arguments where the call has a signature (open's mode only with
/// O_CREAT), raw ones in hex for the rest, errors by name, exits.
#[test]
fn strace_prints_calls_in_strace_format() {
    let (code, _, err) = usk(&[
        "--strace",
        "-c",
        "cat /nonexist; echo x > /tmp/f; dd if=/dev/zero of=/dev/null bs=1 count=1 2>/dev/null",
    ]);
    assert_eq!(code, 0, "{err}");
    for want in [
        "openat(AT_FDCWD, \"/nonexist\", O_RDONLY|O_CLOEXEC) = -1 ENOENT (No such file or directory)",
        "openat(AT_FDCWD, \"/tmp/f\", O_WRONLY|O_CREAT|O_TRUNC, 0666) = 3",
        "clock_gettime(0x1, 0x",
        "+++ exited with 1 +++",
        "exit_group(0) = ?",
    ] {
        assert!(err.contains(want), "missing {want:?} in:\n{err}");
    }
}
