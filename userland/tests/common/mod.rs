//! Booting usk into user space from a test: init runs a shell script, the
//! console is captured, and the boot must end cleanly — no leaked thread,
//! no user page left in use, no oops in the kernel log.

use hw::ConsoleBackend;
use kernel::init::kernel::BootConfig;
use kernel::kernel::printk::Console;
use std::sync::Mutex;

/// One boot at a time keeps the 2-core CI machine responsive.
static SERIAL: Mutex<()> = Mutex::new(());

pub struct Run {
    pub status: i32,
    pub output: String,
    pub dmesg: String,
}

/// Boot a 2-CPU, 64 MiB usk whose init runs `sh` on `script`.
pub fn usk(script: &str) -> Run {
    let _g = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    userland::install();
    let console = hw::console::MemoryConsole::new();
    let mut files = userland::initramfs();
    files.push(("/tmp/t.sh".into(), 0o755, script.as_bytes().to_vec()));
    let cfg = BootConfig {
        cpus: 2,
        mem_bytes: 64 << 20,
        console: Console::Silent,
        tty_console: ConsoleBackend::Memory(console.clone()),
        initramfs: files,
        init_argv: Some(vec!["/sbin/init".into(), "/tmp/t.sh".into()]),
        ..Default::default()
    };
    let (status, out) = kernel::testing::boot_user_space(cfg);
    for bad in ["BUG:", "Oops", "WARNING:", "kernel BUG"] {
        assert!(!out.dmesg.contains(bad), "{bad} in dmesg:\n{}", out.dmesg);
    }
    Run {
        status,
        output: String::from_utf8_lossy(&console.output()).replace("\r\n", "\n"),
        dmesg: out.dmesg,
    }
}
