//! The console driver: binds the simulated UART (`hw::console`) to a tty.
//!
//! Output is written straight to the device's transmitter. Input arrives
//! by interrupt: the handler drains the receive FIFO into the tty's line
//! discipline (`tty_flip_buffer_push`), and when the device reports the
//! end of its input the tty gets end of file. When the host side is not
//! an interactive terminal (a script on stdin, the memory and null
//! backends) the console starts with `ECHO` off, so input is not copied
//! to the output — the `init_termios` of the driver, as serial drivers
//! set theirs.

use super::{TtyDriverOps, TtyStruct};
use crate::kernel::irq::desc::IRQ_HANDLED;
use crate::kernel::irq::manage::{free_irq, request_irq};
use hw::console::CONSOLE_IRQ;
use hw::ConsoleDevice;
use std::sync::Arc;
use uapi::errno::Errno;
use uapi::termios::*;

struct ConsoleOps {
    dev: Arc<ConsoleDevice>,
}

impl TtyDriverOps for ConsoleOps {
    fn write(&self, buf: &[u8]) -> usize {
        self.dev.write_tx(buf);
        buf.len()
    }
    fn name(&self) -> &str {
        "console"
    }
}

/// Cookie of the console's interrupt action.
const CONSOLE_DEV_ID: usize = 0x636f_6e73;

/// `console_init()`: create the device and the tty, request the IRQ and
/// start receiving.
pub fn console_init() -> Result<(), Errno> {
    let k = crate::kernel();
    let dev = ConsoleDevice::new(
        k.tty.console_backend.clone(),
        Arc::clone(&k.irqchip),
        CONSOLE_IRQ,
    );
    let mut termios = TTY_STD_TERMIOS;
    if !dev.is_terminal() {
        termios.c_lflag &= !(ECHO | ECHOE | ECHOK | ECHOKE | ECHOCTL);
    }
    let tty = TtyStruct::new(
        0,
        Arc::new(ConsoleOps {
            dev: Arc::clone(&dev),
        }),
        termios,
    );
    let _ = k.tty.console.set(Arc::clone(&tty));
    let _ = k.tty.console_dev.set(Arc::clone(&dev));
    let (d2, t2) = (Arc::clone(&dev), Arc::clone(&tty));
    request_irq(
        CONSOLE_IRQ,
        move |_irq| {
            let mut buf = [0u8; 256];
            loop {
                let n = d2.read_rx(&mut buf);
                if n == 0 {
                    break;
                }
                t2.receive_buf(&buf[..n]);
            }
            if d2.rx_eof() {
                t2.receive_eof();
            }
            IRQ_HANDLED
        },
        0,
        "serial",
        CONSOLE_DEV_ID,
    )?;
    dev.start();
    crate::pr_info!("printk: console [ttyS0] enabled");
    Ok(())
}

/// At power-off: stop the device (joins the host reader thread and
/// restores the host terminal) and free the interrupt.
pub fn console_shutdown() {
    let k = crate::kernel();
    if let Some(d) = k.tty.console_dev.get() {
        d.shutdown();
        free_irq(CONSOLE_IRQ, CONSOLE_DEV_ID);
    }
}
