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
    let (code, _, err) = usk(&["perf", "stat", "-e", "nosuch:event", "--", "sleep", "0"]);
    assert_eq!(code, 129);
    assert!(err.contains("event syntax error: 'nosuch:event'"));
}
