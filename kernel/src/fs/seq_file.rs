//! seq_file: how /proc files produce their text.
//!
//! A file is described by a `SeqOperations<T>` table — `start`, `next`,
//! `stop`, `show` — walked exactly like Linux's `seq_read()`: `start` at a
//! position, `show` each record, `next` to advance, `stop` at the end.
//!
//! Seed 004, "Const seq_operations": tables are registered as
//! `&'static SeqOperations<T>`. A shared `'static` reference to a struct of
//! plain `fn` pointers with no interior mutability can never be written
//! through — there is no `&mut` path to it anywhere, the compiler places a
//! `static` of it in read-only memory, and no API in this crate accepts a
//! mutable table. What James Morris's patch made a convention in C is here
//! a property of the types.

use std::any::Any;
use std::fmt;
use std::sync::Arc;

/// The output buffer and context of one read (`struct seq_file`).
pub struct SeqFile {
    buf: String,
    /// `m->private`: what the opener attached (e.g. the task of /proc/<pid>).
    pub private: Option<Arc<dyn Any + Send + Sync>>,
}

impl SeqFile {
    pub fn new(private: Option<Arc<dyn Any + Send + Sync>>) -> Self {
        SeqFile {
            buf: String::new(),
            private,
        }
    }

    /// `m->private` downcast to what the file was opened with.
    pub fn private<T: Any + Send + Sync>(&self) -> Option<&T> {
        self.private.as_deref().and_then(|p| p.downcast_ref::<T>())
    }

    /// `seq_puts`.
    pub fn puts(&mut self, s: &str) {
        self.buf.push_str(s);
    }

    pub fn into_string(self) -> String {
        self.buf
    }
}

impl fmt::Write for SeqFile {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.buf.push_str(s);
        Ok(())
    }
}

/// `struct seq_operations`, iterating over records of type `T`.
pub struct SeqOperations<T: 'static> {
    pub start: fn(&mut SeqFile, u64) -> Option<T>,
    pub next: fn(&mut SeqFile, T, &mut u64) -> Option<T>,
    pub stop: fn(&mut SeqFile),
    pub show: fn(&mut SeqFile, &T) -> fmt::Result,
}

/// What a registered file renders through; implemented only for `'static`
/// tables and single-show functions.
pub trait SeqSource: Sync {
    fn render(&'static self, m: &mut SeqFile) -> fmt::Result;
}

impl<T: 'static> SeqSource for SeqOperations<T> {
    /// `seq_read()`: walk the whole sequence.
    fn render(&'static self, m: &mut SeqFile) -> fmt::Result {
        let mut pos = 0u64;
        let mut cur = (self.start)(m, pos);
        while let Some(v) = cur {
            (self.show)(m, &v)?;
            cur = (self.next)(m, v, &mut pos);
        }
        (self.stop)(m);
        Ok(())
    }
}

/// `single_open()`: a file with one `show` function.
pub type ShowFn = fn(&mut SeqFile) -> fmt::Result;

/// Produce the whole text of a file.
pub fn seq_read(
    src: &'static dyn SeqSource,
    private: Option<Arc<dyn Any + Send + Sync>>,
) -> String {
    let mut m = SeqFile::new(private);
    // A show function only fails on a formatting error, which for String
    // output cannot happen; keep what was produced either way.
    let _ = src.render(&mut m);
    m.into_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fmt::Write;

    fn start(_: &mut SeqFile, pos: u64) -> Option<u64> {
        (pos < 3).then_some(pos)
    }
    fn next(_: &mut SeqFile, _v: u64, pos: &mut u64) -> Option<u64> {
        *pos += 1;
        (*pos < 3).then_some(*pos)
    }
    fn stop(m: &mut SeqFile) {
        m.puts("end\n");
    }
    fn show(m: &mut SeqFile, v: &u64) -> fmt::Result {
        writeln!(m, "record {v}")
    }

    static OPS: SeqOperations<u64> = SeqOperations {
        start,
        next,
        stop,
        show,
    };

    #[test]
    fn seq_read_walks_start_show_next_stop() {
        assert_eq!(seq_read(&OPS, None), "record 0\nrecord 1\nrecord 2\nend\n");
    }
}
