//! The applets on the host backend: each runs in a forked child with pipes
//! for stdin/stdout/stderr (external commands of `sh` are the host's), and
//! the shell is compared with bash on the same scripts (differential test).

use std::sync::Mutex;
use ulib::uapi::fcntl::O_CLOEXEC;
use ulib::wait::*;

/// One applet run at a time: a forked child must not inherit another
/// test's pipe ends and hold them open.
static SERIAL: Mutex<()> = Mutex::new(());

struct Out {
    status: i32,
    stdout: String,
    stderr: String,
}

fn run(argv: &[&str], stdin: &str) -> Out {
    let _g = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let main = userland::APPLETS
        .iter()
        .find(|(n, _)| *n == argv[0])
        .map(|(_, m)| *m)
        .expect("applet");
    let argv: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
    let (in_r, in_w) = ulib::pipe2(O_CLOEXEC).unwrap();
    let (out_r, out_w) = ulib::pipe2(O_CLOEXEC).unwrap();
    let (err_r, err_w) = ulib::pipe2(O_CLOEXEC).unwrap();
    let pid = ulib::fork(move || {
        ulib::dup2(in_r, 0).unwrap();
        ulib::dup2(out_w, 1).unwrap();
        ulib::dup2(err_w, 2).unwrap();
        for fd in [in_r, in_w, out_r, out_w, err_r, err_w] {
            let _ = ulib::close(fd);
        }
        let _ = ulib::signal_default(ulib::uapi::signal::SIGPIPE);
        let envp = ["PATH=/usr/bin:/bin", "HOME=/root", "LC_ALL=C"].map(String::from);
        ulib::rt::run_main(main, &argv, &envp)
    })
    .unwrap();
    for fd in [in_r, out_w, err_w] {
        ulib::close(fd).unwrap();
    }
    let _ = ulib::write_all(in_w, stdin.as_bytes());
    ulib::close(in_w).unwrap();
    let stdout = ulib::read_to_end(out_r).unwrap();
    let stderr = ulib::read_to_end(err_r).unwrap();
    ulib::close(out_r).unwrap();
    ulib::close(err_r).unwrap();
    let (_, st) = ulib::wait4(pid, 0).unwrap();
    Out {
        status: if wifexited(st) {
            wexitstatus(st)
        } else {
            128 + wtermsig(st)
        },
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    }
}

fn ok(argv: &[&str], stdin: &str) -> String {
    let o = run(argv, stdin);
    assert_eq!(o.status, 0, "{argv:?}: stderr {}", o.stderr);
    o.stdout
}

fn tmpdir(tag: &str) -> String {
    format!("/tmp/usk-userland-{}-{tag}", std::process::id())
}

#[test]
fn echo_cat_wc_head_tail() {
    assert_eq!(ok(&["echo", "-n", "a", "b"], ""), "a b");
    assert_eq!(ok(&["echo", "-e", "x\\ty\\c", "z"], ""), "x\ty");
    assert_eq!(ok(&["echo", "-x"], ""), "-x\n");
    assert_eq!(ok(&["cat"], "abc\n"), "abc\n");
    assert_eq!(ok(&["cat", "-n", "-"], "a\nb\n"), "     1\ta\n     2\tb\n");
    let o = run(&["cat", "/nonexistent"], "");
    assert_eq!(
        (o.status, o.stderr.as_str()),
        (1, "cat: /nonexistent: No such file or directory\n")
    );
    assert_eq!(ok(&["wc", "-l"], "hello world\n"), "1\n");
    assert_eq!(ok(&["wc"], "hello world\n"), "      1       2      12\n");
    assert_eq!(ok(&["head", "-n", "2"], "1\n2\n3\n"), "1\n2\n");
    assert_eq!(ok(&["head", "-1"], "1\n2\n3\n"), "1\n");
    assert_eq!(ok(&["tail", "-n", "2"], "1\n2\n3\n"), "2\n3\n");
    assert_eq!(ok(&["tail", "-n", "+2"], "1\n2\n3\n"), "2\n3\n");
    assert_eq!(ok(&["head", "-c", "3"], "abcdef"), "abc");
    let o = run(&["wc", "-q"], "");
    assert_eq!(o.status, 1);
    assert!(o
        .stderr
        .starts_with("wc: invalid option -- 'q'\nTry 'wc --help'"));
}

