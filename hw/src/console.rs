//! The console device: a UART-like serial port between the simulated
//! machine and the host terminal.
//!
//! Receive side: a host thread reads the host's standard input into an
//! rx FIFO and raises the device's interrupt line; the driver's handler
//! drains the FIFO (`read_rx`, the RBR register). When the host input
//! ends, the device latches "carrier lost" (`rx_eof`) and raises the line
//! once more. When standard input is a terminal the device puts it in raw
//! mode (no host echo, no host line editing: that is the guest's n_tty's
//! job) and restores it at shutdown; otherwise it reads a plain stream.
//! Transmit side: `write_tx` writes to the host's standard output.
//!
//! Backends: `Host` (stdin/stdout), `Memory` (tests type with
//! [`MemoryConsole::type_input`] and read what the guest printed), and
//! `Null` (no input, output discarded).
//!
//! Invariants: bytes enter the FIFO before the line is raised, so a
//! handler that runs after the interrupt finds them; the reader thread
//! polls its stop flag at least every 50 ms, so `shutdown` always joins
//! it (no thread outlives the machine), and the host terminal mode is
//! restored exactly once.

use crate::irqchip::InterruptController;
use parking_lot::Mutex;
use std::collections::VecDeque;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// The COM1 interrupt line.
pub const CONSOLE_IRQ: usize = 4;
/// Size of the receive FIFO; bytes beyond it are dropped (overrun).
pub const RX_FIFO_SIZE: usize = 1 << 16;

/// A console that lives in memory (tests).
#[derive(Default)]
pub struct MemoryConsole {
    output: Mutex<Vec<u8>>,
    device: Mutex<Option<std::sync::Weak<ConsoleDevice>>>,
}

impl MemoryConsole {
    pub fn new() -> Arc<Self> {
        Arc::new(Self::default())
    }

    /// Everything the guest transmitted so far.
    pub fn output(&self) -> Vec<u8> {
        self.output.lock().clone()
    }

    /// Forget the output so far; return it.
    pub fn take_output(&self) -> Vec<u8> {
        std::mem::take(&mut *self.output.lock())
    }

    /// Bytes arrive on the line, as if typed.
    pub fn type_input(&self, bytes: &[u8]) {
        if let Some(d) = self.device.lock().as_ref().and_then(|w| w.upgrade()) {
            d.receive(bytes);
        }
    }

    /// The other side hangs up (end of input).
    pub fn hang_up(&self) {
        if let Some(d) = self.device.lock().as_ref().and_then(|w| w.upgrade()) {
            d.receive_eof();
        }
    }
}

/// Where the console is connected.
#[derive(Clone, Default)]
pub enum ConsoleBackend {
    /// Nothing: no input, output discarded.
    #[default]
    Null,
    /// The host's stdin and stdout.
    Host,
    /// Arbitrary host descriptors (a pipe, a socket, a pty): received
    /// bytes are read from `rx`, transmitted ones written to `tx`. Never
    /// switched to raw mode.
    HostFds { rx: i32, tx: i32 },
    /// An in-memory line.
    Memory(Arc<MemoryConsole>),
}

pub struct ConsoleDevice {
    backend: ConsoleBackend,
    irqchip: Arc<InterruptController>,
    irq: usize,
    rx: Mutex<VecDeque<u8>>,
    rx_eof: AtomicBool,
    /// Bytes lost to a full FIFO.
    pub overruns: std::sync::atomic::AtomicU64,
    stop: Arc<AtomicBool>,
    thread: Mutex<Option<JoinHandle<()>>>,
    host_tty: Mutex<Option<HostTermios>>,
}

impl ConsoleDevice {
    pub fn new(
        backend: ConsoleBackend,
        irqchip: Arc<InterruptController>,
        irq: usize,
    ) -> Arc<Self> {
        let d = Arc::new(ConsoleDevice {
            backend,
            irqchip,
            irq,
            rx: Mutex::new(VecDeque::new()),
            rx_eof: AtomicBool::new(false),
            overruns: std::sync::atomic::AtomicU64::new(0),
            stop: Arc::new(AtomicBool::new(false)),
            thread: Mutex::new(None),
            host_tty: Mutex::new(None),
        });
        if let ConsoleBackend::Memory(m) = &d.backend {
            *m.device.lock() = Some(Arc::downgrade(&d));
        }
        d
    }

    pub fn irq(&self) -> usize {
        self.irq
    }

    /// Whether the host side is an interactive terminal.
    pub fn is_terminal(&self) -> bool {
        matches!(self.backend, ConsoleBackend::Host) && host_isatty(0)
    }

