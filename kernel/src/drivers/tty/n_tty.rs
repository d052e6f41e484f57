//! N_TTY, the default line discipline (`drivers/tty/n_tty.c`).
//!
//! Input arrives from the driver (`receive_buf`, usually in hardirq
//! context) and is processed by the termios flags: `ISTRIP`, `IGNCR`,
//! `ICRNL`, `INLCR`; with `ISIG` the `VINTR`/`VQUIT`/`VSUSP` characters
//! become SIGINT/SIGQUIT/SIGTSTP for the foreground process group
//! (flushing pending input unless `NOFLSH`); with `ICANON` input is
//! edited a line at a time (`VERASE` erases a character, `VWERASE` a
//! word, `VKILL` the line, `VEOF` ends the line without a newline — on an
//! empty line that is end of file) and a reader gets at most one line per
//! read; without `ICANON` bytes are available at once and `VMIN`/`VTIME`
//! decide how long a read waits. Echo follows `ECHO`, `ECHOE`, `ECHOK`,
//! `ECHOKE`, `ECHONL` and `ECHOCTL` (control characters shown as `^X`).
//! Output goes through `OPOST` processing (`ONLCR`, `OCRNL`).
//!
//! Locking: the ldisc state is under a spinlock taken with interrupts
//! saved (the receive path runs in the interrupt handler); echo output and
//! signal delivery happen after it is released. Readers sleep on
//! `read_wait`; every change that can satisfy one wakes it.

use std::collections::VecDeque;
use uapi::signal::{SIGINT, SIGQUIT, SIGTSTP};
use uapi::termios::*;

/// `N_TTY_BUF_SIZE`: most bytes the ldisc holds.
pub const N_TTY_BUF_SIZE: usize = 4096;

/// Ldisc state (`struct n_tty_data`).
#[derive(Default)]
pub struct NTtyData {
    /// Canonical mode: finished lines (a line ended by VEOF has no
    /// terminator; an empty one is end of file).
    pub lines: VecDeque<Vec<u8>>,
    /// Canonical mode: the line being edited, with each char's echo width.
    pub line: Vec<(u8, u8)>,
    /// Non-canonical mode: bytes available to read.
    pub raw: VecDeque<u8>,
    /// The driver's other side is gone: reads see end of file once
    /// everything buffered is consumed.
    pub input_eof: bool,
}

/// What processing one input chunk produced, applied after the lock.
#[derive(Default, Debug)]
pub struct ReceiveResult {
    pub echo: Vec<u8>,
    pub signals: Vec<i32>,
    pub wake: bool,
}

#[inline]
fn is_cc(t: &Termios, idx: usize, c: u8) -> bool {
    // _POSIX_VDISABLE is 0.
    t.c_cc[idx] != 0 && t.c_cc[idx] == c
}

/// How a character is echoed (`echo_char`): control characters other
/// than TAB and NL as `^X` under ECHOCTL.
fn echo_repr(t: &Termios, c: u8, out: &mut Vec<u8>) -> u8 {
    if t.c_lflag & ECHOCTL != 0 && (c < 0x20 || c == 0x7f) && c != b'\t' && c != b'\n' {
        out.push(b'^');
        out.push(c ^ 0x40);
        2
    } else {
        out.push(c);
        1
    }
}

impl NTtyData {
    /// Bytes a read could return now.
    pub fn available(&self, t: &Termios) -> usize {
        if t.c_lflag & ICANON != 0 {
            self.lines.iter().map(|l| l.len()).sum()
        } else {
            self.raw.len()
        }
    }

    /// A read would not block (`input_available_p`).
    pub fn readable(&self, t: &Termios) -> bool {
        if t.c_lflag & ICANON != 0 {
            !self.lines.is_empty() || self.input_eof
        } else {
            let min = (t.c_cc[VMIN] as usize).max(1);
            self.raw.len() >= min || self.input_eof
        }
    }

    /// The peer is gone: the line being edited becomes readable as is,
    /// then reads see end of file.
    pub fn set_input_eof(&mut self) {
        if !self.line.is_empty() {
            let line: Vec<u8> = self.line.drain(..).map(|(c, _)| c).collect();
            self.lines.push_back(line);
        }
        self.input_eof = true;
    }

    /// `n_tty_flush_buffer`: drop all pending input.
    pub fn flush(&mut self) {
        self.lines.clear();
        self.line.clear();
        self.raw.clear();
    }

    fn held(&self) -> usize {
        self.lines.iter().map(|l| l.len() + 1).sum::<usize>() + self.line.len() + self.raw.len()
    }

    /// Erase one character of the edited line, echoing the erase.
    fn erase_one(&mut self, t: &Termios, echo: &mut Vec<u8>) -> Option<u8> {
        let (c, w) = self.line.pop()?;
        if t.c_lflag & ECHO != 0 && t.c_lflag & ECHOE != 0 {
            for _ in 0..w {
                echo.extend_from_slice(b"\x08 \x08");
            }
        }
        Some(c)
    }

