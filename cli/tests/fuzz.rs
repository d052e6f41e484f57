//! `usk fuzz syscalls` end to end: a few thousand random system calls per
//! seed in one boot, then the shell checks; the run must be clean (exit 0,
//! no oops in the kernel log, free pages back to the exact baseline).
//!
//! Invariant: no timing assertions — the fuzzer's stall timeout only
//! decides when a stuck child is SIGKILLed, which is not a failure.

use std::process::Command;

fn fuzz(seed: u64, iterations: u64) {
    let out = Command::new(env!("CARGO_BIN_EXE_usk"))
        .args([
            "fuzz",
            "syscalls",
            "--iterations",
            &iterations.to_string(),
            "--seed",
            &seed.to_string(),
        ])
        .output()
        .expect("run usk");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let ctx = format!("seed {seed}\n--- stdout\n{stdout}\n--- stderr\n{stderr}");
    assert_eq!(out.status.code(), Some(0), "{ctx}");
    for marker in ["BUG:", "Oops", "WARNING:", "FAIL"] {
        assert!(
            !stdout.contains(marker) && !stderr.contains(marker),
            "{marker}: {ctx}"
        );
    }
    // The console tty turns "\n" into "\r\n" (ONLCR).
    let has = |line: &str| stdout.lines().any(|l| l.trim_end_matches('\r') == line);
    assert!(has("fuzz: clean"), "{ctx}");
    assert!(has("fuzz: shell ok"), "{ctx}");
    assert!(has("usk fuzz: clean"), "{ctx}");
    let calls = stdout
        .lines()
        .find_map(|l| l.strip_prefix(&format!("fuzz: seed {seed} — ")))
        .and_then(|l| l.split(' ').next())
        .and_then(|n| n.parse::<u64>().ok())
        .unwrap_or_else(|| panic!("no summary line: {ctx}"));
    assert!(calls >= iterations, "{ctx}");
    let pages = stdout
        .lines()
        .find_map(|l| l.strip_prefix("fuzz: free pages before "))
        .unwrap_or_else(|| panic!("no page line: {ctx}"));
    let (before, after) = pages
        .trim_end_matches('\r')
        .split_once(" after ")
        .expect("before/after");
    assert_eq!(before, after, "{ctx}");
}

#[test]
fn fuzz_syscalls_seed_1() {
    fuzz(1, 3000);
}

#[test]
fn fuzz_syscalls_seed_2() {
    fuzz(2, 3000);
}

#[test]
fn fuzz_syscalls_seed_3() {
    fuzz(3, 3000);
}

#[test]
fn fuzz_help_and_bad_arguments() {
    let out = Command::new(env!("CARGO_BIN_EXE_usk"))
        .args(["fuzz", "syscalls", "--help"])
        .output()
        .expect("run usk");
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("--iterations"));
    let out = Command::new(env!("CARGO_BIN_EXE_usk"))
        .args(["fuzz", "syscalls", "--iterations", "many"])
        .output()
        .expect("run usk");
    assert_eq!(out.status.code(), Some(2));
}
