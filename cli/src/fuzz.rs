//! `usk fuzz syscalls`: boot usk into user space with init running the
//! `fuzz` applet (userland/src/fuzz) and then a few shell checks, and
//! judge the run.
//!
//! Everything that can be checked inside usk is: the fuzz applet exits 1
//! on an oops it saw in the log, a child that survived SIGKILL, or free
//! pages that did not come back; the script after it checks that the shell
//! still runs pipelines, command substitution, files and background jobs.
//! Init's exit status carries the verdict out. The host side adds the
//! kernel log at power-off (`BootOutcome::dmesg`): any "BUG:", "kernel
//! BUG", "Oops" or "WARNING:" line there fails the run too, as does a
//! kernel panic.
//!
//! Exit status: 0 clean, 1 a failure, 2 a bad command line.

use kernel::init::kernel::ExitReason;
use std::process::ExitCode;

#[derive(clap::Subcommand, Debug)]
pub enum FuzzCmd {
    /// Random system calls with random and edge-case arguments, run in
    /// forked children (trinity-style); fails on an oops, a child that
    /// survives SIGKILL, leaked pages or a shell that stops working.
    Syscalls(SyscallArgs),
}

#[derive(clap::Args, Debug)]
pub struct SyscallArgs {
    /// Number of system calls to issue.
    #[arg(long, short = 'n', default_value_t = 2000)]
    iterations: u64,
    /// Seed of the call generator (a seed reproduces the calls of each batch).
    #[arg(long, short = 's', default_value_t = 1)]
    seed: u64,
    /// Calls per forked child.
    #[arg(long, default_value_t = 100)]
    batch: u64,
    /// SIGKILL a child that makes no progress for this many milliseconds.
    #[arg(long, default_value_t = 250)]
    stall_ms: u64,
    /// Print every call and its result.
    #[arg(long, short = 'v')]
    verbose: bool,
    #[command(flatten)]
    machine: super::MachineArgs,
}

/// The shell checks that run after the fuzzer was reaped.
const CHECKS: &str = r#"
if ! [ "$(echo usk fuzz | wc -w)" = 2 ]; then echo "fuzz: shell check failed: pipeline"; exit 1; fi
if ! mkdir -p /tmp/after; then echo "fuzz: shell check failed: mkdir"; exit 1; fi
echo data > /tmp/after/f
if ! [ "$(cat /tmp/after/f)" = data ]; then echo "fuzz: shell check failed: file"; exit 1; fi
x=$( (echo a; echo b) | tail -n 1)
if ! [ "$x" = b ]; then echo "fuzz: shell check failed: subshell"; exit 1; fi
sleep 0.01 &
if ! wait $!; then echo "fuzz: shell check failed: background job"; exit 1; fi
if ! [ "$(head -n 1 /proc/meminfo | wc -w)" = 3 ]; then echo "fuzz: shell check failed: procfs"; exit 1; fi
echo "fuzz: shell ok"
"#;

/// Kernel log lines that mean a kernel bug.
pub fn oops_lines(dmesg: &str) -> Vec<&str> {
    dmesg
        .lines()
        .filter(|l| {
            ["BUG:", "kernel BUG", "Oops", "WARNING:"]
                .iter()
                .any(|m| l.contains(m))
        })
        .collect()
}

pub fn main(cmd: FuzzCmd) -> ExitCode {
    let FuzzCmd::Syscalls(a) = cmd;
    let verbose = if a.verbose { " --verbose" } else { "" };
    let script = format!(
        "fuzz --iterations {} --seed {} --batch {} --stall-ms {}{verbose} || exit 1\n{CHECKS}",
        a.iterations, a.seed, a.batch, a.stall_ms
    );
    let cfg = crate::user_config(
        a.machine,
        vec!["/etc/fuzz.sh".into()],
        vec![("/etc/fuzz.sh".into(), 0o644, script.into_bytes())],
    );
    let out = match kernel::init::boot(cfg) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("usk: {e}");
            return ExitCode::from(2);
        }
    };
    let oops = oops_lines(&out.dmesg);
    for l in &oops {
        eprintln!("usk fuzz: kernel log: {l}");
    }
    match out.exit {
        ExitReason::Panic(msg) => {
            eprintln!("usk fuzz: kernel panic: {msg}");
            ExitCode::from(1)
        }
        ExitReason::PowerOff(code) if code != 0 || !oops.is_empty() => {
            eprintln!(
                "usk fuzz: FAILED (init exit status {code}, {} oops lines)",
                oops.len()
            );
            ExitCode::from(1)
        }
        ExitReason::PowerOff(_) => {
            println!("usk fuzz: clean");
            ExitCode::SUCCESS
        }
    }
}
