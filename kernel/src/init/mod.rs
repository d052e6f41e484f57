//! Boot: the `Kernel` instance, the command line, `start_kernel`, init and
//! power-off, and the boot-time self-tests.

pub mod cmdline;
pub mod kernel;
pub mod main;
pub mod selftest;

pub use main::{boot, BootError, BootOutcome};
