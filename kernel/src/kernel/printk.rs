//! printk: the kernel log ring buffer, log levels and the console.
//!
//! Records carry a sequence number, a timestamp from `local_clock()` and a
//! level (`KERN_EMERG` 0 .. `KERN_DEBUG` 7). The buffer keeps the newest
//! `log_buf_len` bytes of text (128 KiB, `CONFIG_LOG_BUF_SHIFT=17`; the
//! `log_buf_len=` boot option changes it); records below `console_loglevel`
//! (7 by default, 4 with `quiet`, `loglevel=N`) also go to the console as
//! `[    0.000123] text`. `dmesg` prints the buffer in the same format.
//!
//! printk may be called from any context, including hardirq with locks held:
//! it only takes leaf host locks and never sleeps.

use crate::init::kernel::Kernel;
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

pub const KERN_EMERG: u8 = 0;
pub const KERN_ALERT: u8 = 1;
pub const KERN_CRIT: u8 = 2;
pub const KERN_ERR: u8 = 3;
pub const KERN_WARNING: u8 = 4;
pub const KERN_NOTICE: u8 = 5;
pub const KERN_INFO: u8 = 6;
pub const KERN_DEBUG: u8 = 7;
/// `KERN_CONT`: continue the previous record.
pub const KERN_CONT: u8 = 0xff;

pub const DEFAULT_LOG_BUF_LEN: usize = 1 << 17;

/// Where console output goes.
#[derive(Clone, Default)]
pub enum Console {
    /// The host's standard output (the default for `usk boot`).
    #[default]
    Stdout,
    /// Nowhere (tests); the log buffer still records everything.
    Silent,
    /// Appended to a shared string (tests that check console output).
    Capture(Arc<Mutex<String>>),
}

#[derive(Clone, Debug)]
pub struct Record {
    pub seq: u64,
    pub ts_nsec: u64,
    pub level: u8,
    pub text: String,
}

impl Record {
    /// `[    5.123456] text`.
    pub fn format(&self) -> String {
        format!("{}{}", timestamp(self.ts_nsec), self.text)
    }
}

/// The `[%5lu.%06lu] ` prefix.
pub fn timestamp(ns: u64) -> String {
    format!(
        "[{:5}.{:06}] ",
        ns / 1_000_000_000,
        (ns % 1_000_000_000) / 1000
    )
}

struct LogBuf {
    records: VecDeque<Record>,
    bytes: usize,
    next_seq: u64,
}

pub struct Printk {
    buf: Mutex<LogBuf>,
    console: Mutex<Console>,
    pub console_loglevel: AtomicU32,
    /// The console level saved by `syslog(SYSLOG_ACTION_CONSOLE_OFF)`, 0 if none.
    saved_console_loglevel: AtomicU32,
    /// `clear_seq`: records before it are hidden from `syslog(READ_ALL)`.
    clear_seq: std::sync::atomic::AtomicU64,
    log_buf_len: usize,
}

impl Printk {
    pub fn new(console: Console, loglevel: u32, log_buf_len: usize) -> Self {
        Printk {
            buf: Mutex::new(LogBuf {
                records: VecDeque::new(),
                bytes: 0,
                next_seq: 0,
            }),
            console: Mutex::new(console),
            console_loglevel: AtomicU32::new(loglevel),
            saved_console_loglevel: AtomicU32::new(0),
            clear_seq: std::sync::atomic::AtomicU64::new(0),
            log_buf_len,
        }
    }

    /// Store one message (several records if it has several lines).
    pub fn emit(&self, ts_nsec: u64, level: u8, text: &str) {
        let mut buf = self.buf.lock();
        let mut out = String::new();
        let show = |lvl: u8| (lvl as u32) < self.console_loglevel.load(Ordering::Relaxed);
        if level == KERN_CONT {
            if let Some(last) = buf.records.back_mut() {
                last.text.push_str(text.trim_end_matches('\n'));
                if show(last.level) {
                    out.push_str(text);
                }
                buf.bytes += text.len();
                drop(buf);
                self.write_console(&out);
                return;
            }
        }
        let level = if level == KERN_CONT { KERN_INFO } else { level };
        let body = text.strip_suffix('\n').unwrap_or(text);
        for line in body.split('\n') {
            let rec = Record {
                seq: buf.next_seq,
                ts_nsec,
                level,
                text: line.to_string(),
            };
            buf.next_seq += 1;
            buf.bytes += line.len();
            if show(level) {
                let _ = writeln!(out, "{}", rec.format());
            }
            buf.records.push_back(rec);
        }
        while buf.bytes > self.log_buf_len {
            match buf.records.pop_front() {
                Some(r) => buf.bytes -= r.text.len(),
                None => break,
            }
        }
        drop(buf);
        self.write_console(&out);
    }

    fn write_console(&self, s: &str) {
        if s.is_empty() {
            return;
        }
        match &*self.console.lock() {
            Console::Stdout => {
                let mut o = std::io::stdout().lock();
                let _ = o.write_all(s.as_bytes());
                let _ = o.flush();
            }
            Console::Silent => {}
            Console::Capture(c) => c.lock().push_str(s),
        }
    }

    /// All records still in the buffer.
    pub fn records(&self) -> Vec<Record> {
        self.buf.lock().records.iter().cloned().collect()
    }

