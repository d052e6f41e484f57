//! `perf`: Linux's performance tool (tools/perf) as a usk applet, over
//! `perf_event_open(2)` — `list`, `stat`, `record`, `report`, `script`.
//!
//! `stat` and `record` start the command held on a pipe, open the events
//! on the child (`inherit`: its whole process tree) or on every CPU (`-a`),
//! enable them, release the child and wait for it; output is perf's.
//! `record` reads the sampling events' records (usk delivers them by
//! `read(2)`, see kernel/src/events/core.rs) and writes `perf.data` in
//! usk's own format (`data.rs`); `report` and `script` read it.
//!
//! Invariants: event names are checked before the command runs; every
//! descriptor perf opens is close-on-exec, so the command never holds one.

mod data;
mod record;
mod report;
mod stat;

use ulib::uapi::fcntl::O_CLOEXEC;
pub(crate) use ulib::uapi::perf_event::*;
use ulib::{ueprintln, uprintln};

// struct perf_event_attr, as perf fills it (size PERF_ATTR_SIZE_VER8).
pub(crate) const ATTR_SIZE: usize = PERF_ATTR_SIZE_VER8 as usize;

pub(crate) const SW_EVENTS: [(&str, u64); 5] = [
    ("cpu-clock", PERF_COUNT_SW_CPU_CLOCK),
    ("task-clock", PERF_COUNT_SW_TASK_CLOCK),
    ("page-faults", PERF_COUNT_SW_PAGE_FAULTS),
    ("context-switches", PERF_COUNT_SW_CONTEXT_SWITCHES),
    ("cpu-migrations", PERF_COUNT_SW_CPU_MIGRATIONS),
];

/// An event the user named, resolved to `attr.type`/`attr.config`.
#[derive(Clone, Debug)]
pub(crate) struct EventSpec {
    pub name: String,
    pub ty: u32,
    pub config: u64,
}

/// The `struct perf_event_attr` image.
pub(crate) fn attr(ev: &EventSpec, period: u64, sample_type: u64, flags: u64) -> Vec<u8> {
    let mut a = vec![0u8; ATTR_SIZE];
    a[0..4].copy_from_slice(&ev.ty.to_le_bytes());
    a[4..8].copy_from_slice(&(ATTR_SIZE as u32).to_le_bytes());
    a[8..16].copy_from_slice(&ev.config.to_le_bytes());
    a[16..24].copy_from_slice(&period.to_le_bytes());
    a[24..32].copy_from_slice(&sample_type.to_le_bytes());
    a[40..48].copy_from_slice(&flags.to_le_bytes());
    a
}

fn tracefs_id(name: &str) -> Option<u64> {
    let (sys, ev) = name.split_once(':')?;
    if sys.contains('/') || ev.contains('/') || sys.starts_with('.') || ev.starts_with('.') {
        return None;
    }
    let b = ulib::read_file(&format!("/sys/kernel/tracing/events/{sys}/{ev}/id")).ok()?;
    String::from_utf8_lossy(&b).trim().parse().ok()
}

/// perf's event names: software events (and their aliases) or
/// `system:event` tracepoints (their id from tracefs).
pub(crate) fn parse_event(name: &str) -> Option<EventSpec> {
    let canon = match name {
        "cs" => "context-switches",
        "migrations" => "cpu-migrations",
        "faults" => "page-faults",
        n => n,
    };
    if let Some(&(n, c)) = SW_EVENTS.iter().find(|(n, _)| *n == canon) {
        return Some(EventSpec {
            name: n.to_string(),
            ty: PERF_TYPE_SOFTWARE,
            config: c,
        });
    }
    tracefs_id(name).map(|id| EventSpec {
        name: name.to_string(),
        ty: PERF_TYPE_TRACEPOINT,
        config: id,
    })
}

