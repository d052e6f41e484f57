//! The tty layer through the VFS: a serial line with an in-memory driver
//! (/dev/ttyS0) in canonical and raw mode, echo and line editing, ^D end
//! of file, TCGETS/TCSETS with Linux's struct termios, the job-control
//! signal hook, and the console (/dev/console) wired to the simulated
//! UART with a memory backend, input arriving by interrupt.

use kernel::drivers::tty::*;
use kernel::fs::ioctl::do_vfs_ioctl;
use kernel::fs::iov_iter::KernelUserMemory;
use kernel::fs::*;
use kernel::kernel::kthread::kthread_create_on_cpu;
use kernel::kernel::sched::completion::Completion;
use kernel::kernel::sched::wake_up_process;
use kernel::kernel::time::msleep;
use kernel::testing::{config, run};
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::sync::Arc;
use uapi::errno::*;
use uapi::fcntl::*;
use uapi::signal::*;
use uapi::termios::*;

/// A driver that records what the tty transmits.
#[derive(Default)]
struct MemLine(parking_lot::Mutex<Vec<u8>>);

impl TtyDriverOps for MemLine {
    fn write(&self, buf: &[u8]) -> usize {
        self.0.lock().extend_from_slice(buf);
        buf.len()
    }
    fn name(&self) -> &str {
        "ttyS"
    }
}

impl MemLine {
    fn take(&self) -> Vec<u8> {
        std::mem::take(&mut *self.0.lock())
    }
}

fn read_str(f: &File, n: usize) -> Result<String, Errno> {
    let mut b = vec![0u8; n];
    let k = kernel_read(f, &mut b)?;
    Ok(String::from_utf8_lossy(&b[..k]).into_owned())
}

/// A kthread running `f` on CPU 1 while the test goes on.
struct OnCpu1<R> {
    result: Arc<parking_lot::Mutex<Option<R>>>,
    done: Arc<Completion>,
}

impl<R> OnCpu1<R> {
    fn finished(&self) -> bool {
        self.result.lock().is_some()
    }

    /// Wait for the kthread and take what `f` returned.
    fn join(self) -> R {
        self.done.wait_for_completion();
        self.result.lock().take().unwrap()
    }
}

fn on_cpu1<R: Send + 'static>(name: &str, f: impl FnOnce() -> R + Send + 'static) -> OnCpu1<R> {
    let result = Arc::new(parking_lot::Mutex::new(None));
    let done = Arc::new(Completion::new());
    let (r2, d2) = (Arc::clone(&result), Arc::clone(&done));
    let t = kthread_create_on_cpu(
        move || {
            *r2.lock() = Some(f());
            d2.complete();
            0
        },
        1,
        name,
    );
    wake_up_process(&t);
    OnCpu1 { result, done }
}

/// (line, tty, its file on /dev/ttyS<n>)
fn serial() -> (Arc<MemLine>, Arc<TtyStruct>, Arc<File>) {
    let line = Arc::new(MemLine::default());
    let tty = tty_register(line.clone(), TTY_STD_TERMIOS).unwrap();
    let name = format!("/dev/ttyS{}", tty.index);
    vfs_mknod(&name, S_IFCHR | 0o620, makedev(4, 64 + tty.index)).unwrap();
    let f = vfs_open(&name, O_RDWR, 0).unwrap();
    (line, tty, f)
}

static HOOK_PGRP: AtomicI32 = AtomicI32::new(0);
static HOOK_SIG: AtomicI32 = AtomicI32::new(0);
static HOOK_CALLS: AtomicUsize = AtomicUsize::new(0);

fn hook(pgrp: i32, sig: i32) {
    HOOK_PGRP.store(pgrp, Ordering::SeqCst);
    HOOK_SIG.store(sig, Ordering::SeqCst);
    HOOK_CALLS.fetch_add(1, Ordering::SeqCst);
}