    /// `dmesg`: the buffer, one formatted record per line.
    pub fn dmesg(&self) -> String {
        self.format_from(0)
    }

    /// What `syslog(SYSLOG_ACTION_READ_ALL)` shows: the records after the
    /// last `SYSLOG_ACTION_CLEAR`.
    pub fn syslog_text(&self) -> String {
        self.format_from(self.clear_seq.load(Ordering::Acquire))
    }

    fn format_from(&self, seq: u64) -> String {
        let mut s = String::new();
        for r in self.buf.lock().records.iter().filter(|r| r.seq >= seq) {
            let _ = writeln!(s, "{}", r.format());
        }
        s
    }

    /// `SYSLOG_ACTION_CLEAR`: hide everything logged so far from syslog
    /// readers (the buffer itself keeps it, as Linux's does).
    pub fn syslog_clear(&self) {
        let next = self.buf.lock().next_seq;
        self.clear_seq.store(next, Ordering::Release);
    }

    /// `SYSLOG_ACTION_CONSOLE_OFF` / `_ON`: silence the console (all but
    /// emergencies) and bring the previous level back.
    pub fn console_off(&self) {
        let old = self.console_loglevel.swap(1, Ordering::AcqRel);
        let _ = self.saved_console_loglevel.compare_exchange(
            0,
            old,
            Ordering::AcqRel,
            Ordering::Relaxed,
        );
    }

    pub fn console_on(&self) {
        let saved = self.saved_console_loglevel.swap(0, Ordering::AcqRel);
        if saved != 0 {
            self.console_loglevel.store(saved, Ordering::Release);
        }
    }
}

/// Back end of the printk macros.
pub fn vprintk(level: u8, args: std::fmt::Arguments<'_>) {
    let text = std::fmt::format(args);
    let kp = crate::kernel::sched::current::kernel_ptr();
    if kp.is_null() {
        // Not on a kernel thread (a host test or the CLI): stderr.
        eprint!("{text}");
        return;
    }
    // SAFETY: non-null kernel pointer of a live task thread (see current.rs).
    let k: &Kernel = unsafe { &*kp };
    k.printk.emit(k.clock.now_ns(), level, &text);
}

#[macro_export]
macro_rules! printk {
    ($lvl:expr, $($arg:tt)*) => { $crate::kernel::printk::vprintk($lvl, format_args!($($arg)*)) };
}
#[macro_export]
macro_rules! pr_emerg { ($($arg:tt)*) => { $crate::printk!($crate::kernel::printk::KERN_EMERG, "{}\n", format_args!($($arg)*)) }; }
#[macro_export]
macro_rules! pr_alert { ($($arg:tt)*) => { $crate::printk!($crate::kernel::printk::KERN_ALERT, "{}\n", format_args!($($arg)*)) }; }
#[macro_export]
macro_rules! pr_crit { ($($arg:tt)*) => { $crate::printk!($crate::kernel::printk::KERN_CRIT, "{}\n", format_args!($($arg)*)) }; }
#[macro_export]
macro_rules! pr_err { ($($arg:tt)*) => { $crate::printk!($crate::kernel::printk::KERN_ERR, "{}\n", format_args!($($arg)*)) }; }
#[macro_export]
macro_rules! pr_warn { ($($arg:tt)*) => { $crate::printk!($crate::kernel::printk::KERN_WARNING, "{}\n", format_args!($($arg)*)) }; }
#[macro_export]
macro_rules! pr_notice { ($($arg:tt)*) => { $crate::printk!($crate::kernel::printk::KERN_NOTICE, "{}\n", format_args!($($arg)*)) }; }
#[macro_export]
macro_rules! pr_info { ($($arg:tt)*) => { $crate::printk!($crate::kernel::printk::KERN_INFO, "{}\n", format_args!($($arg)*)) }; }
#[macro_export]
macro_rules! pr_debug { ($($arg:tt)*) => { $crate::printk!($crate::kernel::printk::KERN_DEBUG, "{}\n", format_args!($($arg)*)) }; }
/// `pr_cont`: append to the previous record (no newline added).
#[macro_export]
macro_rules! pr_cont { ($($arg:tt)*) => { $crate::printk!($crate::kernel::printk::KERN_CONT, $($arg)*) }; }

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_split_lines_and_console_filters_levels() {
        let cap = Arc::new(Mutex::new(String::new()));
        let p = Printk::new(Console::Capture(cap.clone()), 7, DEFAULT_LOG_BUF_LEN);
        p.emit(1_500_000, KERN_INFO, "hello\nworld\n");
        p.emit(2_000_000, KERN_DEBUG, "hidden\n");
        p.emit(2_000_000, KERN_CONT, " more");
        assert_eq!(p.records().len(), 3);
        assert_eq!(p.records()[2].text, "hidden more");
        assert_eq!(*cap.lock(), "[    0.001500] hello\n[    0.001500] world\n");
        assert!(p.dmesg().contains("[    0.002000] hidden more"));
    }

    #[test]
    fn buffer_keeps_only_the_newest_bytes() {
        let p = Printk::new(Console::Silent, 7, 100);
        for i in 0..100 {
            p.emit(i, KERN_INFO, &format!("message number {i:04}\n"));
        }
        let r = p.records();
        assert!(r.len() <= 6);
        assert_eq!(r.last().unwrap().text, "message number 0099");
        assert_eq!(r.last().unwrap().seq, 99);
    }
}