/// `system:*` and `*:event` globs (a `*` matching a whole part), expanded
/// against tracefs' `available_events` as perf does; `None` if `name` is
/// not a glob.
fn expand_glob(name: &str) -> Option<Vec<String>> {
    let (sys, ev) = name.split_once(':')?;
    if sys != "*" && ev != "*" {
        return None;
    }
    let list = ulib::read_file("/sys/kernel/tracing/available_events").ok()?;
    Some(
        String::from_utf8_lossy(&list)
            .lines()
            .filter(|l| {
                l.split_once(':')
                    .is_some_and(|(s, e)| (sys == "*" || s == sys) && (ev == "*" || e == ev))
            })
            .map(str::to_string)
            .collect(),
    )
}

/// Resolve `-e` lists (with `sys:*` globs), printing perf's error for a
/// bad one.
pub(crate) fn parse_events(names: &[String]) -> Option<Vec<EventSpec>> {
    let mut v = Vec::new();
    let mut expanded = Vec::new();
    for n in names {
        match expand_glob(n) {
            Some(all) if !all.is_empty() => expanded.extend(all),
            _ => expanded.push(n.clone()),
        }
    }
    for n in &expanded {
        match parse_event(n) {
            Some(e) => v.push(e),
            None => {
                ueprintln!("event syntax error: '{n}'");
                ueprintln!("                     \\___ unknown tracepoint");
                ueprintln!("Run 'perf list' for a list of valid events");
                return None;
            }
        }
    }
    Some(v)
}

/// What follows a command's options: the measured command (`args[i..]`)
/// and the resolved events (`default` when no `-e` was given); perf's
/// usage or event error and status 129 otherwise.
pub(crate) fn events_and_command<'a>(
    args: &'a [String],
    i: usize,
    names: &[String],
    default: &[&str],
    usage: &str,
) -> Result<(Vec<EventSpec>, &'a [String]), i32> {
    let cmd = &args[i.min(args.len())..];
    if cmd.is_empty() {
        ueprintln!(" Usage: {usage} [<options>] [<command>]");
        return Err(129);
    }
    let names: Vec<String> = if names.is_empty() {
        default.iter().map(|s| s.to_string()).collect()
    } else {
        names.to_vec()
    };
    parse_events(&names).map(|evs| (evs, cmd)).ok_or(129)
}

/// The CPUs a `-a` run opens events on.
pub(crate) fn online_cpus() -> Vec<i32> {
    // an event on a CPU that does not exist is EINVAL
    let ev = EventSpec {
        name: "cpu-clock".into(),
        ty: PERF_TYPE_SOFTWARE,
        config: 0,
    };
    let a = attr(&ev, 0, 0, ATTR_DISABLED);
    let n = (0..64)
        .take_while(
            |&c| match ulib::perf_event_open(&a, -1, c, -1, PERF_FLAG_FD_CLOEXEC) {
                Ok(fd) => {
                    let _ = ulib::close(fd);
                    true
                }
                Err(_) => false,
            },
        )
        .count() as i32;
    (0..n.max(1)).collect()
}

/// Open every event, disabled, on each CPU (`-a`) or on `child`'s task
/// tree (inherited): one descriptor list per event. On failure the command
/// is killed and reaped, and perf's message comes back.
pub(crate) fn open_events(
    evs: &[EventSpec],
    all: bool,
    child: &Child,
    period: u64,
    sample_type: u64,
    flags: u64,
) -> Result<Vec<Vec<i32>>, String> {
    let cpus = if all { online_cpus() } else { vec![-1] };
    let pid = if all { -1 } else { child.pid };
    let flags = flags | ATTR_DISABLED | if all { 0 } else { ATTR_INHERIT };
    let mut fds = Vec::with_capacity(evs.len());
    for e in evs {
        let a = attr(e, period, sample_type, flags);
        let mut v = Vec::with_capacity(cpus.len());
        for &c in &cpus {
            match ulib::perf_event_open(&a, pid, c, -1, PERF_FLAG_FD_CLOEXEC) {
                Ok(fd) => v.push(fd),
                Err(err) => {
                    let _ = ulib::kill(child.pid, 9);
                    child.wait();
                    return Err(format!(
                        "Error:\nThe sys_perf_event_open() syscall returned with {} ({err}) for event ({}).",
                        err.0, e.name
                    ));
                }
            }
        }
        fds.push(v);
    }
    Ok(fds)
}

