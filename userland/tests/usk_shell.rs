//! Shell scripts booted end to end on usk: the kernel boots, init runs
//! `sh SCRIPT`, the console is captured, the machine powers off with the
//! script's status. Outputs are checked against fixed expectations and,
//! where bash exists, against bash running the same script on the host.
//! Every boot must end with no user page left in use.

mod common;

use common::usk;

fn bash(script: &str) -> Option<(i32, String)> {
    let out = std::process::Command::new("/bin/bash")
        .arg("-c")
        .arg(script)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("LC_ALL", "C")
        .output()
        .ok()?;
    Some((
        out.status.code().unwrap_or(128),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    ))
}

#[test]
fn the_issue_examples() {
    let r = usk("echo hi | wc -c\nls /proc | head -3\ncat /proc/meminfo | head -3\nyes | head -5\nfalse; echo $?\n");
    assert_eq!(r.status, 0, "{}", r.output);
    let lines: Vec<&str> = r.output.lines().collect();
    assert_eq!(lines[0], "3");
    assert_eq!(lines[1], "1", "/proc starts with pid 1: {lines:?}");
    assert!(lines[4].starts_with("MemTotal:") && lines[5].starts_with("MemFree:"));
    assert!(lines[6].starts_with("MemAvailable:"));
    assert_eq!(&lines[7..12], ["y"; 5]);
    assert_eq!(lines[12], "1");
}

#[test]
fn exit_status_reaches_the_host() {
    assert_eq!(usk("exit 3").status, 3);
    assert_eq!(usk("nosuchcommand").status, 127);
    let r = usk("sleep 10 & kill %1; wait $!; echo $?");
    assert_eq!(r.output.trim_end(), "143", "{}", r.output);
}

/// Scripts using only usk's applets, compared with bash on the host
/// (stdout only: on usk, stderr goes to the same console, so these scripts
/// keep stderr quiet).
const SCRIPTS: &[&str] = &[
    "echo hi | wc -c",
    "x=1; y=\"a  b\"; echo $x $y \"$y\" '$y' \\$x",
    "for i in 1 2 3; do if [ $i = 2 ]; then echo two; else echo $i; fi; done",
    "i=0; while [ $i -lt 3 ]; do i=$((i + 1)); echo $((i * 10)); done",
    "false || echo or; true && echo and; ! false; echo $?",
    "(exit 7); echo $?; sh -c 'exit 300'; echo $?",
    "echo a > /tmp/f; echo b >> /tmp/f; cat < /tmp/f; wc -l /tmp/f; rm /tmp/f; cat /tmp/f 2>/dev/null || echo gone",
    "mkdir -p /tmp/d/e; echo x > /tmp/d/e/f; ls /tmp/d; ls /tmp/d/e; rm -r /tmp/d; ls /tmp/d 2>&1 >/dev/null | wc -l",
    "echo \"$(echo nested $(echo deep))\" ${U:-default}",
    "X=exported; export X; sh -c 'echo $X'; Y=local; sh -c 'echo ${Y:-unset}'",
    "yes abc | head -3; echo status=$?",
    "printf_missing 2>/dev/null; echo $?",
    "echo 1 2 3 | wc -w; echo hello | dd bs=1 count=3 2>/dev/null; echo",
    "seq_missing=$(true); echo \"[$seq_missing]\"",
    "sleep 0.1 & wait $!; echo bg=$?",
    "env -i A=1 env",
    "head -c 5 /dev/zero | wc -c; tail -n 1 /proc/self/status >/dev/null; echo ok",
];

#[test]
fn scripts_match_bash() {
    for script in SCRIPTS {
        let ours = usk(script);
        if let Some((status, out)) = bash(script) {
            assert_eq!(
                (ours.status, ours.output.as_str()),
                (status, out.as_str()),
                "script: {script}\ndmesg:\n{}",
                ours.dmesg
            );
        }
    }
}

#[test]
fn processes_show_in_proc() {
    let r = usk("sleep 5 & p=$!; cat /proc/$p/stat | head -c 40 >/dev/null; grep_missing 2>/dev/null; cat /proc/$p/status | head -3; cat /proc/self/maps | wc -l; kill $p; wait $p; echo $?");
    let lines: Vec<&str> = r.output.lines().collect();
    assert_eq!(lines[0], "Name:\tsleep", "{lines:?}");
    assert!(lines[2].starts_with("State:\tS"), "{lines:?}");
    assert!(lines[3].trim().parse::<u32>().unwrap() >= 2, "{lines:?}");
    assert_eq!(lines[4], "143");
}

#[test]
fn modules_through_the_syscalls() {
    let r = usk("insmod rcutorture torture_duration=1 stat_interval=1 && lsmod | grep -c rcutorture; \
         sleep 2; dmesg | grep -c 'End of test: SUCCESS'; rmmod rcutorture && echo removed; \
         rmmod rcutorture; insmod rcutorture torture_type=rcu_busted torture_duration=1 stat_interval=1; \
         sleep 2; dmesg | grep -c 'End of test: FAILURE'; modinfo -F license rcu_demo_fixed");
    let lines: Vec<&str> = r.output.lines().filter(|l| !l.starts_with('[')).collect();
    assert_eq!(
        lines,
        [
            "1",
            "1",
            "removed",
            "rmmod: ERROR: Module rcutorture is not currently loaded",
            "1",
            "GPL"
        ],
        "{}",
        r.output
    );
}

#[test]
fn memory_cgroup_limits_user_pages() {
    let r = usk(
        "cd /sys/fs/cgroup/memory && mkdir box && echo 1M > box/memory.limit_in_bytes && \
         echo $$ > box/cgroup.procs && grep -c . box/cgroup.procs; \
         yes | head -c 3000000 | wc -c; cat box/memory.failcnt | grep -c '^[1-9]'; \
         echo $$ > cgroup.procs; cat box/memory.usage_in_bytes; rmdir box && echo removed",
    );
    let lines: Vec<&str> = r.output.lines().filter(|l| !l.starts_with('[')).collect();
    // grep and sh itself are in the group; head is killed, so wc counts 0.
    assert_eq!(lines, ["2", "0", "1", "0", "removed"], "{}", r.output);
    assert!(
        r.dmesg
            .contains("Memory cgroup out of memory: Killed process"),
        "{}",
        r.dmesg
    );
}
