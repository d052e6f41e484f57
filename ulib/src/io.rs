//! stdio: line-buffered output to fd 1 and fd 2 through write(2), and the
//! `uprint!` family of macros.
//!
//! Invariants: a buffer is flushed at every newline, before fork/execve and
//! at exit; a write error (EPIPE, ...) drops the buffered bytes and is
//! remembered for [`stdout_error`]. A signal handler that prints while the
//! buffer is busy writes directly instead of re-borrowing.

use std::cell::RefCell;
use uapi::Errno;

#[derive(Default)]
struct Stream {
    buf: Vec<u8>,
    error: Option<Errno>,
}

thread_local! {
    static STREAMS: [RefCell<Stream>; 2] = [RefCell::new(Stream::default()), RefCell::new(Stream::default())];
}

fn flush_stream(fd: i32, s: &mut Stream) {
    if !s.buf.is_empty() {
        if let Err(e) = crate::sys::write_all(fd, &s.buf) {
            s.error = Some(e);
        }
        s.buf.clear();
    }
}

/// Append `bytes` to the buffer of `fd` (1 or 2; others are written
/// directly); flushes through the last newline.
pub fn write_buffered(fd: i32, bytes: &[u8]) {
    if !(1..=2).contains(&fd) {
        let _ = crate::sys::write_all(fd, bytes);
        return;
    }
    STREAMS.with(|ss| match ss[(fd - 1) as usize].try_borrow_mut() {
        Ok(mut s) => {
            s.buf.extend_from_slice(bytes);
            if bytes.contains(&b'\n') || s.buf.len() >= 8192 {
                flush_stream(fd, &mut s);
            }
        }
        Err(_) => {
            let _ = crate::sys::write_all(fd, bytes);
        }
    })
}

/// Flush stdout and stderr.
pub fn flush_all() {
    STREAMS.with(|ss| {
        for (i, s) in ss.iter().enumerate() {
            if let Ok(mut s) = s.try_borrow_mut() {
                flush_stream(i as i32 + 1, &mut s);
            }
        }
    })
}

/// Forget buffered output and errors (a fresh program after execve).
pub fn reset() {
    STREAMS.with(|ss| {
        for s in ss {
            if let Ok(mut s) = s.try_borrow_mut() {
                *s = Stream::default();
            }
        }
    })
}

/// The first write error on stdout, if any (e.g. EPIPE).
pub fn stdout_error() -> Option<Errno> {
    STREAMS.with(|ss| ss[0].borrow().error)
}

/// A `fmt::Write` sink for a file descriptor, used by the macros.
pub struct Fd(pub i32);

impl std::fmt::Write for Fd {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        write_buffered(self.0, s.as_bytes());
        Ok(())
    }
}

/// Print to stdout (fd 1).
#[macro_export]
macro_rules! uprint {
    ($($arg:tt)*) => {{
        use ::std::fmt::Write as _;
        let _ = ::std::write!($crate::io::Fd(1), $($arg)*);
    }};
}

/// Print a line to stdout (fd 1).
#[macro_export]
macro_rules! uprintln {
    () => { $crate::io::write_buffered(1, b"\n") };
    ($($arg:tt)*) => {{
        use ::std::fmt::Write as _;
        let _ = ::std::writeln!($crate::io::Fd(1), $($arg)*);
    }};
}

/// Print to stderr (fd 2).
#[macro_export]
macro_rules! ueprint {
    ($($arg:tt)*) => {{
        use ::std::fmt::Write as _;
        let _ = ::std::write!($crate::io::Fd(2), $($arg)*);
    }};
}

/// Print a line to stderr (fd 2).
#[macro_export]
macro_rules! ueprintln {
    () => { $crate::io::write_buffered(2, b"\n") };
    ($($arg:tt)*) => {{
        use ::std::fmt::Write as _;
        let _ = ::std::writeln!($crate::io::Fd(2), $($arg)*);
    }};
}
