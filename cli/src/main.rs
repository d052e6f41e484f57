//! `usk`: boot the kernel into user space (an interactive shell, one
//! command with `-c`, or a script with `run`), boot it into the built-in
//! self-test init (`boot`), run experiments and tools.
//!
//! Exit status: init's exit code after a clean power-off (the shell's
//! status in user space), 1 after a kernel panic, 2 for a command line
//! that cannot be used (with a one-line error).

use clap::{Parser, Subcommand};
use hw::ConsoleBackend;
use kernel::init::kernel::{parse_size, BootConfig, ExitReason, NR_CPUS};
use kernel::init::main::MIN_MEM_BYTES;
use std::process::ExitCode;

mod exp;
mod flamegraph;
mod fuzz;
mod page_owner_sort;
mod perf;
mod trace_pagealloc;

#[derive(Parser, Debug)]
#[command(
    name = "usk",
    version,
    about = "A Linux-style kernel that runs as an ordinary process"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Option<Cmd>,
    /// Run one shell command line in user space and exit with its status
    /// (`usk -c 'echo hi | wc -c'`).
    #[arg(short = 'c', value_name = "COMMAND")]
    command: Option<String>,
    #[command(flatten)]
    machine: MachineArgs,
}

/// The machine a user-space boot runs on.
#[derive(clap::Args, Debug, Clone)]
struct MachineArgs {
    /// Number of simulated CPUs (1-64).
    #[arg(long, default_value_t = 2, value_parser = parse_cpus)]
    cpus: usize,
    /// Physical memory, e.g. 256M or 1G (at least 16M).
    #[arg(long, default_value = "256M", value_parser = parse_mem)]
    mem: u64,
    /// Extra kernel command line (the boot log is `quiet` unless this sets
    /// `loglevel=`).
    #[arg(long, default_value = "")]
    cmdline: String,
    /// Log every system call in strace's format on stderr.
    #[arg(long)]
    strace: bool,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Boot a kernel: print the boot log, run the built-in self-test init, power off.
    Boot(BootArgs),
    /// Run a shell script from the host under init and exit with its status.
    Run {
        /// The script (a file on the host).
        script: std::path::PathBuf,
        /// Arguments passed to the script ($1, $2, ...).
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
        #[command(flatten)]
        machine: MachineArgs,
    },
    /// Run a built-in experiment (`usk exp fragmentation [options]`).
    Exp {
        /// The experiment: fragmentation.
        name: String,
        /// Options of the experiment.
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Fuzz the kernel from user space: `usk fuzz syscalls --iterations N --seed S`.
    #[command(subcommand)]
    Fuzz(fuzz::FuzzCmd),
    /// perf inside a booted usk: `usk perf list`, `usk perf stat [-a] [-e ev,...] [-r N] -- CMD`,
    /// `usk perf flamegraph -o out.svg -- CMD`.
    #[command(subcommand)]
    Perf(perf::PerfCmd),
    /// Trace post-processing: `usk trace pagealloc [--cpus N --mem M] -- CMD`
    /// (Mel Gorman's page-allocator stress report).
    #[command(subcommand)]
    Trace(TraceCmd),
    /// Fold a saved /sys/kernel/debug/page_owner like Linux's
    /// tools/mm/page_owner_sort: `usk page_owner_sort [OPTIONS] <input> <output>`.
    #[command(name = "page_owner_sort", disable_help_flag = true)]
    PageOwnerSort {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

#[derive(Subcommand, Debug)]
enum TraceCmd {
    /// Run CMD with the page-allocator tracepoints on and report which
    /// processes stress the page allocator (trace-pagealloc-postprocess.pl).
    Pagealloc(trace_pagealloc::PageallocArgs),
}

#[derive(Parser, Debug, Clone)]
struct BootArgs {
    /// Number of simulated CPUs (1-64).
    #[arg(long, default_value_t = 4, value_parser = parse_cpus)]
    cpus: usize,
    /// Physical memory, e.g. 256M or 1G (at least 16M).
    #[arg(long, default_value = "256M", value_parser = parse_mem)]
    mem: u64,
    /// Seed for deterministic mode's scheduling choices.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// One CPU runs at a time, choices drawn from --seed, virtual time.
    #[arg(long)]
    deterministic: bool,
    /// Kernel command line (e.g. "quiet nohz=off preempt=full").
    #[arg(long, default_value = "")]
    cmdline: String,
    /// Also print this /proc or /sys/kernel/debug file at the end (repeatable).
    #[arg(long = "show", value_name = "PATH")]
    show: Vec<String>,
    /// Run a built-in init command after the self-tests (repeatable): insmod NAME [param=value...],
    /// rmmod [-f] NAME, lsmod, modinfo NAME, sleep SECS, cat PATH.
    #[arg(long = "exec", value_name = "COMMAND")]
    exec: Vec<String>,
    /// Trace the run (sched and irq events unless the command line says
    /// trace_event=...) and write it as Chrome Trace Event JSON for Perfetto.
    #[arg(long = "trace-json", value_name = "FILE")]
    trace_json: Option<std::path::PathBuf>,
    /// NUMA nodes to split memory into (1-64).
    #[arg(long, default_value_t = 1, value_parser = parse_numa)]
    numa: usize,
}

fn parse_numa(s: &str) -> Result<usize, String> {
    let n: usize = s.parse().map_err(|_| format!("'{s}' is not a number"))?;
    if n == 0 || n > 64 {
        return Err(format!("{n} is not in 1..=64"));
    }
    Ok(n)
}

fn parse_cpus(s: &str) -> Result<usize, String> {
    let n: usize = s.parse().map_err(|_| format!("'{s}' is not a number"))?;
    if n == 0 || n > NR_CPUS {
        return Err(format!("{n} is not in 1..={NR_CPUS}"));
    }
    Ok(n)
}

fn parse_mem(s: &str) -> Result<u64, String> {
    let v = parse_size(s).ok_or_else(|| format!("'{s}' is not a size like 256M or 1G"))?;
    if v < MIN_MEM_BYTES {
        return Err(format!(
            "{s} is less than the minimum of {}M",
            MIN_MEM_BYTES >> 20
        ));
    }
    Ok(v)
}

fn boot(mut a: BootArgs) -> ExitCode {
    if a.trace_json.is_some() && !a.cmdline.contains("trace_event=") {
        a.cmdline.push_str(" trace_event=sched:*,irq:*");
    }
    let json_path = a.trace_json.clone();
    let cfg = BootConfig {
        cpus: a.cpus,
        mem_bytes: a.mem,
        seed: a.seed,
        deterministic: a.deterministic,
        cmdline: a.cmdline,
        show: a.show,
        commands: a.exec,
        numa_nodes: a.numa,
        ..Default::default()
    };
    match kernel::init::boot(cfg) {
        Ok(out) => {
            if let Some(p) = &json_path {
                if let Err(e) = std::fs::write(p, &out.trace_json) {
                    eprintln!("usk: cannot write {}: {e}", p.display());
                    return ExitCode::from(2);
                }
                eprintln!(
                    "usk: wrote {} ({} bytes of Chrome Trace Event JSON)",
                    p.display(),
                    out.trace_json.len()
                );
            }
            exit_code(out.exit)
        }
        Err(e) => {
            eprintln!("usk: {e}");
            ExitCode::from(2)
        }
    }
}

/// Boot into user space: pid 1 is `/sbin/init ARGS...`, the console is the
/// host terminal (a real tty in raw mode when stdin is one), and the
/// machine powers off when init exits, with init's status.
fn boot_user(
    m: MachineArgs,
    init_args: Vec<String>,
    extra: Vec<(String, u32, Vec<u8>)>,
) -> ExitCode {
    match kernel::init::boot(user_config(m, init_args, extra)) {
        Ok(out) => exit_code(out.exit),
        Err(e) => {
            eprintln!("usk: {e}");
            ExitCode::from(2)
        }
    }
}

/// The boot configuration of a user-space boot: userland's initramfs plus
/// `extra` files, pid 1 running `/sbin/init ARGS...`, the host terminal
/// as console, a quiet boot log unless the command line sets `loglevel=`.
fn user_config(
    m: MachineArgs,
    init_args: Vec<String>,
    extra: Vec<(String, u32, Vec<u8>)>,
) -> BootConfig {
    userland::install();
    let mut files = userland::initramfs();
    files.extend(extra);
    let mut argv = vec!["/sbin/init".to_string()];
    argv.extend(init_args);
    let cmdline = if m.cmdline.contains("loglevel=") {
        m.cmdline
    } else {
        format!("quiet {}", m.cmdline)
    };
    BootConfig {
        cpus: m.cpus,
        mem_bytes: m.mem,
        cmdline,
        tty_console: ConsoleBackend::Host,
        initramfs: files,
        init_argv: Some(argv),
        strace: m.strace,
        ..Default::default()
    }
}

/// `usk run SCRIPT [ARGS]`: the script goes into the initramfs as
/// /tmp/NAME and init runs `sh /tmp/NAME ARGS`.
fn run_script(script: &std::path::Path, args: Vec<String>, m: MachineArgs) -> ExitCode {
    let body = match std::fs::read(script) {
        Ok(b) => b,
        Err(e) => {
            eprintln!("usk: cannot read {}: {e}", script.display());
            return ExitCode::from(2);
        }
    };
    let name = script
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "script".into());
    let path = format!("/tmp/{name}");
    let mut init_args = vec![path.clone()];
    init_args.extend(args);
    boot_user(m, init_args, vec![(path, 0o755, body)])
}

fn exit_code(exit: ExitReason) -> ExitCode {
    match exit {
        ExitReason::PowerOff(code) => ExitCode::from(code.clamp(0, 255) as u8),
        ExitReason::Panic(msg) => {
            eprintln!("usk: kernel panic: {msg}");
            ExitCode::from(1)
        }
    }
}

/// Exit status of a tool: its error on one line, status 2.
fn tool(r: Result<(), String>) -> ExitCode {
    match r {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("usk: {e}");
            ExitCode::from(2)
        }
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                let _ = e.print();
                return ExitCode::SUCCESS;
            }
            // One line: clap's first line without its "error: " prefix.
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("invalid command line");
            eprintln!("usk: {}", first.trim_start_matches("error: "));
            return ExitCode::from(2);
        }
    };
    if let Some(cmd) = cli.command {
        if cli.cmd.is_some() {
            eprintln!("usk: -c cannot be combined with a subcommand");
            return ExitCode::from(2);
        }
        return boot_user(cli.machine, vec!["-c".into(), cmd], Vec::new());
    }
    match cli.cmd {
        Some(Cmd::Boot(a)) => boot(a),
        Some(Cmd::Run {
            script,
            args,
            machine,
        }) => run_script(&script, args, machine),
        Some(Cmd::Exp { name, args }) => match name.as_str() {
            "fragmentation" => tool(exp::fragmentation::main(&args)),
            other => {
                eprintln!("usk: no experiment named '{other}' (try: fragmentation)");
                ExitCode::from(2)
            }
        },
        Some(Cmd::PageOwnerSort { args }) => tool(page_owner_sort::main(&args)),
        Some(Cmd::Perf(p)) => perf::main(p, cli.machine),
        Some(Cmd::Trace(TraceCmd::Pagealloc(a))) => trace_pagealloc::main(a),
        Some(Cmd::Fuzz(f)) => fuzz::main(f),
        None => boot_user(cli.machine, Vec::new(), Vec::new()),
    }
}