#[test]
fn small_applets() {
    assert_eq!(run(&["true"], "").status, 0);
    assert_eq!(run(&["false"], "").status, 1);
    assert_eq!(run(&["sleep", "0.01"], "").status, 0);
    let o = run(&["sleep", "x"], "");
    assert_eq!(
        (o.status, o.stderr.lines().next()),
        (1, Some("sleep: invalid time interval 'x'"))
    );
    assert!(ok(&["kill", "-l"], "").starts_with("HUP INT QUIT ILL"));
    assert_eq!(ok(&["kill", "-l", "9"], ""), "KILL\n");
    assert_eq!(run(&["kill"], "").status, 2);
    assert_eq!(ok(&["uname", "-s"], ""), "Linux\n");
    assert!(ok(&["uname", "-a"], "").ends_with(" x86_64 GNU/Linux\n"));
    let id = ok(&["id"], "");
    assert!(id.starts_with("uid="), "{id}");
    if ulib::geteuid() == 0 {
        assert_eq!(id, "uid=0(root) gid=0(root) groups=0(root)\n");
    }
    assert_eq!(ok(&["env", "-i", "A=1", "B=2"], ""), "A=1\nB=2\n");
    assert_eq!(ok(&["env", "-i", "A=1", "/usr/bin/env"], ""), "A=1\n");
    assert_eq!(run(&["env", "-i", "nosuchcommand"], "").status, 127);
    assert!(ok(&["free"], "").starts_with(
        "               total        used        free      shared  buff/cache   available\nMem: "
    ));
    assert!(ok(&["free", "-m"], "").contains("\nSwap:"));
    assert!(ok(&["ps", "-e"], "").starts_with("    PID TTY          TIME CMD\n"));
    assert!(ok(&["mount"], "").contains(" on / type "));
    let d = run(&["dmesg"], "");
    assert!(
        d.status == 0 || d.stderr.starts_with("dmesg: "),
        "{}",
        d.stderr
    );
}

#[test]
fn files_mkdir_ls_rm_dd() {
    let t = tmpdir("files");
    assert_eq!(run(&["mkdir", &format!("{t}/a/b")], "").status, 1);
    ok(&["mkdir", "-p", &format!("{t}/a/b")], "");
    ok(&["dd", &format!("of={t}/a/f"), "status=none"], "0123456789");
    assert_eq!(ok(&["ls", &format!("{t}/a")], ""), "b\nf\n");
    assert_eq!(ok(&["ls", "-a", &format!("{t}/a")], ""), ".\n..\nb\nf\n");
    let long = ok(&["ls", "-l", &format!("{t}/a")], "");
    assert!(long.starts_with("total "), "{long}");
    assert!(long.lines().nth(1).unwrap().starts_with("drwx"), "{long}");
    assert!(long.lines().nth(2).unwrap().contains(" 10 "), "{long}");
    let o = run(&["dd", &format!("if={t}/a/f"), "bs=4", "count=2"], "");
    assert_eq!(o.stdout, "01234567");
    let mut err = o.stderr.lines();
    assert_eq!(err.next(), Some("2+0 records in"));
    assert_eq!(err.next(), Some("2+0 records out"));
    assert!(err.next().unwrap().starts_with("8 bytes copied, "));
    let o = run(&["dd", "if=/dev/zero", "bs=1k", "count=3"], "");
    assert_eq!(o.stdout.len(), 3072);
    assert!(
        o.stderr.contains("3072 bytes (3.1 kB, 3.0 KiB) copied, "),
        "{}",
        o.stderr
    );
    let o = run(&["rm", &format!("{t}/a")], "");
    assert_eq!(
        (o.status, o.stderr),
        (1, format!("rm: cannot remove '{t}/a': Is a directory\n"))
    );
    ok(&["rm", "-r", &t], "");
    let o = run(&["rm", &t], "");
    assert_eq!(
        o.stderr,
        format!("rm: cannot remove '{t}': No such file or directory\n")
    );
    assert_eq!(run(&["rm", "-f", &t], "").status, 0);
    let o = run(&["ls", "-Z"], "");
    assert_eq!(o.status, 2);
}