    /// `n_tty_set_termios`: switching ICANON off makes the edited line
    /// and finished lines readable at once; switching it on turns what is
    /// pending into one line.
    pub fn set_termios(&mut self, old: &Termios, new: &Termios) {
        let was = old.c_lflag & ICANON != 0;
        let is = new.c_lflag & ICANON != 0;
        if was && !is {
            for l in self.lines.drain(..) {
                self.raw.extend(l);
            }
            self.raw.extend(self.line.drain(..).map(|(c, _)| c));
        } else if !was && is && !self.raw.is_empty() {
            let pending: Vec<u8> = self.raw.drain(..).collect();
            self.line = pending.into_iter().map(|c| (c, 1)).collect();
        }
    }

    /// `n_tty_receive_buf`: process input bytes.
    pub fn receive(&mut self, t: &Termios, bytes: &[u8]) -> ReceiveResult {
        let mut r = ReceiveResult::default();
        let lflag = t.c_lflag;
        let echo_on = lflag & ECHO != 0;
        for &b in bytes {
            let mut c = b;
            if t.c_iflag & ISTRIP != 0 {
                c &= 0x7f;
            }
            if c == b'\r' {
                if t.c_iflag & IGNCR != 0 {
                    continue;
                }
                if t.c_iflag & ICRNL != 0 {
                    c = b'\n';
                }
            } else if c == b'\n' && t.c_iflag & INLCR != 0 {
                c = b'\r';
            }
            if lflag & ISIG != 0 {
                let sig = if is_cc(t, VINTR, c) {
                    Some(SIGINT)
                } else if is_cc(t, VQUIT, c) {
                    Some(SIGQUIT)
                } else if is_cc(t, VSUSP, c) {
                    Some(SIGTSTP)
                } else {
                    None
                };
                if let Some(sig) = sig {
                    if lflag & NOFLSH == 0 {
                        self.flush();
                    }
                    if echo_on {
                        echo_repr(t, c, &mut r.echo);
                    }
                    r.signals.push(sig);
                    r.wake = true;
                    continue;
                }
            }
            if lflag & ICANON != 0 {
                if is_cc(t, VERASE, c) {
                    self.erase_one(t, &mut r.echo);
                    continue;
                }
                if lflag & IEXTEN != 0 && is_cc(t, VWERASE, c) {
                    while self
                        .line
                        .last()
                        .is_some_and(|&(x, _)| x == b' ' || x == b'\t')
                    {
                        self.erase_one(t, &mut r.echo);
                    }
                    while self
                        .line
                        .last()
                        .is_some_and(|&(x, _)| x != b' ' && x != b'\t')
                    {
                        self.erase_one(t, &mut r.echo);
                    }
                    continue;
                }
                if is_cc(t, VKILL, c) {
                    if echo_on && lflag & ECHOKE != 0 && lflag & ECHOE != 0 {
                        while self.erase_one(t, &mut r.echo).is_some() {}
                    } else {
                        self.line.clear();
                        if echo_on {
                            echo_repr(t, c, &mut r.echo);
                            if lflag & ECHOK != 0 {
                                r.echo.push(b'\n');
                            }
                        }
                    }
                    continue;
                }
                if is_cc(t, VEOF, c) {
                    let line: Vec<u8> = self.line.drain(..).map(|(x, _)| x).collect();
                    self.lines.push_back(line);
                    r.wake = true;
                    continue;
                }
                let eol =
                    c == b'\n' || is_cc(t, VEOL, c) || (lflag & IEXTEN != 0 && is_cc(t, VEOL2, c));
                if !eol && self.held() >= N_TTY_BUF_SIZE - 1 {
                    // Line full: only a line end still fits (the bell).
                    if echo_on {
                        r.echo.push(0x07);
                    }
                    continue;
                }
                if eol {
                    if echo_on || (c == b'\n' && lflag & ECHONL != 0) {
                        r.echo.push(c);
                    }
                    let mut line: Vec<u8> = self.line.drain(..).map(|(x, _)| x).collect();
                    line.push(c);
                    self.lines.push_back(line);
                    r.wake = true;
                    continue;
                }
                let w = if echo_on {
                    echo_repr(t, c, &mut r.echo)
                } else {
                    1
                };
                self.line.push((c, w));
            } else {
                if self.raw.len() >= N_TTY_BUF_SIZE {
                    continue;
                }
                if echo_on {
                    echo_repr(t, c, &mut r.echo);
                } else if c == b'\n' && lflag & ECHONL != 0 {
                    r.echo.push(c);
                }
                self.raw.push_back(c);
                r.wake = true;
            }
        }
        r
    }