    /// Start receiving (the host reader thread for the `Host` backend).
    pub fn start(self: &Arc<Self>) {
        let fd = match self.backend {
            ConsoleBackend::Host => {
                if host_isatty(0) {
                    *self.host_tty.lock() = HostTermios::make_raw(0);
                }
                0
            }
            ConsoleBackend::HostFds { rx, .. } => rx,
            _ => return,
        };
        if self.thread.lock().is_some() {
            return;
        }
        let me = Arc::downgrade(self);
        let stop = Arc::clone(&self.stop);
        let h = std::thread::Builder::new()
            .name("usk-console-rx".into())
            .spawn(move || host_reader(fd, me, stop))
            .expect("spawn console reader");
        *self.thread.lock() = Some(h);
    }

    /// Bytes arrived on the line: FIFO, then interrupt.
    pub fn receive(&self, bytes: &[u8]) {
        {
            let mut rx = self.rx.lock();
            let room = RX_FIFO_SIZE.saturating_sub(rx.len());
            let n = bytes.len().min(room);
            rx.extend(&bytes[..n]);
            if n < bytes.len() {
                self.overruns
                    .fetch_add((bytes.len() - n) as u64, Ordering::Relaxed);
            }
        }
        self.irqchip.raise(self.irq);
    }

    /// The line's other end is gone.
    pub fn receive_eof(&self) {
        self.rx_eof.store(true, Ordering::Release);
        self.irqchip.raise(self.irq);
    }

    /// Drain up to `buf.len()` received bytes (reading RBR until LSR.DR
    /// clears).
    pub fn read_rx(&self, buf: &mut [u8]) -> usize {
        let mut rx = self.rx.lock();
        let n = buf.len().min(rx.len());
        for (i, b) in rx.drain(..n).enumerate() {
            buf[i] = b;
        }
        n
    }

    /// Input ended and the FIFO is empty.
    pub fn rx_eof(&self) -> bool {
        self.rx_eof.load(Ordering::Acquire) && self.rx.lock().is_empty()
    }

    /// Transmit.
    pub fn write_tx(&self, bytes: &[u8]) {
        match &self.backend {
            ConsoleBackend::Null => {}
            ConsoleBackend::Memory(m) => m.output.lock().extend_from_slice(bytes),
            ConsoleBackend::Host => {
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(bytes);
                let _ = out.flush();
            }
            ConsoleBackend::HostFds { tx, .. } => host_write_all(*tx, bytes),
        }
    }

    /// Stop the reader thread, join it, restore the host terminal.
    pub fn shutdown(&self) {
        self.stop.store(true, Ordering::Release);
        let h = self.thread.lock().take();
        if let Some(h) = h {
            let _ = h.join();
        }
        if let Some(t) = self.host_tty.lock().take() {
            t.restore();
        }
    }
}

impl Drop for ConsoleDevice {
    fn drop(&mut self) {
        self.shutdown();
    }
}

fn host_reader(fd: i32, dev: std::sync::Weak<ConsoleDevice>, stop: Arc<AtomicBool>) {
    let mut buf = [0u8; 4096];
    while !stop.load(Ordering::Acquire) {
        match host_poll_read(fd, &mut buf, 50) {
            HostRead::Timeout => continue,
            HostRead::Data(n) => match dev.upgrade() {
                Some(d) => d.receive(&buf[..n]),
                None => return,
            },
            HostRead::Eof => {
                if let Some(d) = dev.upgrade() {
                    d.receive_eof();
                }
                return;
            }
        }
    }
}

enum HostRead {
    Timeout,
    Data(usize),
    Eof,
}

fn host_write_all(fd: i32, mut bytes: &[u8]) {
    while !bytes.is_empty() {
        // SAFETY: `bytes` is readable for `bytes.len()` bytes.
        let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
        if n <= 0 {
            if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            return;
        }
        bytes = &bytes[n as usize..];
    }
}

fn host_isatty(fd: i32) -> bool {
    // SAFETY: isatty only inspects the descriptor number.
    unsafe { libc::isatty(fd) == 1 }
}

/// Wait up to `timeout_ms` for `fd` to be readable, then read.
fn host_poll_read(fd: i32, buf: &mut [u8], timeout_ms: i32) -> HostRead {
    let mut pfd = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: `pfd` is a valid pollfd array of length 1 for the duration
    // of the call.
    let r = unsafe { libc::poll(&mut pfd, 1, timeout_ms) };
    if r == 0 {
        return HostRead::Timeout;
    }
    if r < 0 {
        let e = std::io::Error::last_os_error();
        return if e.kind() == std::io::ErrorKind::Interrupted {
            HostRead::Timeout
        } else {
            HostRead::Eof
        };
    }
    // SAFETY: `buf` is writable for `buf.len()` bytes.
    let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    match n {
        n if n > 0 => HostRead::Data(n as usize),
        0 => HostRead::Eof,
        _ => {
            let e = std::io::Error::last_os_error();
            if matches!(
                e.kind(),
                std::io::ErrorKind::Interrupted | std::io::ErrorKind::WouldBlock
            ) {
                HostRead::Timeout
            } else {
                HostRead::Eof
            }
        }
    }
}