#[test]
fn yes_stops_on_a_closed_pipe() {
    let o = run(&["sh", "-c", "yes abc | head -n 3"], "");
    assert_eq!((o.status, o.stdout.as_str()), (0, "abc\nabc\nabc\n"));
    // Our own yes: stdout's reader goes away after a few bytes.
    let _g = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let (r, w) = ulib::pipe2(O_CLOEXEC).unwrap();
    let pid = ulib::fork(move || {
        ulib::dup2(w, 1).unwrap();
        ulib::close(r).unwrap();
        ulib::close(w).unwrap();
        let _ = ulib::signal_default(ulib::uapi::signal::SIGPIPE);
        ulib::rt::run_main(userland::coreutils::yes::main, &["yes".into()], &[])
    })
    .unwrap();
    ulib::close(w).unwrap();
    let mut b = [0u8; 4];
    ulib::read(r, &mut b).unwrap();
    assert_eq!(&b, b"y\ny\n");
    ulib::close(r).unwrap();
    let (_, st) = ulib::wait4(pid, 0).unwrap();
    assert!(
        wifsignaled(st) && wtermsig(st) == ulib::uapi::signal::SIGPIPE,
        "{st:#x}"
    );
}

#[test]
fn shell_statuses_and_messages() {
    let o = run(&["sh", "-c", "nosuchcmd"], "");
    assert_eq!(
        (o.status, o.stderr.as_str()),
        (127, "sh: nosuchcmd: command not found\n")
    );
    let o = run(&["sh", "-c", "/etc/passwd"], "");
    assert_eq!(
        (o.status, o.stderr.as_str()),
        (126, "sh: /etc/passwd: Permission denied\n")
    );
    let o = run(&["sh", "-c", "if true"], "");
    assert_eq!(o.status, 2);
    let o = run(&["sh", "-c", "echo a; fi"], "");
    assert_eq!(
        (o.status, o.stderr.as_str()),
        (2, "sh: syntax error near unexpected token `fi'\n")
    );
    let o = run(&["sh", "-c", "kill %3"], "");
    assert_eq!(
        (o.status, o.stderr.as_str()),
        (1, "sh: kill: %3: no such job\n")
    );
    let o = run(&["sh", "-c", "sleep 5 & kill %1; wait %1; echo $?"], "");
    assert_eq!(o.stdout, "143\n");
    let o = run(
        &[
            "sh",
            "-c",
            "sleep 5 & p=$!; kill -KILL $p; wait $p; echo $?",
        ],
        "",
    );
    assert_eq!(o.stdout, "137\n");
    let o = run(&["sh"], "echo from stdin\nexit 5\necho not reached\n");
    assert_eq!((o.status, o.stdout.as_str()), (5, "from stdin\n"));
    let o = run(&["sh", "-c", "echo $0 $1 $#", "name", "one", "two"], "");
    assert_eq!(o.stdout, "name one 2\n");
    let o = run(&["sh", "-c", "cat; echo after", "x"], "piped\n");
    assert_eq!(o.stdout, "piped\nafter\n");
    let o = run(&["sh", "-c", "echo out; echo err >&2"], "");
    assert_eq!((o.stdout.as_str(), o.stderr.as_str()), ("out\n", "err\n"));
}

