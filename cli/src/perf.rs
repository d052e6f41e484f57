//! `usk perf …`: perf run inside a freshly booted usk.
//!
//! `usk perf list|stat|record|report|script ARGS` boots usk into user
//! space and runs the `perf` applet (userland/src/perf, on the kernel's
//! `perf_event_open`) with ARGS through init's shell, so the measured
//! command is any shell command line of usk; the exit status is perf's.
//! The files `perf record` writes live in that boot's root filesystem, so
//! `record` and `report` go in one command line
//! (`usk -c 'perf record … && perf report --stdio'`).
//! `usk perf flamegraph` (flamegraph.rs) records and draws on the host.

use std::process::ExitCode;

#[derive(clap::Subcommand, Debug)]
pub enum PerfCmd {
    /// Record call chains of a shell command inside usk and draw a flame
    /// graph: `usk perf flamegraph -o out.svg [-e ev] -- ls /proc`.
    Flamegraph(crate::flamegraph::FlamegraphArgs),
    /// Any other perf command, run by the perf applet inside usk:
    /// `usk perf list`, `usk perf stat -a -e kmem:kmalloc -- sleep 1`.
    #[command(external_subcommand)]
    Applet(Vec<String>),
}

/// `'…'` quoting for the shell inside usk.
pub fn quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

pub fn main(cmd: PerfCmd, machine: crate::MachineArgs) -> ExitCode {
    match cmd {
        PerfCmd::Flamegraph(a) => crate::flamegraph::main(a),
        PerfCmd::Applet(args) => {
            let line: Vec<String> = args.iter().map(|a| quote(a)).collect();
            crate::boot_user(
                machine,
                vec!["-c".into(), format!("perf {}", line.join(" "))],
                Vec::new(),
            )
        }
    }
}