/// The host terminal's settings, saved to be restored.
struct HostTermios {
    fd: i32,
    saved: libc::termios,
}

impl HostTermios {
    /// Save the settings of `fd` and switch it to raw mode
    /// (`cfmakeraw`): the guest's line discipline does echo and editing.
    fn make_raw(fd: i32) -> Option<HostTermios> {
        // SAFETY: termios is plain old data; all-zero is a valid value
        // that tcgetattr overwrites.
        let mut t: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: `t` is a valid, writable termios.
        if unsafe { libc::tcgetattr(fd, &mut t) } != 0 {
            return None;
        }
        let saved = t;
        // SAFETY: `t` is a valid termios obtained from tcgetattr.
        unsafe { libc::cfmakeraw(&mut t) };
        // SAFETY: `t` is a valid termios.
        if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &t) } != 0 {
            return None;
        }
        Some(HostTermios { fd, saved })
    }

    fn restore(&self) {
        // SAFETY: `saved` is the termios tcgetattr returned for this fd.
        unsafe {
            libc::tcsetattr(self.fd, libc::TCSANOW, &self.saved);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_backend_fifo_irq_and_eof() {
        let ic = Arc::new(InterruptController::new(1));
        let mem = MemoryConsole::new();
        let dev = ConsoleDevice::new(ConsoleBackend::Memory(Arc::clone(&mem)), Arc::clone(&ic), 4);
        dev.start();
        mem.type_input(b"ls\r");
        assert_eq!(ic.ack_pending(0).lines, 1 << 4);
        let mut b = [0u8; 2];
        assert_eq!(dev.read_rx(&mut b), 2);
        assert_eq!(&b, b"ls");
        assert!(!dev.rx_eof());
        mem.hang_up();
        assert!(!dev.rx_eof(), "EOF only once the FIFO is drained");
        assert_eq!(dev.read_rx(&mut b), 1);
        assert!(dev.rx_eof());
        dev.write_tx(b"out");
        assert_eq!(mem.output(), b"out");
        dev.shutdown();
    }

    fn host_pipe() -> (i32, i32) {
        let mut fds = [0i32; 2];
        // SAFETY: `fds` has room for the two descriptors pipe() returns.
        assert_eq!(unsafe { libc::pipe(fds.as_mut_ptr()) }, 0);
        (fds[0], fds[1])
    }

    fn close(fd: i32) {
        // SAFETY: closing a descriptor this test owns.
        unsafe { libc::close(fd) };
    }

    fn wait_for(mut f: impl FnMut() -> bool) -> bool {
        for _ in 0..400 {
            if f() {
                return true;
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        false
    }

    #[test]
    fn host_reader_thread_receives_and_stops_on_shutdown() {
        let ic = Arc::new(InterruptController::new(1));
        let (in_r, in_w) = host_pipe();
        let (out_r, out_w) = host_pipe();
        let dev = ConsoleDevice::new(
            ConsoleBackend::HostFds {
                rx: in_r,
                tx: out_w,
            },
            Arc::clone(&ic),
            CONSOLE_IRQ,
        );
        assert!(!dev.is_terminal());
        dev.start();
        host_write_all(in_w, b"typed");
        assert!(wait_for(|| ic.has_pending(0)), "no interrupt");
        let mut b = [0u8; 16];
        let mut got = Vec::new();
        assert!(wait_for(|| {
            let n = dev.read_rx(&mut b);
            got.extend_from_slice(&b[..n]);
            got.len() == 5
        }));
        assert_eq!(got, b"typed");
        dev.write_tx(b"echo");
        let mut o = [0u8; 4];
        // SAFETY: `o` is writable for 4 bytes.
        assert_eq!(unsafe { libc::read(out_r, o.as_mut_ptr().cast(), 4) }, 4);
        assert_eq!(&o, b"echo");
        // The writer is still open: the reader thread is blocked in poll,
        // and shutdown still joins it promptly.
        let t0 = std::time::Instant::now();
        dev.shutdown();
        assert!(dev.thread.lock().is_none());
        assert!(t0.elapsed() < std::time::Duration::from_secs(2));
        for fd in [in_r, in_w, out_r, out_w] {
            close(fd);
        }
    }

    #[test]
    fn host_end_of_input_latches_eof() {
        let ic = Arc::new(InterruptController::new(1));
        let (in_r, in_w) = host_pipe();
        let dev = ConsoleDevice::new(
            ConsoleBackend::HostFds { rx: in_r, tx: -1 },
            Arc::clone(&ic),
            CONSOLE_IRQ,
        );
        dev.start();
        host_write_all(in_w, b"x");
        close(in_w);
        assert!(wait_for(|| dev.rx_eof.load(Ordering::Acquire)));
        let mut b = [0u8; 4];
        assert_eq!(dev.read_rx(&mut b), 1);
        assert!(dev.rx_eof());
        dev.shutdown();
        close(in_r);
    }
}
