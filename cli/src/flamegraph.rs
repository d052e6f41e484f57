//! `usk perf flamegraph`: record call chains inside a booted usk and draw
//! them as a flame graph.
//!
//! The command boots usk into user space and runs, as init's shell
//! command line, `perf record -g -e EVENT -o FILE -- CMD` followed by
//! `perf script -i FILE` (the perf applet, `userland/src/perf`). The
//! console is captured; the `perf script` text is folded by `inferno`'s
//! perf collapser — the Rust port of FlameGraph's `stackcollapse-perf.pl`
//! — and rendered as an SVG by `inferno`'s flame-graph writer.

use hw::ConsoleBackend;
use kernel::init::kernel::ExitReason;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(clap::Args, Debug)]
pub struct FlamegraphArgs {
    /// Where to write the SVG.
    #[arg(short = 'o', long = "output", default_value = "flamegraph.svg")]
    output: PathBuf,
    /// The event whose samples make the graph.
    #[arg(short = 'e', long = "event", default_value = "kmem:mm_page_alloc")]
    event: String,
    /// Also write the folded stacks (one `frame;frame;... count` per line).
    #[arg(long = "folded", value_name = "FILE")]
    folded: Option<PathBuf>,
    #[command(flatten)]
    machine: crate::MachineArgs,
    /// The shell command line to profile.
    #[arg(trailing_var_arg = true, required = true)]
    cmd: Vec<String>,
}

/// The perf script text of `cmd` recorded with `event`, from a fresh boot.
fn record_and_script(a: &FlamegraphArgs) -> Result<String, String> {
    let quote = crate::perf::quote;
    let cmd: Vec<String> = a.cmd.iter().map(|c| quote(c)).collect();
    let script = format!(
        "perf record -g -e {} -o /tmp/flame.data -- sh -c {} >/dev/null 2>&1 && perf script -i /tmp/flame.data",
        quote(&a.event),
        quote(&cmd.join(" "))
    );
    let console = hw::console::MemoryConsole::new();
    let mut cfg = crate::user_config(a.machine.clone(), vec!["-c".into(), script], Vec::new());
    cfg.tty_console = ConsoleBackend::Memory(console.clone());
    cfg.console = kernel::kernel::printk::Console::Silent;
    let out = kernel::init::boot(cfg).map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&console.output()).replace("\r\n", "\n");
    match out.exit {
        ExitReason::PowerOff(0) => Ok(text),
        ExitReason::PowerOff(code) => Err(format!(
            "perf record/script inside usk failed with status {code}:\n{}",
            text.trim_end()
        )),
        ExitReason::Panic(m) => Err(format!("kernel panic: {m}")),
    }
}

/// An event line cut after the event name: `comm pid [cpu] time: sys:event:`.
/// inferno's collapser splits event lines at colons and takes a
/// tracepoint's `sys:name: fields` tail for a one-frame stack (FlameGraph's
/// perl collapser does not), so the fields go before folding.
fn trim_event_line(line: &str) -> &str {
    if line.starts_with('\t') || line.trim().is_empty() {
        return line;
    }
    let Some(ts_end) = line.find(": ") else {
        return line;
    };
    let rest = &line[ts_end + 2..];
    match rest.find(": ") {
        Some(ev_end) => &line[..ts_end + 2 + ev_end + 1],
        None => line,
    }
}

/// Fold `perf script` text into `frame;frame;… count` lines.
pub fn collapse(script: &str) -> Result<Vec<u8>, String> {
    use inferno::collapse::Collapse;
    let trimmed: String = script
        .lines()
        .map(|l| format!("{}\n", trim_event_line(l)))
        .collect();
    let mut folded = Vec::new();
    let mut opts = inferno::collapse::perf::Options::default();
    // Kernel frames get perf's `_[k]` suffix (drawn in the kernel colour).
    opts.annotate_kernel = true;
    inferno::collapse::perf::Folder::from(opts)
        .collapse(trimmed.as_bytes(), &mut folded)
        .map_err(|e| format!("collapsing perf script output: {e}"))?;
    Ok(folded)
}

/// Render folded stacks as a flame-graph SVG.
pub fn render(folded: &[u8], title: &str) -> Result<Vec<u8>, String> {
    let text = String::from_utf8_lossy(folded);
    let mut opts = inferno::flamegraph::Options::default();
    opts.title = title.to_string();
    opts.count_name = "samples".into();
    let mut svg = Vec::new();
    inferno::flamegraph::from_lines(&mut opts, text.lines(), &mut svg)
        .map_err(|e| format!("rendering the flame graph: {e}"))?;
    Ok(svg)
}

pub fn main(a: FlamegraphArgs) -> ExitCode {
    let run = || -> Result<(usize, usize), String> {
        let script = record_and_script(&a)?;
        let folded = collapse(&script)?;
        if folded.is_empty() {
            return Err(format!(
                "no samples of {} while running '{}'; perf script printed:\n{}",
                a.event,
                a.cmd.join(" "),
                script.chars().take(2000).collect::<String>()
            ));
        }
        if let Some(p) = &a.folded {
            std::fs::write(p, &folded).map_err(|e| format!("cannot write {}: {e}", p.display()))?;
        }
        let title = format!("usk: {} during '{}'", a.event, a.cmd.join(" "));
        let svg = render(&folded, &title)?;
        std::fs::write(&a.output, &svg)
            .map_err(|e| format!("cannot write {}: {e}", a.output.display()))?;
        Ok((folded.iter().filter(|&&b| b == b'\n').count(), svg.len()))
    };
    match run() {
        Ok((stacks, bytes)) => {
            eprintln!(
                "usk: wrote {} ({bytes} bytes, {stacks} distinct stacks)",
                a.output.display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("usk: {e}");
            ExitCode::from(1)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCRIPT: &str =
        "            perf    12 [001]     0.003886: kmem:mm_page_alloc: pfn=64542 order=0\n\
\t    5634e93cc13d __alloc_pages ([kernel.kallsyms])\n\
\t    5634e9417417 pte_alloc ([kernel.kallsyms])\n\
\t    5634e94184b0 store ([kernel.kallsyms])\n\
\t    56188a03dab9 sc (perf)\n\
\n\
              ls    13 [000]     0.004100: kmem:mm_page_alloc: pfn=64543 order=0\n\
\t    5634e93cc13d __alloc_pages ([kernel.kallsyms])\n\
\t    5634e9417417 pte_alloc ([kernel.kallsyms])\n\
\n";

    /// perf script text as the applet prints it folds into one line per
    /// distinct stack, outermost frame first, as stackcollapse-perf.pl does.
    #[test]
    fn perf_script_folds_and_renders() {
        let folded = String::from_utf8(collapse(SCRIPT).unwrap()).unwrap();
        assert_eq!(
            folded,
            "ls;pte_alloc_[k];__alloc_pages_[k] 1\nperf;sc;store_[k];pte_alloc_[k];__alloc_pages_[k] 1\n"
        );
        let svg = String::from_utf8(render(folded.as_bytes(), "t").unwrap()).unwrap();
        assert!(svg.starts_with("<?xml") && svg.contains("__alloc_pages"));
    }
}
