//! Device drivers (Linux's `drivers/`): memory devices and the tty layer.

pub mod char;
pub mod tty;