#[test]
fn init_runs_sh_and_returns_its_status() {
    let o = run(&["init", "-c", "echo via-init; exit 3"], "");
    assert_eq!((o.status, o.stdout.as_str()), (3, "via-init\n"));
    assert_eq!(run(&["init", "-c"], "").status, 2);
}

/// Scripts whose output must match bash's exactly.
const SCRIPTS: &[&str] = &[
    "echo hi | wc -c",
    "x=1; y=\"a  b\"; echo $x $y \"$y\" '$y' \\$x",
    "for i in 1 2 3; do if [ $i = 2 ]; then echo two; else echo $i; fi; done",
    "n=0; while [ $n -lt 3 ]; do n=$(expr $n + 1); echo n=$n; done",
    "i=0; while [ $i -lt 3 ]; do i=$((i + 1)); echo $((i * 10)) \"$(( (i << 2) % 5 ))\"; done",
    "false || echo or; true && echo and; ! false; echo $?",
    "(exit 7); echo $?; sh -c 'exit 300'; echo $?",
    "echo a > /tmp/usk-diff-$$; echo b >> /tmp/usk-diff-$$; cat < /tmp/usk-diff-$$; rm /tmp/usk-diff-$$",
    "ls /nonexistent-dir 2>&1 | sed 's/^[a-z]*: //' ; echo $?",
    "echo one; echo two >&2 2>/dev/null; echo three 2>&1 1>/dev/null",
    "echo \"$(echo nested $(echo deep))\" ${U:-default} ${#HOME}",
    "X=exported; export X; sh -c 'echo $X'; Y=local; sh -c 'echo ${Y:-unset}'",
    "cd /tmp && pwd; cd /nonexistent 2>/dev/null; echo $?",
    "for f in /etc/host*; do echo $f; done",
    "echo \"a\\\"b\" 'c\\d' e\\ f \"$HOME\"x",
    "sleep 0.1 & wait $!; echo bg=$?",
];

#[test]
fn differential_against_bash() {
    if ulib::stat("/bin/bash").is_err() {
        return;
    }
    for script in SCRIPTS {
        let ours = run(&["sh", "-c", script], "");
        let bash = run(
            &["sh", "-c", &format!("exec /bin/bash -c {}", quote(script))],
            "",
        );
        assert_eq!(
            (ours.status, &ours.stdout),
            (bash.status, &bash.stdout),
            "script: {script}\nour stderr: {}",
            ours.stderr
        );
    }
}

fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

#[test]
fn initramfs_lists_every_applet() {
    let files = userland::initramfs();
    let find = |p: &str| files.iter().find(|f| f.0 == p).cloned();
    assert_eq!(find("/sbin/init").unwrap().2, b"#!applet init\n");
    assert_eq!(
        find("/bin/sh").unwrap(),
        ("/bin/sh".into(), 0o755, b"#!applet sh\n".to_vec())
    );
    assert!(find("/etc/rc").is_some());
    userland::install();
    for (name, _) in userland::APPLETS {
        let dir = if *name == "init" { "/sbin" } else { "/bin" };
        assert!(find(&format!("{dir}/{name}")).is_some());
        assert!(ulib::rt::resolve_applet(name).is_some());
    }
}

/// Open a pseudo-terminal pair through ulib: (master fd, slave path).
fn openpty() -> Option<(i32, String)> {
    use ulib::uapi::fcntl::{O_NOCTTY, O_RDWR};
    const TIOCGPTN: u32 = 0x8004_5430;
    const TIOCSPTLCK: u32 = 0x4004_5431;
    let m = ulib::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC, 0).ok()?;
    let s = ulib::mem::Scratch::new(8).ok()?;
    s.put(0, &0i32.to_ne_bytes());
    ulib::ioctl(m, TIOCSPTLCK, s.addr(0)).ok()?;
    ulib::ioctl(m, TIOCGPTN, s.addr(0)).ok()?;
    let mut n = [0u8; 4];
    s.get(0, &mut n);
    Some((m, format!("/dev/pts/{}", i32::from_ne_bytes(n))))
}