#[test]
fn canonical_mode_echo_editing_and_eof() {
    let (r, _) = run(config(2), || {
        let (line, tty, f) = serial();
        assert_eq!(vfs_llseek(&f, 0, SEEK_SET), Err(ESPIPE), "ttys are streams");
        tty.receive_buf(b"echo hu\x7f\x7fhi\r");
        let echo = line.take();
        let got = read_str(&f, 100).unwrap();
        // ^U kills, ^W erases a word.
        tty.receive_buf(b"junk\x15a b\x17c\n");
        line.take();
        let got2 = read_str(&f, 100).unwrap();
        // Output processing: \n becomes \r\n.
        kernel_write(&f, b"x\ny").unwrap();
        let out = line.take();
        // ^D: a partial line, then end of file.
        tty.receive_buf(b"abc\x04\x04");
        let p = read_str(&f, 100).unwrap();
        let eof = read_str(&f, 100).unwrap();
        // Nonblocking with nothing pending.
        files_nonblock(&f);
        let again = read_str(&f, 10).err();
        (echo, got, got2, out, p, eof, again)
    });
    assert_eq!(r.0, b"echo hu\x08 \x08\x08 \x08hi\r\n");
    assert_eq!(r.1, "echo hi\n");
    assert_eq!(r.2, "a c\n");
    assert_eq!(r.3, b"x\r\ny");
    assert_eq!(r.4, "abc");
    assert_eq!(r.5, "");
    assert_eq!(r.6, Some(EAGAIN));
}

fn files_nonblock(f: &File) {
    f.set_status_flags(f.flags() | O_NONBLOCK);
}

#[test]
fn termios_ioctls_raw_mode_and_vmin() {
    let (r, _) = run(config(2), || {
        let (line, tty, f) = serial();
        let mem = KernelUserMemory::new(0x10_000, 4096);
        let tio = 0x10_000u64;
        tty_ioctl_ok(&f, TCGETS, tio, &mem);
        let got = Termios::from_bytes(&mem.read(tio, 36).unwrap().try_into().unwrap());
        assert_eq!(got, TTY_STD_TERMIOS);
        // Raw mode through TCSETS (cfmakeraw).
        let mut raw = got;
        raw.make_raw();
        mem.write(tio, &raw.to_bytes()).unwrap();
        tty_ioctl_ok(&f, TCSETS, tio, &mem);
        assert_eq!(tty.termios(), raw);
        tty.receive_buf(b"a\x7f\x03\r");
        let echoed = line.take();
        let bytes = read_str(&f, 10).unwrap();
        // VMIN=3: a read waits for three bytes.
        raw.c_cc[VMIN] = 3;
        mem.write(tio, &raw.to_bytes()).unwrap();
        tty_ioctl_ok(&f, TCSETSW, tio, &mem);
        let f2 = Arc::clone(&f);
        let reader = on_cpu1("tty_reader", move || read_str(&f2, 10));
        tty.receive_buf(b"xy");
        msleep(20);
        let early = !reader.finished();
        tty.receive_buf(b"z");
        let vmin_read = reader.join();
        // VMIN=0, VTIME=0: poll, returns 0 at once.
        raw.c_cc[VMIN] = 0;
        mem.write(tio, &raw.to_bytes()).unwrap();
        tty_ioctl_ok(&f, TCSETS, tio, &mem);
        let poll0 = read_str(&f, 10).unwrap();
        // VMIN=0, VTIME=1: waits a tenth of a second, then 0.
        raw.c_cc[VTIME] = 1;
        mem.write(tio, &raw.to_bytes()).unwrap();
        tty_ioctl_ok(&f, TCSETS, tio, &mem);
        let timed = read_str(&f, 10).unwrap();
        // FIONREAD, TCFLSH, winsize, bad pointer, unknown ioctl.
        tty.receive_buf(b"12345");
        tty_ioctl_ok(&f, FIONREAD, tio, &mem);
        let nread = i32::from_ne_bytes(mem.read(tio, 4).unwrap().try_into().unwrap());
        tty_ioctl_ok(&f, TCFLSH, TCIFLUSH as u64, &mem);
        let flushed = tty.chars_in_buffer();
        tty_ioctl_ok(&f, TIOCGWINSZ, tio, &mem);
        let ws = Winsize::from_bytes(&mem.read(tio, 8).unwrap().try_into().unwrap());
        let efault = vfs_ioctl(&f, TCGETS, 0x99_0000, &mem).err();
        let enotty = vfs_ioctl(&f, 0x1234, 0, &mem).err();
        let null = vfs_open("/dev/null", O_RDWR, 0).unwrap();
        let null_tty = vfs_ioctl(&null, TCGETS, tio, &mem).err();
        // Back to canonical: pending raw bytes become the edited line.
        tty.receive_buf(b"par");
        mem.write(tio, &TTY_STD_TERMIOS.to_bytes()).unwrap();
        tty_ioctl_ok(&f, TCSETS, tio, &mem);
        tty.receive_buf(b"t\n");
        let canon = read_str(&f, 10).unwrap();
        (
            echoed, bytes, early, vmin_read, poll0, timed, nread, flushed, ws, efault, enotty,
            null_tty, canon,
        )
    });
    assert_eq!(r.0, b"", "raw mode does not echo");
    assert_eq!(r.1, "a\x7f\x03\r", "no editing, no signals, no CR mapping");
    assert!(r.2, "read returned before VMIN bytes");
    assert_eq!(r.3, Ok("xyz".to_string()));
    assert_eq!(r.4, "");
    assert_eq!(r.5, "");
    assert_eq!(r.6, 5);
    assert_eq!(r.7, 0);
    assert_eq!((r.8.ws_row, r.8.ws_col), (24, 80));
    assert_eq!(r.9, Some(EFAULT));
    assert_eq!(r.10, Some(ENOTTY));
    assert_eq!(r.11, Some(ENOTTY));
    assert_eq!(r.12, "part\n");
}