    /// Take up to `max` bytes a read may return now. `None`: nothing
    /// (the reader must wait); `Some(empty)`: end of file.
    pub fn take(&mut self, t: &Termios, max: usize, min_raw: usize) -> Option<Vec<u8>> {
        if t.c_lflag & ICANON != 0 {
            if self.lines.is_empty() && self.input_eof {
                return Some(Vec::new());
            }
            let line = self.lines.front_mut()?;
            if line.is_empty() {
                self.lines.pop_front();
                return Some(Vec::new());
            }
            let n = max.min(line.len());
            let out: Vec<u8> = line.drain(..n).collect();
            if line.is_empty() {
                self.lines.pop_front();
            }
            return Some(out);
        }
        if self.raw.is_empty() {
            return if self.input_eof {
                Some(Vec::new())
            } else {
                None
            };
        }
        if self.raw.len() < min_raw && !self.input_eof {
            return None;
        }
        let n = max.min(self.raw.len());
        Some(self.raw.drain(..n).collect())
    }
}

/// `process_output`/`do_output_char`: OPOST translation.
pub fn process_output(t: &Termios, buf: &[u8]) -> Vec<u8> {
    if t.c_oflag & OPOST == 0 {
        return buf.to_vec();
    }
    let mut out = Vec::with_capacity(buf.len() + buf.len() / 8);
    for &c in buf {
        match c {
            b'\n' if t.c_oflag & ONLCR != 0 => out.extend_from_slice(b"\r\n"),
            b'\r' if t.c_oflag & OCRNL != 0 => out.push(b'\n'),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn std() -> Termios {
        TTY_STD_TERMIOS
    }

    #[test]
    fn canonical_editing_and_echo() {
        let t = std();
        let mut d = NTtyData::default();
        let r = d.receive(&t, b"lx\x7fs -l\r");
        assert_eq!(r.echo, b"lx\x08 \x08s -l\n");
        assert_eq!(d.take(&t, 100, 1), Some(b"ls -l\n".to_vec()));
        assert_eq!(d.take(&t, 100, 1), None);
        // ^U kills the line (ECHOKE: erased visually), ^W a word.
        let r = d.receive(&t, b"abc def\x17\x15xy\n");
        assert!(r.echo.ends_with(b"xy\n"));
        assert_eq!(d.take(&t, 100, 1), Some(b"xy\n".to_vec()));
        // A control char echoes as ^X and erases two columns.
        let r = d.receive(&t, b"\x01\x7f");
        assert_eq!(r.echo, b"^A\x08 \x08\x08 \x08");
        // ^D: pushes a partial line, then end of file on an empty one.
        d.receive(&t, b"ab\x04\x04");
        assert_eq!(d.take(&t, 100, 1), Some(b"ab".to_vec()));
        assert_eq!(d.take(&t, 100, 1), Some(vec![]));
        // Reads never cross a line.
        d.receive(&t, b"one\ntwo\n");
        assert_eq!(d.take(&t, 2, 1), Some(b"on".to_vec()));
        assert_eq!(d.take(&t, 100, 1), Some(b"e\n".to_vec()));
        assert_eq!(d.take(&t, 100, 1), Some(b"two\n".to_vec()));
    }

    #[test]
    fn signals_flush_and_echo() {
        let t = std();
        let mut d = NTtyData::default();
        let r = d.receive(&t, b"partial\x03");
        assert_eq!(r.signals, vec![SIGINT]);
        assert!(r.echo.ends_with(b"^C"));
        assert!(d.line.is_empty(), "ISIG without NOFLSH flushes");
        let r = d.receive(&t, b"\x1a\x1c");
        assert_eq!(r.signals, vec![SIGTSTP, SIGQUIT]);
        let mut nf = t;
        nf.c_lflag |= NOFLSH;
        d.receive(&nf, b"keep\x03");
        assert_eq!(d.line.len(), 4);
        let mut nosig = t;
        nosig.c_lflag &= !ISIG;
        let r = d.receive(&nosig, b"\x03");
        assert!(r.signals.is_empty());
    }

    #[test]
    fn raw_mode_and_switching() {
        let t = std();
        let mut raw = t;
        raw.make_raw();
        let mut d = NTtyData::default();
        d.receive(&t, b"half");
        d.set_termios(&t, &raw);
        let r = d.receive(&raw, b"\x03\r\x7f");
        assert!(r.signals.is_empty() && r.echo.is_empty());
        assert_eq!(d.take(&raw, 100, 1), Some(b"half\x03\r\x7f".to_vec()));
        assert_eq!(d.take(&raw, 100, 1), None);
        d.receive(&raw, b"ab");
        assert_eq!(d.take(&raw, 100, 3), None, "VMIN 3 not reached");
        d.receive(&raw, b"c");
        assert_eq!(d.take(&raw, 100, 3), Some(b"abc".to_vec()));
        assert_eq!(process_output(&t, b"a\nb"), b"a\r\nb");
        assert_eq!(process_output(&raw, b"a\nb"), b"a\nb");
    }
}
