//! tracefs (`/sys/kernel/tracing`): the files that control and read the
//! trace buffer, in Linux's formats.

use super::{events, format_file, format_record, TraceEvent};
use crate::fs::proc::{Private, ProcFs};
use crate::fs::seq_file::SeqFile;
use crate::init::kernel::{kernel, Kernel};
use std::fmt::{self, Write};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use uapi::errno::{Errno, EINVAL};

struct EventRef(&'static TraceEvent);

fn parse_bool(data: &str) -> Result<bool, Errno> {
    match data.trim() {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(EINVAL),
    }
}

fn show_available_events(m: &mut SeqFile) -> fmt::Result {
    for e in events::all() {
        writeln!(m, "{}:{}", e.system, e.name)?;
    }
    Ok(())
}

fn show_set_event(m: &mut SeqFile) -> fmt::Result {
    let k = kernel();
    for e in events::all() {
        if k.tracing.is_enabled(e) {
            writeln!(m, "{}:{}", e.system, e.name)?;
        }
    }
    Ok(())
}

/// `echo 'sched:sched_switch irq:*' > set_event`; `!x` disables x; an empty
/// write disables everything.
fn write_set_event(data: &str) -> Result<(), Errno> {
    let k = kernel();
    let words: Vec<&str> = data.split_whitespace().collect();
    if words.iter().all(|w| !w.starts_with('!')) {
        k.tracing.disable_all();
    }
    for w in words {
        let (on, spec) = match w.strip_prefix('!') {
            Some(s) => (false, s),
            None => (true, w),
        };
        let (sys, name) = spec.split_once(':').unwrap_or(("*", spec));
        let mut matched = false;
        for e in events::all() {
            if (sys == "*" || sys == e.system) && (name == "*" || name == e.name) {
                k.tracing.set_enabled(e, on);
                matched = true;
            }
        }
        if !matched {
            return Err(EINVAL);
        }
    }
    Ok(())
}

fn show_event_enable(m: &mut SeqFile) -> fmt::Result {
    let e = m.private::<EventRef>().map(|e| e.0);
    let on = e.is_some_and(|e| kernel().tracing.is_enabled(e));
    writeln!(m, "{}", on as u8)
}

fn write_event_enable(p: &Private, data: &str) -> Result<(), Errno> {
    let e = p.downcast_ref::<EventRef>().ok_or(EINVAL)?.0;
    kernel().tracing.set_enabled(e, parse_bool(data)?);
    Ok(())
}

fn show_event_filter(m: &mut SeqFile) -> fmt::Result {
    let e = m.private::<EventRef>().map(|e| e.0);
    let text = e.and_then(|e| kernel().tracing.filter_text(e));
    writeln!(m, "{}", text.as_deref().unwrap_or("none"))
}

fn write_event_filter(p: &Private, data: &str) -> Result<(), Errno> {
    let e = p.downcast_ref::<EventRef>().ok_or(EINVAL)?.0;
    let k = kernel();
    if data.trim() == "0" || data.trim().is_empty() {
        k.tracing.set_filter(e, None);
        return Ok(());
    }
    let f = super::filter::Filter::parse(e, data)?;
    k.tracing.set_filter(e, Some(f));
    Ok(())
}

fn show_event_format(m: &mut SeqFile) -> fmt::Result {
    if let Some(e) = m.private::<EventRef>().map(|e| e.0) {
        m.puts(&format_file(e));
    }
    Ok(())
}

fn show_event_id(m: &mut SeqFile) -> fmt::Result {
    if let Some(e) = m.private::<EventRef>().map(|e| e.0) {
        writeln!(m, "{}", e.id)?;
    }
    Ok(())
}

/// "0", "1", or "X" when the events of a group are mixed.
fn group_state(k: &Kernel, sys: Option<&str>) -> &'static str {
    let evs: Vec<bool> = events::all()
        .iter()
        .filter(|e| sys.is_none_or(|s| s == e.system))
        .map(|e| k.tracing.is_enabled(e))
        .collect();
    if evs.iter().all(|&b| b) {
        "1"
    } else if evs.iter().all(|&b| !b) {
        "0"
    } else {
        "X"
    }
}

fn show_system_enable(m: &mut SeqFile) -> fmt::Result {
    let sys = m.private::<String>().cloned();
    writeln!(m, "{}", group_state(&kernel(), sys.as_deref()))
}

fn write_system_enable(p: &Private, data: &str) -> Result<(), Errno> {
    let on = parse_bool(data)?;
    let k = kernel();
    let sys = p.downcast_ref::<String>().ok_or(EINVAL)?;
    for e in events::all().iter().filter(|e| e.system == sys) {
        k.tracing.set_enabled(e, on);
    }
    Ok(())
}

fn show_all_enable(m: &mut SeqFile) -> fmt::Result {
    writeln!(m, "{}", group_state(&kernel(), None))
}

fn write_all_enable(data: &str) -> Result<(), Errno> {
    let on = parse_bool(data)?;
    let k = kernel();
    for e in events::all() {
        k.tracing.set_enabled(e, on);
    }
    Ok(())
}