fn tty_ioctl_ok(f: &File, cmd: u32, arg: u64, mem: &KernelUserMemory) {
    assert_eq!(vfs_ioctl(f, cmd, arg, mem), Ok(0), "ioctl {cmd:#x}");
}

#[test]
fn isig_characters_call_the_signal_hook_for_the_foreground_pgrp() {
    let (r, _) = run(config(2), || {
        let (line, tty, f) = serial();
        let mem = KernelUserMemory::new(0x1000, 64);
        // No foreground group yet: counted, hook not called.
        tty_set_signal_hook(hook);
        tty.receive_buf(b"\x03");
        let before = HOOK_CALLS.load(Ordering::SeqCst);
        mem.write(0x1000, &42i32.to_ne_bytes()).unwrap();
        tty_ioctl_ok(&f, TIOCSPGRP, 0x1000, &mem);
        tty_ioctl_ok(&f, TIOCGPGRP, 0x1004, &mem);
        let pg = i32::from_ne_bytes(mem.read(0x1004, 4).unwrap().try_into().unwrap());
        let mut seen = Vec::new();
        for (c, _) in [(b'\x03', SIGINT), (b'\x1a', SIGTSTP), (b'\x1c', SIGQUIT)] {
            tty.receive_buf(b"typed");
            tty.receive_buf(&[c]);
            seen.push((
                HOOK_PGRP.load(Ordering::SeqCst),
                HOOK_SIG.load(Ordering::SeqCst),
            ));
        }
        let echo = String::from_utf8_lossy(&line.take()).into_owned();
        // The interrupted line was flushed: nothing to read.
        files_nonblock(&f);
        let pending = read_str(&f, 10).err();
        (
            before,
            pg,
            seen,
            echo,
            pending,
            tty.signals_sent.load(Ordering::SeqCst),
        )
    });
    assert_eq!(r.0, 0);
    assert_eq!(r.1, 42);
    assert_eq!(r.2, vec![(42, SIGINT), (42, SIGTSTP), (42, SIGQUIT)]);
    assert!(
        r.3.contains("typed^C") && r.3.contains("^Z") && r.3.contains("^\\"),
        "{}",
        r.3
    );
    assert_eq!(r.4, Some(EAGAIN));
    assert_eq!(r.5, 4);
}