/// A command started and held until [`Child::release`].
pub(crate) struct Child {
    pub pid: i32,
    go: i32,
}

impl Child {
    /// fork; the child waits on a pipe, then execs `argv` along PATH.
    pub fn start(argv: &[String]) -> Result<Child, String> {
        let (r, w) = ulib::pipe2(O_CLOEXEC).map_err(|e| format!("pipe: {e}"))?;
        let argv2 = argv.to_vec();
        let pid = ulib::fork(move || {
            let _ = ulib::close(w);
            let mut b = [0u8; 1];
            let go = matches!(ulib::read(r, &mut b), Ok(1));
            let _ = ulib::close(r);
            if !go {
                return 1;
            }
            let path = find_in_path(&argv2[0]);
            let e = ulib::execve(&path, &argv2, &ulib::env::envp());
            ueprintln!("perf: failed to execute '{}': {e}", argv2[0]);
            127
        })
        .map_err(|e| format!("fork: {e}"))?;
        let _ = ulib::close(r);
        Ok(Child { pid, go: w })
    }

    /// Let the command run.
    pub fn release(&self) {
        let _ = ulib::write(self.go, b"g");
        let _ = ulib::close(self.go);
    }

    /// Wait for it: the exit status as the shell reports it.
    pub fn wait(&self) -> i32 {
        match ulib::wait4(self.pid, 0) {
            Ok((_, st)) if st & 0x7f == 0 => (st >> 8) & 0xff,
            Ok((_, st)) => 128 + (st & 0x7f),
            Err(_) => 1,
        }
    }
}

fn find_in_path(name: &str) -> String {
    if name.contains('/') {
        return name.to_string();
    }
    let path = ulib::env::get("PATH").unwrap_or_else(|| "/bin:/sbin".into());
    path.split(':')
        .map(|d| {
            format!(
                "{}/{name}",
                if d.is_empty() {
                    "."
                } else {
                    d.trim_end_matches('/')
                }
            )
        })
        .find(|c| ulib::stat(c).is_ok())
        .unwrap_or_else(|| name.to_string())
}

fn list() -> i32 {
    uprintln!();
    uprintln!("List of pre-defined events (to be used in -e or -M):");
    uprintln!();
    for (n, _) in SW_EVENTS {
        uprintln!("  {n:<50} [Software event]");
    }
    uprintln!();
    if let Ok(b) = ulib::read_file("/sys/kernel/tracing/available_events") {
        for l in String::from_utf8_lossy(&b).lines() {
            if !l.is_empty() {
                uprintln!("  {l:<50} [Tracepoint event]");
            }
        }
    }
    uprintln!();
    0
}

fn usage() -> i32 {
    ueprintln!();
    ueprintln!(" usage: perf [--version] [--help] COMMAND [ARGS]");
    ueprintln!();
    ueprintln!(" The most commonly used perf commands are:");
    ueprintln!("   list            List all symbolic event types");
    ueprintln!("   record          Run a command and record its profile into perf.data");
    ueprintln!(
        "   report          Read perf.data (created by perf record) and display the profile"
    );
    ueprintln!(
        "   script          Read perf.data (created by perf record) and display trace output"
    );
    ueprintln!("   stat            Run a command and gather performance counter statistics");
    129
}

pub fn main(args: &[String]) -> i32 {
    let Some(cmd) = args.get(1) else {
        return usage();
    };
    let rest = &args[2..];
    match cmd.as_str() {
        "list" => list(),
        "stat" => stat::main(rest),
        "record" => record::main(rest),
        "report" => report::report_main(rest),
        "script" => report::script_main(rest),
        "--version" | "version" => {
            uprintln!("perf version 6.1.usk");
            0
        }
        _ => {
            ueprintln!("perf: '{cmd}' is not a perf-command. See 'perf --help'.");
            usage()
        }
    }
}