/// Read from the pty master until `want` shows up (or 5 s pass).
fn expect(m: i32, want: &str) -> String {
    expect_within(m, want, 5)
        .unwrap_or_else(|got| panic!("timed out waiting for {want:?}; got {got:?}"))
}

/// Read until `want` shows up or `secs` pass (`Err` with what came).
fn expect_within(m: i32, want: &str, secs: i64) -> Result<String, String> {
    use ulib::uapi::poll::{PollFd, POLLIN};
    let mut got = String::new();
    let t0 = ulib::clock_gettime(ulib::CLOCK_MONOTONIC).unwrap().tv_sec;
    while !got.contains(want) {
        if ulib::clock_gettime(ulib::CLOCK_MONOTONIC).unwrap().tv_sec - t0 > secs {
            return Err(got);
        }
        let mut p = [PollFd {
            fd: m,
            events: POLLIN as i16,
            revents: 0,
        }];
        if ulib::poll(&mut p, 100).unwrap_or(0) == 0 {
            continue;
        }
        let mut b = [0u8; 1024];
        match ulib::read(m, &mut b) {
            Ok(n) if n > 0 => got.push_str(&String::from_utf8_lossy(&b[..n])),
            _ => panic!("pty closed waiting for {want:?}; got {got:?}"),
        }
    }
    Ok(got)
}

#[test]
fn interactive_job_control_on_a_pty() {
    let Some((m, slave)) = openpty() else {
        return;
    };
    let _g = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let pid = ulib::fork(move || {
        use ulib::uapi::fcntl::O_RDWR;
        let _ = ulib::close(m);
        ulib::setsid().unwrap();
        let s = ulib::open(&slave, O_RDWR, 0).unwrap();
        for fd in 0..3 {
            ulib::dup2(s, fd).unwrap();
        }
        let _ = ulib::close(s);
        let _ = ulib::signal_default(ulib::uapi::signal::SIGPIPE);
        let envp = ["PATH=/usr/bin:/bin".to_string()];
        ulib::rt::run_main(userland::sh::main, &["sh".into()], &envp)
    })
    .unwrap();
    let say = |s: &str| ulib::write_all(m, s.as_bytes()).unwrap();
    // The shell prompts as bash does: "# " for root, "$ " otherwise.
    let prompt = if ulib::geteuid() == 0 { "# " } else { "$ " };
    expect(m, prompt);
    say("sleep 30 &\n");
    expect(m, "[1] ");
    say("jobs\n");
    expect(m, "[1]+  Running                 sleep 30 &\r\n");
    say("kill %1\n");
    expect(m, prompt);
    // The job is reported at the first prompt after it died; the signal
    // may still be on its way at the first empty line, as in bash.
    let mut seen = String::new();
    for _ in 0..20 {
        say("\n");
        match expect_within(m, "[1]+  Terminated              sleep 30\r\n", 0) {
            Ok(_) => {
                seen.clear();
                break;
            }
            Err(got) => seen.push_str(&got),
        }
    }
    assert!(seen.is_empty(), "no Terminated report; got {seen:?}");
    say("sleep 30\n");
    expect(m, "sleep 30\r\n");
    // ^Z must reach the foreground job, not the shell.
    std::thread::sleep(std::time::Duration::from_millis(200));
    say("\x1a");
    expect(m, "[1]+  Stopped                 sleep 30\r\n");
    say("fg\n");
    expect(m, "sleep 30\r\n");
    std::thread::sleep(std::time::Duration::from_millis(200));
    say("\x03");
    expect(m, prompt);
    say("echo status=$?\n");
    expect(m, "status=130");
    say("exit 4\n");
    let (_, st) = ulib::wait4(pid, 0).unwrap();
    assert_eq!(wexitstatus(st), 4);
    let _ = ulib::close(m);
}