#[test]
fn console_over_the_simulated_uart() {
    let mem = hw::MemoryConsole::new();
    let mut cfg = config(2);
    cfg.tty_console = hw::ConsoleBackend::Memory(Arc::clone(&mem));
    let m2 = Arc::clone(&mem);
    let (r, _) = run(cfg, move || {
        let con = vfs_open("/dev/console", O_RDWR, 0).unwrap();
        let tty = vfs_open("/dev/tty", O_RDWR, 0).unwrap();
        kernel_write(&con, b"login: ").unwrap();
        // A reader blocks on CPU 1; input arrives by interrupt.
        let c2 = Arc::clone(&con);
        let reader = on_cpu1("console_reader", move || read_str(&c2, 100));
        msleep(10);
        m2.type_input(b"root\r");
        let line = reader.join();
        // /dev/tty is the same terminal.
        m2.type_input(b"via tty\n");
        let mut got = String::new();
        for _ in 0..200 {
            if let Ok(s) = read_str(&tty, 100) {
                got = s;
                break;
            }
        }
        // The other end hangs up: end of file after the buffered input.
        m2.type_input(b"last");
        m2.hang_up();
        let last = read_str(&con, 100).unwrap();
        let eof = read_str(&con, 100).unwrap();
        // Generic ioctls through the descriptor table.
        let files = FilesStruct::new();
        let fd = files.install(Arc::clone(&con), 0).unwrap();
        let um = KernelUserMemory::new(0x2000, 64);
        do_vfs_ioctl(&files, fd, FIOCLEX, 0, &um).unwrap();
        let cloexec = files.get_close_on_exec(fd).unwrap();
        um.write(0x2000, &1i32.to_ne_bytes()).unwrap();
        do_vfs_ioctl(&files, fd, FIONBIO, 0x2000, &um).unwrap();
        let nb = con.flags() & O_NONBLOCK != 0;
        // Hung up: end of file wins over EAGAIN.
        let again = read_str(&con, 10);
        let via_table = do_vfs_ioctl(&files, fd, TCGETS, 0x2000, &um);
        let bad_fd = do_vfs_ioctl(&files, 77, TCGETS, 0x2000, &um).err();
        files.close_all();
        assert!(cloexec && nb);
        assert_eq!(
            (again, via_table, bad_fd),
            (Ok(String::new()), Ok(0), Some(EBADF))
        );
        (line, got, last, eof)
    });
    assert_eq!(r.0, Ok("root\n".into()));
    assert_eq!(r.1, "via tty\n");
    assert_eq!(r.2, "last");
    assert_eq!(r.3, "");
    // Not a terminal: no echo of the input; output post-processed.
    assert_eq!(mem.output(), b"login: ");
}

#[test]
fn vtime_inter_byte_timer_and_poll() {
    let (r, _) = run(config(2), || {
        use kernel::fs::select::{do_poll, PollEntry};
        use uapi::poll::*;
        let (_line, tty, f) = serial();
        let mut raw = TTY_STD_TERMIOS;
        raw.make_raw();
        // VMIN 10, VTIME 1: blocks for the first byte, then returns what
        // arrived once 100 ms pass without another.
        raw.c_cc[VMIN] = 10;
        raw.c_cc[VTIME] = 1;
        tty.set_termios(raw);
        let (f2, t2) = (Arc::clone(&f), Arc::clone(&tty));
        let typist = on_cpu1("typist", move || {
            msleep(30);
            t2.receive_buf(b"ab");
        });
        let got = read_str(&f2, 64).unwrap();
        typist.join();
        // poll: not readable, then readable once a line is complete.
        tty.set_termios(TTY_STD_TERMIOS);
        let mut e = vec![PollEntry {
            file: Some(Arc::clone(&f)),
            events: POLLIN,
            revents: 0,
        }];
        let none = do_poll(&mut e, Some(0)).unwrap();
        tty.receive_buf(b"half");
        let still = do_poll(&mut e, Some(0)).unwrap();
        tty.receive_buf(b"\n");
        let ready = do_poll(&mut e, Some(0)).unwrap();
        (got, none, still, ready, e[0].revents)
    });
    assert_eq!(r.0, "ab");
    assert_eq!((r.1, r.2, r.3), (0, 0, 1));
    assert_eq!(r.4, uapi::poll::POLLIN);
}

#[test]
fn console_on_host_descriptors_end_to_end() {
    use std::io::{Read, Write};
    use std::os::unix::io::AsRawFd;
    use std::os::unix::net::UnixStream;
    // The "host terminal": socket pairs standing in for stdin and stdout.
    let (guest_in, mut host_keyboard) = UnixStream::pair().unwrap();
    let (guest_out, mut host_screen) = UnixStream::pair().unwrap();
    let mut cfg = config(2);
    cfg.tty_console = hw::ConsoleBackend::HostFds {
        rx: guest_in.as_raw_fd(),
        tx: guest_out.as_raw_fd(),
    };
    let typist = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(30));
        host_keyboard.write_all(b"echo from host\n").unwrap();
        // Closing the keyboard is the end of input.
        drop(host_keyboard);
    });
    let (r, out) = run(cfg, || {
        let con = vfs_open("/dev/console", O_RDWR, 0).unwrap();
        let line = read_str(&con, 100).unwrap();
        let eof = read_str(&con, 100).unwrap();
        kernel_write(&con, format!("got: {line}").as_bytes()).unwrap();
        (line, eof)
    });
    typist.join().unwrap();
    assert_eq!(r, ("echo from host\n".to_string(), String::new()));
    assert_eq!(out.threads_leaked, 0);
    drop(guest_out);
    let mut screen = String::new();
    host_screen.read_to_string(&mut screen).unwrap();
    assert_eq!(screen, "got: echo from host\r\n");
}
