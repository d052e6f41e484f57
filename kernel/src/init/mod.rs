//! Boot: the `Kernel` instance, the command line, `start_kernel`, init and
//! power-off, the boot-time self-tests, and the built-in default init.

pub mod builtin;
pub mod cmdline;
pub mod initramfs;
pub mod kernel;
pub mod main;
pub mod selftest;

pub use main::{boot, BootError, BootOutcome};