fn show_tracing_on(m: &mut SeqFile) -> fmt::Result {
    writeln!(
        m,
        "{}",
        kernel().tracing.tracing_on.load(Ordering::Relaxed) as u8
    )
}

fn write_tracing_on(data: &str) -> Result<(), Errno> {
    kernel()
        .tracing
        .tracing_on
        .store(parse_bool(data)?, Ordering::Relaxed);
    Ok(())
}

fn show_overwrite(m: &mut SeqFile) -> fmt::Result {
    writeln!(
        m,
        "{}",
        kernel().tracing.overwrite.load(Ordering::Relaxed) as u8
    )
}

fn write_overwrite(data: &str) -> Result<(), Errno> {
    kernel()
        .tracing
        .overwrite
        .store(parse_bool(data)?, Ordering::Relaxed);
    Ok(())
}

fn show_buffer_size_kb(m: &mut SeqFile) -> fmt::Result {
    writeln!(m, "{}", kernel().tracing.buffer_kb())
}

fn write_buffer_size_kb(data: &str) -> Result<(), Errno> {
    let kb: usize = data.trim().parse().map_err(|_| EINVAL)?;
    if kb == 0 || kb > super::MAX_BUFFER_KB {
        return Err(EINVAL);
    }
    kernel().tracing.resize(kb);
    Ok(())
}

fn header(m: &mut SeqFile, k: &Kernel, entries: usize) -> fmt::Result {
    writeln!(m, "# tracer: nop")?;
    writeln!(m, "#")?;
    writeln!(
        m,
        "# entries-in-buffer/entries-written: {}/{}   #P:{}",
        entries,
        k.tracing.written(),
        k.nr_cpus()
    )?;
    m.puts(
        "#\n#                                _-----=> irqs-off/BH-disabled\n#                               / _----=> need-resched\n#                              | / _---=> hardirq/softirq\n#                              || / _--=> preempt-depth\n#                              ||| / _-=> migrate-disable\n#                              |||| /     delay\n#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION\n#              | |         |   |||||     |         |\n",
    );
    Ok(())
}

fn show_trace(m: &mut SeqFile) -> fmt::Result {
    let k = kernel();
    let recs = k.tracing.snapshot();
    header(m, &k, recs.len())?;
    for r in &recs {
        writeln!(m, "{}", format_record(r))?;
    }
    Ok(())
}

fn write_trace(_data: &str) -> Result<(), Errno> {
    kernel().tracing.clear();
    Ok(())
}

fn show_trace_pipe(m: &mut SeqFile) -> fmt::Result {
    for r in kernel().tracing.consume() {
        writeln!(m, "{}", format_record(&r))?;
    }
    Ok(())
}

/// Build the tree, and enable the events named by `trace_event=` on the
/// command line (comma-separated, as in Linux).
pub(crate) fn tracefs_init(k: &Kernel) {
    if let Some(list) = k.cmdline.get("trace_event") {
        for spec in list.split(',').filter(|s| !s.is_empty()) {
            let (sys, name) = spec.split_once(':').unwrap_or(("*", spec));
            for e in events::all() {
                if (sys == "*" || sys == e.system) && (name == "*" || name == e.name) {
                    k.tracing.set_enabled(e, true);
                }
            }
        }
    }
    let t: &ProcFs = &k.tracefs;
    let ok = |r: Result<(), Errno>| r.expect("fresh tracefs");
    ok(t.create_single("available_events", 0o444, show_available_events));
    ok(t.create_rw("set_event", 0o644, show_set_event, write_set_event));
    ok(t.create_rw("tracing_on", 0o644, show_tracing_on, write_tracing_on));
    ok(t.create_rw(
        "buffer_size_kb",
        0o644,
        show_buffer_size_kb,
        write_buffer_size_kb,
    ));
    ok(t.create_rw("options/overwrite", 0o644, show_overwrite, write_overwrite));
    ok(t.create_rw("trace", 0o644, show_trace, write_trace));
    ok(t.create_single("trace_pipe", 0o444, show_trace_pipe));
    ok(t.create_rw("events/enable", 0o644, show_all_enable, write_all_enable));
    let mut systems: Vec<&str> = events::all().iter().map(|e| e.system).collect();
    systems.sort_unstable();
    systems.dedup();
    for sys in systems {
        let p: Private = Arc::new(sys.to_string());
        ok(t.create_private(
            &format!("events/{sys}/enable"),
            0o644,
            show_system_enable,
            Some(write_system_enable),
            p,
        ));
    }
    for e in events::all() {
        let p: Private = Arc::new(EventRef(e));
        let dir = format!("events/{}/{}", e.system, e.name);
        ok(t.create_private(
            &format!("{dir}/enable"),
            0o644,
            show_event_enable,
            Some(write_event_enable),
            p.clone(),
        ));
        ok(t.create_private(
            &format!("{dir}/format"),
            0o444,
            show_event_format,
            None,
            p.clone(),
        ));
        ok(t.create_private(
            &format!("{dir}/filter"),
            0o644,
            show_event_filter,
            Some(write_event_filter),
            p.clone(),
        ));
        ok(t.create_private(&format!("{dir}/id"), 0o444, show_event_id, None, p));
    }
}
